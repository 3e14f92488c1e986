"""Attendance (issue 14, item 1: core.attendance, handlers.attendance) with an injected clock:
REVMEN1's session on Monday 6 September 2021, 08:30 WITA (00:30 UTC), its window from 08:15 to
09:00. Present inside the window only (by /hadir and by the session reminder's button), an
excuse after it accepted or refused by a facilitator, a facilitator's marks by hand, and the
figures in /progres, /rekap, the export and the final report. Hostile: another cohort's session,
another person's excuse, a participant deciding or marking, another cohort's facilitator,
malformed buttons, a reason too short, an excuse too late."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import reports
from core.final_report import dossier
from core.final_report_pdf import pdf_in
from core.report_files import SUMMARY_COLUMNS, summary_rows
from handlers.reminders import MESSAGES
from handlers.report_view import render_report
from scheduler.reminder_job import run_tick
from storage.models import Cohort, Participant, Session
from storage.training import Attendance
from tests.conftest import make_cohort
from tests.harness import Clock, MemoryBot, Outgoing, RunningBot, joined
from tests.people import facilitator_of
from tests.planning import joined_person, write_plan
from tests.reminders.reminding import ctx
from tests.test_approvals import news
from tests.test_reports import label_in

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


def utc(hour: int, minute: int = 0, day: int = 6) -> datetime:
    return datetime(2021, 9, day, hour, minute, tzinfo=UTC)


async def a_session(db: async_sessionmaker[AsyncSession], code: str = "REVMEN1") -> int:
    async with db.begin() as session:
        cohort = await session.scalar(select(Cohort).where(Cohort.code == code))
        assert cohort is not None
        s = Session(
            cohort_id=cohort.id, starts_at=utc(0, 30), ends_at=utc(4, 0),
            title="Sesi 1: Nilai-nilai Revolusi Mental", speaker="Dr. Widya",
            link="https://zoom.example/j/1",
        )  # fmt: skip
        session.add(s)
        await session.flush()
        return s.id


async def participant_id(db: async_sessionmaker[AsyncSession], name: str) -> int:
    async with db() as session:
        found = await session.scalar(select(Participant.id).where(Participant.first_name == name))
        assert found is not None
        return found


async def states(db: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with db() as session:
        rows = await session.execute(
            select(Participant.first_name, Attendance.state).join(
                Participant, Participant.id == Attendance.participant_id
            )
        )
        return {name: state for name, state in rows.all()}


def alerts(out: list[Outgoing]) -> str:
    return "\n".join(r.text or "" for r in out if r.method == "answerCallbackQuery")


async def test_present_inside_the_window_by_command_and_by_the_reminders_button(
    bot: RunningBot | MemoryBot, clock: Clock, db: async_sessionmaker[AsyncSession]
) -> None:
    await a_session(db)
    budi = await joined_person(bot)
    ani = await joined_person(bot, 1002, "Ani")
    clock.now = utc(0, 10)  # 08:10 WITA: not yet
    out = await budi.send("/hadir")
    assert (
        "Berikutnya: <b>Sesi 1: Nilai-nilai Revolusi Mental</b>, dibuka Senin, 6 September "
        "08.15 WITA" in joined(out)
    ), joined(out)
    # The session reminder (08:00 WITA) carries "Hadir": too early, then in the window.
    clock.now = utc(0, 0)
    await run_tick(ctx(bot), clock.now, MESSAGES)
    assert "✋ Hadir" in str(ani.last_keyboard())
    assert "✋ Presensi dibuka 08.15–09.00 WITA: ketuk Hadir saat itu" in news(bot, ani)
    clock.now = utc(0, 5)
    out = await ani.press("Hadir")
    assert "Presensi sesi ini dibuka pukul 08.15 WITA" in alerts(out)
    assert await states(db) == {}
    clock.now = utc(0, 20)
    out = await ani.press("Hadir")
    assert "✅ Kehadiran tercatat: <b>Sesi 1: Nilai-nilai Revolusi Mental</b>" in joined(out)
    clock.now = utc(0, 59)  # 08:59: the window's last minute
    out = await budi.send("/hadir")
    assert "✅ Kehadiran tercatat" in joined(out)
    out = await budi.send("/present")
    assert "sudah tercatat" in joined(out)
    assert await states(db) == {"Ani": "present", "Budi": "present"}
    # After the window: the button says closed, nothing changes.
    clock.now = utc(1, 1)
    out = await ani.press("Hadir")
    assert "sudah ditutup pukul 09.00 WITA" in alerts(out)
    out = await budi.send("/hadir")
    assert "Kehadiran Anda di sesi yang sudah berlangsung: 1/1 (100%), izin 0." in joined(out)


async def test_an_excuse_after_the_window_goes_to_the_facilitator(
    bot: RunningBot | MemoryBot,
    clock: Clock,
    db: async_sessionmaker[AsyncSession],
    chat_kind: str,
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    await make_cohort(db, code="OTHER", name="Lain")
    await facilitator_of(db, "OTHER", chat_kind, 9002)
    revmen_session = await a_session(db)
    other_session = await a_session(db, "OTHER")
    budi = await joined_person(bot)
    ani = await joined_person(bot, 1002, "Ani")
    sari, fajar = bot.person(9001, "Sari"), bot.person(9002, "Fajar")
    clock.now = utc(0, 20)
    await budi.send("/hadir")
    # Ani could not come: after the window she asks to be excused, sick.
    clock.now = utc(3, 0)
    out = await ani.send("/hadir")
    assert "Ajukan izin atau sakit (sampai 7 hari setelahnya)" in joined(out)
    await ani.press("Ajukan izin: Sesi 1")
    out = await ani.press("sakit")
    assert "Tulis alasan sakit untuk <b>Sesi 1" in joined(out)
    out = await ani.send("ab")
    assert "Alasan 3–300 karakter" in joined(out)
    out = await ani.send("Demam tinggi sejak kemarin malam")
    assert "terkirim ke fasilitator" in joined(out)
    got = news(bot, sari)
    assert "<b>Ani</b> (REVMEN1) mengajukan sakit untuk <b>Sesi 1" in got
    assert "«Demam tinggi sejak kemarin malam»" in got
    assert await states(db) == {"Budi": "present", "Ani": "asked"}
    async with db() as session:
        row_id = await session.scalar(select(Attendance.id).where(Attendance.state == "asked"))
    # Nobody but REVMEN1's facilitators decides: Budi, Ani herself, OTHER's facilitator.
    for person in (budi, ani, fajar):
        await person.send("/bantuan")
        out = await person.press_data(person.last_message_id(), f"hdr:ok:{row_id}")
        assert "tidak bisa diputuskan" in alerts(out), alerts(out)
    # Nor marks by hand; nor checks in at another cohort's session; malformed buttons.
    budi_id = await participant_id(db, "Budi")
    for data, said in (
        (f"hdr:mk:{other_session}.{budi_id}.p", "khusus untuk fasilitator"),
        (f"hdr:in:{other_session}", "Tombol ini sudah tidak berlaku"),
        ("hdr:in:abc", "Tombol ini sudah tidak berlaku"),
        ("hdr:mk:1", "Tombol ini sudah tidak berlaku"),
        ("hdr:zz:1", "Tombol ini sudah tidak berlaku"),
    ):
        out = await budi.press_data(budi.last_message_id(), data)
        assert said in alerts(out), (data, alerts(out))
    # While Ani's excuse waits, her own facilitator's mark is refused with the reason.
    ani_id = await participant_id(db, "Ani")
    out = await sari.press_data(sari.last_message_id(), f"hdr:mk:{revmen_session}.{ani_id}.p")
    assert "menunggu keputusan" in alerts(out)
    # OTHER's facilitator marking Budi (not of OTHER) at OTHER's session: refused too.
    out = await fajar.press_data(fajar.last_message_id(), f"hdr:mk:{other_session}.{budi_id}.p")
    assert "khusus untuk fasilitator" in alerts(out)
    assert await states(db) == {"Budi": "present", "Ani": "asked"}
    out = await sari.press("Terima")
    assert "Izin Ani untuk Sesi 1: Nilai-nilai Revolusi Mental diterima" in joined(out)
    assert "Izin Anda untuk <b>Sesi 1: Nilai-nilai Revolusi Mental</b> diterima" in news(bot, ani)
    out = await sari.press_data(sari.last_message_id(), f"hdr:no:{row_id}")
    assert "tidak bisa diputuskan" in alerts(out)  # decided once
    assert await states(db) == {"Budi": "present", "Ani": "excused"}
    # Eko, who joined after the session, is not counted absent; his excuse refused stays so.
    eko = await joined_person(bot, 1003, "Eko")
    out = await eko.send("/hadir")
    assert "Ajukan izin" not in joined(out) and "Kehadiran Anda" not in joined(out)
    # Budi asks for one for nothing (he was present): nothing to ask.
    out = await budi.send("/hadir")
    assert "Ajukan izin" not in joined(out)
    # /dataku lists Ani's attendance with the excuse; /hapusdata erases it.
    [document] = [r for r in await ani.send("/dataku") if r.method == "sendDocument"]
    data = (document.file_bytes or b"").decode("utf-8-sig")
    assert "presensi" in data and "izin diterima" in data
    assert "sakit: Demam tinggi sejak kemarin malam" in data
    await ani.send("/hapusdata")
    await ani.press("Ya, hapus data saya")
    assert await states(db) == {"Budi": "present"}


async def test_the_facilitator_marks_by_hand_and_the_figures_reach_the_reports(
    bot: RunningBot | MemoryBot,
    clock: Clock,
    db: async_sessionmaker[AsyncSession],
    chat_kind: str,
) -> None:
    cohort = await facilitator_of(db, "REVMEN1", chat_kind)
    await make_cohort(db, code="OTHER", name="Lain")
    await facilitator_of(db, "OTHER", chat_kind, 9002)
    session_id = await a_session(db)
    budi = await joined_person(bot)
    await write_plan(budi)
    await joined_person(bot, 1002, "Ani")
    sari = bot.person(9001, "Sari")
    clock.now = utc(2, 0)
    out = await sari.send("/presensi")
    assert "Presensi REVMEN1" in joined(out)
    out = await sari.press("Sesi 1")
    assert "hadir 0/2" in joined(out)
    out = await sari.press("Budi")
    assert "hadir 1/2" in joined(out) and "✅ Budi" in joined(out)
    await sari.press("Ani")
    await sari.press("Ani")  # present, then excused
    assert await states(db) == {"Budi": "present", "Ani": "excused"}
    # Another cohort's facilitator pressing the same button: refused, nothing changes.
    fajar = bot.person(9002, "Fajar")
    await fajar.send("/bantuan")
    async with db() as session:
        ani_id = await session.scalar(select(Participant.id).where(Participant.first_name == "Ani"))
    out = await fajar.press_data(fajar.last_message_id(), f"hdr:mk:{session_id}.{ani_id}.p")
    assert "khusus untuk fasilitator" in alerts(out)
    out = await fajar.press_data(fajar.last_message_id(), f"hdr:ses:{session_id}")
    assert "khusus untuk fasilitator" in alerts(out) and "Budi" not in joined(out)
    assert await states(db) == {"Budi": "present", "Ani": "excused"}
    # /progres, /rekap, the export, the final report.
    out = await budi.send("/progres")
    assert "Kehadiran Anda di sesi yang sudah berlangsung: 1/1 (100%)" in joined(out)
    out = await bot.person(1002, "Ani").send("/progres")  # no plan yet: her sessions still show
    assert "belum punya rencana aksi" in joined(out)
    assert "Kehadiran Anda di sesi yang sudah berlangsung: 0/1" in joined(out)
    async with db() as session:
        report = await reports.cohort_report(session, cohort, clock.now)
        budi_row = await session.scalar(select(Participant).where(Participant.first_name == "Budi"))
        assert budi_row is not None
        await session.refresh(budi_row, ["cohort"])
        found = await dossier(session, budi_row, clock.now)
    shown = render_report(ctx(bot), "id", report)
    assert "🧾 <b>Presensi</b>: 1 sesi selesai · kehadiran rata-rata 50%" in shown
    assert "• Ani — hadir 0/1, izin 1" in shown and "• Budi — hadir" not in shown
    header = [label_in("id")(f"report.col_{c}") for c in SUMMARY_COLUMNS]
    by_name = {
        r[0]: dict(zip(header, r, strict=True)) for r in summary_rows(report, label_in("id"))
    }
    assert (by_name["Budi"]["Kehadiran"], by_name["Budi"]["Persentase kehadiran"]) == ("1/1", 1.0)
    assert (by_name["Ani"]["Kehadiran"], by_name["Ani"]["Persentase kehadiran"]) == ("0/1", 0.0)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_in(found, "id"))).pages)
    assert "Presensi" in text and "Sesi 1: Nilai-nilai Revolusi Mental" in text
    assert "hadir" in text and "Hadir: 1/1." in text
    assert found.attendance[0].day == date(2021, 9, 6)


async def test_a_refused_excuse_is_not_asked_again_and_cancel_drops_a_half_written_one(
    bot: RunningBot | MemoryBot,
    clock: Clock,
    db: async_sessionmaker[AsyncSession],
    chat_kind: str,
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    await a_session(db)
    ani = await joined_person(bot, 1002, "Ani")  # joined before the session
    sari = bot.person(9001, "Sari")
    clock.now = utc(3, 0)
    await ani.send("/hadir")
    await ani.press("Ajukan izin: Sesi 1")
    await ani.press("izin")
    out = await ani.send("/batal")
    assert await states(db) == {}  # the half-written excuse went
    await ani.send("/hadir")
    await ani.press("Ajukan izin: Sesi 1")
    await ani.press("izin")
    await ani.send("Rapat mendadak dengan kepala dinas")
    out = await sari.press("Tolak")
    assert "ditolak" in joined(out)
    assert "ditolak fasilitator: tercatat tidak hadir" in news(bot, ani)
    out = await ani.send("/hadir")
    assert "Ajukan izin" not in joined(out)  # refused once: not asked again
    assert "Kehadiran Anda di sesi yang sudah berlangsung: 0/1 (0%), izin 0." in joined(out)
    # The facilitator can still mark her by hand afterwards (an excuse decided is no excuse
    # waiting).
    out = await sari.send("/presensi")
    await sari.press("Sesi 1")
    out = await sari.press("Ani")
    assert "✅ Ani" in joined(out)
    assert await states(db) == {"Ani": "present"}
