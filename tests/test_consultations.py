"""Consultations on record (core.consultations, handlers.consultations): the participant records
one and the mentor confirms it; the mentor records one and the participant disputes it; both
see the list. Hostile: someone else confirming, the writer confirming their own record, a
second press, forged buttons, recording with someone who is not one's mentee, bad dates and
lengths, /batal halfway, no mentor, erasure."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.mentoring import Consultation
from storage.models import Participant
from tests.harness import Outgoing, Person, RunningBot, joined
from tests.planning import joined_person, write_plan
from tests.test_approvals import news, with_mentor

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


async def records(db: async_sessionmaker[AsyncSession]) -> list[tuple[str, date | None, bool]]:
    async with db() as session:
        rows = await session.execute(
            select(Consultation.state, Consultation.held_on, Consultation.by_mentor).order_by(
                Consultation.id
            )
        )
        return [(state, held, by_mentor) for state, held, by_mentor in rows.all()]


def alerts(out: list[Outgoing]) -> list[str]:
    return [r.text or "" for r in out if r.method == "answerCallbackQuery"]


async def record(person: Person, start: str, day: str, topic: str, outcome: str, nxt: str) -> str:
    """Record a consultation: `start` is the button that begins it, `day` a button label or a
    typed date, `nxt` typed (or "-" for the "no next step" button)."""
    await person.send("/konsultasi")
    out = await person.press(start)
    assert "Kapan konsultasinya?" in joined(out), joined(out)
    if day in ("Hari ini", "Kemarin"):
        await person.press(day)
    else:
        await person.send(day)
    await person.send(topic)
    out = await person.send(outcome)
    assert "Apa tindak lanjutnya?" in joined(out), joined(out)
    out = await person.press("Tidak ada tindak lanjut") if nxt == "-" else await person.send(nxt)
    return joined(out)


async def test_the_participant_records_and_the_mentor_confirms(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    out = await budi.send("/konsultasi")
    assert "undang mentor Anda dulu di /mentor" in joined(out)
    assert "Catat konsultasi" not in str(out)
    siti = await with_mentor(bot, budi)
    await budi.send("/konsultasi")
    await budi.press("Catat konsultasi")
    await budi.press("Kemarin")
    out = await budi.send("ok")
    assert "Terlalu pendek" in joined(out)
    out = await budi.send("x" * 301)
    assert "paling banyak 300 karakter" in joined(out)
    await budi.send("Rencana sosialisasi ke staf")
    await budi.send("Disetujui, dengan jadwal dimajukan")
    out = await budi.send("Sosialisasi hari Senin")
    assert "Tercatat dan dikirim untuk dikonfirmasi" in joined(out)
    got = news(bot, siti)
    assert "Catatan konsultasi dengan <b>Budi</b>, mohon dikonfirmasi" in got
    assert "<b>Kamis, 2 September</b> — Rencana sosialisasi ke staf" in got
    assert "Tindak lanjut: Sosialisasi hari Senin" in got
    assert await records(db) == [("unconfirmed", date(2021, 9, 2), False)]
    out = await siti.press("Konfirmasi")
    assert "Dikonfirmasi" in joined(out)
    assert "Catatan konsultasi Anda dikonfirmasi" in news(bot, budi)
    out = await siti.press_data(siti.last_message_id(), "kon:ok:1")  # again: decided once
    assert await records(db) == [("confirmed", date(2021, 9, 2), False)]
    out = joined(await budi.send("/konsultasi"))
    assert "✅ <b>Kamis, 2 September</b> — Rencana sosialisasi ke staf" in out
    assert "<i>Dicatat oleh peserta</i>" in out
    out = joined(await siti.send("/konsultasi"))
    assert "• Budi: 1 tercatat, 1 dikonfirmasi" in out


@pytest.mark.channels("memory")
async def test_the_mentor_records_and_the_participant_disputes(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    out = await record(
        siti, "Catat konsultasi dengan Budi", "1/9", "Target tahapan", "Disepakati", "-"
    )
    assert "Tercatat dan dikirim" in out and "Tindak lanjut: —" in out
    assert "Catatan konsultasi dengan <b>Siti</b>" in news(bot, budi)  # who wrote it
    await budi.send("/konsultasi")  # the record waits there too, with its buttons
    out = await budi.press("Tidak sesuai")
    assert "Ditandai tidak sesuai" in joined(out)
    assert "ditandai tidak sesuai" in news(bot, siti)
    assert await records(db) == [("disputed", date(2021, 9, 1), True)]


async def test_only_the_other_side_decides_and_forgeries_change_nothing(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await record(siti, "Catat konsultasi dengan Budi", "Hari ini", "Target", "Disepakati", "-")
    async with db() as session:
        record_id = await session.scalar(select(Consultation.id))
        budi_id = await session.scalar(select(Participant.id))
    ani = await joined_person(bot, 1002, "Ani")
    await ani.send("/bantuan")
    for data in (f"kon:ok:{record_id}", f"kon:no:{record_id}", f"kon:new:{budi_id}"):
        out = await ani.press_data(ani.last_message_id(), data)
        assert any("tidak bisa Anda catat" in a for a in alerts(out)), (data, out)
    out = await siti.press_data(siti.last_message_id(), f"kon:ok:{record_id}")  # her own record
    assert any("tidak bisa Anda catat" in a for a in alerts(out))
    for data in ("kon:ok:0", "kon:ok:x", "kon:zap:1", "kon:day:2", "kon:day:0", "kon:none",
                 "kon:none:", "kon", "kon:ok:9999999999"):  # fmt: skip
        out = await ani.press_data(ani.last_message_id(), data)
        assert alerts(out), (data, out)
    assert await records(db) == [("unconfirmed", date(2021, 9, 3), True)]


async def test_dates_cancel_and_erasure(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await budi.send("/konsultasi")
    await budi.press("Catat konsultasi")
    for typed, answer in (
        ("31/2", "Februari"),
        ("kemarin lusa", "tidak terbaca"),
        ("2021-09-10", "belum tiba"),
        ("2021-01-01", "lebih dari 120 hari"),
    ):
        out = await budi.send(typed)
        assert answer in joined(out), (typed, joined(out))
    out = await budi.send("/batal")
    assert "catatan konsultasi dibatalkan" in joined(out)
    assert await records(db) == []
    await record(budi, "Catat konsultasi", "Hari ini", "Rencana", "Disetujui", "-")
    await siti.press("Konfirmasi")
    out = await budi.send("/dataku")
    [document] = [r for r in out if r.method == "sendDocument"]
    assert "konsultasi;2021-09-03;;;;;dikonfirmasi;;;Rencana — Disetujui" in (
        (document.file_bytes or b"").decode("utf-8-sig")
    )
    await budi.send("/hapusdata")
    await budi.press("Ya, hapus")
    assert await records(db) == []


async def test_in_english(bot: RunningBot, db: async_sessionmaker[AsyncSession]) -> None:
    budi = await joined_person(bot)
    await with_mentor(bot, budi)
    await budi.send("/bahasa")
    await budi.press("English")
    await budi.send("/consultation")
    out = await budi.press("Record a consultation")
    assert "When was it?" in joined(out)
    await budi.press("Today")
    await budi.send("The plan's first step")
    await budi.send("Agreed")
    out = await budi.press("No next step")
    assert "Recorded and sent to be confirmed" in joined(out)
    assert "<b>Friday, 3 September</b> — The plan's first step" in joined(out)


@pytest.mark.channels("memory")
async def test_a_comment_on_a_plan_is_not_also_a_consultation_answer(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    """A mentor halfway through a record taps "ask for changes" on a plan: the text they type
    is the comment, and only that."""
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await siti.send("/konsultasi")
    await siti.press("Catat konsultasi dengan Budi")
    await siti.press("Hari ini")  # the topic is asked next
    await write_plan(budi)
    await siti.press("Minta perbaikan")
    out = await siti.send("Tambahkan target mingguan")
    assert "Permintaan perbaikan dikirim" in joined(out)
    async with db() as session:
        [draft] = (await session.scalars(select(Consultation))).all()
    assert (draft.state, draft.step, draft.topic) == ("draft", "topic", None)


@pytest.mark.channels("memory")
async def test_a_former_mentors_record_waits_for_nobody_new(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    await with_mentor(bot, budi)
    await record(budi, "Catat konsultasi", "Hari ini", "Rencana", "Disetujui", "-")
    agus = await with_mentor(bot, budi, 3003, "Agus", first=False)
    out = joined(await agus.send("/konsultasi"))
    assert "mohon dikonfirmasi" not in out  # written for Siti: not Agus's to confirm
    assert "• Budi: 1 tercatat, 0 dikonfirmasi" in out
