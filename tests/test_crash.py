"""Crash safety of the monitor: killed with SIGKILL at random points and restarted, it loses no item
and processes none twice.

Twenty RSS feeds of 25 items each (short local news and posts in German and English, some of them
migration myths) are served on 127.0.0.1 with ETags (a 304 on If-None-Match), like real feeds. The
feeds grow while the test runs, as news feeds do: in each round some feeds gain items, others stay
as they were (and answer 304). Each round makes the polling interval pass (every subscription is
due again), starts `factsandwich monitor` with the real pipeline and the fast real encoder (`use`),
and kills it with SIGKILL after a random time: mostly while it is polling, a few times while it is
still starting. After the last round every feed shows all its items and the monitor runs one round
to completion. Then the stored items must be exactly the served ones, each once and complete, and
SQLite must find its database intact.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import update

from factsandwich.config import Settings
from factsandwich.dates import utcnow
from factsandwich.pipeline import Factsandwich
from factsandwich.storage import Store
from factsandwich.storage.tables import ItemRow, SubscriptionRow
from factsandwich.subscriptions import add_feed, list_feeds

pytestmark = pytest.mark.models

FEEDS = 20
ITEMS = 25
KILLS = 24
SEED = 20261125

# -- the feeds ------------------------------------------------------------------------------------

TOWNS_DE = ["Musterstadt", "Lindenau", "Bergheim", "Talbach", "Neustetten", "Oberried", "Kirchdorf"]
STREETS_DE = ["Bahnhofstraße", "Lindenweg", "Marktplatz", "Schulstraße", "Am Mühlbach", "Gartenstraße"]
DAYS_DE = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"]
MONTHS_DE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "September", "Oktober"]
TOWNS_EN = ["Riverside", "Millbrook", "Ashford", "Kingsbury", "Eastwick", "Hollowfield", "Stonebridge"]
STREETS_EN = ["High Street", "Station Road", "Church Lane", "Mill Road", "Park Avenue", "Victoria Street"]
DAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "September", "October"]

GERMAN = [
    (
        "Bibliothek geschlossen",
        "Die Stadtbibliothek in der {street} in {town} bleibt am {day} wegen Renovierung geschlossen. "
        "Ab dem {n}. {month} gelten neue Öffnungszeiten bis {hour} Uhr.",
    ),
    (
        "Sperrung der {street}",
        "Die Stadtwerke {town} erneuern ab {day} auf {n} Metern die Wasserleitung in der {street}. "
        "Die Umleitung führt über die {street2}, Buslinie {m} hält an einer Ersatzhaltestelle.",
    ),
    (
        "Gemeinderat beschließt Kita",
        "Der Gemeinderat {town} hat am {day} mit {n} zu {m} Stimmen den Bau einer Kita in der {street} "
        "beschlossen. Sie soll {hour} Gruppen Platz bieten.",
    ),
    (
        "Sprachcafé im Begegnungszentrum",
        "Ehrenamtliche und Neuangekommene treffen sich in {town} jeden {day} um {hour} Uhr im "
        "Begegnungszentrum in der {street}. Zuletzt kamen {n} Gäste aus {m} Ländern.",
    ),
    (
        "Integrationskurs ausgebucht",
        "Der Integrationskurs der Volkshochschule {town} ist ausgebucht: {n} Teilnehmende lernen seit "
        "{month} Deutsch, ein zweiter Kurs in der {street} beginnt im Herbst.",
    ),
    (
        "Wochenmarkt erweitert",
        "Ab {day} stehen {n} Stände auf dem Wochenmarkt in {town}, neu dabei ist ein Imker aus "
        "{town2}. Der Markt in der {street} öffnet um {hour} Uhr.",
    ),
    (
        "Kellerbrand in der {street}",
        "Die Feuerwehr {town} wurde am {day}abend zu einem Kellerbrand in der {street} gerufen. "
        "{n} Einsatzkräfte waren vor Ort, verletzt wurde niemand.",
    ),
    (
        "Jobcenter-Zahlen für {town}",
        "Laut Jobcenter haben im {month} in {town} {n} Geflüchtete eine sozialversicherungspflichtige "
        "Stelle angetreten, {m} davon im Handwerk.",
    ),
    (
        "Kommentar aus der Nachbarschaftsgruppe",
        "Die kriegen hier alles umsonst, während unsereins in {town} jeden Cent umdrehen muss. Neues "
        "Handy, Wohnung in der {street}, alles vom Amt, hat mir ein Nachbar erzählt ({n} Likes).",
    ),
    (
        "Leserbrief zur Arbeit",
        "Die nehmen uns die Arbeitsplätze weg: Im Betrieb meines Schwagers in {town} wurden {n} Leute "
        "durch Zugewanderte ersetzt, schreibt ein Leser aus der {street}.",
    ),
    (
        "Post: Kriminalität",
        "Seit die Flüchtlinge in der {street} wohnen, traut sich in {town} abends keiner mehr raus. "
        "Das sagt doch jeder hier, {n} Kommentare unter dem Beitrag vom {day}.",
    ),
    (
        "Stadtfest am {day}",
        "Beim Stadtfest in {town} präsentieren sich {n} Vereine rund um den {street}, der Eintritt ist "
        "frei. Das Feuerwerk beginnt um {hour} Uhr.",
    ),
]

ENGLISH = [
    (
        "New bus stops on {street}",
        "{town} council approved {n} new bus stops along {street} on {day}; work starts in {month} "
        "and route {m} will be diverted via {street2}.",
    ),
    (
        "Community kitchen",
        "The community kitchen on {street} in {town} now serves {n} meals a week. Volunteers from {m} "
        "countries cook every {day} from {hour} pm.",
    ),
    (
        "Housing post",
        "Migrants get council houses before locals, my cousin in {town} waited {n} years for a flat on "
        "{street}. Share if you agree ({m} shares).",
    ),
    (
        "Comment on the benefits thread",
        "They only come here for the benefits, everyone in {town} knows it. Saw it again on {street} "
        "last {day}, {n} people queuing at the office.",
    ),
    (
        "Library hours",
        "{town} library on {street} extends its opening hours to {hour} pm from {day}; {n} new "
        "computers arrive in {month}.",
    ),
    (
        "Road closure",
        "{street} in {town} will be closed for {n} days from {day} for resurfacing. Diversions via "
        "{street2} are signposted.",
    ),
    (
        "Football club welcomes new players",
        "{town} Rovers welcomed {n} new players from the refugee centre this {day}; the under-{m} team "
        "trains on {street} at {hour} pm.",
    ),
    (
        "Town hall fact night",
        "At the fact night in {town} town hall on {day}, the council said {n} asylum seekers live in "
        "the district, far fewer than the {m} thousand claimed online.",
    ),
    (
        "Crime thread",
        "Crime went up {n} percent since the hostel opened on {street} in {town}, everybody knows it, "
        "the papers just will not say it ({m} replies).",
    ),
    (
        "Recycling centre rules",
        "The recycling centre on {street}, {town}, changes its rules for garden waste from {n} {month}; "
        "vans need a permit, open until {hour} pm.",
    ),
    (
        "Jobs post",
        "Refugees are taking our jobs at the warehouse in {town}, {n} of my mates were let go on {day} "
        "and replaced, says a post with {m} likes.",
    ),
    (
        "Choir concert",
        "The {town} community choir sings with {n} singers from {m} nations at St Mary's on {street} "
        "this {day} at {hour} pm, entry by donation.",
    ),
]


@dataclass(frozen=True)
class Item:
    guid: str
    link: str
    title: str
    text: str
    published: dt.datetime


def _fill(rng: random.Random, template: str, german: bool) -> str:
    towns, streets, days, months = (
        (TOWNS_DE, STREETS_DE, DAYS_DE, MONTHS_DE) if german else (TOWNS_EN, STREETS_EN, DAYS_EN, MONTHS_EN)
    )
    town, town2 = rng.sample(towns, 2)
    street, street2 = rng.sample(streets, 2)
    return template.format(
        town=town,
        town2=town2,
        street=street,
        street2=street2,
        day=rng.choice(days),
        month=rng.choice(months),
        n=rng.randint(2, 480),
        m=rng.randint(2, 40),
        hour=rng.randint(6, 11) if not german else rng.randint(8, 22),
    )


def make_feeds(rng: random.Random) -> list[list[Item]]:
    """FEEDS feeds of ITEMS items; every guid, link and text unique (so is every content hash)."""
    seen: set[str] = set()
    start = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)
    feeds: list[list[Item]] = []
    for f in range(FEEDS):
        items: list[Item] = []
        for i in range(ITEMS):
            german = (rng.random() < 0.8) == (f % 2 == 0)  # mostly the feed's language, some mixed
            while True:
                title_t, text_t = rng.choice(GERMAN if german else ENGLISH)
                title, text = _fill(rng, title_t, german), _fill(rng, text_t, german)
                key = " ".join(f"{title}\n{text}".casefold().split())
                if key not in seen:
                    seen.add(key)
                    break
            items.append(
                Item(
                    guid=f"urn:lokal:feed{f:02d}:post{i:02d}",
                    link=f"https://news{f:02d}.example/posts/{i:02d}",
                    title=title,
                    text=text,
                    published=start + dt.timedelta(hours=7 * i + f),
                )
            )
        feeds.append(items)
    return feeds


def rss(f: int, items: list[Item]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(it.title)}</title><link>{escape(it.link)}</link>"
        f'<guid isPermaLink="false">{escape(it.guid)}</guid>'
        f"<pubDate>{email.utils.format_datetime(it.published)}</pubDate>"
        f"<description>{escape(it.text)}</description></item>\n"
        for it in reversed(items)  # newest first, as feeds are
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Lokalnachrichten {f:02d}</title><link>https://news{f:02d}.example/</link>"
        f"<description>Local news {f:02d}</description>\n{entries}</channel></rss>\n"
    ).encode()


def growth_schedule(rng: random.Random) -> list[list[int]]:
    """[f][r]: how many items feed f shows in round r; non-decreasing, all of them from the
    last three rounds on. Feeds start empty, partly or full, and then gain 0 to 6 items a round."""
    schedule = []
    for _ in range(FEEDS):
        shown = rng.choice([0, 3, 8, 14, ITEMS])
        rounds = []
        for r in range(KILLS + 1):
            if r >= KILLS - 3:
                shown = ITEMS
            elif r:
                shown = min(ITEMS, shown + rng.choice([0, 0, 0, 1, 2, 4, 6]))
            rounds.append(shown)
        schedule.append(rounds)
    return schedule


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def use_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the classifier and the claim index for the `use` encoder (built once)."""
    data_dir = tmp_path_factory.mktemp("use-models")
    app = Factsandwich(Settings(data_dir=data_dir, encoder="use"))
    app.train()
    _ = app.matcher
    return data_dir


# -- the test -------------------------------------------------------------------------------------


def test_monitor_killed_at_random_points_loses_nothing_and_repeats_nothing(
    use_models: Path, tmp_path: Path, http_server: Callable[..., str]
) -> None:
    rng = random.Random(SEED)
    feeds = make_feeds(rng)
    schedule = growth_schedule(rng)
    state = {"round": 0}
    requests: list[tuple[int, int, int]] = []  # (round, feed, status)

    def route(f: int) -> Callable[[BaseHTTPRequestHandler], None]:
        def serve(handler: BaseHTTPRequestHandler) -> None:
            r = state["round"]
            body = rss(f, feeds[f][: schedule[f][r]])
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            status = 304 if handler.headers.get("If-None-Match") == etag else 200
            requests.append((r, f, status))
            handler.send_response(status)
            handler.send_header("ETag", etag)
            if status == 200:
                handler.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if status == 200:
                handler.wfile.write(body)

        return serve

    base = http_server({f"/feeds/{f:02d}.rss": route(f) for f in range(FEEDS)})
    urls = [f"{base}/feeds/{f:02d}.rss" for f in range(FEEDS)]
    db_path = tmp_path / "crash.db"
    store = Store(f"sqlite:///{db_path}")
    for f, url in enumerate(urls):
        assert add_feed(store, url, f"Lokalnachrichten {f:02d}", None, interval_s=3600)

    env = {
        **os.environ,
        "FACTSANDWICH_DATA_DIR": str(use_models),
        "FACTSANDWICH_DATABASE_URL": f"sqlite:///{db_path}",
        "FACTSANDWICH_ENCODER": "use",
        "HF_HUB_OFFLINE": "1",
    }

    def stored_guids() -> dict[str, set[str]]:
        found: dict[str, set[str]] = {url: set() for url in urls}
        for row in store.list_items():
            found.setdefault(row.source, set()).add(row.guid or "")
        return found

    def make_due() -> None:
        """As if the polling interval had passed (and the lease of a poll that was killed had run
        out): every feed is due again."""
        with store.session() as session:
            session.execute(update(SubscriptionRow).values(next_poll=utcnow()))

    def monitor(args: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as err:
            return subprocess.Popen(
                [sys.executable, "-m", "factsandwich.cli", "monitor", *args],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
            )

    def wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
        deadline = time.monotonic() + 120
        while not condition():
            assert process.poll() is None, f"the monitor ended on its own\n{log.read_text()}"
            assert time.monotonic() < deadline, f"the monitor made no progress\n{log.read_text()}"
            time.sleep(0.002)

    def requested(r: int, n: int) -> Callable[[], bool]:
        return lambda: sum(rr == r for rr, _, _ in requests) >= n

    def polled(r: int, f: int) -> Callable[[], bool]:
        return lambda: any(rr == r and ff == f for rr, ff, _ in requests)

    counts = [0]
    grew = interrupted = 0
    modes: Counter[str] = Counter()
    for r in range(KILLS):
        state["round"] = r
        make_due()
        stored = stored_guids()
        fresh = [
            f for f in range(FEEDS) if not {i.guid for i in feeds[f][: schedule[f][r]]} <= stored[urls[f]]
        ]
        log = tmp_path / f"monitor-{r:02d}.log"
        process = monitor(["--idle", "0.2"], log)

        mode = rng.choices(["start-up", "processing", "polling", "any time"], [3, 9, 4, 4])[0]
        if mode == "processing" and not fresh:
            mode = "polling"
        modes[mode] += 1
        if mode == "start-up":  # claims sync, models loading
            time.sleep(rng.uniform(0.2, 2.5))
        elif mode == "processing":  # a feed with new items was fetched: kill while it is processed
            wait_for(polled(r, rng.choice(fresh)), process, log)
            time.sleep(rng.uniform(0.0, 0.15))
        elif mode == "polling":  # after the n-th request of the round: between or inside polls
            wait_for(requested(r, rng.randint(1, FEEDS)), process, log)
            time.sleep(rng.uniform(0.0, 0.3))
        else:  # any moment in the first seconds of polling, idle included
            wait_for(requested(r, 1), process, log)
            time.sleep(rng.uniform(0.0, 4.0))
        alive = process.poll() is None
        process.kill()
        process.wait(30)
        assert alive, f"round {r}: the monitor ended on its own\n{log.read_text()}"
        assert "Traceback" not in log.read_text(), log.read_text()

        stored = stored_guids()
        counts.append(sum(len(g) for g in stored.values()))
        grew += counts[-1] > counts[-2]
        fetched = {f for rr, f, status in requests if rr == r and status == 200}
        shown = {f: {it.guid for it in feeds[f][: schedule[f][r]]} for f in fetched}
        interrupted += any(not shown[f] <= stored[urls[f]] for f in fetched)

    # Every feed now shows all its items; one round to completion polls every feed.
    state["round"] = KILLS
    make_due()
    log = tmp_path / "monitor-final.log"
    final = monitor(["--idle", "0", "--rounds", "1"], log)
    assert final.wait(180) == 0, log.read_text()
    assert "Traceback" not in log.read_text(), log.read_text()
    assert {f for rr, f, _ in requests if rr == KILLS} == set(range(FEEDS))
    assert all(feed.last_success and feed.error_count == 0 for feed in list_feeds(store))
    assert all(feed.next_poll > utcnow() for feed in list_feeds(store))

    # The kills hit a working monitor: items were stored between kills, and polls were cut short.
    print(
        f"item counts after each kill: {counts[1:]}; {interrupted} kill(s) cut a poll short; "
        f"kills by moment: {dict(modes)}"
    )
    assert grew >= 5, counts
    assert interrupted >= 3, f"only {interrupted} kill(s) interrupted a poll; counts {counts}"

    # Exactly the served items, each once, each complete.
    served = {(urls[f], it.guid): it for f in range(FEEDS) for it in feeds[f]}  # all items, in the end
    rows: list[ItemRow] = store.list_items()
    keys = [(row.source, row.guid) for row in rows]
    duplicates = [key for key, n in Counter(keys).items() if n > 1]
    assert not duplicates, f"processed twice: {duplicates[:5]}"
    missing = set(served) - set(keys)
    lost = Counter(source for source, _ in missing)
    last_answer = {urls[f]: status for rr, f, status in requests if rr == KILLS}
    assert not missing, (
        f"{len(missing)} item(s) lost; per feed: lost items and the HTTP status of its last poll: "
        f"{ {url: (n, last_answer.get(url)) for url, n in lost.items()} }"
    )
    assert not set(keys) - set(served), "items that were never served"
    assert len(rows) == FEEDS * ITEMS
    for row in rows:
        item = served[(row.source, row.guid)]
        assert (row.title, row.link, row.text) == (item.title, item.link, item.text)
        assert row.language in ("de", "en")
        assert isinstance(row.matches, list)
        assert all({"claim_id", "score"} <= set(m) for m in row.matches)
        assert row.myth_probability is not None and 0.0 <= row.myth_probability <= 1.0
        assert isinstance(row.flagged, bool)
        drafted = row.flagged and row.matches and row.matches[0]["confidence"] >= Settings().suggest_threshold
        if drafted:  # a stored item is whole: its draft came with it
            assert isinstance(row.draft, dict) and row.draft.get("text"), row.guid
        else:
            assert row.draft is None, row.guid
        assert row.content_hash and row.fetched_at is not None
    assert sum(row.flagged for row in rows) > 0  # the myths among the posts were recognised

    store.engine.dispose()
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
