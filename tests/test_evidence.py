"""Evidence (core.evidence, handlers.evidence): a participant's photo or document kept for the
day or for the milestone just marked done, moved, listed, opened by their mentor and their
facilitator, removed after a confirmation, in /dataku and erased with /hapusdata. Hostile: a
file of the wrong type, too big, the same file twice, a stranger's file, forged buttons,
another participant opening, moving or removing someone else's evidence."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin.wire import TINY_PNG
from core import evidence as rules
from storage.mentoring import Evidence, Milestone
from storage.models import Participant
from tests.harness import Outgoing, Person, RunningBot, joined
from tests.people import facilitator_of
from tests.planning import joined_person, write_plan
from tests.test_approvals import with_mentor
from tests.test_milestones import add, with_a_milestone

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def kept(db: async_sessionmaker[AsyncSession]) -> list[Evidence]:
    async with db() as session:
        return list((await session.scalars(select(Evidence).order_by(Evidence.id))).all())


def alerts(out: list[Outgoing]) -> list[str]:
    return [r.text or "" for r in out if r.method == "answerCallbackQuery"]


async def test_a_photo_is_kept_for_the_day_moved_to_a_milestone_and_back(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    await add(budi, "Sosialisasi ke staf", "#1")
    out = await budi.send_photo(caption="Apel pagi bersama staf")
    assert "disimpan sebagai bukti untuk laporan Jumat, 3 September" in joined(out)
    [row] = await kept(db)
    assert (row.kind, row.size, row.caption, row.day) == (
        "photo", len(TINY_PNG), "Apel pagi bersama staf", date(2021, 9, 3)
    )  # fmt: skip
    assert row.sha256 == hashlib.sha256(TINY_PNG).hexdigest()
    assert row.channel == chat_kind and row.file_ref and row.mime_type == "image/jpeg"
    out = await budi.press("Untuk Sosialisasi")
    assert "sekarang bukti untuk tahapan «Sosialisasi ke staf»" in joined(out)
    out = await budi.press("Untuk laporan harian")
    assert "sekarang bukti untuk laporan Jumat, 3 September" in joined(out)
    out = await budi.send_photo()  # the same picture again: kept once
    assert "sudah tersimpan sebagai bukti" in joined(out)
    assert len(await kept(db)) == 1
    out = await budi.send("/bukti")
    assert "<b>Bukti Anda</b> (1)" in joined(out)
    assert "1. 📷 foto-" in joined(out) and "— «Apel pagi bersama staf»" in joined(out)


async def test_sent_right_after_marking_a_milestone_done_it_is_that_ones(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await with_a_milestone(bot)
    out = await budi.press("✅ Sosialisasi")
    assert "lalu kirim foto atau dokumen" in joined(out)
    out = await budi.send_document(PDF, "notulen.pdf", "application/pdf", "Notulen rapat")
    assert "«notulen.pdf» disimpan sebagai bukti untuk tahapan «Sosialisasi ke staf»" in (
        joined(out)
    )
    [row] = await kept(db)
    assert row.milestone_id is not None and row.day is None and row.kind == "document"
    # The milestone removed: its evidence goes back to the day it was done.
    await budi.send("/tahapan")
    await budi.press("Hapus tahapan")
    await budi.press("🗑 Sosialisasi")
    await budi.press("Ya, hapus tahapan")
    [row] = await kept(db)
    assert (row.milestone_id, row.day) == (None, date(2021, 9, 3))


async def test_files_that_are_not_evidence_are_refused_and_nothing_is_kept(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    for data, name, mime in (
        (b"MZ\x90\x00", "setup.exe", "application/x-msdownload"),
        (b"PK\x03\x04", "foto.zip", "application/zip"),
        (b"tanggal,judul\n", "jadwal.csv", "text/csv"),  # a participant's CSV: no import
        (b"\x00\x00\x00\x18ftypmp42", "video.mp4", "video/mp4"),
        (b"??", "tanpa-jenis", "application/octet-stream"),
    ):
        out = await budi.send_document(data, name, mime)
        assert f"«{name}» tidak bisa disimpan sebagai bukti" in joined(out), name
    big = b"%PDF" + b"0" * rules.MAX_BYTES
    out = await budi.send_document(big, "besar.pdf", "application/pdf")
    assert "Berkas ini 10,0 MB; bukti paling besar 10 MB" in joined(out)
    assert await kept(db) == []
    # By name when the channel does not say the type: a PDF is taken.
    out = await budi.send_document(PDF, "laporan.pdf", "application/octet-stream")
    assert "disimpan sebagai bukti" in joined(out)


async def test_a_stranger_s_file_is_not_kept(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    stranger = bot.person(1009, "Joko")
    out = await stranger.send_document(PDF, "laporan.pdf", "application/pdf")
    assert "kode angkatan" in joined(out)
    assert await kept(db) == []


async def test_the_mentor_and_the_facilitator_open_it_and_nobody_else(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await write_plan(budi)
    await add(budi, "Sosialisasi ke staf", "#1")
    await budi.send_photo(caption="Apel pagi")
    [row] = await kept(db)
    async with db() as session:
        budi_id = await session.scalar(select(Participant.id))
        milestone_id = await session.scalar(select(Milestone.id))
    for viewer in (siti, bot.person(9001, "Sari")):
        out = await viewer.send("/bukti")
        assert "Bukti peserta yang bisa Anda buka (1)" in joined(out)
        out = await viewer.press("Budi (1)")
        assert "<b>Bukti Budi</b> (1)" in joined(out)
        assert "Hapus" not in str(viewer.last_keyboard())  # theirs to open, not to remove
        out = await viewer.press("Buka 1")
        [photo] = [r for r in out if r.method == "sendPhoto"]
        assert "Bukti Budi untuk laporan Jumat, 3 September\n«Apel pagi»" in (photo.text or "")
        assert photo.file_bytes == TINY_PNG
    # Another participant (and a stranger) pressing forged buttons: refused, nothing changes.
    ani = await joined_person(bot, 1002, "Ani")
    for person in (ani, bot.person(1009, "Joko")):
        await person.send("/bantuan")
        for data, answer in (
            (f"evd:open:{row.id}", "tidak bisa Anda buka"),
            (f"evd:who:{budi_id}", "tidak bisa Anda buka"),
            (f"evd:rm:{row.id}", "tidak berlaku"),
            (f"evd:day:{row.id}", "tidak berlaku"),
            (f"evd:ms:{row.id}.{milestone_id}", "tidak berlaku"),
        ):
            out = await person.press_data(person.last_message_id(), data)
            assert any(answer in a for a in alerts(out)), (data, out)
    assert [(e.id, e.day, e.milestone_id) for e in await kept(db)] == [
        (row.id, date(2021, 9, 3), None)
    ]


FORGED = [
    "evd:open:0", "evd:open:x", "evd:open:999999", "evd:ms:1", "evd:ms:1.x", "evd:zap:1",
    "evd", "evd:rm:", "evd:open:9999999999", "evd:open:1:2",
]  # fmt: skip


async def test_forged_buttons_are_refused(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    await budi.send_photo()
    for data in FORGED:
        out = await budi.press_data(budi.last_message_id(), data)
        assert alerts(out), (data, out)
        assert "tidak berlaku" in alerts(out)[0] or "tidak bisa Anda buka" in alerts(out)[0]
    assert len(await kept(db)) == 1


async def removal(person: Person) -> None:
    await person.send("/bukti")
    out = await person.press("Hapus 1")
    assert "Hapus bukti «<b>" in joined(out)


async def test_removed_after_a_confirmation_listed_in_my_data_and_erased(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    await budi.send_photo(caption="Apel")
    await removal(budi)
    await budi.press("Batal")
    assert len(await kept(db)) == 1
    await removal(budi)
    out = await budi.press("Ya, hapus bukti")
    assert "dihapus" in joined(out)
    assert await kept(db) == []
    await budi.send_document(PDF, "notulen.pdf", "application/pdf", "Notulen")
    out = await budi.send("/dataku")
    [document] = [r for r in out if r.method == "sendDocument"]
    text = (document.file_bytes or b"").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert ["bukti", "2021-09-03", "", "", "", "", "application/pdf", "", "",
            "notulen.pdf — Notulen"] in rows  # fmt: skip
    await budi.send("/hapusdata")
    await budi.press("Ya, hapus")
    assert await kept(db) == []


async def test_in_english(bot: RunningBot, db: async_sessionmaker[AsyncSession]) -> None:
    budi = await joined_person(bot)
    await budi.send("/bahasa")
    await budi.press("English")
    out = await budi.send("/evidence")
    assert "You have sent no evidence yet" in joined(out)
    out = await budi.send_photo()
    assert "is kept as evidence for the check-in of Friday, 3 September" in joined(out)
    out = await budi.send_document(b"MZ", "setup.exe", "application/x-msdownload")
    assert "«setup.exe» cannot be kept as evidence" in joined(out)


@pytest.mark.channels("memory")
async def test_a_title_with_markup_characters_is_shown_once_escaped(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    await add(budi, "Rapat & <evaluasi>", "#1")
    await budi.send("/tahapan")
    await budi.press("✅ Rapat")
    out = joined(await budi.send_photo())
    assert "tahapan «Rapat &amp; &lt;evaluasi&gt;»" in out
    assert "&amp;amp;" not in out and "&amp;lt;" not in out
