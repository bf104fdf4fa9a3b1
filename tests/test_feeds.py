from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from conftest import DEMO, etag_feed

from factsandwich.feeds import USER_AGENT, FetchLimits, expand_sources, fetch_feed, read_source

LIMITS = FetchLimits(max_bytes=200_000, timeout_s=3.0)
RSS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>
<item><guid>a1</guid><title>Erster</title><link>https://x.example/1</link>
<description>&lt;p&gt;Text &lt;script&gt;alert(1)&lt;/script&gt;eins&lt;/p&gt;</description>
<pubDate>Mon, 23 Nov 2026 10:00:00 +0100</pubDate></item></channel></rss>"""


def test_demo_feeds_parse_with_guids_and_plain_text() -> None:
    for path in sorted((DEMO / "feeds").iterdir()):
        result = read_source(str(path), LIMITS)
        assert result.error is None, result.error
        assert len(result.items) >= 10
        for item in result.items:
            assert item.guid and item.link and item.published and item.text
            assert "<" not in item.text or "<" in item.text.replace("<", "")  # no markup survives
            assert "onerror" not in item.text and "<script" not in item.text


def test_hostile_demo_entry_is_neutralised() -> None:
    result = read_source(str(DEMO / "feeds" / "buergerforum-musterstadt.atom"), LIMITS)
    hostile = next(i for i in result.items if i.guid and i.guid.endswith("post-5104"))
    assert "alert" not in hostile.text and "javascript:" not in hostile.text


def test_feed_item_fields_and_sanitised_text(tmp_path: Path) -> None:
    path = tmp_path / "f.xml"
    path.write_bytes(RSS)
    (item,) = read_source(str(path), LIMITS).items
    assert (item.guid, item.title, item.link) == ("a1", "Erster", "https://x.example/1")
    assert item.published == "2026-11-23T09:00:00Z"
    assert item.text == "Text eins"


def test_broken_feed_is_an_error_not_an_exception(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_bytes(b"<html><body>Oops, 502 Bad Gateway</body>")
    result = read_source(str(path), LIMITS)
    assert result.items == () and result.error and "broken.xml" in result.error


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    path.write_bytes(RSS + b" " * LIMITS.max_bytes)
    result = read_source(str(path), LIMITS)
    assert result.error and "limit" in result.error


def test_posts_files_jsonl_and_txt_with_bad_lines(tmp_path: Path) -> None:
    jsonl = tmp_path / "posts.jsonl"
    jsonl.write_text('{"id": "p1", "text": "Erster Post"}\nnot json\n{"text": 5}\n\n{"text": "Zweiter"}\n')
    result = read_source(str(jsonl), LIMITS)
    assert [i.text for i in result.items] == ["Erster Post", "Zweiter"]
    assert [i.guid for i in result.items] == ["p1", "line-5"]
    assert len(result.warnings) == 2 and ":2:" in result.warnings[0]

    txt = tmp_path / "posts.txt"
    txt.write_bytes("Grüße aus Köln\nzweite Zeile\n".encode("cp1252"))
    result = read_source(str(txt), LIMITS)
    assert [i.text for i in result.items] == ["Grüße aus Köln", "zweite Zeile"]
    assert result.warnings and "Windows-1252" in result.warnings[0]


def test_mislabelled_encoding_in_feed_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "latin.xml"
    path.write_bytes(RSS.replace(b"utf-8", b"iso-8859-1").replace(b"Erster", "Übergroß".encode("latin-1")))
    (item,) = read_source(str(path), LIMITS).items
    assert item.title == "Übergroß"


def test_expand_sources_reports_missing_path(tmp_path: Path) -> None:
    import pytest

    from factsandwich.errors import SourceError

    with pytest.raises(SourceError, match="no such file"):
        expand_sources([str(tmp_path / "nope.xml")])
    assert expand_sources([str(DEMO / "feeds")]) == sorted(str(p) for p in (DEMO / "feeds").iterdir())


def test_http_conditional_get_and_user_agent(http_server) -> None:  # type: ignore[no-untyped-def]
    seen: list[dict[str, str]] = []

    feed = etag_feed(RSS, last_modified="Mon, 23 Nov 2026 10:00:00 GMT", seen=seen)

    url = http_server({"/feed": feed}) + "/feed"
    first = fetch_feed(url, LIMITS)
    assert len(first.items) == 1 and first.etag == '"v1"'
    second = fetch_feed(url, LIMITS, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.items == () and second.error is None
    assert seen[0]["User-Agent"] == USER_AGENT
    assert seen[1]["If-Modified-Since"] == "Mon, 23 Nov 2026 10:00:00 GMT"


def test_http_errors_oversize_and_endless_responses(http_server) -> None:  # type: ignore[no-untyped-def]
    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()
        for _ in range(100):
            handler.wfile.write(b"<rss>" + b"x" * 10_000)

    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()
        try:
            for _ in range(200):
                handler.wfile.write(b"<!-- -->")
                handler.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    base = http_server({"/huge": huge, "/endless": endless})
    limits = FetchLimits(max_bytes=200_000, timeout_s=1.0)
    assert "HTTP 404" in (read_source(base + "/missing", limits).error or "")
    assert "limit" in (read_source(base + "/huge", limits).error or "")
    assert "did not finish" in (read_source(base + "/endless", limits).error or "")
    assert "cannot connect" in (read_source("http://127.0.0.1:9/feed", limits).error or "")
