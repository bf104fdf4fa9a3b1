"""The dashboard's figures (statistics.dashboard over storage/statistics.py) on SQLite and PostgreSQL:
flagged items per myth and publication week (first seen when there is no date), open against handled
and dismissed, the labels, time from first seen to approval (median, 90th percentile), top sources by
the names the queue shows; and the page in German and English, with a period that cannot be read.
The fake encoder: nothing here encodes a text."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo
from typing import Any

import pytest
from conftest import BOTH_DATABASES
from flask import Flask

from factsandwich import statistics
from factsandwich.accounts import add_user
from factsandwich.pipeline import Factsandwich
from factsandwich.storage import Store
from factsandwich.storage.tables import ResponseRow, SubscriptionRow
from factsandwich.trends import IsoWeek
from webui import create_app
from webui.dashboard import duration, number

UNTIL = dt.date(2026, 11, 25)  # a Wednesday of ISO week 48
SPAN = statistics.period(UNTIL, 4, dt.UTC)  # weeks 45 to 48 of 2026
FEED = "https://feeds.example/local.xml"
PASSWORD = "correct horse battery"


def store_of(app: Factsandwich) -> Store:
    assert isinstance(app.store, Store)
    return app.store


def add(
    app: Factsandwich,
    guid: str,
    claim: str | None,
    *,
    published: dt.datetime | None,
    fetched: dt.datetime = dt.datetime(2026, 11, 25, 12),
    status: str = "new",
    label: str | None = None,
    source: str = FEED,
    flagged: bool = True,
) -> int:
    """A stored item as a scan (and later the office) left it; returns its id."""
    row: dict[str, Any] = {
        "source": source,
        "guid": guid,
        "link": None,
        "title": "",
        "text": f"Post {guid}",
        "content_hash": hashlib.sha256(guid.encode()).hexdigest(),
        "language": "en",
        "published": published.isoformat() + "Z" if published else None,
        "published_at": published,
        "fetched_at": fetched,
        "myth_probability": 0.9,
        "flagged": flagged,
        "matches": [],
        "draft": None,
        "top_claim": claim,
        "priority": 0.5,
        "status": status,
        "label": label,
    }
    store_of(app).add_items([row])
    (item,) = [i for i in store_of(app).list_items() if i.guid == guid]
    return item.id


def approve(
    app: Factsandwich, item_id: int, claim: str, approved_at: dt.datetime | None, status: str
) -> None:
    with store_of(app).session() as session:
        session.add(
            ResponseRow(
                item_id=item_id,
                claim_id=claim,
                language="en",
                channel="short",
                tone="factual",
                status=status,
                parts={},
                text="",
                approved_by="speaker" if approved_at else None,
                approved_at=approved_at,
            )
        )


def board(app: Factsandwich, language: str = "en", span: statistics.Period = SPAN) -> statistics.Dashboard:
    return statistics.dashboard(store_of(app), app.claims, language, span)


def myth(data: statistics.Dashboard, claim_id: str | None) -> statistics.MythCounts:
    (found,) = [m for m in data.myths if m.claim_id == claim_id]
    return found


def test_the_period_is_whole_iso_weeks_up_to_the_week_of_the_day() -> None:
    assert SPAN.weeks == tuple(IsoWeek(2026, n) for n in (45, 46, 47, 48))
    assert (SPAN.start, SPAN.end) == (dt.datetime(2026, 11, 2), dt.datetime(2026, 11, 30))
    berlin = statistics.period(UNTIL, 1, zoneinfo.ZoneInfo("Europe/Berlin"))
    assert (berlin.start, berlin.end) == (dt.datetime(2026, 11, 22, 23), dt.datetime(2026, 11, 29, 23))
    across_new_year = statistics.period(dt.date(2027, 1, 6), 2, dt.UTC)
    assert across_new_year.weeks == (IsoWeek(2026, 53), IsoWeek(2027, 1))
    for weeks, until in ((0, UNTIL), (4, dt.date(9999, 12, 31)), (4, dt.date(1, 1, 2))):
        with pytest.raises(ValueError):
            statistics.period(until, weeks, dt.UTC)


@BOTH_DATABASES
def test_counts_per_myth_and_publication_week(fake_app: Factsandwich) -> None:
    add(fake_app, "j1", "jobs-taken", published=dt.datetime(2026, 11, 24, 8))
    add(fake_app, "j2", "jobs-taken", published=dt.datetime(2026, 11, 29, 23, 59))  # Sunday of week 48
    add(fake_app, "j3", "jobs-taken", published=dt.datetime(2026, 11, 10), fetched=dt.datetime(2026, 11, 25))
    add(fake_app, "w1", "welfare-magnet", published=dt.datetime(2026, 11, 17))
    add(fake_app, "w2", "welfare-magnet", published=None, fetched=dt.datetime(2026, 11, 3))  # first seen
    add(fake_app, "n1", None, published=dt.datetime(2026, 11, 26))
    # outside the period by publication, though fetched inside it; not flagged; after the period
    add(fake_app, "old", "jobs-taken", published=dt.datetime(2026, 10, 20), fetched=dt.datetime(2026, 11, 25))
    add(fake_app, "calm", "jobs-taken", published=dt.datetime(2026, 11, 24), flagged=False)
    add(fake_app, "later", "jobs-taken", published=dt.datetime(2026, 11, 30))

    data = board(fake_app)
    assert [m.claim_id for m in data.myths] == ["jobs-taken", "welfare-magnet", None]  # unmatched last
    assert myth(data, "jobs-taken").per_week == (0, 1, 0, 2)
    assert myth(data, "welfare-magnet").per_week == (1, 0, 1, 0)
    assert myth(data, None).per_week == (0, 0, 0, 1)
    assert [w.flagged for w in data.weeks] == [1, 1, 1, 3] and data.peak == 2
    # the myth's wording in the reader's language, not its slug
    assert myth(data, "jobs-taken").name == "Migrants are taking our jobs."
    assert myth(board(fake_app, "de"), "jobs-taken").name == "Migranten nehmen uns die Arbeitsplätze weg."
    assert myth(data, None).name is None
    # a week in the office's time zone: Sunday 23:59 UTC is Monday in Berlin, after the period
    berlin = statistics.period(UNTIL, 4, zoneinfo.ZoneInfo("Europe/Berlin"))
    assert myth(board(fake_app, span=berlin), "jobs-taken").per_week == (0, 1, 0, 1)


@BOTH_DATABASES
def test_open_against_handled_and_dismissed_with_the_labels(fake_app: Factsandwich) -> None:
    week_47, week_48 = dt.datetime(2026, 11, 17), dt.datetime(2026, 11, 24)
    add(fake_app, "a", "jobs-taken", published=week_48)
    add(fake_app, "b", "jobs-taken", published=week_48, status="misinformation", label="misinformation")
    add(fake_app, "c", "jobs-taken", published=week_48, status="responding", label="disinformation")
    add(fake_app, "d", "jobs-taken", published=week_48, status="handled", label="misinformation")
    add(fake_app, "e", "crime", published=week_47, status="dismissed")
    add(fake_app, "f", "crime", published=week_47, status="dismissed")
    add(fake_app, "g", "crime", published=week_47, status="handled")

    data = board(fake_app)
    w47, w48 = data.weeks[2], data.weeks[3]
    assert (w48.open, w48.handled, w48.dismissed) == (3, 1, 0)  # a label leaves the item open
    assert (w48.misinformation, w48.disinformation) == (2, 1)  # the label outlives the status
    assert (w47.open, w47.handled, w47.dismissed, w47.misinformation) == (0, 1, 2, 0)
    assert (data.weeks[0].flagged, data.weeks[1].flagged) == (0, 0)
    jobs = myth(data, "jobs-taken")
    assert (jobs.open, jobs.misinformation, jobs.disinformation) == (3, 2, 1)
    assert myth(data, "crime").open == 0


@BOTH_DATABASES
def test_time_to_approval_from_first_seen_median_and_90th_percentile(fake_app: Factsandwich) -> None:
    seen = dt.datetime(2026, 11, 24, 8)
    published = seen - dt.timedelta(days=20)  # days before the scan are not the office's time
    for n, hours in enumerate((1, 2, 3, 4, 10)):
        item = add(fake_app, f"j{n}", "jobs-taken", published=seen, fetched=seen, status="handled")
        approve(fake_app, item, "jobs-taken", seen + dt.timedelta(hours=hours), "approved")
    late = add(fake_app, "w", "welfare-magnet", published=published + dt.timedelta(days=18), fetched=seen)
    approve(fake_app, late, "welfare-magnet", seen + dt.timedelta(days=3), "approved")
    approve(fake_app, late, "welfare-magnet", seen + dt.timedelta(days=5), "approved")  # later: not counted
    waiting = add(fake_app, "d", "welfare-magnet", published=seen)
    approve(fake_app, waiting, "welfare-magnet", None, "draft")
    rejected = add(fake_app, "r", "crime", published=seen)
    approve(fake_app, rejected, "crime", None, "rejected")

    data = board(fake_app)
    jobs = myth(data, "jobs-taken").to_approval
    assert (jobs.count, jobs.median) == (5, dt.timedelta(hours=3))
    assert jobs.p90 == dt.timedelta(hours=4 + 0.6 * 6)  # between the 4th and 5th of five: linear
    welfare = myth(data, "welfare-magnet").to_approval
    assert (welfare.count, welfare.median, welfare.p90) == (1, dt.timedelta(days=3), dt.timedelta(days=3))
    assert myth(data, "crime").to_approval == statistics.Durations(0, None, None)
    overall = data.to_approval
    assert (overall.count, overall.median) == (6, dt.timedelta(hours=3.5))
    assert overall.p90 == dt.timedelta(hours=10 + 0.5 * (72 - 10))


@BOTH_DATABASES
def test_top_sources_by_the_names_the_queue_shows(fake_app: Factsandwich) -> None:
    with store_of(fake_app).session() as session:
        session.add(SubscriptionRow(url=FEED, name="Stadtanzeiger Musterstadt"))
    week_48 = dt.datetime(2026, 11, 24)
    for n in range(3):
        add(fake_app, f"feed{n}", "crime", published=week_48, status="dismissed" if n else "new")
    for n, folder in enumerate(("/srv/exports/a", "/srv/exports/b")):  # one name: the file's
        add(fake_app, f"file{n}", "crime", published=week_48, source=f"{folder}/forum.xml")
    for n in range(11):
        add(
            fake_app, f"other{n}", "crime", published=week_48, source=f"https://www.other{n:02d}.example/feed"
        )

    sources = board(fake_app).sources
    assert len(sources) == statistics.TOP_SOURCES
    assert [(s.name, s.flagged, s.open) for s in sources[:3]] == [
        ("Stadtanzeiger Musterstadt", 3, 1),
        ("forum.xml", 2, 2),
        ("other00.example/feed", 1, 1),
    ]
    assert not any("/srv/" in s.name for s in sources)


def test_numbers_and_durations_the_german_and_the_english_way() -> None:
    assert (number(1234567, "de"), number(1234567, "en")) == ("1.234.567", "1,234,567")
    assert (number(2.5, "de", 1), number(2.5, "en", 1)) == ("2,5", "2.5")
    assert duration(dt.timedelta(days=2, hours=12), "de") == "2,5 Tage"
    assert duration(dt.timedelta(hours=3, minutes=30), "en") == "3.5 h"
    assert duration(dt.timedelta(minutes=45), "de") == "45 Min."
    assert duration(None, "de") == "–"


@pytest.fixture
def web(fake_app: Factsandwich) -> Flask:
    add_user(store_of(fake_app), "de-reader", ["comms"], PASSWORD, "de")
    add_user(store_of(fake_app), "en-reader", ["comms"], PASSWORD, "en")
    return create_app(
        {"TESTING": True, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False}, core=fake_app
    )


def page(web: Flask, name: str, query: str) -> str:
    client = web.test_client()
    assert client.post("/login", data={"name": name, "password": PASSWORD}).status_code == 302
    response = client.get(f"/dashboard{query}")
    assert response.status_code == 200
    return response.data.decode()


def row(html: str, claim: str) -> tuple[str, list[str]]:
    """A myth's name and printed counts in the chart of flagged items per week."""
    chart = html.split('class="chart myth-weeks"', 1)[1].split("</table>", 1)[0]
    cells = chart.split(f'data-claim="{claim}"', 1)[1].split("</tr>", 1)[0]
    name = re.search(r'<th scope="row"[^>]*>([^<]+)</th>', cells)
    assert name is not None
    return name.group(1), re.findall(r'<span class="count">([^<]+)</span>', cells)


def test_the_page_in_german_and_english_with_a_chosen_period(web: Flask, fake_app: Factsandwich) -> None:
    seen = dt.datetime(2026, 11, 24, 8)
    store_of(fake_app).add_items(
        [
            {
                "source": FEED,
                "guid": f"bulk{n}",
                "title": "",
                "text": f"Post {n}",
                "content_hash": hashlib.sha256(f"bulk{n}".encode()).hexdigest(),
                "language": "de",
                "published_at": seen,
                "fetched_at": seen,
                "myth_probability": 0.9,
                "flagged": True,
                "matches": [],
                "top_claim": "jobs-taken",
                "priority": 0.5,
            }
            for n in range(1234)
        ]
    )
    item = add(fake_app, "w", "welfare-magnet", published=dt.datetime(2026, 11, 10), fetched=seen)
    approve(fake_app, item, "welfare-magnet", seen + dt.timedelta(days=2, hours=12), "approved")
    german = page(web, "de-reader", "?weeks=4&until=2026-11-25")
    assert row(german, "jobs-taken") == (
        "Migranten nehmen uns die Arbeitsplätze weg.",
        ["0", "0", "0", "1.234"],
    )
    assert row(german, "welfare-magnet") == (
        "Die kommen doch nur wegen der Sozialleistungen.",
        ["0", "1", "0", "0"],
    )
    assert "KW 48" in german and "2,5 Tage" in german and 'id="flagged-count">1.235<' in german
    english = page(web, "en-reader", "?weeks=4&until=2026-11-25")
    assert row(english, "jobs-taken") == ("Migrants are taking our jobs.", ["0", "0", "0", "1,234"])
    assert "W48" in english and "2.5 days" in english
    # by default the last 8 weeks; a period that cannot be read is said so, and the default shown
    assert page(web, "de-reader", "").count("data-week=") == statistics.DEFAULT_WEEKS
    for query in ("?weeks=5", "?weeks=many", "?until=tomorrow", "?weeks=4&until=9999-12-31"):
        shown = page(web, "de-reader", query)
        assert "Dieser Zeitraum lässt sich nicht lesen" in shown and shown.count("data-week=") == 8, query
    assert "nicht lesen" not in page(web, "de-reader", "?weeks=4&until=2026-11-25")


def test_the_page_counts_weeks_in_the_office_time_zone(web: Flask, fake_app: Factsandwich) -> None:
    """FACTSANDWICH_TIMEZONE (default Europe/Berlin): a post at 23:30 UTC on Sunday of week 47 is
    00:30 on Monday in Berlin, so the page counts it in week 48 (in UTC it would be week 47)."""
    assert fake_app.settings.timezone == "Europe/Berlin"
    add(fake_app, "late", "jobs-taken", published=dt.datetime(2026, 11, 22, 23, 30))
    german = page(web, "de-reader", "?weeks=4&until=2026-11-25")
    assert row(german, "jobs-taken")[1] == ["0", "0", "0", "1"]
    assert "KW 48" in german and "23. Nov." in german  # the week's Monday, Babel's German day
    assert "Nov 23" in page(web, "en-reader", "?weeks=4&until=2026-11-25")
