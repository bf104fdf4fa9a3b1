"""Issue 10, the rest of the Low points: an unclosed <svg> keeps the item's text, feed links are
http(s) only, CSV cells never run as formulas, the database file is private, configuration mistakes
and a killed report are handled (files only)."""

from __future__ import annotations

import csv
import io
import os
import signal
import stat
from pathlib import Path

import pytest
from conftest import run_cli

from factsandwich.cli import _Report
from factsandwich.errors import ConfigError
from factsandwich.feeds import FeedItem, FetchLimits, parse_feed, read_source
from factsandwich.files import atomic_output
from factsandwich.index import ClaimMatch
from factsandwich.pipeline import Analysis, ScanRecord
from factsandwich.storage import Store
from factsandwich.text import html_to_text


def test_an_unclosed_svg_does_not_swallow_the_rest_of_the_text() -> None:
    text = html_to_text("<p>Neu in der Stadt.</p><svg/onload=alert(1)>They take our jobs")
    assert "They take our jobs" in text and "alert" not in text and "<" not in text
    assert html_to_text("a<svg><script>steal()</script>rest") == "arest"  # code inside never kept
    assert html_to_text("a<script>var x = 1") == "a"  # an unclosed script is still dropped
    assert html_to_text("a<svg><text>icon</text></svg>b") == "ab"  # a closed one is still dropped


def test_feed_and_post_links_are_http_only(tmp_path: Path) -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><guid>1</guid><title>A</title><link>javascript:alert(1)</link><description>x</description></item>
</channel></rss>"""
    (item,) = parse_feed("f.xml", rss, FetchLimits()).items
    assert item.link is None
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        '{"id": "1", "text": "t", "url": "javascript:alert(1)"}\n{"id": "2", "text": "u", "url": "https://a.example/2"}\n'
    )
    assert [i.link for i in read_source(str(posts), FetchLimits()).items] == [None, "https://a.example/2"]


def test_csv_report_cells_never_run_as_formulas() -> None:
    item = FeedItem(
        "s", "g", '=HYPERLINK("https://evil.example","Klick")', "https://a.example/", None, "+1 text"
    )
    record = ScanRecord(item, Analysis("de", 0.9, True, (ClaimMatch("jobs-taken", 0.7, "m", True),), None))
    buffer = io.StringIO()
    _Report(buffer, "csv").write(record)
    (row,) = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert row["title"].startswith("'=") and row["text"] == "'+1 text"
    assert row["link"] == "https://a.example/"


def test_the_database_file_is_created_private(tmp_path: Path) -> None:
    Store(f"sqlite:///{tmp_path / 'data' / 'factsandwich.db'}")
    assert stat.S_IMODE((tmp_path / "data" / "factsandwich.db").stat().st_mode) == 0o600


def test_configuration_mistakes_are_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="driver 'postgresql\\+nosuchdriver'"):
        Store("postgresql+nosuchdriver://u@127.0.0.1/db")
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    monkeypatch.setenv("FACTSANDWICH_DATA_DIR", str(not_a_dir / "data"))
    monkeypatch.delenv("FACTSANDWICH_DATABASE_URL", raising=False)
    code, _out, err = run_cli("feeds", "list")
    assert code == 1 and err.startswith("Error: cannot create the database") and err.count("\n") == 1


def test_a_terminated_report_leaves_no_part_file(tmp_path: Path) -> None:
    out = tmp_path / "report.jsonl"
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit), atomic_output(out) as handle:
        handle.write("{}\n")
        os.kill(os.getpid(), signal.SIGTERM)
    assert not out.exists() and not (tmp_path / "report.jsonl.part").exists()
    assert signal.getsignal(signal.SIGTERM) == before  # the handler is only there while writing
