"""The triage queue in the database: flagged items filtered, searched and ordered by urgency, and the
names its filters offer. Reads only; the decisions on items are in storage/office.py.

Urgency decays exponentially, priority x 2^(-age in days / RECENCY_DAYS), so its order is the same at
every moment: the order of the time-independent `queue_rank` (stored with each item by
ItemsRepository.store_items), which the queue's indexes serve at any page depth.

Full-text search (migration 0007) is SQLite's FTS5 table `items_search` or PostgreSQL's GIN index
`ix_items_search`; neither is in the models, so the migration comparison leaves them out by name
(`is_search_object`)."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, column, func, literal_column, select, text
from sqlalchemy.sql.elements import ColumnElement

from factsandwich.errors import ReviewError
from factsandwich.storage.database import Database
from factsandwich.storage.tables import ItemRow, SubscriptionRow
from factsandwich.storage.values import Item, value_of

# A search longer than this is refused with a message (a pasted post is a few hundred characters).
MAX_SEARCH_CHARS = 500
MAX_SEARCH_WORDS = 32
# The age, in days, at which recency halves an item's urgency in the queue's order.
RECENCY_DAYS = 2.0
_EPOCH = dt.datetime(1970, 1, 1)
_LOWEST_PRIORITY = 1e-300  # the log of 0 is -inf: a priority of 0 ranks as the smallest positive one
SEARCH_OBJECTS = ("items_search", "ix_items_search")
# The indexed text: the same expression as the index of migration 0007 (so PostgreSQL uses it).
_POSTGRES_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(items.title, '') || ' ' || coalesce(items.text, ''))"
)


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = "new"
    claim: str | None = None
    language: str | None = None
    source: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    q: str | None = None  # full-text search: items holding every word
    assigned_to: str | None = None  # "my queue": the items assigned to this person


def is_search_object(name: str | None) -> bool:
    """True for the search table (and SQLite's shadow tables of it) and the search index: Alembic's
    `include_name` hook inverts it, so the models/migrations comparison skips only these."""
    return bool(name) and any(str(name).startswith(prefix) for prefix in SEARCH_OBJECTS)


def search_words(query: str | None) -> list[str]:
    """The words of a search (letters and digits; quotes, operators and brackets are not syntax
    here, so no input can break the query). ReviewError for a search longer than MAX_SEARCH_CHARS."""
    if not query:
        return []
    if len(query) > MAX_SEARCH_CHARS:
        raise ReviewError(f"the search is longer than {MAX_SEARCH_CHARS} characters")
    return re.findall(r"\w+", query)[:MAX_SEARCH_WORDS]


def _search_condition(dialect: str, words: list[str]) -> ColumnElement[bool]:
    if dialect == "sqlite":
        # Each word a quoted FTS5 string: every word must occur, none is an operator.
        match = " ".join('"' + word.replace('"', '""') + '"' for word in words)
        matching = text("SELECT rowid FROM items_search WHERE items_search MATCH :match").bindparams(
            match=match
        )
        return ItemRow.id.in_(matching.columns(column("rowid", Integer)))
    document: ColumnElement[Any] = literal_column(_POSTGRES_DOCUMENT)
    return document.op("@@")(func.plainto_tsquery(literal_column("'simple'::regconfig"), " ".join(words)))


def queue_rank(priority: float, published_at: dt.datetime | None, fetched_at: dt.datetime) -> float:
    """The item's place in the queue, highest first: log(priority) + moment in days x ln 2 /
    RECENCY_DAYS, where urgency(now) = priority x 2^(-(now - moment) / RECENCY_DAYS) at any `now`
    orders the same. The moment is the publication, never later than when the item was first seen (a
    future-dated post cannot top the queue forever), else when it was first seen."""
    moment = min(published_at, fetched_at) if published_at else fetched_at
    days = (moment - _EPOCH).total_seconds() / 86400.0
    return math.log(max(priority, _LOWEST_PRIORITY)) + days * math.log(2.0) / RECENCY_DAYS


def triage_queue(
    store: Database, filters: QueueFilter, page: int = 1, per_page: int = 25
) -> tuple[list[Item], int]:
    """Flagged items by urgency: the stored queue_rank, the newest stored first on ties. The whole
    queue and a status of it are read in order from an index (ix_items_queue_rank*), at any page;
    the other filters narrow the rows through their indexes, which are then sorted."""
    dialect = store.engine.dialect.name
    conditions: list[Any] = [ItemRow.flagged.is_(True)]
    if filters.status:
        conditions.append(ItemRow.status == filters.status)
    if filters.claim:
        conditions.append(ItemRow.top_claim == filters.claim)
    if filters.language:
        conditions.append(ItemRow.language == filters.language)
    if filters.source:
        conditions.append(ItemRow.source == filters.source)
    if filters.assigned_to:
        conditions.append(ItemRow.assigned_to == filters.assigned_to)
    words = search_words(filters.q)
    if words:
        conditions.append(_search_condition(dialect, words))
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
            .order_by(ItemRow.queue_rank.desc(), ItemRow.id.desc())
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
