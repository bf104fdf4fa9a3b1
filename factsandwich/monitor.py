"""The monitor: polls due feeds politely and sends new items through the scan pipeline.

Each round: lease a due subscription with a row lock (`SELECT ... FOR UPDATE SKIP LOCKED` on
PostgreSQL, and a compare-and-set of its next poll time everywhere, so that several monitor processes
on one or many machines never poll the same feed at once: the lease moves the next poll LEASE into
the future); scan it (conditional GET with the stored ETag/Last-Modified, a 304 is "not modified",
items stored whole in transactions, duplicates skipped); schedule the next poll: the feed's interval
after a success, an exponentially longer wait after failures (`next_poll_after`, a pure decider).
Repeat until no feed is due. After each feed whose scan stored new flagged items, the immediate
alerts (surges, urgent local posts; alerting.send_immediate) go out at once rather than at the next
`factsandwich alerts send` from cron; an alert already delivered is not sent again, also not by
another monitor on the same database (each delivery row is taken once), and FACTSANDWICH_MONITOR_ALERTS=0
leaves them to the cron job. A SIGTERM or SIGINT ends the loop after the current feed; a kill at any
other moment loses nothing that was stored: the lease runs out and the feed is polled again, its
stored items skipped.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from factsandwich import alerting
from factsandwich.dates import utcnow
from factsandwich.pipeline import Factsandwich, ScanSummary
from factsandwich.subscriptions import MAX_INTERVAL_S, MIN_INTERVAL_S

log = logging.getLogger("factsandwich.monitor")
MAX_BACKOFF = dt.timedelta(hours=24)
LEASE = dt.timedelta(minutes=10)  # longer than one feed's poll (fetch timeout plus processing)


def next_poll_after(now: dt.datetime, interval_s: int, error_count: int) -> dt.datetime:
    """The interval after a success; interval x 2^errors after failures, at most a day. An interval
    outside the bounds (stored before they were checked) is taken as the nearest bound."""
    interval_s = min(max(interval_s, MIN_INTERVAL_S), MAX_INTERVAL_S)
    wait: dt.timedelta = dt.timedelta(seconds=interval_s) * (2 ** min(max(error_count, 0), 16))
    cap = max(MAX_BACKOFF, dt.timedelta(seconds=interval_s))
    return now + (wait if wait < cap else cap)


def _add_scan(total: ScanSummary, scan: ScanSummary) -> None:
    """Add one scan's summary to `total`: the counts summed, the failures and warnings appended."""
    for name, value in vars(scan).items():
        setattr(total, name, getattr(total, name) + value)


def send_alerts(app: Factsandwich, config: alerting.AlertConfig, now: dt.datetime) -> list[alerting.Sent]:
    """Send the immediate alerts that are due and not sent yet; a failed delivery is logged (and
    recorded, so the next call retries it), never raised into the polling loop."""
    assert app.store is not None
    sent = alerting.send_immediate(app.store, app.claims, config, now=now)
    outcomes = [(s, s.delivery) for s in sent if s.delivery is not None]
    for s, delivery in outcomes:
        if not delivery.ok:
            where = f"{s.subscription.channel} {s.subscription.target}"
            log.warning("alert %s to %s failed: %s", s.alert_id, where, delivery.error)
    if outcomes:
        failed = sum(not delivery.ok for _, delivery in outcomes)
        log.info("immediate alerts: %d delivery(ies), %d failed", len(outcomes), failed)
    return sent


def poll_due(
    app: Factsandwich,
    now: dt.datetime | None = None,
    stop: Callable[[], bool] = lambda: False,
    alerts: alerting.AlertConfig | None = None,
) -> ScanSummary:
    """One round over the feeds that are due: the summary of all its scans (`sources` is the number
    of feeds polled, `failed` the feeds that failed). With `alerts` (and its `from_monitor` on), the
    immediate alerts are sent after each feed that brought new flagged items."""
    store = app.store
    if store is None:
        raise ValueError("the monitor needs a store")
    report = ScanSummary()
    while not stop():
        leased = store.lease_due_subscription(now or utcnow(), LEASE)
        if leased is None:
            break
        url, interval_s = leased
        summary = ScanSummary()
        for _ in app.scan([url], summary=summary):
            pass
        _add_scan(report, summary)
        if alerts is not None and alerts.from_monitor and summary.flagged:
            send_alerts(app, alerts, now or utcnow())
        # From the later of the round's clock and now: a feed never becomes due again in its round.
        start = max(now or utcnow(), utcnow())
        errors, scheduled = store.schedule_next_poll(
            url, functools.partial(next_poll_after, start, interval_s)
        )
        if summary.failed:
            log.warning(
                "%s: %s (failure %d in a row; next try %s)",
                url,
                summary.failed[0][1],
                errors,
                scheduled.isoformat(timespec="seconds"),
            )
        else:
            log.info(
                "%s: %d new item(s), %d flagged%s",
                url,
                summary.processed,
                summary.flagged,
                " (not modified)" if summary.not_modified else "",
            )
    return report


def run(app: Factsandwich, *, idle_s: float = 30.0, rounds: int | None = None) -> None:
    """Poll until SIGTERM/SIGINT (or `rounds` rounds); a stop request finishes the current feed first.
    The alert settings are read once, before the first feed (a bad one is an error at start)."""
    alert_config = alerting.AlertConfig.from_env()
    stopping = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        log.info("received %s: stopping after the current feed", signal.Signals(signum).name)
        stopping.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        app.load_models()  # before the first feed
        done = 0
        while not stopping.is_set() and (rounds is None or done < rounds):
            report = poll_due(app, stop=stopping.is_set, alerts=alert_config)
            done += 1
            if report.sources:
                log.info(
                    "round: %d feed(s), %d new item(s), %d flagged, %d not modified, %d failed",
                    report.sources,
                    report.processed,
                    report.flagged,
                    report.not_modified,
                    len(report.failed),
                )
            if rounds is None or done < rounds:
                stopping.wait(idle_s)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("monitor stopped")
