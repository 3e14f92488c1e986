"""Who facilitates which cohort: listing and changing it (the CLI and the admins' chat command)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.channel import TELEGRAM, Address
from core.cohorts import get_cohort
from core.contacts import channel_ids, find_person, is_admin, person_for, telegram_ids
from core.staff import add_facilitator, facilitators_of, is_staff, remove_facilitator
from storage.models import Cohort, Participant, Staff


@dataclass(frozen=True)
class Facilitator:
    user_id: int | None  # their Telegram user id (None: they have none)
    name: str | None  # from their profile, when they have also joined a cohort
    staff: Staff
    whatsapp: str | None = None  # "whatsapp:<number>", when that is how they are known


@dataclass(frozen=True)
class CohortStaff:
    cohort: Cohort
    facilitators: list[Facilitator]


@dataclass(frozen=True)
class StaffChange:
    cohort: Cohort
    user_id: int
    channel: str  # whose id `user_id` is
    changed: bool  # False: they already were (add) / were not (remove) a facilitator of it
    still_staff: bool  # an admin or a facilitator of some cohort after the change


async def _names(session: AsyncSession, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    result = await session.execute(
        select(Participant.person_id, Participant.full_name, Participant.first_name)
        .where(Participant.person_id.in_(person_ids))
        .order_by(Participant.joined_at, Participant.id)
    )
    names: dict[int, str] = {}
    for person_id, full_name, first_name in result:
        if full_name or first_name:
            names[int(person_id)] = full_name or first_name  # the latest membership wins
    return names


async def staff_listing(session: AsyncSession, code: str | None = None) -> list[CohortStaff]:
    """Each cohort (or only `code`) with its facilitators, in the order they were added."""
    if code is not None:
        cohorts = [await get_cohort(session, code)]
    else:
        result = await session.scalars(select(Cohort).order_by(Cohort.starts_on, Cohort.code))
        cohorts = list(result)
    rows = {c.id: await facilitators_of(session, c.id) for c in cohorts}
    people = {s.person_id for r in rows.values() for s in r}
    names, ids = await _names(session, people), await telegram_ids(session, people)
    numbers = await channel_ids(session, people, ("whatsapp",))
    return [
        CohortStaff(
            c,
            [
                Facilitator(
                    ids.get(s.person_id),
                    names.get(s.person_id),
                    s,
                    f"whatsapp:{numbers[s.person_id]}" if s.person_id in numbers else None,
                )
                for s in rows[c.id]
            ],
        )
        for c in cohorts
    ]


async def change_facilitator(
    session: AsyncSession,
    code: str,
    user_id: int,
    *,
    add: bool,
    admin_ids: Iterable[int],
    now: datetime,
    by: int | None = None,
    channel: str = TELEGRAM,
) -> StaffChange:
    """Make the Telegram user `user_id` a facilitator of the cohort `code` (a person, made if
    they have never written), or take them off it. `by`: the person who asked; `channel`: the
    channel whose ids are Telegram's (the in-memory one of the tests mirrors them)."""
    cohort = await get_cohort(session, code)
    where = Address(channel, str(user_id))
    admin = is_admin(where, admin_ids)
    if add:
        person_id = (await person_for(session, where, now)).person_id
        changed = await add_facilitator(session, cohort, person_id, added_by=by)
    else:
        found = await find_person(session, where)
        if found is None:  # never seen: a facilitator of nothing
            return StaffChange(cohort, user_id, channel, False, admin)
        person_id = found
        changed = await remove_facilitator(session, cohort, person_id)
    await session.flush()
    still = await is_staff(session, person_id, admin)
    return StaffChange(cohort, user_id, channel, changed, still)
