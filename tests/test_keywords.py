"""Commands typed as words (issue 15, item 3: `core.keywords`), for a channel without a command
menu such as WhatsApp: a message that is only a command's name (either language, any case) is
that command, `GABUNG KODE`/`JOIN CODE` joins, `/name` is a command as on Telegram; a typed
answer that merely starts with a command's name stays text. Through the engine on a second
channel: joining by `GABUNG`, the schedule by `jadwal`, and a plan step "rencana kerja…" kept
as the step it answers."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.memory import MemoryChannel
from core.channel import Address, Command, Sender, Text
from core.keywords import read_typed
from handlers import COMMAND_WORDS
from storage.models import Participant
from tests.conftest import NOW, make_cohort
from tests.harness_memory import engine_on

pytestmark = pytest.mark.databases("sqlite", "postgresql")

WA = Sender(Address("whatsapp", "6281234567890"), "Budi Santoso")


def read(text: str) -> Command | Text:
    return read_typed(WA, text, text, COMMAND_WORDS)


@pytest.mark.parametrize(
    ("typed", "name", "args"),
    [
        ("jadwal", "jadwal", ()),
        ("Jadwal.", "jadwal", ()),
        ("  PROGRES ", "progres", ()),
        ("schedule", "schedule", ()),
        ("bantuan!", "bantuan", ()),
        ("rekap", "rekap", ()),  # a facilitator's too (refused to others as on Telegram)
        ("GABUNG REVMEN1", "start", ("REVMEN1",)),
        ("join revmen1.", "start", ("revmen1",)),
        ("TAUTKAN ABCD2345", "tautkan", ("ABCD2345",)),
        ("link abcd2345", "tautkan", ("abcd2345",)),
        ("tautkan", "tautkan", ()),  # alone: a code to use on the other app
        ("/tanya Siap? | Ya | Belum", "tanya", ("Siap?", "|", "Ya", "|", "Belum")),
    ],
)
def test_a_command_typed_as_a_word(typed: str, name: str, args: tuple[str, ...]) -> None:
    found = read(typed)
    assert isinstance(found, Command) and (found.name, found.args) == (name, args)


@pytest.mark.parametrize(
    "typed",
    [
        "rencana kerja harian",  # a plan step that starts with a command's name
        "menu makan siang sehat",
        "gabung",  # the code missing: the onboarding's answer, as text
        "gabung ke angkatan REVMEN1",
        "tautkan akun saya sekarang",
        "jadwalnya kapan?",
        "halo",
        "/",
        "",
    ],
)
def test_anything_else_stays_text(typed: str) -> None:
    assert isinstance(read(typed), Text)


async def test_joining_and_the_schedule_by_words_on_a_second_channel(
    engine: AsyncEngine, db: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    await make_cohort(db)
    channel = MemoryChannel(name="whatsapp", check_whatsapp=True)
    bot = engine_on(channel, engine, db_url, NOW)

    async def say(text: str) -> str:
        await bot.handle(channel, read(text))
        return "\n".join(m.text for m in channel.to(WA.address)[-2:])

    assert "kode angkatan" in await say("jadwal")  # not joined yet: asked for the code
    assert "Selamat bergabung di <b>Angkatan I</b>" in await say("GABUNG REVMEN1")
    # Asked for their full name, a word that is a command still is the command; a name that
    # starts with one ("Menu…") is the answer.
    assert "Jadwal <b>Angkatan I</b> belum tersedia" in await say("jadwal")
    assert "unit kerja" in (await say("Menu Santoso, S.Sos.")).lower()
    async with db() as session:
        full_name = await session.scalar(select(Participant.full_name))
    assert full_name == "Menu Santoso, S.Sos."
    assert channel.whatsapp_problems == []
