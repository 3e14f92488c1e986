"""The mentor's weekly digest: every Monday at `DIGEST_AT`, in the zone of their first mentee,
one message per mentor listing each mentee's 7-day completion, late milestones, the plan
waiting for the mentor's approval and the consultations waiting for their confirmation.

Sent for the weeks a mentee's training runs (and the week after it ends). Like the
facilitators' digest (`scheduler.digest_job`), a `mentor_digests` row per mentor and week is
claimed and committed before anything is sent, so a restart or a second tick never sends it
twice; one due longer ago than the catch-up window is recorded as late and skipped. It knows
no channel: markup sent through the mentor's channel."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import consultations, milestones, reports
from core.approvals import Review
from core.channel import DIGEST, Address, Outbound, Outcome, one_shot_outcome
from core.contacts import reach_of
from core.habits import local_today
from core.i18n import Catalogs, Html, escape
from core.mentors import State
from core.numbers import percent
from core.participants import effective_timezone
from core.services import Services
from core.timefmt import long_date
from scheduler.reminders import mark_unreachable
from scheduler.sending import Outcomes, send_all
from storage.db import insert_once
from storage.mentoring import MentorDigest, Mentorship, PlanReview
from storage.models import Cohort, Participant

log = logging.getLogger(__name__)

DIGEST_AT = time(7, 0)  # Monday morning, the mentor's (their first mentee's) time
AFTER_END = timedelta(days=7)  # one more digest the week after a training ends


@dataclass(frozen=True)
class Mentee:
    participant: Participant
    cohort: Cohort
    language: str | None  # the mentor's, as last seen in this mentorship


@dataclass(frozen=True)
class Outgoing:
    person_id: int
    address: Address
    week_of: date
    body: str
    lang: str = ""


@dataclass
class MentorDigestReport(Outcomes):
    outgoing: list[Outgoing] = field(default_factory=list)


def latest_monday(tz: str, now: datetime) -> tuple[date, datetime]:
    """The last Monday DIGEST_AT in `tz` at or before `now`: its date and the instant (UTC)."""
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    monday = local_now.date() - timedelta(days=local_now.weekday())
    at = datetime.combine(monday, DIGEST_AT, zone)
    if at > local_now:
        monday -= timedelta(days=7)
        at = datetime.combine(monday, DIGEST_AT, zone)
    return monday, at.astimezone(UTC)


async def _mentees(session: AsyncSession) -> dict[int, list[Mentee]]:
    """Every mentor now with their mentees, first mentee first (one query)."""
    rows = await session.execute(
        select(Mentorship.mentor_person_id, Mentorship.mentor_language, Participant, Cohort)
        .join(Participant, Participant.id == Mentorship.participant_id)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .where(Mentorship.state == State.ACTIVE, Mentorship.mentor_person_id.is_not(None))
        .order_by(Mentorship.mentor_person_id, Participant.id)
    )
    found: dict[int, list[Mentee]] = defaultdict(list)
    for person_id, language, participant, cohort in rows.all():
        if person_id is not None:
            found[person_id].append(Mentee(participant, cohort, language))
    return found


async def prepare(services: Services, now: datetime) -> MentorDigestReport:
    """Claim every mentor digest due at `now` and compose it, in one transaction committed
    before anything is sent."""
    catch_up = timedelta(minutes=services.settings.aksi_reminder_catch_up_minutes)
    result = MentorDigestReport()
    async with services.db.begin() as session:
        due: list[tuple[int, list[Mentee], date, bool]] = []
        for person_id, mentees in (await _mentees(session)).items():
            monday, at = latest_monday(effective_timezone(mentees[0].participant), now)
            running = any(
                m.cohort.starts_on <= monday + timedelta(days=6)
                and monday <= m.cohort.ends_on + AFTER_END
                for m in mentees
            )
            if running:
                due.append((person_id, mentees, monday, now - at > catch_up))
        if not due:
            return result
        served = set(
            (
                await session.execute(
                    select(MentorDigest.person_id, MentorDigest.week_of).where(
                        MentorDigest.person_id.in_([p for p, _, _, _ in due])
                    )
                )
            ).all()
        )
        due = [d for d in due if (d[0], d[2]) not in served]
        reach = await reach_of(session, {p for p, _, _, _ in due})
        cohort_reports: dict[int, reports.CohortReport] = {}
        for person_id, mentees, monday, late in due:
            where = reach.get(person_id)
            status = "late" if late else "unreachable" if where is None else "sending"
            if not await _claim(session, person_id, monday, status) or where is None or late:
                result.late += late
                result.unreachable += status == "unreachable"
                continue
            for m in mentees:
                if m.cohort.id not in cohort_reports:
                    cohort_reports[m.cohort.id] = await reports.cohort_report(
                        session, m.cohort, now
                    )
            lang = next((m.language for m in mentees if m.language), None)
            lang = lang or services.settings.aksi_default_language
            body = await render(
                session, services.i18n, lang, person_id, mentees, cohort_reports, monday, now
            )
            result.outgoing.append(Outgoing(person_id, where.address, monday, body, lang))
    return result


async def _claim(session: AsyncSession, person_id: int, week_of: date, status: str) -> bool:
    return await insert_once(
        session,
        MentorDigest,
        person_id=person_id,
        week_of=week_of,
        status=status,
        created_at=datetime.now(UTC),
    )


async def render(
    session: AsyncSession,
    i18n: Catalogs,
    lang: str,
    person_id: int,
    mentees: list[Mentee],
    cohort_reports: dict[int, reports.CohortReport],
    monday: date,
    now: datetime,
) -> str:
    """The digest: one block per mentee, then where to act."""
    ids = [m.participant.id for m in mentees]
    today = {m.participant.id: local_today(now, effective_timezone(m.participant)) for m in mentees}
    steps = await milestones.tallies(session, ids, today)
    waiting_plans = set(
        await session.scalars(
            select(PlanReview.participant_id).where(
                PlanReview.participant_id.in_(ids), PlanReview.state == Review.WAITING
            )
        )
    )
    to_confirm: dict[int, int] = defaultdict(int)
    for record in await consultations.waiting_for(session, ids, mentor=person_id):
        to_confirm[record.participant_id] += 1
    lines = [i18n.text(lang, "mentor_digest.header", date=long_date(monday, lang), n=len(mentees))]
    for m in mentees:
        pid = m.participant.id
        person = next(
            (p for p in cohort_reports[m.cohort.id].people if p.participant_id == pid), None
        )
        week = percent(person.week.completion if person else None, lang)
        parts = [i18n.text(lang, "mentor_digest.week", percent=week)]
        counts = steps.get(pid)
        if counts is not None:
            parts.append(i18n.text(lang, "mentor_digest.milestones", done=counts.done,
                                   total=counts.total))  # fmt: skip
            if counts.overdue:
                late = Html("; ".join(escape(t) for t in counts.overdue_titles))
                parts.append(i18n.text(lang, "mentor_digest.late", n=counts.overdue, titles=late))
        if pid in waiting_plans:
            parts.append(i18n.text(lang, "mentor_digest.plan_waiting"))
        if to_confirm.get(pid):
            parts.append(i18n.text(lang, "mentor_digest.to_confirm", n=to_confirm[pid]))
        name = m.participant.full_name or m.participant.first_name or "?"
        lines.append(
            i18n.text(lang, "mentor_digest.mentee", name=name, code=m.cohort.code)
            + "\n   "
            + " · ".join(parts)
        )
    lines.append(i18n.text(lang, "mentor_digest.footer"))
    return "\n\n".join(lines)


async def deliver(services: Services, item: Outgoing) -> Outcome:
    result = await services.send_unprompted(
        item.address, Outbound(item.body, lang=item.lang, kind=DIGEST)
    )
    outcome = one_shot_outcome(result)
    if outcome != "sent":
        log.warning("mentor digest to %s not sent (%s)", item.person_id, outcome)
    return outcome


async def run_mentor_digest_tick(services: Services, now: datetime) -> MentorDigestReport:
    """One tick: claim and compose the mentor digests due, send them, record each outcome."""
    result = await prepare(services, now)

    async def record(session: AsyncSession, done: Sequence[tuple[Outgoing, Outcome]]) -> None:
        for item, outcome in done:
            await session.execute(
                update(MentorDigest)
                .where(
                    MentorDigest.person_id == item.person_id,
                    MentorDigest.week_of == item.week_of,
                )
                .values(status=outcome)
            )
            if outcome == "unreachable":
                await mark_unreachable(session, item.address, now, services.people)

    outcomes = await send_all(services, result.outgoing, partial(deliver, services), record)
    result.count(outcomes, "mentor digests", bool(result.outgoing))
    return result
