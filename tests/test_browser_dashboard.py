"""The dashboard in a real headless Chromium (issue 13), in German and in English: a few items of two
myths, a period chosen in the form, counts printed per myth and publication week (an item without a date
in the week it was first seen), the myths in words, open against dismissed after a dismissal in a second
tab, time to approval and the top sources by name; screenshots of both languages. Browser set-up of
tests/browsing.py (Debian's chromium, real models, CSRF on); a server of its own, so that the counts
are exactly these items'."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import PASSWORD, Server, login, page_of, real_core, serve, shoot
from playwright.sync_api import BrowserContext, Page, expect

from factsandwich.accounts import add_user
from factsandwich.storage import Store
from factsandwich.storage.tables import ResponseRow

pytestmark = pytest.mark.models

FEED = "https://feeds.example/stadtanzeiger.xml"
FORUM = "/srv/exports/buergerforum/forum.xml"
SEEN = dt.datetime(2026, 11, 25, 9)  # when the scan first saw them: Wednesday of ISO week 48
# (guid, myth, published, source); the weeks of the period are 45 to 48 of 2026
POSTS: list[tuple[str, str, dt.datetime | None, str]] = [
    ("jobs-48a", "jobs-taken", dt.datetime(2026, 11, 23, 7), FEED),
    ("jobs-48b", "jobs-taken", dt.datetime(2026, 11, 24, 18), FORUM),
    ("jobs-46", "jobs-taken", dt.datetime(2026, 11, 11, 12), FEED),
    ("welfare-47", "welfare-magnet", dt.datetime(2026, 11, 18, 8), FEED),
    ("welfare-undated", "welfare-magnet", None, FEED),  # counts in the week it was first seen
]


def add_posts(store: Store) -> dict[str, int]:
    store.add_items(
        [
            {
                "source": source,
                "guid": guid,
                "link": None,
                "title": "",
                "text": f"Dashboard post {guid}",
                "content_hash": hashlib.sha256(f"dashboard\n{guid}".encode()).hexdigest(),
                "language": "de",
                "published": published.isoformat() + "Z" if published else None,
                "published_at": published,
                "fetched_at": SEEN,
                "myth_probability": 0.9,
                "flagged": True,
                "matches": [],
                "draft": None,
                "top_claim": claim,
                "priority": 0.9,
                "status": "handled" if guid == "jobs-48a" else "new",
            }
            for guid, claim, published, source in POSTS
        ]
    )
    return {item.guid or "": item.id for item in store.list_items()}


@pytest.fixture(scope="module")
def server(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real app on 127.0.0.1 with only the posts above, a named feed, and one approved answer
    (2.5 days after the office first saw its post)."""
    core = real_core(real_data_dir, tmp_path_factory.mktemp("browser-dashboard"))
    assert isinstance(core.store, Store)
    add_user(core.store, "redaktion", ["comms"], PASSWORD, "de")
    add_user(core.store, "press", ["comms"], PASSWORD, "en")
    core.store.add_subscription(FEED, "Stadtanzeiger Musterstadt", "de", 900, "admin")
    ids = add_posts(core.store)
    with core.store.session() as session:
        session.add(
            ResponseRow(
                item_id=ids["jobs-48a"],
                claim_id="jobs-taken",
                language="de",
                channel="short",
                tone="factual",
                status="approved",
                parts={},
                text="",
                approved_by="press",
                approved_at=SEEN + dt.timedelta(days=2, hours=12),
            )
        )
    with serve(core) as running:
        yield running


def choose_period(page: Page, srv: Server, label: str, button: str) -> None:
    """The period of the posts, chosen in the dashboard's form: 4 weeks up to 25 November 2026."""
    page.goto(f"{srv.url}/dashboard")
    page.get_by_label(label).select_option("4")
    page.fill("input[name=until]", "2026-11-25")
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/dashboard?weeks=4&until=2026-11-25")


def myth_row(page: Page, claim: str) -> tuple[str, list[str]]:
    """A myth's name and its printed counts per week, as the reader sees them."""
    row = page.locator(f"table.myth-weeks tbody tr[data-claim='{claim}']")
    expect(row).to_be_visible()
    counts = row.locator("td.bar .count")
    assert all(counts.nth(n).is_visible() for n in range(counts.count()))  # printed, not on hover
    return row.locator("th").inner_text(), counts.all_inner_texts()


def week_row(page: Page, week: int) -> list[str]:
    """Open, handled, dismissed, misinformation, disinformation of one week."""
    return page.locator(f"table.status-weeks tr[data-week='2026-W{week}'] td.num").all_inner_texts()


def no_csp_violations(page: Page) -> None:
    assert page.evaluate("window.__csp") == []


def test_the_dashboard_in_german_and_english(server: Server, browser: BrowserContext) -> None:
    page = page_of(browser)
    login(page, server, "redaktion")
    choose_period(page, server, "Zeitraum", "Anzeigen")
    expect(page.locator("table.myth-weeks thead")).to_contain_text("KW 45")
    assert page.locator("table.myth-weeks thead th.week").all_inner_texts()[-1].startswith("KW 48")
    assert myth_row(page, "jobs-taken") == (
        "Migranten nehmen uns die Arbeitsplätze weg.",
        ["0", "1", "0", "2"],
    )
    assert myth_row(page, "welfare-magnet") == (
        "Die kommen doch nur wegen der Sozialleistungen.",
        ["0", "0", "1", "1"],
    )
    assert page.locator("table.myth-weeks tfoot td.count").all_inner_texts() == ["0", "1", "1", "3"]
    assert week_row(page, 47) == ["1", "0", "0", "0", "0"]
    assert week_row(page, 48) == ["2", "1", "0", "0", "0"]
    expect(page.locator("#median-approval")).to_have_text("2,5 Tage")
    sources = page.locator("#top-sources tbody tr")
    assert sources.nth(0).inner_text().split("\t") == ["Stadtanzeiger Musterstadt", "4", "3"]
    assert sources.nth(1).inner_text().split("\t") == ["forum.xml", "1", "1"]
    expect(page.locator("#top-sources")).not_to_contain_text("/srv/")
    no_csp_violations(page)
    shoot(page, "dashboard_de")

    # a second tab dismisses the week-47 post: on reload the first tab counts it as dismissed
    ids: dict[str, Any] = {i.guid: i.id for i in server.store.list_items()}
    second = browser.new_page()
    second.goto(f"{server.url}/items/{ids['welfare-47']}")
    second.locator("form.dismiss-form button").click()
    expect(second.locator(".flash")).to_contain_text("1 verworfen")
    second.close()
    page.reload()
    assert week_row(page, 47) == ["0", "0", "1", "0", "0"]
    assert myth_row(page, "welfare-magnet")[1] == ["0", "0", "1", "1"]  # still flagged in its week
    expect(page.locator("#open-count")).to_have_text("3")

    page.click("header form[action='/logout'] button")
    page.wait_for_url("**/login")
    login(page, server, "press")
    choose_period(page, server, "Period", "Show")
    assert myth_row(page, "jobs-taken") == ("Migrants are taking our jobs.", ["0", "1", "0", "2"])
    assert myth_row(page, "welfare-magnet") == ("They only come here for the benefits.", ["0", "0", "1", "1"])
    assert page.locator("table.myth-weeks thead th.week").all_inner_texts()[-1].startswith("W48")
    expect(page.locator("#median-approval")).to_have_text("2.5 days")
    assert week_row(page, 47) == ["0", "0", "1", "0", "0"]
    no_csp_violations(page)
    shoot(page, "dashboard_en")
