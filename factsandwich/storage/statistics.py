"""The dashboard's queries: the flagged items of a period as the dashboard counts them, and the
approved responses among them. Reading only; the counting is factsandwich/statistics.py's.

An item belongs to the period by its publication moment, else by when the office first saw it (its
scan): a post whose feed gives no date still counts, in the week it arrived."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select

from factsandwich.storage.database import Database
from factsandwich.storage.tables import ItemRow, ResponseRow
from factsandwich.storage.values import Item, Response, value_of

# Published, else first seen: the moment an item counts at (naive UTC, as the store keeps times).
_counted_at = func.coalesce(ItemRow.published_at, ItemRow.fetched_at)


def _flagged_in(start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    """Flagged, and its moment in [start, end)."""
    return and_(ItemRow.flagged.is_(True), _counted_at >= start, _counted_at < end)


@dataclass(frozen=True)
class CountedItem:
    """What the dashboard needs of a flagged item."""

    claim_id: str | None  # the best matching myth (None: no matching myth)
    moment: dt.datetime  # published, else first seen
    status: str
    label: str | None  # the kept mis/disinformation label
    source: str


def flagged_between(store: Database, start: dt.datetime, end: dt.datetime) -> list[CountedItem]:
    """The flagged items whose moment is in [start, end)."""
    with store.session() as session:
        rows = session.execute(
            select(ItemRow.top_claim, _counted_at, ItemRow.status, ItemRow.label, ItemRow.source).where(
                _flagged_in(start, end)
            )
        ).all()
    return [
        CountedItem(claim, moment, status, label, source) for claim, moment, status, label, source in rows
    ]


def approved_between(store: Database, start: dt.datetime, end: dt.datetime) -> list[tuple[Item, Response]]:
    """The flagged items of [start, end) that have an approved response, each with the response that
    was approved first (a later one, after a reopen, is not the office's first answer)."""
    with store.session() as session:
        rows = session.execute(
            select(ItemRow, ResponseRow)
            .join(ResponseRow, ResponseRow.item_id == ItemRow.id)
            .where(_flagged_in(start, end), ResponseRow.approved_at.is_not(None))
            .order_by(ResponseRow.approved_at, ResponseRow.id)
        ).all()
        first: dict[int, tuple[Item, Response]] = {}
        for item, response in rows:
            if item.id not in first:
                first[item.id] = (value_of(Item, item), value_of(Response, response))
    return list(first.values())
