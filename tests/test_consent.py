"""Consent (issue 15, item 2: `handlers.consent`, `core.contacts.opt_out`/`opt_in`): BERHENTI
(or STOP, /berhenti) stops everything sent unasked, on every contact of the person, while what
they ask is still answered; MULAI (RESUME, /mulai) or START takes it back; joining is an
explicit opt-in recorded with its time and words. Another person's BERHENTI changes nothing of
theirs."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.memory import MemoryChannel
from core.channel import Address, Sender
from core.contacts import is_reachable, reach_of
from core.keywords import read_typed
from handlers import COMMAND_WORDS
from storage.models import Contact
from tests.conftest import NOW, make_cohort
from tests.harness_memory import engine_on

pytestmark = pytest.mark.databases("sqlite", "postgresql")

BUDI = Sender(Address("whatsapp", "6281234567890"), "Budi Santoso")
ANI = Sender(Address("whatsapp", "6281298765432"), "Ani")


async def consent(db: async_sessionmaker[AsyncSession], who: Sender) -> tuple[object, ...]:
    async with db() as session:
        contact = await session.scalar(
            select(Contact).where(Contact.external_id == who.address.external_id)
        )
        assert contact is not None
        reachable = await is_reachable(session, contact.person_id)
        reach = (await reach_of(session, [contact.person_id]))[contact.person_id]
        return (
            contact.opted_out_at,
            contact.opted_in_at,
            contact.opt_in_text,
            reachable,
            reach.reachable,
        )


async def test_stop_and_start_again_by_words(
    engine: AsyncEngine, db: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    await make_cohort(db)
    channel = MemoryChannel(name="whatsapp", check_whatsapp=True)
    bot = engine_on(channel, engine, db_url, NOW)

    async def say(who: Sender, text: str) -> str:
        await bot.handle(channel, read_typed(who, text, text, COMMAND_WORDS))
        return channel.to(who.address)[-1].text

    await say(BUDI, "GABUNG REVMEN1")
    await say(ANI, "GABUNG REVMEN1")
    assert await consent(db, BUDI) == (None, NOW, "GABUNG REVMEN1", True, True)
    assert "tidak akan mengirim pesan lagi" in await say(BUDI, "BERHENTI")
    assert await consent(db, BUDI) == (NOW, NOW, "GABUNG REVMEN1", False, False)
    assert "sudah berhenti" in await say(BUDI, "stop")  # asked twice: said so, nothing changes
    assert "Jadwal <b>Angkatan I</b> belum tersedia" in await say(BUDI, "jadwal")  # still answered
    assert (await consent(db, ANI))[3] is True  # Ani's messages go on
    assert "akan datang lagi" in await say(BUDI, "Mulai.")
    assert await consent(db, BUDI) == (None, NOW, "Mulai.", True, True)
    # STOP, then START (the English words; /start also greets a member).
    await say(BUDI, "STOP")
    assert (await consent(db, BUDI))[3] is False
    await say(BUDI, "START")
    assert await consent(db, BUDI) == (None, NOW, "START", True, True)
    assert channel.whatsapp_problems == []
