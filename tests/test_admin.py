"""Accounts and the audit log (issue 13, admin): the library's rules on both databases (each action,
the last admin, names, secrets kept out of the audit, a disabled account's sessions), the pages
through Flask's test client (CSRF off; fake encoder: nothing here is about models), and the audit
page's filters, keyset pages and readable, escaped diffs."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from conftest import FakeEncoder, _empty_postgres
from flask import Flask
from flask.testing import FlaskClient

from factsandwich import accounts
from factsandwich.audit_log import as_text, changes, line_diff
from factsandwich.config import Settings
from factsandwich.errors import AccountRefused, NotFound
from factsandwich.pipeline import Factsandwich
from factsandwich.storage import Store
from factsandwich.storage.tables import AuditRow, UserRow, WebSessionRow
from factsandwich.storage.values import AuditEntry, AuditFilter
from webui import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite, or an emptied PostgreSQL with `BOTH`; no models (nothing here needs them)."""
    kind = getattr(request, "param", "sqlite")
    return _empty_postgres() if kind == "postgresql" else f"sqlite:///{tmp_path / 'admin.db'}"


BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def store(database_url: str) -> Store:
    store = Store(database_url)
    accounts.add_user(store, "admin", ["admin"], PASSWORD, "en")
    accounts.add_user(store, "comms", ["comms"], PASSWORD, "en")
    return store


def user_id(store: Store, name: str) -> int:
    return next(u.id for u in accounts.list_users(store) if u.name == name)


def audit_text(store: Store) -> str:
    return " ".join(f"{e.before} {e.after}" for e in store.list_audit(limit=10_000))


# -- the library ----------------------------------------------------------------------------------


@BOTH
def test_each_account_action_changes_the_account_and_is_audited(store: Store) -> None:
    comms = user_id(store, "comms")
    user = accounts.set_roles(store, comms, ["comms", "spokesperson"], "admin", "t1")
    assert user is not None and user.roles == {"comms", "spokesperson"}
    assert accounts.set_roles(store, comms, ["editor"], "admin", "t1") is None  # the same form twice
    disabled = accounts.set_disabled(store, comms, True, "admin", "t2")
    assert disabled is not None and disabled.disabled_at is not None
    assert accounts.authenticate(store, "comms", PASSWORD, "1.2.3.4") is None
    accounts.set_disabled(store, comms, False, "admin", "t3")
    assert accounts.authenticate(store, "comms", PASSWORD, "1.2.3.4") is not None
    generated = accounts.reset_password(store, comms, "", "admin", "t4")
    assert generated is not None and len(generated) >= accounts.MIN_PASSWORD
    assert accounts.authenticate(store, "comms", PASSWORD, "1.2.3.5") is None
    assert accounts.authenticate(store, "comms", generated, "1.2.3.6") is not None
    typed = accounts.reset_password(store, comms, "a typed password", "admin", "t5")
    assert typed == "a typed password"
    actions = [e.action for e in store.list_audit()][::-1]
    assert actions == [
        "user.add",
        "user.add",
        "user.roles",
        "user.disable",
        "user.enable",
        "user.reset_password",
        "user.reset_password",
    ]
    (roles_entry,) = store.audit_page(AuditFilter(action="user.roles")).entries
    assert roles_entry.before == {"name": "comms", "roles": ["comms"]}
    assert roles_entry.after == {"name": "comms", "roles": ["comms", "spokesperson"]}
    with pytest.raises(NotFound):
        accounts.set_disabled(store, 999_999, True, "admin", "t6")


@BOTH
def test_the_last_enabled_admin_stays(store: Store) -> None:
    admin = user_id(store, "admin")
    for refused in (
        lambda: accounts.set_disabled(store, admin, True, "admin", None),
        lambda: accounts.set_roles(store, admin, ["comms"], "admin", None),
    ):
        with pytest.raises(AccountRefused) as caught:
            refused()
        assert caught.value.key == "last_admin"
    assert accounts.list_users(store)[0].roles == {"admin"}  # nothing changed, nothing audited
    assert [e.action for e in store.list_audit()] == ["user.add", "user.add"]
    second = accounts.add_user(store, "second admin", ["admin"], PASSWORD, "en")
    accounts.set_disabled(store, second.id, True, "admin", None)
    with pytest.raises(AccountRefused):  # a disabled admin does not count
        accounts.set_roles(store, admin, ["editor"], "admin", None)
    accounts.set_disabled(store, second.id, False, "admin", None)
    assert accounts.set_roles(store, admin, ["editor"], "second admin", None) is not None


@BOTH
def test_two_admins_demoting_each_other_at_once_leave_one(store: Store) -> None:
    other = accounts.add_user(store, "other", ["admin"], PASSWORD, "en")
    admin = user_id(store, "admin")
    barrier, outcomes = threading.Barrier(2), []

    def demote(target: int, actor: str) -> None:
        barrier.wait()
        try:
            accounts.set_disabled(store, target, True, actor, None)
            outcomes.append("disabled")
        except AccountRefused:
            outcomes.append("refused")
        except Exception as error:  # SQLite refuses the second writer: nothing changes either
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=demote, args=args) for args in ((admin, "other"), (other.id, "admin"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    enabled_admins = [u for u in accounts.list_users(store) if "admin" in u.roles and u.disabled_at is None]
    assert len(enabled_admins) == 1, outcomes
    assert outcomes.count("disabled") == 1


@BOTH
def test_names_are_validated(store: Store) -> None:
    for name in ("", "   ", "x" * 201, "line\nbreak", "tab\there", "nul\x00"):
        with pytest.raises(AccountRefused) as caught:
            accounts.add_user(store, name, ["comms"], PASSWORD)
        assert caught.value.key == "user_name_invalid"
    with pytest.raises(AccountRefused) as caught:
        accounts.add_user(store, "COMMS", ["comms"], PASSWORD)
    assert caught.value.key == "user_exists"
    for roles, key in (([], "user_roles_invalid"), (["root"], "user_roles_invalid")):
        with pytest.raises(AccountRefused) as caught:
            accounts.add_user(store, "new", roles, PASSWORD)
        assert caught.value.key == key
    with pytest.raises(AccountRefused) as caught:
        accounts.add_user(store, "new", ["comms"], "short")
    assert caught.value.key == "password_too_short"
    assert accounts.add_user(store, "  Jürgen Müller  ", ["comms"], PASSWORD).name == "Jürgen Müller"


@BOTH
def test_a_person_changes_their_own_password_and_other_sessions_end(store: Store) -> None:
    comms = next(u for u in accounts.list_users(store) if u.name == "comms")
    here, elsewhere = accounts.start_session(store, comms), accounts.start_session(store, comms)
    for current, new, key in (
        ("wrong password!", "a new long password", "current_password_wrong"),
        (PASSWORD, "short", "password_too_short"),
        (PASSWORD, PASSWORD, "password_unchanged"),
    ):
        with pytest.raises(AccountRefused) as caught:
            accounts.change_own_password(store, comms, current, new, here, None)
        assert caught.value.key == key
    assert accounts.change_own_password(store, comms, PASSWORD, "a new long password", here, "f1")
    assert not accounts.change_own_password(store, comms, PASSWORD, "a new long password", here, "f1")
    assert accounts.session_user(store, here) is not None
    assert accounts.session_user(store, elsewhere) is None
    assert accounts.authenticate(store, "comms", "a new long password", "1.1.1.1") is not None
    (entry,) = store.audit_page(AuditFilter(action="user.change_password")).entries
    assert entry.actor == "comms" and entry.after == {"name": "comms", "password": "changed"}


@BOTH
def test_a_password_an_admin_chose_must_be_changed_and_a_chosen_one_stands(store: Store) -> None:
    def required(name: str) -> bool:
        return next(u for u in accounts.list_users(store) if u.name == name).password_change_required

    assert not required("admin")  # typed at the CLI by the person themselves
    handed = accounts.add_user(store, "anna", ["comms"], PASSWORD, "de", "admin", handed_over=True)
    assert handed.password_change_required and required("anna")
    (added,) = store.audit_page(AuditFilter(action="user.add", object_id=str(handed.id))).entries
    assert added.after == {
        "name": "anna",
        "roles": ["comms"],
        "language": "de",
        "password_change_required": True,
    }
    user = accounts.authenticate(store, "anna", PASSWORD, "1.1.1.1")
    assert user is not None and user.password_change_required
    assert accounts.change_own_password(store, user, PASSWORD, "anna's own password", None, "own")
    assert not required("anna")
    (changed,) = store.audit_page(AuditFilter(action="user.change_password")).entries
    assert changed.before == {"name": "anna", "password_change_required": True}
    assert changed.after == {"name": "anna", "password_change_required": False, "password": "changed"}
    assert accounts.reset_password(store, handed.id, "", "admin", "r1") is not None  # generated
    assert required("anna")
    accounts.reset_password(store, handed.id, "typed by the admin", "admin", "r2")
    assert required("anna")
    latest, first = store.audit_page(AuditFilter(action="user.reset_password")).entries
    assert first.after == {"name": "anna", "password_change_required": True, "password": "changed"}
    assert latest.after == {"name": "anna", "password": "changed"}  # already required: no change


@BOTH
def test_disabling_ends_the_open_sessions_and_the_audit_holds_no_secret(store: Store) -> None:
    comms = next(u for u in accounts.list_users(store) if u.name == "comms")
    session_id = accounts.start_session(store, comms)
    accounts.set_disabled(store, comms.id, True, "admin", None)
    assert accounts.session_user(store, session_id) is None
    with store.session() as session:
        assert session.query(WebSessionRow).filter_by(user_id=comms.id).count() == 0
    generated = accounts.reset_password(store, comms.id, None, "admin", None)
    accounts.reset_password(store, comms.id, "typed secret 123", "admin", None)
    assert generated is not None
    with store.session() as session:
        hashes = [row.password_hash for row in session.query(UserRow)]
    recorded = audit_text(store)
    for secret in (PASSWORD, generated, "typed secret 123", *hashes, "scrypt"):
        assert secret not in recorded


# -- the readable diff ------------------------------------------------------------------------------


def entry(before: dict[str, object] | None, after: dict[str, object] | None, **kw: str) -> AuditEntry:
    fields = {"actor": "admin", "action": "item.dismissed", "object_type": "item", "object_id": "1", **kw}
    return AuditEntry(1, dt.datetime(2026, 12, 1, 9, 30), before=before, after=after, **fields)  # type: ignore[arg-type]


def test_changes_show_only_changed_fields_nested_values_as_text_and_long_texts_as_lines() -> None:
    found = changes(
        entry(
            {"status": "open", "roles": ["a"], "same": 1, "text": "One. Two. Three is here." * 10},
            {"status": "dismissed", "roles": ["a", "b"], "same": 1, "text": "One. Two. Four is here." * 10},
        )
    )
    by_field = {c.field: c for c in found}
    assert set(by_field) == {"status", "roles", "text"}
    assert (by_field["status"].old, by_field["status"].new) == ("open", "dismissed")
    assert by_field["roles"].new == "a, b"
    kinds = {line.kind for line in by_field["text"].lines}
    assert kinds == {"same", "removed", "added"}
    assert (
        as_text({"claim": {"id": "jobs", "score": 0.5}, "ok": True}) == "claim: id: jobs; score: 0.5; ok: ✓"
    )
    assert as_text("Müll 🚀") == "Müll 🚀"
    created = changes(entry(None, {"name": "x", "roles": ["comms"]}))
    assert [(c.field, c.old, c.new) for c in created] == [("name", "", "x"), ("roles", "", "comms")]
    assert [line.kind for line in line_diff("a\nb", "a\nc")] == ["same", "removed", "added"]


# -- the pages ------------------------------------------------------------------------------------


@pytest.fixture
def app(database_url: str, store: Store, tmp_path: Path) -> Flask:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    settings.data_dir.mkdir()
    core = Factsandwich(settings, store=store, encoder=FakeEncoder())
    config = {"TESTING": True, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False}
    return create_app(config, core=core)


def client_of(app: Flask, name: str, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"name": name, "password": password})
    assert response.status_code == 302, response.data
    return client


def test_only_admins_reach_the_account_pages_and_everyone_their_own(app: Flask, store: Store) -> None:
    comms = client_of(app, "comms")
    target = user_id(store, "comms")
    for method, path in (
        ("GET", "/users"),
        ("POST", "/users/add"),
        ("POST", f"/users/{target}/roles"),
        ("POST", f"/users/{target}/disable"),
        ("POST", f"/users/{target}/password"),
        ("GET", "/audit"),
    ):
        assert comms.open(path, method=method, data={"roles": ["admin"]}).status_code == 403, path
    assert comms.get("/account").status_code == 200
    assert accounts.list_users(store)[1].roles == {"comms"}


def test_an_admin_adds_changes_disables_and_resets_through_the_pages(app: Flask, store: Store) -> None:
    admin = client_of(app, "admin")
    page = admin.post(
        "/users/add", data={"name": "<b>Zoë</b>", "roles": ["comms", "editor"], "language": "de"}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "&lt;b&gt;Zoë&lt;/b&gt;" in html and "<b>Zoë" not in html
    shown = html.split('<code class="password">')[1].split("</code>")[0]
    assert len(shown) >= accounts.MIN_PASSWORD
    assert shown not in admin.get("/users").get_data(as_text=True)  # shown once
    zoe = client_of(app, "<b>Zoë</b>", shown)
    assert zoe.get("/claims").headers["Location"] == "/account"  # the shown password is changed first
    change = {"current_password": shown, "new_password": PASSWORD, "repeat_password": PASSWORD}
    assert zoe.post("/account", data=change).status_code == 302
    assert zoe.get("/claims").status_code == 200
    zoe_id = user_id(store, "<b>Zoë</b>")
    refused = admin.post("/users/add", data={"name": "comms", "roles": ["comms"], "language": "en"})
    assert refused.status_code == 400 and "exists already" in refused.get_data(as_text=True)
    kept = admin.post("/users/add", data={"name": "Kept Name", "roles": [], "password": "x"})
    assert kept.status_code == 400 and 'value="Kept Name"' in kept.get_data(as_text=True)
    assert (
        admin.post(f"/users/{zoe_id}/roles", data={"roles": ["spokesperson"], "form_token": "r1"}).status_code
        == 302
    )
    assert zoe.get("/claims").status_code == 403 and zoe.get("/responses").status_code == 200
    assert admin.post(f"/users/{zoe_id}/disable", data={"form_token": "d1"}).status_code == 302
    ended = zoe.get("/responses")
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]
    assert app.test_client().post("/login", data={"name": "<b>Zoë</b>", "password": shown}).status_code == 401
    admin.post(f"/users/{zoe_id}/enable", data={"form_token": "e1"})
    reset = admin.post(f"/users/{zoe_id}/password", data={"password": "", "form_token": "p1"})
    new = reset.get_data(as_text=True).split('<code class="password">')[1].split("</code>")[0]
    client_of(app, "<b>Zoë</b>", new)
    last = admin.post(f"/users/{user_id(store, 'admin')}/disable", data={"form_token": "d2"})
    assert last.status_code == 400 and "last enabled admin" in last.get_data(as_text=True)
    recorded = (
        audit_text(store).replace("'password': 'changed'", "").replace("'password_change_required'", "")
    )
    assert "password" not in recorded


def test_after_a_reset_every_page_leads_to_the_account_page_until_the_password_is_changed(
    app: Flask, store: Store
) -> None:
    admin = client_of(app, "admin")
    reset = admin.post(f"/users/{user_id(store, 'comms')}/password", data={"password": "", "form_token": "p"})
    given = reset.get_data(as_text=True).split('<code class="password">')[1].split("</code>")[0]
    comms = app.test_client()
    login = comms.post("/login?next=/responses", data={"name": "comms", "password": given})
    assert login.status_code == 302 and login.headers["Location"] == "/account"
    for method, path in (
        ("GET", "/"),
        ("GET", "/triage"),
        ("GET", "/users"),
        ("POST", "/responses/1/assign"),
    ):
        held = comms.open(path, method=method)
        assert held.status_code == 302 and held.headers["Location"] == "/account", path
    page = comms.get("/account").get_data(as_text=True)
    assert "password-change-required" in page and "Please choose your own password" in page
    assert comms.get("/static/app.css").status_code == 200
    assert comms.post("/language", data={"language": "de", "next": "/account"}).status_code == 302
    assert "Bitte wählen Sie jetzt Ihr eigenes Passwort" in comms.get("/account").get_data(as_text=True)
    change = {"current_password": given, "new_password": "my own password", "repeat_password": "x"}
    assert comms.post("/account", data=change).status_code == 400  # refused: still held
    assert comms.get("/triage").headers["Location"] == "/account"
    done = comms.post("/account", data={**change, "repeat_password": change["new_password"]})
    assert done.status_code == 302 and done.headers["Location"] == "/"  # on to their work
    assert comms.get("/triage").status_code == 200
    assert "password-change-required" not in comms.get("/account").get_data(as_text=True)
    assert comms.post("/logout").status_code == 302
    client_of(app, "comms", "my own password")


def test_own_password_page_in_german(app: Flask, store: Store) -> None:
    comms = client_of(app, "comms")
    comms.post("/language", data={"language": "de"})
    form = {"current_password": PASSWORD, "new_password": "ein neues Passwort", "repeat_password": "anders"}
    differ = comms.post("/account", data=form)
    assert differ.status_code == 400 and "stimmen nicht überein" in differ.get_data(as_text=True)
    wrong = comms.post(
        "/account", data={**form, "current_password": "falsch!", "repeat_password": form["new_password"]}
    )
    assert wrong.status_code == 400 and "aktuelle Passwort ist falsch" in wrong.get_data(as_text=True)
    done = comms.post(
        "/account", data={**form, "repeat_password": form["new_password"]}, follow_redirects=True
    )
    assert "Passwort geändert" in done.get_data(as_text=True)
    client_of(app, "comms", "ein neues Passwort")


def add_entries(store: Store, count: int, at: dt.datetime, **fields: object) -> None:
    with store.session() as session:
        for n in range(count):
            defaults = {
                "actor": "comms",
                "action": "item.dismissed",
                "object_type": "item",
                "object_id": str(n),
            }
            defaults |= fields
            session.add(AuditRow(at=at, before={"status": "open"}, after={"status": "dismissed"}, **defaults))


def test_audit_pages_are_stable_and_complete(app: Flask, store: Store) -> None:
    add_entries(store, 120, dt.datetime(2026, 11, 20, 8))
    client = client_of(app, "admin")
    seen: list[str] = []
    url = "/audit?actor=comms"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += [part.split('"')[0] for part in html.split('data-entry="')[1:]]
        add_entries(store, 1, dt.datetime(2026, 11, 21), object_id="new")  # arrivals do not shift pages
        url = (
            html.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
            if 'rel="next"' in html
            else ""
        )
    assert len(seen) == len(set(seen)) == 120  # exactly the entries there at the start: arrivals are newer
    assert [int(i) for i in seen] == sorted((int(i) for i in seen), reverse=True)
    page = store.audit_page(AuditFilter(actor="comms"), older_than=int(seen[60]), limit=50)
    back = store.audit_page(AuditFilter(actor="comms"), newer_than=page.entries[0].id, limit=50)
    assert page.entries[0].id == int(seen[61])  # the page after the 61st entry starts with the 62nd
    assert [e.id for e in back.entries] == [int(i) for i in seen[11:61]]
    assert back.newer is not None and back.older == int(seen[60])


def test_audit_filters(app: Flask, store: Store) -> None:
    """Dates are the office's days (Europe/Berlin, UTC+1 in November), as the page shows the times:
    22:59 UTC is 23:59 on 1 November there, 23:00 UTC is already 2 November."""
    add_entries(
        store, 3, dt.datetime(2026, 11, 1, 22, 59), actor="editor", action="claim.edit", object_type="claim"
    )
    add_entries(store, 2, dt.datetime(2026, 11, 1, 23, 0), object_id="77")
    client = client_of(app, "admin")

    def ids(query: str) -> list[str]:
        html = client.get(f"/audit?{query}").get_data(as_text=True)
        return [part.split('"')[0] for part in html.split('data-entry="')[1:]]

    assert len(ids("actor=editor")) == 3
    assert len(ids("action=claim.edit&object_type=claim")) == 3
    assert len(ids("object_type=item&object_id=77")) == 2 and ids("object_id=78") == []
    assert len(ids("since=2026-11-02&until=2026-11-02")) == 2
    assert len(ids("until=2026-11-01")) == 3
    assert len(ids("since=2026-11-03&until=2026-11-30")) == 0
    bad = client.get("/audit?since=yesterday&older=abc&_external=1")
    assert bad.status_code == 200 and "could not be read" in bad.get_data(as_text=True)


def test_audit_diffs_are_readable_and_escaped(app: Flask, store: Store) -> None:
    hostile = "<script>alert(1)</script> Flüchtlinge „überall“ 🚀"
    long_before = "Erster Satz. " + "Zweiter Satz bleibt gleich. " * 6 + "Alter Schluss."
    long_after = (
        "Erster Satz. " + "Zweiter Satz bleibt gleich. " * 6 + "Neuer Schluss <img src=x onerror=alert(2)>."
    )
    with store.session() as session:
        session.add(
            AuditRow(
                actor="<i>mallory</i>",
                action="response.edit",
                object_type="response",
                object_id="5",
                before={
                    "text": long_before,
                    "status": "draft",
                    "matches": [{"claim_id": "jobs", "score": 0.9}],
                },
                after={
                    "text": long_after,
                    "status": hostile,
                    "matches": [{"claim_id": "crime", "score": 0.7}],
                },
            )
        )
    client = client_of(app, "admin")
    html = client.get("/audit").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<i>mallory" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Flüchtlinge „überall“ 🚀" in html
    assert "\\u" not in html and "&#34;" not in html and "&quot;claim_id" not in html
    assert "<del>draft</del> → <ins>" in html
    assert "claim_id: jobs; score: 0.9" in html and "claim_id: crime; score: 0.7" in html
    assert '<span class="removed">− Alter Schluss.</span>' in html
    assert "+ Neuer Schluss &lt;img src=x onerror=alert(2)&gt;." in html
    assert "response edited" in html
    client.post("/language", data={"language": "de"})
    german = client.get("/audit").get_data(as_text=True)
    assert "Antwort bearbeitet" in german and "Änderungen" in german and "Konto angelegt" in german
