"""The parser over every shared test feed: each file is parsed or reported with a message, never raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from factsandwich.config import PROJECT_ROOT
from factsandwich.feeds import FetchLimits, read_source

DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"
CORPORA = [DATASETS / "feedparser_tests" / "tests", DATASETS / "realworld_feeds_fastfeedparser"]


def _files() -> list[Path]:
    return sorted(
        p
        for corpus in CORPORA
        if corpus.is_dir()
        for p in corpus.rglob("*")
        if p.is_file() and p.suffix.lower() not in (".md", ".tsv", ".txt", ".py")
    )


@pytest.mark.skipif(
    not any(c.is_dir() for c in CORPORA), reason=f"shared feed corpora absent under {DATASETS}"
)
def test_every_shared_feed_is_parsed_or_reported() -> None:
    files = _files()
    assert len(files) > 300
    parsed = reported = 0
    for path in files:
        result = read_source(str(path), FetchLimits())  # must not raise
        if result.error:
            assert str(path) in result.error and len(result.error.splitlines()) == 1
            reported += 1
        else:
            parsed += 1
            if "sanitize" in path.parts:  # a script payload is dropped, not turned into text
                for item in result.items:
                    assert "alert(" not in item.text and "javascript:" not in item.text, path
    assert parsed > reported
