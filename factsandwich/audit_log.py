"""The audit log made readable: an entry's before and after as the fields that changed, "old → new",
nested values written out as text and long texts as a line diff, so an admin reads what happened
instead of JSON with escapes. (The claims' number audit sheet is `audit.py`, another concept.)"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from typing import Any

from factsandwich.storage.values import AuditEntry

# Longer than this, or with a line break, a text is shown as a line diff rather than old → new.
LONG_TEXT = 120
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclasses.dataclass(frozen=True)
class DiffLine:
    """One line of a long text's diff: `kind` is "same", "removed" or "added"."""

    kind: str
    text: str


@dataclasses.dataclass(frozen=True)
class FieldChange:
    """One field of an entry: its old and new value as text ("" when absent), or `lines` for a long
    text (then old and new are empty)."""

    field: str
    old: str
    new: str
    lines: tuple[DiffLine, ...] = ()


def as_text(value: Any) -> str:
    """A stored value as a person reads it: text as it is, lists joined by commas, nested objects
    as "key: value" pairs, ✓ or ✗ for yes or no, "" for none (no JSON quotes or \\u escapes)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(as_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {as_text(v)}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False)


def _lines(text: str) -> list[str]:
    """A text cut into lines to compare: its own lines, long ones at sentence ends."""
    return [part for line in text.splitlines() for part in _SENTENCE_END.split(line) if part] or [""]


def line_diff(old: str, new: str) -> tuple[DiffLine, ...]:
    kinds = {" ": "same", "-": "removed", "+": "added"}
    return tuple(
        DiffLine(kinds[line[0]], line[2:])
        for line in difflib.ndiff(_lines(old), _lines(new))
        if line[0] in kinds
    )


def changes(entry: AuditEntry) -> tuple[FieldChange, ...]:
    """The entry's fields in their recorded order: those whose value changed, and, for an entry that
    only creates or only removes, every field it recorded."""
    before, after = entry.before or {}, entry.after or {}
    found = []
    for field in [*before, *(k for k in after if k not in before)]:
        old, new = as_text(before.get(field)), as_text(after.get(field))
        if old == new and before and after:
            continue
        if max(len(old), len(new)) > LONG_TEXT or "\n" in old or "\n" in new:
            found.append(FieldChange(field, "", "", line_diff(old, new)))
        else:
            found.append(FieldChange(field, old, new))
    return tuple(found)
