"""Keyboard shortcuts and the phone layout in a real headless Chromium (issue 13): j/k/x/o in the queue,
n/p/d/u on an item, `?` for the help, keys typed into a field stay text, and at 390 px neither the queue
nor an item is wider than the screen. The set-up of every browser test (tests/browsing.py)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from browsing import Server, launch, login, page_of
from playwright.sync_api import BrowserContext, Page, Playwright, expect

pytestmark = __import__("pytest").mark.models

SOURCE = "https://feeds.example/keyboard.xml"
POSTS = (
    "Keyboard one: they get everything for free while pensioners starve.",
    "Keyboard two: a very long unbroken word " + "x" * 400,
    "Keyboard three: they all come for our benefits.",
)


def add_posts(srv: Server) -> None:
    srv.store.add_items(
        [
            {
                "source": SOURCE,
                "guid": f"keyboard-{n}",
                "link": None,
                "title": "",
                "text": text,
                "content_hash": hashlib.sha256(f"keyboard\n{n}".encode()).hexdigest(),
                "language": "en",
                "published": "2026-11-20T09:00:00Z",
                "myth_probability": 0.9,
                "flagged": True,
                "matches": [],
                "draft": None,
                "top_claim": None,
                "priority": 50.0 - n,  # the order of POSTS is the order of the queue
            }
            for n, text in enumerate(POSTS)
        ]
    )


def queue_url(srv: Server) -> str:
    return f"{srv.url}/triage?source={SOURCE}"


def rows(page: Page) -> list[str]:
    return page.locator("table.queue a.item-link").evaluate_all("(links) => links.map((a) => a.pathname)")


def test_the_queue_and_an_item_work_from_the_keyboard(server: Server, browser: BrowserContext) -> None:
    add_posts(server)
    page = page_of(browser)
    login(page, server, "comms")
    page.goto(queue_url(server))
    items = rows(page)
    assert len(items) == 3
    current = page.locator("table.queue tr.current")
    expect(current).to_have_count(0)
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(current).to_contain_text("Keyboard two")
    page.keyboard.press("k")
    expect(current).to_contain_text("Keyboard one")
    page.keyboard.press("x")
    expect(current.locator("input[type=checkbox]")).to_be_checked()
    # A key typed into a field is text, not a shortcut.
    page.locator("input[name=since]").focus()
    page.keyboard.press("j")
    expect(current).to_contain_text("Keyboard one")
    page.locator("h1").click()
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts-help")).to_be_hidden()

    page.keyboard.press("o")
    page.wait_for_url(f"**{items[0]}")
    expect(page.locator("[data-pager=previous]")).to_be_hidden()  # the first item has no previous one
    page.keyboard.press("n")
    page.wait_for_url(f"**{items[1]}")
    page.keyboard.press("n")
    page.wait_for_url(f"**{items[2]}")
    expect(page.locator("[data-pager=next]")).to_be_hidden()
    page.keyboard.press("p")
    page.wait_for_url(f"**{items[1]}")
    page.keyboard.press("d")  # dismiss the second item: back to the queue, with undo
    page.wait_for_url(re.compile(r"/triage\?source="))
    expect(page.locator(".flash")).to_contain_text("1 dismissed")
    assert "source=" in page.url  # the filter the item was opened from is kept
    page.goto(queue_url(server) + "&status=new")
    assert rows(page) == [items[0], items[2]]
    page.goto(f"{server.url}{items[0]}")
    page.keyboard.press("u")
    page.wait_for_url(re.compile(r"/triage\?source=.*status=new"))


def test_r_without_a_chosen_myth_sends_nothing(server: Server, browser: BrowserContext) -> None:
    page = page_of(browser)
    login(page, server, "comms")
    page.goto(queue_url(server))
    first = rows(page)[0]
    page.goto(f"{server.url}{first}")
    page.keyboard.press("r")  # no pair matches: the browser asks for a myth first
    select = page.locator("form.respond-form select[name=claim_id]")
    assert select.evaluate("(s) => s.validity.valueMissing") is True
    assert page.url.endswith(first)


def test_at_390_px_nothing_is_wider_than_the_screen(
    playwright: Playwright,
    server: Server,
    tmp_path: Path,
) -> None:
    context = launch(playwright, tmp_path / "phone-profile", viewport={"width": 390, "height": 844})
    try:
        page = page_of(context)
        login(page, server, "admin")
        for path in (f"/triage?source={SOURCE}", "/triage", "/responses", "/claims", "/dashboard"):
            page.goto(f"{server.url}{path}")
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 391, f"{path} is {wide} px wide at 390 px"
        page.goto(f"{server.url}/triage")
        first_row = page.locator("table.queue tbody tr").first
        box = first_row.bounding_box()
        assert box is not None and box["width"] <= 390  # a row is a card, not a table line
        expect(page.locator("table.queue thead")).to_be_hidden()
        page.locator("table.queue a.item-link").first.click()
        page.wait_for_url("**/items/*")
        assert page.evaluate("document.documentElement.scrollWidth") <= 391
    finally:
        context.close()
