"""The asserting side (what the bot did) and fault injection (errors, delays, Telegram's limits)."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable

from bot.standin.http import _Http
from bot.standin.records import BotMessage, Network, Outgoing, _Failure, _RateLimits, _Stall


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
        self.most_in_flight = self.in_flight
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
        *,
        window: str = "sliding",
        retry_after: int | None = None,
    ) -> None:
        """Answer messages beyond Telegram's limits with ``429`` and ``retry_after``, as Telegram
        does: more than ``overall_per_second`` in one second (``window="sliding"``: any
        one-second window, the strict reading; ``"fixed"``: each clock second), or a chat getting
        more than ``per_chat_per_second`` (a bucket of ``per_chat_burst``: short bursts are
        allowed). The 429 asks to wait ``retry_after`` seconds (Telegram under load asks for
        several), or by default until a slot frees (at least 1). Counted: messages sent
        (sendMessage, sendPhoto, sendDocument), not edits or answers. Each 429 adds one to
        :attr:`too_many_requests`."""
        if window not in ("sliding", "fixed"):
            raise ValueError(f"window must be 'sliding' or 'fixed', not {window!r}")
        self._rate_limits = _RateLimits(
            overall_per_second, per_chat_per_second, per_chat_burst, window, retry_after
        )
        self._sent_times.clear()
        self._chat_tokens.clear()

    def spread_webhook(self, bases: list[str], connections: int | None = None) -> None:
        """Stand in for the reverse proxy in front of several workers: each webhook post goes
        to the next of ``bases`` (``http://host:port``) in turn, the webhook URL's path kept; a
        post a worker does not take (it died) is posted again to the next one. With
        ``connections``, that many posts in flight at once (Telegram's max_connections)."""
        self.webhook_upstreams = list(bases)
        self._next_upstream = 0
        if connections is not None:
            self.webhook_connections = connections

    def network(self, rtt_ms: float, jitter_ms: float = 0.0, *, seed: int = 0) -> None:
        """Answer like a server ``rtt_ms`` ± ``jitter_ms`` milliseconds away (see `Network`;
        0 ms: loopback again). The draws are seeded, so a run can be repeated."""
        self._network = Network(rtt_ms / 1000, jitter_ms / 1000) if rtt_ms else None
        self._rng = random.Random(seed)

    @property
    def network_settings(self) -> str:
        """The network and limits in force, for a benchmark to print."""
        net = self._network
        road = (
            f"round trip {net.rtt * 1000:.0f} ± {net.jitter * 1000:.0f} ms"
            if net
            else "loopback (no delay added)"
        )
        limits = self._rate_limits
        if limits is None:
            return f"{road}; no rate limit"
        wait = f"{limits.retry_after} s" if limits.retry_after else "until a slot frees"
        return (
            f"{road}; limits {limits.overall_per_second}/s overall ({limits.window} window), "
            f"{limits.per_chat_per_second:g}/s a chat (bursts of {limits.per_chat_burst:g}), "
            f"429 asks to wait {wait}"
        )

    def stall(self, method: str, *, times: int | None = 1, chat_id: int | None = None) -> None:
        """Carry out the next ``times`` calls of ``method`` (optionally only to ``chat_id``) but
        never answer them: the message is delivered, and the client times out without knowing.
        Each such call is recorded in :attr:`stalled`."""
        if times is not None and times < 1:
            raise ValueError("times must be None or >= 1")
        self._stalls.append(_Stall(method.lower(), times, chat_id))

    def clear_failures(self) -> None:
        self._failures.clear()
        self._stalls.clear()

    def delay(self, method: str, seconds: float) -> None:
        """Answer ``method`` only after ``seconds`` (0 removes the delay)."""
        if seconds > 0:
            self._delays[method.lower()] = seconds
        else:
            self._delays.pop(method.lower(), None)

    def clear_delays(self) -> None:
        self._delays.clear()
