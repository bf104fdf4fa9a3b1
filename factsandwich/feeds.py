"""Sources of items: RSS/Atom over HTTP (politely, with conditional GET), feed files, directories of
feed files, and `.jsonl`/`.txt` files of posts. Everything becomes frozen `FeedItem`s; nothing here
touches the store, so parsing is testable without I/O beyond the bytes given.
"""

from __future__ import annotations

import calendar
import contextlib
import functools
import http.client
import io
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import feedparser

from factsandwich import __version__
from factsandwich.errors import SourceError
from factsandwich.text import html_to_text, normalise_text

USER_AGENT = f"factsandwich/{__version__} (+https://github.com/factsandwich; municipal myth monitor)"
FEED_SUFFIXES = {".xml", ".rss", ".atom", ".rdf", ".feed"}
POST_SUFFIXES = {".jsonl", ".txt"}


@dataclass(frozen=True)
class FeedItem:
    """One post or article, cleaned: `text` is plain text (no markup), `html` is never kept."""

    source: str
    guid: str | None
    title: str
    link: str | None
    published: str | None
    text: str


@dataclass(frozen=True)
class SourceResult:
    """What one source yielded: items, or an error message; `warnings` for recoverable problems."""

    source: str
    items: tuple[FeedItem, ...] = ()
    error: str | None = None
    not_modified: bool = False
    warnings: tuple[str, ...] = field(default=())
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 10 * 1024 * 1024
    timeout_s: float = 20.0
    max_text_chars: int = 20_000


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def expand_sources(sources: list[str]) -> list[str]:
    """URLs stay; directories become their feed and posts files (sorted); missing paths are errors."""
    expanded: list[str] = []
    for source in sources:
        if is_url(source):
            expanded.append(source)
            continue
        path = Path(source)
        if path.is_dir():
            files = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FEED_SUFFIXES | POST_SUFFIXES
            )
            if not files:
                raise SourceError(f"{source}: directory holds no feed or posts files")
            expanded.extend(str(p) for p in files)
        elif path.is_file():
            expanded.append(source)
        else:
            raise SourceError(f"{source}: no such file, directory or http(s) URL")
    return expanded


def read_source(
    source: str, limits: FetchLimits, etag: str | None = None, last_modified: str | None = None
) -> SourceResult:
    """Read one source; a problem becomes `SourceResult.error`, never an exception."""
    try:
        if is_url(source):
            return fetch_feed(source, limits, etag, last_modified)
        path = Path(source)
        data = _read_capped_file(path, limits.max_bytes)
        if path.suffix.lower() in POST_SUFFIXES:
            return parse_posts(source, data, limits)
        return parse_feed(source, data, limits)
    except SourceError as exc:
        return SourceResult(source, error=str(exc))


def _read_capped_file(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit")
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None


class _Deadline:
    """One fetch's total time budget, shared by every connection it opens (redirects included): when it
    runs out, the open sockets are shut down, so a server that drips bytes, or headers, cannot hold
    the fetch longer than the budget (a socket timeout alone counts per read)."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.expired = False
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return max(0.01, self.at - time.monotonic())

    def guard(self, sock: socket.socket) -> None:
        def expire() -> None:
            self.expired = True
            with contextlib.suppress(OSError):  # closed already
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

        timer = threading.Timer(self.remaining(), expire)
        timer.daemon = True
        with self._lock:
            self._timers.append(timer)
        timer.start()

    def cancel(self) -> None:
        with self._lock:
            for timer in self._timers:
                timer.cancel()


class _DeadlineHTTPConnection(http.client.HTTPConnection):
    """A connection whose socket the fetch's deadline shuts (for HTTPS too, through the subclass)."""

    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        kwargs["timeout"] = deadline.remaining()
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def connect(self) -> None:
        super().connect()
        self._deadline.guard(self.sock)


class _DeadlineHTTPSConnection(_DeadlineHTTPConnection, http.client.HTTPSConnection):
    """The same over TLS: `connect` wraps the socket first, then the deadline guards it."""


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_DeadlineHTTPConnection, deadline=self._deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(
            functools.partial(_DeadlineHTTPSConnection, deadline=self._deadline),
            req,
            context=self._context,  # type: ignore[attr-defined]
        )


def fetch_feed(
    url: str, limits: FetchLimits, etag: str | None = None, last_modified: str | None = None
) -> SourceResult:
    """HTTP GET with ETag/Last-Modified; 304 means not modified. Size and total time (connecting,
    headers, redirects and body together) are capped so that a huge, never-ending or dripping
    response is refused instead of filling memory or holding the caller."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
    if etag:
        request.add_header("If-None-Match", etag)
    if last_modified:
        request.add_header("If-Modified-Since", last_modified)
    deadline = _Deadline(limits.timeout_s)
    opener = urllib.request.build_opener(_DeadlineHTTPHandler(deadline), _DeadlineHTTPSHandler(deadline))
    too_slow = f"{url}: response did not finish within {limits.timeout_s:g} s"
    try:
        with opener.open(request, timeout=limits.timeout_s) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limits.max_bytes:
                raise SourceError(
                    f"{url}: {int(declared) / 1e6:.1f} MB is over the {limits.max_bytes / 1e6:.0f} MB limit"
                )
            chunks: list[bytes] = []
            received = 0
            while chunk := response.read1(64 * 1024):
                received += len(chunk)
                if received > limits.max_bytes:
                    raise SourceError(f"{url}: response is over the {limits.max_bytes / 1e6:.0f} MB limit")
                if time.monotonic() > deadline.at:
                    raise SourceError(too_slow)
                chunks.append(chunk)
            if deadline.expired:  # the guard shut the socket: what was read is incomplete
                raise SourceError(too_slow)
            headers = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return SourceResult(url, not_modified=True, etag=etag, last_modified=last_modified)
        raise SourceError(f"{url}: HTTP {exc.code} {_one_line(exc.reason)}") from None
    except urllib.error.URLError as exc:
        if deadline.expired:
            raise SourceError(too_slow) from None
        raise SourceError(f"{url}: cannot connect ({_one_line(exc.reason)})") from None
    except (TimeoutError, http.client.HTTPException, OSError) as exc:
        if deadline.expired or isinstance(exc, TimeoutError):
            raise SourceError(too_slow) from None
        raise SourceError(f"{url}: connection failed ({_one_line(exc)})") from None
    finally:
        deadline.cancel()
    result = parse_feed(url, b"".join(chunks), limits, response_headers=headers)
    return SourceResult(
        url,
        result.items,
        result.error,
        False,
        result.warnings,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
    )


def _one_line(reason: Any) -> str:
    """An error's reason on one line (a redirect loop's message spans several), at most 200 characters."""
    return " ".join(str(reason).split())[:200]


def parse_feed(
    source: str, data: bytes, limits: FetchLimits, response_headers: dict[str, str] | None = None
) -> SourceResult:
    """Parse RSS/Atom bytes with feedparser (which sanitises HTML); then reduce HTML to plain text."""
    try:
        # A file-like object, never bytes or str: feedparser would try those as a path or URL first, so
        # a feed whose content is "/etc/passwd" or "/dev/zero" would read that local file.
        parsed = feedparser.parse(
            io.BytesIO(data), response_headers=response_headers or {}, sanitize_html=True
        )
    except Exception as exc:  # feedparser's own bugs on hostile input must not end a batch
        raise SourceError(f"{source}: feed parser failed ({type(exc).__name__}: {exc})") from None
    warnings: list[str] = []
    if parsed.get("bozo"):
        problem = _describe(parsed.get("bozo_exception"))
        if not parsed.get("entries") and not parsed.get("version"):
            raise SourceError(f"{source}: not an RSS/Atom feed ({problem})")
        warnings.append(f"{source}: feed is not well-formed, read what could be parsed ({problem})")
    items = tuple(
        item for item in (_entry_to_item(source, e, limits) for e in parsed.get("entries", [])) if item
    )
    if not items:
        warnings.append(f"{source}: feed has no items")
    return SourceResult(source, items, warnings=tuple(warnings))


def _describe(exc: Any) -> str:
    if exc is None:
        return "unknown problem"
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {message}"[:200]


def _entry_to_item(source: str, entry: Any, limits: FetchLimits) -> FeedItem | None:
    title = html_to_text(str(entry.get("title", "")), 500)
    body = ""
    contents = entry.get("content") or []
    if contents:
        body = " ".join(str(c.get("value", "")) for c in contents)
    if not body:
        body = str(entry.get("summary", "") or entry.get("description", ""))
    text = html_to_text(body, limits.max_text_chars)
    link = _http_link(entry.get("link"))
    guid = entry.get("id") or entry.get("guid") or link
    published = None
    for key in ("published_parsed", "updated_parsed"):
        stamp = entry.get(key)
        if stamp:
            published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(calendar.timegm(stamp)))
            break
    return FeedItem(source, str(guid) if guid else None, title, str(link) if link else None, published, text)


def _http_link(value: Any) -> str | None:
    """Only http(s) links are kept: a feed's `javascript:` or `data:` link must not reach a page, a
    report or a ClaimReview export."""
    link = str(value).strip() if value else ""
    return link if link.lower().startswith(("http://", "https://")) and " " not in link else None


def _decode_text(source: str, data: bytes) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; else Windows-1252, with a warning."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), []
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), [f"{source}: not UTF-8, decoded as Windows-1252"]


def parse_posts(source: str, data: bytes, limits: FetchLimits) -> SourceResult:
    """A `.jsonl` file (one object a line: `text`, optional `id`, `title`, `url`/`link`, `published`)
    or a `.txt` file (one post a line). A bad line is reported and skipped; the rest is read."""
    text, warnings = _decode_text(source, data)
    items: list[FeedItem] = []
    is_jsonl = source.lower().endswith(".jsonl")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if not is_jsonl:
            items.append(
                FeedItem(
                    source, f"line-{number}", "", None, None, normalise_text(line, limits.max_text_chars)
                )
            )
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            warnings.append(f"{source}:{number}: not valid JSON ({exc.msg}), line skipped")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            warnings.append(f"{source}:{number}: needs an object with a 'text' string, line skipped")
            continue
        items.append(_post_to_item(source, number, record, limits))
    if not items and not warnings:
        warnings.append(f"{source}: no posts found")
    return SourceResult(source, tuple(items), warnings=tuple(warnings))


def _post_to_item(source: str, number: int, record: dict[str, Any], limits: FetchLimits) -> FeedItem:
    def field_text(*names: str) -> str | None:
        for name in names:
            value = record.get(name)
            if value is not None and str(value).strip():
                return str(value).strip()
        return None

    return FeedItem(
        source=source,
        guid=field_text("id", "guid") or f"line-{number}",
        title=html_to_text(field_text("title") or "", 500),
        link=_http_link(field_text("url", "link")),
        published=field_text("published", "date"),
        text=html_to_text(str(record["text"]), limits.max_text_chars),
    )
