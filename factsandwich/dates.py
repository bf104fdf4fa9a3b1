"""Dates, read once for everything: publication dates as stored (feeds give ISO 8601 (UTC, `Z`), posts
files whatever they hold), dates as people and publishers write them, and dates typed into forms.
The queue's date filter and the dashboard need a real point in time, in UTC without a zone (as the
store keeps every other time)."""

from __future__ import annotations

import datetime as dt
import email.utils
import re


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


def utcnow() -> dt.datetime:
    """Now, in naive UTC: how the store keeps every time."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def local_midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The start of `day` in the time zone `tz`, in naive UTC: a day typed into a form is the office's
    day (FACTSANDWICH_TIMEZONE), as the pages show times, not UTC's."""
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC).replace(tzinfo=None)


def local_days(
    since: dt.date | None, until: dt.date | None, tz: dt.tzinfo
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The moments from the start of `since` to the end of `until` (both whole office days; the end
    excluded), in naive UTC; None where the span is open."""
    return (
        local_midnight(since, tz) if since else None,
        local_midnight(until + dt.timedelta(days=1), tz) if until else None,
    )


# Month names and abbreviations in English and German (Austrian "Jänner" too), for dates written out.
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "january jan januar jänner jän",
            "february feb februar",
            "march mar märz maerz mrz",
            "april apr",
            "may mai",
            "june jun juni",
            "july jul juli",
            "august aug",
            "september sep sept",
            "october oct oktober okt",
            "november nov",
            "december dec dezember dez",
        ),
        1,
    )
    for name in names.split()
}
_ISO_PREFIX = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\.?\s*([^\W\d_]+)\.?,?\s*(\d{4})")  # 27 December 2018, 3. März 2024
_MONTH_DAY_YEAR = re.compile(r"([^\W\d_]+)\.?\s*(\d{1,2})(?:st|nd|rd|th)?,?\s*(\d{4})")  # December 27, 2018
_NUMERIC_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")  # 27.12.2018


def date_of(value: str | None) -> dt.date | None:
    """The date of an ISO timestamp or date (feeds and imports store them so), else None."""
    match = _ISO_PREFIX.match(value or "")
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def iso_date(text: str) -> str:
    """YYYY-MM-DD for the usual ways of writing a date (a timestamp gives its date), else `text`."""
    year = month = day = None
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _NUMERIC_DATE.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _DAY_MONTH_YEAR.fullmatch(text):
        day, month, year = int(match[1]), MONTHS.get(match[2].casefold()), int(match[3])
    elif match := _MONTH_DAY_YEAR.fullmatch(text):
        month, day, year = MONTHS.get(match[1].casefold()), int(match[2]), int(match[3])
    if year is None or month is None or day is None:
        return text
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return text


def form_date(value: str | None) -> dt.date | None:
    """A date typed into a form (YYYY-MM-DD); None when empty or not a date."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
