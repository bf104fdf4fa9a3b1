"""The dashboard (every role) and /healthz (for monitoring; no login, no secrets). The dashboard's
figures are statistics.dashboard's, its weeks the office's (FACTSANDWICH_TIMEZONE); this view reads the
chosen period and writes numbers and days the German or English way (Babel's formats)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_skeleton
from babel.numbers import format_decimal
from flask import Blueprint, g, jsonify, render_template, request

from factsandwich import statistics
from factsandwich.dates import form_date
from factsandwich.trends import IsoWeek
from webui.context import core, store
from webui.i18n import translate
from webui.security import requires

blueprint = Blueprint("dashboard", __name__)


@blueprint.route("/dashboard")
@requires()
def index() -> Any:
    """The chosen number of weeks up to the week of the chosen day (default: 8 up to this week); a
    period that cannot be read is said so, and the default is shown."""
    language, tz = g.language, core().settings.tzinfo
    raw_weeks, raw_until = request.args.get("weeks", ""), request.args.get("until", "")
    weeks = int(raw_weeks) if raw_weeks.isdigit() else statistics.DEFAULT_WEEKS
    until = form_date(raw_until)
    invalid = bool(raw_weeks) and (not raw_weeks.isdigit() or weeks not in statistics.WEEK_CHOICES)
    invalid = invalid or (bool(raw_until) and until is None)
    try:
        span = statistics.period(until, weeks, tz) if not invalid else None
    except ValueError:
        span = None
    if span is None:
        invalid, weeks, until = True, statistics.DEFAULT_WEEKS, None
        span = statistics.period(None, weeks, tz)
    due = [(c.id, reasons) for c in core().claims.active if (reasons := c.review_due())]
    return render_template(
        "dashboard.html",
        data=statistics.dashboard(store(), core().claims, language, span),
        weeks=weeks,
        until=until,
        invalid=invalid,
        week_choices=statistics.WEEK_CHOICES,
        due=due,
        number=lambda value: number(value, language),
        duration=lambda value: duration(value, language),
        week_label=lambda week: week_label(week, language),
        week_start=lambda week: week_start(week, language),
    )


def number(value: float, language: str, decimals: int = 0) -> str:
    """1.234 and 2,5 in German; 1,234 and 2.5 in English."""
    return format_decimal(value, "#,##0" + ("." + "0" * decimals if decimals else ""), locale=language)


def duration(value: dt.timedelta | None, language: str) -> str:
    """Minutes under an hour, hours under two days, else days: "45 Min.", "3,5 Std.", "2,5 Tage"."""
    if value is None:
        return "–"
    hours = value.total_seconds() / 3600
    if hours < 1:
        amount, key = number(hours * 60, language), "duration_minutes"
    elif hours < 48:
        amount, key = number(hours, language, 1), "duration_hours"
    else:
        amount, key = number(hours / 24, language, 1), "duration_days"
    return translate(key, language).format(n=amount)


def week_label(week: IsoWeek, language: str) -> str:
    """The week's number: "KW 48" in German, "W48" in English (the year is in the period above)."""
    return translate("week_label", language).format(n=week.week)


def week_start(week: IsoWeek, language: str) -> str:
    """The week's Monday: "23. Nov." in German, "Nov 23" in English."""
    return format_skeleton("MMMd", dt.date.fromisocalendar(week.year, week.week, 1), locale=language)


@blueprint.route("/healthz")
def health() -> Any:
    """Database, claim index and models, each with its state; 503 when one is down."""
    body = core().health()
    return jsonify(body), 200 if body["ok"] else 503
