"""Triage (comms officers): the queue of flagged items, its order, and the decisions on an item
(dismiss, undo, mark as mis-/disinformation, send to response, propose a new pair). The decisions are
stored by storage/office.py, each in one transaction with its audit record; storage/queue.py reads the
queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from factsandwich.dates import utcnow
from factsandwich.storage import Database
from factsandwich.storage.office import (
    CLOSED_STATUSES,
    DISMISS_REASONS,
    ITEM_STATUSES,
    MARKS,
    OPEN_STATUSES,
    Proposal,
    dismiss,
    get_item,
    mark,
    pair_proposals,
    propose_pair,
    send_to_response,
    undo_dismiss,
)
from factsandwich.storage.queue import QueueFilter, queue_sources, subscription_names, triage_queue

__all__ = [
    "CLOSED_STATUSES",
    "DISMISS_REASONS",
    "ITEM_STATUSES",
    "MARKS",
    "OPEN_STATUSES",
    "Age",
    "Proposal",
    "QueueFilter",
    "age",
    "dismiss",
    "flag_threshold",
    "get_item",
    "mark",
    "pair_proposals",
    "priority",
    "propose_pair",
    "queue_sources",
    "send_to_response",
    "source_names",
    "triage_queue",
    "undo_dismiss",
]


def priority(myth_probability: float, confidence: float | None) -> float:
    """The triage order of an item: 0.6 x its myth probability + 0.4 x its best candidate's confidence
    (0 without a candidate); newer items first on ties (the queue's ORDER BY)."""
    return round(0.6 * myth_probability + 0.4 * (confidence or 0.0), 4)


def flag_threshold(configured: float | None, tuned: float) -> float:
    """The myth probability from which an item is flagged: FACTSANDWICH_FLAG_THRESHOLD when it is set
    (0 included: flag everything), else the classifier's tuned threshold."""
    return configured if configured is not None else tuned


@dataclass(frozen=True)
class Age:
    """How long ago, in the largest whole unit: (3, "h") reads "3 h"."""

    amount: int
    unit: str  # "min", "h", "d"


def age(moment: dt.datetime | None, now: dt.datetime | None = None) -> Age | None:
    if moment is None:
        return None
    seconds = max(0.0, ((now or utcnow()) - moment).total_seconds())
    if seconds < 3600:
        return Age(int(seconds // 60), "min")
    if seconds < 86400:
        return Age(int(seconds // 3600), "h")
    return Age(int(seconds // 86400), "d")


def source_names(store: Database) -> dict[str, str]:
    """Readable names of the queue's sources: a subscription's name, else a file's name or the
    address's host and path (never a local directory path)."""
    named, sources = subscription_names(store)
    names = {}
    for source in sources:
        if named.get(source):
            names[source] = named[source]
        elif "://" in source:
            names[source] = source.split("://", 1)[1].removeprefix("www.")
        else:
            names[source] = source.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return names
