"""What the mentor's features share (handlers.mentors, handlers.approvals): how a participant
is named and their days shown, and telling someone other than the one who wrote."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core import mentors
from core.channel import Outbound, Sent
from core.contacts import reach_of
from core.participants import effective_timezone
from core.staff import managed_cohorts
from core.timefmt import local, long_date
from handlers.turn import HasServices, Turn
from storage.db import after_commit
from storage.models import Participant

log = logging.getLogger(__name__)

WITH_COHORT = [selectinload(Participant.cohort)]  # a participant with their cohort's zone


def name_of(participant: Participant) -> str:
    return participant.full_name or participant.first_name or "?"


def local_day(lang: str, participant: Participant, at: datetime) -> str:
    """A day in the participant's own time zone."""
    return long_date(local(at, effective_timezone(participant)).date(), lang)


async def tell(
    session: AsyncSession, context: HasServices, person_id: int, message: Outbound, what: str
) -> None:
    """Send `message` to the person where they are reached, once the current transaction has
    committed (now, outside one); unreachable or failed, it is only logged (`what` says what
    was not told): they see it in their own view next time."""
    reach = (await reach_of(session, [person_id])).get(person_id)
    if reach is None or not reach.reachable:
        return
    services = context.services

    async def send() -> None:
        result = await services.send(reach.address, message.unasked())
        if not isinstance(result, Sent):
            log.info("%s not sent now: %s", what, result)

    if not after_commit(send):
        await send()


async def tell_all(
    session: AsyncSession,
    context: HasServices,
    messages: Sequence[tuple[int, Outbound]],
    what: str,
) -> None:
    """Send each person (by id) their message where they are reached, side by side at the
    pacer's bulk pace (after every waiting reply), once the current transaction has committed
    (now, outside one); one not delivered is only logged (`what` says what): everyone finds it
    in their own view next time."""
    reach = await reach_of(session, {person for person, _ in messages})
    targets = [
        (where.address, message)
        for person, message in messages
        if (where := reach.get(person)) is not None and where.reachable
    ]
    services = context.services

    async def send() -> None:
        results = await asyncio.gather(
            *(services.send_unprompted(address, message) for address, message in targets)
        )
        missed = sum(1 for r in results if not isinstance(r, Sent))
        if missed:
            log.info("%s: %d of %d not sent now", what, missed, len(targets))

    if not after_commit(send):
        await send()


async def overseen(session: AsyncSession, turn: Turn, own: Participant | None) -> list[Participant]:
    """Whose records this person may open besides their own (`core.evidence.may_see`): their
    mentees, the participants of the cohorts they facilitate (all, for an admin)."""
    found = {
        m.participant.id: m.participant for m in await mentors.mentees_of(session, turn.person_id)
    }
    cohorts = await managed_cohorts(session, turn.person_id, turn.is_admin)
    if cohorts:
        for p in await session.scalars(
            select(Participant)
            .where(Participant.cohort_id.in_([c.id for c in cohorts]))
            .order_by(Participant.full_name, Participant.first_name, Participant.id)
            .options(selectinload(Participant.cohort))
        ):
            found.setdefault(p.id, p)
    if own is not None:
        found.pop(own.id, None)
    return list(found.values())
