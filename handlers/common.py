"""Small helpers shared by the features: who is writing, in which language, and catalog texts.
Answering is the turn's (`handlers.turn.Turn`: reply, edit_or_reply, answer_button, …)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.channel import Rows
from core.participants import Writer
from handlers.turn import HasServices, Turn
from storage.models import Participant

# What a handler answers: messages, each with its buttons (if any), sent in order.
Answer = list[tuple[str, Rows | None]]


@dataclass(frozen=True)
class Reader:
    """The person behind an inbound event: their membership (if any), language and zone."""

    person: Writer
    participant: Participant | None
    lang: str
    tz: str


async def identify(session: AsyncSession, turn: Turn) -> Reader:
    participant = await turn.identify(session)
    return Reader(turn.person, participant, turn.lang, turn.tz)


def text(context: HasServices, lang: str, key: str, /, **values: object) -> str:
    return context.services.i18n.text(lang, key, **values)


def plain(context: HasServices, lang: str, key: str, /, **values: object) -> str:
    return context.services.i18n.plain(lang, key, **values)
