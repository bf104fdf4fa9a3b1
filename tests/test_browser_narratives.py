"""Narratives, emerging myths and alert settings in a real headless Chromium (issue 14), in German and
English: the narrative cards of the demo scan (count, sparkline, example posts), answer once, bulk
dismiss, split; the emerging-myth view and "create a pair from this", which pre-fills the claim editor
with the posts (facts and sources left empty); a person's alert settings and the admins' log. The set-up
of every browser test (tests/browsing.py: Debian's chromium, real models, CSRF on)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib

from browsing import PASSWORD, Server, login, page_of
from playwright.sync_api import BrowserContext, expect

from factsandwich import narratives
from factsandwich.accounts import add_user
from factsandwich.errors import AccountError
from factsandwich.storage.tables import ResponseRow

pytestmark = __import__("pytest").mark.models

RUMOUR = [
    "Die Brücke an der Hauptstraße wird ab Montag für immer gesperrt, sagt mein Nachbar vom Bauhof.",
    "Mein Nachbar vom Bauhof sagt, die Brücke an der Hauptstraße wird ab Montag für immer gesperrt!",
    "RT @musterstadt_news: Die Brücke an der Hauptstraße wird ab Montag für immer gesperrt, sagt der Bauhof.",
    "Ab Montag ist die Brücke an der Hauptstraße für immer gesperrt, hat mir mein Nachbar vom Bauhof gesagt.",
]


def german_user(srv: Server, name: str, roles: list[str]) -> str:
    with contextlib.suppress(AccountError):  # made by an earlier test of this module
        add_user(srv.store, name, roles, PASSWORD, "de")
    return name


def add_flagged(srv: Server, text: str, matches: list[dict[str, object]], language: str = "de") -> None:
    srv.store.store_items(
        [
            {
                "source": "https://feeds.example/browser-narratives.xml",
                "guid": hashlib.sha256(text.encode()).hexdigest()[:16],
                "link": None,
                "title": "",
                "text": text,
                "content_hash": hashlib.sha256(f"narratives\n{text}".encode()).hexdigest(),
                "language": language,
                "published": None,
                "published_at": dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=1),
                "myth_probability": 0.97,
                "flagged": True,
                "matches": matches,
                "draft": None,
                "top_claim": matches[0]["claim_id"] if matches else None,
                "priority": 0.99,
            }
        ]
    )


def jobs_narrative(srv: Server) -> narratives.NarrativeView:
    """A narrative of three copies of a known myth (added, then the update run as after a scan)."""
    confident = [
        {"claim_id": "jobs-taken", "score": 0.9, "confidence": 0.95, "matched_text": "x", "confident": True}
    ]
    for tail in ("", " Wacht auf!", " Teilen!"):
        add_flagged(srv, "Migranten nehmen uns die Arbeitsplätze weg." + tail, confident)
    srv.core.update_narratives()
    found = [v for v in narratives.list_narratives(srv.store, srv.core.claims, claim_id="jobs-taken")]
    return max(found, key=lambda v: v.info.size)


def approve_for(srv: Server, item_id: int) -> int:
    with srv.store.session() as session:
        row = ResponseRow(
            item_id=item_id,
            claim_id="jobs-taken",
            language="de",
            channel="short",
            tone="factual",
            status="approved",
            parts={"fact": "Fakt."},
            text="2024 waren so viele Menschen erwerbstätig wie nie. Mythos: … Fakt: mehr Arbeit für alle.",
            version=1,
            approved_by="spokesperson",
            approved_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        )
        session.add(row)
        session.flush()
        return int(row.id)


def test_narrative_cards_answer_once_in_english(server: Server, browser: BrowserContext) -> None:
    view = jobs_narrative(server)
    approve_for(server, view.info.item_ids[0])
    page = page_of(browser)
    login(page, server, "comms")
    page.click("header nav a:has-text('Narratives')")
    page.wait_for_url("**/narratives")
    card = page.locator(f"section.narrative[data-narrative='{view.info.id}']")
    expect(card.locator(".count")).to_have_text(f"{view.info.size} posts")
    expect(card.locator(".spark")).to_have_text(view.sparkline)
    expect(card.locator("ul.examples li")).to_have_count(min(3, view.info.size))
    expect(card.locator(".suggestion")).to_have_text("Suggested: reuse the proven answer")
    card.locator("form.answer-form button").click()
    page.wait_for_url("**/narratives*")
    expect(page.locator(".flash")).to_contain_text("posts answered.")
    handled = {server.store.get_item(i).status for i in view.info.item_ids[1:]}  # type: ignore[union-attr]
    assert handled == {"handled"}
    assert page.evaluate("window.__csp") == []


def test_bulk_dismiss_and_split_in_german(server: Server, browser: BrowserContext) -> None:
    confident = [
        {
            "claim_id": "welfare-magnet",
            "score": 0.9,
            "confidence": 0.9,
            "matched_text": "x",
            "confident": True,
        }
    ]
    texts = [
        "Die kommen doch nur wegen dem Bürgergeld hierher.",
        "Die kommen doch nur wegen dem Bürgergeld hierher!!",
        "RT @x: Die kommen doch nur wegen dem Bürgergeld hierher.",
    ]
    for text in texts:
        add_flagged(server, text, confident)
    server.core.update_narratives()
    view = max(
        narratives.list_narratives(server.store, server.core.claims, claim_id="welfare-magnet"),
        key=lambda v: v.info.size,
    )
    assert view.info.size >= 3
    page = page_of(browser)
    login(page, server, german_user(server, "kommunikation", ["comms"]))
    page.click("header nav a:has-text('Erzählungen')")
    expect(page.locator("h1")).to_contain_text("Erzählungen")
    card = page.locator(f"section.narrative[data-narrative='{view.info.id}']")
    expect(card.locator(".count")).to_have_text(f"{view.info.size} Beiträge")
    card.locator("h2 a").click()
    page.wait_for_url(f"**/narratives/{view.info.id}")
    page.locator("form.split-form input[type=checkbox]").first.check()
    page.locator("form.split-form button").click()
    expect(page.locator(".flash")).to_have_text("Erzählung geteilt.")
    page.goto(f"{server.url}/narratives?claim=welfare-magnet")
    card = page.locator(f"section.narrative[data-narrative='{view.info.id}']")
    card.locator("form.dismiss-form select").select_option("not_relevant")
    card.locator("form.dismiss-form button").click()
    expect(page.locator(".flash")).to_have_text(f"{view.info.size - 1} Beiträge verworfen.")
    assert page.evaluate("window.__csp") == []


def test_emerging_myth_prefills_the_claim_editor_in_both_languages(
    server: Server,
    browser: BrowserContext,
) -> None:
    for text in RUMOUR:
        add_flagged(server, text, [])
    server.core.update_narratives()
    cluster = next(c for c in narratives.emerging(server.store) if any("Brücke" in t for t in c.info.typical))
    page = page_of(browser)
    login(page, server, "editor")
    page.click("header nav a:has-text('Emerging myths')")
    section = page.locator(f"section.emerging[data-cluster='{cluster.info.id}']")
    expect(section.locator("h2")).to_contain_text(f"{cluster.info.size} posts")
    expect(section.locator("ul.typical li").first).to_contain_text("Brücke an der Hauptstraße")
    section.locator("a.create-pair").click()
    myths = page.locator("textarea[name=myths_de]")
    for text in RUMOUR:
        expect(myths).to_contain_text(text)
    assert page.locator("textarea[name=fact_de]").input_value() == ""
    assert page.locator("textarea[name=sources]").input_value() == ""
    # the same in German
    german = browser.new_page()
    login(german, server, german_user(server, "redaktion", ["editor"]))
    german.click("header nav a:has-text('Neue Mythen')")
    expect(german.locator(f"section.emerging[data-cluster='{cluster.info.id}'] a.create-pair")).to_have_text(
        "Ein Paar daraus anlegen"
    )


def test_alert_settings_and_log(server: Server, browser: BrowserContext) -> None:
    page = page_of(browser)
    login(page, server, german_user(server, "sprecherin", ["spokesperson"]))
    page.click("header nav a:has-text('Benachrichtigungen')")
    page.fill("form.alert-form input[name=target]", "sprecherin@musterstadt.example")
    page.locator("form.alert-form input[value=local]").uncheck()
    page.locator("form.alert-form button").click()
    expect(page.locator(".flash")).to_have_text("Benachrichtigung gespeichert.")
    row = page.locator("table.alert-targets tbody tr").first
    expect(row).to_contain_text("sprecherin@musterstadt.example")
    expect(row).to_contain_text("Lagebild am Morgen, Welle")
    admin = browser.new_page()
    login(admin, server, "admin")
    admin.goto(f"{server.url}/alerts")
    expect(admin.locator("h2", has_text="Alerts sent")).to_be_visible()
    expect(admin.locator("table.alert-targets")).not_to_contain_text("sprecherin@")
