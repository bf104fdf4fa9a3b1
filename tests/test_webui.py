"""The web UI with Flask's test client (fake encoder): roles on every route, CSRF, double submissions,
concurrent edits, validation, health, security headers. The real browser tests are in test_browser.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import DEMO, FakeEncoder
from flask import Flask
from flask.testing import FlaskClient

from factsandwich.accounts import ROLES, add_user
from factsandwich.config import Settings
from factsandwich.pipeline import Factsandwich
from factsandwich.storage import Store
from factsandwich.storage.tables import AuditRow, ItemRow, ResponseRow
from webui import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def core(settings: Settings) -> Factsandwich:
    app = Factsandwich(settings, store=Store(settings.effective_database_url), encoder=FakeEncoder())
    list(app.scan([str(DEMO / "feeds"), str(DEMO / "posts.jsonl")]))
    assert app.store is not None
    for role in ROLES:
        add_user(app.store, role, [role], PASSWORD, "en")
    return app


def make_app(core: Factsandwich, csrf: bool) -> Flask:
    config = {"TESTING": True, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": csrf}
    return create_app({**config, "ORGANISATION": "Stadt Musterstadt"}, core=core)


@pytest.fixture
def app(core: Factsandwich) -> Flask:
    return make_app(core, csrf=False)


def login(client: FlaskClient, name: str) -> None:
    response = client.post("/login", data={"name": name, "password": PASSWORD})
    assert response.status_code == 302, response.data


def flagged_item(core: Factsandwich) -> ItemRow:
    assert core.store is not None
    return next(i for i in core.store.list_items(flagged=True) if i.matches)


def make_response(core: Factsandwich, client: FlaskClient) -> int:
    item = flagged_item(core)
    client.post(
        f"/items/{item.id}/respond",
        data={
            "claim_id": item.matches[0]["claim_id"],
            "channel": "short",
            "tone": "factual",
            "form_token": f"t-{item.id}",
        },
    )
    assert core.store is not None
    with core.store.session() as session:
        return max(r.id for r in session.query(ResponseRow).all())


# (method, path, roles allowed; None = any logged-in user)
ROUTES: list[tuple[str, str, set[str] | None]] = [
    ("GET", "/", None),
    ("GET", "/dashboard", None),
    ("GET", "/triage", {"comms"}),
    ("GET", "/items/{item}", {"comms", "spokesperson"}),
    ("POST", "/items/{item}/dismiss", {"comms"}),
    ("POST", "/items/{item}/mark", {"comms"}),
    ("POST", "/items/{item}/respond", {"comms"}),
    ("POST", "/triage/dismiss", {"comms"}),
    ("GET", "/responses", {"spokesperson"}),
    ("GET", "/responses/{response}", {"spokesperson"}),
    ("POST", "/responses/{response}/edit", {"spokesperson"}),
    ("POST", "/responses/{response}/approve", {"spokesperson"}),
    ("POST", "/responses/{response}/reject", {"spokesperson"}),
    ("GET", "/responses/{response}/claimreview.json", {"spokesperson"}),
    ("GET", "/claims", {"editor"}),
    ("GET", "/claims/new", {"editor"}),
    ("POST", "/claims/new", {"editor"}),
    ("GET", "/claims/jobs-taken", {"editor"}),
    ("POST", "/claims/jobs-taken", {"editor"}),
    ("GET", "/claims/jobs-taken/history", {"editor"}),
    ("GET", "/claims/export.zip", {"editor"}),
    ("POST", "/claims/import", {"editor"}),
    ("POST", "/language", None),
    ("GET", "/audit", {"admin"}),
    ("GET", "/feeds", {"comms"}),
    ("POST", "/feeds/add", {"comms"}),
    ("POST", "/feeds/remove", {"comms"}),
]


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_authorisation_matrix(core: Factsandwich, app: Flask, role: str) -> None:
    """Every route and action against every role and anonymous: the expected status for each."""
    setup = app.test_client()
    login(setup, "admin")
    ids = {"item": flagged_item(core).id, "response": make_response(core, setup)}
    client = app.test_client()
    if role != "anonymous":
        login(client, role)
    for method, path, allowed in ROUTES:
        url = path.format(**ids)
        response = client.open(url, method=method, data={})
        if role == "anonymous":
            expected = "302 to login"
            ok = response.status_code == 302 and "/login" in response.headers["Location"]
        elif allowed is None or role == "admin" or role in allowed:
            expected = "allowed"
            ok = response.status_code not in (302, 403) or "/login" not in response.headers.get(
                "Location", ""
            )
            ok = ok and response.status_code != 403
        else:
            expected = "403"
            ok = response.status_code == 403
        assert ok, f"{role} {method} {url}: got {response.status_code}, expected {expected}"


def test_health_reports_database_index_and_models(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["ok"]
    assert set(body["checks"]) == {"database", "index", "models"} and body["checks"]["index"]["claims"] == 18


def test_security_headers_and_no_inline_script(app: Flask) -> None:
    client = app.test_client()
    login(client, "comms")
    response = client.get("/triage")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert not re.search(rb"<script(?![^>]*\bsrc=)", response.data)  # only external scripts


def test_an_action_on_a_missing_item_is_a_404_page(app: Flask) -> None:
    client = app.test_client()
    login(client, "comms")
    missing = client.post("/items/999999/mark", data={"kind": "misinformation", "form_token": "t-missing"})
    assert missing.status_code == 404 and b"item 999999 not found" in missing.data
    assert b"<html" in missing.data  # the error page (error.html), not a bare message


def test_csrf_is_required(core: Factsandwich) -> None:
    client = make_app(core, csrf=True).test_client()
    response = client.post("/login", data={"name": "comms", "password": PASSWORD})
    assert response.status_code == 400
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    ok = client.post("/login", data={"name": "comms", "password": PASSWORD, "csrf_token": token.group(1)})
    assert ok.status_code == 302


def test_login_is_rate_limited(app: Flask) -> None:
    client = app.test_client()
    for _ in range(5):
        assert client.post("/login", data={"name": "comms", "password": "wrong"}).status_code == 401
    assert client.post("/login", data={"name": "comms", "password": PASSWORD}).status_code == 429


def test_feed_text_is_escaped_in_pages(core: Factsandwich, app: Flask) -> None:
    assert core.store is not None
    core.store.add_items(
        [
            {
                "source": "evil",
                "guid": "x1",
                "link": "javascript:alert(1)",
                "title": "<script>alert(1)</script>",
                "text": '<img src=x onerror="alert(1)"> text',
                "content_hash": "h" * 64,
                "language": "en",
                "published": None,
                "myth_probability": 0.99,
                "flagged": True,
                "matches": [],
                "draft": None,
                "top_claim": None,
                "priority": 2.0,
            }
        ]
    )
    client = app.test_client()
    login(client, "comms")
    item_id = next(i.id for i in core.store.list_items() if i.guid == "x1")
    for url in ("/triage", f"/items/{item_id}"):
        page = client.get(url).data.decode()
        assert "<script>alert" not in page and "<img src=x" not in page
        assert 'href="javascript:' not in page


def test_double_submission_creates_one_record(core: Factsandwich, app: Flask) -> None:
    client = app.test_client()
    login(client, "comms")
    item = flagged_item(core)
    form = {
        "claim_id": item.matches[0]["claim_id"],
        "channel": "short",
        "tone": "factual",
        "form_token": "same",
    }
    client.post(f"/items/{item.id}/respond", data=form)
    client.post(f"/items/{item.id}/respond", data=form)
    assert core.store is not None
    with core.store.session() as session:
        assert session.query(ResponseRow).filter_by(item_id=item.id).count() == 1
        assert session.query(AuditRow).filter_by(action="response.create").count() == 1


def test_triage_to_approval_flow_is_audited(core: Factsandwich, app: Flask) -> None:
    client = app.test_client()
    login(client, "spokesperson")
    setup = app.test_client()
    login(setup, "comms")
    response_id = make_response(core, setup)
    page = client.get(f"/responses/{response_id}").data.decode()
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version is not None
    parts = {name: f"{name} text" for name in ("fact", "warning", "myth", "fallacy", "fact_repeat")}
    client.post(
        f"/responses/{response_id}/edit", data={**parts, "version": version.group(1), "form_token": "e1"}
    )
    stale = client.post(
        f"/responses/{response_id}/edit", data={**parts, "version": version.group(1), "form_token": "e2"}
    )
    assert stale.status_code == 409  # an edit based on an old version is refused, not merged
    page = client.get(f"/responses/{response_id}").data.decode()
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version is not None
    client.post(f"/responses/{response_id}/approve", data={"form_token": "a1", "version": version.group(1)})
    page = client.get(f"/responses/{response_id}").data.decode()
    assert "spokesperson" in page and "fact text warning text" in page
    review = client.get(f"/responses/{response_id}/claimreview.json").get_json()
    assert review["@type"] == "ClaimReview" and review["reviewBody"].startswith("fact text")
    assert core.store is not None
    actions = [a.action for a in core.store.list_audit()]
    assert {"response.create", "response.edit", "response.approved", "item.handled"} <= set(actions)


def _claim_form(client: FlaskClient, claim_id: str) -> dict[str, Any]:
    page = client.get(f"/claims/{claim_id}").data.decode()
    fields: dict[str, Any] = dict(re.findall(r'<input (?:type="hidden" )?name="(\w+)" value="([^"]*)"', page))
    for name, value in re.findall(r'<textarea name="(\w+)"[^>]*>([^<]*)</textarea>', page):
        fields[name] = value.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    for name, value in re.findall(r'<select name="(\w+)">.*?<option value="([^"]+)" selected>', page, re.S):
        fields[name] = value
    return fields


def test_claim_edit_conflict_and_missing_source(core: Factsandwich, app: Flask) -> None:
    first, second = app.test_client(), app.test_client()
    login(first, "editor")
    login(second, "admin")
    form = _claim_form(first, "jobs-taken")
    stale = dict(form)
    form["fact_en"] = form["fact_en"] + " "
    form["topics"] = "labour-market, economy, jobs"
    assert first.post("/claims/jobs-taken", data={**form, "form_token": "c1"}).status_code == 302
    conflict = second.post("/claims/jobs-taken", data={**stale, "form_token": "c2"})
    assert conflict.status_code == 409 and b"was changed by editor" in conflict.data

    fresh = _claim_form(first, "jobs-taken")
    fresh["sources"] = ""
    refused = first.post("/claims/jobs-taken", data={**fresh, "form_token": "c3"})
    assert refused.status_code == 422
    assert re.search(rb'<label class="invalid">[^<]+<textarea name="sources"', refused.data)  # marked
    assert core.claims.get("jobs-taken") is not None and core.claims.get("jobs-taken").sources  # type: ignore[union-attr]


@pytest.fixture
def cli_env(core: Factsandwich, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FACTSANDWICH_DATA_DIR", str(core.settings.data_dir))
    monkeypatch.setenv("FACTSANDWICH_DATABASE_URL", core.settings.effective_database_url)
    yield


def test_users_add_cli(cli_env: None, tmp_path: Any) -> None:
    from click.testing import CliRunner

    from factsandwich.cli import main

    password = tmp_path / "pw"
    password.write_text("a long enough password\n")
    runner = CliRunner()
    ok = runner.invoke(
        main,
        ["users", "add", "anna", "--role", "editor", "--role", "comms", "--password-file", str(password)],
    )
    assert ok.exit_code == 0 and "added anna (comms, editor)" in ok.output
    again = runner.invoke(
        main, ["users", "add", "anna", "--role", "editor", "--password-file", str(password)]
    )
    assert again.exit_code == 1 and "exists already" in again.output
    bad = runner.invoke(main, ["users", "add", "bob", "--role", "king", "--password-file", str(password)])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_browser_line_breaks_count_once(core: Factsandwich, app: Flask) -> None:
    """Browsers post CRLF; the saved text must have the length the live counter showed (LF)."""
    client = app.test_client()
    login(client, "admin")
    response_id = make_response(core, client)
    page = client.get(f"/responses/{response_id}").data.decode()
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version is not None
    parts = {name: "x" for name in ("fact", "warning", "myth", "fallacy", "fact_repeat")}
    parts["fallacy"] = "line one\r\nline two"
    client.post(
        f"/responses/{response_id}/edit", data={**parts, "version": version.group(1), "form_token": "n1"}
    )
    assert core.store is not None
    with core.store.session() as session:
        text = session.get(ResponseRow, response_id).text  # type: ignore[union-attr]
    assert "\r" not in text and "line one\nline two" in text


def test_feeds_page_adds_lists_and_removes(core: Factsandwich, app: Flask) -> None:
    client = app.test_client()
    login(client, "comms")
    client.post(
        "/feeds/add",
        data={"url": "https://anzeiger.example/feed.xml", "name": "Anzeiger <b>", "interval": "600"},
    )
    page = client.get("/feeds").data.decode()
    assert "Anzeiger &lt;b&gt;" in page and "https://anzeiger.example/feed.xml" in page
    refused = client.post("/feeds/add", data={"url": "javascript:alert(1)", "interval": "600"})
    assert refused.status_code == 400 and b"not an http(s) feed URL" in refused.data
    client.post("/feeds/remove", data={"url": "https://anzeiger.example/feed.xml"})
    assert "anzeiger.example" not in client.get("/feeds").data.decode()
