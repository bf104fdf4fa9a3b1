"""What a person's in-app notifications are made of, as stored: new high-priority items, responses
submitted for approval, and until when the person has read them (users.notifications_seen_at).
The rules (which, for whom) are in factsandwich/notifications.py."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from factsandwich.storage.database import Database
from factsandwich.storage.tables import ItemRow, ResponseRow, UserRow
from factsandwich.storage.values import Item, Response, value_of


def items_since(store: Database, since: dt.datetime, min_priority: float, limit: int) -> list[Item]:
    """Flagged items still new, first seen after `since`, of at least `min_priority`: newest first."""
    with store.session() as session:
        rows = session.scalars(
            select(ItemRow)
            .where(
                ItemRow.flagged.is_(True),
                ItemRow.status == "new",
                ItemRow.fetched_at > since,
                ItemRow.priority >= min_priority,
            )
            .order_by(ItemRow.fetched_at.desc(), ItemRow.id.desc())
            .limit(limit)
        )
        return [value_of(Item, row) for row in rows]


def responses_since(store: Database, status: str, since: dt.datetime, limit: int) -> list[Response]:
    """Responses in `status` changed after `since` (submitted for approval): newest first."""
    with store.session() as session:
        rows = session.scalars(
            select(ResponseRow)
            .where(ResponseRow.status == status, ResponseRow.updated_at > since)
            .order_by(ResponseRow.updated_at.desc(), ResponseRow.id.desc())
            .limit(limit)
        )
        return [value_of(Response, row) for row in rows]


def notifications_seen_at(store: Database, user_id: int) -> dt.datetime | None:
    with store.session() as session:
        return session.scalar(select(UserRow.notifications_seen_at).where(UserRow.id == user_id))


def set_notifications_seen_at(store: Database, user_id: int, at: dt.datetime) -> None:
    with store.session() as session:
        session.execute(update(UserRow).where(UserRow.id == user_id).values(notifications_seen_at=at))
