"""What the stand-in records and keeps: the public records tests read, and its internal state."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Outgoing:
    """One thing the bot did that a user would see (see :attr:`BotApiStandIn.outbox`).

    ``text`` holds the text, the caption (sendPhoto/sendDocument/editMessageCaption) or the
    callback answer text (answerCallbackQuery). ``params`` holds all parsed request parameters.
    """

    method: str
    chat_id: int | None
    message_id: int | None
    text: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    file_bytes: bytes | None = None
    file_name: str | None = None
    at: float = field(default_factory=time.monotonic)
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class BotMessage:
    """The current state of a message the bot sent (see :meth:`BotApiStandIn.messages`)."""

    chat_id: int
    message_id: int
    kind: str  # "text", "photo", "document" or "poll"
    text: str | None  # text, or caption for media
    parse_mode: str | None
    entities: list[dict[str, Any]] | None
    reply_markup: dict[str, Any] | None
    file_bytes: bytes | None
    file_name: str | None
    date: int
    edit_date: int | None
    json: dict[str, Any] = field(compare=False, repr=False)


# --------------------------------------------------------------------------------------------
# Internals


class _Broadcast:
    """Wakes every waiter on each :meth:`notify`; safe to notify from synchronous code.

    Waiters park on futures of their own running loop, so nothing is bound to one event loop.
    """

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_until(self, predicate: Callable[[], bool], seconds: float | None) -> None:
        """Wait until ``predicate()`` holds; raises :class:`TimeoutError` after ``seconds``."""
        if predicate():
            return
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(seconds):
            while not predicate():
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.add(waiter)
                try:
                    await waiter
                finally:
                    self._waiters.discard(waiter)


_COUNTED = frozenset({"sendmessage", "sendphoto", "senddocument"})


@dataclass
class _RateLimits:
    overall_per_second: int
    per_chat_per_second: float
    per_chat_burst: float
    window: str = "sliding"  # "sliding": any one second; "fixed": each clock second
    retry_after: int | None = None  # what a 429 says (None: until a slot frees, at least 1 s)


@dataclass(frozen=True)
class Network:
    """The road between the bot and the Bot API: a request takes half a round trip to arrive
    and its answer the other half, each half `(rtt ± jitter) / 2` seconds drawn afresh, so a
    round trip lies within `rtt ± jitter` and calls sent in one order may arrive in another."""

    rtt: float
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if self.rtt < 0 or self.jitter < 0 or self.jitter > self.rtt:
            raise ValueError("need 0 <= jitter <= rtt")

    def leg(self, rng: random.Random) -> float:
        return (self.rtt + rng.uniform(-self.jitter, self.jitter)) / 2


@dataclass
class _Stall:
    """Calls that are carried out but never answered: the client times out not knowing."""

    method: str  # lower-case
    times: int | None
    chat_id: int | None


@dataclass
class _Failure:
    method: str  # lower-case
    error_code: int
    description: str
    times: int | None
    retry_after: int | None
    chat_id: int | None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes | None
    file_name: str | None
    mime_type: str | None
    file_path: str
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int | None:
        return None if self.data is None else len(self.data)


@dataclass
class _Message:
    chat_id: int
    message_id: int
    date: int
    kind: str
    text: str | None
    parse_mode: str | None
    entities: list[dict[str, Any]] | None
    reply_markup: dict[str, Any] | None
    file: _StoredFile | None = None
    edit_date: int | None = None
    link_preview_options: dict[str, Any] | None = None
    reply_to: dict[str, Any] | None = None
    poll: dict[str, Any] | None = None  # a poll's state (sendPoll), as the Bot API shows it

    @property
    def inline_markup(self) -> dict[str, Any] | None:
        """The markup Telegram attaches to the message (reply keyboards are not attached)."""
        markup = self.reply_markup
        return markup if markup is not None and "inline_keyboard" in markup else None


@dataclass
class _User:
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None

    def to_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            user["last_name"] = self.last_name
        if self.username is not None:
            user["username"] = self.username
        if self.language_code is not None:
            user["language_code"] = self.language_code
        return user

    def chat_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            chat["last_name"] = self.last_name
        if self.username is not None:
            chat["username"] = self.username
        return chat
