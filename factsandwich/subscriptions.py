"""The feeds an office watches: add, list, remove, and exchange them as OPML (how feed readers
share subscriptions). Each feed's fetch state (last success, last error, error count) comes from the
store; the monitor (monitor.py) decides when to poll next."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

from factsandwich.errors import SubscriptionError
from factsandwich.feeds import is_url
from factsandwich.storage import Store
from factsandwich.storage.values import Subscription

MIN_INTERVAL_S = 60
MAX_INTERVAL_S = 7 * 24 * 3600  # a week: a feed polled more rarely is not monitored
MAX_URL_CHARS = 2048  # the column's size


def add_feed(
    store: Store,
    url: str,
    name: str | None = None,
    language: str | None = None,
    interval_s: int = 900,
    actor: str = "cli",
) -> bool:
    """Subscribe; False when the URL is subscribed already (nothing changes)."""
    url = check_feed_url(url)
    if not MIN_INTERVAL_S <= interval_s <= MAX_INTERVAL_S:
        raise SubscriptionError(
            f"the interval must be between {MIN_INTERVAL_S} seconds (polite polling) and "
            f"{MAX_INTERVAL_S} seconds (a week); {interval_s} given"
        )
    if language not in (None, "de", "en"):
        raise SubscriptionError("language must be de or en")
    return store.add_subscription(url, name, language, interval_s, actor)


def check_feed_url(url: str) -> str:
    """The URL without surrounding blanks; refused when it is not a plain http(s) URL with a host
    (spaces, line breaks or control characters inside, too long)."""
    url = url.strip()
    shown = url if len(url) <= 200 else url[:200] + "…"
    if not is_url(url) or len(url) > MAX_URL_CHARS:
        raise SubscriptionError(f"{shown!r} is not an http(s) feed URL")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise SubscriptionError(f"{shown!r} contains spaces or line breaks; percent-encode them (%20)")
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    if not host:
        raise SubscriptionError(f"{shown!r} names no host")
    return url


def remove_feed(store: Store, url: str, actor: str = "cli") -> bool:
    return store.remove_subscription(url, actor)


def list_feeds(store: Store) -> list[Subscription]:
    return store.list_subscriptions()


def import_opml(store: Store, data: bytes, actor: str = "cli") -> tuple[int, int]:
    """Subscribe to every feed outline (xmlUrl) of an OPML file; returns (added, already there)."""
    try:
        root = ET.fromstring(data)  # expat resolves no external entities and limits expansion
    except ET.ParseError as exc:
        raise SubscriptionError(f"not an OPML file: {exc}") from None
    if root.tag != "opml":
        raise SubscriptionError("not an OPML file: the root element is not <opml>")
    added = existing = 0
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl")
        if not url or not is_url(url):
            continue
        name = outline.get("title") or outline.get("text")
        if add_feed(store, url, name, None, 900, actor):
            added += 1
        else:
            existing += 1
    return added, existing


def export_opml(store: Store) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head><title>factsandwich feeds</title></head>",
        "  <body>",
    ]
    for feed in list_feeds(store):
        lines.append(
            f'    <outline type="rss" text={quoteattr(feed.name)} title={quoteattr(feed.name)} '
            f"xmlUrl={quoteattr(feed.url)}/>"
        )
    lines += ["  </body>", "</opml>"]
    return "\n".join(lines) + "\n"
