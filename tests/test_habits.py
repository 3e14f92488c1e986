"""Habit progress arithmetic: streaks, completion, Loop's strength, schedules, local dates."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from core.habits import (
    Entry,
    HabitSpec,
    HabitStats,
    Kind,
    Schedule,
    ScheduleKind,
    Status,
    achieved,
    habit_stats,
    local_today,
    strength_series,
)

MON = date(2024, 1, 1)  # a Monday; MON + 7k are Mondays too
DONE, NOT_DONE, SKIPPED = Status.DONE, Status.NOT_DONE, Status.SKIPPED
M_DAILY = 0.5 ** (1 / 13)  # Loop's multiplier for freq 1 (sqrt(1) = 1)

DAILY = HabitSpec(Kind.YESNO, Schedule.daily())
WORKDAYS = HabitSpec(Kind.YESNO, Schedule.working_days())
THRICE = HabitSpec(Kind.YESNO, Schedule.times_per_week(3))
PAGES = HabitSpec(Kind.NUMERIC, Schedule.daily(), target=10)


def d(offset: int) -> date:
    return MON + timedelta(days=offset)


def done(*offsets: int) -> list[Entry]:
    return [Entry(d(i), DONE) for i in offsets]


def loop(checkmarks: list[float], multiplier: float = M_DAILY) -> float:
    """Loop's score after the given per-day checkmarks, written out independently."""
    score = 0.0
    for check in checkmarks:
        score = score * multiplier + check * (1 - multiplier)
    return score


def stats(spec: HabitSpec, entries: list[Entry], start: int, today: int) -> HabitStats:
    return habit_stats(spec, entries, start=d(start), today=d(today))


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


# --- numeric habits ----------------------------------------------------------------------------


def test_numeric_achieved_against_target() -> None:
    assert achieved(PAGES, Entry(MON, DONE, 12))
    assert achieved(PAGES, Entry(MON, DONE, 10))
    assert not achieved(PAGES, Entry(MON, DONE, 5))
    assert not achieved(PAGES, Entry(MON, DONE, None))
    assert not achieved(PAGES, Entry(MON, NOT_DONE, 12))
    assert not achieved(PAGES, Entry(MON, SKIPPED))
    assert not achieved(PAGES, None)
    assert achieved(DAILY, Entry(MON, DONE))
    assert not achieved(DAILY, Entry(MON, NOT_DONE))


def test_numeric_partial_day_gives_partial_checkmark() -> None:
    half = stats(PAGES, [Entry(d(0), DONE, 5)], 0, 0)
    assert half.strength == pytest.approx(0.5 * (1 - M_DAILY))
    assert half.current_streak == 0
    assert half.completion_7 == 0.0
    over = stats(PAGES, [Entry(d(0), DONE, 12)], 0, 0)
    assert over.strength == pytest.approx(1 - M_DAILY)  # capped at the target
    assert over.current_streak == 1
    mixed = [Entry(d(0), DONE, 12), Entry(d(1), DONE, 5), Entry(d(2), NOT_DONE, 8)]
    s = stats(PAGES, mixed, 0, 3)  # today open
    assert s.strength == pytest.approx(loop([1, 0.5, 0]))
    assert (s.current_streak, s.best_streak) == (0, 1)
    assert s.completion_7 == pytest.approx(1 / 3)


def test_numeric_spec_needs_a_positive_target() -> None:
    for bad in (None, 0, -3, math.nan, math.inf):
        with pytest.raises(ValueError, match="target"):
            HabitSpec(Kind.NUMERIC, Schedule.daily(), target=bad)


# --- backfill, range and duplicates ------------------------------------------------------------


def test_backfilled_past_day_changes_the_stats() -> None:
    before = stats(DAILY, done(0, 2, 3), 0, 3)
    assert (before.current_streak, before.best_streak) == (2, 2)
    assert before.completion_7 == pytest.approx(3 / 4)
    assert before.strength == pytest.approx(loop([1, 0, 1, 1]))
    after = stats(DAILY, [*done(0, 2, 3), Entry(d(1), DONE)], 0, 3)  # added later, day 1
    assert (after.current_streak, after.best_streak) == (4, 4)
    assert after.completion_7 == 1.0
    assert after.strength == pytest.approx(1 - M_DAILY**4)
    skipped = stats(DAILY, [*done(0, 2, 3), Entry(d(1), SKIPPED)], 0, 3)
    assert (skipped.current_streak, skipped.completion_7) == (3, 1.0)


def test_entries_outside_start_and_today_are_ignored() -> None:
    entries = [Entry(d(1), NOT_DONE), *done(2, 3), Entry(d(5), NOT_DONE), *done(6)]
    s = stats(DAILY, entries, 2, 4)  # start Wednesday, today Friday (open)
    assert (s.current_streak, s.best_streak) == (2, 2)
    assert s.completion_all == 1.0
    assert s.today is None
    assert s.strength == pytest.approx(1 - M_DAILY**2)
    series = strength_series(DAILY, entries, start=d(2), today=d(4))
    assert [day for day, _ in series] == [d(2), d(3)]


def test_duplicate_day_last_one_wins() -> None:
    first_done = stats(DAILY, [Entry(d(0), DONE), Entry(d(0), NOT_DONE)], 0, 0)
    assert (first_done.current_streak, first_done.today) == (0, NOT_DONE)
    assert first_done.strength == 0.0
    last_done = stats(DAILY, [Entry(d(0), NOT_DONE), Entry(d(0), DONE)], 0, 0)
    assert (last_done.current_streak, last_done.today) == (1, DONE)
    assert last_done.strength == pytest.approx(1 - M_DAILY)


def test_entries_may_be_a_one_shot_iterator() -> None:
    s = habit_stats(DAILY, iter(done(0, 1)), start=d(0), today=d(1))
    assert (s.current_streak, s.completion_7) == (2, 1.0)
    assert s.strength == pytest.approx(1 - M_DAILY**2)


# --- local midnight in Indonesia's three zones -------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "utc_midnight_hour"),
    [("Asia/Jakarta", 17), ("Asia/Makassar", 16), ("Asia/Jayapura", 15)],
)
def test_local_today_around_midnight(tz: str, utc_midnight_hour: int) -> None:
    midnight = datetime(2024, 1, 1, utc_midnight_hour, tzinfo=UTC)  # local 00:00, 2 January
    assert local_today(midnight - timedelta(seconds=1), tz) == date(2024, 1, 1)
    assert local_today(midnight, tz) == date(2024, 1, 2)
    assert local_today(midnight - timedelta(hours=24), tz) == date(2024, 1, 1)


def test_local_today_at_1630_utc() -> None:
    at = datetime(2024, 1, 1, 16, 30, tzinfo=UTC)
    assert local_today(at, "Asia/Jakarta") == date(2024, 1, 1)  # 23:30 WIB
    assert local_today(at, "Asia/Makassar") == date(2024, 1, 2)  # 00:30 WITA
    assert local_today(at, "Asia/Jayapura") == date(2024, 1, 2)  # 01:30 WIT
    # Naive is taken as UTC; an aware instant in another zone is converted.
    assert local_today(at.replace(tzinfo=None), "Asia/Makassar") == date(2024, 1, 2)
    plus_seven = at.astimezone(timezone(timedelta(hours=7)))
    assert local_today(plus_seven, "Asia/Makassar") == date(2024, 1, 2)


def test_same_instant_gives_different_stats_per_zone() -> None:
    start = date(2023, 12, 29)
    history = [Entry(date(2023, 12, day), DONE) for day in (29, 30, 31)]
    now = datetime(2024, 1, 1, 16, 30, tzinfo=UTC)  # logging right now
    wib, wita, wit = (
        local_today(now, tz) for tz in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
    )
    assert (wib, wita, wit) == (date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 2))

    # Before logging: in WIB 1 January is still open; further east it is over, unlogged.
    before_wib = habit_stats(DAILY, history, start=start, today=wib)
    before_wita = habit_stats(DAILY, history, start=start, today=wita)
    assert (before_wib.current_streak, before_wib.today) == (3, None)
    assert before_wib.completion_7 == 1.0
    assert (before_wita.current_streak, before_wita.best_streak) == (0, 3)
    assert before_wita.completion_7 == pytest.approx(3 / 4)

    # The entry made at this instant is for each participant's local today.
    after_wib = habit_stats(DAILY, [*history, Entry(wib, DONE)], start=start, today=wib)
    after_wit = habit_stats(DAILY, [*history, Entry(wit, DONE)], start=start, today=wit)
    assert (after_wib.current_streak, after_wib.today) == (4, DONE)
    assert after_wib.strength == pytest.approx(1 - M_DAILY**4)
    assert (after_wit.current_streak, after_wit.best_streak, after_wit.today) == (1, 3, DONE)
    assert after_wit.completion_7 == pytest.approx(4 / 5)
    assert after_wit.strength == pytest.approx(loop([1, 1, 1, 0, 1]))


# --- schedules ---------------------------------------------------------------------------------


def test_is_scheduled() -> None:
    saturday = d(5)
    assert Schedule.daily().is_scheduled(saturday)
    assert Schedule.times_per_week(2).is_scheduled(saturday)
    assert not Schedule.working_days().is_scheduled(saturday)
    assert all(Schedule.working_days().is_scheduled(d(i)) for i in range(5))
    assert Schedule.on_weekdays([5]).is_scheduled(saturday)


@pytest.mark.parametrize(
    ("schedule", "text"),
    [
        (Schedule.daily(), "daily"),
        (Schedule.working_days(), "weekdays:0,1,2,3,4"),
        (Schedule.on_weekdays({6, 0, 3}), "weekdays:0,3,6"),
        (Schedule.on_weekdays(range(7)), "weekdays:0,1,2,3,4,5,6"),
        (Schedule.times_per_week(1), "per_week:1"),
        (Schedule.times_per_week(3), "per_week:3"),
        (Schedule.times_per_week(7), "per_week:7"),
    ],
)
def test_schedule_round_trip(schedule: Schedule, text: str) -> None:
    assert schedule.encode() == text
    assert Schedule.decode(text) == schedule
    assert Schedule.decode(text).encode() == text


def test_schedule_fields() -> None:
    assert Schedule.working_days() == Schedule(ScheduleKind.WEEKDAYS, frozenset({0, 1, 2, 3, 4}))
    assert Schedule.times_per_week(4).per_week == 4
    assert Schedule.decode("weekdays:4,0") == Schedule.on_weekdays({0, 4})
    assert Schedule.decode("per_week:5").kind == ScheduleKind.PER_WEEK


@pytest.mark.parametrize(
    "text",
    [
        "weekdays:",
        "weekdays:9",
        "per_week:0",
        "per_week:8",
        "hourly",
        "",
        "weekdays",
        "weekdays:7",
        "weekdays:-1",
        "weekdays:1,1",
        "weekdays:1,,2",
        "weekdays:1,",
        "weekdays:0 ,1",
        "per_week:",
        "per_week:03",
        "per_week:3.0",
        "per_week:\u0663",  # Arabic-Indic 3
        "per_week",
        " daily",
        "daily ",
        "daily\n",
        "per_week:3\n",
        "DAILY",
        "daily:1",
    ],
)
def test_schedule_decode_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="schedule"):
        Schedule.decode(text)


def test_schedule_constructors_validate() -> None:
    with pytest.raises(ValueError, match="at least one weekday"):
        Schedule.on_weekdays([])
    with pytest.raises(ValueError, match="weekday"):
        Schedule.on_weekdays([7])
    with pytest.raises(ValueError, match="times per week"):
        Schedule.times_per_week(0)
    with pytest.raises(ValueError, match="times per week"):
        Schedule.times_per_week(8)
    with pytest.raises(ValueError, match="no times per week"):
        Schedule(ScheduleKind.DAILY, per_week=3)
    with pytest.raises(ValueError, match="no weekdays"):
        Schedule(ScheduleKind.PER_WEEK, frozenset({1}), 3)
    with pytest.raises(ValueError, match="at least one weekday"):
        Schedule(ScheduleKind.WEEKDAYS)
