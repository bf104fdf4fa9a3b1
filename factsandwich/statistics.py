"""Statistics for the dashboard: flagged items per myth and publication week, open and closed items,
and the office's time from first sight to an approved answer."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass

from factsandwich.dates import utcnow
from factsandwich.storage import Database
from factsandwich.storage.office import activity


@dataclass(frozen=True)
class Dashboard:
    weeks: list[str]
    per_claim_week: dict[str, Counter[str]]
    open_items: int
    handled_items: int
    median_hours_to_approval: float | None


def week_of(moment: dt.datetime) -> str:
    """The ISO week, as the dashboard labels it: 2024-W07."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def dashboard(store: Database, weeks: int = 8) -> Dashboard:
    data = activity(store, utcnow() - dt.timedelta(weeks=weeks))
    per_claim: dict[str, Counter[str]] = {}
    for claim_id, at in data.flagged:
        per_claim.setdefault(claim_id or "(no claim)", Counter())[week_of(at)] += 1
    week_labels = sorted({week_of(at) for _, at in data.flagged})
    durations = data.to_approval
    median = statistics.median(d.total_seconds() / 3600 for d in durations) if durations else None
    return Dashboard(
        week_labels,
        per_claim,
        data.open_items,
        data.handled_items,
        round(median, 1) if median is not None else None,
    )
