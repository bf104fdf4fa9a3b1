"""The triage queue in the database: flagged items filtered and ordered, and the names its filters
offer. Reads only; the decisions on items are in storage/office.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from factsandwich.storage.database import Database
from factsandwich.storage.tables import ItemRow, SubscriptionRow
from factsandwich.storage.values import Item, value_of


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = "new"
    claim: str | None = None
    language: str | None = None
    source: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def triage_queue(
    store: Database, filters: QueueFilter, page: int = 1, per_page: int = 25
) -> tuple[list[Item], int]:
    """Flagged items by priority (myth probability and match score), newest first on ties."""
    conditions: list[Any] = [ItemRow.flagged.is_(True)]
    if filters.status:
        conditions.append(ItemRow.status == filters.status)
    if filters.claim:
        conditions.append(ItemRow.top_claim == filters.claim)
    if filters.language:
        conditions.append(ItemRow.language == filters.language)
    if filters.source:
        conditions.append(ItemRow.source == filters.source)
    # Dates are publication dates; an item without one counts from when it was first seen.
    moment = func.coalesce(ItemRow.published_at, ItemRow.fetched_at)
    if filters.since:
        conditions.append(moment >= dt.datetime.combine(filters.since, dt.time()))
    if filters.until:
        conditions.append(moment < dt.datetime.combine(filters.until, dt.time()) + dt.timedelta(1))
    with store.session() as session:
        total = session.scalar(select(func.count(ItemRow.id)).where(*conditions)) or 0
        rows = session.scalars(
            select(ItemRow)
            .where(*conditions)
            .order_by(ItemRow.priority.desc(), ItemRow.published.desc(), ItemRow.id.desc())
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        ).all()
        return [value_of(Item, row) for row in rows], int(total)


def queue_sources(store: Database) -> list[str]:
    with store.session() as session:
        return list(session.scalars(select(ItemRow.source).where(ItemRow.flagged.is_(True)).distinct()))


def subscription_names(store: Database) -> tuple[dict[str, str], list[str]]:
    """(subscription URL -> its name, the distinct sources of flagged items): what the queue's source
    names are made of (triage.source_names)."""
    with store.session() as session:
        named = {
            url: name for url, name in session.execute(select(SubscriptionRow.url, SubscriptionRow.name))
        }
        sources = session.scalars(select(ItemRow.source).where(ItemRow.flagged.is_(True)).distinct()).all()
    return named, list(sources)
