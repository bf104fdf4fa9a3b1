"""Issue 10, fact-check imports: deeply nested JSON is a bad record (skipped and named with its line)
or, for a whole document, a one-line error; never a RecursionError that ends the import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factsandwich.errors import FactCheckError
from factsandwich.fact_checks import read_fact_checks

GOOD = {"id": "1", "claim": "Refugees get more money than pensioners.", "rating": "False"}


def test_a_deeply_nested_line_is_skipped_and_named(tmp_path: Path) -> None:
    path = tmp_path / "checks.jsonl"
    bomb = "[" * 100_000 + "]" * 100_000
    nested = "[" * 500 + json.dumps(GOOD) + "]" * 500  # parses, but is no record
    lines = [json.dumps(GOOD), bomb, nested, json.dumps({**GOOD, "id": "2"})]
    path.write_text("\n".join(lines) + "\n")
    read = read_fact_checks(path, "snopes")
    assert [f.external_id for f in read.fact_checks] == ["1", "2"]
    assert any(":2:" in p and "nested too deeply" in p for p in read.problems)
    assert any(":3:" in p and "nested more than" in p for p in read.problems)


def test_a_deeply_nested_document_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "checks.json"
    path.write_text('{"@graph": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    with pytest.raises(FactCheckError) as error:
        read_fact_checks(path, "snopes")
    assert "\n" not in str(error.value)
