"""In-app notifications: what happened since a person last looked that is theirs to act on. Comms
officers hear of new high-priority items, spokespeople of responses submitted for their approval;
reading the list page (or "mark as read") moves the person's mark, so the header's count is what is
new to them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from factsandwich.dates import utcnow
from factsandwich.storage import Database
from factsandwich.storage.notifications import (
    items_since,
    notifications_seen_at,
    responses_since,
    set_notifications_seen_at,
)
from factsandwich.storage.values import Item, Response, User

# An item this urgent is worth a notification: a likely myth that matches a pair, or a local one
# (triage.priority: a local item has at least 0.5).
HIGH_PRIORITY = 0.75
# A person who never looked hears of the last week only.
FIRST_LOOK = dt.timedelta(days=7)
MAX_SHOWN = 50
REVIEW_STATUS = "in_review"  # storage.office.RESPONSE_STATUSES: submitted for approval


@dataclass(frozen=True)
class Notifications:
    items: tuple[Item, ...]
    approvals: tuple[Response, ...]
    seen_at: dt.datetime | None

    @property
    def count(self) -> int:
        return len(self.items) + len(self.approvals)


def notifications_for(store: Database, user: User, now: dt.datetime | None = None) -> Notifications:
    """The person's unread notifications (at most MAX_SHOWN of each kind), by their roles."""
    seen_at = notifications_seen_at(store, user.id)
    since = seen_at or (now or utcnow()) - FIRST_LOOK
    items = items_since(store, since, HIGH_PRIORITY, MAX_SHOWN) if user.has("comms") else []
    approvals = responses_since(store, REVIEW_STATUS, since, MAX_SHOWN) if user.has("spokesperson") else []
    return Notifications(tuple(items), tuple(approvals), seen_at)


def mark_read(store: Database, user: User, now: dt.datetime | None = None) -> None:
    """Everything up to now counts as read for `user`."""
    set_notifications_seen_at(store, user.id, now or utcnow())
