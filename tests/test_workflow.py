"""The review workflow as an office uses it (issue 13), with Flask's test client and the fake encoder:
approval only of checked text and of the version the approver saw, one live response per item, kept
labels, no preselected pair without a match, publication dates, back to the queue as it was (with
undo), ClaimReview from configuration, and the import of a pair by the id inside the file. Each test
walks a whole workflow with two people or two tabs where that is what can go wrong."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import threading
from dataclasses import replace
from typing import Any

import pytest
from conftest import BOTH_DATABASES, FakeEncoder
from flask import Flask
from flask.testing import FlaskClient

from factsandwich import responses, statistics, training, triage
from factsandwich.accounts import add_user
from factsandwich.config import Settings
from factsandwich.dates import utcnow
from factsandwich.errors import ResponseExists
from factsandwich.pipeline import Factsandwich
from factsandwich.storage import Store
from factsandwich.storage.tables import AuditRow, ItemRow, ResponseRow
from webui import create_app

PASSWORD = "correct horse battery"
USERS = {
    "comms": ["comms"],
    "comms2": ["comms"],
    "spokesperson": ["spokesperson"],
    "spokesperson2": ["spokesperson"],
    "editor": ["editor"],
    "admin": ["admin"],
}
GOOD_PARTS = {
    "fact": "Migrants fill jobs that stay empty otherwise.",
    "warning": "A myth goes around:",
    "myth": "they take our jobs.",
    "fallacy": "Jobs are not a fixed cake.",
    "fact_repeat": "Work creates more work.",
}


@pytest.fixture
def core(settings: Settings) -> Factsandwich:
    app = Factsandwich(settings, store=Store(settings.effective_database_url), encoder=FakeEncoder())
    assert app.store is not None
    for name, roles in USERS.items():
        add_user(app.store, name, roles, PASSWORD, "en")
    return app


@pytest.fixture
def app(core: Factsandwich) -> Flask:
    return create_app({"TESTING": True, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False}, core=core)


def store_of(core: Factsandwich) -> Store:
    assert core.store is not None
    return core.store


def add_item(
    core: Factsandwich,
    guid: str,
    *,
    matches: list[dict[str, Any]] | None = None,
    published: str | None = None,
    fetched_at: dt.datetime | None = None,
    language: str = "en",
    priority: float = 0.9,
    link: str | None = None,
) -> int:
    """A flagged item as a scan stores it; returns its id."""
    from factsandwich.dates import published_at

    if matches is None:
        matches = [
            {
                "claim_id": "jobs-taken",
                "score": 0.9,
                "confidence": 0.95,
                "matched_text": "jobs",
                "confident": True,
            }
        ]
    row: dict[str, Any] = {
        "source": "https://feeds.example/local.xml",
        "guid": guid,
        "link": link,
        "title": f"Post {guid}",
        "text": f"They take our jobs, says post {guid}.",
        "content_hash": hashlib.sha256(guid.encode()).hexdigest(),
        "language": language,
        "published": published,
        "published_at": published_at(published),
        "myth_probability": 0.9,
        "flagged": True,
        "matches": matches,
        "draft": None,
        "top_claim": matches[0]["claim_id"] if matches else None,
        "priority": priority,
    }
    if fetched_at is not None:
        row["fetched_at"] = fetched_at
    store_of(core).add_items([row])
    with store_of(core).session() as session:
        return int(session.query(ItemRow.id).filter_by(guid=guid).scalar())


def login(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"name": name, "password": PASSWORD})
    assert response.status_code == 302, response.data
    return client


TOKENS = iter(range(10**6))


def token() -> str:
    return f"tok-{next(TOKENS)}"


def respond(client: FlaskClient, item_id: int, claim_id: str = "jobs-taken", **extra: str) -> Any:
    form = {"claim_id": claim_id, "channel": "short", "tone": "factual", "form_token": token(), **extra}
    return client.post(f"/items/{item_id}/respond", data=form)


def responses_of(core: Factsandwich, item_id: int) -> list[ResponseRow]:
    with store_of(core).session() as session:
        return list(session.query(ResponseRow).filter_by(item_id=item_id).order_by(ResponseRow.id))


def item_row(core: Factsandwich, item_id: int) -> ItemRow:
    with store_of(core).session() as session:
        row = session.get(ItemRow, item_id)
        assert row is not None
        return row


def response_row(core: Factsandwich, response_id: int) -> ResponseRow:
    with store_of(core).session() as session:
        row = session.get(ResponseRow, response_id)
        assert row is not None
        return row


def shown_version(client: FlaskClient, response_id: int, form: str = "approve") -> int:
    page = client.get(f"/responses/{response_id}").data.decode()
    found = re.search(rf'action="/responses/{response_id}/{form}".*?name="version" value="(\d+)"', page, re.S)
    assert found is not None, page
    return int(found.group(1))


def edit(client: FlaskClient, response_id: int, parts: dict[str, str], version: int) -> Any:
    return client.post(
        f"/responses/{response_id}/edit", data={**parts, "version": str(version), "form_token": token()}
    )


def approve(client: FlaskClient, response_id: int, version: int, **extra: str) -> Any:
    data = {"version": str(version), "form_token": token(), **extra}
    return client.post(f"/responses/{response_id}/approve", data=data, follow_redirects=True)


def drafted(core: Factsandwich, app: Flask, guid: str = "p1") -> tuple[int, int]:
    """An item sent to response by the comms officer: (item id, response id)."""
    item_id = add_item(core, guid)
    respond(login(app, "comms"), item_id)
    (response,) = responses_of(core, item_id)
    return item_id, response.id


# -- 1. approval only while the checks pass ------------------------------------------------------------


def test_approval_is_refused_while_the_checks_report_problems(core: Factsandwich, app: Flask) -> None:
    item_id, response_id = drafted(core, app)
    speaker = login(app, "spokesperson")
    too_long = {**GOOD_PARTS, "fallacy": "x" * 400}  # 405+ characters on a 280-character channel
    edit(speaker, response_id, too_long, shown_version(speaker, response_id))
    page = approve(speaker, response_id, shown_version(speaker, response_id)).data.decode()
    assert response_row(core, response_id).status == "draft"
    assert "Not approved: the checks still report problems" in page
    assert "over the 280 allowed" in page
    assert re.search(r'<button class="primary" disabled>Approve</button>', page)  # and said beforehand
    assert item_row(core, item_id).status == "responding"

    # Only an admin may override, explicitly, and the override is in the audit with the problems.
    forbidden = speaker.post(
        f"/responses/{response_id}/approve",
        data={"version": str(shown_version(speaker, response_id)), "form_token": token(), "override": "1"},
    )
    assert forbidden.status_code == 403 and response_row(core, response_id).status == "draft"
    admin = login(app, "admin")
    approve(admin, response_id, shown_version(admin, response_id))  # no override ticked: refused
    assert response_row(core, response_id).status == "draft"
    approve(admin, response_id, shown_version(admin, response_id), override="1")
    assert response_row(core, response_id).status == "approved"
    (record,) = store_of(core).list_audit(object_type="response", object_id=str(response_id))[:1]
    assert record.action == "response.approved" and record.actor == "admin"
    assert record.after is not None and record.after["override"] is True
    assert any("over the 280 allowed" in p for p in record.after["problems"])


def test_a_checked_response_is_approved(core: Factsandwich, app: Flask) -> None:
    item_id, response_id = drafted(core, app)
    speaker = login(app, "spokesperson")
    edit(speaker, response_id, GOOD_PARTS, shown_version(speaker, response_id))
    page = approve(speaker, response_id, shown_version(speaker, response_id)).data.decode()
    assert response_row(core, response_id).status == "approved" and "Approved." in page
    assert item_row(core, item_id).status == "handled"
    (record,) = store_of(core).list_audit(object_type="response", object_id=str(response_id))[:1]
    assert record.after is not None and "override" not in record.after


# -- 2. approval of the version the approver saw ------------------------------------------------------


def test_a_stale_approve_button_approves_nothing(core: Factsandwich, app: Flask) -> None:
    _item_id, response_id = drafted(core, app)
    first, second = login(app, "spokesperson"), login(app, "spokesperson2")
    edit(first, response_id, GOOD_PARTS, shown_version(first, response_id))
    seen_by_first = shown_version(first, response_id)  # the first tab shows the good text, version 2
    changed = {**GOOD_PARTS, "fact_repeat": "Something the first approver never read."}
    edit(second, response_id, changed, shown_version(second, response_id))
    page = approve(first, response_id, seen_by_first).data.decode()
    row = response_row(core, response_id)
    assert row.status == "draft" and row.approved_by is None
    assert "someone changed the response meanwhile" in page
    assert "Something the first approver never read." in page  # now shown, to be read
    approve(first, response_id, shown_version(first, response_id))
    assert response_row(core, response_id).status == "approved"
    # a reject from a stale page is refused the same way
    _other, other_response = drafted(core, app, "p2")
    stale = shown_version(first, other_response, "reject")
    edit(second, other_response, GOOD_PARTS, shown_version(second, other_response))
    first.post(f"/responses/{other_response}/reject", data={"version": str(stale), "form_token": token()})
    assert response_row(core, other_response).status == "draft"


# -- 3. one live response per item; acting on a decided item asks first ------------------------------------


def test_two_tabs_sending_one_item_make_one_draft(core: Factsandwich, app: Flask) -> None:
    item_id = add_item(core, "p1")
    tab1, tab2 = login(app, "comms"), login(app, "comms2")
    for tab in (tab1, tab2):
        assert 'name="seen_status" value="new"' in tab.get(f"/items/{item_id}").data.decode()
    respond(tab1, item_id, seen_status="new")
    second = respond(tab2, item_id, seen_status="new", claim_id="crime")
    assert len(responses_of(core, item_id)) == 1
    page = tab2.get(second.headers["Location"]).data.decode()
    assert "This item has a response already; no second one was drafted." in page


@BOTH_DATABASES
def test_concurrent_drafts_of_one_item_store_one(core: Factsandwich) -> None:
    """Two people at the same moment (threads released together): one draft, the other is told."""
    item_id = add_item(core, "p1")
    claim = core.claims.get("jobs-taken")
    assert claim is not None
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def send(n: int) -> None:
        barrier.wait()
        try:
            triage.send_to_response(store_of(core), item_id, claim, core.drafts, f"c{n}", f"tok-{n}")
            outcomes.append("drafted")
        except ResponseExists:
            outcomes.append("exists")

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["drafted", "exists", "exists", "exists"]
    assert len(responses_of(core, item_id)) == 1


def test_a_stale_tab_does_not_reopen_a_dismissed_item(core: Factsandwich, app: Flask) -> None:
    item_id = add_item(core, "p1")
    stale, other = login(app, "comms"), login(app, "comms2")
    stale.get(f"/items/{item_id}")  # shows the item as new
    other.post(
        f"/items/{item_id}/dismiss",
        data={"reason": "not_a_myth", "seen_status": "new", "form_token": token()},
    )
    asked = respond(stale, item_id, seen_status="new")
    assert asked.status_code == 409 and responses_of(core, item_id) == []
    page = asked.data.decode()
    assert "The item is now “dismissed” (the page showed “new”)" in page
    assert item_row(core, item_id).status == "dismissed"
    # the confirmation page repeats the action, confirmed: only then is it done
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))
    assert fields["confirmed"] == "1" and fields["claim_id"] == "jobs-taken"
    stale.post(f"/items/{item_id}/respond", data=fields)
    assert len(responses_of(core, item_id)) == 1 and item_row(core, item_id).status == "responding"
    # marking or dismissing a handled item from a stale page asks first too
    mark = stale.post(
        f"/items/{item_id}/mark", data={"kind": "misinformation", "seen_status": "new", "form_token": token()}
    )
    assert mark.status_code == 409 and item_row(core, item_id).label is None


def test_a_rejected_response_lets_the_item_be_drafted_again(core: Factsandwich, app: Flask) -> None:
    item_id, response_id = drafted(core, app)
    speaker = login(app, "spokesperson")
    speaker.post(
        f"/responses/{response_id}/reject",
        data={
            "version": str(shown_version(speaker, response_id, "reject")),
            "form_token": token(),
            "reason": "The figures are from 2019.",
        },
    )
    respond(login(app, "comms"), item_id, seen_status="responding")
    assert [r.status for r in responses_of(core, item_id)] == ["rejected", "draft"]


# -- 4. the mis/disinformation label is kept ------------------------------------------------------------


def test_the_disinformation_label_survives_response_and_approval(core: Factsandwich, app: Flask) -> None:
    item_id = add_item(core, "p1")
    comms = login(app, "comms")
    comms.post(
        f"/items/{item_id}/mark", data={"kind": "disinformation", "seen_status": "new", "form_token": token()}
    )
    assert item_row(core, item_id).label == "disinformation"
    respond(comms, item_id, seen_status="disinformation")
    (response,) = responses_of(core, item_id)
    speaker = login(app, "spokesperson")
    edit(speaker, response.id, GOOD_PARTS, shown_version(speaker, response.id))
    approve(speaker, response.id, shown_version(speaker, response.id))
    row = item_row(core, item_id)
    assert row.status == "handled" and row.label == "disinformation"
    assert re.search(r'class="label[^"]*">disinformation<', comms.get(f"/items/{item_id}").data.decode())
    # the label is labelled data for training too
    assert any(e.label == "myth" for e in training.labelled_decisions(store_of(core)))


# -- 5. no match: no preselected pair ----------------------------------------------------------------------


def _selected_claim(page: str) -> str | None:
    select = re.search(r'<select name="claim_id"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    chosen = re.search(r'<option value="([^"]*)"\s+selected', select.group(1))
    return chosen.group(1) if chosen else None


def test_an_item_without_a_confident_match_preselects_no_pair(core: Factsandwich, app: Flask) -> None:
    comms = login(app, "comms")
    none_at_all = add_item(core, "p1", matches=[])
    weak = add_item(
        core,
        "p2",
        matches=[
            {
                "claim_id": "welfare-magnet",
                "score": 0.4,
                "confidence": 0.3,
                "matched_text": "x",
                "confident": False,
            },
            {"claim_id": "crime", "score": 0.38, "confidence": 0.2, "matched_text": "y", "confident": False},
        ],
    )
    sure = add_item(core, "p3")
    for item_id in (none_at_all, weak):
        page = comms.get(f"/items/{item_id}").data.decode()
        assert "No matching myth" in page
        assert _selected_claim(page) == ""  # the placeholder, which the form cannot send
    weak_page = comms.get(f"/items/{weak}").data.decode()
    candidates = re.search(r'<optgroup label="Candidates">(.*?)</optgroup>', weak_page, re.S)
    assert candidates is not None
    assert re.findall(r'value="([^"]+)"', candidates.group(1)) == ["welfare-magnet", "crime"]
    sure_page = comms.get(f"/items/{sure}").data.decode()
    assert "No matching myth" not in sure_page and _selected_claim(sure_page) == "jobs-taken"
    # the comms officer can ask the editors for a new pair; they see the post on their page
    assert f'action="/items/{none_at_all}/propose"' in comms.get(f"/items/{none_at_all}").data.decode()
    comms.post(f"/items/{none_at_all}/propose", data={"form_token": token()})
    editors_page = login(app, "editor").get("/claims").data.decode()
    assert "Proposals for new pairs" in editors_page and "They take our jobs, says post p1." in editors_page
    # sending without a chosen pair drafts nothing and says why
    refused = respond(comms, none_at_all, claim_id="", seen_status="new")
    assert responses_of(core, none_at_all) == []
    assert "Please choose a myth" in comms.get(refused.headers["Location"]).data.decode()


# -- 6. publication dates --------------------------------------------------------------------------------


def test_date_filter_and_dashboard_use_the_publication_date(core: Factsandwich, app: Flask) -> None:
    now = utcnow().replace(microsecond=0)
    weeks_ago = [now - dt.timedelta(days=d) for d in (1, 8, 15, 22)]
    for n, moment in enumerate(weeks_ago):
        add_item(core, f"p{n}", published=moment.isoformat() + "Z", fetched_at=now)  # all fetched today
    comms = login(app, "comms")
    until = (now - dt.timedelta(days=15)).date().isoformat()
    page = comms.get(f"/triage?status=&until={until}").data.decode()
    assert sorted(set(re.findall(r"Post (p\d)", page))) == ["p2", "p3"]  # published on or before it
    board = statistics.dashboard(store_of(core), core.claims, "en", statistics.period(now.date(), 8, dt.UTC))
    expected = {f"{m.isocalendar()[0]}-W{m.isocalendar()[1]:02d}" for m in weeks_ago}
    assert {str(w.week) for w in board.weeks if w.flagged} == expected and len(expected) == 4


def test_time_to_approval_counts_from_first_sight(core: Factsandwich, app: Flask) -> None:
    now = utcnow().replace(microsecond=0)
    first_seen = now - dt.timedelta(hours=3)
    item_id = add_item(
        core, "p1", published=(now - dt.timedelta(days=10)).isoformat() + "Z", fetched_at=first_seen
    )
    respond(login(app, "comms"), item_id)
    (response,) = responses_of(core, item_id)
    speaker = login(app, "spokesperson")
    edit(speaker, response.id, GOOD_PARTS, shown_version(speaker, response.id))
    approve(speaker, response.id, shown_version(speaker, response.id))
    row, approved = item_row(core, item_id), response_row(core, response.id)
    assert approved.approved_at is not None
    assert responses.time_to_approval(row, approved) == approved.approved_at - first_seen


# -- 7. back to the queue as it was, with a message and undo ------------------------------------------------


def test_actions_return_to_the_filtered_page_with_a_message_and_undo(core: Factsandwich, app: Flask) -> None:
    ids = [add_item(core, f"p{n:02d}", priority=1 - n / 100) for n in range(30)]
    add_item(core, "de1", language="de")
    comms = login(app, "comms")
    queue = "/triage?status=new&language=en&page=2"
    assert "Post p25" in comms.get(queue).data.decode()
    target = ids[26]
    done = comms.post(
        f"/items/{target}/dismiss", data={"reason": "duplicate", "seen_status": "new", "form_token": token()}
    )
    assert done.status_code == 303 and done.headers["Location"] == queue
    page = comms.get(queue).data.decode()
    assert "1 dismissed." in page and "Post p26" not in page
    undo = re.search(r'<form method="post" action="/triage/undo".*?</form>', page, re.S)
    assert undo is not None
    fields = {k: html.unescape(v) for k, v in re.findall(r'name="(\w+)" value="([^"]*)"', undo.group(0))}
    back = comms.post("/triage/undo", data=fields)
    assert back.headers["Location"] == queue
    assert item_row(core, target).status == "new" and "Undone: 1." in comms.get(queue).data.decode()
    # bulk dismissal from the queue returns there too
    bulk = comms.post(
        "/triage/dismiss",
        data={
            "item_id": [str(ids[0]), str(ids[1])],
            "reason": "not_relevant",
            "next": queue,
            "form_token": token(),
        },
    )
    assert bulk.headers["Location"] == queue and "2 dismissed." in comms.get(queue).data.decode()
    # a foreign address in `next` is ignored
    evil = comms.post(
        "/triage/dismiss",
        data={
            "item_id": str(ids[2]),
            "reason": "not_relevant",
            "next": "//evil.example/",
            "form_token": token(),
        },
    )
    assert evil.headers["Location"] == queue  # the remembered queue, not the foreign address


# -- 8. ClaimReview from configuration ---------------------------------------------------------------------


def test_claimreview_names_the_configured_office_and_the_published_answer(core: Factsandwich) -> None:
    configured = replace(
        core.settings,
        organisation="Stadt Musterstadt",
        organisation_url="https://www.musterstadt.example/",
        response_url="https://www.musterstadt.example/faktencheck/{id}",
    )
    office = Factsandwich(configured, store=core.store, encoder=FakeEncoder())
    app = create_app(
        {"TESTING": True, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False}, core=office
    )
    item_id = add_item(core, "p1", link="https://social.example/@someone/1")
    respond(login(app, "comms"), item_id)
    (response,) = responses_of(core, item_id)
    speaker = login(app, "spokesperson")
    edit(speaker, response.id, GOOD_PARTS, shown_version(speaker, response.id))
    approve(speaker, response.id, shown_version(speaker, response.id))
    body = speaker.get(f"/responses/{response.id}/claimreview.json").get_json()
    assert body["author"] == {
        "@type": "Organization",
        "name": "Stadt Musterstadt",
        "url": "https://www.musterstadt.example/",
    }
    assert body["url"] == f"https://www.musterstadt.example/faktencheck/{response.id}"
    assert body["itemReviewed"]["appearance"]["url"] == "https://social.example/@someone/1"


def test_claimreview_without_a_configured_office_says_what_to_set(core: Factsandwich, app: Flask) -> None:
    item_id, response_id = drafted(core, app)
    speaker = login(app, "spokesperson")
    edit(speaker, response_id, GOOD_PARTS, shown_version(speaker, response_id))
    approve(speaker, response_id, shown_version(speaker, response_id))
    missing = speaker.get(f"/responses/{response_id}/claimreview.json")
    assert missing.status_code == 409 and b"FACTSANDWICH_ORGANISATION" in missing.data
    assert item_id


def test_settings_refuse_a_response_address_without_id() -> None:
    from factsandwich.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\{id\}"):
        Settings(response_url="https://www.musterstadt.example/faktencheck/")
    with pytest.raises(ConfigError, match="http"):
        Settings(organisation_url="javascript:alert(1)")


def test_audit_records_every_workflow_step(core: Factsandwich, app: Flask) -> None:
    item_id, response_id = drafted(core, app)
    with store_of(core).session() as session:
        actions = [a.action for a in session.query(AuditRow).order_by(AuditRow.id)]
    assert actions[-2:] == ["item.responding", "response.create"]
    assert item_id and response_id


# -- 9. too much text: said clearly, nothing lost -----------------------------------------------------


def test_an_oversized_part_is_refused_with_the_text_kept(core: Factsandwich, app: Flask) -> None:
    _item_id, response_id = drafted(core, app)
    speaker = login(app, "spokesperson")
    version = shown_version(speaker, response_id)
    pasted = "Wort" * 100_000  # 400,000 characters in one part, under the upload limit
    refused = edit(speaker, response_id, {**GOOD_PARTS, "fallacy": pasted}, version)
    assert refused.status_code == 422
    page = refused.data.decode()
    assert "Not saved: the part “Fallacy” has 400000 characters" in page
    assert pasted in page and GOOD_PARTS["fact"] in page  # every part as typed, in the form
    assert response_row(core, response_id).version == version  # nothing stored


def test_a_request_over_the_upload_limit_gets_a_clear_page(core: Factsandwich, app: Flask) -> None:
    _item_id, response_id = drafted(core, app)
    speaker = login(app, "spokesperson")
    huge = edit(speaker, response_id, {**GOOD_PARTS, "fact": "x" * (3 * 1024 * 1024)}, 1)
    assert huge.status_code == 413
    assert "What was sent is too large (over 2 MB); nothing was saved. Go back" in huge.data.decode()


# -- 10. import by the id inside, and ask before overwriting ----------------------------------------


def _upload(client: FlaskClient, text: str, filename: str) -> Any:
    import io

    data = {"file": (io.BytesIO(text.encode()), filename), "form_token": token()}
    return client.post("/claims/import", data=data, content_type="multipart/form-data")


def test_import_uses_the_id_inside_and_asks_before_overwriting(core: Factsandwich, app: Flask) -> None:
    editor = login(app, "editor")
    jobs = core.claims.get("jobs-taken")
    assert jobs is not None
    # a new pair in a file named after the sender's scheme, not after the id
    new_pair = jobs.to_dict() | {"id": "shared-jobs"}
    import yaml

    added = _upload(editor, yaml.safe_dump(new_pair, allow_unicode=True), "from-nachbarstadt (2).yaml")
    assert added.status_code == 303 and added.headers["Location"].endswith("/claims/shared-jobs")
    assert core.claims.get("shared-jobs") is not None

    # over a pair edited here: the differences are shown, nothing changes until confirmed
    version_before = _version(core, "jobs-taken")
    changed = jobs.to_dict() | {"topics": ["from-elsewhere"]}
    shown = _upload(editor, yaml.safe_dump(changed, allow_unicode=True), "jobs.yml")
    page = shown.data.decode()
    assert shown.status_code == 200 and "Review the import" in page
    assert re.search(r"<td>topics</td><td><pre class=\"before\">[^<]*labour", page)
    assert "from-elsewhere" in page
    assert _version(core, "jobs-taken") == version_before  # nothing replaced yet
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))
    text = html.unescape(re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', page, re.S).group(1))  # type: ignore[union-attr]
    # someone saves the pair meanwhile: the confirmation no longer applies
    other = login(app, "admin")
    assert _save_topics(core, other, "jobs-taken", "labour-market, meanwhile") == 302
    stale = editor.post("/claims/import/confirm", data={**fields, "text": text})
    assert stale.status_code == 409 and core.claims.get("jobs-taken").topics[-1] == "meanwhile"  # type: ignore[union-attr]
    # shown again, confirmed: replaced
    again = _upload(editor, yaml.safe_dump(changed, allow_unicode=True), "jobs.yml").data.decode()
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', again))
    done = editor.post("/claims/import/confirm", data={**fields, "text": text})
    assert done.status_code == 303
    assert core.claims.get("jobs-taken").topics == ("from-elsewhere",)  # type: ignore[union-attr]


def _version(core: Factsandwich, claim_id: str) -> int | None:
    from factsandwich.storage.claims import claim_version

    return claim_version(store_of(core), claim_id)


def _save_topics(core: Factsandwich, client: FlaskClient, claim_id: str, topics: str) -> int:
    from webui.claims_editor import claim_to_form

    claim = core.claims.get(claim_id)
    assert claim is not None
    form = claim_to_form(claim, _version(core, claim_id)) | {"topics": topics, "form_token": token()}
    return client.post(f"/claims/{claim_id}", data=form).status_code


# -- the migration fills the new columns from what was stored ------------------------------------------------


@BOTH_DATABASES
def test_migration_0004_keeps_marks_as_labels_and_parses_dates(settings: Settings) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from factsandwich.storage import MIGRATIONS, migrate

    engine = create_engine(settings.effective_database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        for n, (status, published) in enumerate(
            [
                ("misinformation", "2026-11-20T09:00:00Z"),
                ("new", "Tue, 24 Nov 2026 10:00:00 +0100"),
                ("new", "gestern"),
            ]
        ):
            connection.execute(
                text(
                    "INSERT INTO items (source, content_hash, title, text, language, published, fetched_at,"
                    " myth_probability, flagged, matches, priority, status) VALUES ('s', :h, '', 't', 'de',"
                    " :p, :f, 0.9, :flagged, '[]', 0.5, :s)"
                ),
                {"h": f"h{n}", "p": published, "s": status, "f": dt.datetime(2026, 12, 1), "flagged": True},
            )
    migrate(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT label, published_at FROM items ORDER BY id")).all()
    engine.dispose()
    assert [r[0] for r in rows] == ["misinformation", None, None]
    assert [str(r[1])[:19] if r[1] else None for r in rows] == [
        "2026-11-20 09:00:00",
        "2026-11-24 09:00:00",
        None,
    ]


# -- a readable queue row ------------------------------------------------------------------------------


def test_a_queue_row_shows_the_post_its_source_by_name_and_its_age(core: Factsandwich, app: Flask) -> None:
    from factsandwich.subscriptions import add_feed

    add_feed(store_of(core), "https://feeds.example/local.xml", "Musterstadt Bürgerforum")
    now = utcnow()
    add_item(core, "p1", published=(now - dt.timedelta(hours=3, minutes=5)).isoformat() + "Z")
    with store_of(core).session() as session:
        session.query(ItemRow).filter_by(guid="p1").update({"title": "Comment"})
    page = login(app, "comms").get("/triage").data.decode()
    row = re.search(r"<tr>\s*<td><input type=\"checkbox\".*?</tr>", page, re.S)
    assert row is not None
    assert "They take our jobs, says post p1." in row.group(0)  # the post's own text, not just "Comment"
    assert "Musterstadt Bürgerforum" in row.group(0) and "feeds.example/local.xml" not in row.group(0)
    assert re.search(r'<td class="num age">3 h</td>', row.group(0))
    assert triage.age(now - dt.timedelta(days=2, hours=1), now) == triage.Age(2, "d")
    assert triage.age(now - dt.timedelta(minutes=7), now) == triage.Age(7, "min")


def test_states_and_messages_are_german_for_a_german_user(core: Factsandwich, app: Flask) -> None:
    add_user(store_of(core), "anna", ["comms", "spokesperson"], PASSWORD, "de")
    item_id = add_item(core, "p1")
    anna = login(app, "anna")
    assert re.search(r'<strong class="status">neu</strong>', anna.get(f"/items/{item_id}").data.decode())
    page = anna.get(respond(anna, item_id, seen_status="new").headers["Location"]).data.decode()
    assert '<small class="status">Entwurf</small>' in page and "Antwortentwurf angelegt." in page
    queue = anna.get("/triage?status=").data.decode()
    assert ">in Antwort</option>" in queue  # the status filter in words
