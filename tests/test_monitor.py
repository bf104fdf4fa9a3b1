"""Feed subscriptions, OPML, the polling decider and the monitor loop (local HTTP feeds only)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BOTH_DATABASES, DEMO, etag_feed
from test_alerts import Inbox, smtp_server  # noqa: F401  (fixture)

from factsandwich.accounts import add_user
from factsandwich.alerting import AlertConfig, add_subscription
from factsandwich.alerts import LocalRule, SmtpSettings
from factsandwich.cli import main
from factsandwich.dates import utcnow
from factsandwich.monitor import next_poll_after, poll_due, send_alerts
from factsandwich.pipeline import Factsandwich, ScanSummary
from factsandwich.storage import Store
from factsandwich.subscriptions import (
    SubscriptionError,
    add_feed,
    export_opml,
    import_opml,
    list_feeds,
    remove_feed,
)

NOW = dt.datetime(2026, 11, 25, 12, 0)


def test_next_poll_backs_off_exponentially_and_caps_at_a_day() -> None:
    assert next_poll_after(NOW, 600, 0) == NOW + dt.timedelta(minutes=10)
    assert next_poll_after(NOW, 600, 1) == NOW + dt.timedelta(minutes=20)
    assert next_poll_after(NOW, 600, 3) == NOW + dt.timedelta(minutes=80)
    assert next_poll_after(NOW, 600, 50) == NOW + dt.timedelta(hours=24)


@BOTH_DATABASES
def test_subscriptions_and_opml_round_trip(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(settings.effective_database_url)
    assert add_feed(store, "https://a.example/feed.xml", "Anzeiger & Co", "de", 600)
    assert not add_feed(store, "https://a.example/feed.xml")  # subscribed already: nothing changes
    assert add_feed(store, "https://b.example/rss", None, None, 900)
    for bad in (("ftp://x/feed", 900), ("https://c.example/f", 10)):
        with pytest.raises(SubscriptionError):
            add_feed(store, bad[0], interval_s=bad[1])
    opml = export_opml(store)
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    assert import_opml(other, opml.encode()) == (2, 0)
    assert {f.name for f in list_feeds(other)} == {"Anzeiger & Co", "https://b.example/rss"}
    assert remove_feed(store, "https://b.example/rss") and not remove_feed(store, "https://b.example/rss")
    with pytest.raises(SubscriptionError, match="not an OPML file"):
        import_opml(other, b"<html><body>nope")


def _feed_server(http_server: Callable[..., str]) -> tuple[str, list[str]]:
    body = (DEMO / "feeds" / "riverside-gazette.rss").read_bytes()
    hits: list[str] = []

    serve = etag_feed(body)

    def good(handler: BaseHTTPRequestHandler) -> None:
        hits.append("good")
        serve(handler)

    def bad(handler: BaseHTTPRequestHandler) -> None:
        hits.append("bad")
        handler.send_error(500)

    return http_server({"/good.rss": good, "/bad.rss": bad}), hits


@BOTH_DATABASES
def test_monitor_rounds_poll_due_feeds_politely(fake_app: Factsandwich, http_server) -> None:  # type: ignore[no-untyped-def]
    base, hits = _feed_server(http_server)
    store = fake_app.store
    assert store is not None
    add_feed(store, base + "/good.rss", "good", "en", 600)
    add_feed(store, base + "/bad.rss", "bad", "en", 600)

    first = poll_due(fake_app)
    assert (first.sources, first.processed, len(first.failed)) == (2, 10, 1)
    feeds = {f.name: f for f in list_feeds(store)}
    assert feeds["bad"].error_count == 1 and "HTTP 500" in (feeds["bad"].last_error or "")
    assert feeds["good"].last_success is not None and feeds["good"].error_count == 0
    wait_bad = feeds["bad"].next_poll - feeds["good"].next_poll
    assert dt.timedelta(minutes=9) < wait_bad < dt.timedelta(minutes=11)  # 20 min instead of 10

    assert poll_due(fake_app).sources == 0  # nothing due yet
    later = poll_due(fake_app, now=feeds["good"].next_poll + dt.timedelta(seconds=1))
    assert (later.sources, later.processed, later.not_modified) == (1, 0, 1)  # 304: nothing re-read
    assert hits == ["good", "bad", "good"]
    assert store.count_items() == 10


@BOTH_DATABASES
def test_feeds_cli(settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FACTSANDWICH_DATABASE_URL", settings.effective_database_url)
    runner = CliRunner()
    assert runner.invoke(main, ["feeds", "add", "https://a.example/f.xml", "--name", "A"]).exit_code == 0
    listed = runner.invoke(main, ["feeds", "list", "--format", "json"])
    assert listed.exit_code == 0 and '"name": "A"' in listed.output and '"error_count": 0' in listed.output
    opml = tmp_path / "subs.opml"
    opml.write_text(runner.invoke(main, ["feeds", "export-opml"]).output)
    assert (
        "added 0 feed(s); 1 subscribed already"
        in runner.invoke(main, ["feeds", "import-opml", str(opml)]).output
    )
    bad = runner.invoke(main, ["feeds", "add", "not-a-url"])
    assert bad.exit_code == 1 and "not an http(s) feed URL" in bad.output
    gone = runner.invoke(main, ["feeds", "remove", "https://nowhere.example/"])
    assert gone.exit_code == 1 and "is not subscribed" in gone.output


@pytest.mark.models
def test_monitor_stops_cleanly_on_sigterm(real_env: Path, http_server) -> None:  # type: ignore[no-untyped-def]
    base, _ = _feed_server(http_server)
    runner = CliRunner()
    assert runner.invoke(main, ["feeds", "add", base + "/good.rss", "--interval", "600"]).exit_code == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "factsandwich.cli", "monitor", "--idle", "120"],
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            listed = runner.invoke(main, ["feeds", "list", "--format", "json"]).output
            if '"last_success": null' not in listed:
                break
            time.sleep(1)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "received SIGTERM" in err and "monitor stopped" in err and "Traceback" not in err
    assert "1 feed(s), 10 new item(s)" in err


@BOTH_DATABASES
def test_two_monitors_share_the_feeds_without_double_work(settings, http_server) -> None:  # type: ignore[no-untyped-def]
    """Two monitor processes (here: two cores with their own connections, in threads) poll 12 feeds:
    each feed is fetched once, each item stored once."""
    import threading

    from conftest import FakeEncoder

    hits: dict[str, int] = {}
    lock = threading.Lock()

    def feed(n: int) -> Callable[[BaseHTTPRequestHandler], None]:
        items = "".join(
            f"<item><guid>f{n}-{i}</guid><title>Meldung {n}-{i}</title><link>https://x.example/{n}/{i}</link>"
            f"<description>Die Feuerwehr übt am Samstag in der Straße {n}-{i}.</description></item>"
            for i in range(3)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{n}</title>{items}</channel></rss>'

        def handler(request: BaseHTTPRequestHandler) -> None:
            with lock:
                hits[request.path] = hits.get(request.path, 0) + 1
            time.sleep(0.05)  # a slow server makes the monitors overlap
            request.send_response(200)
            request.end_headers()
            request.wfile.write(body.encode())

        return handler

    base = http_server({f"/f{n}.rss": feed(n) for n in range(12)})
    setup = Store(settings.effective_database_url)
    for n in range(12):
        add_feed(setup, f"{base}/f{n}.rss", f"F{n}", "de", 600)
    workers = [
        Factsandwich(settings, store=Store(settings.effective_database_url), encoder=FakeEncoder())
        for _ in range(2)
    ]
    for worker in workers:
        _ = worker.matcher, worker.classifier
    reports = []
    threads = [threading.Thread(target=lambda w=w: reports.append(poll_due(w))) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(hits) == sorted(f"/f{n}.rss" for n in range(12))
    assert set(hits.values()) == {1}  # no feed polled twice
    assert sum(r.sources for r in reports) == 12 and all(r.sources for r in reports)  # both did work
    assert setup.count_items() == 36


# -- immediate alerts from the monitor (issue 14) ------------------------------------------------------

PASSWORD = "correct horse battery"


def _posts_feed(posts: list[tuple[str, str]]) -> bytes:
    items = "".join(
        f"<item><guid>{guid}</guid><link>https://posts.example/{guid}</link><title></title>"
        f"<description>{text}</description></item>"
        for guid, text in posts
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>P</title>{items}</channel></rss>'.encode()
    )


def _alert_config(port: int, *, from_monitor: bool = True) -> AlertConfig:
    smtp = SmtpSettings("127.0.0.1", "alerts@musterstadt.example", port=port, starttls=False, timeout_s=5)
    return AlertConfig(
        smtp=smtp, local=LocalRule(("Musterstadt",), 0.0), timezone=dt.UTC, from_monitor=from_monitor
    )


def _subscribe(store: Store) -> None:
    add_user(store, "anna", ["comms"], PASSWORD, "de")
    add_subscription(store, person="anna", email="anna@musterstadt.example", kinds="local")


@BOTH_DATABASES
def test_two_monitors_send_each_immediate_alert_once(  # type: ignore[no-untyped-def]
    settings,
    http_server,
    smtp_server: tuple[Inbox, int],  # noqa: F811
) -> None:
    """Two monitors on one database poll six feeds, four with a post about Musterstadt (every post is
    flagged here): each local post reaches the subscriber in exactly one mail, whichever monitor stored
    it and however both race to send; the next round, which stores new flagged posts, sends nothing."""
    import threading

    from conftest import FakeEncoder

    inbox, port = smtp_server
    bodies = {
        f"/p{n}.rss": _posts_feed(
            [(f"p{n}-a", f"Die Feuerwehr übt am Samstag in Straße {n}.")]
            + ([(f"p{n}-m", f"In Musterstadt bekommen die Neuen {n} Wohnungen geschenkt.")] if n < 4 else [])
        )
        for n in range(6)
    }

    def slow(body: bytes) -> Callable[[BaseHTTPRequestHandler], None]:
        serve = etag_feed(body)

        def handler(request: BaseHTTPRequestHandler) -> None:
            time.sleep(0.05)  # a slow server makes the monitors overlap
            serve(request)

        return handler

    base = http_server({path: slow(body) for path, body in bodies.items()})
    everything = replace(settings, flag_threshold=0.0)
    setup = Store(everything.effective_database_url)
    _subscribe(setup)
    for path in bodies:
        add_feed(setup, base + path, path, "de", 600)
    workers = [
        Factsandwich(everything, store=Store(everything.effective_database_url), encoder=FakeEncoder())
        for _ in range(2)
    ]
    for worker in workers:
        _ = worker.matcher, worker.classifier
    config = _alert_config(port)
    reports: list[ScanSummary] = []
    threads = [
        threading.Thread(target=lambda w=w: reports.append(poll_due(w, alerts=config))) for w in workers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(r.flagged for r in reports) == 10 and all(r.sources for r in reports)
    subjects = sorted(str(m["Subject"]) for _, _, m in inbox.messages)
    assert len(subjects) == 4 and len(set(subjects)) == 4  # one mail per local post
    assert all("Musterstadt" in s for s in subjects)
    assert {tuple(to) for _, to, _ in inbox.messages} == {("anna@musterstadt.example",)}

    # next round: a new flagged post (not local) in one feed; nothing is sent again
    bodies["/p5.rss"] = _posts_feed([("p5-a", "Die Feuerwehr übt am Samstag."), ("p5-b", "Neu: Sperrung.")])
    base_new = http_server({"/p5.rss": slow(bodies["/p5.rss"])})
    add_feed(setup, base_new + "/p5.rss", "p5 again", "de", 600)
    later = poll_due(workers[0], alerts=config)
    assert later.flagged == 1
    assert len(inbox.messages) == 4
    sent = [s.skipped for s in send_alerts(workers[1], config, utcnow())]
    assert sent == ["sent before"] * 4 and len(inbox.messages) == 4


def test_immediate_alerts_can_be_left_to_cron(  # type: ignore[no-untyped-def]
    settings,
    http_server,
    smtp_server: tuple[Inbox, int],  # noqa: F811
) -> None:
    from conftest import FakeEncoder

    inbox, port = smtp_server
    body = _posts_feed([("m", "In Musterstadt bekommen die Neuen Wohnungen geschenkt.")])
    base = http_server({"/m.rss": etag_feed(body)})
    everything = replace(settings, flag_threshold=0.0)
    app = Factsandwich(everything, store=Store(everything.effective_database_url), encoder=FakeEncoder())
    assert app.store is not None
    _subscribe(app.store)
    add_feed(app.store, base + "/m.rss", "m", "de", 600)
    off = AlertConfig.from_env({"FACTSANDWICH_MONITOR_ALERTS": "0"})
    assert not off.from_monitor and AlertConfig.from_env({}).from_monitor
    report = poll_due(app, alerts=_alert_config(port, from_monitor=False))
    assert report.flagged == 1 and not inbox.messages  # left to `factsandwich alerts send`
    assert [s.delivery and s.delivery.ok for s in send_alerts(app, _alert_config(port), utcnow())] == [True]
    assert len(inbox.messages) == 1
