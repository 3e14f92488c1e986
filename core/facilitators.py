"""Who facilitates which cohort: listing and changing it (the CLI and the admins' chat command)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cohorts import get_cohort
from core.staff import add_facilitator, facilitators_of, is_staff, remove_facilitator
from storage.models import Cohort, Participant, Staff


@dataclass(frozen=True)
class Facilitator:
    user_id: int
    name: str | None  # from their profile, when they have also joined a cohort
    staff: Staff


@dataclass(frozen=True)
class CohortStaff:
    cohort: Cohort
    facilitators: list[Facilitator]


@dataclass(frozen=True)
class StaffChange:
    cohort: Cohort
    user_id: int
    changed: bool  # False: they already were (add) / were not (remove) a facilitator of it
    still_staff: bool  # an admin or a facilitator of some cohort after the change


async def _names(session: AsyncSession, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    result = await session.execute(
        select(Participant.telegram_user_id, Participant.full_name, Participant.first_name)
        .where(Participant.telegram_user_id.in_(user_ids))
        .order_by(Participant.joined_at, Participant.id)
    )
    names: dict[int, str] = {}
    for user_id, full_name, first_name in result:
        if full_name or first_name:
            names[int(user_id)] = full_name or first_name  # the latest membership wins
    return names


async def staff_listing(session: AsyncSession, code: str | None = None) -> list[CohortStaff]:
    """Each cohort (or only `code`) with its facilitators, in the order they were added."""
    if code is not None:
        cohorts = [await get_cohort(session, code)]
    else:
        result = await session.scalars(select(Cohort).order_by(Cohort.starts_on, Cohort.code))
        cohorts = list(result)
    rows = {c.id: await facilitators_of(session, c.id) for c in cohorts}
    names = await _names(session, {s.telegram_user_id for r in rows.values() for s in r})
    return [
        CohortStaff(
            c,
            [Facilitator(s.telegram_user_id, names.get(s.telegram_user_id), s) for s in rows[c.id]],
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
    by: int | None = None,
) -> StaffChange:
    """Make `user_id` a facilitator of the cohort `code`, or take them off it."""
    cohort = await get_cohort(session, code)
    if add:
        changed = await add_facilitator(session, cohort, user_id, added_by=by)
    else:
        changed = await remove_facilitator(session, cohort, user_id)
    await session.flush()
    return StaffChange(cohort, user_id, changed, await is_staff(session, user_id, admin_ids))
