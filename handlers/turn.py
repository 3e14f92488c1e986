"""A feature's side of one inbound event, whatever the channel: who wrote (their membership,
language and zone), what they sent (a command, text, button press or file), the engine's
services, and the ways to answer.

Answers go out through the sender's own channel (`core.channel.Channel`) and never while a
write transaction is open: one sent inside a transaction waits for its commit
(`storage.db.after_commit`), so the person is told only what was saved and nobody waits for
the write lock while a message travels. The same feature runs on Telegram
(`bot.channels.telegram_inbound`) and on the in-memory channel (`bot.engine`) alike.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec

from sqlalchemy.ext.asyncio import AsyncSession

from core import conversation
from core.channel import (
    Attachment,
    Channel,
    Command,
    Failed,
    FileIn,
    Inbound,
    Outbound,
    Press,
    Rows,
    Sender,
    SendResult,
    Sent,
    Text,
)
from core.contacts import is_admin
from core.participants import (
    Writer,
    effective_timezone,
    language_for,
    leave_question,
    membership_at,
)
from core.services import HasServices, Services
from storage.db import after_commit, in_write_transaction
from storage.models import Participant

log = logging.getLogger(__name__)

__all__ = ["Feature", "HasServices", "NotSent", "Turn"]

P = ParamSpec("P")


class NotSent(Exception):
    """A reply the channel did not deliver (it goes to the error handler, like any failure)."""

    def __init__(self, result: SendResult) -> None:
        super().__init__(f"not sent: {result}")
        self.result = result


def _after_commit(
    send: Callable[Concatenate[Turn, P], Awaitable[None]],
) -> Callable[Concatenate[Turn, P], Awaitable[None]]:
    """A send called inside a write transaction waits for its commit; outside one it goes at
    once."""

    async def send_when_committed(turn: Turn, /, *args: P.args, **kwargs: P.kwargs) -> None:
        if not after_commit(functools.partial(send, turn, *args, **kwargs)):
            await send(turn, *args, **kwargs)

    send_when_committed.__doc__ = send.__doc__
    return send_when_committed


@dataclass(frozen=True)
class Reader:
    """The person behind an inbound event: their membership (if any), language and zone."""

    person: Writer
    participant: Participant | None
    lang: str
    tz: str


@dataclass
class Turn:
    """`identify` (in the feature's own session) tells who wrote; until then the language is
    the sender's hint or the default."""

    services: Services
    sender: Sender
    inbound: Inbound | None = None
    participant: Participant | None = None
    lang: str = ""
    tz: str = ""
    # What each answer's send came to, in order (the engine returns them).
    results: list[SendResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        settings = self.services.settings
        self.lang = self.lang or language_for(
            None, self.sender.language_hint, settings.aksi_default_language
        )
        self.tz = self.tz or settings.aksi_default_timezone

    # --- what came in ----------------------------------------------------------------------

    @property
    def args(self) -> list[str]:
        """The words after a command (none for anything else)."""
        return list(self.command.args) if self.command is not None else []

    @property
    def command(self) -> Command | None:
        """The command, as typed (its name, the whole line), when one came in."""
        return self.inbound if isinstance(self.inbound, Command) else None

    @property
    def press(self) -> Press | None:
        return self.inbound if isinstance(self.inbound, Press) else None

    @property
    def data(self) -> str | None:
        """A pressed button's action data (None when no button was pressed)."""
        return self.inbound.data if isinstance(self.inbound, Press) else None

    @property
    def typed(self) -> Text | None:
        return self.inbound if isinstance(self.inbound, Text) else None

    @property
    def file(self) -> FileIn | None:
        return self.inbound if isinstance(self.inbound, FileIn) else None

    @property
    def person_id(self) -> int:
        """The person who wrote (`core.contacts`: known once `handlers.arrival` has run, as it
        does before every feature)."""
        found = self.services.people.person(self.sender.address)
        if found is None:
            raise RuntimeError(f"{self.sender.address} has not arrived (handlers.arrival)")
        return found

    @property
    def is_admin(self) -> bool:
        return is_admin(self.sender.address, self.services.settings.aksi_admin_ids)

    @property
    def person(self) -> Writer:
        """Who wrote, with what their channel says about them."""
        sender = self.sender
        first = sender.first_name or sender.display_name
        rest = sender.display_name.removeprefix(first).strip()
        return Writer(
            person_id=self.person_id,
            first_name=first,
            last_name=rest or None,
            username=sender.username or None,
            language_code=sender.language_hint,
        )

    @property
    def channel(self) -> Channel:
        return self.services.channels[self.sender.address.channel]

    async def identify(self, session: AsyncSession) -> Reader:
        """Who is writing: the sender's current membership (None: not joined), with their
        language and zone (also kept on the turn: `participant`, `lang`, `tz`)."""
        settings = self.services.settings
        where = self.sender.address
        # The table's word, not this worker's memory: another worker may have moved the
        # contact to another person since (`core.linking`); what is remembered is put right.
        person_id, self.participant = await membership_at(session, where)
        if person_id is not None and person_id != self.services.people.person(where):
            self.services.people.correct(where, person_id)
        offered = self.participant
        if (
            isinstance(self.inbound, Command)
            and offered is not None
            and conversation.is_open(offered, *conversation.OFFERS)
        ):
            # An offer after joining (write the plan; a reminder time) takes typed text only
            # until the person sends a command: "halo" typed after /kuis is not a title. (Not
            # a press: a forged or stale button changes nothing; a real one follows a command.)
            if in_write_transaction():
                conversation.clear(offered)
            else:  # a feature that only reads (/jadwal): the offer ends in a step of its own
                async with self.services.db.begin() as own:
                    await leave_question(own, offered.id, offered.awaiting)
        self.lang = language_for(
            self.participant, self.sender.language_hint, settings.aksi_default_language
        )
        self.tz = (
            effective_timezone(self.participant)
            if self.participant is not None
            else settings.aksi_default_timezone
        )
        return Reader(self.person, self.participant, self.lang, self.tz)

    async def member(self, session: AsyncSession) -> tuple[Participant, str] | None:
        """The writer's current membership and language; None when they have not joined (they
        are asked for the cohort's code)."""
        reader = await self.identify(session)
        if reader.participant is None:
            await self.ask_for_code(reader.lang)
            return None
        return reader.participant, reader.lang

    def text(self, key: str, /, **values: object) -> str:
        """A catalog text in the reader's language, as markup (values escaped)."""
        return self.services.i18n.text(self.lang, key, **values)

    def plain(self, key: str, /, **values: object) -> str:
        """A catalog text as plain text (button labels, notices)."""
        return self.services.i18n.plain(self.lang, key, **values)

    # --- answers -----------------------------------------------------------------------------

    def _delivered(self, result: SendResult) -> None:
        self.results.append(result)
        if not isinstance(result, Sent):
            raise NotSent(result)

    @_after_commit
    async def reply(self, body: str, rows: Rows | None = None) -> None:
        """Send `body` (markup; split if long, the buttons under the last part)."""
        result = await self.channel.send(
            self.sender.address, Outbound(body, rows or (), lang=self.lang)
        )
        self._delivered(result)

    async def send_message(self, message: Outbound) -> Sent:
        """Send `message` now (outside any transaction: a poll's id is written after it is
        sent); one the channel does not take raises `NotSent`."""
        result = await self.channel.send(self.sender.address, message)
        self._delivered(result)
        assert isinstance(result, Sent)
        return result

    @_after_commit
    async def send_file(self, data: bytes, filename: str, caption: str) -> None:
        """Send `data` as a document named `filename`; `caption` is markup."""
        document = Attachment("document", data, filename, caption)
        self._delivered(await self.channel.send(self.sender.address, Outbound(attachment=document)))

    @_after_commit
    async def send_photo(self, data: bytes, filename: str, caption: str) -> None:
        """Send a picture (`caption` is markup); one the channel refuses raises `NotSent`."""
        photo = Attachment("photo", data, filename, caption)
        self._delivered(await self.channel.send(self.sender.address, Outbound(attachment=photo)))

    @_after_commit
    async def edit_or_reply(self, body: str, rows: Rows | None = None) -> None:
        """Show `body` in place of the pressed button's message; send anew if that cannot be
        edited (too long, or the channel refuses the edit)."""
        press = self.press
        if press is not None and press.message is not None and self.channel.capabilities.edits:
            result = await self.channel.edit(
                press.message, Outbound(body, rows or (), lang=self.lang)
            )
            if isinstance(result, Sent):
                self.results.append(result)
                return
            if not isinstance(result, Failed):
                self._delivered(result)
            log.info("could not edit message, sending anew: %s", result)
        await self.reply(body, rows)

    @_after_commit
    async def drop_keyboard(self) -> None:
        """Remove the buttons of the pressed message, so an old question cannot be answered
        twice."""
        press = self.press
        if press is not None and press.message is not None:
            await self.channel.drop_actions(press.message)

    @_after_commit
    async def answer_button(self, notice: str | None = None, alert: bool = False) -> None:
        """Acknowledge a button press (a notice shown briefly, or as a dialog with `alert`)."""
        if self.press is not None:
            await self.channel.acknowledge(self.press, notice or "", alert)

    async def ask_for_code(self, lang: str | None = None) -> None:
        """Someone who has not joined: ask for the cohort code."""
        i18n, lang = self.services.i18n, lang or self.lang
        if self.press is not None:
            await self.answer_button(i18n.plain(lang, "join.ask_code_short"), alert=True)
            return
        await self.reply(i18n.text(lang, "join.ask_code"))


# A feature: it takes the turn (the words after a command are `turn.args`).
Feature = Callable[[Turn], Awaitable[None]]
