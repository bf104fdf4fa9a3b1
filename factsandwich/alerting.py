"""The office's alerts over the store (issue 14): what goes into the morning digest, which surges and
urgent local posts deserve an immediate alert, and sending each to its subscribers once.

What to say and how it travels are alerts.py's (pure); this module reads the store (narratives,
their days, the myths' days, flagged items), applies trends.py's surge rule and alerts.py's local
rule, and records every delivery (`storage.narratives.claim_delivery` takes the (alert, channel,
target) row first, ON CONFLICT DO NOTHING, so two monitors that see one surge send it once).

Configuration (environment): FACTSANDWICH_PLACES (comma-separated place names that make a post
"local", e.g. "Musterstadt, Altstadt"), FACTSANDWICH_LOCAL_MIN_PROBABILITY (0.8),
FACTSANDWICH_TIMEZONE (the office's days, Europe/Berlin), FACTSANDWICH_PUBLIC_URL (links in alerts),
FACTSANDWICH_MONITOR_ALERTS (1: the monitor sends the immediate alerts after each round that stored
new flagged items; 0: only `factsandwich alerts send` does), and alerts.SmtpSettings /
alerts.WebhookSettings (FACTSANDWICH_SMTP_*, FACTSANDWICH_WEBHOOK_*).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from factsandwich import alerts, narratives, trends
from factsandwich.claims import ClaimSet
from factsandwich.errors import ConfigError
from factsandwich.storage import narratives as stored
from factsandwich.storage.database import Database
from factsandwich.storage.values import Item

HISTORY_DAYS = 15


@dataclass(frozen=True)
class AlertConfig:
    smtp: alerts.SmtpSettings | None = None
    webhook: alerts.WebhookSettings | None = field(default=None, repr=False)
    local: alerts.LocalRule = field(default_factory=alerts.LocalRule)
    timezone: dt.tzinfo = dt.UTC
    public_url: str = ""
    office: str = ""
    from_monitor: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AlertConfig:
        env = os.environ if env is None else env
        places = tuple(p.strip() for p in env.get("FACTSANDWICH_PLACES", "").split(",") if p.strip())
        raw = env.get("FACTSANDWICH_LOCAL_MIN_PROBABILITY", "") or "0.8"
        try:
            minimum = float(raw)
        except ValueError:
            raise ConfigError(f"FACTSANDWICH_LOCAL_MIN_PROBABILITY={raw!r} is not a number") from None
        zone = env.get("FACTSANDWICH_TIMEZONE", "") or "Europe/Berlin"
        try:
            timezone: dt.tzinfo = zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"FACTSANDWICH_TIMEZONE={zone!r} is not a time zone (e.g. Europe/Berlin)"
            ) from None
        return cls(
            smtp=alerts.SmtpSettings.from_env(env),
            webhook=alerts.WebhookSettings.from_env(env),
            local=alerts.LocalRule(places, minimum),
            timezone=timezone,
            public_url=env.get("FACTSANDWICH_PUBLIC_URL", "").rstrip("/"),
            office=env.get("FACTSANDWICH_ORGANISATION", ""),
            from_monitor=alerts.env_flag(env, "FACTSANDWICH_MONITOR_ALERTS", True),
        )

    def link(self, path: str) -> str:
        return f"{self.public_url}{path}" if self.public_url else ""


def _utc(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The start of a local day as naive UTC (as the store keeps times)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC).replace(tzinfo=None)


def _tracked_since(store: Database, tz: dt.tzinfo) -> dt.date | None:
    first = stored.first_flagged_moment(store)
    return trends.local_day(first, tz) if first else None


def narrative_spikes(store: Database, day: dt.date, config: AlertConfig) -> dict[str, trends.Spike]:
    """The surge rule's verdict for every narrative with posts on `day` (against its own past days)."""
    since = _utc(day - dt.timedelta(days=HISTORY_DAYS), config.timezone)
    per_day = trends.counts_by_day(stored.member_moments(store, [], since), config.timezone)
    tracked = _tracked_since(store, config.timezone)
    return {
        key: trends.detect_spike(days, day=day, key=key, tracked_since=tracked)
        for key, days in per_day.items()
        if days.get(day)
    }


def claim_surges(store: Database, day: dt.date, config: AlertConfig) -> list[trends.Spike]:
    since = _utc(day - dt.timedelta(days=HISTORY_DAYS), config.timezone)
    per_day = trends.counts_by_day(stored.claim_moments(store, since), config.timezone)
    return trends.surges(per_day, day=day, tracked_since=_tracked_since(store, config.timezone))


def build_digest(
    store: Database, claims: ClaimSet | None, day: dt.date, config: AlertConfig
) -> alerts.Digest:
    """The morning digest of `day` (a local day): counts, narratives with posts that day (surging
    ones marked), emerging myths seen that day, urgent local posts."""
    start, end = _utc(day, config.timezone), _utc(day + dt.timedelta(days=1), config.timezone)
    spikes = narrative_spikes(store, day, config)
    views = {
        v.info.id: v for v in narratives.list_narratives(store, claims, since=start, today=day, examples=0)
    }
    entries = []
    for key, spike in sorted(spikes.items(), key=lambda kv: (-kv[1].count, kv[0])):
        view = views.get(key)
        if view is None:
            continue
        entries.append(
            alerts.DigestEntry(
                title=view.myth[:160],
                count=spike.count,
                series=view.series[-14:],
                sources=tuple(s for s, _ in view.info.sources),
                surging=spike.surging,
                baseline_mean=spike.baseline_mean,
                link=config.link(f"/narratives/{key}"),
            )
        )
    emerging = [
        alerts.DigestEntry(
            title=(c.info.typical[0] if c.info.typical else c.info.id)[:160],
            count=c.info.size,
            sources=tuple(s for s, _ in c.info.sources),
            link=config.link(f"/emerging/{c.info.id}"),
        )
        for c in narratives.emerging(store, since=start)
    ]
    day_items = stored.flagged_between(store, start, end)
    local = local_alerts(day_items, config, now=end)
    return alerts.Digest(
        day=day,
        new_items=len(day_items),
        open_items=stored.open_flagged(store),
        narratives=tuple(entries[:20]),
        emerging=tuple(emerging[:10]),
        local=tuple(local[:20]),
        office=config.office,
    )


def local_alerts(items: Sequence[Item], config: AlertConfig, *, now: dt.datetime) -> list[alerts.Alert]:
    return [
        alerts.local_alert(
            str(item.id),
            narratives.item_text(item),
            item.myth_probability,
            now=now,
            source=item.source,
            link=config.link(f"/items/{item.id}"),
        )
        for item in items
        if alerts.is_urgent_local(narratives.item_text(item), item.myth_probability, config.local)
    ]


def immediate_alerts(
    store: Database, claims: ClaimSet | None, config: AlertConfig, *, now: dt.datetime
) -> list[alerts.Alert]:
    """Surging narratives and myths today, and urgent local posts of the last 24 hours; each alert's
    id is stable for its kind, key and day, so sending it again is a no-op."""
    day = trends.local_day(now, config.timezone)
    found: list[alerts.Alert] = []
    infos = {n.id: n for n in stored.list_narratives(store, since=now - dt.timedelta(days=2))}
    for key, spike in narrative_spikes(store, day, config).items():
        if spike.surging and key in infos:
            title = narratives.myth_in_words(infos[key], claims)
            found.append(
                alerts.surge_alert(spike, title[:160], now=now, link=config.link(f"/narratives/{key}"))
            )
    for spike in claim_surges(store, day, config):
        claim = claims.get(spike.key) if claims is not None else None
        title = claim.canonical_myth("de" if "de" in claim.myths else "en") if claim else spike.key
        found.append(alerts.surge_alert(spike, title[:160], now=now))
    found += local_alerts(stored.flagged_between(store, now - dt.timedelta(hours=24), now), config, now=now)
    return found


@dataclass(frozen=True)
class Sent:
    """One recipient of an alert or digest: the outcome, or `skipped` (sent before / a dry run)."""

    alert_id: str
    subscription: alerts.Subscription
    delivery: alerts.Delivery | None
    skipped: str = ""


def subscriptions(store: Database) -> list[alerts.Subscription]:
    return [
        alerts.Subscription(t.channel, t.target, frozenset(t.kinds), t.language, t.person, t.role)
        for t in stored.alert_targets(store)
    ]


def send(
    store: Database,
    subject: alerts.Alert | alerts.Digest,
    config: AlertConfig,
    *,
    now: dt.datetime,
    dry_run: bool = False,
) -> list[Sent]:
    """Deliver to everyone who wants this kind; each (alert, target) once, recorded."""
    if isinstance(subject, alerts.Digest):
        kind, key, alert_id = "digest", subject.day.isoformat(), f"digest-{subject.day.isoformat()}"
        heading = alerts.render_digest(subject, "en").subject
    else:
        kind, key, alert_id, heading = subject.kind, subject.key, subject.id, subject.title
    chosen = alerts.subscribers(kind, subscriptions(store), stored.people_roles(store))
    results: list[Sent] = []
    for subscription in chosen:
        if dry_run:
            results.append(Sent(alert_id, subscription, None, "dry run"))
            continue
        log_id = stored.claim_delivery(
            store, alert_id, kind, key, heading, subscription.channel, subscription.target
        )
        if log_id is None:
            results.append(Sent(alert_id, subscription, None, "sent before"))
            continue
        delivery = alerts.deliver(subject, [subscription], now=now, smtp=config.smtp, webhook=config.webhook)[
            0
        ]
        stored.record_delivery(store, log_id, delivery.ok, delivery.status, delivery.error)
        results.append(Sent(alert_id, subscription, delivery))
    return results


def send_immediate(
    store: Database, claims: ClaimSet | None, config: AlertConfig, *, now: dt.datetime, dry_run: bool = False
) -> list[Sent]:
    """Find today's surges and urgent local posts and send each (once) to its subscribers."""
    sent: list[Sent] = []
    for alert in immediate_alerts(store, claims, config, now=now):
        sent += send(store, alert, config, now=now, dry_run=dry_run)
    return sent


def add_subscription(
    store: Database,
    *,
    person: str = "",
    role: str = "",
    email: str | None = None,
    webhook: str | None = None,
    kinds: str | Sequence[str] = alerts.KINDS,
    language: str = "de",
    actor: str = "cli",
) -> str:
    """Subscribe a person (or a role) to `kinds` by e-mail or webhook; returns "e-mail X" or
    "webhook X". Checked here: exactly one of person/role and of e-mail/webhook, known kinds."""
    if bool(person) == bool(role):
        raise ConfigError("name either a person (--person) or a role (--role) for the alerts")
    if bool(email) == bool(webhook):
        raise ConfigError("give either an e-mail address (--email) or a webhook URL (--webhook)")
    wanted = tuple(k.strip() for k in (kinds.split(",") if isinstance(kinds, str) else kinds) if k.strip())
    channel, target = ("email", (email or "").strip()) if email else ("webhook", (webhook or "").strip())
    if channel == "email" and ("@" not in target or len(target) > 320 or any(c.isspace() for c in target)):
        raise ConfigError(f"{target!r} is not an e-mail address")
    if channel == "webhook" and not re.match(r"^https?://[^/\s]+\S*$", target):
        raise ConfigError(f"{target!r} is not an http(s) URL")
    alerts.Subscription(channel, target, frozenset(wanted), language, person, role)  # validates kinds
    if not wanted:
        raise ConfigError(f"choose at least one kind of alert: {', '.join(alerts.KINDS)}")
    stored.add_alert_target(store, person, role, channel, target, wanted, language, actor)
    return f"{'e-mail' if channel == 'email' else 'webhook'} {target}"
