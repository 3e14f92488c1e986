"""The asserting side (what the bot did) and fault injection (errors, delays, Telegram's limits)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from bot.standin.http import _Http
from bot.standin.records import BotMessage, Outgoing, _Failure, _RateLimits


class _Control(_Http):
    """The asserting side (what the bot did) and fault injection (errors, delays, limits)."""

    # ----------------------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[BotMessage]:
        """Every (not deleted) bot message in the chat, as it is now, by message id."""
        stored = self._bot_messages.get(chat_id, {})
        return [self._snapshot(stored[mid]) for mid in sorted(stored)]

    def message(self, chat_id: int, message_id: int) -> BotMessage | None:
        stored = self._bot_messages.get(chat_id, {}).get(message_id)
        return None if stored is None else self._snapshot(stored)

    def mark(self) -> int:
        """The current outbox length, to pass as ``since`` to the wait helpers."""
        return len(self.outbox)

    def add_listener(self, listener: Callable[[Outgoing], None]) -> None:
        """Call ``listener`` with every new outbox record (e.g. to print it)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Outgoing], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def outgoing_for(self, chat_id: int | None, since: int = 0) -> list[Outgoing]:
        return [o for o in self.outbox[since:] if chat_id is None or o.chat_id == chat_id]

    async def wait_for_outgoing(
        self,
        chat_id: int | None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109, RUF100 (ruff misreports this noqa as unused)
        since: int = 0,
    ) -> list[Outgoing]:
        """Wait until ``count`` records for ``chat_id`` (``None``: any chat) exist in
        ``outbox[since:]``; returns all of them. Raises :class:`TimeoutError` otherwise."""

        def enough() -> bool:
            return len(self.outgoing_for(chat_id, since)) >= count

        try:
            await self._outbox_changed.wait_until(enough, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"expected {count} outgoing record(s) for chat {chat_id} after outbox index "
                f"{since} within {timeout}s; {self._describe_outbox(chat_id, since)}"
            ) from None
        return self.outgoing_for(chat_id, since)

    async def wait_quiet(
        self,
        chat_id: int | None,
        quiet: float = 0.15,
        timeout: float = 5.0,  # noqa: ASYNC109, RUF100 (ruff misreports this noqa as unused)
        since: int = 0,
    ) -> list[Outgoing]:
        """Wait for the first record for ``chat_id`` after ``since``, then until none came
        for ``quiet`` seconds (or ``timeout`` is over); returns all records since ``since``."""
        deadline = time.monotonic() + timeout
        await self.wait_for_outgoing(chat_id, 1, timeout, since)
        while True:
            seen = len(self.outgoing_for(chat_id, since))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break

            def more(seen: int = seen) -> bool:
                return len(self.outgoing_for(chat_id, since)) > seen

            try:
                await self._outbox_changed.wait_until(more, min(quiet, remaining))
            except TimeoutError:
                break
        return self.outgoing_for(chat_id, since)

    async def wait_first_get_updates(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109, RUF100 (ruff misreports this noqa as unused)
    ) -> float:
        """Wait until the bot polled once; returns :attr:`first_get_updates_at`."""
        try:
            await self._polled.wait_until(lambda: self.first_get_updates_at is not None, timeout)
        except TimeoutError:
            raise TimeoutError(f"the bot did not call getUpdates within {timeout}s") from None
        assert self.first_get_updates_at is not None
        return self.first_get_updates_at

    def reset_records(self) -> None:
        """Forget outbox, requests and counters (not messages, users or queued updates)."""
        self.outbox.clear()
        self.requests.clear()
        self.unknown_methods.clear()
        self.chat_actions.clear()
        self.get_updates_calls = 0

    # ----------------------------------------------------------------------------------
    # Fault injection
    # ----------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        error_code: int,
        description: str,
        *,
        times: int | None = None,
        retry_after: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls (``None``: all) of ``method`` (optionally only for
        ``chat_id``) answer ``error_code``/``description`` (plus ``retry_after``)."""
        if times is not None and times < 1:
            raise ValueError("times must be None or >= 1")
        self._failures.append(
            _Failure(method.lower(), error_code, description, times, retry_after, chat_id)
        )

    def limit_rate(
        self,
        overall_per_second: int = 30,
        per_chat_per_second: float = 1.0,
        per_chat_burst: float = 3.0,
    ) -> None:
        """Answer messages beyond Telegram's limits with ``429`` and ``retry_after``, as Telegram
        does: more than ``overall_per_second`` in any one-second window, or a chat getting more
        than ``per_chat_per_second`` (a bucket of ``per_chat_burst``: short bursts are allowed).
        Counted: messages sent (sendMessage, sendPhoto, sendDocument), not edits or answers.
        Each 429 adds one to :attr:`too_many_requests`."""
        self._rate_limits = _RateLimits(overall_per_second, per_chat_per_second, per_chat_burst)
        self._sent_times.clear()
        self._chat_tokens.clear()

    def clear_failures(self) -> None:
        self._failures.clear()

    def delay(self, method: str, seconds: float) -> None:
        """Answer ``method`` only after ``seconds`` (0 removes the delay)."""
        if seconds > 0:
            self._delays[method.lower()] = seconds
        else:
            self._delays.pop(method.lower(), None)

    def clear_delays(self) -> None:
        self._delays.clear()
