"""The mentor's approval of the action plan (core.approvals, handlers.approvals): the round trip,
changes asked with a comment and the plan sent again, a change after approval, a plan that was
there before the mentor, no mentor. Hostile: someone else's, a superseded, a double-pressed and
a forged button; a former mentor; the participant pressing on their own plan."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.report_files import SUMMARY_COLUMNS, summary_rows
from core.reports import cohort_report
from storage.mentoring import Mentorship, PlanReview
from tests.harness import Person, RunningBot, joined
from tests.people import facilitator_of
from tests.planning import joined_person, write_plan
from tests.test_mentors import TOKEN
from tests.test_reports import label_in

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


async def with_mentor(
    bot: RunningBot, mentee: Person, user_id: int = 3001, name: str = "Siti", first: bool = True
) -> Person:
    await mentee.send("/mentor")
    out = await mentee.press("Buat tautan undangan" if first else "Undang mentor lain")
    mentor = bot.person(user_id, name)
    await mentor.send(f"/start {TOKEN.findall(joined(out))[0]}")
    await mentor.press("Terima")
    return mentor


async def reviews(db: async_sessionmaker[AsyncSession]) -> list[tuple[str, str | None]]:
    async with db() as session:
        rows = await session.execute(
            select(PlanReview.state, PlanReview.comment).order_by(PlanReview.id)
        )
        return [(state, comment) for state, comment in rows.all()]


async def change_plan(person: Person, title: str) -> None:
    """A real change to the saved plan (its title), saved."""
    await person.send("/rencana")
    await person.press("Ubah judul")
    await person.send(title)
    await person.press("Simpan")


def news(bot: RunningBot, person: Person) -> str:
    return "\n".join(m.text or "" for m in bot.standin.messages(person.user_id))


def button(person: Person, label: str) -> tuple[int, str]:
    message_id, buttons = person.last_keyboard()
    [found] = [b for b in buttons if label in b["text"]]
    return message_id, found["callback_data"]


async def test_sent_approved_and_seen_by_both(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await write_plan(budi)
    assert "Dikirim ke mentor Anda, <b>Siti</b>, untuk disetujui" in news(bot, budi)
    got = news(bot, siti)
    assert "mengirim rencana aksi untuk Anda setujui" in got
    assert "Pelayanan izin selesai dalam satu hari" in got
    assert "2. Membaca regulasi — 10 halaman — Setiap hari" in got
    assert await reviews(db) == [("waiting", None)]
    assert "menunggu persetujuan mentor Anda" in joined(await budi.send("/rencana"))
    await budi.send("/batal")
    out = await siti.press("Setujui")
    assert "disetujui. Terima kasih" in joined(out)
    assert "<b>Siti</b> menyetujui rencana aksi Anda" in news(bot, budi)
    assert "disetujui mentor Anda pada" in joined(await budi.send("/rencana"))
    await budi.send("/batal")
    assert "disetujui mentor Anda pada" in joined(await budi.send("/progres"))
    assert await reviews(db) == [("approved", None)]


@pytest.mark.channels("memory")  # the chat's parts on Telegram: the round trip above
async def test_changes_asked_then_the_new_plan_sent_again(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await write_plan(budi)
    out = await siti.press("Minta perbaikan")
    assert "Tulis apa yang perlu diperbaiki" in joined(out)
    out = await siti.send("ok")
    assert "paling sedikit 3 karakter" in joined(out)
    out = await siti.send("x" * 1001)
    assert "terlalu panjang (1001 karakter" in joined(out)
    out = await siti.send("Tambahkan   target mingguan untuk apel pagi.")
    assert "Permintaan perbaikan dikirim ke <b>Budi</b>" in joined(out)
    assert "Tambahkan target mingguan untuk apel pagi." in news(bot, budi)
    out = await budi.send("/rencana")
    assert "Mentor Anda meminta perbaikan" in joined(out)
    assert "Tambahkan target mingguan" in joined(out)
    await budi.press("Simpan")  # saved again (unchanged here): it goes to the mentor again
    assert [s for s, _ in await reviews(db)] == ["changes", "waiting"]
    await siti.press("Setujui")
    assert await reviews(db) == [
        ("changes", "Tambahkan target mingguan untuk apel pagi."),
        ("approved", None),
    ]
    # Saved again without a change: the approval stands, nothing goes to the mentor.
    before = len(bot.standin.messages(siti.user_id))
    await budi.send("/rencana")
    out = await budi.press("Simpan")
    assert "sama dengan yang sudah disetujui mentor Anda" in joined(out)
    assert [s for s, _ in await reviews(db)] == ["changes", "approved"]
    assert len(bot.standin.messages(siti.user_id)) == before
    # A change after approval goes for approval again; the approval stays in the history.
    await change_plan(budi, "Pelayanan izin selesai dalam setengah hari")
    assert [s for s, _ in await reviews(db)] == ["changes", "approved", "waiting"]
    assert "setengah hari" in news(bot, siti)
    assert "menunggu persetujuan" in joined(await budi.send("/progres"))
    # Saved again unchanged while it waits: still one waiting, not sent twice.
    before = len(bot.standin.messages(siti.user_id))
    await budi.send("/rencana")
    out = await budi.press("Simpan")
    assert "masih menunggu persetujuan mentor Anda" in joined(out)
    assert [s for s, _ in await reviews(db)] == ["changes", "approved", "waiting"]
    assert len(bot.standin.messages(siti.user_id)) == before


@pytest.mark.channels("memory")
async def test_the_same_mentor_accepting_a_new_link_keeps_the_approval(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await write_plan(budi)
    await siti.press("Setujui")
    await with_mentor(bot, budi, first=False)  # Budi asks again; Siti accepts again
    assert await reviews(db) == [("approved", None)]
    assert "disetujui mentor Anda pada" in joined(await budi.send("/rencana"))
    await budi.send("/batal")
    async with db() as session:
        states = (await session.scalars(select(Mentorship.state).order_by(Mentorship.id))).all()
    assert states == ["active", "withdrawn"]  # the same mentorship goes on
    assert "Mentor Anda: <b>Siti</b>" in joined(await budi.send("/mentor"))


@pytest.mark.channels("memory")
async def test_a_comment_can_be_cancelled_and_the_plan_still_waits(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await write_plan(budi)
    await siti.press("Minta perbaikan")
    out = await siti.send("/batal")
    assert "tetap menunggu keputusan Anda" in joined(out)
    out = await siti.send("Ini bukan komentar")
    assert "Permintaan perbaikan" not in joined(out)
    assert await reviews(db) == [("waiting", None)]
    out = await siti.send("/mentor")  # the plan waiting is shown again, with its buttons
    assert "mengirim rencana aksi untuk Anda setujui" in joined(out)
    await siti.press("Setujui")
    assert await reviews(db) == [("approved", None)]


@pytest.mark.channels("memory")
async def test_a_plan_written_before_the_mentor_goes_to_them_on_accepting(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    assert "Anda belum punya mentor untuk menyetujuinya" in news(bot, budi)
    assert "belum ada mentor untuk menyetujui" in joined(await budi.send("/rencana"))
    await budi.send("/batal")
    assert await reviews(db) == []
    siti = await with_mentor(bot, budi)
    assert "mengirim rencana aksi untuk Anda setujui" in news(bot, siti)
    await siti.press("Setujui")
    assert await reviews(db) == [("approved", None)]


async def test_only_the_mentor_now_decides_and_only_once(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await write_plan(budi)
    approve = button(siti, "Setujui")
    changes = button(siti, "Minta perbaikan")

    async def refused(person: Person, data: str, why: str = "tidak bisa diputuskan lagi") -> None:
        out = await person.press_data(person.last_message_id(), data)
        alerts = [r.text or "" for r in out if r.method == "answerCallbackQuery"]
        assert any(why in a for a in alerts), out

    eve = bot.person(3002, "Eve")
    await eve.send("/mentor")
    await refused(eve, approve[1])  # a stranger
    await refused(eve, changes[1])
    await refused(budi, approve[1])  # the participant on their own plan
    for forged in (
        "apv:approve:999999", "apv:approve:0", "apv:zap:1", "apv:approve:x",
        "apv:approve:9999999999",  # past PostgreSQL's integer: refused, not a failed query
    ):  # fmt: skip
        await refused(budi, forged)
    await refused(budi, "apv", "sudah tidak berlaku")  # no feature's data at all
    assert await reviews(db) == [("waiting", None)]
    # Changed: the first copy's buttons are stale.
    await change_plan(budi, "Pelayanan izin selesai dalam setengah hari")
    out = await siti.press_data(*approve)
    assert any("tidak bisa diputuskan lagi" in (r.text or "") for r in out)
    newer = button(siti, "Setujui")
    await siti.press_data(*newer)  # the new copy
    await refused(siti, newer[1])  # pressed twice: decided once
    assert [s for s, _ in await reviews(db)] == ["superseded", "approved"]
    # A new mentor: the former one's buttons no longer decide anything.
    await change_plan(budi, "Pelayanan izin selesai dalam dua jam")
    old = button(siti, "Setujui")
    await with_mentor(bot, budi, 3003, "Agus", first=False)
    await refused(siti, old[1])
    assert [s for s, _ in await reviews(db)] == ["superseded", "approved", "superseded", "waiting"]


@pytest.mark.channels("memory")
async def test_english_mentor_gets_the_plan_in_english(bot: RunningBot) -> None:
    budi = await joined_person(bot)
    await budi.send("/mentor")
    out = await budi.press("Buat tautan undangan")
    siti = bot.person(3001, "Siti", language_code="en")
    await siti.send(f"/start {TOKEN.findall(joined(out))[0]}")
    await siti.press("Accept")
    await write_plan(budi)
    got = news(bot, siti)
    assert "sent you their action plan to approve" in got
    assert "Membaca regulasi — 10 pages" not in got  # units are the participant's words
    assert "Every day" in got
    out = await siti.press("Ask for changes")
    assert "Write what should change" in joined(out)


@pytest.mark.channels("memory")
async def test_facilitators_see_each_plans_approval_in_rekap_and_the_export(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    cohort = await facilitator_of(db, "REVMEN1", chat_kind)
    budi, ani = await joined_person(bot), await joined_person(bot, 1002, "Ani")
    await joined_person(bot, 1003, "Eko")  # no plan
    siti = await with_mentor(bot, budi)
    await write_plan(budi)
    await siti.press("Setujui")
    await write_plan(ani)  # no mentor
    out = joined(await bot.person(9001, "Sari").send("/rekap"))
    assert "✅ 1 disetujui · ⏳ 0 menunggu · ✏️ 0 diminta perbaikan · 🧭 1 tanpa mentor" in out
    assert "1 belum ada rencana" in out
    assert "🧭 Ani — tanpa mentor" in out and "Budi — disetujui" not in out
    async with db() as session:
        report = await cohort_report(session, cohort, bot.services.clock())
    summary = summary_rows(report, label_in("id"))
    approval = [label_in("id")(f"report.col_{c}") for c in SUMMARY_COLUMNS].index(
        "Persetujuan mentor"
    )
    assert {row[0]: row[approval] for row in summary} == {
        "Ani": "tanpa mentor",
        "Budi": "disetujui",
        "Eko": "belum ada rencana",
    }


@pytest.mark.channels("memory")
async def test_a_plan_waiting_for_a_mentor_who_left_waits_for_nobody(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    """The mentor erases their data while a plan waits: the plan's status says no mentor (not
    "waiting" forever), the erased mentor's decisions keep no trace of them, and the next mentor
    gets the plan."""
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await write_plan(budi)
    await siti.press("Setujui")
    await change_plan(budi, "Pelayanan izin selesai dalam dua jam")  # waiting again
    await siti.send("/hapusdata")
    await siti.press("Ya, hapus")
    assert "belum ada mentor untuk menyetujui" in joined(await budi.send("/rencana"))
    await budi.send("/batal")
    async with db() as session:
        deciders = (await session.scalars(select(PlanReview.decided_by))).all()
    assert deciders == [None, None]
    assert [s for s, _ in await reviews(db)] == ["approved", "superseded"]
    agus = await with_mentor(bot, budi, 3003, "Agus")
    assert "mengirim rencana aksi untuk Anda setujui" in news(bot, agus)
