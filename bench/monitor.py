"""The monitor end to end, from feeds served on localhost: a first poll, and polls where nothing changed.

Generated feeds (default 1,000 feeds x 20 items: short local news and posts in German and English,
some of them migration myths, every text unique) are served on 127.0.0.1 with ETags (a 304 on a
matching If-None-Match), subscribed in a fresh SQLite store, and polled in-process with
`monitor.poll_due`, the function each monitor round runs:

  1. first poll: every feed is new; items/s over the whole round, and where the time goes (the
     encoders' own time, measured around each model's encode call, and the other stages);
  2. second poll, after the interval, nothing changed: every feed answers 304, nothing is processed,
     no text is encoded;
  3. third poll, after the interval, the same items re-served under new ETags (a feed without
     validators, or one whose channel changed): every item is read again and skipped as stored,
     still nothing is encoded.

Models, the claim index and the classifier are loaded (or trained, into a temporary data directory
unless --data-dir names one to keep them) and the encoders' weights loaded before timing. Last line:
JSON.

    python bench/monitor.py [--feeds 1000] [--items 20] [--encoder fusion|use|minilm] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import hashlib
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import func, select

from factsandwich.config import Settings
from factsandwich.dates import utcnow
from factsandwich.embed import CachedEncoder, Encoder, FusionEncoder
from factsandwich.monitor import poll_due
from factsandwich.pipeline import Factsandwich, ScanSummary
from factsandwich.storage import Store
from factsandwich.storage.tables import EmbeddingRow
from factsandwich.subscriptions import add_feed

TOWNS = {
    "de": [
        "Musterstadt",
        "Lindenau",
        "Bergheim",
        "Talbach",
        "Neustetten",
        "Oberried",
        "Kirchdorf",
        "Auental",
    ],
    "en": [
        "Riverside",
        "Millbrook",
        "Ashford",
        "Kingsbury",
        "Eastwick",
        "Hollowfield",
        "Stonebridge",
        "Fairmead",
    ],
}
STREETS = {
    "de": [
        "Bahnhofstraße",
        "Lindenweg",
        "Marktplatz",
        "Schulstraße",
        "Am Mühlbach",
        "Gartenstraße",
        "Ringstraße",
    ],
    "en": [
        "High Street",
        "Station Road",
        "Church Lane",
        "Mill Road",
        "Park Avenue",
        "Victoria Street",
        "Bridge Row",
    ],
}
DAYS = {
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
}
TEMPLATES = {
    "de": [
        (
            "Bibliothek in {town}",
            "Die Stadtbibliothek in der {street} bleibt am {day} geschlossen; ab nächster Woche ist sie "
            "bis {hour} Uhr geöffnet und bietet {n} neue Hörbücher an.",
        ),
        (
            "Sperrung der {street}",
            "Die Stadtwerke {town} erneuern ab {day} auf {n} Metern die Wasserleitung in der {street}. "
            "Die Umleitung führt über die {street2}.",
        ),
        (
            "Gemeinderat {town}",
            "Der Gemeinderat hat am {day} mit {n} zu {m} Stimmen den Bau einer Kita in der {street} "
            "beschlossen, die {hour} Gruppen Platz bieten soll.",
        ),
        (
            "Sprachcafé",
            "Ehrenamtliche und Neuangekommene treffen sich in {town} jeden {day} um {hour} Uhr in der "
            "{street}; zuletzt kamen {n} Gäste aus {m} Ländern.",
        ),
        (
            "Integrationskurs",
            "Der Integrationskurs der Volkshochschule {town} ist ausgebucht: {n} Teilnehmende lernen "
            "Deutsch, ein zweiter Kurs in der {street} beginnt am {day}.",
        ),
        (
            "Feuerwehreinsatz",
            "Die Feuerwehr {town} wurde am {day}abend zu einem Kellerbrand in der {street} gerufen; {n} "
            "Einsatzkräfte waren vor Ort, verletzt wurde niemand.",
        ),
        (
            "Aus der Nachbarschaftsgruppe",
            "Die kriegen hier alles umsonst, während unsereins in {town} jeden Cent umdrehen muss. Neues "
            "Handy, Wohnung in der {street}, alles vom Amt ({n} Likes).",
        ),
        (
            "Leserbrief",
            "Die nehmen uns die Arbeitsplätze weg: Im Betrieb meines Schwagers in {town} wurden {n} Leute "
            "durch Zugewanderte ersetzt, schreibt ein Leser aus der {street}.",
        ),
        (
            "Beitrag zur Sicherheit",
            "Seit die Flüchtlinge in der {street} wohnen, traut sich in {town} abends keiner mehr raus, "
            "schreibt jemand am {day}; {n} Kommentare darunter.",
        ),
        (
            "Jobcenter-Zahlen",
            "Laut Jobcenter haben in {town} {n} Geflüchtete eine sozialversicherungspflichtige Stelle "
            "angetreten, {m} davon im Handwerk an der {street}.",
        ),
    ],
    "en": [
        (
            "Bus stops for {street}",
            "{town} council approved {n} new bus stops along {street} on {day}; route {m} will be "
            "diverted via {street2} while the work lasts.",
        ),
        (
            "Community kitchen",
            "The community kitchen on {street} in {town} now serves {n} meals a week, cooked by "
            "volunteers from {m} countries every {day} from {hour} pm.",
        ),
        (
            "Housing post",
            "Migrants get council houses before locals, my cousin in {town} waited {n} years for a flat "
            "on {street}. Share if you agree ({m} shares).",
        ),
        (
            "Benefits thread",
            "They only come here for the benefits, everyone in {town} knows it; {n} people were queuing "
            "at the office on {street} last {day}.",
        ),
        (
            "Library hours",
            "{town} library on {street} opens until {hour} pm from {day} and gets {n} new computers, "
            "paid for by {m} local sponsors.",
        ),
        (
            "Road closure",
            "{street} in {town} will be closed for {n} days from {day} for resurfacing; diversions via "
            "{street2} are signposted.",
        ),
        (
            "Football club",
            "{town} Rovers welcomed {n} new players from the refugee centre on {day}; the under-{m} team "
            "trains on {street} at {hour} pm.",
        ),
        (
            "Fact night",
            "At the fact night in {town} town hall on {day}, the council said {n} asylum seekers live in "
            "the district, far fewer than the {m} thousand claimed online.",
        ),
        (
            "Crime thread",
            "Crime went up {n} percent since the hostel opened on {street} in {town}, everybody knows it "
            "({m} replies).",
        ),
        (
            "Jobs post",
            "Refugees are taking our jobs at the warehouse in {town}: {n} of my mates were let go on {day} "
            "and replaced, says a post with {m} likes.",
        ),
    ],
}


def make_feeds(n_feeds: int, n_items: int, seed: int = 4) -> list[list[dict[str, Any]]]:
    """n_feeds x n_items items, every guid, link and text unique."""
    rng = random.Random(seed)
    seen: set[str] = set()
    start = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)
    feeds = []
    for f in range(n_feeds):
        items = []
        for i in range(n_items):
            lang = ("de", "en")[(f + (rng.random() < 0.2)) % 2]
            while True:
                title_t, text_t = rng.choice(TEMPLATES[lang])
                town, town2 = rng.sample(TOWNS[lang], 2)
                street, street2 = rng.sample(STREETS[lang], 2)
                slots = {
                    "town": town,
                    "town2": town2,
                    "street": street,
                    "street2": street2,
                    "day": rng.choice(DAYS[lang]),
                    "n": rng.randint(2, 999),
                    "m": rng.randint(2, 60),
                    "hour": rng.randint(6, 22),
                }
                title, text = title_t.format(**slots), text_t.format(**slots)
                if text not in seen:
                    seen.add(text)
                    break
            items.append(
                {
                    "guid": f"urn:bench:feed{f:04d}:item{i:03d}",
                    "link": f"https://news{f:04d}.example/posts/{i:03d}",
                    "title": title,
                    "text": text,
                    "published": email.utils.format_datetime(start + dt.timedelta(hours=5 * i + f % 24)),
                }
            )
        feeds.append(items)
    return feeds


def rss(f: int, items: list[dict[str, Any]], edition: int) -> bytes:
    entries = "".join(
        f"<item><title>{escape(it['title'])}</title><link>{escape(it['link'])}</link>"
        f'<guid isPermaLink="false">{escape(it["guid"])}</guid><pubDate>{it["published"]}</pubDate>'
        f"<description>{escape(it['text'])}</description></item>\n"
        for it in reversed(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Local news {f:04d}</title><link>https://news{f:04d}.example/</link>"
        f"<description>Edition {edition}</description>\n{entries}</channel></rss>\n"
    ).encode()


class FeedServer:
    """Serves /feeds/NNNN.rss with an ETag per body; counts the answers by status."""

    def __init__(self, feeds: list[list[dict[str, Any]]]) -> None:
        self.feeds = feeds
        self.bodies: dict[str, tuple[bytes, str]] = {}
        self.statuses: Counter[int] = Counter()
        self.lock = threading.Lock()
        self.render(edition=1)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                entry = server.bodies.get(self.path)
                if entry is None:
                    self.send_error(404)
                    return
                body, etag = entry
                status = 304 if self.headers.get("If-None-Match") == etag else 200
                with server.lock:
                    server.statuses[status] += 1
                self.send_response(status)
                self.send_header("ETag", etag)
                if status == 200:
                    self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status == 200:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def render(self, edition: int) -> None:
        for f, items in enumerate(self.feeds):
            body = rss(f, items, edition)
            self.bodies[f"/feeds/{f:04d}.rss"] = (body, '"' + hashlib.sha256(body).hexdigest()[:24] + '"')

    @property
    def urls(self) -> list[str]:
        return [self.base + path for path in self.bodies]

    def take_statuses(self) -> dict[int, int]:
        with self.lock:
            taken = dict(self.statuses)
            self.statuses.clear()
        return taken

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Timers:
    """Wall time spent inside wrapped methods, by stage."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()

    def wrap(self, obj: Any, method: str, stage: str) -> None:
        inner: Callable[..., Any] = getattr(obj, method)
        seconds = self.seconds

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                seconds[stage] += time.perf_counter() - start

        setattr(obj, method, timed)

    def take(self) -> dict[str, float]:
        taken = dict(self.seconds)
        self.seconds.clear()
        return taken


def cached_parts(encoder: Encoder) -> list[CachedEncoder]:
    parts = [enc for enc, _ in encoder.parts] if isinstance(encoder, FusionEncoder) else [encoder]
    return [p for p in parts if isinstance(p, CachedEncoder)]


def count_embeddings(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(EmbeddingRow)) or 0)


def instrument(app: Factsandwich, timers: Timers, skipped: Counter[str]) -> None:
    store = app.store
    assert store is not None
    for part in cached_parts(app.encoder):
        timers.wrap(part.inner, "encode", f"encode {part.name}")
    timers.wrap(store, "get_many", "embedding cache")
    timers.wrap(store, "put_many", "embedding cache")
    timers.wrap(app, "read", "fetch and parse")
    timers.wrap(store, "add_items", "store items")
    timers.wrap(app.matcher, "match", "match claims")
    timers.wrap(app.classifier, "predict_proba", "classify")
    timers.wrap(app.drafts, "render", "drafts")
    select_new = app.select_new

    def counting_select_new(items: Any, summary: ScanSummary) -> Any:
        before = summary.skipped_stored
        start = time.perf_counter()
        try:
            return select_new(items, summary)
        finally:
            timers.seconds["de-duplicate"] += time.perf_counter() - start
            skipped["stored"] += summary.skipped_stored - before

    app.select_new = counting_select_new  # type: ignore[method-assign]


def poll(
    app: Factsandwich, server: FeedServer, timers: Timers, skipped: Counter[str], now: dt.datetime | None
) -> dict[str, Any]:
    parts = cached_parts(app.encoder)
    encoded_before = sum(p.encoded_count for p in parts)
    server.take_statuses()
    timers.take()
    skipped.clear()
    start = time.perf_counter()
    report = poll_due(app, now=now)
    seconds = time.perf_counter() - start
    stages = timers.take()
    encoding = sum(v for k, v in stages.items() if k.startswith("encode "))
    return {
        "feeds": report.sources,
        "processed": report.processed,
        "flagged": report.flagged,
        "not_modified": report.not_modified,
        "failed": len(report.failed),
        "http_status": {str(k): v for k, v in sorted(server.take_statuses().items())},
        "skipped_stored": skipped["stored"],
        "encoded": sum(p.encoded_count for p in parts) - encoded_before,
        "seconds": round(seconds, 2),
        "items_per_s": round(report.processed / seconds, 2) if seconds else 0.0,
        "stages_s": {k: round(v, 2) for k, v in sorted(stages.items(), key=lambda kv: -kv[1])},
        "encode_s": round(encoding, 2),
        "encode_share": round(encoding / seconds, 3) if seconds else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=1000, help="Number of feeds served (default 1000).")
    parser.add_argument("--items", type=int, default=20, help="Items per feed (default 20).")
    parser.add_argument("--encoder", default="fusion", choices=["fusion", "use", "minilm"])
    parser.add_argument("--interval", type=int, default=900, help="Polling interval in seconds.")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="Keep (and reuse) the trained models here; the database is always fresh.",
    )
    args = parser.parse_args()

    feeds = make_feeds(args.feeds, args.items)
    server = FeedServer(feeds)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        settings = Settings.from_env(
            data_dir=data_dir, encoder=args.encoder, database_url=f"sqlite:///{tmp}/monitor.db"
        )
        start = time.perf_counter()
        app = Factsandwich(settings, store=Store(settings.effective_database_url))
        _ = app.claims, app.matcher, app.classifier  # claims sync, index, claim model, classifier
        for part in cached_parts(app.encoder):
            part.inner.encode(["Warm-up: die Stadt plant einen Radweg.", "Warm-up: the council meets."])
        prepare_s = time.perf_counter() - start
        store = app.store
        assert store is not None
        for f, url in enumerate(server.urls):
            add_feed(store, url, f"Local news {f:04d}", None, args.interval)

        cached_before = count_embeddings(store)
        timers, skipped = Timers(), Counter[str]()
        instrument(app, timers, skipped)
        first = poll(app, server, timers, skipped, None)
        # The monitor schedules from the later of its round's clock and the real one: each poll's
        # clock is one interval after the previous one's.
        later = dt.timedelta(seconds=args.interval + 1)
        clock = utcnow() + later
        second = poll(app, server, timers, skipped, clock)
        server.render(edition=2)  # same items, new bodies and ETags
        third = poll(app, server, timers, skipped, max(clock, utcnow()) + later)
        stored = store.count_items()
        cached = count_embeddings(store) - cached_before
        store.engine.dispose()
    server.close()

    served = args.feeds * args.items
    print(
        f"{args.feeds} feeds x {args.items} items = {served} items on localhost; encoder {app.encoder.name}; "
        f"models ready in {prepare_s:.1f} s (not timed)",
        file=sys.stderr,
    )
    print(
        f"first poll:  {first['feeds']} feeds, {first['processed']} items ({first['flagged']} flagged) "
        f"in {first['seconds']:.1f} s = {first['items_per_s']:.1f} items/s; "
        f"{first['encoded']} texts encoded; encoders' own time {first['encode_share']:.0%} of the round",
        file=sys.stderr,
    )
    total = first["seconds"]
    for stage, seconds in first["stages_s"].items():
        print(f"    {stage:<32} {seconds:8.1f} s  {seconds / total:6.1%}", file=sys.stderr)
    rest = total - sum(first["stages_s"].values())
    print(
        f"    {'other':<32} {rest:8.1f} s  {rest / total:6.1%}  (language, scheduling, ...)", file=sys.stderr
    )
    for name, result in (("second poll", second), ("third poll ", third)):
        print(
            f"{name}: {result['feeds']} feeds in {result['seconds']:.1f} s; HTTP {result['http_status']}; "
            f"{result['not_modified']} not modified, {result['skipped_stored']} read and skipped as stored, "
            f"{result['processed']} processed, {result['encoded']} texts encoded",
            file=sys.stderr,
        )
    print(
        f"stored items: {stored} of {served} served; embedding cache rows added by the polls: {cached}",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "encoder": app.encoder.name,
                "feeds": args.feeds,
                "items_per_feed": args.items,
                "items_served": served,
                "items_stored": stored,
                "embedding_cache_rows_added": cached,
                "prepare_s": round(prepare_s, 1),
                "first_poll": first,
                "second_poll_304": second,
                "third_poll_new_etags": third,
            }
        )
    )


if __name__ == "__main__":
    main()
