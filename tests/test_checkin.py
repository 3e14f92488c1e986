"""End to end over HTTP: /rencana → a week of /lapor (with a skip and a backfill) → /progres;
checking in on another day, the guards of /lapor, and days before a habit existed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from storage.models import (
    CheckIn,
    Cohort,
    Reflection,
)
from tests.harness import Clock, RunningBot, joined, texts
from tests.planning import (
    count,
    entries,
    habits,
    joined_person,
    sheet_message,
    write_plan,
)

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

# Friday 3 September 2021, 09:00 WITA.


async def test_plan_then_a_week_of_checkins_then_progress(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock, standin: BotApiStandIn
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    apel, baca = await habits(db)
    assert (apel.kind, apel.schedule, baca.kind, baca.unit, baca.target, baca.schedule) == (
        "yesno", "weekdays:0,1,2,3,4", "numeric", "halaman", 10.0, "daily"
    )  # fmt: skip
    assert apel.created_on == date(2021, 9, 3)
    # Friday 3 Sep: both done; reading 12 pages typed after pressing its number button.
    out = await budi.send("/lapor")
    assert "Jumat, 3 September 2021" in joined(out)
    await budi.press("Apel pagi")
    await budi.press("Membaca")
    out = await budi.send("12")
    assert "Membaca regulasi — ✅ 12 halaman" in joined(out)
    assert "Semua kebiasaan hari ini sudah dilaporkan" in joined(out)
    # Saturday 4 Sep: the weekday habit is not due; reading skipped for sickness.
    clock.next_day()
    out = await budi.send("/lapor")
    assert "Tidak terjadwal hari ini: Apel pagi tepat waktu" in joined(out)
    _, buttons = budi.last_keyboard()
    assert not any("Apel" in b["text"] for b in buttons)
    await budi.press("⏸")
    out = await budi.press("Sakit")
    assert "⏸ dilewati (🤒 Sakit)" in joined(out)
    # Sunday: nothing logged. Monday 6 Sep: backfill Sunday's reading (8 pages, below target).
    clock.next_day()
    clock.next_day()
    out = await budi.send("/lapor kemarin")
    assert "Minggu, 5 September 2021" in joined(out)
    await budi.press("Membaca")
    out = await budi.send("8")
    assert "🟡 8/10 halaman" in joined(out)
    # Monday itself: apel done twice (a double tap: the same button twice, before the sheet
    # changed), reading done at target, a reflection.
    await budi.send("/lapor")
    await budi.press_data(sheet_message(budi), f"ci:y:{apel.id}.20210906")
    await budi.press_data(sheet_message(budi), f"ci:y:{apel.id}.20210906")
    await budi.press("Membaca")
    await budi.send("10")
    await budi.press("Refleksi")
    out = await budi.send("Apel tepat waktu, membaca di jam istirahat.")
    assert "Refleksi tersimpan" in joined(out)
    # Tuesday 7 Sep: apel not done; reading open (today not over).
    clock.next_day()
    await budi.send("/lapor")
    await budi.press_data(sheet_message(budi), f"ci:n:{apel.id}.20210907")
    assert await count(db, CheckIn) == 7  # the double tap counted once
    assert await count(db, Reflection) == 1

    out = await budi.send_and_wait("/progres", 2)
    summary = texts(out)[0]
    # Apel (Mon-Fri): Fri done, Mon done, Tue not done -> streak 0, best 2, 2 of 3.
    assert (
        "1.</b> Apel pagi tepat waktu — Hari kerja (Sen–Jum)\n🔥 Beruntun: 0 hari (terbaik 2 hari)"
        in summary
    )
    assert "7 hari: 67%" in summary
    # Reading (daily, target 10): Fri 12 ok, Sat skipped, Sun 8 (below), Mon 10, Tue open.
    assert "🔥 Beruntun: 1 hari (terbaik 1 hari)" in summary
    assert "7 hari: 67%" in summary.split("2.</b>")[1]
    photos = [r for r in out if r.method == "sendPhoto"]
    assert len(photos) == 1
    assert (photos[0].file_bytes or b"").startswith(b"\x89PNG")


async def test_checkin_guards(bot: RunningBot, db: async_sessionmaker[AsyncSession]) -> None:
    budi = await joined_person(bot)
    assert "belum punya rencana aksi" in joined(await budi.send("/lapor"))
    assert "belum punya rencana aksi" in joined(await budi.send("/progres"))
    await write_plan(budi)
    assert "/lapor kemarin" in joined(await budi.send("/lapor lusa"))
    assert "tidak bisa dilaporkan" in joined(await budi.send("/lapor 2021-08-01"))
    out = await budi.send("/lapor 2/9")
    assert "Kamis, 2 September 2021" in joined(out)
    await budi.send("/lapor")
    await budi.press("Refleksi")
    assert "paling banyak 500 karakter" in joined(await budi.send("r" * 501))
    await budi.press("Membaca")
    assert "Ketik angkanya saja" in joined(await budi.send("banyak"))
    await budi.send("/lapor")
    await budi.press("⏸")
    await budi.press("Alasan lain")
    out = await budi.send("Rapat koordinasi di kantor gubernur")
    assert "dilewati (Rapat koordinasi di kantor gubernur)" in joined(out)


@pytest.mark.channels("telegram")  # the stand-in refuses the picture
async def test_picture_failure_falls_back_to_text(bot: RunningBot, standin: BotApiStandIn) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    standin.fail("sendPhoto", 400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
    out = await budi.send_and_wait("/progres", 2)
    assert "Kemajuan Anda" in texts(out)[0]
    assert "Gambar peta kebiasaan belum bisa dikirim" in texts(out)[-1]


async def test_another_day_button_logs_a_past_day(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    clock.now += timedelta(days=3)  # Monday 6 September
    await budi.send("/lapor")
    out = await budi.press("Hari lain")
    labels = [b["text"] for b in budi.last_keyboard()[1]]
    assert "Jum 3/9" in labels
    assert "Kam 2/9" in labels  # the cohort's first day, within a week back
    assert not any("1/9" in label for label in labels)  # before the cohort started
    out = await budi.press("Jum 3/9")
    assert "Jumat, 3 September 2021" in joined(out)
    await budi.press("Apel pagi")
    async with db() as session:
        days = list(await session.scalars(select(CheckIn.day)))
    assert days == [date(2021, 9, 3)]


async def test_a_question_left_open_does_not_catch_later_text(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    await budi.send("/lapor")
    await budi.press("⏸")
    await budi.press("Alasan lain")  # asks for a typed reason...
    await budi.press("Kembali")  # ...but the person goes back
    await budi.press("Apel pagi")
    out = await budi.send("terima kasih")
    assert "/bantuan" in joined(out)
    async with db() as session:
        assert list(await session.scalars(select(CheckIn.status))) == ["done"]


async def test_a_day_before_the_habits_existed_says_so(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)  # Friday 3 September; the cohort started on Thursday
    out = await budi.send("/lapor kemarin")
    body = joined(out)
    assert "Kamis, 2 September 2021" in body
    assert (
        "Kebiasaan Anda baru ditambahkan setelah hari itu, jadi tidak ada yang perlu dilaporkan."
        in body
    )
    assert (
        "Belum ada pada hari itu: Apel pagi tepat waktu, Membaca regulasi (ditambahkan pada 3 Sep)"
        in body
    )
    assert "Tidak ada kebiasaan terjadwal" not in body and "Tidak terjadwal" not in body
    _, buttons = budi.last_keyboard()
    assert [b["text"] for b in buttons] == ["💬 Refleksi", "📅 Hari lain"]
    # Monday: an every-day habit added today; Sunday's sheet shows each line for what it is.
    clock.now += timedelta(days=3)
    await budi.send("/rencana")
    await budi.press("Tambah kebiasaan")
    await budi.send("Senam pagi")
    await budi.press("Ya / tidak")
    await budi.press("Setiap hari")
    await budi.press("Simpan")
    body = joined(await budi.send("/lapor kemarin"))
    assert "1. Membaca regulasi — ⬜ belum dilaporkan" in body
    assert "Tidak terjadwal hari ini: Apel pagi tepat waktu" in body  # weekdays only
    assert "Belum ada pada hari itu: Senam pagi (ditambahkan pada 6 Sep)" in body
    assert "Senam pagi —" not in body
    # The same in English, and the cohort's first day, before all three.
    await budi.send("/bahasa en")
    body = joined(await budi.send("/checkin yesterday"))
    assert "Not scheduled this day: Apel pagi tepat waktu" in body
    assert "Not in your plan yet on this day: Senam pagi (added on 6 Sep)" in body
    body = joined(await budi.send("/checkin 2021-09-02"))
    assert "Your habits were added after this day, so there is nothing to log for it." in body
    assert (
        "Not in your plan yet on this day: Apel pagi tepat waktu, Membaca regulasi "
        "(added on 3 Sep); Senam pagi (added on 6 Sep)" in body
    )
    assert "No habit is scheduled" not in body
    # A made-up press for a habit on a day before it existed changes nothing.
    [apel] = [h for h in await habits(db) if h.name == "Apel pagi tepat waktu"]
    for action in ("y", "e", "u"):
        out = await budi.press_data(sheet_message(budi), f"ci:{action}:{apel.id}.20210902")
        assert "did not exist yet" in (out[0].text or ""), action
    assert await entries(db) == []


async def test_progress_after_the_training_counts_up_to_its_last_day(
    bot: RunningBot, clock: Clock, db: async_sessionmaker[AsyncSession]
) -> None:
    """A cohort without follow-up after the course (core.follow_up): /progres then shows the
    figures of its last day, not weeks of days that look missed. With the follow-up, the same
    holds at its own end (alumni keep logging until then)."""
    budi = await joined_person(bot)
    await write_plan(budi)
    async with db.begin() as session:
        await session.execute(update(Cohort).values(follow_up_days=0))
    clock.now = datetime(2021, 10, 25, 4, 0, tzinfo=UTC)  # the last day (Monday 25 October)
    last_day = texts(await budi.send_and_wait("/progres", 2))[0]
    clock.now = datetime(2021, 12, 1, 4, 0, tzinfo=UTC)  # five weeks after the end
    later = texts(await budi.send_and_wait("/progres", 2))[0]
    assert later == last_day
    async with db.begin() as session:
        await session.execute(update(Cohort).values(follow_up_days=30))
    clock.now = datetime(2021, 11, 24, 4, 0, tzinfo=UTC)  # the follow-up's last day
    end_of_follow_up = texts(await budi.send_and_wait("/progres", 2))[0]
    assert end_of_follow_up != last_day  # a month more counted
    clock.now = datetime(2022, 2, 1, 4, 0, tzinfo=UTC)
    later = texts(await budi.send_and_wait("/progres", 2))[0]
    assert later.split("🎓")[0] == end_of_follow_up.split("🎓")[0]  # the figures, not the state
