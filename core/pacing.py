"""One pace for everything the bot sends, so it stays under the channel's limits.

Telegram allows a bot about 30 messages a second overall and about one a second per chat, and
answers `429 Too Many Requests` with `retry_after` above that (see FIELD-NOTES). Replies to
participants and announcements share that budget, so they share one `Pacer`:

* every message gets a *slot*: slots keep an even pace (`interval`), and no `window` holds more
  than `allowed` of them — the server's one-second window, widened by the network's jitter;
* a slot taken late (a busy event loop) is made up for by the next ones, at most 4/3 as fast
  and never beyond the window's count, instead of the whole schedule slipping;
* replies (`interactive`) take the next free slot at once: they jump the queue;
* announcements (`bulk`) take a slot only when it is free *now* and the chat has had nothing from
  the bot for `per_chat_interval` seconds, so a reply never waits behind a long announcement;
* a `429` pauses every slot for `retry_after` seconds;
* with several workers, a message also takes a slot in the window they share
  (`core.shared_pace`) before it leaves.

Telegram's wiring plugs the interactive side into python-telegram-bot (`bot.pacing`); the
announcement sender (`scheduler.broadcast`) takes bulk slots."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Protocol

from core.channel import Address
from core.contacts import numeric_id

log = logging.getLogger(__name__)

# Pace a little under the configured rate: a server counting arrivals in a sliding one-second
# window sees some jitter, and one 429 costs a whole second of pause.
SAFETY = 0.98
# Behind the pace, slots come this close (of a slot): sooner would bunch the departures that a
# busy event loop already delays a little after their slots (bench/broadcast.py: 429s at 1/2).
CATCH_UP = 0.75
_REMEMBERED_CHATS = 10_000


def chat_key(where: Address) -> int:
    """The pacer's key for a chat: a Telegram chat id, as Telegram's own replies are paced by
    (PTB gives the rate limiter the chat id), or a number standing for any other address."""
    number = numeric_id(where.external_id)
    return number if number is not None else hash(where)


class SharedSlot(Protocol):
    @property
    def wait(self) -> float: ...
    @property
    def taken(self) -> bool: ...
    @property
    def chat_busy(self) -> bool: ...


class SharedSlots(Protocol):
    async def take(self, *, bulk: bool, chat: int | None = None) -> SharedSlot:
        """A slot in the window shared with other workers: for a reply always one (`taken`,
        leave in `wait` seconds); for an announcement one now, or not (`wait` before asking
        again; `chat_busy` when it is the chat that must wait)."""
        ...


class Pacer:
    """`rate` messages a second overall and one a `per_chat_interval` to a chat, as they
    arrive: departures may reach the server up to `jitter` seconds early or late, so every
    second is counted `2 * jitter` longer (with ±50 ms, 30 a second leave as about 28)."""

    def __init__(
        self,
        rate: float,
        per_chat_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        jitter: float = 0.0,
    ) -> None:
        stretch = 1.0 + 2 * jitter
        # At most `allowed` slots in any `window`: what leaves within it may arrive within one
        # second. The even pace fills the window exactly.
        self.allowed = max(1, int(rate)) if rate > 0 else 0
        self.window = self.allowed * stretch / (rate * SAFETY) if rate > 0 else 0.0
        self.interval = self.window / self.allowed if rate > 0 else 0.0
        self.per_chat_interval = per_chat_interval * stretch
        self.clock = clock
        self._next = 0.0  # the even pace's next slot; in the past while making up for lateness
        self._taken: deque[float] = deque(maxlen=self.allowed or 1)
        self._paused_until = 0.0
        self.told_to_wait = 0  # 429s received (every one pauses the pacer): for /metrics
        self._last: OrderedDict[int, float] = OrderedDict()
        self._bulk = asyncio.Lock()
        self.shared: SharedSlots | None = None  # several workers: their common window

    def _note(self, chat_id: object, at: float) -> None:
        if not isinstance(chat_id, int):
            return
        self._last[chat_id] = at
        self._last.move_to_end(chat_id)
        while len(self._last) > _REMEMBERED_CHATS:
            self._last.popitem(last=False)

    def chat_ready_at(self, chat_id: int) -> float:
        last = self._last.get(chat_id)
        return -1.0 if last is None else last + self.per_chat_interval

    def chat_ready(self, chat_id: int) -> bool:
        return self.chat_ready_at(chat_id) <= self.clock()

    def pause(self, seconds: float) -> None:
        """Telegram said `retry_after`: nothing goes out until then."""
        self.told_to_wait += 1
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def _free_at(self, now: float) -> float:
        """The first moment from `now` a message may take a slot: after any pause, on the even
        pace — or, behind it, three quarters of a slot after the last one — and with fewer
        than `allowed` slots in the window before it."""
        at = max(now, self._paused_until)
        if not self.interval:
            return at
        at = max(at, self._next)
        if self._taken:
            at = max(at, self._taken[-1] + self.interval * CATCH_UP)
            if len(self._taken) == self.allowed:
                at = max(at, self._taken[0] + self.window)
        return at

    def _take(self, at: float) -> None:
        """Take the slot at `at`. Behind the pace by up to a quarter of the window (a wake-up
        made late by a busy event loop), the pace is kept and the next slots make up for it;
        further behind (nobody wanted the slots), the pace starts afresh from here."""
        if not self.interval:
            return
        self._taken.append(at)
        on_pace = at - self._next <= self.window / 4
        self._next = (self._next if on_pace else at) + self.interval

    async def _shared(self, chat_id: object, *, bulk: bool) -> float:
        """Wait for a slot in the window shared with the other workers, if there are any:
        0.0 once it is taken, or (an announcement) how long its chat must wait first."""
        if self.shared is None:
            return 0.0
        chat = chat_id if isinstance(chat_id, int) else None
        while True:
            slot = await self.shared.take(bulk=bulk, chat=chat)
            if slot.taken:
                if slot.wait > 0:
                    await asyncio.sleep(slot.wait)
                return 0.0
            if slot.chat_busy:
                return slot.wait
            await asyncio.sleep(slot.wait)

    async def unpaused(self) -> None:
        """Wait out a pause (Telegram's 429) without taking a slot: for calls that are not
        messages (an edit, a button's answer)."""
        wait = self._paused_until - self.clock()
        if wait > 0:
            await asyncio.sleep(wait)

    async def interactive(self, chat_id: object = None) -> None:
        """Wait for the next free slot (reserved at once, ahead of any announcement)."""
        now = self.clock()
        slot = self._free_at(now)
        self._take(slot)
        if slot > now:
            await asyncio.sleep(slot - now)
        await self._shared(chat_id, bulk=False)
        self._note(chat_id, max(slot, now))

    async def bulk(self, chat_id: int) -> None:
        """Wait until a slot is free now and `chat_id` may get a message; messages nobody waits
        for (announcements, reminders) take their turn one at a time, after any reply that is
        waiting. A chat that just got a message waits out of the line, so it never holds up
        the others' slots."""
        while True:
            chat_wait = self.chat_ready_at(chat_id) - self.clock()
            if chat_wait > 0:
                await asyncio.sleep(chat_wait)
                continue
            async with self._bulk:
                while self.chat_ready_at(chat_id) <= (now := self.clock()):
                    ready = self._free_at(now)
                    if ready <= now:
                        chat_wait = await self._shared(chat_id, bulk=True)
                        if chat_wait:  # another worker's message reached the chat
                            self._note(chat_id, self.clock() + chat_wait - self.per_chat_interval)
                            continue
                        now = self.clock()
                        self._take(now)
                        self._note(chat_id, now)
                        return
                    await asyncio.sleep(ready - now)
                # A reply reached the chat while this waited for its slot: out of the line again.
