"""What each day of a habit is on the /progres heatmap: the matrix `core.charts` draws.

Each matrix is one line per week, Monday to Sunday, one letter per day:
D done, P partly, M missed, S skipped, - not due, b before the habit was planned, o to do.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from core.checkins import HabitProgress
from core.habits import Entry, HabitSpec, Kind, Schedule, Status, habit_stats
from core.heatmap import Cell, habit_cells, shown_period

LETTERS = {
    Cell.DONE: "D",
    Cell.PARTIAL: "P",
    Cell.MISSED: "M",
    Cell.SKIPPED: "S",
    Cell.OFF: "-",
    Cell.BEFORE: "b",
    Cell.OPEN: "o",
}
START = date(2026, 11, 2)  # a Monday: the cohort's first day
END = date(2026, 11, 22)  # three weeks
TODAY = date(2026, 11, 11)  # the Wednesday of the second week


def progress(
    schedule: str,
    entries: dict[date, tuple[str, float | None]],
    *,
    created: date = START,
    kind: str = "yesno",
    target: float | None = None,
) -> HabitProgress:
    habit: Any = SimpleNamespace(kind=kind, schedule=schedule, target=target)
    logged = {d: Entry(d, Status(s), v) for d, (s, v) in entries.items()}
    return HabitProgress(habit, stats=None, entries=logged, start=max(START, created))  # type: ignore[arg-type]


def matrix(item: HabitProgress, today: date = TODAY) -> list[str]:
    cells = habit_cells(item, START, END, today)
    assert list(cells) == [START + timedelta(days=n) for n in range((END - START).days + 1)]
    letters = "".join(LETTERS[cells[d]] for d in sorted(cells))
    return [letters[week : week + 7] for week in range(0, len(letters), 7)]


def day(n: int) -> date:
    """Day `n` of the cohort, from 0."""
    return START + timedelta(days=n)


def test_a_weekdays_habit_never_shows_a_weekend_as_a_day_to_do() -> None:
    """Mon-Fri, planned on Wednesday of week 1; today is Wednesday of week 2, not logged yet."""
    item = progress(
        "weekdays:0,1,2,3,4",
        {
            day(3): ("done", None),  # Thu
            day(7): ("done", None),  # Mon, week 2
            day(8): ("skipped", None),  # Tue
        },
        created=day(2),
    )

    assert matrix(item) == [
        "bbMDM--",  # before the plan; Wed and Fri gone by without a check-in: missed
        "DSooo--",  # today (Wed) and the rest of the week to do; the weekend not due
        "ooooo--",  # days to come: weekdays to do, the weekend still not due
    ]


def test_a_weekend_today_of_a_weekdays_habit_is_not_due() -> None:
    item = progress("weekdays:0,1,2,3,4", {})

    assert matrix(item, today=day(12))[1] == "MMMMM--"  # Saturday of week 2 is today
    assert habit_cells(item, START, END, day(12))[day(12)] is Cell.OFF


def test_a_numeric_habit_is_done_at_its_target_and_partly_below_it() -> None:
    item = progress(
        "daily",
        {day(0): ("done", 10.0), day(1): ("done", 4.0), day(2): ("not_done", None)},
        kind="numeric",
        target=10.0,
    )

    assert matrix(item)[0] == "DPMMMMM"


def test_a_habit_of_n_times_a_week_is_not_due_once_the_week_has_them() -> None:
    """Twice a week: once two are done this week, the rest is not due; a week gone by with
    one done shows the other as missed, on its last day."""
    item = progress(
        "per_week:2",
        {day(1): ("done", None), day(7): ("done", None), day(8): ("done", None)},
    )

    assert matrix(item) == [
        "-D----M",  # one of two: the week ended one short
        "DD-----",  # two done by Tuesday: today and the rest of this week are not due
        "ooooooo",  # next week: every day may count
    ]
    one_done = progress("per_week:2", {day(7): ("done", None)})
    assert matrix(one_done)[1] == "D-ooooo"  # one more to do this week: today on is open


def test_a_week_gone_by_short_of_its_n_shows_what_was_missed() -> None:
    """Three times a week, nothing logged for two weeks: each past week shows three misses on
    its last days (the week's end is the deadline); this week is still open, not failed."""
    item = progress("per_week:3", {})

    assert matrix(item, today=day(15)) == [
        "----MMM",
        "----MMM",
        "-oooooo",  # Tuesday of week 3 is today: the week is open, nothing missed yet
    ]


def test_a_short_week_shows_only_the_days_it_fell_short() -> None:
    """Twice a week: one done leaves one missed; a day logged as not done is one of the misses
    shown already, so no unlogged day is added for it; two done and the rest is not due."""
    item = progress(
        "per_week:2",
        {
            day(1): ("done", None),  # week 1: Tuesday done, one short
            day(7): ("not_done", None),  # week 2: Monday logged as not done, one more short
            day(15): ("done", None),  # week 3: Tuesday and Thursday, kept
            day(17): ("done", None),
        },
    )

    assert matrix(item, today=day(21)) == ["-D----M", "M-----M", "-D-D---"]


def test_a_numeric_day_under_target_counts_among_the_misses_shown() -> None:
    item = progress(
        "per_week:2",
        {day(0): ("done", 12.0), day(2): ("done", 3.0)},
        kind="numeric",
        target=10.0,
    )

    # One of two reached, Wednesday partly done: the week's one miss is shown by it.
    assert matrix(item, today=day(7))[0] == "D-P----"


def test_skipped_days_lower_what_a_week_needs_as_in_the_streak() -> None:
    """Three times a week. Week 1: five days skipped (sick) leave two available, both done:
    kept, as `habit_stats` counts it. Week 2: four skipped, one done of the three left:
    two missed. The picture and the streak agree."""
    sick: tuple[str, float | None] = ("skipped", None)
    entries = {day(n): sick for n in range(5)} | {day(5): ("done", None), day(6): ("done", None)}
    entries |= {day(n): sick for n in range(7, 11)} | {day(11): ("done", None)}
    item = progress("per_week:3", entries)

    assert matrix(item, today=day(15)) == ["SSSSSDD", "SSSSDMM", "-oooooo"]
    spec = HabitSpec(Kind.YESNO, Schedule.times_per_week(3))
    logged = [Entry(d, Status(s), v) for d, (s, v) in entries.items()]
    assert habit_stats(spec, logged[:7], start=START, today=day(7)).current_streak == 1
    assert habit_stats(spec, logged, start=START, today=day(14)).current_streak == 0


def test_a_habit_planned_mid_week_needs_only_the_days_it_had() -> None:
    """Planned on Friday, three times a week: Friday to Sunday are all three it could do."""
    item = progress("per_week:3", {day(5): ("done", None)}, created=day(4))

    assert matrix(item, today=day(8)) == ["bbbbMDM", "-oooooo", "ooooooo"]


def test_a_long_period_is_drawn_as_its_last_26_weeks_up_to_today() -> None:
    two_years = (date(2025, 9, 1), date(2027, 8, 31))  # Monday 1 Sep 2025 to a Tuesday

    # Today Thursday 10 December 2026: the 26 weeks from Monday 15 June to Sunday 13 December.
    assert shown_period(*two_years, date(2026, 12, 10)) == (date(2026, 6, 15), date(2026, 12, 13))
    # Early on, the first 26 weeks; once over (or past its end), its last 26 weeks.
    assert shown_period(*two_years, date(2025, 9, 20)) == (date(2025, 9, 1), date(2026, 3, 1))
    assert shown_period(*two_years, date(2027, 8, 31)) == (date(2027, 3, 8), date(2027, 8, 31))
    assert shown_period(*two_years, date(2030, 1, 1)) == (date(2027, 3, 8), date(2027, 8, 31))
    # Up to 26 week columns: drawn whole (six months over a year end, seven weeks).
    for period in [(date(2026, 9, 1), date(2027, 2, 28)), (date(2026, 11, 2), date(2026, 12, 20))]:
        assert shown_period(*period, date(2026, 12, 10)) == period
    # 27 columns (a Wednesday start): the first week gives way.
    assert shown_period(date(2026, 9, 2), date(2027, 3, 1), date(2027, 3, 1)) == (
        date(2026, 9, 7),
        date(2027, 3, 1),
    )
