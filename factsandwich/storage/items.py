"""Items: the scanned posts and articles with their analysis, stored whole in one transaction each batch.

Each scanned item is written whole together with its matches and draft, so a crash leaves either the
complete item or nothing, and a rerun skips what is already stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, or_, select

from factsandwich.dates import utcnow
from factsandwich.storage.database import Database, insert_ignoring_conflicts
from factsandwich.storage.queue import queue_rank
from factsandwich.storage.tables import ItemRow
from factsandwich.storage.values import Item, value_of


class ItemsRepository(Database):
    def find_known(self, keys: Sequence[tuple[str, str | None, str | None, str]]) -> set[int]:
        """Indexes of `keys` (source, guid, link, content_hash) whose item is already stored."""
        known: set[int] = set()
        with self.session() as session:
            for i, (source, guid, link, chash) in enumerate(keys):
                conditions = [ItemRow.content_hash == chash]
                if guid:
                    conditions.append((ItemRow.source == source) & (ItemRow.guid == guid))
                if link:
                    conditions.append(ItemRow.link == link)
                if session.scalar(select(ItemRow.id).where(or_(*conditions)).limit(1)) is not None:
                    known.add(i)
        return known

    def add_items(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert complete items in one transaction; returns how many were new."""
        return sum(self.store_items(rows))

    def store_items(self, rows: Sequence[Mapping[str, Any]]) -> list[bool]:
        """Insert complete items in one transaction; for each row, whether this call stored it. An
        item that another process (a second scan, a monitor, the web UI) stored meanwhile (same text)
        is skipped by the database itself (ON CONFLICT DO NOTHING), never an error. Each item gets its
        queue_rank here (items are never stored another way, nor their priority or dates changed)."""
        stored: list[bool] = []
        with self.session() as session:
            statement = insert_ignoring_conflicts(session, ItemRow).returning(ItemRow.id)
            for row in rows:
                fetched_at = row.get("fetched_at") or utcnow()
                rank = queue_rank(row.get("priority") or 0.0, row.get("published_at"), fetched_at)
                values = {**row, "fetched_at": fetched_at, "queue_rank": rank}
                # RETURNING gives a row only for an insert that happened (rowcount is -1 on psycopg).
                stored.append(session.execute(statement.values(**values)).first() is not None)
        return stored

    def count_items(self) -> int:
        with self.session() as session:
            return int(session.scalar(select(func.count(ItemRow.id))) or 0)

    def list_items(self, *, flagged: bool | None = None) -> list[Item]:
        with self.session() as session:
            query = select(ItemRow).order_by(ItemRow.id)
            if flagged is not None:
                query = query.where(ItemRow.flagged == flagged)
            return [value_of(Item, row) for row in session.scalars(query)]

    def get_item(self, item_id: int) -> Item | None:
        with self.session() as session:
            row = session.get(ItemRow, item_id)
            return value_of(Item, row) if row else None
