"""What each day of a habit looks like on the /progres heatmap; `core.charts` draws it.

A day is due when the habit's schedule asks for it: every day (daily), the chosen weekdays,
or, for N times a week, any day of a week whose N are not reached yet. Only a due day that is
not logged yet (today, or a day to come) is drawn open, as a box still to fill in. A day the
schedule does not ask for is `OFF` and a day before the habit was in the plan `BEFORE`, drawn
so that neither can be taken for a day still to do.

N times a week: any N days will do, so a day without a check-in is no miss by itself; the
week is. A week gone by short of what it needed (`core.habits.week_goal`: N, fewer when days
were skipped, the rule of the streak) shows as many misses as it fell short: its days logged
as not done or partly done first, then its last unlogged days (the week's end was the
deadline); its other unlogged days are not due. The current week is still open: nothing in
it is missed yet.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from core.habits import (
    Entry,
    HabitSpec,
    Kind,
    Schedule,
    ScheduleKind,
    Status,
    achieved,
    week_goal,
)

if TYPE_CHECKING:
    from core.checkins import HabitProgress

__all__ = ["RECENT_WEEKS", "Cell", "day_cell", "habit_cells", "shown_period"]

# A longer period is drawn as its last RECENT_WEEKS weeks: on a 1200 px picture that keeps
# one strip of weeks with ~34 px squares for five habits (a phone shows them about 11 pt wide);
# two years in full would make them 16-20 px, or run the picture past Telegram's 2560 px.
RECENT_WEEKS = 26


class Cell(StrEnum):
    DONE = "done"
    PARTIAL = "partial"  # a numeric habit logged under its target
    MISSED = "missed"  # a due day gone by without it, or logged as not done
    SKIPPED = "skipped"  # skipped with a reason
    OFF = "off"  # not due: off the schedule, or a day of an N-times-a-week habit not needed
    BEFORE = "before"  # before the habit was in the plan
    OPEN = "open"  # due and not logged yet: today, or a day to come
    OUTSIDE = "outside"  # outside the cohort period (padding to full weeks): not drawn


def day_cell(
    spec: HabitSpec,
    entries: dict[date, Entry],
    day: date,
    *,
    first_day: date,
    today: date,
) -> Cell:
    """How `day` looks for a habit with these `entries`, counted from `first_day`."""
    if day < first_day:
        return Cell.BEFORE
    if not spec.schedule.is_scheduled(day):
        return Cell.OFF
    entry = entries.get(day) if day <= today else None
    if entry is None:
        if spec.schedule.kind == ScheduleKind.PER_WEEK:
            return _unlogged_day_of_week(spec, entries, day, first_day=first_day, today=today)
        return Cell.MISSED if day < today else Cell.OPEN
    if entry.status == Status.SKIPPED:
        return Cell.SKIPPED
    if entry.status == Status.NOT_DONE:
        return Cell.MISSED
    if achieved(spec, entry):
        return Cell.DONE
    return Cell.PARTIAL


def _unlogged_day_of_week(
    spec: HabitSpec, entries: dict[date, Entry], day: date, *, first_day: date, today: date
) -> Cell:
    """A day without a check-in of an N-times-a-week habit (on or after `first_day`)."""
    monday = day - timedelta(days=day.weekday())
    sunday = monday + timedelta(days=6)
    needed, done = week_goal(spec, entries, monday, start=first_day, today=today)
    if done >= needed:
        return Cell.OFF  # the week has its N: the rest of it is not due
    if sunday >= today:  # this week (or one to come) is still open
        return Cell.OPEN if day >= today else Cell.OFF
    week = [monday + timedelta(days=n) for n in range(7) if monday + timedelta(days=n) >= first_day]
    logged_short = sum(
        1
        for d in week
        if (entry := entries.get(d)) is not None
        and entry.status != Status.SKIPPED
        and not achieved(spec, entry)
    )
    unlogged = [d for d in week if d not in entries]
    missing = max(0, needed - done - logged_short)
    return Cell.MISSED if day in unlogged[len(unlogged) - missing :] else Cell.OFF


def habit_cells(item: HabitProgress, start: date, end: date, today: date) -> dict[date, Cell]:
    """Every day of [start, end] for one habit of /progres."""
    habit = item.habit
    spec = HabitSpec(Kind(habit.kind), Schedule.decode(habit.schedule), habit.target)
    entries = item.entries
    cells = {}
    day = start
    while day <= end:
        cells[day] = day_cell(spec, entries, day, first_day=item.start, today=today)
        day += timedelta(days=1)
    return cells


def shown_period(
    start: date, end: date, today: date, *, weeks: int = RECENT_WEEKS
) -> tuple[date, date]:
    """The part of the period [start, end] the /progres picture draws.

    All of it when its Monday-to-Sunday columns number at most `weeks`. Otherwise the `weeks`
    weeks that end with today's week (today clamped into the period), so the picture shows
    the recent past with today at its right; early on, the first `weeks` weeks. A shown part
    that starts later than `start` starts on a Monday.
    """
    first_monday = start - timedelta(days=start.weekday())
    last_monday = end - timedelta(days=end.weekday())
    if (last_monday - first_monday).days // 7 + 1 <= weeks:
        return start, end
    anchor = min(max(today, start), end)
    shown_last = max(
        anchor - timedelta(days=anchor.weekday()), first_monday + timedelta(weeks=weeks - 1)
    )
    shown_first = shown_last - timedelta(weeks=weeks - 1)
    return max(start, shown_first), min(end, shown_last + timedelta(days=6))
