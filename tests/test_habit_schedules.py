"""Habit progress arithmetic: numeric targets, backfill and duplicates, local dates in
Indonesia's three zones, and schedules."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from core.habits import (
    Entry,
    HabitSpec,
    Kind,
    Schedule,
    ScheduleKind,
    achieved,
    habit_stats,
    local_today,
    strength_series,
)
from tests.habitdata import (
    DAILY,
    DONE,
    M_DAILY,
    MON,
    NOT_DONE,
    PAGES,
    SKIPPED,
    d,
    done,
    loop,
    stats,
)

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
