"""The audit log: every decision with who, what, when, before and after (written by `Database.act`)."""

from __future__ import annotations

from sqlalchemy import select

from factsandwich.storage.database import Database
from factsandwich.storage.tables import AuditRow
from factsandwich.storage.values import AuditEntry, value_of


class AuditRepository(Database):
    def list_audit(
        self, *, object_type: str | None = None, object_id: str | None = None, limit: int = 200
    ) -> list[AuditEntry]:
        with self.session() as session:
            query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
            if object_type:
                query = query.where(AuditRow.object_type == object_type)
            if object_id:
                query = query.where(AuditRow.object_id == object_id)
            return [value_of(AuditEntry, row) for row in session.scalars(query)]
