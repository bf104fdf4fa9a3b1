"""Counts per day and week, series and the surge rule (time is always passed in)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from factsandwich.trends import (
    IsoWeek,
    SpikeRule,
    counts_by_day,
    counts_by_week,
    daily_series,
    detect_spike,
    iso_week,
    local_day,
    sparkline,
    surges,
    weekly_series,
)

BERLIN = ZoneInfo("Europe/Berlin")
DAY = dt.date(2026, 12, 1)  # a Tuesday, ISO week 49


def history(values: list[int], today: int) -> dict[dt.date, int]:
    """`values` for the days before DAY (oldest first), then `today` on DAY."""
    counts = {DAY - dt.timedelta(days=len(values) - n): v for n, v in enumerate(values)}
    counts[DAY] = today
    return counts


def test_a_day_is_the_office_s_local_day() -> None:
    late = dt.datetime(2026, 11, 30, 23, 30)  # naive UTC: 00:30 on 1 December in Berlin
    assert local_day(late) == dt.date(2026, 11, 30)
    assert local_day(late, BERLIN) == dt.date(2026, 12, 1)
    aware = dt.datetime(2026, 12, 1, 0, 30, tzinfo=BERLIN)
    assert local_day(aware) == dt.date(2026, 11, 30)


def test_counts_per_day_and_iso_week_per_key() -> None:
    events = [
        ("crime", dt.datetime(2026, 11, 30, 10)),
        ("crime", dt.datetime(2026, 11, 30, 23, 30)),
        ("crime", dt.datetime(2026, 12, 6, 12)),  # Sunday: still week 49
        ("crime", dt.datetime(2026, 12, 7, 12)),  # Monday: week 50
        ("terror", dt.datetime(2026, 12, 1, 9)),
    ]
    days = counts_by_day(events, BERLIN)
    assert days["crime"] == {
        dt.date(2026, 11, 30): 1,
        dt.date(2026, 12, 1): 1,
        dt.date(2026, 12, 6): 1,
        dt.date(2026, 12, 7): 1,
    }
    weeks = counts_by_week(events)
    assert weeks["crime"] == {IsoWeek(2026, 49): 3, IsoWeek(2026, 50): 1}
    assert weeks["terror"] == {IsoWeek(2026, 49): 1}
    assert str(iso_week(dt.date(2027, 1, 1))) == "2026-W53"


def test_daily_and_weekly_series_fill_gaps_oldest_first() -> None:
    counts = {DAY: 3, DAY - dt.timedelta(days=2): 1, DAY - dt.timedelta(days=40): 9}
    assert daily_series(counts, end=DAY, days=4) == (0, 1, 0, 3)
    weekly = {IsoWeek(2026, 49): 4, IsoWeek(2026, 47): 2}
    assert weekly_series(weekly, end=DAY, weeks=3) == (2, 0, 4)


def test_sparkline_scales_to_the_highest_count() -> None:
    assert sparkline([0, 4, 8]) == "▁▅█"
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([]) == ""


def test_a_burst_after_a_quiet_fortnight_surges() -> None:
    spike = detect_spike(history([0] * 14, 6), day=DAY, key="crime")
    assert spike.surging and spike.threshold == 5.0 and spike.count == 6
    assert "threshold" in spike.reason


def test_few_posts_never_surge_whatever_the_baseline() -> None:
    spike = detect_spike(history([0] * 14, 4), day=DAY)
    assert not spike.surging and "fewer than 5" in spike.reason


def test_a_flat_baseline_uses_the_poisson_floor() -> None:
    # 4 posts every day: std 0, so sigma = sqrt(4) = 2 and the threshold is 4 + 3 * 2 = 10
    assert not detect_spike(history([4] * 14, 9), day=DAY).surging
    spike = detect_spike(history([4] * 14, 10), day=DAY)
    assert spike.surging and spike.threshold == pytest.approx(10.0)
    assert spike.ratio == pytest.approx(2.5)


def test_a_noisy_baseline_uses_its_own_spread() -> None:
    values = [90, 110] * 7  # mean 100, sample std about 10.4
    spike = detect_spike(history(values, 130), day=DAY)
    assert spike.baseline_mean == 100 and spike.baseline_std == pytest.approx(10.38, abs=0.01)
    assert not spike.surging  # 100 + 3 * 10.38 = 131.1
    assert detect_spike(history(values, 132), day=DAY).surging


def test_the_day_itself_is_not_part_of_its_baseline() -> None:
    spike = detect_spike(history([0] * 14, 50), day=DAY)
    assert spike.baseline_mean == 0.0


def test_too_little_history_declares_no_surge() -> None:
    counts = history([0] * 14, 20)
    spike = detect_spike(counts, day=DAY, tracked_since=DAY - dt.timedelta(days=3))
    assert not spike.surging and "3 days of history" in spike.reason
    assert detect_spike(counts, day=DAY, tracked_since=DAY - dt.timedelta(days=7)).surging


def test_the_rule_is_configurable() -> None:
    rule = SpikeRule(baseline_days=7, k=1.0, min_count=2, min_history_days=3)
    assert detect_spike(history([1] * 7, 2), day=DAY, rule=rule).surging


def test_surges_lists_only_surging_keys_strongest_first() -> None:
    counts = {
        "quiet": history([1] * 14, 1),
        "strong": history([0] * 14, 20),
        "mild": history([0] * 14, 6),
    }
    found = surges(counts, day=DAY)
    assert [s.key for s in found] == ["strong", "mild"]
