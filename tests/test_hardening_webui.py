"""Issue 10, the web UI and accounts: redirects after login, server-side logout, the login throttle
under concurrency and for unknown names, out-of-range pages, caching of logged-in pages, feed
intervals and URLs (Flask's test client and a SQLite file; no network)."""

from __future__ import annotations

import threading

import pytest
from conftest import run_cli
from flask import Flask
from test_webui import PASSWORD, app, cli_env, core, login  # noqa: F401  (fixtures)

from factsandwich import accounts
from factsandwich.accounts import authenticate
from factsandwich.dates import utcnow
from factsandwich.errors import LoginThrottled, SubscriptionError
from factsandwich.monitor import next_poll_after
from factsandwich.pipeline import Factsandwich
from factsandwich.storage import accounts as stored_accounts
from factsandwich.subscriptions import add_feed, list_feeds


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "//evil.example",
     "/\\evil.example", "https://evil.example/", "/ /evil.example", "/\x00/evil.example"],
)  # fmt: skip
def test_no_redirect_off_site_after_login_or_language(app: Flask, target: str) -> None:  # noqa: F811
    client = app.test_client()
    response = client.post(
        "/login", query_string={"next": target}, data={"name": "comms", "password": PASSWORD}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location
    response = client.post("/language", data={"language": "en", "next": target})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_a_same_site_next_is_still_followed(app: Flask) -> None:  # noqa: F811
    response = app.test_client().post(
        "/login", query_string={"next": "/feeds"}, data={"name": "comms", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/feeds"
    credentials = {"name": "comms", "password": PASSWORD}
    raw = app.test_client().post("/login?next=/%09/evil.example", data=credentials)
    assert raw.status_code == 302 and "evil" not in raw.headers["Location"]


def test_logout_ends_the_session_for_every_copy_of_the_cookie(app: Flask) -> None:  # noqa: F811
    client = app.test_client()
    login(client, "comms")
    assert client.get("/triage").status_code == 200
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    response = thief.get("/triage")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_expired_session_is_refused_by_the_server(core: Factsandwich) -> None:  # noqa: F811
    store = core.store
    assert store is not None
    user = authenticate(store, "comms", PASSWORD, "127.0.0.1")
    assert user is not None
    session_id = accounts.start_session(store, user)
    assert accounts.session_user(store, session_id) == user
    later = utcnow() + accounts.SESSION_LIFETIME + accounts.dt.timedelta(minutes=1)
    assert accounts.session_user(store, session_id, now=later) is None


def test_logged_in_pages_are_not_cached(app: Flask) -> None:  # noqa: F811
    client = app.test_client()
    login(client, "comms")
    assert client.get("/triage").headers.get("Cache-Control") == "no-store"


def test_a_huge_page_number_is_a_page_not_a_500(app: Flask) -> None:  # noqa: F811
    client = app.test_client()
    login(client, "comms")
    assert client.get("/triage?page=99999999999999999999").status_code == 200
    assert client.get("/triage?page=-5").status_code == 200


def test_the_login_throttle_holds_under_concurrency(
    core: Factsandwich,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = core.store
    assert store is not None
    checks: list[str] = []
    real_check = accounts.check_password_hash

    def counting_check(hashed: str, password: str) -> bool:
        checks.append(password)
        return real_check(hashed, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting_check)
    barrier = threading.Barrier(30)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            outcomes.append("ok" if authenticate(store, "comms", "wrong password", "10.0.0.9") else "failed")
        except LoginThrottled:
            outcomes.append("throttled")

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checks) <= accounts.MAX_FAILURES
    assert outcomes.count("throttled") >= 30 - accounts.MAX_FAILURES
    with pytest.raises(LoginThrottled):  # and the right password is throttled too, for now
        authenticate(store, "comms", PASSWORD, "10.0.0.9")


def test_a_burst_that_arrives_at_once_still_throttles_the_next_login(
    core: Factsandwich,  # noqa: F811
) -> None:
    """The worst interleaving, made deterministic: every attempt of a burst is recorded before any
    counts, so each sees the whole burst. The burst is throttled and leaves its record: the right
    password right after it is throttled too (each attempt withdrawing itself left none)."""
    store = core.store
    assert store is not None
    now, since = utcnow(), utcnow() - accounts.FAILURE_WINDOW
    burst = [stored_accounts.add_failed_login(store, "comms", "10.0.0.8", now) for _ in range(30)]
    for attempt in burst:
        throttled, user = stored_accounts.settle_login(
            store, attempt, "comms", "10.0.0.8", since, accounts.MAX_FAILURES, lambda _hash: False
        )
        assert throttled and user is None
    with pytest.raises(LoginThrottled):
        authenticate(store, "comms", PASSWORD, "10.0.0.8")


def test_an_unknown_name_costs_a_password_check_too(
    core: Factsandwich,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = core.store
    assert store is not None
    checked: list[str] = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: checked.append(p) or real_check(h, p))
    assert authenticate(store, "nobody-here", "some password", "10.0.0.8") is None
    assert checked == ["some password"]


def test_feed_interval_and_url_are_bounded(core: Factsandwich) -> None:  # noqa: F811
    store = core.store
    assert store is not None
    for interval in (59, 400_000_000_000, 10**30):
        with pytest.raises(SubscriptionError, match="between 60 seconds"):
            add_feed(store, "https://a.example/feed", interval_s=interval)
    for url in ("https://a.example/my feed", "https://a.example/feed\nX-Injected: 1", "https://a.example/\x01",
                "https:///path-only"):  # fmt: skip
        with pytest.raises(SubscriptionError):
            add_feed(store, url)
    assert list_feeds(store) == []


def test_an_interval_stored_before_the_bounds_does_not_crash_the_monitor(core: Factsandwich) -> None:  # noqa: F811
    now = utcnow()
    assert next_poll_after(now, 400_000_000_000, 3) <= now + accounts.dt.timedelta(days=7)
    assert next_poll_after(now, 10**30, 0) <= now + accounts.dt.timedelta(days=7)


def test_feeds_form_and_cli_refuse_a_huge_interval(app: Flask, cli_env: None) -> None:  # noqa: F811
    client = app.test_client()
    login(client, "comms")
    refused = client.post("/feeds/add", data={"url": "https://a.example/feed", "interval": "400000000000"})
    assert refused.status_code == 400 and b"between 60 seconds" in refused.data
    code, _out, err = run_cli("feeds", "add", "https://a.example/feed", "--interval", "400000000000")
    assert code == 1 and err.startswith("Error: ") and err.count("\n") == 1
    code, _out, err = run_cli("feeds", "add", "https://a.example/my feed")
    assert code == 1 and "spaces" in err
    assert run_cli("feeds", "list")[1] == ""
