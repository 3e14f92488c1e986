"""Dates and times as a participant reads them, in their zone and language."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.demo import demo_shift
from core.timefmt import clock, date_span, local, long_date, zone_abbreviation


def test_indonesian_and_english_dates() -> None:
    assert long_date(date(2021, 9, 2), "id") == "Kamis, 2 September 2021"
    assert long_date(date(2021, 9, 2), "en") == "Thursday, 2 September 2021"
    assert long_date(date(2021, 10, 25), "id") == "Senin, 25 Oktober 2021"


def test_a_span_of_dates_names_the_year_once_unless_it_changes() -> None:
    assert date_span(date(2026, 6, 15), date(2026, 12, 13), "id") == "15 Jun – 13 Des 2026"
    assert date_span(date(2026, 6, 15), date(2026, 12, 13), "en") == "15 Jun – 13 Dec 2026"
    assert date_span(date(2025, 8, 4), date(2026, 1, 4), "id") == "4 Agu 2025 – 4 Jan 2026"


@pytest.mark.parametrize(
    ("tz", "abbr", "hour"),
    [("Asia/Jakarta", "WIB", 7), ("Asia/Makassar", "WITA", 8), ("Asia/Jayapura", "WIT", 9)],
)
def test_three_indonesian_zones(tz: str, abbr: str, hour: int) -> None:
    at = datetime(2021, 9, 2, 0, 30, tzinfo=UTC)
    assert zone_abbreviation(tz) == abbr
    assert local(at, tz).hour == hour
    assert clock(local(at, tz), "id") == f"{hour:02d}.30"
    assert clock(local(at, tz), "en") == f"{hour:02d}:30"


def test_other_zones_show_their_offset() -> None:
    assert zone_abbreviation("Asia/Kolkata") == "UTC+5:30"
    assert zone_abbreviation("UTC") == "UTC+0"


def test_local_midnight_changes_the_day() -> None:
    at = datetime(2021, 9, 2, 16, 30, tzinfo=UTC)  # 23:30 WIB, 00:30 WITA the next day
    assert local(at, "Asia/Jakarta").date() == date(2021, 9, 2)
    assert local(at, "Asia/Makassar").date() == date(2021, 9, 3)


@pytest.mark.parametrize("today", [date(2026, 11, 29), date(2026, 11, 23), date(2027, 3, 3)])
def test_demo_cohort_runs_this_week(today: date) -> None:
    shift = demo_shift(today)
    assert shift.days % 7 == 0  # weekdays stay what the schedule says
    starts = date(2021, 9, 2) + shift
    assert starts.weekday() == 3  # a Thursday, like the real cohort
    assert starts <= today <= date(2021, 10, 25) + shift
    assert 7 <= (today - starts).days + starts.weekday() < 14 + 3  # in the cohort's second week
