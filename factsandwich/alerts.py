"""Telling people in time: the morning digest and immediate alerts (a surging myth, an urgent local
post), rendered as plain text in German or English and delivered by e-mail (SMTP) or webhook.

Why this shape: what to say (values and rendering) is apart from how it travels (delivery), so the
web UI can preview a digest and the store can record every alert and every delivery attempt. A
delivery never raises for a network problem: it returns a `Delivery` that says what went wrong, and
the caller records it and carries on with the next recipient.

Webhooks are JSON POSTs signed with a shared secret: the header `X-Factsandwich-Signature` is
`t=<unix seconds>,sha256=<hex HMAC-SHA256 of "<t>." + body>`. A receiver recomputes it
(`verify_signature`) and refuses a timestamp older than a few minutes, so a captured request cannot
be replayed later. Redirects are not followed (the signed body goes only where it was addressed).
Nothing here reads the clock: `now` is passed in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import re
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from factsandwich.errors import ConfigError
from factsandwich.trends import Spike, sparkline

KINDS = ("digest", "surge", "local")
CHANNELS = ("email", "webhook")
SIGNATURE_HEADER = "X-Factsandwich-Signature"
USER_AGENT = "factsandwich-alerts/1 (+https://github.com/factsandwich)"
_MAX_ERROR_BODY = 500


# -- what to say -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    """One immediate alert. `key` is what it is about (a claim, narrative or item id); `id` is stable
    for one kind, key and day, so the same surge is recorded and sent once a day."""

    kind: str  # "surge" or "local"
    key: str
    title: str
    text: str
    created_at: dt.datetime
    priority: str = "high"
    link: str = ""
    details: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        raw = f"{self.kind}|{self.key}|{self.created_at.date().isoformat()}"
        return "a-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]

    def to_payload(self) -> dict[str, Any]:
        return {
            "type": "alert",
            "id": self.id,
            "kind": self.kind,
            "key": self.key,
            "title": self.title,
            "text": self.text,
            "priority": self.priority,
            "link": self.link,
            "created_at": _iso(self.created_at),
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class DigestEntry:
    """A line of the digest: a narrative, a known myth or an emerging cluster, with its recent days."""

    title: str
    count: int
    series: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()
    surging: bool = False
    baseline_mean: float = 0.0
    link: str = ""


@dataclass(frozen=True)
class Digest:
    """What the morning digest reports for `day` (usually yesterday, in the office's time zone)."""

    day: dt.date
    new_items: int
    open_items: int
    narratives: tuple[DigestEntry, ...] = ()
    emerging: tuple[DigestEntry, ...] = ()
    local: tuple[Alert, ...] = ()
    office: str = ""

    def to_payload(self) -> dict[str, Any]:
        def entry(e: DigestEntry) -> dict[str, Any]:
            return {
                "title": e.title,
                "count": e.count,
                "series": list(e.series),
                "sources": list(e.sources),
                "surging": e.surging,
                "baseline_mean": e.baseline_mean,
                "link": e.link,
            }

        return {
            "type": "digest",
            "day": self.day.isoformat(),
            "office": self.office,
            "new_items": self.new_items,
            "open_items": self.open_items,
            "narratives": [entry(e) for e in self.narratives],
            "emerging": [entry(e) for e in self.emerging],
            "local": [a.to_payload() for a in self.local],
        }


@dataclass(frozen=True)
class Message:
    """A rendered plain-text message."""

    subject: str
    body: str


@dataclass(frozen=True)
class LocalRule:
    """An item is urgent and local when the classifier is at least `min_probability` sure it spreads a
    myth and it names one of the office's `places` (whole words, any case)."""

    places: tuple[str, ...] = ()
    min_probability: float = 0.8


def is_urgent_local(text: str, myth_probability: float, rule: LocalRule) -> bool:
    if myth_probability < rule.min_probability or not rule.places:
        return False
    pattern = r"(?<!\w)(?:" + "|".join(re.escape(p) for p in rule.places if p.strip()) + r")(?!\w)"
    return re.search(pattern, text, re.IGNORECASE) is not None


def surge_alert(spike: Spike, title: str, *, now: dt.datetime, link: str = "") -> Alert:
    """The immediate alert for a surging myth or narrative (`title`: the myth in words)."""
    return Alert(
        kind="surge",
        key=spike.key,
        title=title,
        text=spike.reason,
        created_at=now,
        link=link,
        details=(
            ("day", spike.day.isoformat()),
            ("count", str(spike.count)),
            ("baseline_mean", f"{spike.baseline_mean:g}"),
            ("threshold", f"{spike.threshold:g}"),
        ),
    )


def local_alert(
    item_id: str, text: str, myth_probability: float, *, now: dt.datetime, source: str = "", link: str = ""
) -> Alert:
    """The immediate alert for an urgent local item (`is_urgent_local`)."""
    return Alert(
        kind="local",
        key=item_id,
        title=" ".join(text.split())[:120],
        text=" ".join(text.split())[:1000],
        created_at=now,
        link=link,
        details=(("source", source), ("myth_probability", f"{myth_probability:.2f}")),
    )


# -- rendering ---------------------------------------------------------------------------------------

_WORDS: dict[str, dict[str, str]] = {
    "de": {
        "subject": "Lagebild Migrationsmythen, {day}",
        "hello": "Guten Morgen{office}. Das Lagebild für {day}:",
        "counts": "{new} neue markierte Beiträge, {open} noch offen.",
        "surging": "Stark gestiegen",
        "narratives": "Erzählungen",
        "emerging": "Neue Mythen ohne Antwortpaar (ein Paar anlegen?)",
        "local": "Dringend, mit Ortsbezug",
        "posts": "{n} Beiträge",
        "post": "1 Beitrag",
        "usual": "sonst {mean} am Tag",
        "in": "in",
        "none": "Nichts Neues: keine markierten Beiträge.",
        "end": "Diese Nachricht hat factsandwich geschickt; Einstellungen im Web-Zugang.",
        "alert_surge": "Welle: {title}",
        "alert_local": "Dringend, lokal: {title}",
        "open": "Öffnen",
    },
    "en": {
        "subject": "Migration myths briefing, {day}",
        "hello": "Good morning{office}. The briefing for {day}:",
        "counts": "{new} new flagged posts, {open} still open.",
        "surging": "Surging",
        "narratives": "Narratives",
        "emerging": "New myths without a pair (create one?)",
        "local": "Urgent, local",
        "posts": "{n} posts",
        "post": "1 post",
        "usual": "usually {mean} a day",
        "in": "in",
        "none": "Nothing new: no flagged posts.",
        "end": "Sent by factsandwich; change your settings in the web app.",
        "alert_surge": "Surge: {title}",
        "alert_local": "Urgent, local: {title}",
        "open": "Open",
    },
}
_WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def _words(language: str) -> dict[str, str]:
    return _WORDS.get(language, _WORDS["en"])


def format_day(day: dt.date, language: str) -> str:
    """ "Dienstag, 1. Dezember 2026" / "Tuesday, 1 December 2026" (no locale needed)."""
    lang = language if language in _WEEKDAYS else "en"
    weekday, month = _WEEKDAYS[lang][day.weekday()], _MONTHS[lang][day.month - 1]
    return (
        f"{weekday}, {day.day}. {month} {day.year}"
        if lang == "de"
        else f"{weekday}, {day.day} {month} {day.year}"
    )


def _number(value: float, language: str) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "de" else text


def _entry_line(entry: DigestEntry, language: str) -> str:
    w = _words(language)
    count = w["post"] if entry.count == 1 else w["posts"].format(n=entry.count)
    parts = [f"{entry.title} – {count}"]
    if entry.surging:
        parts.append(f"({w['usual'].format(mean=_number(entry.baseline_mean, language))})")
    if entry.sources:
        parts.append(f"{w['in']} {', '.join(entry.sources[:3])}" + (" …" if len(entry.sources) > 3 else ""))
    line = "  • " + " ".join(parts)
    if entry.series:
        line += f"  {sparkline(entry.series)}"
    if entry.link:
        line += f"\n    {entry.link}"
    return line


def render_digest(digest: Digest, language: str = "de") -> Message:
    """The morning digest as plain text: counts, surging narratives first, then the others, the
    emerging myths and the urgent local items; empty sections are left out."""
    w = _words(language)
    day = format_day(digest.day, language)
    office = f", {digest.office}" if digest.office else ""
    lines = [
        w["hello"].format(office=office, day=day),
        "",
        w["counts"].format(new=digest.new_items, open=digest.open_items),
    ]
    surging = [e for e in digest.narratives if e.surging]
    calm = [e for e in digest.narratives if not e.surging]
    sections = [(w["surging"], surging), (w["narratives"], calm), (w["emerging"], list(digest.emerging))]
    for heading, entries in sections:
        if entries:
            lines += ["", f"{heading}:"] + [_entry_line(e, language) for e in entries]
    if digest.local:
        lines += ["", f"{w['local']}:"]
        for alert in digest.local:
            lines.append(f"  • {alert.title}" + (f"\n    {alert.link}" if alert.link else ""))
    if not digest.new_items and not digest.narratives and not digest.emerging and not digest.local:
        lines += ["", w["none"]]
    lines += ["", "-- ", w["end"]]
    return Message(w["subject"].format(day=day), "\n".join(lines) + "\n")


def render_alert(alert: Alert, language: str = "de") -> Message:
    """An immediate alert as plain text."""
    w = _words(language)
    subject = (
        w[f"alert_{alert.kind}"].format(title=alert.title) if f"alert_{alert.kind}" in w else alert.title
    )
    lines = [alert.title, "", alert.text]
    lines += [f"{k}: {v}" for k, v in alert.details if v]
    if alert.link:
        lines += ["", f"{w['open']}: {alert.link}"]
    return Message(subject[:200], "\n".join(lines) + "\n")


# -- who gets what -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    """One person's (or one role's) wish to receive `kinds` by `channel` at `target` (an e-mail
    address or a webhook URL), in `language`."""

    channel: str
    target: str
    kinds: frozenset[str] = frozenset(KINDS)
    language: str = "de"
    person: str = ""
    role: str = ""

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ConfigError(f"alert channel {self.channel!r}: choose one of {', '.join(CHANNELS)}")
        if unknown := self.kinds - set(KINDS):
            raise ConfigError(f"alert kinds {sorted(unknown)}: choose from {', '.join(KINDS)}")


def subscribers(
    kind: str, subscriptions: Sequence[Subscription], roles: Mapping[str, Collection[str]]
) -> list[Subscription]:
    """The subscriptions that want `kind`: a person's own, and a role's for as long as the role is held
    (`roles`: person → roles; a role subscription names its role and no person). One per target."""
    holders = {role for held in roles.values() for role in held}
    chosen: dict[tuple[str, str], Subscription] = {}
    for s in subscriptions:
        wanted = kind in s.kinds and (s.person in roles if s.person else s.role in holders)
        if wanted:
            chosen.setdefault((s.channel, s.target), s)
    return list(chosen.values())


# -- delivery ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """The outcome of one delivery attempt, to be recorded: never an exception."""

    channel: str
    target: str
    ok: bool
    attempted_at: dt.datetime
    status: str = ""
    error: str = ""


@dataclass(frozen=True)
class SmtpSettings:
    """Where e-mail goes: FACTSANDWICH_SMTP_HOST, _PORT (587), _STARTTLS (1), _SSL (0, implicit TLS,
    usually port 465), _USER, _PASSWORD, _FROM, _TIMEOUT (seconds, 10)."""

    host: str
    sender: str
    port: int = 587
    starttls: bool = True
    implicit_tls: bool = False
    username: str = ""
    password: str = field(default="", repr=False)
    timeout_s: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings | None:
        """None when no SMTP host is configured (e-mail alerts off)."""
        host = env.get("FACTSANDWICH_SMTP_HOST", "").strip()
        if not host:
            return None
        sender = env.get("FACTSANDWICH_SMTP_FROM", "").strip()
        if "@" not in sender:
            raise ConfigError(
                "FACTSANDWICH_SMTP_FROM must be an e-mail address when FACTSANDWICH_SMTP_HOST is set"
            )
        implicit = env_flag(env, "FACTSANDWICH_SMTP_SSL", False)
        return cls(
            host=host,
            sender=sender,
            port=_int(env, "FACTSANDWICH_SMTP_PORT", 465 if implicit else 587),
            starttls=env_flag(env, "FACTSANDWICH_SMTP_STARTTLS", not implicit),
            implicit_tls=implicit,
            username=env.get("FACTSANDWICH_SMTP_USER", ""),
            password=env.get("FACTSANDWICH_SMTP_PASSWORD", ""),
            timeout_s=_float(env, "FACTSANDWICH_SMTP_TIMEOUT", 10.0),
        )


@dataclass(frozen=True)
class WebhookSettings:
    """The shared secret that signs webhook bodies (FACTSANDWICH_WEBHOOK_SECRET) and the timeout
    (FACTSANDWICH_WEBHOOK_TIMEOUT, seconds, 10)."""

    secret: str = field(repr=False)
    timeout_s: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebhookSettings | None:
        secret = env.get("FACTSANDWICH_WEBHOOK_SECRET", "")
        if not secret:
            return None
        if len(secret) < 16:
            raise ConfigError("FACTSANDWICH_WEBHOOK_SECRET must be at least 16 characters")
        return cls(secret, _float(env, "FACTSANDWICH_WEBHOOK_TIMEOUT", 10.0))


def env_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A yes/no setting: empty is the default; 0, false, no and off are no; anything else yes."""
    raw = env.get(name, "").strip().lower()
    return default if not raw else raw not in ("0", "false", "no", "off")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(env.get(name) or default)
    except ValueError:
        raise ConfigError(f"{name}={env.get(name)!r} is not a whole number") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        return float(env.get(name) or default)
    except ValueError:
        raise ConfigError(f"{name}={env.get(name)!r} is not a number") from None


def _iso(moment: dt.datetime) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def send_email(settings: SmtpSettings, to: str, message: Message, *, now: dt.datetime) -> Delivery:
    """Send one plain-text e-mail. Connection, TLS, login and refusal problems come back as a failed
    Delivery (with the server's answer), never as an exception."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = settings.sender
    mail["To"] = to
    mail["Date"] = format_datetime(now if now.tzinfo else now.replace(tzinfo=dt.UTC))
    mail["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    mail.set_content(message.body)
    try:
        if settings.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout_s, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
        with client:
            client.ehlo()
            if settings.starttls and not settings.implicit_tls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if settings.username:
                client.login(settings.username, settings.password)
            refused = client.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError and timeouts are OSErrors
        return Delivery("email", to, False, now, error=_one_line(exc))
    if refused:
        return Delivery("email", to, False, now, error=f"refused: {refused}")
    return Delivery("email", to, True, now, status="250")


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The value of the signature header for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},sha256={mac.hexdigest()}"


def verify_signature(
    secret: str, body: bytes, header: str, *, now: dt.datetime, tolerance_s: int = 300
) -> bool:
    """For receivers (and tests): the header signs this body and its timestamp is within
    `tolerance_s` of `now` (either way), so a replayed request is refused."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(int(now.replace(tzinfo=now.tzinfo or dt.UTC).timestamp()) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), header.strip())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def send_webhook(
    url: str, payload: Mapping[str, Any], settings: WebhookSettings, *, now: dt.datetime
) -> Delivery:
    """POST `payload` as JSON, signed (module docstring). A 2xx answer is success; any other status,
    a redirect, a timeout or a connection problem comes back as a failed Delivery."""
    if not re.match(r"https?://[^/\s]+", url):
        return Delivery("webhook", url, False, now, error="not an http(s) address")
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    timestamp = int(now.replace(tzinfo=now.tzinfo or dt.UTC).timestamp())
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign(settings.secret, body, timestamp),
            "X-Factsandwich-Delivery": str(payload.get("id") or payload.get("day") or ""),
        },
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=settings.timeout_s) as response:
            status = int(response.status)
            response.read(_MAX_ERROR_BODY)
    except urllib.error.HTTPError as exc:
        detail = exc.read(_MAX_ERROR_BODY).decode("utf-8", "replace").strip()
        reason = "redirect not followed" if 300 <= exc.code < 400 else exc.reason
        return Delivery(
            "webhook", url, False, now, status=str(exc.code), error=f"{reason} {detail}".strip()[:300]
        )
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        return Delivery("webhook", url, False, now, error=_one_line(exc))
    ok = 200 <= status < 300
    return Delivery("webhook", url, ok, now, status=str(status), error="" if ok else f"status {status}")


def deliver(
    subject: Alert | Digest,
    subscriptions: Sequence[Subscription],
    *,
    now: dt.datetime,
    smtp: SmtpSettings | None,
    webhook: WebhookSettings | None,
) -> list[Delivery]:
    """Send an alert or a digest to each subscription (rendered in its language for e-mail, the JSON
    payload for webhooks); a channel that is not configured gives a failed Delivery, not an error."""
    results = []
    for s in subscriptions:
        if s.channel == "email":
            if smtp is None:
                results.append(Delivery("email", s.target, False, now, error="SMTP is not configured"))
                continue
            message = (
                render_digest(subject, s.language)
                if isinstance(subject, Digest)
                else render_alert(subject, s.language)
            )
            results.append(send_email(smtp, s.target, message, now=now))
        else:
            if webhook is None:
                results.append(
                    Delivery("webhook", s.target, False, now, error="no webhook secret configured")
                )
                continue
            results.append(send_webhook(s.target, subject.to_payload(), webhook, now=now))
    return results
