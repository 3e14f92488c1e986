"""End-to-end harness: the bot runs as `aksi run` runs it (long polling over real HTTP on
loopback) against the project's Bot API stand-in; a `Person` types and presses buttons. The
same test can run on the in-memory channel instead (`MemoryBot`, `start_bot("memory", …)`; that
side is in `tests/harness_memory.py`, its names importable from here too)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.channels.memory import MemoryChannel
from bot.runner import serve
from bot.settings import Settings
from bot.standin import BotApiStandIn, Outgoing
from tests.harness_memory import (
    MemoryBot,
    MemoryMessage,
    MemoryPerson,
    MemoryRecords,
    button_data,
)

__all__ = [
    "QUIET_S",
    "Clock",
    "MemoryBot",
    "MemoryMessage",
    "MemoryPerson",
    "MemoryRecords",
    "Person",
    "RunningBot",
    "button_data",
    "joined",
    "settings_for",
    "start_bot",
    "texts",
    "ticks_passed",
]

QUIET_S = 0.12


async def ticks_passed(services: Any, job: str, count: int, timeout: float = 10.0) -> None:
    """Wait until `count` more ticks of the repeating `job` ("reminders", "digests") have
    finished (`Services.ticks`): proof that the job ran, instead of a sleep guessing it did."""
    target = services.ticks[job] + count
    await _until(
        lambda: services.ticks[job] >= target,
        timeout,
        f"{count} {job} ticks did not pass within {timeout} s",
    )


def settings_for(standin: BotApiStandIn, db_url: str, **extra: Any) -> Settings:
    """Settings for a test: nothing read from the environment or a `.env` file."""
    values: dict[str, Any] = {
        "telegram_bot_token": standin.token,
        "telegram_api_base_url": standin.base_url,
        "database_url": db_url,
        "aksi_default_timezone": "Asia/Makassar",
        "aksi_default_language": "id",
        "aksi_admin_ids": (),
        # The reminder job runs on real time; tests that want it turn it on and drive the clock.
        "aksi_reminder_tick_seconds": 0,
        # Pictures drawn in a thread: no drawing process to start for each test's bot.
        "aksi_render_processes": 0,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Clock:
    """An injected clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def next_day(self) -> None:
        self.now += timedelta(days=1)


@dataclass
class RunningBot:
    standin: BotApiStandIn
    settings: Settings
    clock: Callable[[], datetime] | None = None
    task: asyncio.Task[None] | None = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    app: Any = None  # the running Application (bot.app.AksiApplication) once started

    async def start(self) -> None:
        self.stop_event = asyncio.Event()
        ready = asyncio.Event()

        async def on_ready(app: Any) -> None:
            self.app = app
            _serving[self.standin] = self
            ready.set()

        self.task = asyncio.create_task(
            serve(self.settings, self.stop_event, clock=self.clock, on_ready=on_ready)
        )
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait({self.task, waiter}, timeout=20, return_when="FIRST_COMPLETED")
        if self.task in done:
            waiter.cancel()
            await self.task  # raises what stopped it
        assert waiter in done, "the bot did not start within 20 s"

    async def stop(self) -> None:
        if _serving.get(self.standin) is self:
            del _serving[self.standin]
        self.stop_event.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 20)
            self.task = None

    def person(self, user_id: int = 1001, first_name: str = "Budi", **profile: Any) -> Person:
        return Person(self.standin, user_id, first_name, profile)

    async def idle(self, timeout: float = 20.0) -> None:
        """Wait until the bot has been handed every update pushed so far and has finished
        handling all it was handed (`ChatOrder.idle`)."""
        processor = self.app.update_processor
        last = self.standin.last_update_id
        await _until(
            lambda: processor.last_update_id >= last and processor.order.idle,
            timeout,
            f"the bot still busy after {timeout} s ({processor.order.handling} being handled)",
        )

    async def settled(self, update_id: int, timeout: float = 20.0) -> None:
        """Wait until the bot has handled update `update_id` (the update processor's own
        record): every answer to it is then recorded by the stand-in, however long its round
        trip — no quiet spell to guess."""
        handled = self.app.update_processor.handled_ids
        await _until(
            lambda: update_id in handled, timeout, f"update {update_id} not handled in {timeout} s"
        )

    @property
    def services(self) -> Any:
        """The running bot's services (`bot.context.Services`)."""
        return self.app.bot_data.services

    def join_link(self, token: str) -> str:
        """A personal join link as this channel writes it."""
        return f"https://t.me/{self.standin.bot_username}?start={token}"

    def downloads(self) -> int:
        """How many files the bot fetched from the channel."""
        return sum(1 for method, _ in self.standin.requests if method.lower() == "getfile")


# The bot serving each stand-in now: a `Person` asks it whether its update was handled (a test
# may stop one bot and start another on the same stand-in).
_serving: weakref.WeakKeyDictionary[BotApiStandIn, RunningBot] = weakref.WeakKeyDictionary()


async def _until(condition: Callable[[], bool], timeout: float, failure: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(failure)
        await asyncio.sleep(0.005)


@dataclass
class Person:
    standin: BotApiStandIn
    user_id: int
    first_name: str
    profile: dict[str, Any]

    def _profile(self) -> dict[str, Any]:
        return {"first_name": self.first_name, **self.profile}

    async def send(self, text: str) -> list[Outgoing]:
        """Type `text`; return everything the bot did in this chat in answer."""
        return await self.send_raw(
            lambda: self.standin.push_message(self.user_id, text, **self._profile())
        )

    async def send_and_wait(self, text: str, count: int, timeout: float = 20.0) -> list[Outgoing]:
        """Type `text` and wait for `count` answers (for slow ones such as a picture)."""
        mark = self.standin.mark()
        self.standin.push_message(self.user_id, text, **self._profile())
        return await self.standin.wait_for_outgoing(self.user_id, count, timeout, since=mark)

    async def send_raw(self, push: Callable[[], int]) -> list[Outgoing]:
        """Push an update (`push` returns its id); everything the bot did in this chat since,
        once the bot serving the stand-in has handled it (its own signal,
        `RunningBot.settled`); with no bot of this harness serving it, once the chat was quiet
        for QUIET_S."""
        mark = self.standin.mark()
        update_id = push()
        bot = _serving.get(self.standin)
        if bot is None:
            return await self.standin.wait_quiet(self.user_id, quiet=QUIET_S, since=mark)
        await bot.settled(update_id)
        return self.standin.outgoing_for(self.user_id, since=mark)

    async def send_sticker(self) -> list[Outgoing]:
        return await self.send_raw(lambda: self.standin.push_sticker(self.user_id))

    async def send_photo(
        self, data: bytes | None = None, caption: str | None = None
    ) -> list[Outgoing]:
        return await self.send_raw(
            lambda: self.standin.push_photo(
                self.user_id, caption=caption, file_bytes=data, **self._profile()
            )
        )

    async def send_document(
        self, data: bytes, name: str, mime: str, caption: str | None = None
    ) -> list[Outgoing]:
        return await self.send_raw(
            lambda: self.standin.push_document(
                self.user_id, data, name, mime_type=mime, caption=caption, **self._profile()
            )
        )

    def last_message_id(self) -> int:
        return self.standin.messages(self.user_id)[-1].message_id

    async def press_and_wait(self, label: str, count: int, timeout: float = 20.0) -> list[Outgoing]:
        """Press `label` and wait for `count` answers (when more come after a pause)."""
        mark = self.standin.mark()
        message_id, data = button_data(self.last_keyboard(), label)
        self.standin.push_callback(self.user_id, message_id, data, **self._profile())
        return await self.standin.wait_for_outgoing(self.user_id, count, timeout, since=mark)

    def last_keyboard(self) -> tuple[int, list[dict[str, Any]]]:
        for message in reversed(self.standin.messages(self.user_id)):
            rows = (message.reply_markup or {}).get("inline_keyboard")
            if rows:
                return message.message_id, [b for row in rows for b in row]
        raise AssertionError("no message with buttons in this chat")

    async def press(self, label: str) -> list[Outgoing]:
        """Press the button whose text contains `label` on the latest message with buttons."""
        message_id, data = button_data(self.last_keyboard(), label)
        return await self.press_data(message_id, data)

    async def press_data(self, message_id: int, data: str) -> list[Outgoing]:
        return await self.send_raw(
            lambda: self.standin.push_callback(self.user_id, message_id, data, **self._profile())
        )

    def last_poll(self) -> dict[str, Any] | None:
        """The latest poll the bot sent this chat (as the Bot API shows it), if any."""
        for message in reversed(self.standin.messages(self.user_id)):
            if message.kind == "poll":
                poll: dict[str, Any] = message.json["poll"]
                return poll
        return None

    async def answer_poll(self, options: list[int], poll_id: str | None = None) -> list[Outgoing]:
        """Choose `options` in the latest poll (or the poll `poll_id`); none: take it back."""
        if poll_id is None:
            poll = self.last_poll()
            assert poll is not None, "no poll in this chat"
            poll_id = poll["id"]
        found = poll_id
        return await self.send_raw(
            lambda: self.standin.push_poll_answer(self.user_id, found, options)
        )


def texts(records: list[Outgoing], *methods: str) -> list[str]:
    wanted = methods or ("sendMessage", "editMessageText")
    return [r.text or "" for r in records if r.method in wanted]


def joined(records: list[Outgoing]) -> str:
    return "\n---\n".join(texts(records))


async def start_bot(
    kind: str,
    standin: BotApiStandIn,
    settings: Settings,
    clock: Callable[[], datetime] | None,
    channel: MemoryChannel | None = None,
) -> RunningBot | MemoryBot:
    """The bot on the channel `kind` names: "telegram" (as `aksi run` runs it, against the
    stand-in over HTTP) or "memory" (the engine on the in-memory channel: a new one, or
    `channel` again, for a restart)."""
    running: RunningBot | MemoryBot
    if kind == "memory":
        running = MemoryBot(settings, clock=clock)
        if channel is not None:
            running.channel = channel
    else:
        assert kind == "telegram", kind
        running = RunningBot(standin, settings, clock=clock)
    await running.start()
    return running
