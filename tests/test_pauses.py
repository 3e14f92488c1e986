"""The rules of pausing reminders until a date (core.pauses): what a typed date or number of
days means, the reason words, and what is refused."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import InvalidInput
from core.pauses import PauseRequest, parse_pause, parse_until

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
        ("31/2", "reminders.bad_until"),
        ("2026-13-01", "reminders.bad_until"),
        ("besok", "reminders.bad_until"),
        ("1e3", "reminders.bad_until"),
        ("²", "reminders.bad_until"),
        ("٣", "reminders.bad_until"),
    ],
)
def test_refused(typed: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_until(typed, TODAY)
    assert str(caught.value) == problem


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
