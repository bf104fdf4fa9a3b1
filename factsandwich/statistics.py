"""The dashboard's figures for a period of ISO weeks: flagged items per myth and week, open against
handled and dismissed per week, the mis/disinformation labels, the office's time from first seeing an
item to an approved answer, and the sources most flagged items come from.

Every figure is about the same items: the flagged ones whose publication (else first sight) falls into
the period, each counted in the week of that moment in the office's time zone. An item is open until
it is dismissed or handled; its status today decides, whatever week it counts in. Time to approval is
responses.time_to_approval (from first sight, not publication), summarised by its median and 90th
percentile (linear interpolation between the nearest values, numpy's default)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median, quantiles

from factsandwich.claims import ClaimSet
from factsandwich.dates import local_midnight, utcnow
from factsandwich.responses import time_to_approval
from factsandwich.storage import Database
from factsandwich.storage.office import CLOSED_STATUSES
from factsandwich.storage.statistics import CountedItem, approved_between, flagged_between
from factsandwich.trends import IsoWeek, iso_week, local_day
from factsandwich.triage import source_names

DEFAULT_WEEKS = 8
WEEK_CHOICES = (4, 8, 13, 26, 52)  # the periods the dashboard offers
TOP_SOURCES = 10


@dataclass(frozen=True)
class Period:
    """Whole ISO weeks, oldest first, and the moments they span (naive UTC, end excluded)."""

    weeks: tuple[IsoWeek, ...]
    start: dt.datetime
    end: dt.datetime
    tz: dt.tzinfo  # whose Mondays begin the weeks: the office's time zone


@dataclass(frozen=True)
class Durations:
    """Times from first sight to approval: how many, their median and their 90th percentile."""

    count: int
    median: dt.timedelta | None
    p90: dt.timedelta | None


@dataclass(frozen=True)
class MythCounts:
    """One myth's flagged items: per week of the period, open, labelled, and answered how fast."""

    claim_id: str | None  # None: the items no pair matched
    name: str | None  # the myth's wording in the reader's language (None: no matching myth)
    per_week: tuple[int, ...]  # aligned with Period.weeks
    open: int
    misinformation: int
    disinformation: int
    to_approval: Durations

    @property
    def total(self) -> int:
        return sum(self.per_week)


@dataclass(frozen=True)
class WeekCounts:
    """One week's flagged items by what became of them, and their labels."""

    week: IsoWeek
    open: int
    handled: int
    dismissed: int
    misinformation: int
    disinformation: int

    @property
    def flagged(self) -> int:
        return self.open + self.handled + self.dismissed


@dataclass(frozen=True)
class SourceCount:
    """A source under the name the queue shows (triage.source_names), with its flagged items."""

    name: str
    flagged: int
    open: int


@dataclass(frozen=True)
class Dashboard:
    period: Period
    myths: tuple[MythCounts, ...]  # most flagged first; the unmatched items last
    weeks: tuple[WeekCounts, ...]  # aligned with period.weeks
    to_approval: Durations  # over every myth
    sources: tuple[SourceCount, ...]  # the TOP_SOURCES with most flagged items

    @property
    def peak(self) -> int:
        """The highest count of one myth in one week (the charts' common scale)."""
        return max((n for myth in self.myths for n in myth.per_week), default=0)


def period(until: dt.date | None, weeks: int, tz: dt.tzinfo) -> Period:
    """The `weeks` ISO weeks that end with the week of `until` (None: today), in the time zone `tz`
    (the office's, Settings.tzinfo: a post at 23:30 UTC on a Sunday is Monday's in Berlin; there is no
    default, so no caller counts UTC weeks by mistake). ValueError for no weeks or a period beyond the
    calendar."""
    if weeks < 1:
        raise ValueError(f"a period has at least one week, not {weeks}")
    day = until or local_day(utcnow(), tz)
    try:
        monday = day - dt.timedelta(days=day.weekday())
        first = monday - dt.timedelta(weeks=weeks - 1)
        start, end = local_midnight(first, tz), local_midnight(monday + dt.timedelta(weeks=1), tz)
    except OverflowError:
        raise ValueError(f"{weeks} weeks up to {day.isoformat()} are beyond the calendar") from None
    weeks_of = tuple(iso_week(first + dt.timedelta(weeks=n)) for n in range(weeks))
    return Period(weeks_of, start, end, tz)


def dashboard(store: Database, claims: ClaimSet, language: str, span: Period) -> Dashboard:
    """The figures of the module docstring for the flagged items of `span`, with myths named in
    `language` (else in the pair's other language)."""
    items = flagged_between(store, span.start, span.end)
    column = {week: n for n, week in enumerate(span.weeks)}
    placed = [(column[iso_week(local_day(item.moment, span.tz))], item) for item in items]
    waits: defaultdict[str | None, list[dt.timedelta]] = defaultdict(list)
    for answered, response in approved_between(store, span.start, span.end):
        wait = time_to_approval(answered, response)
        if wait is not None:
            waits[answered.top_claim].append(wait)

    by_claim: defaultdict[str | None, list[tuple[int, CountedItem]]] = defaultdict(list)
    statuses: defaultdict[int, Counter[str]] = defaultdict(Counter)
    labels: defaultdict[int, Counter[str | None]] = defaultdict(Counter)
    for n, item in placed:
        by_claim[item.claim_id].append((n, item))
        statuses[n][item.status] += 1
        labels[n][item.label] += 1
    myths = [
        MythCounts(
            claim_id,
            myth_name(claims, claim_id, language),
            _per_week(len(span.weeks), (n for n, _ in members)),
            sum(1 for _, i in members if i.status not in CLOSED_STATUSES),
            sum(1 for _, i in members if i.label == "misinformation"),
            sum(1 for _, i in members if i.label == "disinformation"),
            durations(waits.get(claim_id, [])),
        )
        for claim_id, members in by_claim.items()
    ]
    myths.sort(key=lambda m: (m.claim_id is None, -m.total, m.name or ""))
    weeks = tuple(
        WeekCounts(
            week,
            open=sum(count for status, count in statuses[n].items() if status not in CLOSED_STATUSES),
            handled=statuses[n]["handled"],
            dismissed=statuses[n]["dismissed"],
            misinformation=labels[n]["misinformation"],
            disinformation=labels[n]["disinformation"],
        )
        for n, week in enumerate(span.weeks)
    )
    return Dashboard(
        span,
        tuple(myths),
        weeks,
        durations([wait for per_claim in waits.values() for wait in per_claim]),
        _top_sources(store, items),
    )


def myth_name(claims: ClaimSet, claim_id: str | None, language: str) -> str | None:
    """A myth's canonical wording in `language`, else in the pair's first language; the id of a pair
    that no longer exists; None for no matching myth."""
    if claim_id is None:
        return None
    claim = claims.get(claim_id)
    if claim is None or not claim.myths:
        return claim_id
    return claim.canonical_myth(language if language in claim.myths else next(iter(claim.myths)))


def durations(waits: Sequence[dt.timedelta]) -> Durations:
    if not waits:
        return Durations(0, None, None)
    seconds = sorted(wait.total_seconds() for wait in waits)
    p90 = quantiles(seconds, n=10, method="inclusive")[8] if len(seconds) > 1 else seconds[0]
    return Durations(len(seconds), dt.timedelta(seconds=median(seconds)), dt.timedelta(seconds=p90))


def _per_week(weeks: int, columns: Iterable[int]) -> tuple[int, ...]:
    counts = Counter(columns)
    return tuple(counts[n] for n in range(weeks))


def _top_sources(store: Database, items: Sequence[CountedItem]) -> tuple[SourceCount, ...]:
    """Counted by the name the queue shows: two addresses the queue names alike are one source."""
    names = source_names(store)
    flagged: Counter[str] = Counter()
    still_open: Counter[str] = Counter()
    for item in items:
        name = names.get(item.source, item.source)
        flagged[name] += 1
        still_open[name] += item.status not in CLOSED_STATUSES
    ranked = sorted(flagged.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_SOURCES]
    return tuple(SourceCount(name, count, still_open[name]) for name, count in ranked)
