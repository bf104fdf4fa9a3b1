"""Feeds: the subscriptions (the feeds an office monitors), what was learned from fetching each feed
URL (validators for conditional GET, the last error), and the monitor's lease on a due subscription
(`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL and a compare-and-set of its next poll time
everywhere)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from factsandwich.dates import utcnow
from factsandwich.storage.database import Database
from factsandwich.storage.tables import FeedStateRow, SubscriptionRow
from factsandwich.storage.values import FeedState, Subscription


class FeedsRepository(Database):
    def add_subscription(
        self, url: str, name: str | None, language: str | None, interval_s: int, actor: str
    ) -> bool:
        """Subscribe (with its audit record), due at once, named `name` or else by its URL; False when
        the URL is subscribed already."""
        with self.session() as session:
            if session.get(SubscriptionRow, url) is not None:
                return False
            session.add(
                SubscriptionRow(
                    url=url,
                    name=(name or url)[:300],
                    language=language,
                    interval_s=interval_s,
                    next_poll=utcnow(),
                )
            )
            self.audit(
                session, actor, "feed.add", "feed", url, None, {"name": name, "interval_s": interval_s}
            )
            return True

    def remove_subscription(self, url: str, actor: str) -> bool:
        """Unsubscribe (with its audit record); False when the URL is not subscribed."""
        with self.session() as session:
            row = session.get(SubscriptionRow, url)
            if row is None:
                return False
            session.delete(row)
            self.audit(session, actor, "feed.remove", "feed", url, {"name": row.name}, None)
            return True

    def list_subscriptions(self) -> list[Subscription]:
        """Every subscription with its feed's fetch state, by name."""
        with self.session() as session:
            rows = session.execute(
                select(SubscriptionRow, FeedStateRow)
                .outerjoin(FeedStateRow, FeedStateRow.url == SubscriptionRow.url)
                .order_by(SubscriptionRow.name)
            ).all()
        return [
            Subscription(
                sub.url,
                sub.name,
                sub.language,
                sub.interval_s,
                sub.next_poll,
                state.last_success if state else None,
                state.last_error if state else None,
                state.error_count if state else 0,
            )
            for sub, state in rows
        ]

    def get_feed_state(self, url: str) -> FeedState | None:
        with self.session() as session:
            row = session.get(FeedStateRow, url)
            return FeedState(row.url, row.etag, row.last_modified) if row else None

    def record_feed_success(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self.session() as session:
            row = session.get(FeedStateRow, url) or FeedStateRow(url=url, error_count=0)
            row.etag, row.last_modified = etag or row.etag, last_modified or row.last_modified
            row.last_success, row.last_error, row.error_count = utcnow(), None, 0
            session.add(row)

    def record_feed_error(self, url: str, message: str) -> None:
        with self.session() as session:
            row = session.get(FeedStateRow, url) or FeedStateRow(url=url, error_count=0)
            row.last_error, row.error_count = message, (row.error_count or 0) + 1
            session.add(row)

    def lease_due_subscription(self, now: dt.datetime, lease: dt.timedelta) -> tuple[str, int] | None:
        """Lease the most overdue subscription to this process: (url, interval) or None when none is due."""
        for _attempt in range(200):
            try:
                with self.session() as session:
                    row = session.execute(
                        select(SubscriptionRow.url, SubscriptionRow.interval_s, SubscriptionRow.next_poll)
                        .where(SubscriptionRow.next_poll <= now)
                        .order_by(SubscriptionRow.next_poll)
                        .limit(1)
                        .with_for_update(skip_locked=True)
                    ).first()
                    if row is None:
                        return None
                    leased = session.execute(
                        update(SubscriptionRow)
                        .where(SubscriptionRow.url == row.url, SubscriptionRow.next_poll == row.next_poll)
                        .values(next_poll=max(now, utcnow()) + lease)
                    )
                    if leased.rowcount == 1:  # type: ignore[attr-defined]
                        return str(row.url), int(row.interval_s)
                # another monitor took it between our read and our update: look again
            except OperationalError:  # SQLite: another process holds the write lock for a moment
                time.sleep(0.05)
        raise RuntimeError("could not lease a feed: the database stayed locked")

    def schedule_next_poll(self, url: str, when: Callable[[int], dt.datetime]) -> tuple[int, dt.datetime]:
        """Set the subscription's next poll to `when(failures in a row)`; returns both."""
        with self.session() as session:
            state = session.get(FeedStateRow, url)
            errors = state.error_count if state else 0
            scheduled = when(errors)
            subscription = session.get(SubscriptionRow, url)
            if subscription is not None:
                subscription.next_poll = scheduled
        return errors, scheduled
