"""How Telegram's errors are read for reminders, digests and announcements (bot.delivery)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.delivery import FAILED, UNREACHABLE, failure, retry_seconds, transient


@pytest.mark.parametrize(
    ("error", "outcome", "again"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), UNREACHABLE, False),
        (Forbidden("Forbidden: user is deactivated"), UNREACHABLE, False),
        (BadRequest("Bad Request: chat not found"), UNREACHABLE, False),
        (BadRequest("Bad Request: PEER_ID_INVALID"), UNREACHABLE, False),
        (ChatMigrated(-100123), UNREACHABLE, False),
        (BadRequest("Bad Request: can't parse entities"), FAILED, False),
        (TimedOut(), FAILED, True),
        (NetworkError("Bad Gateway"), FAILED, True),
        (TelegramError("something else"), FAILED, False),
    ],
)
def test_failure_and_transient(error: TelegramError, outcome: str, again: bool) -> None:
    assert failure(error) == outcome
    assert transient(error) is again


def test_retry_seconds() -> None:
    assert retry_seconds(RetryAfter(3)) == 3.0
    assert retry_seconds(RetryAfter(timedelta(seconds=1.5))) == 1.5
