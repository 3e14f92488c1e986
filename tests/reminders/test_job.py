"""The reminder job: restarts and overlapping ticks, a crash before the claims commit, the
catch-up window after downtime, 403 and 429, /start bringing reminders back, the job running on
its own across a restart, and sessions' reminders — on Telegram (the bot polling the Bot API
stand-in) and on the in-memory channel."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.channel import Address
from core.cohorts import get_cohort
from core.habits import Status
from core.imports import apply_schedule, parse_schedule
from core.reminders import sync_reminders
from handlers.reminders import MESSAGES
from scheduler.reminder_job import ReminderMessages, prepare, run_tick
from storage.models import CheckIn, Contact, Participant, Reminder
from tests.conftest import make_cohort
from tests.harness import (
    Clock,
    MemoryBot,
    RunningBot,
    joined,
    settings_for,
    start_bot,
    ticks_passed,
)
from tests.people import person_of
from tests.reminders.reminding import (
    WIB,
    WITA,
    ctx,
    deliveries,
    participant,
    sent_to,
    tick_at,
    utc,
)

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


async def test_restart_mid_tick_and_overlapping_ticks_send_once(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    standin = bot.standin
    # Written through the bot's own database: its one write transaction at a time keeps these
    # ten from waiting (on SQLite, blocking the event loop) for the running bot's writes.
    bot_db: Any = ctx(bot).services.db
    for uid in range(10, 20):
        await participant(bot_db, clock, chat_kind, uid, WITA)
    clock.now = utc(2, 23)
    # A crash after the claims were committed, before anything was sent: at most once.
    prepared = await prepare(ctx(bot), clock.now, MESSAGES, limit=100)  # all of them
    assert len(prepared.outgoing) == 10
    assert (await run_tick(ctx(bot), clock.now, MESSAGES)).sent == 0
    assert sent_to(standin) == []
    # The next morning, two ticks at once: every participant gets exactly one reminder.
    clock.now = utc(3, 23)
    first, second = await asyncio.gather(
        run_tick(ctx(bot), clock.now, MESSAGES), run_tick(ctx(bot), clock.now, MESSAGES)
    )
    assert first.sent + second.sent == 10
    chats = [chat for chat, _ in sent_to(standin)]
    assert sorted(chats) == list(range(10, 20))


async def test_a_crash_before_the_claims_commit_loses_nothing(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    await participant(db, clock, chat_kind, 21, WITA)
    context = ctx(bot)
    clock.now = utc(2, 23)

    class Boom(Exception):
        pass

    async def crash(*_: Any, **__: Any) -> None:
        raise Boom

    crashing = ReminderMessages(crash, MESSAGES.session)
    with pytest.raises(Boom):
        await prepare(context, clock.now, crashing)
    assert await deliveries(db) == []
    assert (await run_tick(context, clock.now, MESSAGES)).sent == 1


async def test_session_reminders_and_morning_summary(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    standin = bot.standin
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        csv = (
            "date,start,end,title,speaker,link\n"
            "2021-09-03,08:30,12:00,Integritas,Dr. Andi,https://zoom.example/j/2\n"
        )
        await apply_schedule(session, cohort, parse_schedule(csv.encode(), cohort))
    await participant(db, clock, chat_kind, 51, WIB, plan=False)
    wita_id = await participant(db, clock, chat_kind, 52, WITA, plan=False)
    wib, wita = 51, 52  # their chats
    # 06:00 WITA: the morning summary (WITA only; 06:00 WIB comes an hour later).
    await tick_at(bot, clock, utc(2, 22))
    assert [c for c, t in sent_to(standin) if "Sesi hari ini" in t] == [wita]
    assert "08.30–12.00 WITA Integritas" in sent_to(standin)[0][1]
    await tick_at(bot, clock, utc(2, 23))  # 06:00 WIB; also 07:00 WITA's daily (no plan)
    assert "07.30–11.00 WIB Integritas" in next(t for c, t in sent_to(standin) if c == wib)
    mark = standin.mark()
    # 30 minutes before 08:30 WITA (00:00 UTC): everyone in the cohort, once.
    await tick_at(bot, clock, utc(3, 0))
    session_notes = [(c, t) for c, t in sent_to(standin, mark) if "🔔" in t]
    assert sorted(c for c, _ in session_notes) == [wib, wita]
    assert "07.30 WIB (30 menit lagi)" in dict(session_notes)[wib]
    assert 'href="https://zoom.example/j/2"' in dict(session_notes)[wita]
    mark = standin.mark()
    await tick_at(bot, clock, utc(3, 0, 1))
    assert [t for _, t in sent_to(standin, mark) if "🔔" in t] == []
    # Saturday: no session, so no morning summary (quiet).
    await tick_at(bot, clock, utc(3, 22))
    assert (wita_id, "morning", date(2021, 9, 4), "06:00", "quiet") in await deliveries(db)


async def test_catch_up_window_after_downtime(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    standin = bot.standin
    await participant(db, clock, chat_kind, 61, WITA, reminder_times="07:00")
    skipped = await participant(db, clock, chat_kind, 62, WITA, reminder_times="05:00")
    # The bot was down from before 05:00 until 07:45 WITA: 07:00 (45 min ago) is still sent,
    # 05:00 (2 h 45 min ago, over the 60-minute window) is skipped and logged, and so are
    # both 06:00 morning summaries (1 h 45 min ago).
    report = await tick_at(bot, clock, utc(2, 23, 45))
    assert (report.sent, report.late) == (1, 3)
    assert [c for c, _ in sent_to(standin)] == [61]
    assert (skipped, "daily", date(2021, 9, 3), "05:00", "late") in await deliveries(db)


async def test_blocked_user_stops_until_start_and_429_is_retried(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
    standin: BotApiStandIn,
) -> None:
    """71 blocked the bot. On Telegram the stand-in answers 403 for 71 and asks once to wait
    for 72 (429, retried by the Telegram channel itself); on the in-memory channel 71 is
    unreachable (a wait asked for is Telegram's: this channel has no retry of its own)."""
    blocked = await participant(db, clock, chat_kind, 71, WITA)
    busy = await participant(db, clock, chat_kind, 72, WITA)
    if isinstance(bot, MemoryBot):
        bot.channel.unreachable.add("71")
    else:
        standin.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=71)
        standin.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1,
                     times=1, chat_id=72)  # fmt: skip
    report = await tick_at(bot, clock, utc(2, 23))
    assert (report.sent, report.unreachable) == (1, 1)
    assert [c for c, _ in sent_to(bot.standin)] == [72]
    assert (busy, "daily", date(2021, 9, 3), "07:00", "sent") in await deliveries(db)
    async with db() as session:
        p = await session.get(Participant, blocked)
        assert p is not None
        contact = await session.scalar(select(Contact).where(Contact.person_id == p.person_id))
        assert contact is not None and contact.unreachable_at is not None
        left = await session.scalar(
            select(func.count()).select_from(Reminder).where(Reminder.participant_id == blocked)
        )
    assert left == 0
    if isinstance(bot, MemoryBot):
        bot.channel.unreachable.clear()
    else:
        standin.clear_failures()
    assert (await tick_at(bot, clock, utc(3, 23))).sent == 1  # only the reachable one


async def test_start_again_brings_reminders_back(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await make_cohort(db)
    clock = Clock(utc(2, 12))
    bot = await start_bot(chat_kind, standin, settings_for(standin, db_url), clock)
    try:
        person = bot.person(81, "Dewi")
        await person.send("/start REVMEN1")
        async with db.begin() as session:
            p = await session.scalar(select(Participant))
            assert p is not None
            contact = await session.scalar(select(Contact).where(Contact.person_id == p.person_id))
            assert contact is not None
            contact.unreachable_at = clock.now
            await session.execute(Reminder.__table__.delete())
        # As the reminder job does when it finds a contact unreachable: the bot's note of who
        # wrote lately no longer holds for it.
        bot.services.people.forget(Address(chat_kind, "81"))
        out = await person.send("/start")
        assert "Halo lagi" in joined(out)
    finally:
        await bot.stop()
    async with db() as session:
        p = await session.scalar(select(Participant))
        assert p is not None and p.person_id == await session.scalar(select(person_of(81)))
        contact = await session.scalar(select(Contact).where(Contact.person_id == p.person_id))
        assert contact is not None and contact.unreachable_at is None
        kinds = set(await session.scalars(select(Reminder.kind)))
    assert kinds == {"daily", "evening", "morning"}


async def test_a_minute_ahead_survives_a_restart_without_duplicates(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    """The job itself, running every half second (on PTB's JobQueue for Telegram, on
    APScheduler's own scheduler in process): set a reminder a minute ahead, restart the bot in
    between, and it arrives once, with working check-in buttons."""
    await make_cohort(db)
    clock = Clock(utc(3, 1))  # 09:00 WITA
    settings = settings_for(standin, db_url, aksi_reminder_tick_seconds=0.5)
    bot = await start_bot(chat_kind, standin, settings, clock)
    budi = bot.person(99, "Budi")
    await budi.send("/start REVMEN1")
    await budi.press("Lewati")
    await budi.press("Lewati")
    await budi.send("/rencana")
    await budi.send("Pelayanan prima")
    await budi.send("Apel pagi")
    await budi.press("Ya / tidak")
    await budi.press("Setiap hari")
    await budi.press("Simpan")
    await budi.send("/pengingat 09:01")
    await bot.stop()
    clock.now = utc(3, 1, 1)  # the minute comes while the bot is down
    records = bot.standin
    mark = records.mark()
    bot = await start_bot(
        chat_kind, standin, settings, clock, channel=getattr(bot, "channel", None)
    )
    budi = bot.person(99, "Budi")
    try:
        [reminder] = await bot.standin.wait_for_outgoing(99, 1, timeout=10, since=mark)
        assert "saatnya menjalankan" in (reminder.text or "")
        await ticks_passed(bot.services, "reminders", 3)
        assert len([o for o in bot.standin.outbox[mark:] if o.method == "sendMessage"]) == 1
        out = await budi.press("Apel pagi")
        assert "Apel pagi — ✅ selesai" in joined(out)
    finally:
        await bot.stop()
    async with db() as session:
        statuses = list(await session.scalars(select(CheckIn.status)))
    assert statuses == [Status.DONE.value]


async def test_a_session_reminder_survives_a_zone_change_over_midnight(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    standin = bot.standin
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        csv = "date,start,end,title,speaker,link\n2021-09-03,00:30,01:30,Sesi malam,,\n"
        await apply_schedule(session, cohort, parse_schedule(csv.encode(), cohort))
    pid = await participant(db, clock, chat_kind, 131, WIB, plan=False)
    # 00:30 WITA on 3 Sep is 16:30 UTC on 2 Sep; its reminder goes at 16:00 UTC (23:00 WIB).
    await tick_at(bot, clock, utc(2, 16))
    async with db.begin() as session:
        p = await session.get(Participant, pid)
        assert p is not None
        await session.refresh(p, ["cohort"])
        p.timezone = WITA  # now 00:00 on 3 Sep for this person
        await sync_reminders(session, p, clock.now)
    await tick_at(bot, clock, utc(2, 16, 1))
    assert len([t for _, t in sent_to(standin) if "Sesi malam" in t]) == 1
