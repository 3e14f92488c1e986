"""The rules of pausing reminders until a date (core.pauses): what a typed date or number of
days means, the reason words, and what is refused."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import InvalidInput
from core.pauses import PauseRequest, parse_pause, parse_until
from core.reading import BadDate

TODAY = date(2026, 12, 1)  # a Tuesday


@pytest.mark.parametrize(
    ("typed", "until"),
    [
        ("1", date(2026, 12, 2)),  # today only: back tomorrow
        ("3", date(2026, 12, 4)),
        ("60", date(2027, 1, 30)),
        ("2026-12-24", date(2026, 12, 24)),
        ("24/12", date(2026, 12, 24)),
        ("24-12-2026", date(2026, 12, 24)),
        ("24.12", date(2026, 12, 24)),
        ("5/1", date(2027, 1, 5)),  # already past this year: the next 5 January
    ],
)
def test_dates_and_days(typed: str, until: date) -> None:
    assert parse_until(typed, TODAY) == until


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("0", "reminders.until_out_of_range"),
        ("61", "reminders.until_out_of_range"),
        ("2026-12-01", "reminders.until_out_of_range"),  # today
        ("2026-11-30", "reminders.until_out_of_range"),
        ("1/12/2026", "reminders.until_out_of_range"),
        ("2027-06-01", "reminders.until_out_of_range"),
    ],
)
def test_refused(typed: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_until(typed, TODAY)
    assert str(caught.value) == problem


@pytest.mark.parametrize(
    ("typed", "reason", "month"),
    [
        # Dates that do not exist are told from dates written another way, as for /lapor.
        ("31/2", "no_such_day", (2027, 2)),  # the next February
        ("29/2", "no_such_day", (2027, 2)),  # 2027 is no leap year
        ("2026-02-30", "no_such_day", (2026, 2)),
        ("2026-2-31", "no_such_day", (2026, 2)),
        ("31/12/2026", None, None),  # exists: in range
        ("31/11/2026", "no_such_day", (2026, 11)),
        ("31.4", "no_such_day", (2027, 4)),
        ("2026-13-01", "no_such_month", (2026, 13)),
        ("1/13", "no_such_month", (2026, 13)),
        ("besok", "format", (0, 0)),
        ("1e3", "format", (0, 0)),
        ("24/12-2026", "format", (0, 0)),  # one separator throughout
        ("²", "format", (0, 0)),
        ("٣", "format", (0, 0)),
    ],
)
def test_impossible_dates_are_told_from_unreadable_ones(
    typed: str, reason: str | None, month: tuple[int, int] | None
) -> None:
    if reason is None:
        assert parse_until(typed, TODAY) == date(2026, 12, 31)
        return
    with pytest.raises(BadDate) as caught:
        parse_until(typed, TODAY)
    assert (caught.value.reason, (caught.value.year, caught.value.month)) == (reason, month)


def test_reasons() -> None:
    assert parse_pause([], TODAY) == PauseRequest(None, None)
    assert parse_pause(["3"], TODAY) == PauseRequest(date(2026, 12, 4), None)
    assert parse_pause(["24/12", "cuti"], TODAY) == PauseRequest(date(2026, 12, 24), "leave")
    assert parse_pause(["3", "Dinas", "Luar"], TODAY) == PauseRequest(date(2026, 12, 4), "duty")
    assert parse_pause(["3", "official", "travel"], TODAY).reason == "duty"
    assert parse_pause(["2", "sick"], TODAY).reason == "sick"
    for words, problem in (
        (["cuti"], "reminders.reason_needs_date"),
        (["dinas", "luar"], "reminders.reason_needs_date"),
        (["3", "liburan"], "reminders.bad_reason"),
    ):
        with pytest.raises(InvalidInput) as caught:
            parse_pause(words, TODAY)
        assert str(caught.value) == problem
