"""A participant's weeks on WhatsApp end to end (issue 15, item 7): over real HTTP on loopback,
signed webhook posts in and the Cloud API stand-in out. The plan written with reply buttons
and lists, the day's check-in by the list (each ❌ and ⏸ saying which habit it is for), the
daily reminder from the real reminder job, then BERHENTI: the next day's reminder is not sent,
and MULAI brings it back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.memory import MemoryChannel
from bot.channels.whatsapp_templates import Templates
from core.channel import Address, Command, Sender
from core.cohorts import get_cohort
from core.contacts import person_for
from core.staff import add_facilitator
from handlers.reminders import MESSAGES
from scheduler.reminder_job import run_tick
from storage.models import CheckIn, Habit
from tests.test_whatsapp_inbound import BUDI
from tests.whatsapp_world import World, world

__all__ = ["world"]  # the fixture

pytestmark = pytest.mark.databases("sqlite", "postgresql")

# 07:00 WITA (the cohort's reminder time) on Saturday 4 to Tuesday 7 September 2021, in UTC.
SATURDAY_7 = datetime(2021, 9, 3, 23, 0, 30, tzinfo=UTC)
SUNDAY_7 = datetime(2021, 9, 4, 23, 0, 30, tzinfo=UTC)
MONDAY_7 = datetime(2021, 9, 5, 23, 0, 30, tzinfo=UTC)
TUESDAY_7 = datetime(2021, 9, 6, 23, 0, 30, tzinfo=UTC)


async def test_plan_check_in_reminder_and_stop_on_whatsapp(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    await world.join()  # his name by a reply button
    assert any("*Langkah 1.*" in s for s in await world.say("rencana"))
    await world.say("Pelayanan izin selesai dalam satu hari")
    shown = await world.say("Apel pagi tepat waktu")
    assert shown[-1].startswith("Bagaimana *Apel pagi tepat waktu* dilaporkan?\n[")
    await world.press("Ya / tidak")  # a list's row (four options)
    await world.press("Setiap hari")
    await world.press("Tambah kebiasaan")
    await world.say("Membaca regulasi")
    await world.press("Angka")
    await world.say("halaman")
    await world.say("10")
    shown = await world.press("Setiap hari")
    assert any("2. Membaca regulasi — 10 halaman — Setiap hari" in s for s in shown)
    assert any("Rencana aksi tersimpan" in s for s in await world.press("Simpan"))
    # The day's sheet: a list in which every ❌ and ⏸ names its habit.
    sheet = (await world.say("lapor"))[-1]
    options = sheet.rsplit("[", 1)[1]
    assert "❌ Apel pagi tepat w…" in options and "⏸ Membaca regulasi" in options
    await world.press("❌ Apel")
    asked = await world.press("⏸ Membaca")
    assert asked[-1].startswith("Mengapa *Membaca regulasi* dilewati pada Jumat")
    shown = await world.press("Dinas luar")  # the reason, from a list
    assert any("1. Apel pagi tepat waktu — ❌" in s for s in shown), shown
    async with db() as session:
        habits = {h.id: h.name for h in await session.scalars(select(Habit))}
        logged = {habits[c.habit_id]: c.status for c in await session.scalars(select(CheckIn))}
    assert logged["Apel pagi tepat waktu"] == "not_done"
    assert logged["Membaca regulasi"] in ("skipped",)
    # Saturday's reminder from the real job: inside the window, as a message with its choice.
    world.clock.now = SATURDAY_7
    before = len(world.standin.sent)
    await run_tick(world.intake.engine, SATURDAY_7, MESSAGES)
    reminder = world.standin.texts(BUDI)[before:]
    assert reminder and "Apel pagi tepat waktu" in reminder[-1]
    # BERHENTI: Sunday's reminder is not sent; MULAI: it is again.
    stopped = await world.say("BERHENTI")
    assert stopped and "MULAI" in stopped[-1]
    world.clock.now = SUNDAY_7
    sent = len(world.standin.sent)
    await run_tick(world.intake.engine, SUNDAY_7, MESSAGES)
    assert len(world.standin.sent) == sent, world.standin.texts(BUDI)[-2:]
    resumed = await world.say("MULAI")
    assert resumed and "MULAI" not in resumed[-1][:5]
    world.clock.now = MONDAY_7
    await run_tick(world.intake.engine, MONDAY_7, MESSAGES)
    assert "Apel pagi tepat waktu" in world.standin.texts(BUDI)[-1]  # inside the window again
    # Two days without a word and no reminder template: Tuesday's is not sent, and the
    # facilitators' /status says so.
    world.channel.templates = Templates()
    world.clock.now = TUESDAY_7
    sent = len(world.standin.sent)
    await run_tick(world.intake.engine, TUESDAY_7, MESSAGES)
    assert len(world.standin.sent) == sent
    other = MemoryChannel()
    world.intake.engine.services.channels[other.name] = other
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        sari = await person_for(session, Address("memory", "9001"), TUESDAY_7)
        await add_facilitator(session, cohort, sari.person_id)
    facilitator = Sender(Address("memory", "9001"), "Sari", first_name="Sari")
    await world.intake.engine.handle(other, Command(facilitator, "status", (), "/status"))
    assert (
        "🧾 <b>Pengingat WhatsApp tidak terkirim</b> (7 hari terakhir): 1 pengingat untuk 1 "
        in (other.sent[-1].message.text)
    )


async def test_every_word_a_participant_may_type_is_answered_on_whatsapp(world: World) -> None:
    """Each command's word, typed on WhatsApp by a participant with a plan (and the
    facilitators' words, refused to him): an answer every time, never the apology for a
    failure — and each answer within WhatsApp's limits (tests/conftest.py checks every
    message rendered)."""
    failed = "Maaf, terjadi kesalahan di pihak kami"
    await world.join()
    await world.write_plan()
    words = [
        "bantuan", "menu", "jadwal", "materi", "sesi", "lapor", "progres", "rencana", "pengingat",
        "pengaturan", "bahasa", "tahapan", "bukti", "konsultasi", "mentor", "evaluasi", "kuis",
        "hadir", "laporanakhir", "tindaklanjut", "dataku", "tautkan", "rekap", "status", "peserta",
        "umumkan", "tanya", "ekspor", "presensi", "hasilevaluasi", "hasilkuis", "fasilitator",
        "hapusdata", "batal",
    ]  # fmt: skip
    for word in words:
        answered = await world.say(word)
        assert answered, word
        assert not any(failed in a for a in answered), (word, answered)
    sent = [d for d in world.standin.sent if d.get("to") == BUDI and d.get("type") == "document"]
    assert any(d["document"]["filename"].endswith(".pdf") for d in sent)  # /laporanakhir
    assert any(d["document"]["filename"].endswith(".csv") for d in sent)  # /dataku


async def test_every_word_a_facilitator_may_type_is_answered_on_whatsapp(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    """The facilitators' words on WhatsApp, with a participant in the cohort: an answer each
    time, never the apology for a failure; the export comes as an XLSX document, /rekap's chart
    as a picture."""
    failed = "Maaf, terjadi kesalahan di pihak kami"
    sari = "6281355556666"
    world.names[sari] = "Sari Fasilitator"
    await world.say("GABUNG REVMEN1")
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        assert cohort is not None
        found = await person_for(session, Address("whatsapp", sari), world.clock.now)
        await add_facilitator(session, cohort, found.person_id)
    words = [
        "bantuan", "rekap", "status", "peserta", "presensi", "hasilevaluasi", "hasilkuis",
        "laporanakhir", "ekspor", "jadwal", "materi", "umumkan", "batal", "tanya",
    ]  # fmt: skip
    for word in words:
        answered = await world.say(word, sari)
        assert answered, word
        assert not any(failed in a for a in answered), (word, answered)
    to_sari = [d for d in world.standin.sent if d.get("to") == sari]
    assert any(d.get("type") == "image" for d in to_sari)  # /rekap's chart
    documents = [d["document"]["filename"] for d in to_sari if d.get("type") == "document"]
    assert any(name.endswith(".xlsx") for name in documents), documents
