"""The myth/fact pairs as editors share them: a pair file from an allied office previewed (field by
field) and imported by the id inside it, and the live pairs exported in the claims_db/ format. The
live copy itself is stored by storage/claims.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from factsandwich.claims import Claim, ClaimSet, parse_claim
from factsandwich.storage import Database
from factsandwich.storage.claims import locally_edited, save_claim, stored_claim

__all__ = ["FieldChange", "ImportPreview", "export_yaml", "import_yaml", "preview_import"]


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


def preview_import(store: Database, text: str, filename: str) -> ImportPreview:
    """Validate a shared pair (by the id inside it) and compare it with the stored one, field by field."""
    claim = parse_claim(text, Path(f"{_id_inside(text, filename)}.yaml"))
    stored = stored_claim(store, claim.id)
    if stored is None:
        return ImportPreview(claim, None, (), False)
    data, version, source_hash = stored
    before, after = _flat(data), _flat(claim.to_dict())
    changes = tuple(
        FieldChange(name, before.get(name, ""), after.get(name, ""))
        for name in sorted(set(before) | set(after))
        if before.get(name, "") != after.get(name, "")
    )
    return ImportPreview(claim, version, changes, locally_edited(data, source_hash))


def import_yaml(
    store: Database,
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
    return save_claim(store, claim.to_dict(), editor, expected_version, form_token)


def export_yaml(claims: ClaimSet) -> dict[str, str]:
    """File name -> YAML text, in the claims_db/ format."""
    return {f"{claim.id}.yaml": claim.to_yaml() for claim in claims}
