"""Triage of flagged items: their order in the queue."""

from __future__ import annotations


def priority(myth_probability: float, confidence: float | None) -> float:
    """The triage order of an item: 0.6 x its myth probability + 0.4 x its best candidate's confidence
    (0 without a candidate); newer items first on ties (the queue's ORDER BY)."""
    return round(0.6 * myth_probability + 0.4 * (confidence or 0.0), 4)
