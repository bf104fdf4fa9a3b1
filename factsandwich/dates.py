"""Publication dates as stored: feeds give ISO 8601 (UTC, `Z`), posts files whatever they hold. The
queue's date filter and the dashboard need a real point in time, in UTC without a zone (as the store
keeps every other time)."""

from __future__ import annotations

import datetime as dt
import email.utils


def published_at(value: str | None) -> dt.datetime | None:
    """The moment of an ISO 8601 timestamp or date, or an RFC 2822 date (e-mail, RSS), in naive UTC;
    None for anything else (the item then counts from when it was first seen)."""
    text = (value or "").strip()
    if not text:
        return None
    moment: dt.datetime | None = None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment
