"""Reminders: which ones a participant has, when each is next due, and claiming a delivery.

Every reminder is a row with its next due instant in UTC (`reminders.next_due_at`, indexed); a
single repeating job asks for the rows whose instant has come. Before a message goes out, a
`deliveries` row keyed by (participant, kind, local date, slot) is inserted: a second tick, an
overlapping one, or a restart finds it taken, so each reminder is sent at most once.

A pause until a date (core.pauses) starts the rows on that local date. "Remind me in an hour"
is a one-off `snooze` row, deleted when it is taken; it is kept when the settings change and
dropped by a pause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, false, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.errors import InvalidInput
from core.participants import effective_timezone
from core.pauses import paused_until
from core.reading import read_clock
from storage.db import insert_once
from storage.models import Cohort, Delivery, Participant, Reminder, Session

DAILY = "daily"
EVENING = "evening"
MORNING = "morning"
SESSION = "session"
PLAN_NUDGE = "plan_nudge"  # once: someone still without a plan, a day after joining
SNOOZE = "snooze"  # a daily reminder once more, an hour after "remind me in an hour"
SNOOZE_DELAY = timedelta(hours=1)
MAX_DAILY_TIMES = 3


def parse_clock(text: str) -> str:
    """'7.30' or '07:30' → '07:30'; `core.reading.BadTime` for anything else (impossible,
    like 25:00, or not a time)."""
    return read_clock(text).strftime("%H:%M")


def daily_times(participant: Participant) -> list[str]:
    raw = participant.reminder_times
    if raw is None:
        return [participant.cohort.reminder_time]
    return [t for t in raw.split(",") if t]


def next_occurrence(local_time: str, tz: str, after: datetime, workdays_only: bool) -> datetime:
    """The first instant strictly after `after` when it is `local_time` in `tz` (UTC)."""
    zone = ZoneInfo(tz)
    hour, minute = (int(x) for x in local_time.split(":"))
    local_after = after.astimezone(zone)
    day = local_after.date()
    while True:
        candidate = datetime.combine(day, time(hour, minute), zone)
        if candidate > local_after and not (workdays_only and day.weekday() >= 5):
            return candidate.astimezone(UTC)
        day += timedelta(days=1)


def desired(participant: Participant) -> list[tuple[str, str, bool]]:
    """(kind, local time, working days only) for every reminder the participant should get."""
    if participant.reminders_paused or participant.unreachable_at is not None:
        return []
    workdays = participant.reminder_workdays_only
    rows = [(DAILY, t, workdays) for t in daily_times(participant)]
    cohort = participant.cohort
    if cohort.evening_time:
        rows.append((EVENING, cohort.evening_time, workdays))
    if cohort.morning_summary_time:
        rows.append((MORNING, cohort.morning_summary_time, False))
    return rows


def resumes_at(participant: Participant, now: datetime) -> datetime | None:
    """The instant a pause until a date ends (local midnight of that date), while it runs."""
    tz = effective_timezone(participant)
    until = paused_until(participant, local_day(now, tz))
    if until is None:
        return None
    return datetime.combine(until, time(0), ZoneInfo(tz)).astimezone(UTC)


def local_day(at: datetime, tz: str) -> date:
    return at.astimezone(ZoneInfo(tz)).date()


async def sync_reminders(session: AsyncSession, participant: Participant, now: datetime) -> None:
    """Make the participant's reminder rows match their settings and zone, from `now` on (from
    the day a pause ends, while it runs). A pending snooze stays unless reminders are off."""
    tz = effective_timezone(participant)
    rows = desired(participant)
    back = resumes_at(participant, now)
    start = now if back is None else back - timedelta(microseconds=1)
    mine = Reminder.participant_id == participant.id
    keep_snooze = bool(rows) and back is None
    await session.execute(delete(Reminder).where(mine, Reminder.kind != SNOOZE))
    if not keep_snooze:
        await session.execute(delete(Reminder).where(mine, Reminder.kind == SNOOZE))
    for kind, local_time, workdays in rows:
        session.add(
            Reminder(
                participant_id=participant.id,
                kind=kind,
                local_time=local_time,
                next_due_at=next_occurrence(local_time, tz, start, workdays),
            )
        )
    await session.flush()


async def snooze(session: AsyncSession, participant: Participant, now: datetime) -> datetime:
    """Send the day's reminder once more in an hour; the instant it comes (UTC). One is
    pending at a time: pressing again (a double tap) keeps it. InvalidInput when an hour from
    now is already the next local day."""
    pending = await session.scalar(
        select(Reminder).where(Reminder.participant_id == participant.id, Reminder.kind == SNOOZE)
    )
    if pending is not None:
        return pending.next_due_at
    tz = effective_timezone(participant)
    due = now + SNOOZE_DELAY
    if local_day(due, tz) != local_day(now, tz):
        raise InvalidInput("reminders.snooze_too_late")
    session.add(
        Reminder(
            participant_id=participant.id,
            kind=SNOOZE,
            local_time=due.astimezone(ZoneInfo(tz)).strftime("%H:%M"),
            next_due_at=due,
        )
    )
    await session.flush()
    return due


async def snooze_pending(session: AsyncSession, participant_id: int) -> bool:
    """Whether "remind me in an hour" is waiting (the regular reminders keep quiet till then)."""
    found = await session.scalar(
        select(Reminder.id).where(
            Reminder.participant_id == participant_id, Reminder.kind == SNOOZE
        )
    )
    return found is not None


async def sync_missing(session: AsyncSession, now: datetime) -> int:
    """Give reminder rows to reachable, unpaused participants who have none (e.g. joined
    before reminders existed). Returns how many participants were set up."""
    result = await session.scalars(
        select(Participant)
        .where(
            Participant.reminders_paused.is_(False),
            Participant.unreachable_at.is_(None),
            ~exists().where(Reminder.participant_id == Participant.id),
        )
        .options(selectinload(Participant.cohort))
    )
    count = 0
    for participant in result:
        await sync_reminders(session, participant, now)
        count += 1
    return count


@dataclass(frozen=True)
class Due:
    reminder: Reminder
    participant: Participant
    occurrence: datetime  # when it was due (UTC)
    local_date: date  # the participant's local date it is for
    late: bool  # due longer ago than the catch-up window: skip it


async def take_due(
    session: AsyncSession, now: datetime, catch_up: timedelta, limit: int = 2000
) -> list[Due]:
    """The reminder rows due by `now`, each moved on to its next occurrence (in this
    transaction): a restart cannot see the same occurrence twice once it is committed.

    Two ticks at once: on SQLite the first statement takes the write lock, so a second tick
    waits and then reads the rows already moved on; on PostgreSQL the rows are locked and a
    second tick skips them."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(update(Reminder).where(false()).values(kind=Reminder.kind))
    result = await session.execute(
        select(Reminder, Participant)
        .join(Participant, Participant.id == Reminder.participant_id)
        .where(Reminder.next_due_at <= now)
        .order_by(Reminder.next_due_at)
        .limit(limit)
        .options(selectinload(Participant.cohort))
        .with_for_update(of=Reminder, skip_locked=True)
    )
    due = []
    for reminder, participant in result:
        tz = effective_timezone(participant)
        occurrence = reminder.next_due_at
        workdays = participant.reminder_workdays_only and reminder.kind != MORNING
        if reminder.kind == SNOOZE:
            await session.delete(reminder)  # once only
        else:
            # After a long downtime, jump to the next occurrence after now (missed ones are late).
            reminder.next_due_at = next_occurrence(
                reminder.local_time, tz, max(now, occurrence), workdays
            )
        local_date = occurrence.astimezone(ZoneInfo(tz)).date()
        due.append(Due(reminder, participant, occurrence, local_date, now - occurrence > catch_up))
    return due


async def claim(
    session: AsyncSession, participant_id: int, kind: str, local_date: date, slot: str, status: str
) -> bool:
    """Insert the delivery row unless one exists; True when this caller owns the delivery."""
    return await insert_once(
        session,
        Delivery,
        participant_id=participant_id,
        kind=kind,
        local_date=local_date,
        slot=slot,
        status=status,
        created_at=datetime.now(UTC),
    )


async def plan_nudge_due(session: AsyncSession, participant: Participant, day: date) -> bool:
    """Someone without a plan gets one friendly nudge, with their daily reminder of the first
    local day after the one they joined ("tomorrow", as the offer after joining says), and
    never again: True once, recording it (in the claiming transaction)."""
    joined_on = participant.joined_at.astimezone(ZoneInfo(effective_timezone(participant))).date()
    if day <= joined_on:
        return False
    nudged = await session.scalar(
        select(Delivery.id)
        .where(Delivery.participant_id == participant.id, Delivery.kind == PLAN_NUDGE)
        .limit(1)
    )
    if nudged is not None:
        return False
    return await claim(session, participant.id, PLAN_NUDGE, day, "once", "sent")


async def set_status(
    session: AsyncSession, participant_id: int, kind: str, local_date: date, slot: str, status: str
) -> None:
    delivery = await session.scalar(
        select(Delivery).where(
            Delivery.participant_id == participant_id,
            Delivery.kind == kind,
            Delivery.local_date == local_date,
            Delivery.slot == slot,
        )
    )
    if delivery is not None:
        delivery.status = status


async def stop_reminders(session: AsyncSession, participant_id: int) -> None:
    await session.execute(delete(Reminder).where(Reminder.participant_id == participant_id))


async def mark_unreachable(session: AsyncSession, participant_id: int, now: datetime) -> None:
    """Telegram said the person blocked the bot (or the chat is gone): stop their reminders."""
    participant = await session.get(Participant, participant_id)
    if participant is None:
        return
    participant.unreachable_at = now
    await session.execute(delete(Reminder).where(Reminder.participant_id == participant_id))


@dataclass(frozen=True)
class SessionDue:
    session: Session
    participants: Sequence[Participant]
    late: bool


async def sessions_due(
    session: AsyncSession, now: datetime, catch_up: timedelta
) -> list[SessionDue]:
    """Sessions whose reminder time (start minus the cohort's lead) has come and that have
    not started yet, with the participants who get reminders."""
    result = await session.execute(
        select(Session, Cohort)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(Session.starts_at > now, Session.starts_at <= now + timedelta(hours=24))
    )
    found = []
    for s, cohort in result:
        remind_at = s.starts_at - timedelta(minutes=cohort.session_lead_minutes)
        if remind_at > now:
            continue
        members = await session.scalars(
            select(Participant)
            .where(
                Participant.cohort_id == cohort.id,
                Participant.reminders_paused.is_(False),
                Participant.unreachable_at.is_(None),
            )
            .options(selectinload(Participant.cohort))
        )
        reminded = [p for p in members if resumes_at(p, now) is None]  # not paused till a date
        found.append(SessionDue(s, reminded, now - remind_at > catch_up))
    return found


async def set_cohort_reminders(
    session: AsyncSession,
    cohort: Cohort,
    now: datetime,
    *,
    reminder_time: str | None = None,
    evening_time: str | None = None,
    morning_time: str | None = None,
    session_lead_minutes: int | None = None,
) -> int:
    """Change a cohort's reminder defaults ("off" turns the evening or morning one off) and
    move every participant's reminders accordingly. Returns how many participants moved."""
    if reminder_time is not None:
        cohort.reminder_time = parse_clock(reminder_time)
    if evening_time is not None:
        cohort.evening_time = None if evening_time == "off" else parse_clock(evening_time)
    if morning_time is not None:
        cohort.morning_summary_time = None if morning_time == "off" else parse_clock(morning_time)
    if session_lead_minutes is not None:
        if not 0 < session_lead_minutes <= 24 * 60:
            raise InvalidInput("the session lead must be 1 to 1440 minutes")
        cohort.session_lead_minutes = session_lead_minutes
    members = await session.scalars(
        select(Participant)
        .where(Participant.cohort_id == cohort.id)
        .options(selectinload(Participant.cohort))
    )
    count = 0
    for participant in members:
        await sync_reminders(session, participant, now)
        count += 1
    return count
