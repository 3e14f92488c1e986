"""How the local chat reaches the bot: the engine on the in-memory channel in this process (the
default: no HTTP at all), or the whole Telegram bot against the Bot API stand-in on loopback
(`aksi chat --telegram`: the same `Application` as `aksi run`). Either way the terminal sees
`Shown` records: what the bot did in a chat, in order."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from pydantic import SecretStr
from telegram import Update
from telegram.ext import Application

from bot.app import AksiApplication
from bot.channels.memory import Event, MemoryChannel, typed
from bot.channels.telegram import CAPABILITIES as TELEGRAM_CAPS
from bot.inprocess import InProcess
from bot.runner import serve
from bot.settings import Settings
from bot.standin import BotApiStandIn, Outgoing
from core.channel import (
    TELEGRAM,
    Address,
    FileIn,
    Inbound,
    MessageRef,
    Press,
    Sender,
)
from core.i18n import escape
from core.rendering import Renderer

UPDATE_TIMEOUT_S = 30.0
Button = tuple[str, str]  # label, data


POLL_CHOICE = "\x00poll:"  # a poll's option as a local button: never a real button's data


@dataclass(frozen=True)
class Who:
    user_id: int
    first_name: str
    last_name: str | None
    language_code: str


@dataclass(frozen=True)
class Shown:
    """One thing the bot did in a chat: a message sent or edited (text in Aksi's markup, which
    is Telegram's HTML), a press's notice, a message's buttons taken away."""

    chat_id: int
    kind: Literal["send", "edit", "notice", "drop"]
    message_id: int | None
    text: str = ""
    rows: tuple[tuple[Button, ...], ...] = ()
    file_kind: str = ""  # "photo" or "document"
    file_name: str = ""
    file_bytes: bytes = b""


class Link(Protocol):
    channel: str  # the channel the people of this chat are on

    async def start(self, settings: Settings) -> None: ...
    async def stop(self) -> None: ...
    async def type(self, who: Who, text: str) -> None: ...
    async def press(self, who: Who, message_id: int, data: str) -> None: ...
    async def send_file(
        self, who: Who, data: bytes, name: str, mime: str, caption: str | None
    ) -> None: ...
    def shown(self) -> list[Shown]: ...
    def on_shown(self, listener: Callable[[], None]) -> None: ...


class MemoryLink:
    """The engine on the in-memory channel (with Telegram's limits), its jobs ticking."""

    channel = "memory"

    def __init__(self) -> None:
        # A terminal has no polls: quizzes and quick questions come as buttons, as on WhatsApp.
        self.memory = MemoryChannel(capabilities=replace(TELEGRAM_CAPS, native_polls=False))
        self.running: InProcess | None = None
        self._presses = itertools.count(1)
        self._files = itertools.count(1)

    async def start(self, settings: Settings) -> None:
        renderer = Renderer(settings.aksi_render_processes)
        self.running = InProcess(settings, self.memory, renderer=renderer)
        await self.running.start(migrate=True)

    async def stop(self) -> None:
        if self.running is not None:
            await self.running.stop()

    def _sender(self, who: Who) -> Sender:
        name = " ".join(p for p in (who.first_name, who.last_name) if p)
        where = Address(self.channel, str(who.user_id))
        return Sender(where, name, "", who.language_code, who.first_name)

    async def _handle(self, event: Inbound) -> None:
        assert self.running is not None
        async with asyncio.timeout(UPDATE_TIMEOUT_S):
            await self.running.handle(event)

    async def type(self, who: Who, text: str) -> None:
        await self._handle(typed(self._sender(who), text))

    async def press(self, who: Who, message_id: int, data: str) -> None:
        sender = self._sender(who)
        ref = MessageRef(sender.address, str(message_id))
        await self._handle(Press(sender, data, ref, f"press-{next(self._presses)}"))

    async def send_file(
        self, who: Who, data: bytes, name: str, mime: str, caption: str | None
    ) -> None:
        file_id = f"file-{next(self._files)}"
        self.memory.files[file_id] = data
        await self._handle(FileIn(self._sender(who), file_id, name, len(data), mime, caption or ""))

    def shown(self) -> list[Shown]:
        return [_from_event(e) for e in self.memory.log]

    def on_shown(self, listener: Callable[[], None]) -> None:
        self.memory.listeners.append(lambda _event: listener())


def _from_event(event: Event) -> Shown:
    chat = int(event.address.external_id)
    message_id = int(event.ref.message_id) if event.ref is not None else None
    message = event.message
    if event.kind == "ack":
        return Shown(chat, "notice", message_id, event.notice)
    if event.kind == "drop" or message is None:
        return Shown(chat, "drop", message_id)
    rows = tuple(tuple((a.label, a.data) for a in row) for row in message.rows)
    kind: Literal["send", "edit"] = "edit" if event.kind == "edit" else "send"
    item = message.attachment
    if item is None:
        return Shown(chat, kind, message_id, message.text, rows)
    return Shown(chat, kind, message_id, item.caption, rows, item.kind, item.filename, item.data)


class LocalChatApplication(Application):  # type: ignore[type-arg]
    """An Application that tells the local chat when each update is fully handled."""

    handled: asyncio.Queue[int] | None = None

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            if self.handled is not None and isinstance(update, Update):
                self.handled.put_nowait(update.update_id)


class TelegramLink:
    """The whole Telegram bot (`aksi run`'s) polling the Bot API stand-in on loopback."""

    channel = TELEGRAM

    def __init__(self) -> None:
        self.standin = BotApiStandIn()
        self.handled: asyncio.Queue[int] = asyncio.Queue()
        self._stop = asyncio.Event()
        self._bot: asyncio.Task[None] | None = None

    async def start(self, settings: Settings) -> None:
        await self.standin.start()
        settings = settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(self.standin.token),
                "telegram_api_base_url": self.standin.base_url,
            }
        )
        ready = asyncio.Event()

        async def on_ready(app: AksiApplication) -> None:
            assert isinstance(app, LocalChatApplication)
            app.handled = self.handled
            ready.set()

        self._bot = asyncio.create_task(
            serve(settings, self._stop, application_class=LocalChatApplication, on_ready=on_ready)
        )
        ready_wait = asyncio.create_task(ready.wait())
        await asyncio.wait({self._bot, ready_wait}, return_when=asyncio.FIRST_COMPLETED)
        if self._bot.done():
            ready_wait.cancel()
            await self.standin.stop()
            await self._bot  # raises what stopped the bot

    async def stop(self) -> None:
        self._stop.set()
        try:
            if self._bot is not None:
                await self._bot
        finally:
            await self.standin.stop()

    def _who(self, who: Who) -> dict[str, Any]:
        return {
            "first_name": who.first_name,
            "last_name": who.last_name,
            "language_code": who.language_code,
        }

    async def _handled(self, update_id: int) -> None:
        async with asyncio.timeout(UPDATE_TIMEOUT_S):
            while await self.handled.get() < update_id:
                pass

    async def type(self, who: Who, text: str) -> None:
        await self._handled(self.standin.push_message(who.user_id, text, **self._who(who)))

    async def press(self, who: Who, message_id: int, data: str) -> None:
        if data.startswith(POLL_CHOICE):  # an option of a poll, shown as a button (below)
            poll_id, _, option = data.removeprefix(POLL_CHOICE).rpartition(":")
            pushed = self.standin.push_poll_answer(who.user_id, poll_id, [int(option)])
        else:
            pushed = self.standin.push_callback(who.user_id, message_id, data, **self._who(who))
        await self._handled(pushed)

    async def send_file(
        self, who: Who, data: bytes, name: str, mime: str, caption: str | None
    ) -> None:
        pushed = self.standin.push_document(
            who.user_id, data, name, mime_type=mime, caption=caption, **self._who(who)
        )
        await self._handled(pushed)

    def shown(self) -> list[Shown]:
        return [s for s in map(self._shown, self.standin.outbox) if s is not None]

    def _shown(self, record: Outgoing) -> Shown | None:
        """A poll (Telegram's own) is shown as its question with a button per option, which
        answers it; anything else as `_from_record` shows it."""
        if record.method != "sendPoll" or record.chat_id is None or record.message_id is None:
            return _from_record(record)
        found = self.standin.message(record.chat_id, record.message_id)
        poll = found.json.get("poll") if found is not None else None
        if poll is None:
            return None
        rows = tuple(
            ((o["text"], f"{POLL_CHOICE}{poll['id']}:{i}"),) for i, o in enumerate(poll["options"])
        )
        return Shown(record.chat_id, "send", record.message_id, escape(poll["question"]), rows)

    def on_shown(self, listener: Callable[[], None]) -> None:
        self.standin.add_listener(lambda _record: listener())


def _from_record(record: Outgoing) -> Shown | None:
    if record.chat_id is None:
        return None
    chat, message_id = record.chat_id, record.message_id
    if record.method == "answerCallbackQuery":
        return Shown(chat, "notice", message_id, record.text or "")
    if record.method in ("editMessageReplyMarkup", "deleteMessage"):
        if record.reply_markup:
            return None
        return Shown(chat, "drop", message_id)
    if record.method not in ("sendMessage", "sendPhoto", "sendDocument", "editMessageText"):
        return None
    text = record.text or ""
    if record.parse_mode != "HTML":
        text = escape(text)
    keyboard = (record.reply_markup or {}).get("inline_keyboard") or []
    rows = tuple(tuple((b["text"], b.get("callback_data", "")) for b in row) for row in keyboard)
    kind: Literal["send", "edit"] = "edit" if record.method == "editMessageText" else "send"
    if record.method == "sendMessage" or kind == "edit":
        return Shown(chat, kind, message_id, text, rows)
    file_kind = "photo" if record.method == "sendPhoto" else "document"
    name, data = record.file_name or "", record.file_bytes or b""
    return Shown(chat, kind, message_id, text, rows, file_kind, name, data)
