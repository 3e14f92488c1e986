"""/rekap and /ekspor end to end: the real bot polling the stand-in; the chart and the XLSX
arrive; the digest time is set in chat; participants and strangers are refused."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import core.report_chart
from bot.standin import BotApiStandIn, Outgoing
from core.cohorts import get_cohort
from core.staff import add_facilitator
from storage.models import Cohort, Staff
from tests.conftest import make_cohort
from tests.harness import Clock, MemoryBot, Person, RunningBot, joined, settings_for, start_bot
from tests.people import new_person
from tests.reportdata import ANI, NOW, build

pytestmark = pytest.mark.channels("telegram", "memory")

FACILITATOR = 5001
FACILITATOR_EN = 5002  # Telegram in English
OTHER_FACILITATOR = 5009  # of another cohort only
STRANGER = 7777
NAMES = ("Ani Lestari", "Budi", "Citra Dewi", "Dedi Kurniawan", "Eka Putri", "Fajar Nugroho")


@pytest.fixture
async def bot(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> AsyncIterator[RunningBot | MemoryBot]:
    await build(db, channel=chat_kind)
    await make_cohort(db, code="LAIN1", name="Angkatan Lain")
    async with db.begin() as session:
        revmen, lain = await get_cohort(session, "REVMEN1"), await get_cohort(session, "LAIN1")
        await add_facilitator(session, revmen, await new_person(session, FACILITATOR, chat_kind))
        await add_facilitator(session, revmen, await new_person(session, FACILITATOR_EN, chat_kind))
        await add_facilitator(
            session, lain, await new_person(session, OTHER_FACILITATOR, chat_kind)
        )
    running = await start_bot(chat_kind, standin, settings_for(standin, db_url), Clock(NOW))
    yield running
    await running.stop()


async def until(standin: BotApiStandIn, chat: int, method: str, since: int) -> Outgoing:
    """Wait for the bot to call `method` in `chat` (pictures and files take a moment)."""
    for _ in range(400):
        for record in standin.outbox[since:]:
            if record.chat_id == chat and record.method == method:
                return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {method} in chat {chat}")


async def digest_time(db: async_sessionmaker[AsyncSession], code: str = "REVMEN1") -> str | None:
    async with db() as session:
        return await session.scalar(select(Cohort.digest_time).where(Cohort.code == code))


async def test_rekap_table_and_chart(bot: RunningBot, db: async_sessionmaker[AsyncSession]) -> None:
    sari = bot.person(FACILITATOR, "Sari")
    mark = bot.standin.mark()
    answer = joined(await sari.send("/rekap"))
    photo = await until(bot.standin, FACILITATOR, "sendPhoto", mark)
    assert "📊 <b>Rekap REVMEN1</b> — Angkatan I" in answer
    assert "Jumat, 10 September 2021 (WITA)" in answer
    assert "✅ 1 lengkap · 🟡 1 sebagian · ⏳ 1 belum lapor" in answer
    assert "⏳ <b>Belum lapor (1)</b>\n• Eka Putri — Dinas Pendidikan" in answer
    assert (
        "🟡 <b>Baru sebagian (1)</b>\n"
        "• Ani Lestari — Dinas Kesehatan · 1/2 selesai · 1 belum dilaporkan"
    ) in answer
    assert "📝 <b>Belum menulis rencana aksi (1)</b>\n• Citra Dewi — Bappeda" in answer
    assert "✅ <b>Sudah lengkap (1)</b>\n• Budi" in answer
    assert "💤 <b>Tanpa jadwal hari ini (1)</b>\n• Dedi Kurniawan — BKD" in answer
    # 7-day completion, lowest first, then the cohort's.
    week = answer[answer.index("Penyelesaian 7 hari") :]
    lines = [line for line in week.splitlines() if line.startswith("• ")]
    assert lines == [
        "• <b>50%</b> Dedi Kurniawan — BKD",
        "• <b>53%</b> Ani Lestari — Dinas Kesehatan",
        "• <b>89%</b> Budi",
        "• <b>93%</b> Eka Putri — Dinas Pendidikan",
        "• <b>—</b> Citra Dewi — Bappeda",
        "• Fajar Nugroho — Inspektorat",
    ]
    assert "Seluruh angkatan: <b>72%</b> (25 dari 34,6 hari-kebiasaan)" in answer  # decimal comma
    assert "🕓 <b>Belum bergabung (1)</b>" in answer
    # The chart came after the table: a PNG, 1200 px wide, one bar per participant.
    assert photo.file_bytes is not None and photo.file_bytes.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(photo.file_bytes)).size[0] == 1200
    assert "Penyelesaian 7 hari per peserta" in (photo.text or "")
    assert photo.file_name == "rekap-REVMEN1.png"
    last_text = max(
        i
        for i, o in enumerate(bot.standin.outbox)
        if o.method == "sendMessage" and o.chat_id == FACILITATOR
    )
    assert bot.standin.outbox.index(photo) > last_text
    async with db() as session:
        languages = list(await session.scalars(select(Staff.language)))
    assert "id" in languages  # remembered for the digest
    # In English, the chart's file name is English too.
    mark = bot.standin.mark()
    await bot.person(FACILITATOR_EN, "Tom", language_code="en").send("/report")
    photo = await until(bot.standin, FACILITATOR_EN, "sendPhoto", mark)
    assert photo.file_name == "report-REVMEN1.png"


async def test_report_numbers_in_english(bot: RunningBot) -> None:
    tom = bot.person(FACILITATOR_EN, "Tom", language_code="en")
    answer = joined(await tom.send("/report"))
    assert "Whole cohort: <b>72%</b> (25 of 34.6 habit-days)" in answer
    assert "• <b>53%</b> Ani Lestari — Dinas Kesehatan" in answer


async def test_chart_failure_is_told_after_the_table(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> bytes:
        raise RuntimeError("no fonts today")

    monkeypatch.setattr(core.report_chart, "render_completion", broken)
    sari = bot.person(FACILITATOR, "Sari")
    mark = bot.standin.mark()
    await sari.send("/rekap")
    notice = await until(bot.standin, FACILITATOR, "sendMessage", mark)
    for _ in range(100):
        said = [o.text or "" for o in bot.standin.outbox[mark:] if o.method == "sendMessage"]
        if any("Grafiknya tidak dapat dibuat" in t for t in said):
            break
        await asyncio.sleep(0.05)
    assert "Rekap REVMEN1" in (notice.text or "")
    assert "Grafiknya tidak dapat dibuat" in said[-1]
    assert not [o for o in bot.standin.outbox[mark:] if o.method == "sendPhoto"]


async def test_ekspor_sends_the_workbook_and_csv(bot: RunningBot) -> None:
    sari = bot.person(FACILITATOR, "Sari")
    mark = bot.standin.mark()
    await sari.send("/ekspor")
    document = await until(bot.standin, FACILITATOR, "sendDocument", mark)
    assert document.file_name == "aksi-rekap-REVMEN1-2021-09-10.xlsx"
    assert "58 baris" in (document.text or "")
    assert document.file_bytes is not None
    book = load_workbook(io.BytesIO(document.file_bytes))
    rows, summary = book.worksheets
    values = list(rows.iter_rows(values_only=True))
    assert values[0][:4] == ("Nama", "Unit kerja (OPD)", "NIP", "Tanggal")
    assert len(values) == 59
    assert (
        "Budi", None, None, datetime(2021, 9, 10), "Rapat singkat tim", None, None, None,
        "dilewati", "Dilewati: dinas luar",
    ) in values  # fmt: skip
    assert rows.freeze_panes == "A2" and rows.auto_filter.ref == "A1:J59"
    people = [row[0] for row in summary.iter_rows(min_row=2, values_only=True)]
    assert people == list(NAMES)

    english = bot.person(FACILITATOR_EN, "Tom", language_code="en")
    mark = bot.standin.mark()
    await english.send("/export csv")
    document = await until(bot.standin, FACILITATOR_EN, "sendDocument", mark)
    assert document.file_name == "aksi-report-REVMEN1-2021-09-10.csv"
    assert document.file_bytes is not None and document.file_bytes.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(document.file_bytes.decode("utf-8-sig"))))
    assert table[0][:3] == ["Name", "Work unit (OPD)", "NIP"]
    assert len(table) == 59
    assert "Report REVMEN1: 58 rows" in (document.text or "")
    usage = joined(await sari.send("/ekspor pdf"))
    assert "<code>/ekspor csv</code>" in usage


async def test_export_files_say_partly_for_a_number_below_its_target(bot: RunningBot) -> None:
    """Ani logged 12 of 10 pages on 3 September and 5 of 10 on the 4th: done, then partly, in
    the XLSX and the CSV, in both languages (the rule of the check-in sheet and /rekap)."""

    def reading(table: list[list[str]] | list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [
            (row[3], row[7], row[8])
            for row in table
            if row[0] == "Ani Lestari" and row[4] == "Membaca regulasi"
        ][2:4]

    sari = bot.person(FACILITATOR, "Sari")
    mark = bot.standin.mark()
    await sari.send("/ekspor")
    document = await until(bot.standin, FACILITATOR, "sendDocument", mark)
    book = load_workbook(io.BytesIO(document.file_bytes or b""))
    assert reading(list(book.worksheets[0].iter_rows(values_only=True))) == [
        (datetime(2021, 9, 3), 12, "selesai"),
        (datetime(2021, 9, 4), 5, "sebagian"),
    ]
    text, _ = await export_csv(sari, FACILITATOR, "/ekspor csv")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert reading(table) == [("2021-09-03", "12", "selesai"), ("2021-09-04", "5", "sebagian")]

    tom = bot.person(FACILITATOR_EN, "Tom", language_code="en")
    mark = bot.standin.mark()
    await tom.send("/export")
    document = await until(bot.standin, FACILITATOR_EN, "sendDocument", mark)
    book = load_workbook(io.BytesIO(document.file_bytes or b""))
    assert reading(list(book.worksheets[0].iter_rows(values_only=True))) == [
        (datetime(2021, 9, 3), 12, "done"),
        (datetime(2021, 9, 4), 5, "partly"),
    ]
    text, _ = await export_csv(tom, FACILITATOR_EN, "/export csv")
    table = list(csv.reader(io.StringIO(text)))
    assert reading(table) == [("2021-09-03", "12", "done"), ("2021-09-04", "5", "partly")]


async def test_digest_time_in_chat(bot: RunningBot, db: async_sessionmaker[AsyncSession]) -> None:
    sari = bot.person(FACILITATOR, "Sari")
    assert await digest_time(db) == "18:00"
    set_answer = joined(await sari.send("/rekap waktu 17:30"))
    assert "pukul <b>17.30 WITA</b>" in set_answer
    assert await digest_time(db) == "17:30"
    impossible = joined(await sari.send("/rekap waktu 25:00"))
    assert impossible == "Jam 25:00 tidak ada: jam 00–23 dan menit 00–59, misalnya <i>07:30</i>."
    assert "Waktu itu tidak terbaca" in joined(await sari.send("/rekap waktu besok"))
    assert await digest_time(db) == "17:30"
    assert "17.30 WITA" in joined(await sari.send("/rekap waktu"))
    assert "dimatikan" in joined(await sari.send("/rekap waktu mati"))
    assert await digest_time(db) is None
    assert "Ringkasan harian <b>REVMEN1</b>: mati" in joined(await sari.send("/rekap waktu"))
    english = bot.person(FACILITATOR_EN, "Tom", language_code="en")
    assert "at <b>07:05 WITA</b>" in joined(await english.send("/report time 7.05"))
    assert "18:60 is not a time that exists" in joined(await english.send("/report time 18:60"))
    assert "could not be read" in joined(await english.send("/report time 18h"))
    assert await digest_time(db) == "07:05"
    assert "<code>/rekap waktu 17:30</code>" in joined(await sari.send("/rekap halo"))
    assert await digest_time(db) == "07:05"


async def refused(person: Person, standin: BotApiStandIn, command: str) -> str:
    mark = standin.mark()
    answer = joined(await person.send(command))  # returns once the bot has handled it
    assert not [o for o in standin.outbox[mark:] if o.method in ("sendPhoto", "sendDocument")], (
        command
    )
    return answer


@pytest.mark.parametrize("who", [ANI, STRANGER])
async def test_participant_and_stranger_are_refused(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], who: int
) -> None:
    person = bot.person(who, "Ani" if who == ANI else "Orang")
    for command in (
        "/rekap", "/report", "/ekspor", "/export", "/ekspor csv", "/rekap waktu 06:00",
        "/rekap REVMEN1", "/ekspor REVMEN1",
    ):  # fmt: skip
        answer = await refused(person, bot.standin, command)
        assert "khusus untuk fasilitator" in answer, command
        assert not any(name in answer for name in NAMES)
        assert "REVMEN1" not in answer
    assert await digest_time(db) == "18:00"


async def test_a_facilitator_sees_only_their_own_cohort(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    other = bot.person(OTHER_FACILITATOR, "Lina")
    for command in ("/rekap", "/rekap REVMEN1", "/rekap REVMEN1 waktu 06:00", "/ekspor REVMEN1"):
        answer = await refused(other, bot.standin, command)
        assert not any(name in answer for name in NAMES), command
        # Only the code as typed comes back, said to be none of theirs (whether it exists or not).
        assert "REVMEN1" not in answer or "KODE" in answer or "bukan angkatan yang Anda" in answer
    for command in ("/rekap REVMEN1", "/ekspor REVMEN1", "/peserta REVMEN1", "/status NOPE9"):
        code = command.split()[1]
        expected = f"<b>{code}</b> bukan angkatan yang Anda kelola (angkatan Anda: LAIN1)."
        assert joined(await other.send(command)).startswith(expected), command
    assert "Rekap LAIN1" in joined(await other.send("/rekap"))
    assert await digest_time(db) == "18:00"
    mark = bot.standin.mark()
    await other.send("/ekspor")
    document = await until(bot.standin, OTHER_FACILITATOR, "sendDocument", mark)
    assert document.file_name is not None and document.file_name.startswith("aksi-rekap-LAIN1-")
    assert document.file_bytes is not None
    book = load_workbook(io.BytesIO(document.file_bytes))
    assert [list(r) for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == []


async def export_csv(person: Person, chat: int, command: str) -> tuple[str, str]:
    """Send the command; the CSV's text and its caption."""
    mark = person.standin.mark()
    await person.send(command)
    document = await until(person.standin, chat, "sendDocument", mark)
    assert document.file_bytes is not None and document.file_bytes.startswith(b"\xef\xbb\xbf")
    return document.file_bytes.decode("utf-8-sig"), document.text or ""


async def test_ekspor_csv_separator_follows_the_language_or_the_word(bot: RunningBot) -> None:
    """Indonesian: `;` and decimal commas (Excel set to Indonesian opens it in columns);
    English: `,`; a word after `csv` picks the other; the caption says which and how."""
    sari = bot.person(FACILITATOR, "Sari")
    text, caption = await export_csv(sari, FACILITATOR, "/ekspor csv")
    assert text.startswith("Nama;Unit kerja (OPD);NIP;Tanggal;Kebiasaan;Satuan;Target;Nilai;")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(table) == 59 and all(len(row) == 10 for row in table)
    assert {row[2] for row in table if row[0] == "Ani Lestari"} == {"19800101 200501 1 001"}
    assert "📎 Laporan REVMEN1: 58 baris" in caption
    assert (
        "Kolom dipisah titik koma (;) dan desimal memakai koma, seperti Excel berpengaturan "
        "wilayah Indonesia. Jika semua isi masuk ke satu kolom, kirim "
        "<code>/ekspor csv koma</code>."
    ) in caption
    for command in ("/ekspor csv koma", "/ekspor csv ,", "/ekspor csv,", "/ekspor CSV Comma"):
        text, caption = await export_csv(sari, FACILITATOR, command)
        assert text.startswith("Nama,Unit kerja (OPD),NIP,Tanggal,"), command
        assert "Kolom dipisah koma (,) dan desimal memakai titik." in caption
        assert "kirim <code>/ekspor csv titikkoma</code>." in caption

    tom = bot.person(FACILITATOR_EN, "Tom", language_code="en")
    text, caption = await export_csv(tom, FACILITATOR_EN, "/export csv")
    assert text.startswith("Name,Work unit (OPD),NIP,Date,")
    assert (
        "Columns are separated by commas (,) and decimals use a point. If everything lands in "
        "one column (Excel with Indonesian regional settings), send "
        "<code>/export csv semicolon</code>."
    ) in caption
    for command in ("/export csv semicolon", "/export csv;", "/export csv titikkoma"):
        text, caption = await export_csv(tom, FACILITATOR_EN, command)
        assert text.startswith("Name;Work unit (OPD);NIP;Date;"), command
        assert "send <code>/export csv comma</code>." in caption

    for bad in ("/ekspor csv tab", "/ekspor csv koma lagi", "/ekspor xlsx koma"):
        usage = joined(await sari.send(bad))
        assert "<code>/ekspor csv koma</code> untuk Excel berpengaturan wilayah Inggris" in usage
