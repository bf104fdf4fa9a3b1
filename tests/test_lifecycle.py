"""The response lifecycle (issue 13): draft → in review → approved → posted, rejected with a reason,
reopened; the two-person rule; live checks, version diffs and drafting again; the comms officer's
"my sent items". Library tests on SQLite and PostgreSQL (fake encoder: these are about the office's
states, not about embeddings), then the web endpoints with Flask's test client."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from conftest import BOTH_DATABASES, FakeEncoder
from flask import Flask
from flask.testing import FlaskClient

from factsandwich import responses, triage
from factsandwich.accounts import add_user
from factsandwich.claims import Claim
from factsandwich.config import Settings
from factsandwich.errors import (
    ChecksFailed,
    EditConflict,
    LifecycleInputError,
    ResponseExists,
    ResponseStateError,
    SecondApproverNeeded,
)
from factsandwich.pipeline import Factsandwich
from factsandwich.storage import Store
from factsandwich.storage.tables import ItemRow
from webui import create_app

GOOD_PARTS = {
    "fact": "Migrants fill jobs that stay empty otherwise.",
    "warning": "A myth goes around:",
    "myth": "they take our jobs.",
    "fallacy": "Jobs are not a fixed cake.",
    "fact_repeat": "Work creates more work.",
}
TOKENS = iter(range(10**6))


def token() -> str:
    return f"life-{next(TOKENS)}"


def store_of(app: Factsandwich) -> Store:
    assert app.store is not None
    return app.store


def add_item(app: Factsandwich, guid: str) -> int:
    store_of(app).add_items(
        [
            {
                "source": "https://feeds.example/lifecycle.xml",
                "guid": guid,
                "link": None,
                "title": f"Post {guid}",
                "text": f"They take our jobs, says post {guid}.",
                "content_hash": hashlib.sha256(guid.encode()).hexdigest(),
                "language": "en",
                "published": None,
                "published_at": None,
                "myth_probability": 0.9,
                "flagged": True,
                "matches": [],
                "draft": None,
                "top_claim": "jobs-taken",
                "priority": 0.9,
            }
        ]
    )
    with store_of(app).session() as session:
        return int(session.query(ItemRow.id).filter_by(guid=guid).scalar())


def jobs(app: Factsandwich) -> Claim:
    claim = app.claims.get("jobs-taken")
    assert claim is not None
    return claim


def sent(app: Factsandwich, guid: str = "p1", by: str = "comms") -> tuple[int, int]:
    """An item sent to response by a comms officer: (item id, response id)."""
    item_id = add_item(app, guid)
    response_id = triage.send_to_response(store_of(app), item_id, jobs(app), app.drafts, by, token())
    assert response_id is not None
    return item_id, response_id


def version(app: Factsandwich, response_id: int) -> int:
    response = responses.get_response(store_of(app), response_id)
    assert response is not None
    return response.version


def status(app: Factsandwich, response_id: int) -> str:
    response = responses.get_response(store_of(app), response_id)
    assert response is not None
    return response.status


def edited(app: Factsandwich, response_id: int, by: str, parts: dict[str, str] = GOOD_PARTS) -> None:
    store = store_of(app)
    responses.edit_response(
        store, response_id, parts, version(app, response_id), by, token(), "they take our jobs"
    )


def decide(app: Factsandwich, response_id: int, by: str, approve: bool = True, **extra: Any) -> None:
    responses.decide_response(
        store_of(app),
        response_id,
        approve,
        by,
        token(),
        expected_version=version(app, response_id),
        claim=jobs(app),
        **extra,
    )


def actions(app: Factsandwich, response_id: int) -> list[str]:
    entries = store_of(app).list_audit(object_type="response", object_id=str(response_id))
    return [e.action for e in reversed(entries)]


@BOTH_DATABASES
def test_the_whole_lifecycle_with_two_postings(fake_app: Factsandwich) -> None:
    item_id, response_id = sent(fake_app)
    store = store_of(fake_app)
    response = responses.get_response(store, response_id)
    assert response is not None and response.drafted_by == "comms" and response.status == "draft"
    edited(fake_app, response_id, "speaker")
    responses.submit_response(store, response_id, version(fake_app, response_id), "speaker", token())
    assert status(fake_app, response_id) == "in_review"
    decide(fake_app, response_id, "approver")
    assert status(fake_app, response_id) == "approved"
    assert triage.get_item(store, item_id).status == "handled"  # type: ignore[union-attr]
    responses.add_posting(
        store, response_id, "Facebook", "https://facebook.example/post/1", "speaker", token()
    )
    responses.add_posting(store, response_id, "Website", "", "comms", token())
    postings = responses.postings_of(store, [response_id])[response_id]
    assert [(p.platform, p.url, p.posted_by) for p in postings] == [
        ("Facebook", "https://facebook.example/post/1", "speaker"),
        ("Website", None, "comms"),
    ]
    final = responses.get_response(store, response_id)
    assert final is not None and responses.state_of(final, postings) == "posted"
    assert status(fake_app, response_id) == "approved"  # reuse of approved answers still finds it
    # a posted response is final: no reopen, no edit, no second approval
    with pytest.raises(ResponseStateError, match="posted"):
        responses.reopen_response(store, response_id, version(fake_app, response_id), "speaker", token())
    with pytest.raises(ResponseStateError):
        edited(fake_app, response_id, "speaker")
    with pytest.raises(ResponseStateError):
        decide(fake_app, response_id, "approver")
    assert actions(fake_app, response_id) == [
        "response.create",
        "response.edit",
        "response.submit",
        "response.approved",
        "response.posted",
        "response.posted",
    ]
    (mine,) = responses.sent_items(store, "comms")
    assert mine.state == "posted" and len(mine.postings) == 2 and mine.item is not None
    assert responses.sent_items(store, "someone-else") == []


@BOTH_DATABASES
def test_refused_transitions_change_nothing(fake_app: Factsandwich) -> None:
    _item_id, response_id = sent(fake_app)
    store = store_of(fake_app)
    v = version(fake_app, response_id)
    with pytest.raises(ResponseStateError):  # only an approved response is posted
        responses.add_posting(store, response_id, "Facebook", "", "speaker", token())
    with pytest.raises(ResponseStateError):  # a draft is not reopened
        responses.reopen_response(store, response_id, v, "speaker", token())
    with pytest.raises(LifecycleInputError) as missing:  # a rejection says why
        decide(fake_app, response_id, "speaker", approve=False, reason="  ")
    assert missing.value.field == "reason"
    with pytest.raises(EditConflict):  # the version shown, not a newer one
        responses.submit_response(store, response_id, v + 1, "speaker", token())
    responses.submit_response(store, response_id, v, "speaker", token())
    with pytest.raises(ResponseStateError):  # submitted once
        responses.submit_response(store, response_id, v, "speaker", token())
    edited(fake_app, response_id, "speaker", {**GOOD_PARTS, "fallacy": "x" * 400})
    with pytest.raises(ChecksFailed):  # the checks still decide approval
        decide(fake_app, response_id, "approver")
    decide(fake_app, response_id, "approver", approve=False, reason="Too long for the channel.")
    refusals: list[Callable[[], object]] = [
        lambda: edited(fake_app, response_id, "speaker"),
        lambda: decide(fake_app, response_id, "approver"),
        lambda: responses.submit_response(store, response_id, version(fake_app, response_id), "x", token()),
        lambda: responses.regenerate_response(
            store,
            response_id,
            jobs(fake_app),
            fake_app.drafts,
            "short",
            "friendly",
            version(fake_app, response_id),
            "speaker",
            token(),
        ),
    ]
    for refused in refusals:
        with pytest.raises(ResponseStateError):
            refused()
    rejected = responses.get_response(store, response_id)
    assert rejected is not None and rejected.status == "rejected"
    assert (rejected.rejected_by, rejected.rejected_reason) == ("approver", "Too long for the channel.")
    with pytest.raises(LifecycleInputError):
        responses.add_posting(store, response_id, "Web", "javascript:alert(1)", "x", token())


@BOTH_DATABASES
def test_the_two_person_rule(fake_app: Factsandwich) -> None:
    _item, response_id = sent(fake_app, by="comms")
    edited(fake_app, response_id, "speaker")
    for author in ("comms", "speaker"):  # the drafter, the last editor
        with pytest.raises(SecondApproverNeeded):
            decide(fake_app, response_id, author, two_person=True)
    with pytest.raises(SecondApproverNeeded):  # not even an admin's override of the checks
        decide(fake_app, response_id, "speaker", two_person=True, override=True)
    assert status(fake_app, response_id) == "draft"
    decide(fake_app, response_id, "second", two_person=True)
    assert status(fake_app, response_id) == "approved"
    # without the rule, the last editor approves alone
    _other, alone = sent(fake_app, "p2", by="comms")
    edited(fake_app, alone, "speaker")
    decide(fake_app, alone, "speaker")
    assert status(fake_app, alone) == "approved"


@BOTH_DATABASES
def test_reopen_a_rejected_or_an_unposted_approved_response(fake_app: Factsandwich) -> None:
    store = store_of(fake_app)
    item_id, response_id = sent(fake_app)
    edited(fake_app, response_id, "speaker")
    decide(fake_app, response_id, "approver")
    approved_text = responses.get_response(store, response_id).text  # type: ignore[union-attr]
    responses.reopen_response(store, response_id, version(fake_app, response_id), "speaker", token())
    reopened = responses.get_response(store, response_id)
    assert reopened is not None and reopened.status == "draft" and reopened.approved_by is None
    assert reopened.text == approved_text  # the text is unchanged until someone edits it
    assert triage.get_item(store, item_id).status == "responding"  # type: ignore[union-attr]
    (record,) = [e for e in store.list_audit(object_type="response", object_id=str(response_id))][:1]
    assert record.action == "response.reopen" and record.before is not None
    assert record.before["status"] == "approved" and record.before["approved_by"] == "approver"

    decide(fake_app, response_id, "approver", approve=False, reason="Wrong myth.")
    # a new response for the item meanwhile: the rejected one is not reopened beside it
    second = triage.send_to_response(
        store, item_id, jobs(fake_app), fake_app.drafts, "comms", token(), seen_status="responding"
    )
    assert second is not None
    with pytest.raises(ResponseExists):
        responses.reopen_response(store, response_id, version(fake_app, response_id), "speaker", token())
    decide(fake_app, second, "approver", approve=False, reason="Not needed.")
    responses.reopen_response(store, response_id, version(fake_app, response_id), "speaker", token())
    again = responses.get_response(store, response_id)
    assert again is not None and again.status == "draft" and again.rejected_reason is None
    assert [r.status for r in responses.item_responses(store, item_id)] == ["rejected", "draft"]


@BOTH_DATABASES
def test_regenerate_in_another_channel_and_tone(fake_app: Factsandwich) -> None:
    store = store_of(fake_app)
    _item, response_id = sent(fake_app)
    before = responses.get_response(store, response_id)
    assert before is not None and (before.channel, before.tone) == ("short", "factual")
    responses.regenerate_response(
        store,
        response_id,
        jobs(fake_app),
        fake_app.drafts,
        "statement",
        "friendly",
        before.version,
        "speaker",
        token(),
    )
    after = responses.get_response(store, response_id)
    assert after is not None and (after.channel, after.tone, after.version) == ("statement", "friendly", 2)
    expected = fake_app.drafts.render(jobs(fake_app), "en", "statement", "friendly")
    assert after.text == expected.text != before.text
    assert actions(fake_app, response_id)[-1] == "response.regenerate"
    from factsandwich.errors import ReviewError

    with pytest.raises(ReviewError):
        responses.regenerate_response(
            store,
            response_id,
            jobs(fake_app),
            fake_app.drafts,
            "fax",
            "friendly",
            after.version,
            "speaker",
            token(),
        )
    decide(fake_app, response_id, "approver", override=True)
    with pytest.raises(ResponseStateError):  # refused on an approved response
        responses.regenerate_response(
            store,
            response_id,
            jobs(fake_app),
            fake_app.drafts,
            "short",
            "firm",
            version(fake_app, response_id),
            "speaker",
            token(),
        )


def test_version_diffs_are_word_level() -> None:
    changes = responses.text_changes("Work creates more work.", "Work creates <b>new</b> work.")
    assert [(c.kind, c.text) for c in changes] == [
        ("equal", "Work creates "),
        ("delete", "more"),
        ("insert", "<b>new</b>"),
        ("equal", " work."),
    ]
    assert "".join(c.text for c in changes if c.kind != "delete") == "Work creates <b>new</b> work."


REWRITES = [
    (  # a full rewrite: word by word it interleaved 35 runs ("the", " ") between deletions and insertions
        "The claim is false: the city has never paid anyone to move here, and the records show it.",
        "Nobody gets money for moving here; the council confirms it in the budget, and the auditors agree.",
    ),
    ("Die Stadt zahlt keine Prämie für den Umzug.", "Es gibt kein Umzugsgeld, sagt das Rathaus."),
    ("", "The first version is all new."),
    ("Everything goes.", ""),
]
EDITS = [
    (
        "Refugees do not get more money than pensioners. The basic rate is the same for everyone.",
        "Refugees do not get more money than pensioners. The standard rate is the same for all residents.",
    ),
    ("Work creates more work in the city", "Work brings new jobs in the region"),
    ("Same words.", "Same words."),
    ("Fakt: Die Stadt zahlt niemandem Geld.", "Fakt:  Die Stadt zahlt niemandem\nGeld!"),
    ("", ""),
]


@pytest.mark.parametrize(("old", "new"), REWRITES + EDITS)
def test_version_diffs_rebuild_both_texts(old: str, new: str) -> None:
    changes = responses.text_changes(old, new)
    assert "".join(c.text for c in changes if c.kind in ("equal", "delete")) == old
    assert "".join(c.text for c in changes if c.kind in ("equal", "insert")) == new
    assert all(c.text for c in changes)  # no empty runs
    assert all(a.kind != b.kind for a, b in itertools.pairwise(changes))  # runs are merged


@pytest.mark.parametrize(("old", "new"), REWRITES)
def test_a_rewrite_is_one_deletion_and_one_insertion(old: str, new: str) -> None:
    changes = responses.text_changes(old, new)
    assert [c.kind for c in changes] == [k for k, text in (("delete", old), ("insert", new)) if text]


def test_small_edits_stay_word_precise_and_shared_stop_words_join_the_change() -> None:
    basic, everyone = EDITS[0]
    assert [(c.kind, c.text) for c in responses.text_changes(basic, everyone)] == [
        ("equal", "Refugees do not get more money than pensioners. The "),
        ("delete", "basic"),
        ("insert", "standard"),
        ("equal", " rate is the same for "),
        ("delete", "everyone."),
        ("insert", "all residents."),
    ]
    # "in the" between two changes is part of one change, not an island between them.
    assert [(c.kind, c.text) for c in responses.text_changes(*EDITS[1])] == [
        ("equal", "Work "),
        ("delete", "creates more work in the city"),
        ("insert", "brings new jobs in the region"),
    ]


# -- the web endpoints ------------------------------------------------------------------------------------

PASSWORD = "correct horse battery"
USERS = {"comms": ["comms"], "speaker": ["spokesperson"], "second": ["spokesperson"], "editor": ["editor"]}


@pytest.fixture
def web(settings: Settings) -> Factsandwich:
    from dataclasses import replace

    core = Factsandwich(
        replace(settings, two_person_approval=True),
        store=Store(settings.effective_database_url),
        encoder=FakeEncoder(),
    )
    for name, roles in USERS.items():
        add_user(store_of(core), name, roles, PASSWORD, "en")
    return core


def client_of(core: Factsandwich, name: str, csrf: bool = False) -> FlaskClient:
    app: Flask = create_app(
        {"TESTING": True, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": csrf}, core=core
    )
    client = app.test_client()
    if csrf:
        page = client.get("/login").data.decode()
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None
        data = {"name": name, "password": PASSWORD, "csrf_token": found.group(1)}
    else:
        data = {"name": name, "password": PASSWORD}
    assert client.post("/login", data=data).status_code == 302
    return client


def form_of(page: str, action: str) -> dict[str, str]:
    found = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    assert found is not None, action
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', found.group(0)))


def test_routes_need_their_roles(web: Factsandwich) -> None:
    _item, response_id = sent(web)
    comms, speaker, editor = (client_of(web, n) for n in ("comms", "speaker", "editor"))
    posts = ("submit", "reopen", "regenerate", "post", "check")
    for path in posts:
        assert comms.post(f"/responses/{response_id}/{path}", data={}).status_code == 403
        assert editor.post(f"/responses/{response_id}/{path}", data={}).status_code == 403
    assert speaker.get("/sent").status_code == 403 and editor.get("/sent").status_code == 403
    assert comms.get("/sent").status_code == 200
    assert client_of(web, "comms").application.test_client().get("/sent").status_code == 302  # no login


def test_live_check_needs_csrf_and_reports_as_the_approval_would(web: Factsandwich) -> None:
    _item, response_id = sent(web)
    speaker = client_of(web, "speaker", csrf=True)
    page = speaker.get(f"/responses/{response_id}").data.decode()
    assert f'data-check-url="/responses/{response_id}/check"' in page
    csrf = form_of(page, f"/responses/{response_id}/edit")["csrf_token"]
    too_long = {**GOOD_PARTS, "fallacy": "x" * 400}
    refused = speaker.post(f"/responses/{response_id}/check", data=too_long)
    assert refused.status_code == 400  # no CSRF token: refused like every other POST
    answer = speaker.post(f"/responses/{response_id}/check", data=too_long, headers={"X-CSRFToken": csrf})
    body = answer.get_json()
    assert answer.status_code == 200 and body["ok"] is False and body["limit"] == 280
    expected = responses.draft_problems(too_long, "short", "en", jobs(web), "DE")
    assert body["problems"] == expected and any("over the 280 allowed" in p for p in expected)
    good = speaker.post(f"/responses/{response_id}/check", data=GOOD_PARTS, headers={"X-CSRFToken": csrf})
    assert good.get_json()["ok"] is True and good.get_json()["problems"] == []
    assert version(web, response_id) == 1  # a check saves nothing


def test_rejection_reaches_the_comms_officer_and_diffs_are_escaped(web: Factsandwich) -> None:
    item_id, response_id = sent(web)
    speaker, comms = client_of(web, "speaker"), client_of(web, "comms")
    edited(web, response_id, "speaker", {**GOOD_PARTS, "fact_repeat": "<script>alert(1)</script> work."})
    page = speaker.get(f"/responses/{response_id}").data.decode()
    # The edit rewrites the generated draft, so the diff shows it as one insertion: escaped, no tag in it.
    assert re.search(r"<ins>[^<>]*&lt;script&gt;alert\(1\)&lt;/script&gt; work\.</ins>", page)
    assert "<script>alert" not in page
    fields = form_of(page, f"/responses/{response_id}/reject")
    no_reason = speaker.post(f"/responses/{response_id}/reject", data=fields, follow_redirects=True)
    assert "Please give a reason" in no_reason.data.decode() and status(web, response_id) == "draft"
    fields = form_of(
        speaker.get(f"/responses/{response_id}").data.decode(), f"/responses/{response_id}/reject"
    )
    speaker.post(f"/responses/{response_id}/reject", data={**fields, "reason": "Cite the <2024> figures."})
    assert status(web, response_id) == "rejected"
    for page in (comms.get(f"/items/{item_id}").data.decode(), comms.get("/sent").data.decode()):
        assert "Cite the &lt;2024&gt; figures." in page and "rejected" in page


def test_two_person_rule_in_the_web_ui_and_german_words(web: Factsandwich) -> None:
    _item, response_id = sent(web)
    speaker, second = client_of(web, "speaker"), client_of(web, "second")
    edited(web, response_id, "speaker")
    page = speaker.get(f"/responses/{response_id}").data.decode()
    assert "Two-person rule" in page
    refused = speaker.post(
        f"/responses/{response_id}/approve",
        data=form_of(page, f"/responses/{response_id}/approve"),
        follow_redirects=True,
    )
    assert "under the two-person rule someone else approves it" in refused.data.decode()
    assert status(web, response_id) == "draft"
    second.post("/language", data={"language": "de"})
    page = second.get(f"/responses/{response_id}").data.decode()
    assert "Vier-Augen-Prinzip" in page and "Zur Freigabe einreichen" in page
    done = second.post(
        f"/responses/{response_id}/approve",
        data=form_of(page, f"/responses/{response_id}/approve"),
        follow_redirects=True,
    ).data.decode()
    assert status(web, response_id) == "approved" and "Veröffentlichung eintragen" in done
    posted = second.post(
        f"/responses/{response_id}/post",
        data={**form_of(done, f"/responses/{response_id}/post"), "platform": "Website", "url": "ftp://x"},
        follow_redirects=True,
    ).data.decode()
    assert "muss mit http:// oder https:// beginnen" in posted
    assert responses.postings_of(store_of(web), [response_id])[response_id] == []


def test_assign_a_response_on_its_page_once_and_find_it_under_my_responses(web: Factsandwich) -> None:
    from factsandwich import accounts

    add_user(store_of(web), "boss", ["admin"], PASSWORD, "en")  # admins may take responses too
    _item, response_id = sent(web)
    speaker = client_of(web, "speaker", csrf=True)
    action = f"/responses/{response_id}/assign"
    page = speaker.get(f"/responses/{response_id}").data.decode()
    assert "Assigned to nobody." in page
    form = re.search(rf'<form method="post" action="{action}".*?</form>', page, re.S)
    assert form is not None  # only active people who act on responses, and nobody
    assert re.findall(r'<option value="([^"]*)"', form.group(0)) == ["", "boss", "second", "speaker"]
    stale = form_of(page, action)
    assert set(stale) == {"csrf_token", "form_token"}
    assert speaker.post(action, data={"person": "second", "form_token": "f"}).status_code == 400  # no CSRF
    second = next(u for u in accounts.list_users(store_of(web)) if u.name == "second")
    accounts.set_disabled(store_of(web), second.id, True, "boss", None)
    # A page shown before "second" was disabled: refused, nothing assigned.
    refused = speaker.post(action, data={**stale, "person": "second"}, follow_redirects=True).data.decode()
    assert "cannot take this" in refused and "Assigned to nobody." in refused
    accounts.set_disabled(store_of(web), second.id, False, "boss", None)
    fields = form_of(speaker.get(f"/responses/{response_id}").data.decode(), action)
    done = speaker.post(action, data={**fields, "person": "second"}, follow_redirects=True).data.decode()
    assert '<p class="assignee">Assigned to second.</p>' in done
    twice = speaker.post(action, data={**fields, "person": "speaker"})  # the same form sent again
    assert twice.status_code == 303
    response = responses.get_response(store_of(web), response_id)
    assert response is not None and response.assigned_to == "second"
    assert actions(web, response_id).count("response.assigned") == 1
    mine = client_of(web, "second").get("/responses?mine=1").data.decode()
    assert f'href="/responses/{response_id}"' in mine and "My responses" in mine
    assert f'href="/responses/{response_id}"' not in speaker.get("/responses?mine=1").data.decode()
    listed = speaker.get("/responses").data.decode()
    assert '<td class="assignee">second</td>' in listed and f'href="/responses/{response_id}"' in listed
