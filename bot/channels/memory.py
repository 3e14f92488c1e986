"""An in-memory channel: the contract (`core.channel`) with no network at all. Feature tests use
it to see exactly what the engine sent, and it can be told to refuse (a chat that blocked the
bot, a channel asking to wait) to test what the engine does then.

It keeps to the limits it announces, as a real channel would: too many buttons or button data
over the byte limit are refused with `Failed`; a text longer than one message is sent in parts
(cut as Telegram's channel cuts it, the buttons under the last), and an edit that long is
refused. `log` keeps everything it was asked to do, in order, for the tests' harness.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.channels import whatsapp_render
from core.channel import (
    Address,
    Capabilities,
    Command,
    DownloadFailed,
    Failed,
    FileIn,
    MessageRef,
    Outbound,
    Press,
    RetryLater,
    Sender,
    SendResult,
    Sent,
    Text,
    Unreachable,
)
from core.htmlsplit import split_message, visible_length
from core.i18n import escape


def typed(sender: Sender, text: str) -> Command | Text:
    """What typing `text` on a plain keyboard sends: a command, or text (no formatting: its
    markup is the text escaped)."""
    markup = escape(text)
    if text.startswith("/") and text.strip():
        return Command.of(sender, text, markup)
    return Text(sender, text, markup)


CAPABILITIES = Capabilities(
    max_buttons=10,
    max_button_row=3,
    max_text=4096,
    max_caption=1024,
    max_action_bytes=64,
    formatting=True,
    native_polls=False,
    command_menu=False,
    edits=True,
)


@dataclass
class Delivered:
    """A message as the chat now shows it (edits change it in place)."""

    ref: MessageRef
    message: Outbound
    edits: int = 0


@dataclass
class Acknowledged:
    press: Press
    notice: str
    alert: bool


@dataclass(frozen=True)
class Event:
    """One thing done on the channel: a message sent or edited, a press acknowledged, a
    message's buttons dropped."""

    kind: str  # "send", "edit", "ack", "drop" or "stop" (a poll closed)
    address: Address
    ref: MessageRef | None = None
    message: Outbound | None = None
    notice: str = ""
    alert: bool = False


@dataclass
class MemoryChannel:
    name: str = "memory"
    capabilities: Capabilities = CAPABILITIES
    sent: list[Delivered] = field(default_factory=list)
    acknowledged: list[Acknowledged] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    unreachable: set[str] = field(default_factory=set)  # external ids that blocked the bot
    retry_after: float | None = None  # the next send is answered with this wait
    log: list[Event] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)  # file ids fetched, in order
    stopped: list[MessageRef] = field(default_factory=list)  # polls closed
    listeners: list[Callable[[Event], None]] = field(default_factory=list)  # told of each event
    # Each message sent or edited also rendered for WhatsApp (`whatsapp_render`), and what would
    # break its limits or lose an option kept here (the tests' fixture asserts there is none).
    check_whatsapp: bool = False
    whatsapp_problems: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def _done(self, event: Event) -> None:
        self.log.append(event)
        for listener in self.listeners:
            listener(event)

    def _refusal(self, message: Outbound, *, editing: bool = False) -> Failed | None:
        if self.check_whatsapp and message.attachment is None and message.poll is None:
            shown = whatsapp_render.render(message, lambda key: key.rpartition(".")[2])
            found = whatsapp_render.problems(message, shown)
            self.whatsapp_problems += [f"{p} in {message.text[:80]!r}" for p in found]
        caps = self.capabilities
        buttons = [a for row in message.rows for a in row]
        if len(buttons) > caps.max_buttons:
            return Failed(f"{len(buttons)} buttons, at most {caps.max_buttons}")
        if any(len(row) > caps.max_button_row for row in message.rows):
            return Failed(f"more than {caps.max_button_row} buttons in a row")
        if any(len(a.data.encode()) > caps.max_action_bytes for a in buttons):
            return Failed(f"button data over {caps.max_action_bytes} bytes")
        if editing and visible_length(message.text) > caps.max_text:
            return Failed(f"text over {caps.max_text} characters")
        return None

    async def send(self, address: Address, message: Outbound) -> SendResult:
        if self.retry_after is not None:
            seconds, self.retry_after = self.retry_after, None
            return RetryLater(seconds, "asked to wait", pause_all=True)
        if address.external_id in self.unreachable:
            return Unreachable("blocked the bot")
        refusal = self._refusal(message)
        if refusal is not None:
            return refusal
        parts = [message]
        if message.poll is not None and not self.capabilities.native_polls:
            return Failed("this channel has no polls")
        if message.attachment is None and message.poll is None:
            texts = split_message(message.text, self.capabilities.max_text)
            parts = [
                replace(message, text=t, rows=message.rows if i == len(texts) - 1 else ())
                for i, t in enumerate(texts)
            ]
        ref = MessageRef(address, "")
        async with self._condition():
            for part in parts:
                ref = MessageRef(address, str(next(self._ids)))
                self.sent.append(Delivered(ref, part))
                self._done(Event("send", address, ref, part))
            self._condition().notify_all()
        if message.poll is not None:
            return Sent(ref, poll_id=f"poll-{ref.message_id}")
        return Sent(ref)

    async def edit(self, ref: MessageRef, message: Outbound) -> SendResult:
        refusal = self._refusal(message, editing=True)
        if refusal is not None:
            return refusal
        for item in self.sent:
            if item.ref == ref:
                item.message, item.edits = message, item.edits + 1
                self._done(Event("edit", ref.address, ref, message))
                return Sent(ref)
        return Failed("no such message")

    async def acknowledge(self, press: Press, notice: str = "", alert: bool = False) -> None:
        self.acknowledged.append(Acknowledged(press, notice, alert))
        self._done(Event("ack", press.sender.address, press.message, None, notice, alert))

    async def drop_actions(self, ref: MessageRef) -> None:
        for item in self.sent:
            if item.ref == ref:
                item.message = replace(item.message, rows=())
                self._done(Event("drop", ref.address, ref))

    async def stop_poll(self, ref: MessageRef) -> SendResult:
        for item in self.sent:
            if item.ref == ref and item.message.poll is not None:
                self.stopped.append(ref)
                self._done(Event("stop", ref.address, ref))
                return Sent(ref)
        return Failed("no such poll")

    async def download(self, file: FileIn) -> bytes:
        self.downloads.append(file.file_id)
        if file.file_id not in self.files:
            raise DownloadFailed(f"no file {file.file_id!r}")
        return self.files[file.file_id]

    def join_link(self, token: str) -> str:
        return f"memory://aksi?start={token}"

    def to(self, address: Address) -> list[Outbound]:
        """What this chat shows now, oldest first."""
        return [d.message for d in self.sent if d.ref.address == address]

    async def wait_for(self, address: Address, count: int, timeout: float = 5.0) -> list[Outbound]:
        """Wait until the chat has `count` messages (no fixed sleep): its messages then."""
        async with asyncio.timeout(timeout), self._condition():
            await self._condition().wait_for(lambda: len(self.to(address)) >= count)
        return self.to(address)
