"""The live copy of the myth/fact pairs in the store: what editors change in the web UI.

claims_db/ stays the curated source. On start the store is synchronised with it: a new file is
imported, a changed file updates its pair unless an editor changed that pair in the UI since the
last import (then the UI version is kept and the conflict reported). Every save is validated like a
file, versioned, and checked against the version the editor started from, so a concurrent edit is
reported instead of silently overwritten.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from factsandwich.claims import Claim, ClaimSet, claim_from_data, load_claims, parse_claim
from factsandwich.dates import utcnow
from factsandwich.errors import EditConflict
from factsandwich.store import ClaimRow, ClaimVersionRow, Store


def _hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _data(claim: Claim) -> dict[str, Any]:
    return claim.to_dict()


def sync_from_directory(store: Store, directory: Path, actor: str = "claims_db") -> list[str]:
    """Import new and changed pairs from claims_db/; return messages about kept UI edits. Two processes
    that start on a new database at once (two scans, a scan and the web UI) both import: the one that
    commits second finds the pairs stored and compares with them instead."""
    try:
        return _sync_from_directory(store, directory, actor)
    except IntegrityError:  # the other process stored the same pairs first
        return _sync_from_directory(store, directory, actor)


def _sync_from_directory(store: Store, directory: Path, actor: str) -> list[str]:
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


def _apply(store: Store, session: Any, row: ClaimRow, data: dict[str, Any], editor: str, action: str) -> None:
    before = row.data
    row.data, row.version, row.updated_by, row.updated_at = data, row.version + 1, editor, utcnow()
    session.add(ClaimVersionRow(claim_id=row.id, version=row.version, data=data, editor=editor))
    store.audit(session, editor, action, "claim", row.id, before, data)


def claims_fingerprint(store: Store) -> tuple[int, int]:
    """Changes whenever a pair is added or saved (number of pairs, sum of versions): one cheap query."""
    with store.session() as session:
        count, versions = session.execute(select(func.count(ClaimRow.id), func.sum(ClaimRow.version))).one()
        return int(count or 0), int(versions or 0)


def load_live_claims(store: Store) -> ClaimSet:
    with store.session() as session:
        rows = list(session.scalars(select(ClaimRow).order_by(ClaimRow.id)))
    return ClaimSet(tuple(claim_from_data(row.data, Path(f"{row.id}.yaml")) for row in rows))


def claim_version(store: Store, claim_id: str) -> int | None:
    with store.session() as session:
        row = session.get(ClaimRow, claim_id)
        return row.version if row else None


def save_claim(
    store: Store,
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
    with store.session() as session:
        if form_token is not None and not store.use_form_token(session, form_token):
            return None
        row = session.get(ClaimRow, claim.id)
        if expected_version is None:
            if row is not None:
                raise EditConflict(f"a pair with the id {claim.id!r} exists already")
            session.add(ClaimRow(id=claim.id, data=clean, version=1, updated_by=editor))
            session.add(ClaimVersionRow(claim_id=claim.id, version=1, data=clean, editor=editor))
            store.audit(session, editor, "claim.add", "claim", claim.id, None, clean)
        else:
            if row is None:
                raise EditConflict(f"the pair {claim.id!r} no longer exists")
            if row.version != expected_version:
                raise EditConflict(
                    f"{claim.id!r} was changed by {row.updated_by} (version {row.version}) after you opened "
                    f"version {expected_version}; reload it and apply your change again"
                )
            _apply(store, session, row, clean, editor, "claim.edit")
    return claim


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class ImportPreview:
    """What importing a shared pair would do, before it is done: a new pair, no change, or these
    changes to the stored pair (whose version the confirmation must still find)."""

    claim: Claim
    current_version: int | None
    changes: tuple[FieldChange, ...]
    # The stored pair differs from what claims_db/ last gave it: an editor here changed it.
    locally_edited: bool

    @property
    def is_new(self) -> bool:
        return self.current_version is None

    @property
    def unchanged(self) -> bool:
        return not self.is_new and not self.changes


def _id_inside(text: str, filename: str) -> str:
    """The pair's id as the file itself states it (a shared file may be named anything); the file
    name only when the text names none (the validation then says what is wrong)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    claim_id = data.get("id") if isinstance(data, dict) else None
    if isinstance(claim_id, str) and claim_id.strip():
        return claim_id.strip()
    return Path(filename).stem


def _flat(data: dict[str, Any]) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for sub, item in value.items():
                flat[f"{key}.{sub}"] = _show(item)
        else:
            flat[key] = _show(value)
    return flat


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(_show(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def preview_import(store: Store, text: str, filename: str) -> ImportPreview:
    """Validate a shared pair (by the id inside it) and compare it with the stored one, field by field."""
    claim = parse_claim(text, Path(f"{_id_inside(text, filename)}.yaml"))
    with store.session() as session:
        row = session.get(ClaimRow, claim.id)
        if row is None:
            return ImportPreview(claim, None, (), False)
        before, after = _flat(row.data), _flat(_data(claim))
        changes = tuple(
            FieldChange(name, before.get(name, ""), after.get(name, ""))
            for name in sorted(set(before) | set(after))
            if before.get(name, "") != after.get(name, "")
        )
        edited = row.source_hash is None or _hash(row.data) != row.source_hash
        return ImportPreview(claim, row.version, changes, edited)


def import_yaml(
    store: Store,
    text: str,
    filename: str,
    editor: str,
    expected_version: int | None,
    form_token: str | None = None,
) -> Claim | None:
    """Import one pair in the claims_db/ format (shared by an allied municipality) by the id inside
    it: a new pair (`expected_version` None), or a new version of the stored pair, which must still be
    `expected_version` (the one whose differences the editor confirmed). None for a repeated form."""
    claim = parse_claim(text, Path(f"{_id_inside(text, filename)}.yaml"))
    return save_claim(store, _data(claim), editor, expected_version, form_token)


def claim_history(store: Store, claim_id: str) -> list[ClaimVersionRow]:
    with store.session() as session:
        query = select(ClaimVersionRow).where(ClaimVersionRow.claim_id == claim_id)
        return list(session.scalars(query.order_by(ClaimVersionRow.version.desc())))


def export_yaml(claims: ClaimSet) -> dict[str, str]:
    """File name -> YAML text, in the claims_db/ format."""
    return {f"{claim.id}.yaml": claim.to_yaml() for claim in claims}
