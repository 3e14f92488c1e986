"""Pulse questions: a facilitator asks the cohort one quick question (options, or a 1–5 scale),
sees the answers counted as they come in (never who chose what) and closes it. One
`PulseAnswer` row per participant is written before the question is sent (its message and poll
id kept once sent); an answer can be changed until the pulse is closed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.participants import stale_or_left
from core.staff import can_manage
from storage.models import Participant
from storage.quizzes import Pulse, PulseAnswer

QUESTION_MAX = 255
OPTION_MAX = 100
MAX_OPTIONS = 10
SCALE = tuple(str(v) for v in range(1, 6))
VIEW_EVERY = timedelta(seconds=2)  # the facilitator's live view is edited at most this often


@dataclass(frozen=True)
class Asking:
    question: str
    options: tuple[str, ...]
    scale: bool


def parse(words: str, scale_words: Sequence[str]) -> Asking:
    """ "Question? | option | option" or "scale Question?" (`scale_words`: "skala", "scale").
    InvalidInput naming what is wrong: `pulse.usage` (nothing, or fewer than two options),
    `pulse.too_long`, `pulse.too_many`, `pulse.same_options`."""
    words = " ".join(words.split())
    first, _, rest = words.partition(" ")
    if first.lower() in scale_words and "|" not in words:  # "/tanya Skala prioritas? | A | B"
        question = rest.strip()
        if not question:
            raise InvalidInput("pulse.usage")
        if len(question) > QUESTION_MAX:
            raise InvalidInput("pulse.too_long")
        return Asking(question, SCALE, True)
    parts = [p.strip() for p in words.split("|")]
    question, options = parts[0], [p for p in parts[1:] if p]
    if not question or len(options) < 2:
        raise InvalidInput("pulse.usage")
    if len(options) > MAX_OPTIONS:
        raise InvalidInput("pulse.too_many")
    if len(question) > QUESTION_MAX or any(len(o) > OPTION_MAX for o in options):
        raise InvalidInput("pulse.too_long")
    if len({o.casefold() for o in options}) != len(options):
        raise InvalidInput("pulse.same_options")
    return Asking(question, tuple(options), False)


def options_of(pulse: Pulse) -> tuple[str, ...]:
    return tuple(json.loads(pulse.options))


async def open_pulse(
    session: AsyncSession,
    cohort_id: int,
    asking: Asking,
    by: int | None,
    members: Sequence[Participant],
    now: datetime,
) -> tuple[Pulse, list[PulseAnswer]]:
    """The pulse and a row for each participant it goes to."""
    pulse = Pulse(
        cohort_id=cohort_id,
        question=asking.question,
        options=json.dumps(asking.options, ensure_ascii=False),
        scale=asking.scale,
        asked_by=by,
        opened_at=now,
    )
    session.add(pulse)
    await session.flush()
    rows = [PulseAnswer(pulse_id=pulse.id, participant_id=p.id) for p in members]
    session.add_all(rows)
    await session.flush()
    return pulse, rows


async def record_sent(
    session: AsyncSession, row_id: int, channel: str, chat: str, message: str, poll_id: str
) -> None:
    await session.execute(
        update(PulseAnswer)
        .where(PulseAnswer.id == row_id)
        .values(channel=channel, chat=chat, message=message, poll_id=poll_id or None)
    )


async def row_of_poll(session: AsyncSession, poll_id: str) -> PulseAnswer | None:
    if not poll_id or len(poll_id) > 64:
        return None
    return await session.scalar(select(PulseAnswer).where(PulseAnswer.poll_id == poll_id))


async def answer(
    session: AsyncSession,
    participant: Participant,
    pulse_id: int,
    option: int | None,
    now: datetime,
) -> Pulse:
    """Record (or change, or with None take back) the participant's answer. InvalidInput,
    nothing written: `button.stale` (a pulse not sent to them, an option it does not have),
    `cohort.left` (sent to them in a cohort they moved away from), `pulse.closed`."""
    found = (
        await session.execute(
            select(PulseAnswer, Pulse)
            .join(Pulse, Pulse.id == PulseAnswer.pulse_id)
            .where(PulseAnswer.pulse_id == pulse_id, PulseAnswer.participant_id == participant.id)
        )
    ).first()
    if found is None:  # not sent to them: perhaps in a cohort they moved away from
        cohort_id = await session.scalar(select(Pulse.cohort_id).where(Pulse.id == pulse_id))
        raise InvalidInput(await stale_or_left(session, participant, cohort_id))
    row, pulse = found
    if pulse.closed_at is not None:
        raise InvalidInput("pulse.closed")
    if option is not None and not 0 <= option < len(options_of(pulse)):
        raise InvalidInput("button.stale")
    row.option, row.answered_at = option, now if option is not None else None
    await session.flush()
    return pulse


@dataclass(frozen=True)
class Tally:
    counts: tuple[int, ...]  # per option
    answered: int
    asked: int

    def average(self, scale: bool) -> float | None:
        """A 1–5 scale's average."""
        if not scale or not self.answered:
            return None
        return sum((i + 1) * c for i, c in enumerate(self.counts)) / self.answered


async def tally(session: AsyncSession, pulse: Pulse) -> Tally:
    rows = (
        await session.execute(
            select(PulseAnswer.option, func.count())
            .where(PulseAnswer.pulse_id == pulse.id)
            .group_by(PulseAnswer.option)
        )
    ).all()
    counts = [0] * len(options_of(pulse))
    asked = 0
    for option, count in rows:
        asked += int(count)
        if option is not None and 0 <= option < len(counts):
            counts[option] = int(count)
    return Tally(tuple(counts), sum(counts), asked)


async def managed_pulse(
    session: AsyncSession, person_id: int, admin: bool, pulse_id: int
) -> Pulse | None:
    pulse = await session.get(Pulse, pulse_id)
    if pulse is None or not await can_manage(session, person_id, pulse.cohort_id, admin):
        return None
    return pulse


async def claim_view(
    session: AsyncSession, pulse_id: int, now: datetime, force: bool = False
) -> bool:
    """Whether this caller edits the live view now (at most once each `VIEW_EVERY`, unless
    `force`)."""
    due = or_(Pulse.view_at.is_(None), Pulse.view_at <= now - VIEW_EVERY)
    done = await session.execute(
        update(Pulse)
        .where(Pulse.id == pulse_id, Pulse.view_message.is_not(None), *([] if force else [due]))
        .values(view_at=now)
    )
    return bool(getattr(done, "rowcount", 0))


async def awaited(session: AsyncSession, pulse_id: int) -> int:
    """How many of those asked have not answered."""
    found = await session.scalar(
        select(func.count())
        .select_from(PulseAnswer)
        .where(PulseAnswer.pulse_id == pulse_id, PulseAnswer.option.is_(None))
    )
    return int(found or 0)


async def sent_rows(session: AsyncSession, pulse_id: int) -> list[PulseAnswer]:
    """The rows whose question was delivered (to close their polls or buttons)."""
    return list(
        await session.scalars(
            select(PulseAnswer).where(
                PulseAnswer.pulse_id == pulse_id, PulseAnswer.message.is_not(None)
            )
        )
    )
