"""The reminder tests' clock. The `bot` fixture is tests/conftest.py's: cohort REVMEN1 and the
bot on the test's channel, its own repeating jobs off (the tests tick by hand)."""

from __future__ import annotations

import pytest

from tests.harness import Clock
from tests.reminders.reminding import utc


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(2, 12))  # Thursday 2 September 2021, 20:00 WITA
