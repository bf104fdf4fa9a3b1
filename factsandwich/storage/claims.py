"""The live copy of the myth/fact pairs in the database: what editors change in the web UI.

claims_db/ stays the curated source. On start the store is synchronised with it (`sync_from_directory`,
called once by the factory): a new file is imported, a changed file updates its pair unless an editor
changed that pair in the UI since the last import (then the UI version is kept and the conflict
reported). Every save is validated like a file, versioned, and checked against the version the
editor started from (`Database.act`), so a concurrent edit is reported instead of silently overwritten.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from factsandwich.claims import Claim, ClaimSet, claim_from_data, load_claims
from factsandwich.dates import utcnow
from factsandwich.errors import EditConflict
from factsandwich.storage.database import Database
from factsandwich.storage.tables import ClaimRow, ClaimVersionRow
from factsandwich.storage.values import ClaimVersion, value_of


def _hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _data(claim: Claim) -> dict[str, Any]:
    return claim.to_dict()


def sync_from_directory(store: Database, directory: Path, actor: str = "claims_db") -> list[str]:
    """Import new and changed pairs from claims_db/; return messages about kept UI edits. Two processes
    that start on a new database at once (two scans, a scan and the web UI) both import: the one that
    commits second finds the pairs stored and compares with them instead."""
    try:
        return _sync_from_directory(store, directory, actor)
    except IntegrityError:  # the other process stored the same pairs first
        return _sync_from_directory(store, directory, actor)


def _sync_from_directory(store: Database, directory: Path, actor: str) -> list[str]:
    files = load_claims(directory)
    messages = []
    with store.session() as session:
        rows = {row.id: row for row in session.scalars(select(ClaimRow))}
        for claim in files:
            data = _data(claim)
            file_hash = _hash(data)
            row = rows.get(claim.id)
            if row is None:
                row = ClaimRow(id=claim.id, data=data, version=1, source_hash=file_hash, updated_by=actor)
                session.add(row)
                session.add(ClaimVersionRow(claim_id=claim.id, version=1, data=data, editor=actor))
                store.audit(session, actor, "claim.import", "claim", claim.id, None, data)
            elif row.source_hash != file_hash:
                if _hash(row.data) == row.source_hash:  # unchanged in the UI: the file wins
                    _apply(store, session, row, data, actor, "claim.import")
                    row.source_hash = file_hash
                elif _hash(row.data) != file_hash:
                    messages.append(
                        f"{claim.id}: changed both in {directory} and in the web UI; "
                        "the web UI version is kept (export it to reconcile)"
                    )
    return messages


def _apply(
    store: Database, session: Any, row: ClaimRow, data: dict[str, Any], editor: str, action: str
) -> None:
    before = row.data
    row.data, row.version, row.updated_by, row.updated_at = data, row.version + 1, editor, utcnow()
    session.add(ClaimVersionRow(claim_id=row.id, version=row.version, data=data, editor=editor))
    store.audit(session, editor, action, "claim", row.id, before, data)


def claims_fingerprint(store: Database) -> tuple[int, int]:
    """Changes whenever a pair is added or saved (number of pairs, sum of versions): one cheap query."""
    with store.session() as session:
        count, versions = session.execute(select(func.count(ClaimRow.id), func.sum(ClaimRow.version))).one()
        return int(count or 0), int(versions or 0)


def load_live_claims(store: Database) -> ClaimSet:
    with store.session() as session:
        rows = list(session.scalars(select(ClaimRow).order_by(ClaimRow.id)))
    return ClaimSet(tuple(claim_from_data(row.data, Path(f"{row.id}.yaml")) for row in rows))


def claim_version(store: Database, claim_id: str) -> int | None:
    with store.session() as session:
        row = session.get(ClaimRow, claim_id)
        return row.version if row else None


def save_claim(
    store: Database,
    data: dict[str, Any],
    editor: str,
    expected_version: int | None,
    form_token: str | None = None,
) -> Claim | None:
    """Validate and store a pair. `expected_version` None creates a new pair (an existing id is a
    conflict); otherwise the stored version must still be that one. Returns None for a repeated
    form submission (nothing changed)."""
    claim = claim_from_data(data, Path(f"{data.get('id', 'claim')}.yaml"))
    clean = _data(claim)

    def gone() -> EditConflict:
        return EditConflict(f"the pair {claim.id!r} no longer exists")

    def exists(row: ClaimRow) -> None:
        if expected_version is None:
            raise EditConflict(f"a pair with the id {claim.id!r} exists already")

    with store.act(
        form_token,
        ClaimRow,
        claim.id,
        actor=editor,
        missing=None if expected_version is None else gone,
        check=exists,
        expected_version=expected_version,
        conflict=lambda row: EditConflict(
            f"{claim.id!r} was changed by {row.updated_by} (version {row.version}) after you opened "
            f"version {expected_version}; reload it and apply your change again"
        ),
    ) as action:
        if action is None:
            return None
        if action.row is None:
            action.session.add(ClaimRow(id=claim.id, data=clean, version=1, updated_by=editor))
            action.session.add(ClaimVersionRow(claim_id=claim.id, version=1, data=clean, editor=editor))
            action.audit("claim.add", "claim", claim.id, None, clean)
        else:
            _apply(store, action.session, action.row, clean, editor, "claim.edit")
    return claim


def stored_claim(store: Database, claim_id: str) -> tuple[dict[str, Any], int, str | None] | None:
    """(data, version, hash of the claims_db/ file last imported) of a stored pair, or None."""
    with store.session() as session:
        row = session.get(ClaimRow, claim_id)
        return (dict(row.data), row.version, row.source_hash) if row else None


def locally_edited(data: dict[str, Any], source_hash: str | None) -> bool:
    """Whether an editor here changed the pair since claims_db/ last gave it."""
    return source_hash is None or _hash(data) != source_hash


def claim_history(store: Database, claim_id: str) -> list[ClaimVersion]:
    with store.session() as session:
        query = select(ClaimVersionRow).where(ClaimVersionRow.claim_id == claim_id)
        rows = session.scalars(query.order_by(ClaimVersionRow.version.desc()))
        return [value_of(ClaimVersion, row) for row in rows]
