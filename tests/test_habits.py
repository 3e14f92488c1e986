"""Habit progress arithmetic: streaks, completion, Loop's strength, schedules, local dates."""

from __future__ import annotations

import math

import pytest

from core.habits import (
    Entry,
    HabitSpec,
    HabitStats,
    Kind,
    Schedule,
    strength_series,
)
from tests.habitdata import (
    DAILY,
    DONE,
    M_DAILY,
    NOT_DONE,
    SKIPPED,
    THRICE,
    WORKDAYS,
    d,
    done,
    loop,
    stats,
)

# --- Loop's formula ----------------------------------------------------------------------------


def test_one_done_day_from_zero() -> None:
    s = stats(DAILY, done(0), 0, 0)
    assert s.strength == pytest.approx(1 - 0.5 ** (1 / 13))
    assert s.strength == pytest.approx(0.05192, abs=1e-5)


def test_thirty_done_days() -> None:
    s = stats(DAILY, done(*range(30)), 0, 29)
    assert s.strength == pytest.approx(1 - 0.5 ** (30 / 13))
    assert s.strength == pytest.approx(0.7980, abs=1e-4)
    assert (s.current_streak, s.best_streak) == (30, 30)
    assert s.completion_30 == 1.0


def test_a_missed_day_decays_by_the_multiplier() -> None:
    thirty = 1 - 0.5 ** (30 / 13)
    logged_miss = stats(DAILY, [*done(*range(30)), Entry(d(30), NOT_DONE)], 0, 30)
    assert logged_miss.strength == pytest.approx(thirty * 0.5 ** (1 / 13))
    # An unlogged past day is a miss too (today, day 31, still open).
    unlogged = stats(DAILY, done(*range(30)), 0, 31)
    assert unlogged.strength == pytest.approx(thirty * 0.5 ** (1 / 13))
    assert unlogged.current_streak == 0


def test_a_skip_leaves_strength_unchanged() -> None:
    entries = [*done(*range(30)), Entry(d(30), SKIPPED, None)]
    series = strength_series(DAILY, entries, start=d(0), today=d(30))
    assert len(series) == 31
    assert series[-1] == (d(30), series[-2][1])
    assert series[-1][1] == pytest.approx(1 - 0.5 ** (30 / 13))
    assert stats(DAILY, entries, 0, 30).current_streak == 30


def test_score_stays_within_bounds_and_series_matches_stats() -> None:
    entries = done(*range(200))
    series = strength_series(DAILY, entries, start=d(0), today=d(199))
    assert all(0.0 <= v <= 1.0 for _, v in series)
    assert [day for day, _ in series] == [d(i) for i in range(200)]
    assert series[-1][1] == pytest.approx(1 - 0.5 ** (200 / 13))
    assert stats(DAILY, entries, 0, 199).strength == series[-1][1]


# --- daily streaks -----------------------------------------------------------------------------


def test_skip_in_the_middle_does_not_break_the_streak() -> None:
    entries = [*done(0), Entry(d(1), SKIPPED), *done(2, 3)]
    s = stats(DAILY, entries, 0, 3)
    assert (s.current_streak, s.best_streak) == (3, 3)
    assert s.completion_7 == 1.0  # the skip is not in the denominator
    assert s.strength == pytest.approx(loop([1, 1, 1]))


def test_unlogged_yesterday_breaks_the_current_streak() -> None:
    s = stats(DAILY, done(0, 1, 2, 4), 0, 4)  # day 3 never logged
    assert (s.current_streak, s.best_streak) == (1, 3)
    assert s.completion_7 == pytest.approx(4 / 5)
    open_today = stats(DAILY, done(0, 1, 2), 0, 4)
    assert (open_today.current_streak, open_today.best_streak) == (0, 3)


def test_today_open_versus_logged() -> None:
    open_today = stats(DAILY, done(0, 1, 2), 0, 3)
    assert open_today.today is None
    assert open_today.due_today
    assert open_today.current_streak == 3  # counted back from yesterday
    assert open_today.completion_7 == 1.0  # 3 / 3: today not counted
    assert open_today.strength == pytest.approx(1 - M_DAILY**3)
    assert len(strength_series(DAILY, done(0, 1, 2), start=d(0), today=d(3))) == 3

    logged_done = stats(DAILY, done(0, 1, 2, 3), 0, 3)
    assert logged_done.today == DONE
    assert logged_done.current_streak == 4
    assert logged_done.completion_7 == 1.0
    assert logged_done.strength == pytest.approx(1 - M_DAILY**4)

    logged_not = stats(DAILY, [*done(0, 1, 2), Entry(d(3), NOT_DONE)], 0, 3)
    assert logged_not.today == NOT_DONE
    assert (logged_not.current_streak, logged_not.best_streak) == (0, 3)
    assert logged_not.completion_7 == pytest.approx(3 / 4)
    assert logged_not.strength == pytest.approx((1 - M_DAILY**3) * M_DAILY)

    logged_skip = stats(DAILY, [*done(0, 1, 2), Entry(d(3), SKIPPED)], 0, 3)
    assert logged_skip.today == SKIPPED
    assert logged_skip.current_streak == 3
    assert logged_skip.completion_7 == 1.0
    assert logged_skip.strength == pytest.approx(1 - M_DAILY**3)


def test_only_today_open_means_nothing_counts_yet() -> None:
    s = stats(DAILY, [], 0, 0)
    assert s == HabitStats(0, 0, "day", None, None, None, 0.0, True, None)
    assert strength_series(DAILY, [], start=d(0), today=d(0)) == []


def test_best_streak_across_a_break() -> None:
    entries = [*done(0, 1, 2, 3, 4), Entry(d(5), NOT_DONE), *done(6, 7)]
    s = stats(DAILY, entries, 0, 7)
    assert (s.current_streak, s.best_streak) == (2, 5)
    assert s.completion_7 == pytest.approx(6 / 7)  # days 1..7
    assert s.completion_all == pytest.approx(7 / 8)
    assert s.strength == pytest.approx(loop([1, 1, 1, 1, 1, 0, 1, 1]))


def test_completion_windows_7_30_and_all() -> None:
    # 40 days: done on even days only; today (day 39) open.
    entries = done(*range(0, 39, 2))
    s = stats(DAILY, entries, 0, 39)
    assert s.completion_7 == pytest.approx(3 / 6)  # days 33..38: 34, 36, 38
    assert s.completion_30 == pytest.approx(15 / 29)  # days 10..38: 10, 12, …, 38
    assert s.completion_all == pytest.approx(20 / 39)  # days 0..38
    # The windows are clipped to start.
    late = stats(DAILY, entries, 36, 39)
    assert late.completion_7 == pytest.approx(2 / 3)  # days 36, 37, 38
    assert late.completion_30 == late.completion_all == pytest.approx(2 / 3)


def test_start_after_today_counts_nothing() -> None:
    s = stats(DAILY, done(0, 1), 2, 1)
    assert s == HabitStats(0, 0, "day", None, None, None, 0.0, False, None)


# --- working days (Mon–Fri) --------------------------------------------------------------------


def test_weekend_without_entries_does_not_break_the_streak() -> None:
    entries = done(0, 1, 2, 3, 4, 7)  # Mon–Fri, then next Monday; today Tuesday (8) open
    s = stats(WORKDAYS, entries, 0, 8)
    assert (s.current_streak, s.best_streak) == (6, 6)
    assert s.completion_7 == 1.0  # Wed, Thu, Fri, Mon counted; weekend and open today not
    assert s.completion_all == 1.0
    assert s.due_today
    # Six updates with freq 1; Saturday and Sunday leave the score alone.
    assert s.strength == pytest.approx(1 - M_DAILY**6)
    series = strength_series(WORKDAYS, entries, start=d(0), today=d(8))
    assert len(series) == 8
    assert series[5][1] == series[6][1] == series[4][1]


def test_completion_ignores_weekends() -> None:
    entries = [*done(0, 2, 4), Entry(d(1), NOT_DONE), Entry(d(3), NOT_DONE)]
    s = stats(WORKDAYS, entries, 0, 6)  # today Sunday: off the schedule
    assert s.completion_7 == pytest.approx(3 / 5)
    assert (s.current_streak, s.best_streak) == (1, 1)
    assert not s.due_today
    assert s.strength == pytest.approx(loop([1, 0, 1, 0, 1]))


def test_saturday_entry_is_ignored_for_a_working_days_habit() -> None:
    base = done(0, 1, 2, 3, 4, 7)
    plain = stats(WORKDAYS, base, 0, 8)
    with_done = stats(WORKDAYS, [*base, Entry(d(5), DONE)], 0, 8)
    with_not_done = stats(WORKDAYS, [*base, Entry(d(5), NOT_DONE)], 0, 8)
    assert with_done == with_not_done == plain
    assert with_done.current_streak == 6
    assert with_done.completion_all == 1.0  # 6 / 6, not 7 / 7


def test_missed_working_day_breaks_but_weekend_does_not() -> None:
    entries = done(0, 1, 2, 3, 7)  # Friday (4) never logged
    s = stats(WORKDAYS, entries, 0, 7)
    assert (s.current_streak, s.best_streak) == (1, 4)
    assert s.completion_7 == pytest.approx(4 / 5)  # days 1..7: Tue–Fri, Mon


def test_custom_weekdays_schedule() -> None:
    mon_wed = HabitSpec(Kind.YESNO, Schedule.on_weekdays({0, 2}))
    s = stats(mon_wed, done(0, 2, 7, 9), 0, 10)  # two weeks of Mon+Wed; today Thursday
    assert (s.current_streak, s.best_streak) == (4, 4)
    assert not s.due_today
    assert s.completion_all == 1.0


# --- three times a week ------------------------------------------------------------------------


def test_per_week_kept_and_broken_weeks() -> None:
    entries = [
        *done(0, 2, 4),  # week 1: kept
        *done(8, 10),  # week 2: only twice — broken
        *done(14, 15, 16),  # week 3: kept
        *done(21, 23, 26),  # week 4: kept
        *done(28),  # week 5 (current, today Tuesday 29 open): not yet kept
    ]
    s = stats(THRICE, entries, 0, 29)
    assert s.streak_unit == "week"
    assert (s.current_streak, s.best_streak) == (2, 2)
    assert s.due_today
    # Once the current week is kept it counts.
    kept = stats(THRICE, [*entries, *done(29, 30)], 0, 30)
    assert (kept.current_streak, kept.best_streak) == (3, 3)
    assert not stats(THRICE, [*entries, *done(29, 30)], 0, 31).due_today  # quota met


def test_per_week_current_week_open_neither_adds_nor_breaks() -> None:
    week_one = done(0, 1, 2)
    s = stats(THRICE, week_one, 0, 9)  # Wednesday of week 2, nothing yet
    assert (s.current_streak, s.best_streak) == (1, 1)
    failing = stats(THRICE, [*week_one, Entry(d(7), NOT_DONE)], 0, 13)  # Sunday, still open
    assert failing.current_streak == 1
    # Once that week is over it breaks the streak.
    over = stats(THRICE, [*week_one, Entry(d(7), NOT_DONE)], 0, 14)
    assert (over.current_streak, over.best_streak) == (0, 1)


def test_per_week_skipped_days_lower_the_requirement() -> None:
    # Week 1: sick Monday–Friday, done Saturday and Sunday: needs min(3, 7 - 5) = 2 → kept.
    entries = [Entry(d(i), SKIPPED) for i in range(5)] + done(5, 6)
    s = stats(THRICE, entries, 0, 7)  # Monday of week 2, open
    assert (s.current_streak, s.best_streak) == (1, 1)
    assert s.completion_7 == 1.0  # 2 / (3 × 2 / 7), capped
    # A week skipped throughout is passed over, neither adding nor breaking.
    whole = [*done(0, 1, 2), *(Entry(d(i), SKIPPED) for i in range(7, 14)), *done(14, 15, 16)]
    assert stats(THRICE, whole, 0, 16).current_streak == 2


def test_per_week_first_partial_week() -> None:
    # Start on a Saturday: the first week has two days, so two are enough.
    entries = done(5, 6, 7, 9, 11)
    s = stats(THRICE, entries, 5, 14)  # Monday of week 3, open
    assert (s.current_streak, s.best_streak) == (2, 2)
    one = stats(THRICE, done(5), 5, 6)  # Sunday of the first week: only Saturday so far
    assert one.current_streak == 0
    assert one.due_today
    assert stats(THRICE, done(5), 5, 7).current_streak == 0  # the short week was not kept


def test_per_week_completion_capped() -> None:
    every_day = stats(THRICE, done(*range(7)), 0, 6)
    assert every_day.completion_7 == 1.0  # 7 / 3 → capped
    partial = stats(THRICE, done(0, 2), 0, 6)  # today Sunday open: 6 counted days
    assert partial.completion_7 == pytest.approx(2 / (3 * 6 / 7))
    assert partial.completion_7 == pytest.approx(0.7778, abs=1e-4)
    assert stats(THRICE, [], 0, 0).completion_7 is None


def test_per_week_doubled_window_strength() -> None:
    m = 0.5 ** (math.sqrt(3 / 7) / 13)
    entries = done(0, 2, 4, 7, 9, 11, 15)
    series = strength_series(THRICE, entries, start=d(0), today=d(17))  # today open
    assert len(series) == 17
    # Day 0: one done day in the window → 1/6; day 1 (unlogged) still 1/6.
    assert series[0][1] == pytest.approx((1 / 6) * (1 - m))
    assert series[1][1] == pytest.approx(series[0][1] * m + (1 / 6) * (1 - m))
    # Independent reference: window of the last 14 days, numerator 6.
    hits = [1 if i in {0, 2, 4, 7, 9, 11, 15} else 0 for i in range(17)]
    checks = [min(1.0, sum(hits[max(0, i - 13) : i + 1]) / 6) for i in range(17)]
    assert checks[11] == 1.0 and checks[14] == 5 / 6  # day 0 left the window on day 14
    expected = loop(checks, m)
    assert series[-1][1] == pytest.approx(expected)
    assert stats(THRICE, entries, 0, 17).strength == pytest.approx(expected)


def test_per_week_skip_leaves_strength_unchanged() -> None:
    entries = [*done(0), Entry(d(1), SKIPPED)]
    series = strength_series(THRICE, entries, start=d(0), today=d(1))
    assert series[1][1] == series[0][1]


def test_numeric_per_week_uses_the_plain_window() -> None:
    spec = HabitSpec(Kind.NUMERIC, Schedule.times_per_week(3), target=10)
    m = 0.5 ** (math.sqrt(3 / 7) / 13)
    entries = [Entry(d(0), DONE, 10), Entry(d(1), DONE, 5), Entry(d(2), DONE, 20)]
    s = stats(spec, entries, 0, 8)  # day 7 unlogged; today day 8 open
    hits = [1, 0, 1, 0, 0, 0, 0, 0]
    checks = [min(1.0, sum(hits[max(0, i - 6) : i + 1]) / 3) for i in range(8)]
    assert checks[6] == 2 / 3 and checks[7] == 1 / 3
    assert s.strength == pytest.approx(loop(checks, m))
    assert (s.current_streak, s.best_streak) == (0, 0)  # 2 of 3 in week 1
    assert s.completion_7 == pytest.approx(1 / (3 * 6 / 7))  # days 2..7: one achieved
