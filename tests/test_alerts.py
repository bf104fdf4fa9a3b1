"""Alerts: rendering, routing, and delivery against a local SMTP server (aiosmtpd) and a local HTTP
server. No network beyond 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from factsandwich.alerts import (
    SIGNATURE_HEADER,
    Alert,
    Digest,
    DigestEntry,
    LocalRule,
    Message,
    SmtpSettings,
    Subscription,
    WebhookSettings,
    deliver,
    format_day,
    is_urgent_local,
    local_alert,
    render_alert,
    render_digest,
    send_email,
    send_webhook,
    sign,
    subscribers,
    surge_alert,
    verify_signature,
)
from factsandwich.errors import ConfigError
from factsandwich.trends import detect_spike

NOW = dt.datetime(2026, 12, 2, 7, 0)
DAY = dt.date(2026, 12, 1)
SECRET = "a-shared-secret-of-some-length"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- values and rendering ----------------------------------------------------------------------------


def digest() -> Digest:
    return Digest(
        day=DAY,
        new_items=14,
        open_items=32,
        office="Stadt Musterstadt",
        narratives=(
            DigestEntry(
                "Flüchtlinge bekommen mehr als Rentner",
                12,
                (0, 1, 0, 12),
                ("Facebook", "lokalzeitung.de"),
                True,
                1.3,
                "https://x.example/n/1",
            ),
            DigestEntry("Die nehmen uns die Arbeit weg", 1, (1, 0, 0, 1), ("Mastodon",)),
        ),
        emerging=(DigestEntry("klimageld, doppelt", 6, sources=("X",)),),
    )


def test_the_german_digest_names_counts_surges_and_sections() -> None:
    message = render_digest(digest(), "de")
    assert message.subject == "Lagebild Migrationsmythen, Dienstag, 1. Dezember 2026"
    body = message.body
    assert body.startswith("Guten Morgen, Stadt Musterstadt. Das Lagebild für Dienstag, 1. Dezember 2026:")
    assert "14 neue markierte Beiträge, 32 noch offen." in body
    surging = body.index("Stark gestiegen:")
    assert surging < body.index("Flüchtlinge bekommen mehr als Rentner – 12 Beiträge (sonst 1,3 am Tag)")
    assert body.index("Erzählungen:") < body.index("Die nehmen uns die Arbeit weg – 1 Beitrag")
    assert "Neue Mythen ohne Antwortpaar" in body and "klimageld, doppelt – 6 Beiträge in X" in body
    assert "▁▂▁█" in body and "https://x.example/n/1" in body
    assert "Dringend" not in body  # no local items: no empty section


def test_the_english_digest_and_an_empty_day() -> None:
    body = render_digest(digest(), "en").body
    assert "Good morning, Stadt Musterstadt. The briefing for Tuesday, 1 December 2026:" in body
    assert "12 posts (usually 1.3 a day) in Facebook, lokalzeitung.de" in body
    empty = render_digest(Digest(day=DAY, new_items=0, open_items=0), "en")
    assert "Nothing new" in empty.body
    assert format_day(dt.date(2027, 3, 1), "de") == "Montag, 1. März 2027"


def test_surge_and_local_alerts() -> None:
    counts = {DAY - dt.timedelta(days=n): 0 for n in range(1, 15)} | {DAY: 9}
    alert = surge_alert(
        detect_spike(counts, day=DAY, key="crime"), "Kriminalität", now=NOW, link="https://x/1"
    )
    assert alert.kind == "surge" and dict(alert.details)["count"] == "9"
    message = render_alert(alert, "de")
    assert message.subject == "Welle: Kriminalität" and "Öffnen: https://x/1" in message.body
    assert alert.id == surge_alert(detect_spike(counts, day=DAY, key="crime"), "x", now=NOW).id
    assert alert.id != surge_alert(detect_spike(counts, day=DAY, key="terror"), "x", now=NOW).id
    local = local_alert("item-7", "In Musterstadt bekommen die  alle ein Haus", 0.93, now=NOW)
    assert render_alert(local, "en").subject.startswith("Urgent, local: In Musterstadt bekommen die alle")


def test_urgent_local_needs_the_place_as_a_word_and_a_high_probability() -> None:
    rule = LocalRule(places=("Musterstadt", "Neu-Ulm"), min_probability=0.8)
    assert is_urgent_local("Heute in MUSTERSTADT am Bahnhof", 0.9, rule)
    assert is_urgent_local("Neu-Ulm: schon wieder", 0.85, rule)
    assert not is_urgent_local("Heute in Musterstadt am Bahnhof", 0.7, rule)
    assert not is_urgent_local("Musterstadtwerke erhöhen Preise", 0.95, rule)
    assert not is_urgent_local("irgendwo", 0.99, LocalRule())


def test_subscriptions_per_person_and_role() -> None:
    subs = [
        Subscription("email", "anna@example.org", frozenset({"digest"}), person="anna"),
        Subscription("webhook", "https://chat.example/hook", frozenset({"surge", "local"}), role="comms"),
        Subscription("email", "gone@example.org", person="gone"),
        Subscription("email", "anna@example.org", person="anna"),  # same target twice: sent once
    ]
    roles = {"anna": {"comms"}, "ben": {"editor"}}
    assert [s.target for s in subscribers("digest", subs, roles)] == ["anna@example.org"]
    assert [s.target for s in subscribers("surge", subs, roles)] == [
        "https://chat.example/hook",
        "anna@example.org",
    ]
    assert subscribers("surge", subs[1:2], {"ben": {"editor"}}) == []
    with pytest.raises(ConfigError):
        Subscription("sms", "123")
    with pytest.raises(ConfigError):
        Subscription("email", "a@b", frozenset({"weekly"}))


def test_settings_from_the_environment() -> None:
    assert SmtpSettings.from_env({}) is None
    smtp = SmtpSettings.from_env(
        {
            "FACTSANDWICH_SMTP_HOST": "mail.example",
            "FACTSANDWICH_SMTP_FROM": "alerts@example.org",
            "FACTSANDWICH_SMTP_SSL": "1",
            "FACTSANDWICH_SMTP_PASSWORD": "pw",
        }
    )
    assert smtp is not None and smtp.port == 465 and smtp.implicit_tls and not smtp.starttls
    assert "pw" not in repr(smtp)
    with pytest.raises(ConfigError):
        SmtpSettings.from_env({"FACTSANDWICH_SMTP_HOST": "mail.example"})
    with pytest.raises(ConfigError):
        SmtpSettings.from_env(
            {"FACTSANDWICH_SMTP_HOST": "h", "FACTSANDWICH_SMTP_FROM": "a@b", "FACTSANDWICH_SMTP_PORT": "x"}
        )
    assert WebhookSettings.from_env({}) is None
    with pytest.raises(ConfigError):
        WebhookSettings.from_env({"FACTSANDWICH_WEBHOOK_SECRET": "short"})


# -- SMTP --------------------------------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
        )
        return "250 OK"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == b"office" and data.password == b"secret"
    return AuthResult(success=ok, handled=False)


@pytest.fixture()
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=authenticate, auth_require_tls=False
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_an_e_mail_reaches_the_local_smtp_server(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    settings = SmtpSettings(
        "127.0.0.1",
        "alerts@musterstadt.de",
        port=port,
        starttls=False,
        username="office",
        password="secret",
        timeout_s=5,
    )
    result = send_email(settings, "anna@musterstadt.de", render_digest(digest(), "de"), now=NOW)
    assert result.ok and result.channel == "email" and result.attempted_at == NOW
    ((sender, recipients, mail),) = inbox.messages
    assert sender == "alerts@musterstadt.de" and recipients == ["anna@musterstadt.de"]
    assert mail["Subject"] == "Lagebild Migrationsmythen, Dienstag, 1. Dezember 2026"
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes) and "Flüchtlinge bekommen mehr als Rentner" in body.decode("utf-8")


def test_a_wrong_password_is_a_failed_delivery(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    settings = SmtpSettings(
        "127.0.0.1", "a@b.de", port=port, starttls=False, username="office", password="wrong", timeout_s=5
    )
    result = send_email(settings, "x@b.de", Message("s", "b"), now=NOW)
    assert not result.ok and "SMTPAuthenticationError" in result.error
    assert inbox.messages == []


def test_starttls_against_a_server_without_it_fails_clearly(smtp_server: tuple[Inbox, int]) -> None:
    _, port = smtp_server
    settings = SmtpSettings("127.0.0.1", "a@b.de", port=port, starttls=True, timeout_s=5)
    result = send_email(settings, "x@b.de", Message("s", "b"), now=NOW)
    assert not result.ok and "STARTTLS" in result.error


def test_no_smtp_server_is_a_failed_delivery_not_an_exception() -> None:
    settings = SmtpSettings("127.0.0.1", "a@b.de", port=free_port(), starttls=False, timeout_s=2)
    result = send_email(settings, "x@b.de", Message("s", "b"), now=NOW)
    assert not result.ok and "ConnectionRefusedError" in result.error


def test_a_silent_smtp_server_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never greets
    try:
        settings = SmtpSettings(
            "127.0.0.1", "a@b.de", port=listener.getsockname()[1], starttls=False, timeout_s=0.3
        )
        result = send_email(settings, "x@b.de", Message("s", "b"), now=NOW)
    finally:
        listener.close()
    assert not result.ok and "timed out" in result.error


# -- webhooks ----------------------------------------------------------------------------------------


class Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    status = 200
    delay = 0.0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        if type(self).delay:
            time.sleep(type(self).delay)
        self.send_response(type(self).status)
        if 300 <= type(self).status < 400:
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"no")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def hook() -> Iterator[tuple[type[Hook], str]]:
    handler = type("H", (Hook,), {"received": [], "status": 200, "delay": 0.0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def alert() -> Alert:
    return Alert("surge", "crime", "Kriminalität", "9 posts against 0.0", NOW, link="https://x/1")


def test_a_webhook_posts_signed_json(hook: tuple[type[Hook], str]) -> None:
    handler, url = hook
    result = send_webhook(url, alert().to_payload(), WebhookSettings(SECRET, 5), now=NOW)
    assert result.ok and result.status == "200"
    ((headers, body),) = handler.received
    assert headers["Content-Type"].startswith("application/json")
    payload = json.loads(body)
    assert (
        payload["kind"] == "surge"
        and payload["key"] == "crime"
        and payload["created_at"] == "2026-12-02T07:00:00Z"
    )
    assert headers["X-Factsandwich-Delivery"] == alert().id
    signature = headers[SIGNATURE_HEADER]
    assert signature.startswith(f"t={int(NOW.replace(tzinfo=dt.UTC).timestamp())},sha256=")
    assert verify_signature(SECRET, body, signature, now=NOW + dt.timedelta(seconds=30))
    assert not verify_signature(SECRET, body + b" ", signature, now=NOW)  # tampered body
    assert not verify_signature("another-secret-entirely", body, signature, now=NOW)
    assert not verify_signature(SECRET, body, signature, now=NOW + dt.timedelta(minutes=10))  # replayed later
    assert not verify_signature(SECRET, body, "garbage", now=NOW)


def test_the_signature_covers_the_timestamp() -> None:
    body = b'{"a": 1}'
    forged = sign(SECRET, body, 1000).replace("t=1000", "t=2000")
    assert not verify_signature(SECRET, body, forged, now=dt.datetime.fromtimestamp(2000, dt.UTC))


def test_a_server_error_is_a_failed_delivery_with_its_status(hook: tuple[type[Hook], str]) -> None:
    handler, url = hook
    handler.status = 500
    result = send_webhook(url, alert().to_payload(), WebhookSettings(SECRET), now=NOW)
    assert not result.ok and result.status == "500"


def test_a_redirect_is_not_followed(hook: tuple[type[Hook], str]) -> None:
    handler, url = hook
    handler.status = 307
    result = send_webhook(url, alert().to_payload(), WebhookSettings(SECRET), now=NOW)
    assert not result.ok and result.status == "307" and "redirect not followed" in result.error
    assert len(handler.received) == 1


def test_a_slow_receiver_times_out(hook: tuple[type[Hook], str]) -> None:
    handler, url = hook
    handler.delay = 1.0
    result = send_webhook(url, alert().to_payload(), WebhookSettings(SECRET, timeout_s=0.2), now=NOW)
    assert not result.ok and "timed out" in result.error


def test_unreachable_and_non_http_webhooks_fail_cleanly() -> None:
    settings = WebhookSettings(SECRET, 2)
    refused = send_webhook(f"http://127.0.0.1:{free_port()}/", {"id": "x"}, settings, now=NOW)
    assert not refused.ok and "refused" in refused.error.lower()
    assert send_webhook("file:///etc/passwd", {}, settings, now=NOW).error == "not an http(s) address"


def test_deliver_sends_each_subscription_its_way(
    hook: tuple[type[Hook], str], smtp_server: tuple[Inbox, int]
) -> None:
    handler, url = hook
    inbox, port = smtp_server
    subs = [
        Subscription("email", "anna@musterstadt.de", language="en"),
        Subscription("webhook", url),
    ]
    smtp = SmtpSettings("127.0.0.1", "alerts@musterstadt.de", port=port, starttls=False, timeout_s=5)
    results = deliver(digest(), subs, now=NOW, smtp=smtp, webhook=WebhookSettings(SECRET, 5))
    assert [r.ok for r in results] == [True, True]
    assert inbox.messages[0][2]["Subject"] == "Migration myths briefing, Tuesday, 1 December 2026"
    assert json.loads(handler.received[0][1])["type"] == "digest"
    unconfigured = deliver(alert(), subs, now=NOW, smtp=None, webhook=None)
    assert [r.ok for r in unconfigured] == [False, False]
    assert unconfigured[0].error == "SMTP is not configured"
