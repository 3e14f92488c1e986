"""Habit progress arithmetic: streaks, completion and strength (pure, standard library only).

Nothing here touches the database or Telegram; callers pass plain values and get plain values
back. The product rules, in one place:

* **Local dates.** Every `date` is the participant's *local* calendar date (see `local_today`).
  `start` is the first day that counts (the later of the cohort start and the habit's
  creation); `today` is the participant's local today. Entries outside ``[start, today]`` are
  ignored, and when several entries share a day the last one passed wins.
* **Today is not over.** While today has no entry it is *open*: it counts neither as done nor
  as missed anywhere (streaks, completion, strength). Once today has an entry it counts like
  any other day.
* **Missed, skipped, off.** A past scheduled day without an entry is missed. A SKIPPED day
  (sick, official travel, leave) never counts against the habit: it does not break a streak,
  is left out of completion's denominator and leaves the strength unchanged. A day off the
  schedule (a WEEKDAYS habit on another weekday) is treated exactly like a skip, even if an
  entry was logged for it.
* **Achieved.** A YESNO day is achieved when DONE; a NUMERIC day when DONE with a value of at
  least the daily target.

The details of each figure are documented on `habit_stats`.

The values it works on (`Kind`, `Schedule`, `HabitSpec`, `Entry`, `Status`) live in
`core.habit_spec` and are importable from here as before.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from core.habit_spec import Entry, HabitSpec, Kind, Schedule, ScheduleKind, Status

__all__ = [
    "Entry",
    "HabitSpec",
    "HabitStats",
    "Kind",
    "Schedule",
    "ScheduleKind",
    "Status",
    "achieved",
    "habit_stats",
    "local_today",
    "strength_series",
    "week_goal",
]

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class HabitStats:
    current_streak: int
    best_streak: int
    streak_unit: str  # "day" (DAILY, WEEKDAYS) or "week" (PER_WEEK)
    completion_7: float | None  # 0..1; None when no day counts in the window
    completion_30: float | None
    completion_all: float | None  # since `start`
    strength: float  # 0..1, Loop Habit Tracker's score as of `today`
    due_today: bool
    today: Status | None  # today's entry status, if logged


def local_today(now_utc: datetime, tz: str) -> date:
    """The local calendar date at instant `now_utc` in the IANA zone `tz`.

    E.g. 16:30 UTC is 23:30 the same day in WIB (Asia/Jakarta, UTC+7) but 00:30 the next day in
    WITA (Asia/Makassar, UTC+8) and WIT (Asia/Jayapura, UTC+9). A naive `now_utc` is taken to be
    UTC (never the server's own zone); an aware one may be in any zone.
    """
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        now_utc = now_utc.replace(tzinfo=UTC)
    return now_utc.astimezone(ZoneInfo(tz)).date()


def achieved(spec: HabitSpec, entry: Entry | None) -> bool:
    """YESNO: the entry is DONE. NUMERIC: DONE with a value >= the target (no value: not
    achieved). No entry is never achieved."""
    if entry is None or entry.status != Status.DONE:
        return False
    if spec.kind == Kind.YESNO:
        return True
    return entry.value is not None and spec.target is not None and entry.value >= spec.target


def habit_stats(
    spec: HabitSpec, entries: Iterable[Entry], *, start: date, today: date
) -> HabitStats:
    """Streaks, completion, strength and today's state of one habit.

    Days run from `start` to `today` (local dates); see the module docstring for open, missed,
    skipped and off days. When `start` is after `today` nothing counts yet: streaks 0,
    completions None, strength 0.0, not due.

    **Streaks, DAILY / WEEKDAYS** (unit "day"): consecutive achieved days, counting back from
    today (from yesterday while today is open). Skipped and off days are passed over without
    breaking or adding. A NOT_DONE day, a NUMERIC day below target or an unlogged past scheduled
    day breaks the run. `best_streak` is the longest run in ``[start, today]``.

    **Streaks, PER_WEEK n** (unit "week"): ISO weeks (Monday–Sunday). A week's *available* days
    are its days on or after `start` (all seven, except in the first, partial week) minus its
    skipped days; the week is kept when its achieved days >= min(n, available). A week with no
    available day (skipped throughout) is passed over like a skipped day. The current week adds
    to the streak once kept; until then it is open and neither adds nor breaks. A past week not
    kept breaks the streak. `best_streak` is the longest run of kept weeks.

    **Completion** over ``[today-6, today]``, ``[today-29, today]`` and ``[start, today]``
    (each clipped to `start`). The *counted* days of a window are its days minus skipped days,
    minus off days (WEEKDAYS), minus today while open.
    DAILY / WEEKDAYS: achieved days / counted days.
    PER_WEEK n: achieved days / (n × counted days / 7), capped at 1.0.
    None when the window has no counted day.

    **Strength** is Loop Habit Tracker's score as of today: the last value of
    `strength_series` (0.0 when that is empty).

    **due_today**: DAILY / WEEKDAYS: today is on or after `start` and on the schedule.
    PER_WEEK: today is on or after `start` and the current week was not already kept by the days
    before today. It does not depend on whether today itself is logged (see `today`).

    **today**: the status of today's entry, or None while today is open.
    """
    by_day = _entries_by_day(entries, start, today)
    series = _strength_points(spec, by_day, start, today)
    per_week = spec.schedule.kind == ScheduleKind.PER_WEEK
    if per_week:
        current, best = _streaks(_week_marks(spec, by_day, start, today))
    else:
        current, best = _streaks(_day_marks(spec, by_day, start, today, start))
    today_entry = by_day.get(today)
    return HabitStats(
        current_streak=current,
        best_streak=best,
        streak_unit="week" if per_week else "day",
        completion_7=_completion(spec, by_day, start, today, days=7),
        completion_30=_completion(spec, by_day, start, today, days=30),
        completion_all=_completion(spec, by_day, start, today, days=None),
        strength=series[-1][1] if series else 0.0,
        due_today=_due_today(spec, by_day, start, today),
        today=today_entry.status if today_entry is not None else None,
    )


def strength_series(
    spec: HabitSpec, entries: Iterable[Entry], *, start: date, today: date
) -> list[tuple[date, float]]:
    """Loop Habit Tracker's habit score after each calendar day from `start` to `today`, for
    charts. Today is included only once it has an entry (while open it is not over).

    Loop's update (Score.kt / ScoreList.kt), starting from 0.0 before `start`::

        multiplier = 0.5 ** (sqrt(freq) / 13.0)
        score = previous * multiplier + checkmark * (1 - multiplier)

    with ``freq = numerator / denominator`` and the checkmark from a rolling window of the last
    `denominator` days (the current day included, days before `start` not):
    ``checkmark = min(1, achieved days in the window / numerator)``.

    Aksi's mapping:

    * DAILY: 1/1 — YESNO: 1 when achieved, else 0; NUMERIC: min(1, value / target) for the day
      (0 with no entry, NOT_DONE or no value), so a half-done day counts half.
    * WEEKDAYS: as DAILY (freq 1/1) but updated only on scheduled days; off days leave the
      score unchanged.
    * PER_WEEK n: freq n/7. YESNO habits use the doubled window 2n/14, as Loop does for
      non-daily boolean habits to smooth irregular schedules; NUMERIC ones the window n/7,
      counting achieved (target met) days.

    A SKIPPED day leaves the score unchanged (no update) and is not achieved in the rolling
    window. The score is kept within [0, 1].
    """
    return _strength_points(spec, _entries_by_day(entries, start, today), start, today)


# --- private helpers ---------------------------------------------------------------------------


class _Mark(Enum):
    HIT = "hit"  # counts, achieved
    MISS = "miss"  # counts, not achieved
    PASS = "pass"  # invisible: skipped, off the schedule, or today while open


def _entries_by_day(entries: Iterable[Entry], start: date, today: date) -> dict[date, Entry]:
    """Entries within [start, today], one per day, the last given winning."""
    by_day: dict[date, Entry] = {}
    for entry in entries:
        if start <= entry.day <= today:
            by_day[entry.day] = entry
    return by_day


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += _ONE_DAY


def _is_skip(entry: Entry | None) -> bool:
    return entry is not None and entry.status == Status.SKIPPED


def _mark(spec: HabitSpec, by_day: dict[date, Entry], day: date, today: date) -> _Mark:
    if not spec.schedule.is_scheduled(day):
        return _Mark.PASS
    entry = by_day.get(day)
    if entry is None:
        return _Mark.PASS if day >= today else _Mark.MISS
    if entry.status == Status.SKIPPED:
        return _Mark.PASS
    return _Mark.HIT if achieved(spec, entry) else _Mark.MISS


def _day_marks(
    spec: HabitSpec, by_day: dict[date, Entry], first: date, today: date, start: date
) -> list[_Mark]:
    return [_mark(spec, by_day, day, today) for day in _days(max(first, start), today)]


def _streaks(marks: Iterable[_Mark]) -> tuple[int, int]:
    """(current, best) run of HITs; PASS neither breaks nor adds."""
    run = best = 0
    for mark in marks:
        if mark == _Mark.HIT:
            run += 1
            best = max(best, run)
        elif mark == _Mark.MISS:
            run = 0
    return run, best


def week_goal(
    spec: HabitSpec, by_day: Mapping[date, Entry], monday: date, *, start: date, today: date
) -> tuple[int, int]:
    """(days needed, days achieved) of an N-times-a-week habit in the ISO week from `monday`.

    The week's *available* days are its days on or after `start` minus the days skipped up to
    `today`; it needs min(N, available) achieved days (0 when none is available) and is kept
    once it has them. Entries after `today` do not count. The /progres heatmap uses the same
    rule, so that the picture and the streak agree.
    """
    first = max(monday, start)
    sunday = monday + timedelta(days=6)
    days = (sunday - first).days + 1
    skipped = sum(1 for d in _days(first, min(sunday, today)) if _is_skip(by_day.get(d)))
    done = sum(1 for d in _days(first, min(sunday, today)) if achieved(spec, by_day.get(d)))
    return max(0, min(spec.schedule.per_week, days - skipped)), done


def _week_marks(
    spec: HabitSpec, by_day: dict[date, Entry], start: date, today: date
) -> list[_Mark]:
    if start > today:
        return []
    this_monday = today - timedelta(days=today.weekday())
    marks = []
    monday = start - timedelta(days=start.weekday())
    while monday <= this_monday:
        needed, done = week_goal(spec, by_day, monday, start=start, today=today)
        if needed == 0:
            marks.append(_Mark.PASS)
        elif done >= needed:
            marks.append(_Mark.HIT)
        elif monday == this_monday:
            marks.append(_Mark.PASS)  # still open
        else:
            marks.append(_Mark.MISS)
        monday += timedelta(days=7)
    return marks


def _completion(
    spec: HabitSpec, by_day: dict[date, Entry], start: date, today: date, *, days: int | None
) -> float | None:
    first = start if days is None else today - timedelta(days=days - 1)
    marks = _day_marks(spec, by_day, first, today, start)
    hits = marks.count(_Mark.HIT)
    counted = hits + marks.count(_Mark.MISS)
    if counted == 0:
        return None
    if spec.schedule.kind == ScheduleKind.PER_WEEK:
        return min(1.0, hits * 7 / (spec.schedule.per_week * counted))
    return hits / counted


def _due_today(spec: HabitSpec, by_day: dict[date, Entry], start: date, today: date) -> bool:
    if start > today or not spec.schedule.is_scheduled(today):
        return False
    if spec.schedule.kind != ScheduleKind.PER_WEEK:
        return True
    monday = today - timedelta(days=today.weekday())
    needed, _ = week_goal(spec, by_day, monday, start=start, today=today)
    done_before = sum(
        1 for d in _days(max(monday, start), today - _ONE_DAY) if achieved(spec, by_day.get(d))
    )
    return done_before < needed


def _strength_points(
    spec: HabitSpec, by_day: dict[date, Entry], start: date, today: date
) -> list[tuple[date, float]]:
    schedule = spec.schedule
    if schedule.kind == ScheduleKind.PER_WEEK:
        freq = schedule.per_week / 7
        if spec.kind == Kind.YESNO:
            numerator, denominator = 2 * schedule.per_week, 14
        else:
            numerator, denominator = schedule.per_week, 7
    else:
        freq, numerator, denominator = 1.0, 1, 1
    multiplier = 0.5 ** (math.sqrt(freq) / 13.0)
    last = today if today in by_day else today - _ONE_DAY
    window: deque[bool] = deque(maxlen=denominator)
    score = 0.0
    points: list[tuple[date, float]] = []
    for day in _days(start, last):
        entry = by_day.get(day)
        window.append(achieved(spec, entry))
        if schedule.is_scheduled(day) and not _is_skip(entry):
            if schedule.kind == ScheduleKind.PER_WEEK:
                checkmark = min(1.0, sum(window) / numerator)
            elif spec.kind == Kind.NUMERIC:
                checkmark = _fraction(spec, entry)
            else:
                checkmark = 1.0 if achieved(spec, entry) else 0.0
            score = min(1.0, max(0.0, score * multiplier + checkmark * (1 - multiplier)))
        points.append((day, score))
    return points


def _fraction(spec: HabitSpec, entry: Entry | None) -> float:
    """A NUMERIC day's share of the target, 0..1 (0 unless DONE with a value)."""
    if entry is None or entry.status != Status.DONE or entry.value is None or not spec.target:
        return 0.0
    share = max(0.0, entry.value) / spec.target
    return 0.0 if math.isnan(share) else min(1.0, share)
