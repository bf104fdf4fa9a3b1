"""Issue 10, feeds: content is never taken as a file name, a fetch has a total deadline, errors are one
line, an empty feed is named (local files and 127.0.0.1 servers only)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from conftest import etag_feed

from factsandwich.feeds import FetchLimits, read_source

SECRET_RSS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>local</title>
<item><guid>secret-1</guid><title>Secret local file</title><description>private</description></item>
</channel></rss>"""
LIMITS = FetchLimits(max_bytes=200_000, timeout_s=3.0)


@pytest.fixture
def local_feed(tmp_path: Path) -> Path:
    """A local file that parses as a feed: what a hostile feed would try to make us read."""
    path = tmp_path / "secret.xml"
    path.write_bytes(SECRET_RSS)
    return path


def test_feed_file_whose_content_is_a_path_reads_no_local_file(tmp_path: Path, local_feed: Path) -> None:
    evil = tmp_path / "evil.xml"
    evil.write_text(str(local_feed))
    result = read_source(str(evil), LIMITS)
    assert result.items == ()
    assert result.error and "not an RSS/Atom feed" in result.error


def test_http_body_that_is_a_path_reads_no_local_file(http_server, local_feed: Path) -> None:  # type: ignore[no-untyped-def]
    url = http_server({"/feed": etag_feed(str(local_feed).encode())}) + "/feed"
    result = read_source(url, LIMITS)
    assert result.items == () and result.error and "not an RSS/Atom feed" in result.error


def _dripping(where: str, sent: list[int], finished: threading.Event):  # type: ignore[no-untyped-def]
    """A server that sends its headers (or its body) one byte at a time, 200 bytes over about 10 s,
    and records how many it could send before the client hung up."""

    def serve(handler: BaseHTTPRequestHandler) -> None:
        try:
            if where == "headers":
                handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for _ in range(200):
                    handler.wfile.write(b"X")
                    handler.wfile.flush()
                    sent[0] += 1
                    time.sleep(0.05)
                handler.wfile.write(b": y\r\n\r\n")
            else:
                handler.send_response(200)
                handler.end_headers()
                for _ in range(200):
                    handler.wfile.write(b" ")
                    handler.wfile.flush()
                    sent[0] += 1
                    time.sleep(0.05)
        except OSError:
            pass  # the client hung up: what we want
        finally:
            finished.set()

    return serve


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_dripping_server_is_cut_off_at_the_total_deadline(http_server, where: str) -> None:  # type: ignore[no-untyped-def]
    sent = [0]
    finished = threading.Event()
    url = http_server({"/drip": _dripping(where, sent, finished)}) + "/drip"
    result = read_source(url, FetchLimits(max_bytes=200_000, timeout_s=0.5))
    assert result.error and "did not finish within 0.5 s" in result.error
    finished.wait(15)
    # Event-based, not a clock: the client hung up before the server had dripped everything (a socket
    # timeout per read would have waited for all 200 bytes).
    assert sent[0] < 200


def test_redirect_loop_error_is_one_line(http_server) -> None:  # type: ignore[no-untyped-def]
    def loop(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", "/loop")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    result = read_source(http_server({"/loop": loop}) + "/loop", LIMITS)
    assert result.error and "\n" not in result.error and "HTTP 302" in result.error


def test_an_empty_feed_is_named_in_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_bytes(b'<?xml version="1.0"?><rss version="2.0"><channel><title>E</title></channel></rss>')
    result = read_source(str(path), LIMITS)
    assert result.error is None and result.items == ()
    assert any("empty.xml" in w and "no items" in w for w in result.warnings)
    zero = tmp_path / "zero.xml"
    zero.write_bytes(b"")
    result = read_source(str(zero), LIMITS)
    assert result.items == () and (result.error or any("zero.xml" in w for w in result.warnings))
