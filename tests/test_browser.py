"""End-to-end tests in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright), against
the real app on a local port with the real encoders, index and classifier, CSRF on: the triage → response
→ approval → copy flow, a new myth/fact pair that matching picks up at once, screenshots of the main pages,
and hostile feed content (hand-made payloads, feedparser's sanitizer corpus, the demo's hostile post)
that must be shown as text and never run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from browsing import DEMO, Server, login, logout, page_of, shoot
from playwright.sync_api import BrowserContext, Page, expect

from factsandwich.config import PROJECT_ROOT
from factsandwich.feeds import FetchLimits, read_source
from factsandwich.storage.tables import ResponseRow

pytestmark = pytest.mark.models

SANITIZE_CORPUS = PROJECT_ROOT.parent / "shared" / "datasets" / "feedparser_tests" / "tests" / "wellformed"
SANITIZE_CORPUS = SANITIZE_CORPUS / "sanitize"
HOSTILE_DEMO_GUID = "tag:buergerforum.musterstadt.example,2026:post-5104"

NEW_CLAIM_ID = "e2e-test-myth"
NEW_CLAIM_FORM = {
    "id": NEW_CLAIM_ID,
    "topics": "e2e-test, leisure",
    "myths_en": "\n".join(
        [
            "Refugees are allowed to fish in our lakes without a fishing licence.",
            "Asylum seekers don't need a fishing permit, only locals have to pay for one.",
            "Why do migrants get to go angling for free while we pay for our licence?",
            "The town lets newcomers catch fish in the reservoir without any permit.",
            "Saw refugees fishing at the pond again, apparently the licence rules don't apply to them.",
            "Anglers pay hundreds for the exam and the permit, asylum seekers just grab a rod.",
            "Fishing licence? Only if you are a local, refugees are exempt.",
            "They are emptying the lake because the city exempts migrants from the angling permit.",
        ]
    ),
    "myths_de": "\n".join(
        [
            "Flüchtlinge dürfen in unseren Seen ohne Angelschein angeln.",
            "Asylbewerber brauchen keinen Fischereischein, nur wir Einheimischen müssen zahlen.",
            "Warum dürfen Migranten umsonst angeln, während wir für den Schein blechen?",
            "Die Stadt lässt die Neuen ohne Erlaubnis im Stausee fischen.",
            "Am Weiher angeln jetzt lauter Flüchtlinge, für die gilt der Angelschein wohl nicht.",
            "Wir zahlen Hunderte für Prüfung und Fischereischein, Asylbewerber holen einfach die Rute raus.",
            "Angelschein? Nur für Einheimische, Flüchtlinge sind davon befreit.",
            "Die fischen den See leer, weil die Stadt Migranten vom Angelschein befreit.",
        ]
    ),
    "fact_en": "Fishing rules apply to everyone: whoever fishes without a valid licence breaks the law, "
    "whatever their origin.",
    "short_fact_en": "Fishing rules apply to everyone, whatever their origin.",
    "explanation_en": "There is no exemption from fishing licences for refugees. The rumour grew from single "
    "sightings that nobody checked. The fishing authority enforces the same rules for every angler.",
    "fact_de": "Die Regeln zum Angeln gelten für alle: Wer ohne gültigen Fischereischein angelt, verstößt "
    "gegen das Gesetz, egal woher er kommt.",
    "short_fact_de": "Die Angelregeln gelten für alle, egal woher jemand kommt.",
    "explanation_de": "Eine Ausnahme vom Fischereischein für Geflüchtete gibt es nicht. Das Gerücht entstand "
    "aus einzelnen Beobachtungen, die niemand geprüft hat. Die Fischereibehörde kontrolliert alle gleich.",
    "sources": "Example Fisheries Office | Fishing licence rules for everyone | 2024 | https://example.org/x",
}


def heading(page: Page) -> str:
    return page.inner_text("main h1")


def pick_demo_item(server: Server, taken: set[int]) -> Any:
    """A flagged, untouched demo item whose best match is a confident match to a published pair (so
    that it is preselected and its draft can be approved), best first."""
    published = {c.id for c in server.core.claims if c.status == "published"}
    for item in sorted(server.store.list_items(flagged=True), key=lambda i: -i.priority):
        fresh = item.id not in taken and item.status == "new" and item.source.startswith(str(DEMO))
        if (
            fresh
            and item.matches
            and item.matches[0].get("confident")
            and item.matches[0]["claim_id"] in published
        ):
            return item
    pytest.fail("the demo scan flagged no item with a known claim")


USED_ITEMS: set[int] = set()


def test_triage_response_approval_copy_and_new_claim(
    server: Server, browser: BrowserContext, tmp_path: Path
) -> None:
    page = page_of(browser)
    item = pick_demo_item(server, USED_ITEMS)
    USED_ITEMS.add(item.id)
    claim_id = item.matches[0]["claim_id"]

    # A comms officer finds the item in the queue (filtered by its claim) and sends it to response.
    login(page, server, "comms")
    assert page.url.endswith("/triage")
    page.select_option("form.filters select[name=claim]", claim_id)
    page.click("form.filters button")
    page.wait_for_url(f"**/triage?*claim={claim_id}*")
    page.click(f"a.item-link[href='/items/{item.id}']")
    page.wait_for_url(f"**/items/{item.id}")
    assert heading(page) == (item.title or "–")
    assert page.inner_text("table.matches tbody tr >> nth=0").startswith(claim_id)
    respond = page.locator(f"form[action='/items/{item.id}/respond']")
    assert respond.locator("select[name=claim_id]").input_value() == claim_id  # best match preselected
    # Mastodon (500 characters): the edit below must not push the draft over the limit, which would
    # rightly block the approval (short drafts are written up to about 280).
    respond.locator("select[name=channel]").select_option("mastodon")
    respond.locator("select[name=tone]").select_option("factual")
    respond.locator("button").click()
    page.wait_for_url(f"**/triage?*claim={claim_id}*")  # back to the queue as it was filtered
    assert page.locator(f"a.item-link[href='/items/{item.id}']").count() == 0  # left the "new" queue
    with server.store.session() as session:
        response = session.query(ResponseRow).filter_by(item_id=item.id).one()
        response_id, drafted = response.id, response.text
    logout(page)

    # The spokesperson edits a part (the live counter follows), saves, approves and copies.
    login(page, server, "spokesperson")
    assert page.url.endswith("/responses")
    page.click(f"a.response-link[href='/responses/{response_id}']")
    page.wait_for_url(f"**/responses/{response_id}")
    assert "draft" in heading(page)
    counter = page.locator("[data-count]")
    before = counter.inner_text()
    assert before == str(len(drafted))
    fact = page.locator("textarea[name=fact]")
    fact.click()
    fact.press("End")
    suffix = " Check it."
    fact.press_sequentially(suffix)
    after = counter.inner_text()
    assert after != before and int(after) == int(before) + len(suffix)
    page.click("form[data-counter-form] button")
    expect(page.locator("ol.versions li")).to_have_count(2)  # the saved page, with the new version
    with server.store.session() as session:
        edited = session.get(ResponseRow, response_id)
        assert edited is not None and edited.version == 2
        edited_text = edited.text
    assert suffix.strip() in edited_text and len(edited_text) == int(after)  # the counter was right
    assert page.locator("[data-count]").inner_text() == after
    page.click(f"form[action='/responses/{response_id}/approve'] button")
    expect(page.locator("strong.approver")).to_have_text("spokesperson")
    assert "approved" in heading(page)
    approved = page.input_value("#approved-text")
    assert approved == edited_text
    page.click("button[data-copy]")
    page.wait_for_selector("button[data-copy][data-done='1']")
    assert page.inner_text("button[data-copy]") == "Copied"
    # Headless Chromium grants the clipboard to this origin (permissions above), so the real system
    # clipboard of the browser is read back.
    assert page.evaluate("navigator.clipboard.readText()") == approved
    logout(page)

    # An editor adds a new myth/fact pair; it is matched in the next scan without a restart.
    login(page, server, "editor")
    assert page.url.endswith("/claims")
    page.click("a.button.primary[href='/claims/new']")
    page.wait_for_url("**/claims/new")
    form = page.locator("form.claim-form")
    form.locator("select[name=status]").select_option("published")
    form.locator("select[name=fallacy]").select_option("overgeneralisation")
    for name, value in NEW_CLAIM_FORM.items():
        field = form.locator(f"[name={name}]")
        field.fill(value)
    form.locator("button[name=action][value=save]").click()
    page.wait_for_url(f"**/claims/{NEW_CLAIM_ID}")
    assert heading(page) == f"Edit: {NEW_CLAIM_ID}", page.inner_text("main")
    assert page.locator("select[name=status]").input_value() == "published"
    page.goto(f"{server.url}/claims")
    assert page.locator(f"a[href='/claims/{NEW_CLAIM_ID}']").count() == 1

    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        json.dumps(
            {
                "id": "e2e-1",
                "text": "Just watched three asylum seekers angling at the lake without any licence. "
                "The fishing rules only apply to us, apparently.",
            }
        )
        + "\n"
    )
    records = list(server.core.scan([str(posts)]))
    assert len(records) == 1
    matched = [m.claim_id for m in records[0].analysis.matches]
    assert NEW_CLAIM_ID in matched, matched


def test_screenshots_of_the_main_pages(server: Server, browser: BrowserContext) -> None:
    page = page_of(browser)
    shots: list[Path] = []

    def shoot_page(name: str, expected_heading: str) -> None:
        assert expected_heading in heading(page), f"{name}: {page.url}: {heading(page)!r}"
        shots.append(shoot(page, name))

    page.goto(f"{server.url}/login")
    shoot_page("login", "Log in")
    login(page, server, "admin")  # an admin sees every page
    page.goto(f"{server.url}/triage")
    shoot_page("triage", "Triage")
    item = pick_demo_item(server, USED_ITEMS)
    USED_ITEMS.add(item.id)
    page.click(f"a.item-link[href='/items/{item.id}']")
    shoot_page("item", item.title or "–")
    page.locator(f"form[action='/items/{item.id}/respond'] button").click()
    page.wait_for_url("**/responses/*")  # a user with the spokesperson role goes on to the draft
    shoot_page("response", "Responses #")
    page.goto(f"{server.url}/responses")
    shoot_page("responses", "Responses")
    page.goto(f"{server.url}/claims")
    shoot_page("claims", "Myths & facts")
    page.goto(f"{server.url}/claims/jobs-taken")
    shoot_page("claim_editor", "Edit: jobs-taken")
    page.goto(f"{server.url}/claims/new")
    shoot_page("claim_new", "New pair")
    page.goto(f"{server.url}/dashboard")
    shoot_page("dashboard", "Dashboard")
    assert len(shots) == 9 and all(path.is_file() for path in shots)  # each checked by shoot


PAYLOAD_ITEMS: list[dict[str, Any]] = [
    {
        "guid": "xss-1",
        "title": "<script>window.__xss=1</script>",
        "text": '<img src=x onerror="window.__xss=1"> and <script>window.__xss=1</script> in the text',
        "link": "javascript:window.__xss=1",
    },
    {
        "guid": "xss-2",
        "title": '<img src=x onerror="window.__xss=1"> <script>alert(1)</script>',
        "text": '<a href="javascript:window.__xss=1">click</a> <svg onload="window.__xss=1"></svg>',
        "link": " JaVaScRiPt:window.__xss=1",
    },
    {
        "guid": "xss-3",
        "title": '"><script>window.__xss=1</script><a href="javascript:window.__xss=1">x</a>',
        "text": "</textarea></title><script>window.__xss=1</script><iframe src=javascript:alert(1)>",
        "link": "data:text/html,<script>alert(1)</script>",
    },
]


def _row(source: str, guid: str, title: str, text: str, link: str | None, priority: float) -> dict[str, Any]:
    return {
        "source": source,
        "guid": guid,
        "link": link,
        "title": title,
        "text": text,
        "content_hash": hashlib.sha256(f"{source}\n{guid}".encode()).hexdigest(),
        "language": "en",
        "published": None,
        "myth_probability": 0.99,
        "flagged": True,
        "matches": [
            {
                "claim_id": "jobs-taken",
                "score": 0.9,
                "matched_text": "<script>window.__xss=1</script>",
                "confident": True,
            }
        ],
        "draft": None,
        "top_claim": "jobs-taken",
        "priority": priority,
    }


def assert_nothing_ran(page: Page, dialogs: list[str], where: str) -> None:
    """No script of the item ran or tried to: no flag, no dialog, no CSP block, no injected element."""
    assert page.evaluate("window.__xss") is None, where
    assert dialogs == [], f"{where}: dialogs {dialogs}"
    assert page.evaluate("window.__csp") == [], f"{where}: blocked by CSP: {page.evaluate('window.__csp')}"
    scripts = page.evaluate("Array.from(document.scripts).map((s) => s.getAttribute('src') || 'inline')")
    assert scripts == ["/static/app.js"], f"{where}: scripts {scripts}"
    injected = page.evaluate(
        """() => Array.from(document.querySelectorAll('main *')).filter((el) =>
             ['IMG', 'IFRAME', 'OBJECT', 'EMBED', 'SCRIPT', 'STYLE', 'LINK', 'META', 'BASE']
               .includes(el.tagName)
             || Array.from(el.attributes).some((a) => /^on/i.test(a.name)
                 || /^\\s*(javascript|data|vbscript):/i.test(a.value) && ['href', 'src', 'action',
                    'formaction', 'xlink:href'].includes(a.name.toLowerCase()))
           ).map((el) => el.outerHTML.slice(0, 200))"""
    )
    assert injected == [], f"{where}: injected markup {injected}"


def watch_dialogs(page: Page) -> list[str]:
    dialogs: list[str] = []

    def record(dialog: Any) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", record)
    return dialogs


def test_hostile_feed_content_is_shown_as_text_and_never_runs(
    server: Server, browser: BrowserContext
) -> None:
    rows = [_row("evil", i["guid"], i["title"], i["text"], i["link"], 5.0) for i in PAYLOAD_ITEMS]
    corpus_files: list[Path] = []
    if SANITIZE_CORPUS.is_dir():
        corpus_files = sorted(p for p in SANITIZE_CORPUS.iterdir() if p.is_file())
        for path in corpus_files:
            result = read_source(str(path), FetchLimits())
            assert result.error is None, result.error
            for n, item in enumerate(result.items):
                rows.append(_row(str(path), f"{path.name}#{n}", item.title, item.text, item.link, 4.0))
    server.store.add_items(rows)
    stored = {(i.source, i.guid): i for i in server.store.list_items(flagged=True)}
    ids = [stored[(r["source"], r["guid"])].id for r in rows]

    page = page_of(browser)
    dialogs = watch_dialogs(page)
    login(page, server, "comms")

    # Every page of the queue (all hostile items are on it, flagged and new).
    seen: set[int] = set()
    number = 1
    while True:
        page.goto(f"{server.url}/triage?page={number}")
        assert_nothing_ran(page, dialogs, f"triage page {number}")
        links = page.eval_on_selector_all("a.item-link", "(as) => as.map((a) => a.getAttribute('href'))")
        seen |= {int(h.rsplit("/", 1)[1]) for h in links}
        if number == 1:
            queue_text = page.inner_text("table.queue")
            assert "<script>window.__xss=1</script>" in queue_text  # the title, shown as text
            assert '<img src=x onerror="window.__xss=1">' in queue_text
        if page.locator("nav.pages a", has_text="next").count() == 0:
            break
        number += 1
    assert set(ids) <= seen

    for item_id, row in zip(ids, rows, strict=True):
        page.goto(f"{server.url}/items/{item_id}")
        where = f"item {item_id} ({row['source']} {row['guid']})"
        assert_nothing_ran(page, dialogs, where)
        title = heading(page)
        assert title == (" ".join(row["title"].split()) or "–"), where
        if "<script>" in row["title"]:
            assert "<script>" in title, where  # shown as text, not run
        visible = page.inner_text(".item-text")
        assert " ".join(visible.split()) == " ".join(row["text"].split()), where
        assert "<script>window.__xss=1</script>" in page.inner_text("table.matches")
    if not corpus_files:
        pytest.skip(f"{SANITIZE_CORPUS} is missing: only the hand-made payloads were checked")


def test_demo_hostile_post_runs_nothing(server: Server, browser: BrowserContext) -> None:
    item = next(i for i in server.store.list_items() if i.guid == HOSTILE_DEMO_GUID)
    page = page_of(browser)
    dialogs = watch_dialogs(page)
    login(page, server, "comms")
    # The item page is reachable by id whether or not the classifier flagged the post.
    page.goto(f"{server.url}/items/{item.id}")
    assert_nothing_ran(page, dialogs, "demo post-5104")
    assert heading(page) == "Kinderflohmarkt in der Turnhalle Kirchgasse"
    text = page.inner_text(".item-text")
    assert "Kinderflohmarkt" in text and "Förderverein" in text
    assert "alert(1)" not in text and "onerror" not in text  # the parser dropped the payload
    assert page.locator("a", has_text="hier klicken").count() == 0
