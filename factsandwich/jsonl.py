"""JSON Lines files of labelled records, read with their place (file:line) for error messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from factsandwich.errors import FactsandwichError


def records(directory: Path) -> Iterator[tuple[str, Any]]:
    """(place, record) for every non-empty line of `directory/*.jsonl`, in file order; a line that
    is not JSON is a one-line error naming its place."""
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield f"{path}:{number}", json.loads(line)
            except json.JSONDecodeError as exc:
                raise FactsandwichError(f"{path}:{number}: not JSON ({exc})") from None
