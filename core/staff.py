"""Roles: admins (from AKSI_ADMIN_IDS) manage every cohort; facilitators manage their own."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.contacts import telegram_ids
from storage.models import Cohort, Staff


async def managed_cohorts(session: AsyncSession, person_id: int, admin: bool) -> list[Cohort]:
    """The cohorts `person_id` may manage, newest first: all for an admin, else their own."""
    query = select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc())
    if not admin:
        query = query.join(Staff, Staff.cohort_id == Cohort.id).where(Staff.person_id == person_id)
    return list((await session.execute(query)).scalars())


async def can_manage(session: AsyncSession, person_id: int, cohort_id: int, admin: bool) -> bool:
    if admin:
        return True
    found = await session.execute(
        select(Staff.id).where(Staff.person_id == person_id, Staff.cohort_id == cohort_id)
    )
    return found.first() is not None


async def is_staff(session: AsyncSession, person_id: int, admin: bool) -> bool:
    if admin:
        return True
    found = await session.execute(select(Staff.id).where(Staff.person_id == person_id))
    return found.first() is not None


async def staff_rows(session: AsyncSession, person_id: int) -> list[Staff]:
    result = await session.execute(select(Staff).where(Staff.person_id == person_id))
    return list(result.scalars())


async def facilitators_of(session: AsyncSession, cohort_id: int) -> list[Staff]:
    result = await session.execute(
        select(Staff).where(Staff.cohort_id == cohort_id).order_by(Staff.added_at, Staff.id)
    )
    return list(result.scalars())


async def staff_telegram_ids(session: AsyncSession) -> list[int]:
    """The Telegram user ids of every facilitator who has one (for their command menu)."""
    people = await session.scalars(select(Staff.person_id).distinct())
    return sorted(set((await telegram_ids(session, people)).values()))


async def add_facilitator(
    session: AsyncSession, cohort: Cohort, person_id: int, added_by: int | None = None
) -> bool:
    """Make `person_id` a facilitator of `cohort`; False when they already were."""
    found = await session.execute(
        select(Staff).where(Staff.cohort_id == cohort.id, Staff.person_id == person_id)
    )
    if found.scalar_one_or_none() is not None:
        return False
    session.add(Staff(cohort_id=cohort.id, person_id=person_id, added_by=added_by))
    await session.flush()
    return True


async def remove_facilitator(session: AsyncSession, cohort: Cohort, person_id: int) -> bool:
    """Take `person_id` off `cohort`'s facilitators; False when they were not one."""
    result = await session.execute(
        delete(Staff).where(Staff.cohort_id == cohort.id, Staff.person_id == person_id)
    )
    return bool(getattr(result, "rowcount", 0))


# Telegram user ids have at most 52 significant bits (Bot API docs); a larger number would not
# fit the database's BIGINT either.
MAX_USER_ID = 2**52 - 1


class BadUserId(ValueError):
    """A typed Telegram user id that was refused: not one at all (`too_large` False: letters,
    0) or all digits but larger than any Telegram id (`too_large` True)."""

    def __init__(self, typed: str, *, too_large: bool) -> None:
        shown = repr(typed[:40])
        super().__init__(
            f"{shown} is too large for a Telegram user id (at most {MAX_USER_ID})"
            if too_large
            else f"{shown} is not a Telegram user id (digits only)"
        )
        self.typed, self.too_large = typed, too_large


def parse_user_id(text: str) -> int:
    """A Telegram user id typed by a person: digits only, 1 to MAX_USER_ID; BadUserId says
    which rule it broke."""
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        raise BadUserId(text, too_large=False)
    digits = text.lstrip("0")
    if not digits:
        raise BadUserId(text, too_large=False)
    # Compare lengths first: int() of thousands of digits is refused by Python itself.
    if len(digits) > len(str(MAX_USER_ID)) or int(digits) > MAX_USER_ID:
        raise BadUserId(text, too_large=True)
    return int(digits)
