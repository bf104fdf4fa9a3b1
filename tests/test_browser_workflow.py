"""The review workflow in a real headless Chromium (issue 13): what only a browser shows. Two tabs
drafting one item, the approve button while the checks fail, no preselected pair without a match,
a 3 MB paste that is refused with the text kept, a long unbroken word that does not widen the page,
and the way back to the filtered queue with a message and undo. Same server and browser set-up as
tests/browsing.py (Debian's chromium, real models, CSRF on)."""

from __future__ import annotations

import hashlib
from typing import Any

from browsing import Server, login, page_of
from playwright.sync_api import BrowserContext, Page, expect

from factsandwich import triage
from factsandwich.storage.tables import ItemRow, ResponseRow

pytestmark = __import__("pytest").mark.models

CONFIDENT = [
    {"claim_id": "jobs-taken", "score": 0.9, "confidence": 0.95, "matched_text": "jobs", "confident": True}
]


def add_item(srv: Server, guid: str, text: str, matches: list[dict[str, Any]], priority: float = 9.0) -> int:
    srv.store.add_items(
        [
            {
                "source": "https://feeds.example/browser-workflow.xml",
                "guid": guid,
                "link": None,
                "title": f"Workflow {guid}",
                "text": text,
                "content_hash": hashlib.sha256(f"workflow\n{guid}".encode()).hexdigest(),
                "language": "en",
                "published": "2026-11-20T09:00:00Z",
                "myth_probability": 0.99,
                "flagged": True,
                "matches": matches,
                "draft": None,
                "top_claim": matches[0]["claim_id"] if matches else None,
                "priority": priority,
            }
        ]
    )
    with srv.store.session() as session:
        return int(session.query(ItemRow.id).filter_by(guid=guid).scalar())


def draft_for(srv: Server, item_id: int) -> int:
    claim = srv.core.claims.get("jobs-taken")
    assert claim is not None
    response_id = triage.send_to_response(
        srv.store, item_id, claim, srv.core.drafts, "comms", f"bw-{item_id}"
    )
    assert response_id is not None
    return response_id


def responses_of(srv: Server, item_id: int) -> list[ResponseRow]:
    with srv.store.session() as session:
        return list(session.query(ResponseRow).filter_by(item_id=item_id))


def page_is_not_wider_than_the_window(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_two_tabs_sending_one_item_make_one_draft(server: Server, browser: BrowserContext) -> None:
    item_id = add_item(server, "tabs", "They take our jobs, all of them.", CONFIDENT)
    first = page_of(browser)
    login(first, server, "comms")
    second = browser.new_page()  # the same person, a second tab
    for tab in (first, second):
        tab.goto(f"{server.url}/items/{item_id}")
        assert tab.locator("form.respond-form select[name=claim_id]").input_value() == "jobs-taken"
    first.locator("form.respond-form button").click()
    first.wait_for_url("**/triage*")
    expect(first.locator(".flash")).to_contain_text("Sent to the spokespeople")
    second.locator("form.respond-form button").click()
    second.wait_for_url(f"**/items/{item_id}")
    expect(second.locator(".flash-error")).to_have_text(
        "This item has a response already; no second one was drafted."
    )
    assert len(responses_of(server, item_id)) == 1


def test_an_item_without_a_match_cannot_be_sent_with_a_pair_nobody_chose(
    server: Server,
    browser: BrowserContext,
) -> None:
    item_id = add_item(server, "nomatch", "Something about the new bus timetable and migrants.", [])
    page = page_of(browser)
    login(page, server, "comms")
    page.goto(f"{server.url}/items/{item_id}")
    expect(page.locator(".no-match")).to_contain_text("No matching myth")
    select = page.locator("form.respond-form select[name=claim_id]")
    assert select.input_value() == ""
    page.locator("form.respond-form button").click()  # the browser refuses: a myth must be chosen
    assert select.evaluate("(s) => s.validity.valueMissing") is True
    assert page.url.endswith(f"/items/{item_id}") and responses_of(server, item_id) == []


def test_approve_waits_for_the_checks_and_a_huge_paste_keeps_its_text(
    server: Server,
    browser: BrowserContext,
) -> None:
    item_id = add_item(server, "approve", "They take our jobs.", CONFIDENT)
    response_id = draft_for(server, item_id)
    page = page_of(browser)
    login(page, server, "spokesperson")
    page.goto(f"{server.url}/responses/{response_id}")
    form = page.locator("form[data-counter-form]")
    parts = {
        "fact": "Migrants fill jobs that stay empty otherwise.",
        "warning": "A myth goes around:",
        "myth": "they take our jobs.",
        "fallacy": "Jobs are not a fixed cake. " * 12,  # over 280 characters in all
        "fact_repeat": "Work creates more work.",
    }
    for name, value in parts.items():
        form.locator(f"textarea[name={name}]").fill(value)
    expect(page.locator("[data-count]")).to_have_class("over")
    form.locator("button").click()
    expect(page.locator(".flash")).to_have_text("Saved.")
    expect(page.locator("ul.saved-problems")).to_contain_text("over the 280 allowed")
    expect(page.locator("form.approve-form button")).to_be_disabled()

    # 3 MB pasted into a part: not sent, said why, and every character is still in the form
    pasted = 3 * 1024 * 1024
    page.locator("textarea[name=fallacy]").evaluate(
        "(t, n) => { t.value = 'x'.repeat(n); t.dispatchEvent(new Event('input', {bubbles: true})); }", pasted
    )
    url = page.url
    page.locator("form[data-counter-form] button").click()
    expect(page.locator("[data-too-long]")).to_be_visible()
    assert page.url == url
    assert page.locator("textarea[name=fallacy]").evaluate("(t) => t.value.length") == pasted
    assert page_is_not_wider_than_the_window(page)
    with server.store.session() as session:
        row = session.get(ResponseRow, response_id)
        assert row is not None and row.version == 2  # only the one real save

    # shortened: saved, the checks pass, approve is possible
    page.locator("textarea[name=fallacy]").fill("Jobs are not a fixed cake.")
    page.locator("form[data-counter-form] button").click()
    expect(page.locator(".flash")).to_have_text("Saved.")
    page.locator("form.approve-form button").click()
    expect(page.locator("strong.approver")).to_have_text("spokesperson")


def test_a_long_unbroken_word_does_not_widen_the_pages(server: Server, browser: BrowserContext) -> None:
    word = "Asylbewerberleistungsgesetz" * 2000  # 54,000 characters without a space
    item_id = add_item(server, "longword", f"Look: {word} and more.", CONFIDENT)
    page = page_of(browser)
    login(page, server, "admin")
    for path in (f"/items/{item_id}", "/triage"):
        page.goto(f"{server.url}{path}")
        assert page_is_not_wider_than_the_window(page), path


def test_dismiss_returns_to_the_filtered_page_with_undo(server: Server, browser: BrowserContext) -> None:
    ids = [
        add_item(server, f"q{n:02d}", f"Queue post {n} about jobs.", CONFIDENT, priority=8 - n / 100)
        for n in range(30)
    ]
    page = page_of(browser)
    login(page, server, "comms")
    queue = f"{server.url}/triage?status=new&source=https%3A%2F%2Ffeeds.example%2Fbrowser-workflow.xml&page=2"
    page.goto(queue)
    target = ids[27]
    page.click(f"a.item-link[href='/items/{target}']")
    dismiss = page.locator(f"form[action='/items/{target}/dismiss']")
    dismiss.locator("select[name=reason]").select_option("duplicate")
    dismiss.locator("button").click()
    page.wait_for_url(queue)
    expect(page.locator(".flash")).to_contain_text("1 dismissed.")
    assert page.locator(f"a.item-link[href='/items/{target}']").count() == 0
    page.locator(".flash button.undo").click()
    page.wait_for_url(queue)
    expect(page.locator(".flash")).to_have_text("Undone: 1.")
    assert page.locator(f"a.item-link[href='/items/{target}']").count() == 1
