"""The audit log: every decision with who, what, when, before and after (written by `Database.act`).
Read newest first, a page at a time by keyset (the entry id): a page stays the same while new
entries arrive, and a deep page costs what the first does."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from factsandwich.storage.database import Database
from factsandwich.storage.tables import AuditRow
from factsandwich.storage.values import AuditEntry, AuditFilter, AuditPage, value_of


class AuditRepository(Database):
    def list_audit(
        self, *, object_type: str | None = None, object_id: str | None = None, limit: int = 200
    ) -> list[AuditEntry]:
        page = self.audit_page(AuditFilter(object_type=object_type, object_id=object_id), limit=limit)
        return list(page.entries)

    def audit_page(
        self,
        where: AuditFilter,
        *,
        older_than: int | None = None,
        newer_than: int | None = None,
        limit: int = 50,
    ) -> AuditPage:
        """The `limit` entries matching `where` just older than the cursor `older_than` (or just newer
        than `newer_than`; the newest without either), newest first, with the neighbours' cursors."""
        everything = query = _filtered(select(AuditRow), where)
        with self.session() as session:
            if newer_than is not None:
                ascending = query.where(AuditRow.id > newer_than).order_by(AuditRow.id)
                rows = list(session.scalars(ascending.limit(limit)))[::-1]
            else:
                if older_than is not None:
                    query = query.where(AuditRow.id < older_than)
                rows = list(session.scalars(query.order_by(AuditRow.id.desc()).limit(limit)))
            if not rows:
                return AuditPage((), None, None)
            newest, oldest = rows[0].id, rows[-1].id
            return AuditPage(
                tuple(value_of(AuditEntry, row) for row in rows),
                oldest if _exists(session, everything.where(AuditRow.id < oldest)) else None,
                newest if _exists(session, everything.where(AuditRow.id > newest)) else None,
            )

    def audit_choices(self) -> dict[str, list[str]]:
        """The actors, actions and object types that occur, each sorted: the audit page's filter
        choices."""
        with self.session() as session:
            return {
                name: sorted(session.scalars(select(column).distinct()))
                for name, column in (
                    ("actor", AuditRow.actor),
                    ("action", AuditRow.action),
                    ("object_type", AuditRow.object_type),
                )
            }


def _exists(session: Session, query: Select[Any]) -> bool:
    return session.scalar(query.with_only_columns(AuditRow.id).limit(1)) is not None


def _filtered(query: Select[Any], where: AuditFilter) -> Select[Any]:
    for column, value in (
        (AuditRow.actor, where.actor),
        (AuditRow.action, where.action),
        (AuditRow.object_type, where.object_type),
        (AuditRow.object_id, where.object_id),
    ):
        if value:
            query = query.where(column == value)
    if where.start is not None:
        query = query.where(AuditRow.at >= where.start)
    if where.end is not None:
        query = query.where(AuditRow.at < where.end)
    return query
