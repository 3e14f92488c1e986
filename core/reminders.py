"""A participant's reminders as rows: which ones they have (daily commitment at their own
times, evening follow-up, morning summary, "remind me in an hour"), when each is next due in
their own zone, and keeping the rows right whenever something they depend on changes (times,
days, a pause, the zone, the cohort's defaults).

Every reminder is a row with its next due instant in UTC (`reminders.next_due_at`, indexed); the
reminder job (`scheduler.reminder_job`, claiming through `scheduler.reminders`) asks for the
rows whose instant has come. A pause until a date (core.pauses) starts the rows on that local
date. "Remind me in an hour" is a one-off `snooze` row, deleted when it is taken; it is kept
when the settings change and dropped by a pause.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core import contacts
from core.errors import InvalidInput
from core.participants import effective_timezone
from core.pauses import paused_until
from core.reading import read_clock
from storage.models import Cohort, Participant, Reminder

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


def desired(participant: Participant, reachable: bool = True) -> list[tuple[str, str, bool]]:
    """(kind, local time, working days only) for every reminder the participant should get
    (none when `reachable` is False: no contact of theirs can be reached)."""
    if participant.reminders_paused or not reachable:
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


async def sync_reminders(
    session: AsyncSession, participant: Participant, now: datetime, reachable: bool | None = None
) -> None:
    """Make the participant's reminder rows match their settings and zone, from `now` on (from
    the day a pause ends, while it runs). A pending snooze stays unless reminders are off.
    `reachable`: whether a contact reaches them, when the caller knows (else it is read)."""
    tz = effective_timezone(participant)
    if reachable is None:
        reachable = await contacts.is_reachable(session, participant.person_id)
    rows = desired(participant, reachable)
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


async def sync_missing(session: AsyncSession, now: datetime) -> int:
    """Give reminder rows to reachable, unpaused participants who have none (e.g. joined
    before reminders existed). Returns how many participants were set up."""
    result = await session.scalars(
        select(Participant)
        .where(
            Participant.reminders_paused.is_(False),
            contacts.reachable(Participant.person_id),
            ~exists().where(Reminder.participant_id == Participant.id),
        )
        .options(selectinload(Participant.cohort))
    )
    count = 0
    for participant in result:
        await sync_reminders(session, participant, now, reachable=True)  # selected so
        count += 1
    return count


async def stop_reminders(session: AsyncSession, participant_id: int) -> None:
    await session.execute(delete(Reminder).where(Reminder.participant_id == participant_id))


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
