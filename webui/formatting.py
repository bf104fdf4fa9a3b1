"""Dates and numbers as people read them: Babel's formats for the request's locale (German 02.12.2026,
1.234,5; English Dec 2, 2026, 1,234.5), times in the office's time zone (FACTSANDWICH_TIMEZONE).

The store keeps naive UTC; Flask-Babel's formatters take naive times as UTC and show them in the zone
its time zone selector gives (webui/i18n.init_app). Registered as Jinja filters: `datetime`, `date`,
`decimal`, `percent`."""

from __future__ import annotations

import datetime as dt

import flask_babel
from flask import Flask


def datetime(value: dt.datetime | None) -> str:
    """A moment to the minute in the office's time zone: "02.12.2026, 11:31", "Dec 2, 2026, 11:31 AM"."""
    if value is None:
        return "–"
    locale = flask_babel.get_locale()
    pattern = locale.datetime_formats["medium"] if locale is not None else "{1}, {0}"
    glue = str(pattern)
    return glue.format(flask_babel.format_time(value, "short"), flask_babel.format_date(value, "medium"))


def date(value: dt.date | str | None) -> str:
    """A day ("02.12.2026", "Dec 2, 2026"); a moment is first moved to the office's time zone. Text
    (an imported fact-check's date) is read as YYYY-MM-DD, else shown as given."""
    if not value:
        return "–"
    try:
        day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    return str(flask_babel.format_date(day, "medium"))


def decimal(value: float | None, digits: int = 2) -> str:
    """A number with `digits` decimals and the locale's separators ("0,37", "1.234,50")."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return str(flask_babel.format_decimal(value, pattern))


def percent(value: float | None) -> str:
    """A share (0.37) as a whole percentage the locale's way ("37 %", "37%")."""
    if value is None:
        return "–"
    return str(flask_babel.format_percent(value))


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(datetime=datetime, date=date, decimal=decimal, percent=percent)
