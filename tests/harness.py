"""End-to-end harness: the bot runs as `aksi run` runs it (long polling over real HTTP on
loopback) against the project's Bot API stand-in; a `Person` types and presses buttons. The
same test can run on the in-memory channel instead (`MemoryBot`, `start_bot("memory", …)`)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.channels.memory import Event, MemoryChannel
from bot.channels.telegram import CAPABILITIES as TELEGRAM_CAPS
from bot.inprocess import InProcess
from bot.runner import serve
from bot.settings import Settings
from bot.standin import BotApiStandIn, Outgoing
from core.channel import (
    Address,
    Command,
    FileIn,
    Inbound,
    MessageRef,
    Other,
    Press,
    Rows,
    Sender,
    Text,
)
from core.i18n import escape
from core.services import Services

QUIET_S = 0.12


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
        self.stop_event.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 20)
            self.task = None

    def person(self, user_id: int = 1001, first_name: str = "Budi", **profile: Any) -> Person:
        return Person(self.standin, user_id, first_name, profile)

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


def button_data(keyboard: tuple[int, list[dict[str, Any]]], label: str) -> tuple[int, str]:
    """The message and the data of the first button whose text contains `label`."""
    message_id, buttons = keyboard
    matches = [b for b in buttons if label in b["text"]]
    assert matches, f"no button {label!r} in {[b['text'] for b in buttons]}"
    return message_id, str(matches[0]["callback_data"])


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
        mark = self.standin.mark()
        self.standin.push_message(self.user_id, text, **self._profile())
        return await self.standin.wait_quiet(self.user_id, quiet=QUIET_S, since=mark)

    async def send_and_wait(self, text: str, count: int, timeout: float = 20.0) -> list[Outgoing]:
        """Type `text` and wait for `count` answers (for slow ones such as a picture)."""
        mark = self.standin.mark()
        self.standin.push_message(self.user_id, text, **self._profile())
        return await self.standin.wait_for_outgoing(self.user_id, count, timeout, since=mark)

    async def send_raw(self, push: Callable[[], int]) -> list[Outgoing]:
        mark = self.standin.mark()
        push()
        return await self.standin.wait_quiet(self.user_id, quiet=QUIET_S, since=mark)

    async def send_sticker(self) -> list[Outgoing]:
        return await self.send_raw(lambda: self.standin.push_sticker(self.user_id))

    async def send_photo(self) -> list[Outgoing]:
        return await self.send_raw(lambda: self.standin.push_photo(self.user_id))

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
        mark = self.standin.mark()
        self.standin.push_callback(self.user_id, message_id, data, **self._profile())
        return await self.standin.wait_quiet(self.user_id, quiet=QUIET_S, since=mark)


def texts(records: list[Outgoing], *methods: str) -> list[str]:
    wanted = methods or ("sendMessage", "editMessageText")
    return [r.text or "" for r in records if r.method in wanted]


def joined(records: list[Outgoing]) -> str:
    return "\n---\n".join(texts(records))


# --------------------------------------------------------------------------------------------
# The same people on the in-memory channel: the engine runs the features directly (no HTTP, no
# polling, nothing to wait for — `send` returns once every answer is sent).


@dataclass(frozen=True)
class MemoryMessage:
    """A message as the chat shows it now (the stand-in's `BotMessage`, in part)."""

    chat_id: int
    message_id: int
    kind: str
    text: str | None
    reply_markup: dict[str, Any] | None


class MemoryRecords:
    """The stand-in's reading side (`mark`, `outbox`, `outgoing_for`, the waits, `messages`)
    over the in-memory channel's log, so a test that only reads what the bot did runs on either
    channel. An answer is there when `send` returns; only what the bot sends on its own (an
    announcement, a reminder of the repeating job) comes later, and a wait waits for that."""

    def __init__(self, channel: MemoryChannel) -> None:
        self.channel = channel

    @property
    def outbox(self) -> list[Outgoing]:
        return [_record(event) for event in self.channel.log]

    def mark(self) -> int:
        return len(self.channel.log)

    def outgoing_for(self, chat_id: int | None, since: int = 0) -> list[Outgoing]:
        return [o for o in self.outbox[since:] if chat_id is None or o.chat_id == chat_id]

    async def wait_for_outgoing(
        self, chat_id: int | None, count: int = 1, timeout: float = 5.0, since: int = 0
    ) -> list[Outgoing]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found := self.outgoing_for(chat_id, since)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"expected {count} records for chat {chat_id}, got {len(found)}")
            await asyncio.sleep(0.02)
        return found

    async def wait_quiet(
        self, chat_id: int | None, quiet: float = 0.15, timeout: float = 5.0, since: int = 0
    ) -> list[Outgoing]:
        return await self.wait_for_outgoing(chat_id, 1, timeout, since)

    def messages(self, chat_id: int) -> list[MemoryMessage]:
        shown = []
        for item in self.channel.sent:
            if item.ref.address.external_id != str(chat_id):
                continue
            message = item.message
            kind = message.attachment.kind if message.attachment is not None else "text"
            text_ = message.attachment.caption if message.attachment is not None else message.text
            shown.append(
                MemoryMessage(chat_id, int(item.ref.message_id), kind, text_, _markup(message.rows))
            )
        return shown


@dataclass
class MemoryBot:
    """The bot's features on the in-memory channel (`bot.channels.memory`) through the engine
    (`bot.engine.Engine`), with Telegram's limits; what a `MemoryPerson` gets back reads like
    the stand-in's records, so a test runs unchanged on either channel."""

    settings: Settings
    clock: Callable[[], datetime] | None = None
    channel: MemoryChannel = field(
        default_factory=lambda: MemoryChannel(capabilities=TELEGRAM_CAPS)
    )
    running: InProcess | None = None
    _presses: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def standin(self) -> MemoryRecords:
        """What the bot did, read as from the stand-in."""
        return MemoryRecords(self.channel)

    @property
    def services(self) -> Services:
        assert self.running is not None and self.running.services is not None, "not started"
        return self.running.services

    async def start(self) -> None:
        # As the local chat runs it (its repeating jobs as the settings say: tests mostly tick
        # by hand), the announcements' sender looking often (tests wait for it).
        self.running = InProcess(self.settings, self.channel, self.clock, idle_poll=0.05)
        await self.running.start()

    async def stop(self) -> None:
        if self.running is not None:
            await self.running.stop()

    def person(self, user_id: int = 1001, first_name: str = "Budi", **profile: Any) -> MemoryPerson:
        return MemoryPerson(self, user_id, first_name, profile)

    def downloads(self) -> int:
        """How many files the bot fetched from the channel."""
        return len(self.channel.downloads)

    def join_link(self, token: str) -> str:
        """A personal join link as this channel writes it."""
        return self.channel.join_link(token)

    def records(self, address: Address, since: int) -> list[Outgoing]:
        """What the channel did in this chat since `since`, as the stand-in records it."""
        return [_record(event) for event in self.channel.log[since:] if event.address == address]


def _markup(rows: Rows) -> dict[str, Any] | None:
    if not rows:
        return None
    keyboard = [[{"text": a.label, "callback_data": a.data} for a in row] for row in rows]
    return {"inline_keyboard": keyboard}


def _record(event: Event) -> Outgoing:
    # `at` is fixed: the same event reads as an equal record every time it is read.
    chat = int(event.address.external_id)
    message_id = int(event.ref.message_id) if event.ref is not None else None
    message = event.message
    if event.kind == "ack":
        params = {"text": event.notice, "show_alert": event.alert}
        notice = event.notice or None
        return Outgoing("answerCallbackQuery", chat, message_id, notice, at=0.0, params=params)
    if event.kind == "drop" or message is None:
        return Outgoing("editMessageReplyMarkup", chat, message_id, at=0.0)
    if message.attachment is not None:
        item = message.attachment
        method = "sendPhoto" if item.kind == "photo" else "sendDocument"
        return Outgoing(
            method, chat, message_id, item.caption, "HTML", _markup(message.rows),
            item.data, item.filename, 0.0,
        )  # fmt: skip
    method = "editMessageText" if event.kind == "edit" else "sendMessage"
    return Outgoing(method, chat, message_id, message.text, "HTML", _markup(message.rows), at=0.0)


@dataclass
class MemoryPerson:
    """`Person`'s ways (send, press) on the in-memory channel."""

    bot: MemoryBot
    user_id: int
    first_name: str
    profile: dict[str, Any]

    @property
    def address(self) -> Address:
        return Address(self.bot.channel.name, str(self.user_id))

    @property
    def standin(self) -> MemoryRecords:
        return self.bot.standin

    @property
    def sender(self) -> Sender:
        last = self.profile.get("last_name")
        name = " ".join(p for p in (self.first_name, last) if p)
        return Sender(
            self.address,
            name,
            self.profile.get("username") or "",
            self.profile.get("language_code", "id"),
            self.first_name,
        )

    async def _handle(self, event: Inbound) -> list[Outgoing]:
        bot = self.bot
        assert bot.running is not None, "the memory bot is not started"
        mark = len(bot.channel.log)
        await bot.running.handle(event)
        return bot.records(self.address, mark)

    async def send(self, text: str) -> list[Outgoing]:
        """Type `text`; everything the bot did in this chat in answer."""
        sender, markup = self.sender, escape(text)
        if text.startswith("/") and text.strip():
            words = text.split()
            name = words[0][1:].split("@")[0]
            return await self._handle(Command(sender, name, tuple(words[1:]), text, markup))
        return await self._handle(Text(sender, text, markup))

    async def send_and_wait(self, text: str, count: int, timeout: float = 20.0) -> list[Outgoing]:
        return await self.send(text)

    async def press_and_wait(self, label: str, count: int, timeout: float = 20.0) -> list[Outgoing]:
        return await self.press(label)

    async def send_sticker(self) -> list[Outgoing]:
        return await self._handle(Other(self.sender, "sticker"))

    async def send_photo(self) -> list[Outgoing]:
        return await self._handle(Other(self.sender, "media"))

    async def send_document(
        self, data: bytes, name: str, mime: str, caption: str | None = None
    ) -> list[Outgoing]:
        file_id = f"file-{len(self.bot.channel.files) + 1}"
        self.bot.channel.files[file_id] = data
        document = FileIn(self.sender, file_id, name, len(data), mime, caption or "")
        return await self._handle(document)

    def last_message_id(self) -> int:
        mine = [d for d in self.bot.channel.sent if d.ref.address == self.address]
        return int(mine[-1].ref.message_id)

    def last_keyboard(self) -> tuple[int, list[dict[str, Any]]]:
        for item in reversed(self.bot.channel.sent):
            if item.ref.address == self.address and item.message.rows:
                buttons = [
                    {"text": a.label, "callback_data": a.data}
                    for row in item.message.rows
                    for a in row
                ]
                return int(item.ref.message_id), buttons
        raise AssertionError("no message with buttons in this chat")

    async def press(self, label: str) -> list[Outgoing]:
        """Press the button whose text contains `label` on the latest message with buttons."""
        message_id, data = button_data(self.last_keyboard(), label)
        return await self.press_data(message_id, data)

    async def press_data(self, message_id: int, data: str) -> list[Outgoing]:
        ref = MessageRef(self.address, str(message_id))
        press_id = f"press-{next(self.bot._presses)}"
        return await self._handle(Press(self.sender, data, ref, press_id))


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
