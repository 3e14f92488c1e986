"""Milestones (core.milestones, handlers.milestones): added in two steps (the title, then a
quick or a typed date), marked done and undone, late ones shown in /tahapan, /progres and the
facilitator's /rekap, part of the plan the mentor approves, removed after a confirmation.
Hostile: bad titles and dates, forged and stale buttons, another participant's milestone, a
confirmation voided by doing something else, /batal halfway."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import milestones as rules
from core.report_files import SUMMARY_COLUMNS, summary_rows
from core.reports import cohort_report
from storage.mentoring import Milestone
from tests.harness import Clock, Person, RunningBot, joined
from tests.people import facilitator_of
from tests.planning import joined_person, write_plan
from tests.test_approvals import news, reviews, with_mentor
from tests.test_reports import label_in

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

TODAY = date(2021, 9, 3)  # the harness's Friday, 09:00 WITA


async def stored(
    db: async_sessionmaker[AsyncSession],
) -> list[tuple[str, date | None, date | None]]:
    async with db() as session:
        rows = await session.execute(
            select(Milestone.title, Milestone.due_on, Milestone.done_on).order_by(Milestone.id)
        )
        return [(title, due, done) for title, due, done in rows.all()]


async def with_a_milestone(bot: RunningBot) -> Person:
    """Budi, joined, with his plan and the milestone "Sosialisasi ke staf" due in a week,
    looking at /tahapan."""
    budi = await joined_person(bot)
    await write_plan(budi)
    await add(budi, "Sosialisasi ke staf", "#1")
    await budi.send("/tahapan")
    return budi


async def add(person: Person, title: str, due: str) -> str:
    """Add a milestone with `/tahapan tambah`: its title, then `due` typed, or a quick choice
    pressed when it starts with "#" ("#2" presses the one for two weeks)."""
    out = await person.send("/tahapan tambah")
    assert "Tulis judul tahapan" in joined(out), joined(out)
    out = await person.send(title)
    assert "Kapan target" in joined(out), joined(out)
    if due.startswith("#"):
        out = await person.press(f"{due[1:]} minggu lagi")
    else:
        out = await person.send(due)
    return joined(out)


async def test_added_with_a_quick_and_a_typed_date_then_marked_done_and_undone(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    out = await budi.send("/tahapan")
    assert "Anda belum punya <b>tahapan</b>" in joined(out)
    await budi.press("Tambah tahapan")
    out = await budi.send("ok")
    assert "terlalu pendek" in joined(out)
    out = await budi.send("x" * 151)
    assert "terlalu panjang" in joined(out)
    out = await budi.send("Sosialisasi   ke staf")
    assert "Kapan target «<b>Sosialisasi ke staf</b>»" in joined(out)
    assert "Akhir pelatihan (Senin, 25 Oktober)" in str(budi.last_keyboard())
    out = await budi.press("2 minggu lagi")
    assert "Tahapan «<b>Sosialisasi ke staf</b>» ditambahkan, target Jumat, 17 September" in (
        joined(out)
    )
    assert "Anda belum punya mentor untuk menyetujuinya" in joined(out)
    assert "⏳ Sosialisasi ke staf — target Jumat, 17 September" in joined(out)
    # Typed dates: impossible, unread, past, too far, then right.
    out = await budi.send("/tahapan tambah")
    await budi.send("Rapat evaluasi dengan kepala dinas")
    for typed, answer in (
        ("31/2", "Februari"),
        ("minggu depan", "tidak terbaca"),
        ("2021-09-02", "sudah lewat"),
        ("2022-12-01", "lebih dari setahun"),
    ):
        out = await budi.send(typed)
        assert answer in joined(out), (typed, joined(out))
    out = await budi.send("1/10")
    assert "target Jumat, 1 Oktober" in joined(out)
    out = await add(budi, "Hari ini juga", "3/9")  # today's day and month: today, not next year
    assert "target Jumat, 3 September" in out
    assert await stored(db) == [
        ("Sosialisasi ke staf", date(2021, 9, 17), None),
        ("Rapat evaluasi dengan kepala dinas", date(2021, 10, 1), None),
        ("Hari ini juga", date(2021, 9, 3), None),
    ]
    out = await budi.press("✅ Sosialisasi")
    alerts = [r.text or "" for r in out if r.method == "answerCallbackQuery"]
    assert any("Selesai" in a for a in alerts), alerts
    assert "✅ Sosialisasi ke staf — selesai Jumat, 3 September" in joined(out)
    assert "(1 dari 3 selesai)" in joined(out)
    assert "🏁 Tahapan: 1 dari 3 selesai" in joined(await budi.send("/progres"))
    await budi.send("/tahapan")
    out = await budi.press("↩️ Sosialisasi")
    assert "⏳ Sosialisasi ke staf" in joined(out)
    assert [done for _, _, done in await stored(db)] == [None, None, None]


async def test_late_milestones_are_shown_to_the_participant_and_in_rekap(
    bot: RunningBot, clock: Clock, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    cohort = await facilitator_of(db, "REVMEN1", chat_kind)
    budi = await joined_person(bot)
    await write_plan(budi)
    await add(budi, "Sosialisasi ke staf", "#1")
    await add(budi, "Rapat evaluasi", "#4")
    mentor = await with_mentor(bot, budi)
    clock.now += timedelta(days=9)  # Sunday 12 September: the first is two days late
    out = joined(await mentor.send("/mentor"))
    assert "· 🏁 0/2 tahapan selesai, ⚠️ 1 terlambat" in out
    out = joined(await budi.send("/tahapan"))
    assert "⚠️ Sosialisasi ke staf — target Jumat, 10 September, terlambat 2 hari" in out
    assert "⏳ Rapat evaluasi" in out
    out = joined(await budi.send("/progres"))
    assert "0 dari 2 selesai · ⚠️ 1 terlambat: Sosialisasi ke staf" in out
    out = joined(await bot.person(9001, "Sari").send("/rekap"))
    assert "1 peserta menulis tahapan; 0 dari 2 selesai; 1 peserta terlambat" in out
    assert "⚠️ Budi — Sosialisasi ke staf" in out
    await budi.send("/tahapan")
    await budi.press("✅ Sosialisasi")  # done late: late no more
    out = joined(await bot.person(9001, "Sari").send("/rekap"))
    assert "1 dari 2 selesai; 0 peserta terlambat" in out
    async with db() as session:
        report = await cohort_report(session, cohort, bot.services.clock())
    header = [label_in("id")(f"report.col_{c}") for c in SUMMARY_COLUMNS]
    [row] = [dict(zip(header, r, strict=True)) for r in summary_rows(report, label_in("id"))]
    assert (row["Tahapan selesai"], row["Tahapan terlambat"]) == ("1/2", 0)


@pytest.mark.channels("memory")
async def test_a_new_milestone_goes_to_the_mentor_but_marking_one_done_does_not(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await write_plan(budi)
    await siti.press("Setujui")
    out = await add(budi, "Sosialisasi ke staf", "#2")
    assert "Dikirim ke mentor Anda, <b>Siti</b>" in out
    assert [s for s, _ in await reviews(db)] == ["approved", "waiting"]
    got = news(bot, siti)
    assert "<b>Tahapan:</b>\n• Sosialisasi ke staf — Jumat, 17 September" in got
    await siti.press("Setujui")
    assert "Budi</b> — —" in joined(await siti.send("/mentor"))
    assert "· 🏁 0/1 tahapan selesai" in joined(await siti.send("/mentor"))
    await budi.send("/tahapan")
    await budi.press("✅ Sosialisasi")
    assert [s for s, _ in await reviews(db)] == ["approved", "approved"]
    assert "· 🏁 1/1 tahapan selesai" in joined(await siti.send("/mentor"))
    # Removed: the plan changed, so it goes again.
    await budi.send("/tahapan")
    await budi.press("Hapus tahapan")
    await budi.press("🗑 Sosialisasi")
    out = await budi.press("Ya, hapus tahapan")
    assert "Tahapan «<b>Sosialisasi ke staf</b>» dihapus" in joined(out)
    assert "Dikirim ke mentor Anda" in joined(out)
    assert [s for s, _ in await reviews(db)] == ["approved", "approved", "waiting"]
    assert await stored(db) == []


@pytest.mark.channels("memory")
async def test_removal_asks_first_and_anything_else_voids_the_question(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await with_a_milestone(bot)
    await budi.press("Hapus tahapan")
    out = await budi.press("🗑 Sosialisasi")
    assert "Hapus tahapan «<b>Sosialisasi ke staf</b>» (target Jumat, 10 September)?" in (
        joined(out)
    )
    yes = budi.last_keyboard()
    await budi.press("Batal")
    assert len(await stored(db)) == 1
    await budi.send("/tahapan")
    await budi.press("Hapus tahapan")
    await budi.press("🗑 Sosialisasi")
    yes = budi.last_keyboard()
    [data] = [b["callback_data"] for b in yes[1] if "Ya, hapus" in b["text"]]
    await budi.send("/jadwal")  # something else: the question lapses
    out = await budi.press_data(yes[0], data)
    assert "lagi di /tahapan" in "\n".join(r.text or "" for r in out)
    assert len(await stored(db)) == 1


FORGED = [
    "mst:done:999999", "mst:done:0", "mst:done:x", "mst:zap:1", "mst:rm:", "mst:add:1",
    "mst:due:3", "mst:due:", "mst:done:9999999999", "mst", "mst:done:1:2",
]  # fmt: skip


async def test_forged_stale_and_someone_elses_buttons_change_nothing(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    await add(budi, "Sosialisasi ke staf", "#1")
    async with db() as session:
        budi_id = await session.scalar(select(Milestone.id))
    ani = await joined_person(bot, 1002, "Ani")
    await write_plan(ani)
    await ani.send("/tahapan")
    for data in [*FORGED, f"mst:done:{budi_id}", f"mst:rm:{budi_id}", "mst:due:1"]:
        out = await ani.press_data(ani.last_message_id(), data)
        alerts = [r.text or "" for r in out if r.method == "answerCallbackQuery"]
        assert alerts and "tidak berlaku" in alerts[0], (data, out)
    assert await stored(db) == [("Sosialisasi ke staf", date(2021, 9, 10), None)]


async def test_cancel_halfway_leaves_nothing_and_the_limits_hold(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = bot.person()
    await budi.send("/start REVMEN1")
    out = await budi.send("/tahapan tambah")
    assert "tulis rencana aksi Anda dulu" in joined(out)
    await budi.send("/batal")
    await write_plan(budi)
    await budi.send("/tahapan tambah")
    await budi.send("Sosialisasi ke staf")
    out = await budi.send("/batal")
    assert await stored(db) == []
    out = await budi.send("15/9")  # no question open: not a date for anything
    assert await stored(db) == []
    for i in range(rules.MAX_MILESTONES):
        await add(budi, f"Tahapan nomor {i + 1}", "#1")
    out = await budi.send("/tahapan tambah")
    assert "Sudah ada 8 tahapan, batasnya" in joined(out)
    out = await budi.send("/tahapan")
    assert "Tambah tahapan" not in str(budi.last_keyboard())
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Milestone)) == 8
    # Erasing the participant's data takes their milestones along.
    await budi.send("/hapusdata")
    await budi.press("Ya, hapus")
    assert await stored(db) == []


async def test_in_english(bot: RunningBot, db: async_sessionmaker[AsyncSession]) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    await budi.send("/bahasa")
    await budi.press("English")
    out = await budi.send("/milestones")
    assert "You have no <b>milestones</b> yet" in joined(out)
    await budi.press("Add a milestone")
    await budi.send("Brief the staff")
    out = await budi.press("In 1 week")
    assert "Milestone «<b>Brief the staff</b>» added, due Friday, 10 September" in joined(out)
    assert "⏳ Brief the staff — due" in joined(out)


@pytest.mark.channels("memory")
async def test_my_data_lists_the_milestones_and_the_mentors_decisions(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await write_plan(budi)
    await siti.press("Setujui")
    await add(budi, "Sosialisasi ke staf", "#1")
    await add(budi, "Rapat evaluasi", "#2")
    await budi.send("/tahapan")
    await budi.press("✅ Sosialisasi")
    out = await budi.send("/dataku")
    [document] = [r for r in out if r.method == "sendDocument"]
    rows = list(
        csv.reader(io.StringIO((document.file_bytes or b"").decode("utf-8-sig")), delimiter=";")
    )
    mine = [(r[0], r[1], r[6], r[9]) for r in rows if r[0] in ("tahapan", "persetujuan mentor")]
    assert mine == [
        ("tahapan", "2021-09-10", "selesai 2021-09-03", "Sosialisasi ke staf"),
        ("tahapan", "2021-09-17", "belum selesai", "Rapat evaluasi"),
        ("persetujuan mentor", "2021-09-03", "disetujui", ""),
        ("persetujuan mentor", "2021-09-03", "diganti versi berikutnya", ""),
        ("persetujuan mentor", "2021-09-03", "menunggu persetujuan", ""),
    ]
