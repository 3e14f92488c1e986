"""One person on Telegram and WhatsApp (issue 15, item 2): `/tautkan` on one gives a one-time
code, `TAUTKAN <code>` from the other ties that contact to the person — end to end, the
WhatsApp side over real HTTP (signed webhook posts, the Cloud API stand-in), the other on the
in-memory channel of the same engine. Hostile: a used, expired, malformed or made-up code; a
contact that has a membership of its own is not taken over; nothing changes on a refusal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.memory import MemoryChannel
from core.channel import Address, Command, Sender
from core.contacts import find_person, reach_of
from storage.messaging import LinkCode
from storage.models import Participant
from tests.conftest import NOW
from tests.test_whatsapp_inbound import BUDI
from tests.whatsapp_world import World, world

__all__ = ["world"]  # the fixture

pytestmark = pytest.mark.databases("sqlite", "postgresql")

CITRA = "6281298765432"
DEWI = Sender(Address("memory", "2001"), "Dewi Lestari", first_name="Dewi")


async def code_for(world: World, other: MemoryChannel) -> str:
    await world.intake.engine.handle(other, Command(DEWI, "tautkan", (), "/tautkan"))
    shown = other.sent[-1].message.text
    found = re.search(r"<code>TAUTKAN ([A-Z2-9]{8})</code>", shown)
    assert found is not None, shown
    assert "berlaku 15 menit" in shown
    return found[1]


async def test_a_whatsapp_number_is_tied_to_the_telegram_participant(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    services = world.intake.engine.services
    other = MemoryChannel()
    services.channels[other.name] = other
    await world.intake.engine.handle(other, Command(DEWI, "start", ("REVMEN1",), "/start"))
    await world.say("halo", CITRA)  # a stranger to Aksi so far: a person of her own
    async with db() as session:
        before = await find_person(session, Address("whatsapp", CITRA))
    code = await code_for(world, other)
    shown = await world.say(f"tautkan {code.lower()}", CITRA)  # typed in lower case
    assert shown == ["✅ Tertaut. Akun ini sekarang milik *Dewi* (Angkatan I): rencana aksi, "
                     "laporan, dan pengingat Anda sama di kedua aplikasi."]  # fmt: skip
    async with db() as session:
        dewi = await find_person(session, DEWI.address)
        assert await find_person(session, Address("whatsapp", CITRA)) == dewi
        assert await session.scalar(select(func.count()).select_from(Participant)) == 1
        assert dewi is not None
        where = (await reach_of(session, [dewi]))[dewi].address
    assert where == Address("whatsapp", CITRA)  # reminders go where she wrote last
    # Another worker still remembers the number as the person it was before the link: it
    # asks the table when it reads who writes, so there too she is Dewi at once.
    assert before is not None and before != dewi
    services.people.note(Address("whatsapp", CITRA), before, world.clock.now)
    assert any("Jadwal *Angkatan I*" in s for s in await world.say("jadwal", CITRA))
    assert services.people.person(Address("whatsapp", CITRA)) == dewi
    # On WhatsApp she is the member she is on the other app: no code asked.
    assert any("Jadwal *Angkatan I*" in s for s in await world.say("jadwal", CITRA))
    # The code worked once; a second code tells the linked number it is hers already.
    assert await world.say(f"TAUTKAN {code}", BUDI) == [
        "Kode itu tidak dikenal, sudah dipakai, atau sudah kedaluwarsa. Minta kode baru dengan "
        "/tautkan di aplikasi tempat Anda sudah terdaftar."
    ]
    again = await code_for(world, other)
    assert await world.say(f"TAUTKAN {again}", CITRA) == [
        "Akun ini sudah tertaut dengan Anda. Tidak ada yang berubah."
    ]


async def test_codes_that_must_not_work(world: World, db: async_sessionmaker[AsyncSession]) -> None:
    services = world.intake.engine.services
    other = MemoryChannel()
    services.channels[other.name] = other
    await world.intake.engine.handle(other, Command(DEWI, "start", ("REVMEN1",), "/start"))
    # A code asked for where they are nobody yet: where to ask instead; no code made.
    assert (await world.say("tautkan", CITRA))[0].startswith(
        "Akun ini belum terdaftar di angkatan mana pun. Ketik /tautkan di aplikasi"
    )
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(LinkCode)) == 0
    unknown = "Kode itu tidak dikenal, sudah dipakai, atau sudah kedaluwarsa."
    for typed in ("TAUTKAN 1", "TAUTKAN ABCDEFGH", "TAUTKAN " + "A" * 40, "TAUTKAN <b>x</b>"):
        assert unknown in (await world.say(typed, CITRA))[0], typed
    # Budi has a membership of his own: his number is not taken over, nothing changes.
    await world.say("GABUNG REVMEN1")
    code = await code_for(world, other)
    refused = await world.say(f"TAUTKAN {code}")
    assert refused[0].startswith("Akun ini sudah punya data sendiri")
    async with db() as session:
        budi = await find_person(session, Address("whatsapp", BUDI))
        assert budi != await find_person(session, DEWI.address)
        assert await session.scalar(select(func.count()).select_from(Participant)) == 2
    # A newer code replaces the older; a code past its 15 minutes is refused.
    older = await code_for(world, other)
    newer = await code_for(world, other)
    assert unknown in (await world.say(f"TAUTKAN {older}", CITRA))[0]
    world.clock.now = NOW + timedelta(minutes=16)
    assert unknown in (await world.say(f"TAUTKAN {newer}", CITRA))[0]
    async with db() as session:
        assert await find_person(session, Address("whatsapp", CITRA)) != await find_person(
            session, DEWI.address
        )
