"""External fact-checks (fact_checks.FactCheck) and the revision counter that versions their search index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any, cast

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql.dml import Update

from factsandwich.dates import utcnow
from factsandwich.fact_checks import FactCheck
from factsandwich.storage.database import Database
from factsandwich.storage.tables import FactCheckRevisionRow, FactCheckRow

FACT_CHECK_FIELDS = tuple(field.name for field in fields(FactCheck))


class FactChecksRepository(Database):
    def upsert_fact_checks(self, fact_checks: Sequence[FactCheck]) -> tuple[int, int]:
        """Insert new fact-checks and update changed ones in one transaction (never deletes); returns
        (added, updated). A record given twice is stored once, as its last copy."""
        wanted = {
            (f.collection, f.external_id): {name: getattr(f, name) for name in FACT_CHECK_FIELDS}
            for f in fact_checks
        }
        with self._sessions() as session:
            session.execute(_next_revision())  # first: the write lock, so no other import interleaves
            columns = [getattr(FactCheckRow, name) for name in FACT_CHECK_FIELDS]
            stored = {
                (row.collection, row.external_id): row._asdict()
                for row in session.execute(
                    select(*columns).where(FactCheckRow.collection.in_(sorted({key[0] for key in wanted})))
                )
            }
            now = utcnow()
            new = [{**row, "imported_at": now} for key, row in wanted.items() if key not in stored]
            changed = [
                {**row, "imported_at": now}
                for key, row in wanted.items()
                if key in stored and stored[key] != row
            ]
            if not new and not changed:
                return 0, 0  # leaving without commit rolls the revision back: nothing changed
            if new:
                session.execute(insert(FactCheckRow), new)
            if changed:
                session.execute(update(FactCheckRow), changed)
            session.commit()
        return len(new), len(changed)

    def load_fact_checks(self) -> list[FactCheck]:
        columns = [getattr(FactCheckRow, name) for name in FACT_CHECK_FIELDS]
        with self.session() as session:
            rows = session.execute(
                select(*columns).order_by(FactCheckRow.collection, FactCheckRow.external_id)
            )
            return [FactCheck(*row) for row in rows]

    def fact_checks_version(self) -> str:
        """Changes whenever a fact-check is added, changed or removed (cheap: one row)."""
        with self.session() as session:
            return str(session.execute(select(FactCheckRevisionRow.revision)).scalar_one())

    def fact_check_collections(self) -> list[tuple[str, int]]:
        """(name, number of fact-checks) of each collection, by name."""
        with self.session() as session:
            rows = session.execute(
                select(FactCheckRow.collection, func.count())
                .group_by(FactCheckRow.collection)
                .order_by(FactCheckRow.collection)
            )
            return [(name, int(count)) for name, count in rows]

    def remove_fact_check_collection(self, collection: str) -> int:
        """Delete a collection's fact-checks; returns how many there were."""
        with self._sessions() as session:
            session.execute(_next_revision())
            result = session.execute(delete(FactCheckRow).where(FactCheckRow.collection == collection))
            removed = int(cast(CursorResult[Any], result).rowcount)
            if removed:
                session.commit()
        return removed


def _next_revision() -> Update:
    return update(FactCheckRevisionRow).values(revision=FactCheckRevisionRow.revision + 1)
