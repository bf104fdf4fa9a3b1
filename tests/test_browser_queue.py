"""The queue in a real headless Chromium (issue 13), in English and German: search (hostile input too),
assign to me, my queue, a note seen by a colleague in a second browser tab, the header's notification
count and marking it read. The set-up of every browser test (tests/browsing.py: Debian's chromium, real
models, the demo scanned, CSRF on); screenshots to tests/artifacts/screenshots/."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib

from browsing import PASSWORD, Server, login, page_of, shoot
from playwright.sync_api import BrowserContext, Page, expect

from factsandwich.accounts import add_user
from factsandwich.dates import utcnow
from factsandwich.errors import AccountError

pytestmark = __import__("pytest").mark.models

WORDS = {
    "en": {
        "my_queue": "My queue",
        "assign_to_me": "Assign to me",
        "add_note": "Add a note",
        "read": "Mark as read",
    },
    "de": {
        "my_queue": "Meine Beiträge",
        "assign_to_me": "Mir zuweisen",
        "add_note": "Notiz hinzufügen",
        "read": "Als gelesen markieren",
    },
}


def person(srv: Server, name: str, language: str) -> str:
    with contextlib.suppress(AccountError):  # made by an earlier test of this module
        add_user(srv.store, name, ["comms"], PASSWORD, language)
    return name


def add_rumour(srv: Server, marker: str) -> None:
    published = utcnow() - dt.timedelta(hours=1)
    srv.store.store_items(
        [
            {
                "source": "https://feeds.example/browser-queue.xml",
                "guid": marker,
                "link": None,
                "title": "",
                "text": f"Gerücht {marker}: die Turnhalle in Musterstadt wird für Geflüchtete gesperrt!",
                "content_hash": hashlib.sha256(f"browser-queue {marker}".encode()).hexdigest(),
                "language": "de",
                "published": published.isoformat() + "Z",
                "published_at": published,
                "myth_probability": 0.95,
                "flagged": True,
                "matches": [],
                "draft": None,
                "top_claim": None,
                "priority": 1.4,
                "places": "Musterstadt",
            }
        ]
    )


def count(page: Page) -> str:
    return page.locator("header .notification-count").inner_text()


def walk_the_queue(srv: Server, context: BrowserContext, language: str) -> None:
    words = WORDS[language]
    marker = f"Q{language.upper()}{hashlib.sha256(language.encode()).hexdigest()[:6]}"
    me = person(srv, f"queue-{language}", language)
    colleague = person(srv, f"colleague-{language}", language)
    page = page_of(context)
    login(page, srv, me)
    page.goto(f"{srv.url}/notifications")
    if page.locator("button.mark-read").count():
        page.click("button.mark-read")  # start from nothing unread
    expect(page.locator("header .notification-count")).to_have_text("0")
    add_rumour(srv, marker)
    page.goto(f"{srv.url}/triage")
    expect(page.locator("header .notification-count")).to_have_text("1")
    # search: the rumour by two of its words; hostile input is a page, never an error
    page.fill("input[name=q]", f"{marker} Turnhalle")
    page.locator("form.filters button").click()
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(marker)
    expect(rows.first.locator(".places")).to_contain_text("Musterstadt")
    for hostile in ('"', "NEAR(", "*", "-", "x" * 600):
        page.fill("input[name=q]", hostile)
        page.locator("form.filters button").click()
        expect(page.locator("main h1")).to_be_visible()
    page.fill("input[name=q]", marker)
    page.locator("form.filters button").click()
    shoot(page, f"queue-search-{language}")
    # assign to me, then my queue holds it
    rows.first.locator("a.item-link").click()
    page.click(f"form.assign-form button:has-text('{words['assign_to_me']}')")
    expect(page.locator("section.assignment p").first).to_contain_text(me)
    page.goto(f"{srv.url}/triage")
    page.click(f"a.my-queue:has-text('{words['my_queue']}')")
    expect(page.locator("main h1")).to_contain_text(words["my_queue"])
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    expect(page.locator("table.queue tbody tr").first).to_contain_text(marker)
    # a note, seen by a colleague in another tab
    page.locator("table.queue tbody tr a.item-link").first.click()
    page.fill("form.note-form textarea", f"Hausmeister {marker} fragen")
    page.click(f"form.note-form button:has-text('{words['add_note']}')")
    expect(page.locator("section.notes .note-text")).to_have_text(f"Hausmeister {marker} fragen")
    item_url = page.url.split("#")[0]
    shoot(page, f"item-notes-{language}")
    # the notification, then read
    page.goto(f"{srv.url}/notifications")
    expect(page.locator("li.notification-item")).to_contain_text(marker)
    shoot(page, f"notifications-{language}")
    page.click(f"button.mark-read:has-text('{words['read']}')")
    expect(page.locator("header .notification-count")).to_have_text("0")
    # a colleague (the same browser, logged in anew) sees the note and the assignment
    other = context.new_page()
    other.context.clear_cookies()
    login(other, srv, colleague)
    other.goto(item_url)
    expect(other.locator("section.notes .note-text")).to_have_text(f"Hausmeister {marker} fragen")
    expect(other.locator("section.assignment p").first).to_contain_text(me)
    other.goto(f"{srv.url}/triage?mine=1")
    expect(other.locator("table.queue tbody tr")).to_have_count(0)  # not the colleague's
    other.close()


def test_queue_search_assignment_notes_notifications_in_english(
    server: Server,
    browser: BrowserContext,
) -> None:
    walk_the_queue(server, browser, "en")


def test_queue_search_assignment_notes_notifications_in_german(
    server: Server,
    browser: BrowserContext,
) -> None:
    walk_the_queue(server, browser, "de")
