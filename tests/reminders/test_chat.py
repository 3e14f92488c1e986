"""What a participant does about reminders in the chat: /pengingat's times and working days,
"remind me in an hour", pausing until a date with a reason (typed or with buttons), and changing
or undoing a report from the reminder itself — on Telegram (the bot polling the Bot API
stand-in) and on the in-memory channel."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.cohorts import get_cohort
from core.imports import apply_schedule, parse_schedule
from core.reports import ExportStatus, export_rows
from handlers.reminders import MESSAGES
from scheduler.reminder_job import prepare, run_tick
from storage.models import Participant, Reminder
from tests.conftest import make_cohort
from tests.harness import (
    Clock,
    MemoryBot,
    RunningBot,
    joined,
    settings_for,
    start_bot,
)
from tests.reminders.reminding import (
    WITA,
    answers,
    check_ins,
    count_snoozes,
    ctx,
    deliveries,
    participant,
    press,
    sent_to,
    tick_at,
    utc,
)

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


async def test_reminder_settings_in_chat(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await make_cohort(db)
    clock = Clock(utc(2, 12))
    bot = await start_bot(chat_kind, standin, settings_for(standin, db_url), clock)
    try:
        budi = bot.person(91, "Budi")
        await budi.send("/start REVMEN1")
        out = await budi.send("/pengingat")
        assert "07.00 WITA (bawaan angkatan)" in joined(out)
        assert "07.30 WITA, 12.00 WITA" not in joined(out)
        await budi.send("/pengingat 7.30")
        out = await budi.send("/pengingat 12:00")
        assert "07.30, 12.00 WITA (pilihan Anda)" in joined(out)
        await budi.send("/pengingat 18:00")
        assert "Paling banyak 3" in joined(await budi.send("/pengingat 20:00"))
        impossible = joined(await budi.send("/pengingat 25:99"))
        assert (
            impossible == "Jam 25:99 tidak ada: jam 00–23 dan menit 00–59, misalnya <i>07:30</i>."
        )
        assert "tidak terbaca" in joined(await budi.send("/pengingat 7:3"))
        assert "/pengingat jeda" in joined(await budi.send("/pengingat besok"))
        out = await budi.press("🗑 12:00")
        assert "07.30, 18.00 WITA" in joined(out)
        out = await budi.press("Hari kerja saja")
        assert "Hari kerja (Sen–Jum)" in joined(out)
        out = await budi.send("/pengingat jeda")
        assert "dijeda" in joined(out)
        await budi.send("/pengingat lanjut")
        await budi.press("Tambah waktu")
        out = await budi.send("06:15")
        assert "06.15, 07.30, 18.00 WITA" in joined(out)
        out = await budi.press_data(out[-1].message_id or 0, "rem:del:9999")
        assert "tidak berlaku" in (out[0].text or "")
    finally:
        await bot.stop()
    async with db() as session:
        p = await session.scalar(select(Participant))
        assert p is not None
        assert (p.reminder_times, p.reminder_workdays_only, p.reminders_paused) == (
            "06:15,07:30,18:00", True, False
        )  # fmt: skip
        times = sorted(
            await session.scalars(select(Reminder.local_time).where(Reminder.kind == "daily"))
        )
    assert times == ["06:15", "07:30", "18:00"]


async def test_remind_me_in_an_hour(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    standin = bot.standin
    snoozer = await participant(db, clock, chat_kind, 301, WITA)
    logger = await participant(db, clock, chat_kind, 302, WITA)
    await participant(db, clock, chat_kind, 303, WITA, language="en")
    twice = await participant(db, clock, chat_kind, 304, WITA, reminder_times="07:00,07:30")
    await tick_at(bot, clock, utc(2, 23))  # Friday 3 September, 07:00 WITA: all four
    reminders = {o.chat_id: o for o in standin.outbox if o.method == "sendMessage"}
    assert sorted(c for c in reminders if c is not None) == [301, 302, 303, 304]

    def snooze_button(chat: int) -> dict[str, Any]:
        rows = (reminders[chat].reply_markup or {})["inline_keyboard"]
        return dict(rows[-1][0])

    assert snooze_button(301) == {
        "text": "😴 Ingatkan 1 jam lagi",
        "callback_data": "rem:snooze:20210903",
    }
    assert snooze_button(303)["text"] == "😴 Remind me in an hour"
    clock.now = utc(2, 23, 5)
    for chat in (301, 302, 303, 304):
        out = await press(bot, chat, reminders[chat].message_id or 0, "rem:snooze:20210903")
        expected = (
            "⏰ OK, I'll remind you again at 08:05 WITA."
            if chat == 303
            else "⏰ Baik, saya ingatkan lagi pukul 08.05 WITA."
        )
        assert answers(out) == [expected]
    # A double tap keeps the one snooze.
    out = await press(bot, 301, reminders[301].message_id or 0, "rem:snooze:20210903")
    assert answers(out) == ["⏰ Baik, saya ingatkan lagi pukul 08.05 WITA."]
    assert await count_snoozes(db) == 4
    # 302 logs the day meanwhile (from the reminder's own button): its snooze stays quiet.
    done = (reminders[302].reply_markup or {})["inline_keyboard"][0][0]
    await press(bot, 302, reminders[302].message_id or 0, done["callback_data"])
    # 304's own 07:30 reminder keeps quiet: they asked for an hour.
    mark = standin.mark()
    report = await tick_at(bot, clock, utc(2, 23, 30))
    assert (report.sent, report.quiet) == (0, 1)
    assert (twice, "daily", date(2021, 9, 3), "07:30", "quiet") in await deliveries(db)
    assert (await tick_at(bot, clock, utc(3, 0, 4))).sent == 0
    report = await tick_at(bot, clock, utc(3, 0, 5))
    assert (report.sent, report.quiet) == (3, 1)
    back = dict(sent_to(standin, mark))
    assert sorted(c for c in back if c is not None) == [301, 303, 304]
    assert back[301].startswith(
        "⏰ <b>Pengingat</b> (Anda minta diingatkan lagi): yuk laporkan komitmen Anda hari ini."
    )
    assert "1. Apel pagi — ⬜ belum dilaporkan" in back[301]
    assert back[303].startswith("⏰ <b>Reminder</b> (you asked to be reminded again)")
    assert (snoozer, "snooze", date(2021, 9, 3), "08:05", "sent") in await deliveries(db)
    assert (logger, "snooze", date(2021, 9, 3), "08:05", "quiet") in await deliveries(db)
    # Once: the next tick sends nothing, and no snooze is left.
    assert (await tick_at(bot, clock, utc(3, 0, 6))).sent == 0
    assert await count_snoozes(db) == 0
    # The snoozed reminder can be snoozed again; claimed then "crashed" before sending: at most
    # once, like every reminder.
    again = next(
        o for o in reversed(standin.outbox) if o.chat_id == 301 and o.method == "sendMessage"
    )
    assert (again.reply_markup or {})["inline_keyboard"][-1][0]["text"] == "😴 Ingatkan 1 jam lagi"
    out = await press(bot, 301, again.message_id or 0, "rem:snooze:20210903")
    assert answers(out) == ["⏰ Baik, saya ingatkan lagi pukul 09.06 WITA."]
    clock.now = utc(3, 1, 6)
    assert len((await prepare(ctx(bot), clock.now, MESSAGES)).outgoing) == 1
    assert (await run_tick(ctx(bot), clock.now, MESSAGES)).sent == 0
    assert await count_snoozes(db) == 0


async def test_remind_me_in_an_hour_refused(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    standin = bot.standin
    await participant(db, clock, chat_kind, 311, WITA)
    paused = await participant(db, clock, chat_kind, 312, WITA)
    await tick_at(bot, clock, utc(2, 23))  # Friday 07:00 WITA
    message = {o.chat_id: o.message_id or 0 for o in standin.outbox if o.method == "sendMessage"}
    async with db.begin() as session:
        p = await session.get(Participant, paused)
        assert p is not None
        p.reminders_paused = True
    out = await press(bot, 312, message[312], "rem:snooze:20210903")
    assert answers(out) == ["Pengingat Anda sedang dijeda. Lanjutkan lewat /pengingat."]
    for data in ("rem:snooze:20210902", "rem:snooze:2021090", "rem:snooze:x", "rem:snooze:"):
        out = await press(bot, 311, message[311], data)
        assert answers(out) == [
            "Tombol ini sudah tidak berlaku. Ketik /bantuan untuk melihat pilihan."
        ], data
    clock.now = utc(3, 15, 30)  # 23:30 WITA: an hour later is Saturday
    out = await press(bot, 311, message[311], "rem:snooze:20210903")
    assert answers(out) == [
        "Satu jam lagi sudah berganti hari. Laporkan hari ini lewat /lapor sebelum tengah malam."
    ]
    clock.now = utc(3, 16, 30)  # 00:30 on Saturday: Friday's reminder is stale
    out = await press(bot, 311, message[311], "rem:snooze:20210903")
    assert answers(out) == ["Tombol ini sudah tidak berlaku. Ketik /bantuan untuk melihat pilihan."]
    assert await count_snoozes(db) == 0
    sent = [o.method for o in standin.outbox if o.method in ("sendMessage", "editMessageText")]
    assert sent == ["sendMessage", "sendMessage"]  # the two reminders, nothing else


async def test_pause_until_a_date_with_a_reason(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await make_cohort(db)
    clock = Clock(utc(3, 1))  # Friday 3 September, 09:00 WITA
    pid = await participant(db, clock, chat_kind, 401, WITA)
    await participant(db, clock, chat_kind, 402, WITA)
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        csv = "date,start,end,title,speaker,link\n2021-09-04,08:30,10:00,Integritas,,\n"
        await apply_schedule(session, cohort, parse_schedule(csv.encode(), cohort))
    bot = await start_bot(chat_kind, standin, settings_for(standin, db_url), clock)
    budi = bot.person(401, "Budi")
    try:
        assert "Sampai kapan?" in joined(await budi.send("/pengingat jeda cuti"))
        out = await budi.send("/pengingat jeda 2021-09-03")
        assert (
            "Pilih hari setelah hari ini, paling lama 60 hari lagi (sampai Selasa, 2 November "
            "2021)." in joined(out)
        )
        assert "paling lama 60 hari" in joined(await budi.send("/pengingat jeda 61"))
        assert joined(await budi.send("/pengingat jeda 31/2")) == (
            "Tanggal 31/2 tidak ada: Februari 2022 hanya sampai tanggal 28."
        )
        assert "Tanggal itu tidak terbaca" in joined(await budi.send("/pengingat jeda lusa"))
        assert "Alasan itu tidak dikenal" in joined(await budi.send("/pengingat jeda 3 liburan"))
        async with db() as session:
            p = await session.get(Participant, pid)
            assert p is not None and (p.reminders_paused_until, p.pause_reason) == (None, None)
        assert await check_ins(db, pid) == []
        out = await budi.send("/pengingat jeda 2021-09-06 cuti")
        body = joined(out)
        assert "Status: ⏸ dijeda sampai Senin, 6 September · 🏖 Cuti" in body
        assert (
            "Pengingat kembali sendiri pada Senin, 6 September. Kebiasaan pada hari-hari jeda "
            "tercatat ⏸ dilewati (🏖 Cuti), jadi beruntun tidak putus." in body
        )
        assert "1. Apel pagi — ⏸ dilewati (🏖 Cuti)" in joined(await budi.send("/lapor"))
    finally:
        await bot.stop()
    assert await check_ins(db, pid) == [(date(2021, 9, d), "skipped", "leave") for d in (3, 4, 5)]
    async with db() as session:  # the export ends today: the days ahead are not in it yet
        rows = await export_rows(session, await get_cohort(session, "REVMEN1"), clock.now)
    assert [(r.day, r.status, r.reason) for r in rows if r.participant_id == pid] == [
        (date(2021, 9, 2), ExportStatus.NOT_LOGGED, None),
        (date(2021, 9, 3), ExportStatus.SKIPPED, "leave"),
    ]
    # A restart keeps it; the weekend passes in silence; Monday it is back by itself.
    bot = await start_bot(chat_kind, standin, settings_for(standin, db_url), clock)
    budi = bot.person(401, "Budi")
    try:
        out = await budi.send("/pengingat")
        assert "⏸ dijeda sampai Senin, 6 September · 🏖 Cuti" in joined(out)
        mark = bot.standin.mark()
        for when in (utc(3, 22), utc(3, 23), utc(4, 0), utc(4, 11), utc(4, 22), utc(4, 23)):
            await tick_at(bot, clock, when)
        chats = [c for c, _ in sent_to(bot.standin, mark)]
        assert 401 not in chats
        assert 402 in chats  # the other participant, reminded of Saturday's session too
        mark = bot.standin.mark()
        await tick_at(bot, clock, utc(5, 23))  # Monday 6 September, 07:00 WITA
        assert sorted(c for c, _ in sent_to(bot.standin, mark) if c is not None) == [401, 402]
        assert "Status: ▶️ aktif" in joined(await budi.send("/pengingat"))
    finally:
        await bot.stop()


async def test_pause_with_buttons_and_a_typed_date(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await make_cohort(db)
    clock = Clock(utc(3, 1))  # Friday 3 September, 09:00 WITA
    pid = await participant(db, clock, chat_kind, 501, WITA, language="en")
    bot = await start_bot(chat_kind, standin, settings_for(standin, db_url), clock)
    john = bot.person(501, "John", language_code="en")

    async def next_daily() -> datetime | None:
        async with db() as session:
            return await session.scalar(
                select(Reminder.next_due_at).where(
                    Reminder.participant_id == pid, Reminder.kind == "daily"
                )
            )

    try:
        await john.send("/reminders")
        out = await john.press("⏸ Pause")
        assert "⏸ <b>Pause reminders</b>\nUntil when?" in joined(out)
        assert [b["text"] for b in john.last_keyboard()[1]] == [
            "1 day", "3 days", "1 week", "📅 Until a date…", "⏸ Until I resume", "⬅️ Back"
        ]  # fmt: skip
        out = await john.press("3 days")
        body = joined(out)
        assert "Status: ⏸ paused until Monday, 6 September\n" in body
        assert (
            "Reminders come back by themselves on Monday, 6 September. Sick, on official travel "
            "or on leave? Pick the reason below" in body
        )
        assert await check_ins(db, pid) == []  # no reason: the habits stay due
        assert await next_daily() == utc(5, 23)  # Monday 07:00 WITA
        out = await john.press("Official travel")
        assert "⏸ paused until Monday, 6 September · 🧳 Official travel" in joined(out)
        assert "• 🧳 Official travel" in [b["text"] for b in john.last_keyboard()[1]]
        assert await check_ins(db, pid) == [
            (date(2021, 9, d), "skipped", "duty") for d in (3, 4, 5)
        ]
        out = await john.press("Resume")
        assert "Status: ▶️ on" in joined(out)
        # Today's skip stays (changeable in /checkin); the days ahead are taken back.
        assert await check_ins(db, pid) == [(date(2021, 9, 3), "skipped", "duty")]
        assert await next_daily() == utc(3, 23)  # Saturday 07:00 WITA
        # Forged or stale pause buttons change nothing.
        message_id, _ = john.last_keyboard()
        for data in ("rem:why:leave", "rem:why:holiday", "rem:pausefor:2", "rem:pausefor:",
                     "rem:pausedate:x", "rem:hold:1", "rem:until:3"):  # fmt: skip
            out = await john.press_data(message_id, data)
            assert answers(out) == [
                "This button is no longer valid. Type /help to see what you can do."
            ], data
        assert await check_ins(db, pid) == [(date(2021, 9, 3), "skipped", "duty")]
        # Until a typed date, with a reason.
        await john.press("⏸ Pause")
        out = await john.press("Until a date")
        assert "Type the date reminders come back" in joined(out)
        out = await john.send("31/12")
        assert (
            "Pick a day after today, 60 days ahead at most (until Tuesday, 2 November 2021)."
            in joined(out)
        )
        assert "I can't read that date" in joined(await john.send("someday"))
        out = await john.send("8/9 sick")
        assert "Status: ⏸ paused until Wednesday, 8 September · 🤒 Sick" in joined(out)
        assert await check_ins(db, pid) == [
            (date(2021, 9, d), "skipped", "sick") for d in range(3, 8)
        ]
        assert await next_daily() == utc(7, 23)  # Wednesday 07:00 WITA
        # Until resumed: no date, no skips ahead.
        await john.press("Resume")
        await john.press("⏸ Pause")
        out = await john.press("Until I resume")
        assert "Status: ⏸ paused\n" in joined(out)
        assert await next_daily() is None
        assert await check_ins(db, pid) == [(date(2021, 9, 3), "skipped", "sick")]
    finally:
        await bot.stop()


async def test_change_and_undo_from_the_reminder(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    standin = bot.standin
    pid = await participant(db, clock, chat_kind, 601, WITA, reminder_times="07:00,12:00")
    await tick_at(bot, clock, utc(2, 23))  # Friday 07:00 WITA
    [reminder] = [o for o in standin.outbox if o.method == "sendMessage"]
    message_id = reminder.message_id or 0
    done = (reminder.reply_markup or {})["inline_keyboard"][0][0]
    assert done["text"] == "✅ Apel pagi"
    out = await press(bot, 601, message_id, done["callback_data"])
    [edit] = [o for o in out if o.method == "editMessageText"]
    assert "1. Apel pagi — ✅ selesai" in (edit.text or "")
    change = (edit.reply_markup or {})["inline_keyboard"][0][0]
    assert change["text"] == "✏️ Ubah: Apel pagi"
    out = await press(bot, 601, message_id, change["callback_data"])
    [edit] = [o for o in out if o.method == "editMessageText"]
    assert "Sekarang: ✅ selesai" in (edit.text or "")
    buttons = [b for row in (edit.reply_markup or {})["inline_keyboard"] for b in row]
    undo = next(b for b in buttons if b["text"] == "↩️ Batalkan laporan")
    out = await press(bot, 601, message_id, undo["callback_data"])
    assert answers(out) == ["↩️ Laporan dibatalkan"]
    assert await check_ins(db, pid) == []
    # The day is open again, so the 12:00 reminder comes.
    report = await tick_at(bot, clock, utc(3, 4))
    assert report.sent == 1
    assert (pid, "daily", date(2021, 9, 3), "12:00", "sent") in await deliveries(db)
