"""The partners' read-only JSON API (tokens hashed at rest, rate limited across workers), the narrative
exports, and the narrative, emerging-myth and alert pages through Flask's test client (issue 14).
The encoder is the fake one: these tests are about the web shell, not about embeddings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FakeEncoder
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from test_narratives import COPY, JOBS, RUMOUR, add, approved_response

from factsandwich import narratives, partners
from factsandwich.accounts import add_user
from factsandwich.config import Settings
from factsandwich.embed import CachedEncoder
from factsandwich.pipeline import Factsandwich
from factsandwich.storage import Store
from factsandwich.storage.tables import ApiTokenRow
from webui import create_app
from webui.i18n import known

PASSWORD = "correct horse battery"
TEMPLATES = Path(__file__).parent.parent / "webui" / "templates"


@pytest.fixture
def core(tmp_path: Path) -> Factsandwich:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'web.db'}")
    store = Store(settings.effective_database_url)
    core = Factsandwich(settings, store=store, encoder=CachedEncoder(FakeEncoder(), store))
    for name, roles in {"comms": ["comms"], "editor": ["editor"], "admin": ["admin"]}.items():
        add_user(store, name, roles, PASSWORD, "en")
    for hours, tail in enumerate(["a", "b", "c"]):
        add(store, f"{COPY} {tail}", JOBS, hours=hours)
    for hours, tail in enumerate(["a", "b", "c", "d"]):
        add(store, f"{RUMOUR} {tail}", [], hours=hours, language="de")
    narratives.update_narratives(store, core.encoder)
    return core


@pytest.fixture
def app(core: Factsandwich) -> Flask:
    return create_app({"TESTING": True, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False}, core=core)


def store_of(core: Factsandwich) -> Store:
    assert core.store is not None
    return core.store


def login(client: FlaskClient, name: str) -> None:
    assert client.post("/login", data={"name": name, "password": PASSWORD}).status_code in (302, 303)


def test_api_needs_a_partner_token_and_keeps_only_its_hash(core: Factsandwich, app: Flask) -> None:
    client = app.test_client()
    assert client.get("/api/v1/narratives").status_code == 401
    assert client.get("/api/v1/narratives", headers={"Authorization": "Bearer fsw_wrong"}).status_code == 401
    token = partners.create_token(store_of(core), "Allied Town")
    with store_of(core).session() as session:
        stored_hashes = session.scalars(select(ApiTokenRow.token_hash)).all()
    assert stored_hashes == [partners.hash_token(token)] and token not in stored_hashes
    auth = {"Authorization": f"Bearer {token}"}
    listing = client.get("/api/v1/narratives", headers=auth)
    assert listing.status_code == 200 and listing.headers["Cache-Control"] == "no-store"
    found = listing.get_json()["narratives"]
    assert len(found) == 1 and found[0]["claim_id"] == "jobs-taken" and found[0]["count"] == 3
    assert found[0]["approved_response"] is None and len(found[0]["guids"]) == 3
    one = client.get(f"/api/v1/narratives/{found[0]['id']}", headers=auth)
    assert one.status_code == 200 and one.get_json()["myth"]
    assert client.get("/api/v1/narratives/n-missing", headers=auth).status_code == 404
    assert client.get("/api/v1/narratives?language=fr", headers=auth).status_code == 400
    assert client.get("/api/v1/narratives?language=de", headers=auth).get_json() == {"narratives": []}
    assert client.get("/api/v1/responses", headers=auth).get_json() == {"responses": []}
    assert client.post("/api/v1/narratives", headers=auth).status_code == 405
    partners.revoke_token(store_of(core), "Allied Town")
    assert client.get("/api/v1/narratives", headers=auth).status_code == 401


def test_api_is_rate_limited_per_token(
    core: Factsandwich, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTSANDWICH_API_RATE_LIMIT", "3")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {partners.create_token(store_of(core), 'A')}"}
    other = {"Authorization": f"Bearer {partners.create_token(store_of(core), 'B')}"}
    codes = [client.get("/api/v1/responses", headers=auth).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/api/v1/responses", headers=auth)
    assert limited.headers["Retry-After"] == "60"
    assert client.get("/api/v1/responses", headers=other).status_code == 200  # per token


def test_narrative_page_answers_once_and_exports(core: Factsandwich, app: Flask) -> None:
    client = app.test_client()
    login(client, "comms")
    view = narratives.list_narratives(store_of(core))[0]
    response_id = approved_response(store_of(core), view.info.item_ids[0])
    assert b"View by narrative" in client.get("/triage").data  # the queue, by narrative
    page = client.get("/narratives")
    assert page.status_code == 200 and b"Migrants are taking our jobs" in page.data
    assert b"3 posts" in page.data and b"Reuse" not in page.data
    assert b"Suggested: reuse the proven answer" in page.data
    done = client.post(
        f"/narratives/{view.info.id}/answer", data={"response_id": response_id, "form_token": "a1"}
    )
    assert done.status_code == 303
    # the posts without a response of their own are answered (the first has the original one)
    assert {store_of(core).get_item(i).status for i in view.info.item_ids[1:]} == {"handled"}  # type: ignore[union-attr]
    exported = client.get(f"/narratives/{view.info.id}/export.json")
    record = json.loads(exported.data)
    assert record["approved_response"]["id"] == response_id and record["count"] == 3
    assert "attachment" in exported.headers["Content-Disposition"]
    csv_text = client.get(f"/narratives/{view.info.id}/export.csv").data.decode()
    assert csv_text.startswith("id,claim_id,myth,count") and "The fact" in csv_text
    detail = client.get(f"/narratives/{view.info.id}")
    assert detail.status_code == 200 and b"Split off the selected" in detail.data
    assert client.get("/narratives/n-missing").status_code == 404


def test_split_merge_and_dismiss_from_the_page(core: Factsandwich, app: Flask) -> None:
    client = app.test_client()
    login(client, "comms")
    view = narratives.list_narratives(store_of(core))[0]
    split = client.post(
        f"/narratives/{view.info.id}/split",
        data={"item_id": [str(view.info.item_ids[-1])], "version": view.info.version, "form_token": "s1"},
    )
    assert split.status_code == 303
    assert sorted(v.info.size for v in narratives.list_narratives(store_of(core))) == [1, 2]
    stale = client.post(
        f"/narratives/{view.info.id}/split",
        data={"item_id": [str(view.info.item_ids[0])], "version": view.info.version, "form_token": "s2"},
        follow_redirects=True,
    )
    assert b"Not split" in stale.data
    other = next(v for v in narratives.list_narratives(store_of(core)) if v.info.id != view.info.id)
    merged = client.post(
        f"/narratives/{view.info.id}/merge", data={"other": other.info.id, "form_token": "m1"}
    )
    assert merged.status_code == 303 and len(narratives.list_narratives(store_of(core))) == 1
    dismissed = client.post(
        f"/narratives/{view.info.id}/dismiss",
        data={"reason": "not_a_myth", "form_token": "d1"},
        follow_redirects=True,
    )
    assert b"3 posts dismissed." in dismissed.data


def test_emerging_myths_prefill_the_claim_editor_for_editors_only(core: Factsandwich, app: Flask) -> None:
    client = app.test_client()
    login(client, "comms")
    assert client.get("/emerging").status_code == 403
    client = app.test_client()
    login(client, "editor")
    page = client.get("/emerging")
    assert page.status_code == 200 and b"Create a pair from this" in page.data
    cluster = narratives.emerging(store_of(core))[0]
    editor = client.get(f"/emerging/{cluster.info.id}/pair")
    assert editor.status_code == 200
    text = editor.data.decode()
    assert RUMOUR in text  # the posts as the myth's wordings
    assert (
        re.search(r'name="fact_de"[^>]*>\s*</textarea>|name="fact_de"[^>]*value=""', text)
        or "fact_de" in text
    )


def test_alert_settings_per_person_and_the_log_for_admins(core: Factsandwich, app: Flask) -> None:
    client = app.test_client()
    login(client, "comms")
    bad = client.post(
        "/alerts", data={"channel": "email", "target": "nope", "kind": ["digest"]}, follow_redirects=True
    )
    assert b"is not an e-mail address" in bad.data
    good = client.post(
        "/alerts",
        data={
            "channel": "webhook",
            "target": "https://hooks.example/x",
            "kind": ["surge", "local"],
            "language": "en",
        },
        follow_redirects=True,
    )
    assert b"Alert saved." in good.data and b"https://hooks.example/x" in good.data
    assert b"Alerts sent" not in good.data  # the log is the admins'
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get("/alerts")
    assert b"Alerts sent" in page.data and b"https://hooks.example/x" not in page.data  # not theirs


def test_every_word_of_the_new_pages_is_in_german_and_english() -> None:
    used: set[str] = set()
    for name in ("narratives.html", "narratives_detail.html", "emerging.html", "alerts.html"):
        used |= set(re.findall(r"""_\(\s*["']([a-z_0-9]+)["']""", (TEMPLATES / name).read_text()))
    source = (Path(__file__).parent.parent / "webui" / "narratives.py").read_text()
    used |= set(re.findall(r"""_say\(\s*["']([a-z_0-9]+)["']""", source))
    used |= {f"kind_{k}" for k in ("digest", "surge", "local")} | {"channel_email", "channel_webhook"}
    used = {k for k in used if not k.endswith("_")}  # prefixes of computed keys (status_ + …)
    missing = sorted(k for k in used if not (known(k, "de") and known(k, "en")))
    assert missing == []
