"""`factsandwich narratives list|emerging`, `alerts digest` and `api-token create` end to end (issue 14):
feed files scanned with the real encoder, index and classifier, then the commands over the store that
the scans filled. The flag threshold is 0 here (every post is flagged), so which posts reach the
narratives depends only on the claim matching, which is what these tests are about."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from conftest import run_cli
from test_alerts import Inbox, smtp_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.models

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
JOBS_COPIES = [
    "Migrants are taking our jobs.",
    "RT @angry_local: Migrants are taking our jobs.",
    "Migrants are taking our jobs. #truth https://t.co/abc",
    "Migrants are taking our jobs!!!",
]
BRIDGE_RUMOUR = [
    "Die Brücke an der Hauptstraße wird ab Montag für immer gesperrt, sagt mein Nachbar vom Bauhof.",
    "Mein Nachbar vom Bauhof sagt, die Brücke an der Hauptstraße wird ab Montag für immer gesperrt!",
    "RT @musterstadt_news: Die Brücke an der Hauptstraße wird ab Montag für immer gesperrt, sagt der Bauhof.",
    "Ab Montag ist die Brücke an der Hauptstraße für immer gesperrt, hat mir mein Nachbar vom Bauhof gesagt.",
]


def feed(path: Path, name: str, posts: list[tuple[str, str, dt.datetime]]) -> Path:
    entries = "".join(
        f"<item><guid>{escape(guid)}</guid><link>https://posts.example/{escape(guid)}</link>"
        f"<title></title><description>{escape(text)}</description>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for guid, text, when in posts
    )
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}</title>'
        f"<link>https://feeds.example/{name}</link><description>test</description>{entries}</channel></rss>",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def scanned(real_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("FACTSANDWICH_FLAG_THRESHOLD", "0")
    posts = [(f"jobs-{n}", text, NOW - dt.timedelta(hours=10 - n)) for n, text in enumerate(JOBS_COPIES)]
    posts += [(f"bridge-{n}", text, NOW - dt.timedelta(hours=8 - n)) for n, text in enumerate(BRIDGE_RUMOUR)]
    path = feed(real_env / "anzeiger.xml", "anzeiger", posts)
    code, out, err = run_cli("scan", str(path), "--format", "jsonl")
    assert code == 0, err
    report = {r["guid"]: r for r in map(json.loads, out.splitlines())}
    yield {"dir": real_env, "report": report}


def narratives_json(*args: str) -> list[dict[str, Any]]:
    code, out, err = run_cli("narratives", "list", "--format", "json", *args)
    assert code == 0, err
    result: list[dict[str, Any]] = json.loads(out)
    return result


def test_copies_of_a_known_myth_are_one_narrative(scanned: dict[str, Any]) -> None:
    report = scanned["report"]
    confident = {g for g, r in report.items() if r["matches"] and r["matches"][0]["confident"]}
    assert {f"jobs-{n}" for n in range(4)} <= confident  # the claim matcher recognises the wording
    assert all(report[g]["matches"][0]["claim_id"] == "jobs-taken" for g in confident if g.startswith("jobs"))
    found = narratives_json()
    jobs = [n for n in found if n["claim_id"] == "jobs-taken"]
    assert len(jobs) == 1
    narrative = jobs[0]
    assert set(narrative["guids"]) >= {f"jobs-{n}" for n in range(4)}
    assert narrative["count"] == len(narrative["guids"])
    assert narrative["sources"][0]["count"] == narrative["count"]
    assert narrative["first_seen"] < narrative["last_seen"]
    # every confidently matched post is in exactly one narrative, of its own claim
    members = [g for n in found for g in n["guids"]]
    assert sorted(members) == sorted(confident)
    assert narratives_json("--language", "de") == [n for n in found if n["language"] == "de"]
    assert narratives_json("--since", "2100-01-01") == []
    code, out, _ = run_cli("narratives", "list")
    assert code == 0 and "jobs-taken" in out and "Migrants are taking our jobs" in out
    # a new copy in a later scan joins the same narrative (incremental, no rebuild)
    later = feed(
        scanned["dir"] / "later.xml", "later", [("jobs-9", "Migrants are taking our jobs. Wake up!", NOW)]
    )
    assert run_cli("scan", str(later), "--format", "jsonl")[0] == 0
    again = [n for n in narratives_json() if n["claim_id"] == "jobs-taken"]
    assert again[0]["id"] == narrative["id"] and "jobs-9" in again[0]["guids"]


def test_posts_that_match_no_pair_form_an_emerging_myth(scanned: dict[str, Any]) -> None:
    report = scanned["report"]
    unmatched = {g for g, r in report.items() if not (r["matches"] and r["matches"][0]["confident"])}
    assert {f"bridge-{n}" for n in range(4)} <= unmatched
    code, out, err = run_cli("narratives", "emerging", "--format", "json")
    assert code == 0, err
    clusters = json.loads(out)
    bridge = [c for c in clusters if "bridge-0" in c["guids"]]
    assert len(bridge) == 1, clusters
    cluster = bridge[0]
    assert set(cluster["guids"]) == {f"bridge-{n}" for n in range(4)} and cluster["size"] == 4
    assert cluster["typical"] and all("Brücke" in t for t in cluster["typical"])
    assert {"brücke", "hauptstraße"} & set(cluster["keywords"])
    assert cluster["language"] == "de"
    code, out, _ = run_cli("narratives", "emerging", "--language", "en", "--format", "json")
    assert code == 0 and all(c["language"] == "en" for c in json.loads(out))
    code, out, _ = run_cli("narratives", "emerging")
    assert code == 0 and "Brücke" in out


def test_digest_is_printed_and_sent_once(
    scanned: dict[str, Any],
    smtp_server: tuple[Inbox, int],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = smtp_server
    today = (NOW - dt.timedelta(hours=10)).date().isoformat()  # the day of the first post (UTC)
    monkeypatch.setenv("FACTSANDWICH_TIMEZONE", "UTC")
    code, out, err = run_cli("alerts", "digest", "--day", today, "--language", "en")
    assert code == 0, err
    assert "Migrants are taking our jobs" in out and "New myths without a pair" in out
    code, _, err = run_cli("alerts", "add", "--person", "anna", "--email", "not-an-address")
    assert code == 1 and err.strip().startswith("Error:") and len(err.strip().splitlines()) == 1
    assert run_cli("alerts", "add", "--role", "comms", "--email", "comms@musterstadt.example")[0] == 0
    code, out, err = run_cli("alerts", "digest", "--day", today, "--send")
    assert code == 0 and "nobody is subscribed" in err  # nobody holds the role yet
    (scanned["dir"] / "pw").write_text("correct horse battery")
    assert (
        run_cli("users", "add", "anna", "--role", "comms", "--password-file", str(scanned["dir"] / "pw"))[0]
        == 0
    )
    code, out, err = run_cli("alerts", "digest", "--day", today, "--send", "--dry-run")
    assert code == 0 and "dry run" in out and not inbox.messages
    code, out, err = run_cli("alerts", "digest", "--day", today, "--send")
    assert code == 1 and "SMTP is not configured" in err  # recorded as failed, not a traceback
    monkeypatch.setenv("FACTSANDWICH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("FACTSANDWICH_SMTP_PORT", str(port))
    monkeypatch.setenv("FACTSANDWICH_SMTP_STARTTLS", "0")
    monkeypatch.setenv("FACTSANDWICH_SMTP_FROM", "alerts@musterstadt.example")
    code, out, err = run_cli(
        "alerts", "digest", "--day", (NOW - dt.timedelta(days=1)).date().isoformat(), "--send"
    )
    assert code == 0, err
    assert len(inbox.messages) == 1 and inbox.messages[0][1] == ["comms@musterstadt.example"]
    assert run_cli("alerts", "digest", "--day", (NOW - dt.timedelta(days=1)).date().isoformat(), "--send")[
        1
    ].count("sent before")
    assert len(inbox.messages) == 1
    code, out, _ = run_cli("alerts", "log")
    assert code == 0 and "comms@musterstadt.example" in out and "sent" in out


def test_local_alerts_and_api_tokens(scanned: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTSANDWICH_PLACES", "Hauptstraße")
    monkeypatch.setenv("FACTSANDWICH_LOCAL_MIN_PROBABILITY", "0")
    assert (
        run_cli(
            "alerts", "add", "--role", "comms", "--webhook", "http://127.0.0.1:9/hook", "--kinds", "local"
        )[0]
        == 0
    )
    (scanned["dir"] / "pw").write_text("correct horse battery")
    assert (
        run_cli("users", "add", "ben", "--role", "comms", "--password-file", str(scanned["dir"] / "pw"))[0]
        == 0
    )
    code, out, err = run_cli("alerts", "send", "--dry-run")
    assert code == 0, err
    assert out.count("dry run") == 4  # the four posts that name the Hauptstraße
    code, token, err = run_cli("api-token", "create", "Allied Town")
    assert code == 0 and token.strip().startswith("fsw_")
    code, _, err = run_cli("api-token", "create", "Allied Town")
    assert code == 1 and "has a token already" in err
    code, out, _ = run_cli("api-token", "list")
    assert "Allied Town" in out and token.strip() not in out
