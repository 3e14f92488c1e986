"""The habit tests' calendar, specs and helpers: days counted from a Monday, Loop's score
written out independently."""

from __future__ import annotations

from datetime import date, timedelta

from core.habits import (
    Entry,
    HabitSpec,
    HabitStats,
    Kind,
    Schedule,
    Status,
    habit_stats,
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
