"""Triage (comms officers): the queue of flagged items, its order, and the decisions on an item
(dismiss, undo, mark as mis-/disinformation, send to response, propose a new pair). The decisions are
stored by storage/office.py, each in one transaction with its audit record; storage/queue.py reads the
queue."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from factsandwich.dates import utcnow
from factsandwich.storage import Database
from factsandwich.storage.assignments import (
    MAX_NOTE_CHARS,
    add_note,
    assign,
    item_notes,
    note_counts,
    office_people,
)
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
from factsandwich.storage.queue import (
    MAX_SEARCH_CHARS,
    QueueFilter,
    queue_sources,
    search_words,
    subscription_names,
    triage_queue,
)

__all__ = [
    "CLOSED_STATUSES",
    "DISMISS_REASONS",
    "ITEM_STATUSES",
    "MARKS",
    "MAX_NOTE_CHARS",
    "MAX_SEARCH_CHARS",
    "OPEN_STATUSES",
    "Age",
    "Proposal",
    "QueueFilter",
    "add_note",
    "age",
    "assign_item",
    "assign_response",
    "assignable_people",
    "dismiss",
    "flag_threshold",
    "get_item",
    "item_notes",
    "mark",
    "note_counts",
    "pair_proposals",
    "places_in",
    "priority",
    "propose_pair",
    "queue_sources",
    "search_words",
    "send_to_response",
    "source_names",
    "triage_queue",
    "undo_dismiss",
]


# What naming one of the office's places adds to an item's priority (half the scale): a likely local
# myth (0.7, a candidate of 0.5: 1.12) outranks a certain national one (1.0) of the same age.
LOCAL_WEIGHT = 0.5


def priority(myth_probability: float, confidence: float | None, local: bool = False) -> float:
    """An item's priority, stored at scan time: 0.6 x its myth probability + 0.4 x its best
    candidate's confidence (0 without one) + LOCAL_WEIGHT (0.5) when it names one of the office's
    places. The queue orders by urgency, priority x 2^(-age in days / 2) (storage.queue.RECENCY_DAYS),
    the age counted from the publication, never later than when the item was first seen: a post two
    days old counts half, a week old about a tenth (0.088). An exponential decay orders the same at
    every moment, so the order is stored with the item (storage.queue.queue_rank) and indexed."""
    return round(0.6 * myth_probability + 0.4 * (confidence or 0.0) + (LOCAL_WEIGHT if local else 0.0), 4)


def places_in(text: str, places: Sequence[str]) -> list[str]:
    """The office's `places` that `text` names: whole words, any case, also as a hashtag
    (#Musterstadt); in the order configured."""
    found = []
    for place in places:
        words = r"[\s_-]*".join(re.escape(word) for word in place.split())
        if words and re.search(rf"(?<!\w){words}(?!\w)", text, re.IGNORECASE):
            found.append(place)
    return found


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


# Who may be given what: an item to the comms officers (triage), a response to the spokespeople.
ASSIGNEE_ROLES = {"item": ("comms",), "response": ("spokesperson",)}


def assignable_people(store: Database, kind: str) -> list[str]:
    """The people an item or a response (`kind`) can be assigned to: active, holding its role."""
    return office_people(store, ASSIGNEE_ROLES[kind])


def assign_item(store: Database, item_id: int, person: str | None, actor: str, form_token: str) -> bool:
    """Give an item to a comms officer (None: to nobody); it then shows in their "my queue"."""
    return assign(store, "item", item_id, person, ASSIGNEE_ROLES["item"], actor, form_token)


def assign_response(
    store: Database, response_id: int, person: str | None, actor: str, form_token: str
) -> bool:
    """Give a response to a spokesperson (None: to nobody)."""
    return assign(store, "response", response_id, person, ASSIGNEE_ROLES["response"], actor, form_token)
