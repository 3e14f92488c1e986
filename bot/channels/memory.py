"""An in-memory channel: the contract (`core.channel`) with no network at all. Feature tests use
it to see exactly what the engine sent, and it can be told to refuse (a chat that blocked the
bot, a channel asking to wait) to test what the engine does then.

It enforces the limits it announces, as a real channel would: too many buttons, button data
over the byte limit, or text longer than the limit are refused with `Failed`.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from core.channel import (
    Address,
    Capabilities,
    Failed,
    FileIn,
    MessageRef,
    Outbound,
    Press,
    RetryLater,
    SendResult,
    Sent,
    Unreachable,
)
from core.htmlsplit import visible_length

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


@dataclass
class MemoryChannel:
    name: str = "memory"
    capabilities: Capabilities = CAPABILITIES
    sent: list[Delivered] = field(default_factory=list)
    acknowledged: list[Acknowledged] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    unreachable: set[str] = field(default_factory=set)  # external ids that blocked the bot
    retry_after: float | None = None  # the next send is answered with this wait
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def _refusal(self, message: Outbound) -> Failed | None:
        caps = self.capabilities
        buttons = [a for row in message.rows for a in row]
        if len(buttons) > caps.max_buttons:
            return Failed(f"{len(buttons)} buttons, at most {caps.max_buttons}")
        if any(len(row) > caps.max_button_row for row in message.rows):
            return Failed(f"more than {caps.max_button_row} buttons in a row")
        if any(len(a.data.encode()) > caps.max_action_bytes for a in buttons):
            return Failed(f"button data over {caps.max_action_bytes} bytes")
        if visible_length(message.text) > caps.max_text:
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
        ref = MessageRef(address, str(next(self._ids)))
        async with self._condition():
            self.sent.append(Delivered(ref, message))
            self._condition().notify_all()
        return Sent(ref)

    async def edit(self, ref: MessageRef, message: Outbound) -> SendResult:
        refusal = self._refusal(message)
        if refusal is not None:
            return refusal
        for item in self.sent:
            if item.ref == ref:
                item.message, item.edits = message, item.edits + 1
                return Sent(ref)
        return Failed("no such message")

    async def acknowledge(self, press: Press, notice: str = "", alert: bool = False) -> None:
        self.acknowledged.append(Acknowledged(press, notice, alert))

    async def download(self, file: FileIn) -> bytes:
        if file.file_id not in self.files:
            raise LookupError(f"no file {file.file_id!r}")
        return self.files[file.file_id]

    def to(self, address: Address) -> list[Outbound]:
        """What this chat shows now, oldest first."""
        return [d.message for d in self.sent if d.ref.address == address]

    async def wait_for(self, address: Address, count: int, timeout: float = 5.0) -> list[Outbound]:
        """Wait until the chat has `count` messages (no fixed sleep): its messages then."""
        async with asyncio.timeout(timeout), self._condition():
            await self._condition().wait_for(lambda: len(self.to(address)) >= count)
        return self.to(address)
