"""Compatibility names: the office's work is split by concept into triage.py, responses.py,
statistics.py and training.py (labelled decisions), stored by storage/office.py. Code written
against `factsandwich.review` (tests/test_models.py, older scripts) keeps working through these
names; new code imports the module that holds the concept."""

from __future__ import annotations

from factsandwich import responses, triage
from factsandwich.errors import ChecksFailed, PartTooLong, ResponseExists, ReviewError, StateChanged
from factsandwich.responses import *  # noqa: F403
from factsandwich.statistics import Dashboard, dashboard
from factsandwich.training import labelled_decisions
from factsandwich.triage import *  # noqa: F403

__all__ = [
    *triage.__all__,
    *responses.__all__,
    "ChecksFailed",
    "Dashboard",
    "PartTooLong",
    "ResponseExists",
    "ReviewError",
    "StateChanged",
    "dashboard",
    "labelled_decisions",
]
