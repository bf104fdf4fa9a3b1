"""How often a myth or narrative is seen: counts per day and per ISO week, a series for a sparkline,
and a surge detector against the key's own recent past.

Keys are whatever the caller counts by (a claim id, a narrative id, an emerging cluster id); times
are naive UTC (as the store keeps them) or aware, and a day is a day in the office's time zone
(`tz`). "Today" is always passed in: nothing here reads the clock, so the digest of a morning and
the tests give the same answer for the same data.

**The surge rule** (`detect_spike`): a key surges on `day` when

    count(day) >= min_count   and   count(day) >= mean + k * sigma,
    sigma = max(std, sqrt(mean), 1)

where mean and std (sample standard deviation) are over the `baseline_days` days before `day`
(the day itself excluded, days without posts counted as 0). The floors make the rule safe for the
small counts a town sees: posts arrive roughly as a Poisson process, whose standard deviation is
sqrt(mean), so a quiet myth with a flat baseline (std 0) does not surge on one extra post; the floor
of 1 keeps an empty baseline from giving a threshold of 0; `min_count` keeps "3 posts after none"
from waking anyone. With the defaults (14 days, k = 3, min_count 5) an empty past needs 5 posts, a
past of 4 a day needs 10 and one of 100 ± 10 needs 130. Days before `tracked_since` (when counting
began) are left out of the baseline, and with fewer than `min_history_days` of them no surge is
declared (a new installation would otherwise see every known myth "surge"). A day still in
progress is compared with whole past days, which only makes a surge harder to declare.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class IsoWeek:
    """An ISO 8601 week: `str()` gives "2026-W49"."""

    year: int
    week: int

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


@dataclass(frozen=True)
class SpikeRule:
    """The parameters of the surge rule in the module docstring."""

    baseline_days: int = 14
    k: float = 3.0
    min_count: int = 5
    min_history_days: int = 7


@dataclass(frozen=True)
class Spike:
    """The rule's verdict for one key on one day, with the numbers behind it."""

    key: str
    day: dt.date
    count: int
    baseline_mean: float
    baseline_std: float
    threshold: float
    surging: bool
    reason: str

    @property
    def ratio(self) -> float:
        """Today's count against the baseline mean (a mean of 0 counts as 1)."""
        return self.count / max(self.baseline_mean, 1.0)


def local_day(moment: dt.datetime, tz: dt.tzinfo = dt.UTC) -> dt.date:
    """The calendar day of a moment in the office's time zone (a naive moment is UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(tz).date()


def iso_week(day: dt.date) -> IsoWeek:
    year, week, _ = day.isocalendar()
    return IsoWeek(year, week)


def counts_by_day(
    events: Iterable[tuple[str, dt.datetime]], tz: dt.tzinfo = dt.UTC
) -> dict[str, dict[dt.date, int]]:
    """(key, moment) pairs → per key, posts per local day."""
    counts: defaultdict[str, Counter[dt.date]] = defaultdict(Counter)
    for key, moment in events:
        counts[key][local_day(moment, tz)] += 1
    return {key: dict(sorted(days.items())) for key, days in counts.items()}


def counts_by_week(
    events: Iterable[tuple[str, dt.datetime]], tz: dt.tzinfo = dt.UTC
) -> dict[str, dict[IsoWeek, int]]:
    """(key, moment) pairs → per key, posts per ISO week (of the local day)."""
    counts: defaultdict[str, Counter[IsoWeek]] = defaultdict(Counter)
    for key, moment in events:
        counts[key][iso_week(local_day(moment, tz))] += 1
    return {
        key: dict(sorted(weeks.items(), key=lambda kv: (kv[0].year, kv[0].week)))
        for key, weeks in counts.items()
    }


def daily_series(counts: Mapping[dt.date, int], *, end: dt.date, days: int = 30) -> tuple[int, ...]:
    """The `days` daily counts up to and including `end`, oldest first, 0 where nothing was seen:
    ready for a sparkline."""
    return tuple(counts.get(end - dt.timedelta(days=offset), 0) for offset in range(days - 1, -1, -1))


def weekly_series(counts: Mapping[IsoWeek, int], *, end: dt.date, weeks: int = 12) -> tuple[int, ...]:
    """The `weeks` weekly counts up to the ISO week of `end`, oldest first."""
    return tuple(
        counts.get(iso_week(end - dt.timedelta(weeks=offset)), 0) for offset in range(weeks - 1, -1, -1)
    )


def sparkline(series: Sequence[int]) -> str:
    """A series as block characters (for plain-text digests): the highest count is a full block."""
    top = max(series, default=0)
    if top <= 0:
        return _BARS[0] * len(series)
    return "".join(_BARS[min(len(_BARS) - 1, math.ceil(v / top * (len(_BARS) - 1)))] for v in series)


def detect_spike(
    counts: Mapping[dt.date, int],
    *,
    day: dt.date,
    key: str = "",
    rule: SpikeRule = SpikeRule(),
    tracked_since: dt.date | None = None,
) -> Spike:
    """Apply the surge rule (module docstring) to `day` against the key's own previous days."""
    count = counts.get(day, 0)
    past = [day - dt.timedelta(days=offset) for offset in range(1, rule.baseline_days + 1)]
    if tracked_since is not None:
        past = [d for d in past if d >= tracked_since]
    values = [counts.get(d, 0) for d in past]
    mean = sum(values) / len(values) if values else 0.0
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    sigma = max(std, math.sqrt(mean), 1.0)
    threshold = max(float(rule.min_count), mean + rule.k * sigma)
    if len(values) < rule.min_history_days:
        surging, reason = False, f"only {len(values)} days of history (needs {rule.min_history_days})"
    elif count < rule.min_count:
        surging, reason = False, f"{count} posts, fewer than {rule.min_count}"
    elif count >= threshold:
        surging, reason = (
            True,
            f"{count} posts against {mean:.1f} ± {std:.1f} a day (threshold {threshold:.1f})",
        )
    else:
        surging, reason = False, f"{count} posts, below the threshold {threshold:.1f}"
    return Spike(key, day, count, round(mean, 3), round(std, 3), round(threshold, 3), surging, reason)


def surges(
    counts: Mapping[str, Mapping[dt.date, int]],
    *,
    day: dt.date,
    rule: SpikeRule = SpikeRule(),
    tracked_since: dt.date | None = None,
) -> list[Spike]:
    """The keys that surge on `day`, the strongest (count over threshold) first."""
    found = [
        spike
        for key, days in counts.items()
        if (spike := detect_spike(days, day=day, key=key, rule=rule, tracked_since=tracked_since)).surging
    ]
    return sorted(found, key=lambda s: (-s.count / s.threshold, s.key))
