"""People in tests: a Telegram user id (or the in-memory channel's same number) to the person
Aksi keeps for it (`core.contacts`), for tests that write or read the database directly."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.channel import TELEGRAM, Address
from core.cohorts import get_cohort
from core.contacts import TELEGRAM_IDS, person_for
from core.staff import add_facilitator
from storage.models import Cohort, Contact

SEEN = datetime(2021, 9, 1, tzinfo=UTC)


async def new_person(
    session: AsyncSession, user_id: int, channel: str = TELEGRAM, username: str | None = None
) -> int:
    """The person of `user_id` on `channel`, made (with their contact) if new."""
    contact = await person_for(session, Address(channel, str(user_id)), SEEN, username)
    return contact.person_id


async def facilitator_of(
    db: async_sessionmaker[AsyncSession], code: str, chat_kind: str, user_id: int = 9001
) -> Cohort:
    """Make `user_id` (on the test's channel) a facilitator of cohort `code`; the cohort."""
    async with db.begin() as session:
        cohort = await get_cohort(session, code)
        await add_facilitator(session, cohort, await new_person(session, user_id, chat_kind))
    return cohort


def person_of(user_id: int) -> ColumnElement[int]:
    """The person who writes as `user_id` (on Telegram or the in-memory channel), for a query:
    `select(Participant).where(Participant.person_id == person_of(1001))`."""
    return (
        select(Contact.person_id)
        .where(Contact.external_id == str(user_id), Contact.channel.in_(TELEGRAM_IDS))
        .limit(1)
        .scalar_subquery()
    )


def user_of(person_id: ColumnElement[int] | object) -> ColumnElement[str]:
    """The Telegram (or in-memory) id of a person, for a query's columns."""
    return (
        select(Contact.external_id)
        .where(Contact.person_id == person_id, Contact.channel.in_(TELEGRAM_IDS))
        .limit(1)
        .scalar_subquery()
    )
