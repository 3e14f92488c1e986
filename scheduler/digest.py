"""The facilitators' daily digest: which cohorts' digests are due, and claiming a delivery.

A cohort's digest is due each day of the cohort at `Cohort.digest_time` (HH:MM in the cohort's
zone; None: no digest), for each of its facilitators who keep digests on. The repeating job asks
`digests_due(now)`: the latest digest time at or before `now` that nobody has been served for
yet. Within the catch-up window after it (downtime, a late tick) it is still sent; later it is
recorded as late and skipped. Before a digest goes out a `staff_deliveries` row keyed by
(facilitator, "digest", local date) is inserted: a second tick, an overlapping one or a restart
finds it taken, so each facilitator gets at most one digest a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.reminders import parse_clock
from storage.db import insert_once
from storage.models import Cohort, Staff, StaffDelivery

DIGEST = "digest"
OFF_WORDS = frozenset({"mati", "off"})
ON_WORDS = frozenset({"nyala", "hidup", "on"})


@dataclass(frozen=True)
class DigestDue:
    cohort: Cohort
    local_date: date  # the cohort's local date the digest is for
    occurrence: datetime  # when it was due (UTC)
    late: bool  # due longer ago than the catch-up window: skip it
    staff: list[Staff]  # the facilitators not served yet for that day


def latest_occurrence(digest_time: str, tz: str, now: datetime) -> tuple[date, datetime]:
    """The last instant at or before `now` when it was `digest_time` in `tz`: its local date
    and the instant (UTC)."""
    zone = ZoneInfo(tz)
    hour, minute = (int(x) for x in digest_time.split(":"))
    local_now = now.astimezone(zone)
    day = local_now.date()
    at = datetime.combine(day, time(hour, minute), zone)
    if at > local_now:
        day -= timedelta(days=1)
        at = datetime.combine(day, time(hour, minute), zone)
    return day, at.astimezone(UTC)


async def digests_due(session: AsyncSession, now: datetime, catch_up: timedelta) -> list[DigestDue]:
    """Each cohort whose latest digest time has come (within the cohort's dates) with the
    facilitators who have not had that day's digest; three queries whatever the number."""
    candidates: list[tuple[Cohort, date, datetime]] = []
    for cohort in await session.scalars(select(Cohort).where(Cohort.digest_time.is_not(None))):
        assert cohort.digest_time is not None
        day, at = latest_occurrence(cohort.digest_time, cohort.timezone, now)
        if cohort.starts_on <= day <= cohort.ends_on:
            candidates.append((cohort, day, at))
    if not candidates:
        return []
    ids = [c.id for c, _, _ in candidates]
    staff = list(
        await session.scalars(
            select(Staff)
            .where(Staff.cohort_id.in_(ids), Staff.digest_enabled.is_(True))
            .order_by(Staff.id)
        )
    )
    served: set[tuple[int, date]] = {
        (staff_id, day)
        for staff_id, day in await session.execute(
            select(StaffDelivery.staff_id, StaffDelivery.local_date).where(
                StaffDelivery.staff_id.in_([s.id for s in staff]),
                StaffDelivery.kind == DIGEST,
                StaffDelivery.local_date.in_({day for _, day, _ in candidates}),
            )
        )
    }
    found = []
    for cohort, day, at in candidates:
        waiting = [s for s in staff if s.cohort_id == cohort.id and (s.id, day) not in served]
        if waiting:
            found.append(DigestDue(cohort, day, at, now - at > catch_up, waiting))
    return found


async def claim(session: AsyncSession, staff_id: int, local_date: date, status: str) -> bool:
    """Insert the delivery row unless one exists; True when this caller owns the delivery."""
    return await insert_once(
        session,
        StaffDelivery,
        staff_id=staff_id,
        kind=DIGEST,
        local_date=local_date,
        status=status,
        created_at=datetime.now(UTC),
    )


async def set_status(session: AsyncSession, staff_id: int, local_date: date, status: str) -> None:
    await session.execute(
        update(StaffDelivery)
        .where(
            StaffDelivery.staff_id == staff_id,
            StaffDelivery.kind == DIGEST,
            StaffDelivery.local_date == local_date,
        )
        .values(status=status)
    )


async def set_own_digest(
    session: AsyncSession, cohort_id: int, person_id: int, value: str
) -> bool | None:
    """A facilitator turns the digest on ("nyala"/"on") or off ("mati"/"off") for themselves
    only. Returns the new setting, None when they are not a facilitator of the cohort (an admin
    without a facilitator row gets no digest); InvalidInput for another word."""
    word = value.strip().lower()
    if word not in OFF_WORDS | ON_WORDS:
        raise InvalidInput("report.usage")
    row = (
        await session.execute(
            select(Staff).where(Staff.cohort_id == cohort_id, Staff.person_id == person_id)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    row.digest_enabled = word in ON_WORDS
    return row.digest_enabled


async def set_digest_time(session: AsyncSession, cohort_id: int, value: str) -> str | None:
    """Set the cohort's digest time from what a facilitator typed: HH:MM (e.g. 17:30 or 17.30),
    or "mati"/"off" for none. Returns the stored value; InvalidInput for anything else."""
    word = value.strip().lower()
    chosen = None if word in OFF_WORDS else parse_clock(word)
    cohort = await session.get(Cohort, cohort_id)
    if cohort is None:
        raise InvalidInput("button.stale")
    cohort.digest_time = chosen
    return chosen
