"""What Telegram's refusal of one message means, for everything the bot sends unprompted
(reminders, digests, announcements): each caller keeps its own logging and retries.

* `unreachable`: the chat takes nothing from the bot any more (blocked, account deleted, chat
  gone or migrated): stop sending to it until the person comes back;
* `failed`: this message was refused (e.g. bad formatting) or could not be sent; the next one
  may well go through."""

from __future__ import annotations

from typing import Literal

from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

SENT: Literal["sent"] = "sent"
FAILED: Literal["failed"] = "failed"
UNREACHABLE: Literal["unreachable"] = "unreachable"
Outcome = Literal["sent", "failed", "unreachable"]

# How Telegram words a 400 about a chat that is gone for good (a 403 always means it is).
_GONE = ("chat not found", "user is deactivated", "peer_id_invalid", "bot was kicked")


def failure(exc: Exception) -> Literal["failed", "unreachable"]:
    """`unreachable` when Telegram says the chat is gone or has blocked the bot, else `failed`."""
    if isinstance(exc, Forbidden | ChatMigrated):
        return UNREACHABLE
    if isinstance(exc, BadRequest) and any(words in str(exc).lower() for words in _GONE):
        return UNREACHABLE
    return FAILED


def transient(exc: Exception) -> bool:
    """Network trouble (a time-out, a 5xx answer): the same message may go through later.
    A `BadRequest` is a `NetworkError` in python-telegram-bot, but a refusal."""
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


def retry_seconds(exc: RetryAfter) -> float:
    """The wait a `429 Too Many Requests` asks for, in seconds."""
    wait = exc.retry_after
    return float(wait) if isinstance(wait, int | float) else wait.total_seconds()
