"""The facilitators' daily digest: at the cohort's digest time, each facilitator gets one
message naming who is not complete today (name and unit, with how far each got) and who is —
by the rule of /rekap (`core.reports.day_state`).

The repeating job (`run_digest_tick`, started by `bot.runner` next to the reminder job) claims one
`staff_deliveries` row per facilitator and day, committed before anything is sent, so a
restart or an overlapping tick never sends a digest twice (see `scheduler.digest`). It knows no
channel: the digest is markup sent through the facilitator's channel (`core.channel`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from core import reports
from core.channel import DIGEST, Address, Outbound, Outcome, one_shot_outcome
from core.contacts import reach_of
from core.habits import local_today
from core.htmlsplit import TELEGRAM_MAX_TEXT
from core.i18n import Catalogs, Html, escape
from core.report_lines import person_line
from core.reports import CohortReport, DayState
from core.services import Services
from core.timefmt import long_date
from scheduler import digest
from scheduler.reminders import mark_unreachable
from scheduler.sending import Outcomes, send_all

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    staff_id: int
    address: Address
    local_date: date
    body: str
    lang: str = ""


@dataclass
class DigestReport(Outcomes):
    outgoing: list[Outgoing] = field(default_factory=list)


def render_digest(i18n: Catalogs, lang: str, report: CohortReport, day: date) -> str:
    """One message, within the channel's limit: long lists are cut with "… and N more"."""
    for limit in (200, 60, 30, 15, 5, 0):
        body = _digest(i18n, lang, report, day, limit)
        if len(body) <= TELEGRAM_MAX_TEXT:
            return body
    return body[:TELEGRAM_MAX_TEXT]  # unreachable in practice


def _more(i18n: Catalogs, lang: str, hidden: int) -> str:
    return i18n.text(lang, "digest.more", n=hidden)


def _digest(i18n: Catalogs, lang: str, report: CohortReport, day: date, limit: int) -> str:
    cohort = report.cohort
    blocks = [
        i18n.text(lang, "digest.header", code=cohort.code, date=long_date(day, lang)),
    ]
    if not report.people:
        blocks.append(i18n.text(lang, "digest.no_participants"))
    else:
        waiting = report.in_state(DayState.NOT_YET, DayState.PARTLY, DayState.NO_PLAN)
        if waiting:
            lines = [
                i18n.text(lang, "digest.not_complete", n=len(waiting), total=len(report.people))
            ]
            for person in waiting[:limit]:
                line = person_line(i18n, lang, person)
                if person.state == DayState.NO_PLAN:
                    line += " · " + i18n.text(lang, "report.state_no_plan")
                lines.append(line)
            if len(waiting) > limit:
                lines.append(_more(i18n, lang, len(waiting) - limit))
            blocks.append("\n".join(lines))
        else:
            blocks.append(i18n.text(lang, "digest.all_complete"))
        done = report.in_state(DayState.COMPLETE)
        if done:
            names = ", ".join(escape(p.name) for p in done[:limit])
            if len(done) > limit:
                names += " " + _more(i18n, lang, len(done) - limit)
            blocks.append(i18n.text(lang, "digest.done", n=len(done), names=Html(names)))
        resting = report.in_state(DayState.NOTHING_DUE)
        if resting:
            blocks.append(i18n.text(lang, "digest.nothing_due", n=len(resting)))
    if report.not_joined:
        blocks.append(i18n.text(lang, "digest.not_joined", n=len(report.not_joined)))
    blocks.append(i18n.text(lang, "digest.footer"))
    return "\n\n".join(blocks)


async def prepare(services: Services, now: datetime) -> DigestReport:
    """Claim every digest due at `now` and compose it, in one transaction committed before
    anything is sent."""
    catch_up = timedelta(minutes=services.settings.aksi_reminder_catch_up_minutes)
    default = services.settings.aksi_default_language
    result = DigestReport()
    async with services.db.begin() as session:
        for due in await digest.digests_due(session, now, catch_up):
            cohort, day = due.cohort, due.local_date
            if due.late:
                for staff in due.staff:
                    if await digest.claim(session, staff.id, day, "late"):
                        result.late += 1
                log.info(
                    "skipped the %s digest of %s due at %s (over %s late)",
                    day, cohort.code, due.occurrence.isoformat(), catch_up,
                )  # fmt: skip
                continue
            # Caught up after midnight: the figures of the day the digest is for.
            at = now if local_today(now, cohort.timezone) == day else due.occurrence
            report = await reports.cohort_report(session, cohort, at)
            bodies: dict[str, str] = {}
            reach = await reach_of(session, {s.person_id for s in due.staff})
            for staff in due.staff:
                # A contact marked unreachable by an earlier digest is tried again: each day's
                # digest is tried afresh (`deliver`), to the contact they were last reached on.
                where = reach.get(staff.person_id)
                if where is None:
                    if await digest.claim(session, staff.id, day, "unreachable"):
                        result.unreachable += 1
                    continue
                if not await digest.claim(session, staff.id, day, "sending"):
                    continue
                lang = staff.language or default
                if lang not in bodies:
                    bodies[lang] = render_digest(services.i18n, lang, report, day)
                result.outgoing.append(Outgoing(staff.id, where.address, day, bodies[lang], lang))
    return result


async def deliver(services: Services, item: Outgoing) -> Outcome:
    """Send one digest (paced, on the channel's bulk side); the outcome for its delivery row.
    Blocked or gone: recorded, not retried (the next day's digest is tried afresh)."""
    result = await services.send_unprompted(
        item.address, Outbound(item.body, lang=item.lang, kind=DIGEST)
    )
    outcome = one_shot_outcome(result)
    if outcome != "sent":
        reason = getattr(result, "reason", "")
        log.warning("digest to facilitator %s not sent (%s): %s", item.staff_id, outcome, reason)
    return outcome


async def run_digest_tick(services: Services, now: datetime) -> DigestReport:
    """One tick: claim and compose the digests due, then send them side by side and record
    each outcome."""
    result = await prepare(services, now)

    async def record(session: AsyncSession, done: Sequence[tuple[Outgoing, Outcome]]) -> None:
        for item, outcome in done:
            await digest.set_status(session, item.staff_id, item.local_date, outcome)
            if outcome == "unreachable":
                await mark_unreachable(session, item.address, now, services.people)

    outcomes = await send_all(services, result.outgoing, partial(deliver, services), record)
    result.count(outcomes, "digests", bool(result.outgoing))
    return result
