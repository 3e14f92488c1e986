"""The in-memory side of the end-to-end harness (`tests/harness.py`): the same people on the
in-memory channel. The engine runs the features directly (no HTTP, no polling, nothing to wait
for — `send` returns once every answer is sent), and what the bot did reads like the Bot API
stand-in's records, so a test runs unchanged on either channel. `button_data` reads a keyboard
as either channel shows it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.memory import Event, MemoryChannel, typed
from bot.channels.telegram import CAPABILITIES as TELEGRAM_CAPS
from bot.engine import Engine
from bot.inprocess import InProcess
from bot.settings import Settings
from bot.standin import Outgoing
from bot.standin.wire import TINY_PNG
from core.channel import (
    Address,
    Channel,
    FileIn,
    Inbound,
    MessageRef,
    Other,
    PollAnswer,
    Press,
    Rows,
    Sender,
)
from core.i18n import Catalogs
from core.services import Services
from storage.db import Database


def button_data(keyboard: tuple[int, list[dict[str, Any]]], label: str) -> tuple[int, str]:
    """The message and the data of the first button whose text contains `label`."""
    message_id, buttons = keyboard
    matches = [b for b in buttons if label in b["text"]]
    assert matches, f"no button {label!r} in {[b['text'] for b in buttons]}"
    return message_id, str(matches[0]["callback_data"])


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
        default_factory=lambda: MemoryChannel(capabilities=TELEGRAM_CAPS, check_whatsapp=True)
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
    if event.kind == "stop":
        return Outgoing("stopPoll", chat, message_id, at=0.0)
    if event.kind == "drop" or message is None:
        return Outgoing("editMessageReplyMarkup", chat, message_id, at=0.0)
    if message.attachment is not None:
        item = message.attachment
        method = "sendPhoto" if item.kind == "photo" else "sendDocument"
        return Outgoing(
            method, chat, message_id, item.caption, "HTML", _markup(message.rows),
            item.data, item.filename, 0.0,
        )  # fmt: skip
    if message.poll is not None:
        return Outgoing("sendPoll", chat, message_id, message.poll.question, at=0.0)
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
        return await self._handle(typed(self.sender, text))

    async def send_and_wait(self, text: str, count: int, timeout: float = 20.0) -> list[Outgoing]:
        return await self.send(text)

    async def press_and_wait(self, label: str, count: int, timeout: float = 20.0) -> list[Outgoing]:
        return await self.press(label)

    async def send_sticker(self) -> list[Outgoing]:
        return await self._handle(Other(self.sender, "sticker"))

    async def send_photo(
        self, data: bytes = TINY_PNG, caption: str | None = None
    ) -> list[Outgoing]:
        file_id = f"file-{len(self.bot.channel.files) + 1}"
        self.bot.channel.files[file_id] = data
        photo = FileIn(
            self.sender, file_id, f"foto-{file_id}.jpg", len(data), "image/jpeg", caption or "",
            kind="photo",
        )  # fmt: skip
        return await self._handle(photo)

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

    def last_poll(self) -> dict[str, Any] | None:
        """The latest poll sent to this chat (on a channel with polls), if any."""
        for item in reversed(self.bot.channel.sent):
            if item.ref.address == self.address and item.message.poll is not None:
                poll = item.message.poll
                return {"id": f"poll-{item.ref.message_id}", "question": poll.question,
                        "options": [{"text": o} for o in poll.options]}  # fmt: skip
        return None

    async def answer_poll(self, options: list[int], poll_id: str | None = None) -> list[Outgoing]:
        """A poll answer, as a channel with polls would send it (`poll_id` may be made up)."""
        if poll_id is None:
            poll = self.last_poll()
            assert poll is not None, "no poll in this chat"
            poll_id = poll["id"]
        return await self._handle(PollAnswer(self.sender, poll_id, tuple(options)))

    async def press_data(self, message_id: int, data: str) -> list[Outgoing]:
        ref = MessageRef(self.address, str(message_id))
        press_id = f"press-{next(self.bot._presses)}"
        return await self._handle(Press(self.sender, data, ref, press_id))


def engine_on(
    channel: Channel,
    engine: AsyncEngine,
    db_url: str,
    now: datetime | Callable[[], datetime],
    **settings: Any,
) -> Engine:
    """The engine alone (no jobs, no senders) on `channel`, its clock stopped at `now` (or
    read from it): for tests that hand it events one by one."""
    services = Services(
        settings=Settings(_env_file=None, database_url=db_url, **settings),  # type: ignore[call-arg]
        engine=engine,
        db=Database(engine),
        i18n=Catalogs(),
        clock=now if callable(now) else lambda: now,
        channels={channel.name: channel},
    )
    return Engine(services)
