"""A feature's side of one inbound event, whatever the channel: who wrote (their membership,
language and zone), the engine's services, and the answers to send.

A feature written against `Turn` never sends anything itself: it says what to answer
(`Turn.say`), and the channel's adapter sends it once the feature has returned — so every
reply goes out after the feature's transactions have committed (commit, then send), and the
same feature runs on Telegram (`bot.channels.telegram_inbound`) and on the in-memory channel
(`bot.engine`) alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from core.channel import TELEGRAM, Outbound, Rows, Sender
from core.participants import effective_timezone, find_participant, language_for
from core.services import Services
from storage.models import Participant


@dataclass
class Turn:
    """`identify` (in the feature's own session) tells who wrote; until then the language is
    the sender's hint or the default."""

    services: Services
    sender: Sender
    participant: Participant | None = None
    lang: str = ""
    tz: str = ""
    answers: list[Outbound] = field(default_factory=list)

    def __post_init__(self) -> None:
        settings = self.services.settings
        self.lang = self.lang or language_for(
            None, self.sender.language_hint, settings.aksi_default_language
        )
        self.tz = self.tz or settings.aksi_default_timezone

    async def identify(self, session: AsyncSession) -> Participant | None:
        """The sender's current membership (None: not joined), with their language and zone."""
        settings = self.services.settings
        self.participant = await find_participant(session, user_id_of(self.sender))
        self.lang = language_for(
            self.participant, self.sender.language_hint, settings.aksi_default_language
        )
        if self.participant is not None:
            self.tz = effective_timezone(self.participant)
        return self.participant

    def text(self, key: str, /, **values: object) -> str:
        """A catalog text in the reader's language, as markup (values escaped)."""
        return self.services.i18n.text(self.lang, key, **values)

    def plain(self, key: str, /, **values: object) -> str:
        """A catalog text as plain text (button labels, notices)."""
        return self.services.i18n.plain(self.lang, key, **values)

    def say(self, text: str, rows: Rows = ()) -> None:
        """Answer with `text` (markup) and, under it, rows of buttons."""
        self.answers.append(Outbound(text, rows))

    def ask_for_code(self) -> None:
        """Someone who has not joined: ask for the cohort code."""
        self.say(self.text("join.ask_code"))


def user_id_of(sender: Sender) -> int:
    """The person's id as participants are stored today (a Telegram user id; the in-memory
    channel uses the same numbers) until people get contacts of several channels."""
    if sender.address.channel not in (TELEGRAM, "memory"):
        raise ValueError(f"no participants on channel {sender.address.channel!r} yet")
    return int(sender.address.external_id)


# A command of a feature written against the contract: the turn, and the words after it.
Feature = Callable[[Turn, tuple[str, ...]], Awaitable[None]]
