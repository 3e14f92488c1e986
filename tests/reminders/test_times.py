"""When reminders are due, with an injected clock: each zone's own seven o'clock, local
midnights, zone changes, quiet-once-done and the evening follow-up, pause and working days, the
cohort's defaults and period — on Telegram (the bot polling the Bot API stand-in) and on the
in-memory channel."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.cohorts import get_cohort
from core.reminders import set_cohort_reminders, sync_reminders
from storage.models import CheckIn, Participant, Reminder
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
    WIB,
    WIT,
    WITA,
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


async def test_each_zone_gets_its_own_seven_oclock(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    standin = bot.standin
    for uid, tz in ((1, WIB), (2, WITA), (3, WIT)):
        await participant(db, clock, chat_kind, uid, tz)
    # 07:00 WIT = 22:00 UTC the day before; WITA 23:00; WIB 00:00.
    for when, uid in ((utc(2, 22), 3), (utc(2, 23), 2), (utc(3, 0), 1)):
        mark = standin.mark()
        report = await tick_at(bot, clock, when)
        assert [chat for chat, _ in sent_to(standin, mark)] == [uid], when
        assert report.sent == 1
        assert "saatnya menjalankan dan melaporkan" in sent_to(standin, mark)[0][1]
    # Each came with the day's check-in buttons.
    last = standin.outbox[-1]
    assert last.reply_markup is not None
    assert last.reply_markup["inline_keyboard"][0][0]["callback_data"].startswith("ci:y:")
    # The same minute again sends nothing; the next day's 07:00 is the next one.
    assert (await tick_at(bot, clock, utc(3, 0, 1))).sent == 0
    async with db() as session:
        due = await session.scalar(
            select(Reminder.next_due_at).where(
                Reminder.participant_id == 1, Reminder.kind == "daily"
            )
        )
    assert due == utc(4, 0)


async def test_local_midnight_decides_the_day(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    pid = await participant(db, clock, chat_kind, 7, WIT, reminder_times="00:10")
    # 00:10 WIT on Friday 3 September is 15:10 UTC on Thursday 2 September.
    await tick_at(bot, clock, utc(2, 15, 10))
    assert (pid, "daily", date(2021, 9, 3), "00:10", "sent") in await deliveries(db)


async def test_zone_change_moves_the_reminder_and_never_doubles_it(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    standin = bot.standin
    pid = await participant(db, clock, chat_kind, 8, WITA)
    await tick_at(bot, clock, utc(2, 23))  # 07:00 WITA: sent
    assert len(sent_to(standin)) == 1
    # Moves to WIB at 23:30 UTC (06:30 WIB, the same local day): 07:00 WIB must not repeat it.
    clock.now = utc(2, 23, 30)
    async with db.begin() as session:
        p = await session.get(Participant, pid, options=[])
        assert p is not None
        await session.refresh(p, ["cohort"])
        p.timezone = WIB
        await sync_reminders(session, p, clock.now)
    await tick_at(bot, clock, utc(3, 0))
    assert len(sent_to(standin)) == 1
    # The next morning it comes at 07:00 WIB (00:00 UTC), not at 07:00 WITA.
    assert (await tick_at(bot, clock, utc(3, 23))).sent == 0
    assert (await tick_at(bot, clock, utc(4, 0))).sent == 1


async def test_quiet_once_done_and_the_evening_follow_up(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    standin = bot.standin
    done = await participant(db, clock, chat_kind, 31, WITA, reminder_times="07:00,12:00")
    late = await participant(db, clock, chat_kind, 32, WITA, reminder_times="07:00,12:00")
    await tick_at(bot, clock, utc(2, 23))  # 07:00 WITA Friday: both reminded
    assert sorted(c for c, _ in sent_to(standin)) == [31, 32]
    # Participant 31 logs everything from the reminder's own button.
    reminder = next(o for o in standin.outbox if o.chat_id == 31 and o.method == "sendMessage")
    data = reminder.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    mark = standin.mark()
    await press(bot, 31, reminder.message_id or 0, data)
    assert any(o.method == "editMessageText" and "✅ selesai" in (o.text or "")
               for o in standin.outbox[mark:])  # fmt: skip
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(CheckIn)) == 1
    # 12:00: quiet for 31, sent to 32. 19:00 evening follow-up: only 32 again.
    mark = standin.mark()
    report = await tick_at(bot, clock, utc(3, 4))
    assert (report.sent, report.quiet) == (1, 1)
    report = await tick_at(bot, clock, utc(3, 11))
    assert (report.sent, report.quiet) == (1, 1)
    assert [c for c, _ in sent_to(standin, mark)] == [32, 32]
    assert (late, "daily", date(2021, 9, 3), "12:00", "sent") in await deliveries(db)
    assert "belum lengkap" in sent_to(standin, mark)[-1][1]
    assert (done, "evening", date(2021, 9, 3), "19:00", "quiet") in await deliveries(db)


async def test_pause_resume_and_working_days(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    standin = bot.standin
    paused = await participant(db, clock, chat_kind, 41, WITA, reminders_paused=True)
    workdays = await participant(db, clock, chat_kind, 42, WITA, reminder_workdays_only=True)
    await tick_at(bot, clock, utc(3, 23))  # Saturday 4 September, 07:00 WITA
    await tick_at(bot, clock, utc(4, 11))  # Saturday 19:00
    await tick_at(bot, clock, utc(4, 23))  # Sunday 07:00
    assert sent_to(standin) == []
    await tick_at(bot, clock, utc(5, 23))  # Monday 07:00
    assert [c for c, _ in sent_to(standin)] == [42]
    assert (workdays, "daily", date(2021, 9, 6), "07:00", "sent") in await deliveries(db)
    async with db.begin() as session:
        p = await session.get(Participant, paused)
        assert p is not None
        await session.refresh(p, ["cohort"])
        p.reminders_paused = False
        await sync_reminders(session, p, clock.now)
    mark = standin.mark()
    await tick_at(bot, clock, utc(6, 23))  # Tuesday 07:00
    assert sorted(c for c, _ in sent_to(standin, mark)) == [41, 42]


async def test_cohort_defaults_move_everyones_reminders(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    standin = bot.standin
    own = await participant(db, clock, chat_kind, 101, WITA, reminder_times="09:00")
    await participant(db, clock, chat_kind, 102, WITA)
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        moved = await set_cohort_reminders(
            session, cohort, clock.now, reminder_time="06:30", evening_time="off"
        )
    assert moved == 2
    async with db() as session:
        rows = {
            (r.participant_id, r.kind, r.local_time)
            for r in await session.scalars(select(Reminder))
        }
    assert (own, "daily", "09:00") in rows  # a participant's own choice stays
    assert {k for _, k, t in rows if t == "06:30"} == {"daily"}
    assert not any(k == "evening" for _, k, _ in rows)
    report = await tick_at(bot, clock, utc(2, 22, 30))  # 06:30 WITA
    assert [c for c, _ in sent_to(standin)] == [102]
    assert report.sent == 1


async def test_moving_to_a_new_cohort_moves_the_reminders(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await make_cohort(db)
    await make_cohort(db, code="REVMEN2", name="Angkatan II", starts=date(2021, 9, 1))
    settings = settings_for(standin, db_url)
    bot = await start_bot(chat_kind, standin, settings, Clock(utc(2, 12)))
    try:
        person = bot.person(111, "Rudi")
        await person.send("/start REVMEN1")
        out = await person.send("/start REVMEN2")
        assert "Pindah ke <b>Angkatan II</b>?" in joined(out)  # asked first
        out = await person.press("Ya, pindah ke REVMEN2")
        assert "Selamat bergabung di <b>Angkatan II</b>" in joined(out)
    finally:
        await bot.stop()
    # Start-up (`aksi run`'s, or the in-process one's) must not give the old membership its
    # reminders back.
    restarted = await start_bot(chat_kind, standin, settings, Clock(utc(2, 12)))
    await restarted.stop()
    async with db() as session:
        rows = await session.execute(
            select(Participant.cohort_id, func.count(Reminder.id))
            .outerjoin(Reminder, Reminder.participant_id == Participant.id)
            .group_by(Participant.cohort_id)
            .order_by(Participant.cohort_id)
        )
        assert [tuple(r) for r in rows] == [(1, 0), (2, 3)]


async def test_no_reminders_outside_the_cohort_period(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    standin = bot.standin
    await participant(db, clock, chat_kind, 121, WITA)
    clock.now = utc(25, 12, month=10)  # the cohort's last day, 20:00 WITA
    async with db.begin() as session:
        p = await session.scalar(select(Participant))
        assert p is not None
        await session.refresh(p, ["cohort"])
        await sync_reminders(session, p, clock.now)
    report = await tick_at(bot, clock, datetime(2021, 10, 25, 23, 0, tzinfo=UTC))  # 26 Oct 07:00
    assert (report.sent, report.quiet) == (0, 2)  # the daily one and the morning summary
    assert sent_to(standin) == []
