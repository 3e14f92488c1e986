"""The follow-up job: after a cohort's last day, each alumnus gets the welcome to the follow-up
(the day after) and a question every 30 days (`core.follow_up`), at their first daily reminder
time in their own zone.

Like the digests, a `follow_ups` row per participant and message is claimed and committed
before anything is sent, so a restart or a second tick never sends one twice. A message due
longer ago than the catch-up is recorded late and skipped; someone who blocked the bot is
recorded unreachable and counted, never retried. What the messages say is the feature's
business (`handlers.follow_up.compose`, given by the wiring): this job knows neither the
channel nor the wording."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core import follow_up as rules
from core.channel import FOLLOW_UP, Address, Outbound, Outcome, Rows, one_shot_outcome
from core.contacts import reach_of
from core.services import HasServices
from scheduler.reminders import mark_unreachable
from scheduler.sending import Outcomes, send_all
from storage.db import insert_once
from storage.mentoring import FollowUp
from storage.models import ActionPlan, Cohort, Habit, Participant

log = logging.getLogger(__name__)

# What a follow-up message says: (context, participant, offset, the claimed row's id) -> body
# and buttons.
Compose = Callable[[HasServices, Participant, int, int], tuple[str, Rows]]


@dataclass(frozen=True)
class Outgoing:
    participant_id: int
    offset: int
    address: Address
    body: str
    rows: Rows
    lang: str = ""


@dataclass
class FollowUpReport(Outcomes):
    outgoing: list[Outgoing] = field(default_factory=list)


async def _alumni(session: AsyncSession, now: datetime) -> list[Participant]:
    """Participants with a plan, of cohorts whose follow-up may have a message due around
    `now`, who have not stopped it and have not joined another cohort since."""
    today = now.date()
    cohorts = [
        c.id
        for c in await session.scalars(
            select(Cohort).where(
                Cohort.follow_up_days > 0,
                Cohort.ends_on < today + timedelta(days=1),
                Cohort.ends_on >= today - timedelta(days=rules.MAX_DAYS + 2),
            )
        )
        if c.ends_on + timedelta(days=c.follow_up_days + 2) >= today
    ]
    if not cohorts:
        return []
    # A plan with a habit, ever (as the reports count who has a plan: `core.approvals`).
    has_plan = (
        exists()
        .where(ActionPlan.participant_id == Participant.id)
        .where(Habit.plan_id == ActionPlan.id)
    )
    return list(
        await session.scalars(
            select(Participant)
            .where(
                Participant.cohort_id.in_(cohorts),
                Participant.follow_up_stopped_at.is_(None),
                has_plan,
                ~rules.newer_membership(),  # the chat acts on their newest cohort only
            )
            .order_by(Participant.id)
            .options(joinedload(Participant.cohort))
        )
    )


async def prepare(context: HasServices, now: datetime, compose: Compose) -> FollowUpReport:
    """Claim every follow-up message due at `now` and compose it, in one transaction committed
    before anything is sent."""
    services = context.services
    catch_up = timedelta(minutes=services.settings.aksi_reminder_catch_up_minutes)
    result = FollowUpReport()
    async with services.db.begin() as session:
        alumni = await _alumni(session, now)
        sent = await rules.sent_offsets(session, [p.id for p in alumni])
        due = [
            (p, d)
            for p in alumni
            if (d := rules.due_now(p, now, sent.get(p.id, set()), catch_up)) is not None
        ]
        if not due:
            return result
        reach = await reach_of(session, {p.person_id for p, _ in due})
        for participant, item in due:
            where = reach.get(participant.person_id)
            blocked = where is None or not where.reachable
            status = "late" if item.late else "unreachable" if blocked else "sending"
            row = await _claim(session, participant.id, item.offset, status, now)
            if row is None:
                continue  # another tick or worker took it
            if status != "sending":
                result.late += item.late
                result.unreachable += status == "unreachable"
                continue
            assert where is not None
            body, rows = compose(context, participant, item.offset, row)
            result.outgoing.append(Outgoing(participant.id, item.offset, where.address, body, rows,
                                            participant.language or ""))  # fmt: skip
    return result


async def _claim(
    session: AsyncSession, participant_id: int, offset: int, status: str, now: datetime
) -> int | None:
    """Insert the message's row unless one exists; its id when this caller claimed it."""
    claimed = await insert_once(
        session,
        FollowUp,
        participant_id=participant_id,
        offset_days=offset,
        status=status,
        asked_at=now.astimezone(UTC),
    )
    if not claimed:
        return None
    return await session.scalar(
        select(FollowUp.id).where(
            FollowUp.participant_id == participant_id, FollowUp.offset_days == offset
        )
    )


async def deliver(context: HasServices, item: Outgoing) -> Outcome:
    result = await context.services.send_unprompted(
        item.address, Outbound(item.body, item.rows, lang=item.lang, kind=FOLLOW_UP)
    )
    outcome = one_shot_outcome(result)
    if outcome != "sent":
        log.warning("follow-up to participant %s not sent (%s)", item.participant_id, outcome)
    return outcome


async def run_follow_up_tick(
    context: HasServices, now: datetime, compose: Compose
) -> FollowUpReport:
    """One tick: claim and compose the follow-up messages due, send them, record outcomes."""
    services = context.services
    result = await prepare(context, now, compose)

    async def record(session: AsyncSession, done: Sequence[tuple[Outgoing, Outcome]]) -> None:
        for item, outcome in done:
            await session.execute(
                update(FollowUp)
                .where(
                    FollowUp.participant_id == item.participant_id,
                    FollowUp.offset_days == item.offset,
                )
                .values(status=outcome)
            )
            if outcome == "unreachable":
                await mark_unreachable(session, item.address, now, services.people)

    outcomes = await send_all(services, result.outgoing, partial(deliver, context), record)
    result.count(outcomes, "follow-up", bool(result.outgoing))
    return result
