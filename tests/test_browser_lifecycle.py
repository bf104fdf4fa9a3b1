"""The response lifecycle in a real headless Chromium (issue 13), in German and in English, under the
two-person rule: a comms officer sends an item, a spokesperson edits it with the live checks showing
the problems before anything is saved, submits it and cannot approve it alone, a second spokesperson
approves it and records where it was posted, and the comms officer follows it in "my sent items"; a
rejection's reason reaches the comms officer on the item and in "my sent items". Screenshots go to
tests/artifacts/screenshots/. Browser set-up of tests/browsing.py (Debian's chromium, CSRF on); the
server here has the real models and FACTSANDWICH_TWO_PERSON_APPROVAL on."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from browsing import PASSWORD, Server, login, logout, page_of, real_core, serve, shoot
from playwright.sync_api import BrowserContext, Page, expect

from factsandwich import responses
from factsandwich.accounts import add_user
from factsandwich.storage.tables import ItemRow, ResponseRow
from webui.i18n import translate

pytestmark = pytest.mark.models

LANGUAGES = ("de", "en")
ROLES = {"comms": ["comms"], "speaker": ["spokesperson"], "second": ["spokesperson"]}
TOO_LONG = "Jobs are not a fixed cake. " * 12  # over 280 characters in all
GOOD = {
    "fact": "Migrants fill jobs that stay empty otherwise.",
    "warning": "A myth goes around:",
    "myth": "they take our jobs.",
    "fallacy": "Jobs are not a fixed cake.",
    "fact_repeat": "Work creates more work.",
}


@pytest.fixture(scope="module")
def server(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real app on 127.0.0.1 with the two-person rule; people in German and in English."""
    core = real_core(real_data_dir, tmp_path_factory.mktemp("browser-lifecycle"), two_person_approval=True)
    assert core.store is not None
    for language in LANGUAGES:
        for name, roles in ROLES.items():
            add_user(core.store, f"{name}-{language}", roles, PASSWORD, language)
    with serve(core) as running:
        yield running


def add_item(srv: Server, guid: str) -> int:
    srv.store.add_items(
        [
            {
                "source": "https://feeds.example/lifecycle.xml",
                "guid": guid,
                "link": None,
                "title": f"Lifecycle {guid}",
                "text": f"They take our jobs, all of them ({guid}).",
                "content_hash": hashlib.sha256(f"lifecycle\n{guid}".encode()).hexdigest(),
                "language": "en",
                "published": "2026-11-20T09:00:00Z",
                "myth_probability": 0.99,
                "flagged": True,
                "matches": [
                    {
                        "claim_id": "jobs-taken",
                        "score": 0.9,
                        "confidence": 0.95,
                        "matched_text": "jobs",
                        "confident": True,
                    }
                ],
                "draft": None,
                "top_claim": "jobs-taken",
                "priority": 9.0,
            }
        ]
    )
    with srv.store.session() as session:
        return int(session.query(ItemRow.id).filter_by(guid=guid).scalar())


def response_of(srv: Server, item_id: int) -> ResponseRow:
    with srv.store.session() as session:
        (row,) = session.query(ResponseRow).filter_by(item_id=item_id).all()
        return row


def sent_by_comms(srv: Server, context: BrowserContext, language: str, guid: str) -> tuple[Page, int, int]:
    """A new item that the comms officer sends to response in the browser: (page, item, response)."""
    item_id = add_item(srv, guid)
    page = page_of(context)
    login(page, srv, f"comms-{language}")
    page.goto(f"{srv.url}/items/{item_id}")
    page.locator("form.respond-form button").click()
    expect(page.locator(".flash")).to_contain_text(translate("response_sent", language))
    logout(page)
    return page, item_id, response_of(srv, item_id).id


@pytest.mark.parametrize("language", LANGUAGES)
def test_send_edit_with_live_checks_submit_approve_by_a_second_person_and_post(
    server: Server,
    browser: BrowserContext,
    language: str,
) -> None:
    def t(key: str) -> str:
        return translate(key, language)

    page, item_id, response_id = sent_by_comms(server, browser, language, f"posted-{language}")

    # the spokesperson types: the live checks show the problem before anything is saved
    login(page, server, f"speaker-{language}")
    page.goto(f"{server.url}/responses/{response_id}")
    form = page.locator("form[data-counter-form]")
    for name, value in GOOD.items():
        form.locator(f"textarea[name={name}]").fill(value)
    form.locator("textarea[name=fallacy]").fill(TOO_LONG)
    expect(page.locator("[data-live-problems]")).to_contain_text("280")  # the limit, in either language
    expect(page.locator("[data-live-ok]")).to_be_hidden()
    assert response_of(server, item_id).version == 1  # checked, not saved
    shoot(page, f"lifecycle-live-checks-{language}")
    form.locator("textarea[name=fallacy]").fill(GOOD["fallacy"])
    expect(page.locator("[data-live-ok]")).to_be_visible()
    expect(page.locator("[data-live-problems] li")).to_have_count(0)
    form.locator("button").click()
    expect(page.locator(".flash")).to_have_text(t("saved"))
    page.locator("form.submit-form button").click()
    expect(page.locator("h1 .status")).to_have_text(t("response_status_in_review"))
    # the last editor cannot approve alone
    page.locator("form.approve-form button").click()
    expect(page.locator(".flash-error")).to_have_text(t("second_approver_needed"))
    assert response_of(server, item_id).status == "in_review"
    # the version diff shows what the edit changed
    expect(page.locator(".versions .diff").first.locator("ins")).not_to_have_count(0)
    shoot(page, f"lifecycle-two-person-{language}")
    logout(page)

    # a second spokesperson approves and records where it was posted
    login(page, server, f"second-{language}")
    page.goto(f"{server.url}/responses/{response_id}")
    page.locator("form.approve-form button").click()
    expect(page.locator("h1 .status")).to_have_text(t("response_status_approved"))
    page.fill("form.posting-form input[name=platform]", "Facebook")
    page.fill("form.posting-form input[name=url]", f"https://facebook.example/musterstadt/{language}")
    page.locator("form.posting-form button").click()
    expect(page.locator(".flash")).to_have_text(t("posting_recorded"))
    expect(page.locator("h1 .status")).to_have_text(t("response_status_posted"))
    expect(page.locator("ul.postings")).to_contain_text(f"https://facebook.example/musterstadt/{language}")
    expect(page.locator("form.reopen-form")).to_have_count(0)  # posted: final
    shoot(page, f"lifecycle-posted-{language}")
    logout(page)

    # the comms officer follows it
    login(page, server, f"comms-{language}")
    page.locator("header nav a", has_text=t("my_sent_items")).click()
    row = page.locator(f"table.sent-items tr[data-response='{response_id}']")
    expect(row.locator(".response-state")).to_have_text(t("response_status_posted"))
    expect(row.locator(".posting a")).to_have_attribute(
        "href", f"https://facebook.example/musterstadt/{language}"
    )
    shoot(page, f"lifecycle-sent-items-{language}")
    posted = responses.get_response(server.store, response_id)
    assert posted is not None and posted.approved_by == f"second-{language}"
    logout(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_rejection_reaches_the_comms_officer(
    server: Server,
    browser: BrowserContext,
    language: str,
) -> None:
    def t(key: str) -> str:
        return translate(key, language)

    page, item_id, response_id = sent_by_comms(server, browser, language, f"rejected-{language}")
    login(page, server, f"speaker-{language}")
    page.goto(f"{server.url}/responses/{response_id}")
    reason = "Bitte die Zahlen von 2024 nennen." if language == "de" else "Please cite the 2024 figures."
    page.fill("form.reject-form textarea[name=reason]", reason)
    page.locator("form.reject-form button").click()
    expect(page.locator("h1 .status")).to_have_text(t("response_status_rejected"))
    expect(page.locator(".rejection-reason")).to_have_text(reason)
    logout(page)

    login(page, server, f"comms-{language}")
    page.goto(f"{server.url}/items/{item_id}")
    expect(page.locator(".item-responses .rejection-reason")).to_have_text(reason)
    shoot(page, f"lifecycle-rejected-item-{language}")
    page.goto(f"{server.url}/sent")
    row = page.locator(f"table.sent-items tr[data-response='{response_id}']")
    expect(row.locator(".response-state")).to_have_text(t("response_status_rejected"))
    expect(row.locator(".rejection-reason")).to_have_text(reason)
    shoot(page, f"lifecycle-rejected-sent-{language}")
    assert response_of(server, item_id).rejected_reason == reason
    logout(page)
