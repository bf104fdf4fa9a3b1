"""Feeds: what was learned from fetching each feed URL (validators for conditional GET, the last error),
and the monitor's lease on a due subscription (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL and a
compare-and-set of its next poll time everywhere)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from factsandwich.dates import utcnow
from factsandwich.storage.database import Database
from factsandwich.storage.tables import FeedStateRow, SubscriptionRow
from factsandwich.storage.values import FeedState


class FeedsRepository(Database):
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

    def claim_due_feed(self, now: dt.datetime, lease: dt.timedelta) -> tuple[str, int] | None:
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
                    claimed = session.execute(
                        update(SubscriptionRow)
                        .where(SubscriptionRow.url == row.url, SubscriptionRow.next_poll == row.next_poll)
                        .values(next_poll=max(now, utcnow()) + lease)
                    )
                    if claimed.rowcount == 1:  # type: ignore[attr-defined]
                        return str(row.url), int(row.interval_s)
                # another monitor took it between our read and our update: look again
            except OperationalError:  # SQLite: another process holds the write lock for a moment
                time.sleep(0.05)
        raise RuntimeError("could not claim a feed: the database stayed locked")

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
