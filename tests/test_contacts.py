"""People and their contacts (`core.contacts`): one person per address however often they
write, the handle and "reachable" kept up to date, a job reaching the contact written from
most recently that still works, and no identity crossing channels: the same number on another
channel is somebody else, and never an admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import contacts
from core.channel import TELEGRAM, Address, Sender
from core.contacts import Arrivals
from core.participants import Writer, join_cohort
from core.reminders import sync_reminders
from scheduler import reminders as rem
from storage.models import Contact, Person, Reminder
from tests.conftest import make_cohort

pytestmark = pytest.mark.databases("sqlite", "postgresql")

NOW = datetime(2021, 9, 3, 1, 0, tzinfo=UTC)
BUDI = Address(TELEGRAM, "1001")
BUDI_MEMORY = Address("memory", "1001")
BUDI_WA = Address("whatsapp", "1001")  # the same digits on another channel: another person


def sender(where: Address, username: str = "") -> Sender:
    return Sender(where, "Budi Santoso", username, "id", "Budi")


async def count(session: AsyncSession, model: type[Person] | type[Contact]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_one_person_per_address_however_often_they_write(
    db: async_sessionmaker[AsyncSession],
) -> None:
    async with db.begin() as session:
        first = await contacts.arrive(session, sender(BUDI, "budi_s"), NOW)
        again = await contacts.arrive(session, sender(BUDI, "budi_new"), NOW + timedelta(hours=1))
        other = await contacts.arrive(session, sender(BUDI_WA), NOW)
    assert first.person_id == again.person_id and not first.came_back
    assert other.person_id != first.person_id  # no identity crosses channels by its digits
    async with db() as session:
        assert await count(session, Person) == 2 and await count(session, Contact) == 2
        contact = await contacts.contact_at(session, BUDI)
        assert contact is not None and contact.username == "budi_new"  # the handle follows
        assert contact.last_inbound_at == NOW + timedelta(hours=1)
        assert await contacts.find_person(session, BUDI) == first.person_id
        assert await contacts.find_person(session, Address(TELEGRAM, "999")) is None


async def test_admins_are_telegram_ids_on_telegram_only() -> None:
    admins = (1001,)
    assert contacts.is_admin(BUDI, admins) and contacts.is_admin(BUDI_MEMORY, admins)
    assert not contacts.is_admin(BUDI_WA, admins)  # the same number on WhatsApp is not him
    assert not contacts.is_admin(Address(TELEGRAM, "1002"), admins)
    assert not contacts.is_admin(Address(TELEGRAM, "10o1"), admins)  # forged, not digits


async def test_a_job_reaches_the_contact_written_from_last_that_still_works(
    db: async_sessionmaker[AsyncSession],
) -> None:
    """Budi writes on Telegram, then on a second channel: his reminder goes to the second; when
    that one is blocked it goes back to Telegram; when both are, his reminders stop — until he
    writes again, which brings them back."""
    cohort = await make_cohort(db)
    async with db.begin() as session:
        arrival = await contacts.arrive(session, sender(BUDI), NOW - timedelta(days=1))
        other = Contact(
            person_id=arrival.person_id, channel="memory", external_id="1001",
            last_inbound_at=NOW - timedelta(hours=1), created_at=NOW,
        )  # fmt: skip
        session.add(other)
        joined = await join_cohort(session, Writer(arrival.person_id, "Budi"), cohort.code, NOW)
        assert joined is not None
        await sync_reminders(session, joined.participant, NOW)
    person = arrival.person_id

    async def due_to() -> Address | None:
        async with db.begin() as session:
            await session.execute(
                Reminder.__table__.update().values(next_due_at=NOW - timedelta(minutes=1))
            )
        async with db() as session:
            taken = await rem.find_due(session, NOW, timedelta(minutes=30))
        assert taken, "no reminder due"
        return taken[0].address

    assert await due_to() == BUDI_MEMORY
    async with db() as session:
        reach = await contacts.reach_of(session, [person])
    assert reach[person].address == BUDI_MEMORY and reach[person].reachable

    async with db.begin() as session:
        await rem.mark_unreachable(session, BUDI_MEMORY, NOW, Arrivals())
    assert await due_to() == BUDI  # his other contact still works: reminders go on

    async with db.begin() as session:
        await rem.mark_unreachable(session, BUDI, NOW, Arrivals())
        left = await session.scalar(select(func.count()).select_from(Reminder))
        gone = await contacts.unreachable_people(session, [person])
        reach = await contacts.reach_of(session, [person])
    assert left == 0 and gone == {person}  # nothing reaches him: his reminders stop
    assert not reach[person].reachable  # the outbox still knows where it last reached him

    async with db.begin() as session:
        back = await contacts.arrive(session, sender(BUDI), NOW + timedelta(days=1))
    assert back.came_back and back.person_id == person
    async with db() as session:
        assert await contacts.unreachable_people(session, [person]) == set()


async def test_a_contact_unknown_to_the_database_is_nobody_to_mark(
    db: async_sessionmaker[AsyncSession],
) -> None:
    async with db.begin() as session:
        assert await contacts.mark_unreachable(session, Address(TELEGRAM, "4242"), NOW) is None
        assert await count(session, Person) == 0


def test_arrivals_write_a_contact_at_most_every_few_minutes_and_forget() -> None:
    seen = Arrivals(size=2)
    assert not seen.fresh(BUDI, NOW) and seen.person(BUDI) is None
    seen.note(BUDI, 7, NOW)
    assert seen.person(BUDI) == 7 and seen.fresh(BUDI, NOW + contacts.TOUCH_EVERY / 2)
    assert not seen.fresh(BUDI, NOW + contacts.TOUCH_EVERY)  # stale: written again
    assert not seen.fresh(BUDI, NOW - timedelta(seconds=1))  # a clock gone back: written
    seen.forget(BUDI)  # marked unreachable: the next message clears the mark at once
    assert not seen.fresh(BUDI, NOW) and seen.person(BUDI) is None
    for n, where in enumerate((BUDI, BUDI_MEMORY, BUDI_WA)):
        seen.note(where, n, NOW)
    assert seen.person(BUDI) is None and seen.person(BUDI_WA) == 2  # the oldest went first
