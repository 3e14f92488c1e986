"""Reminders with an injected clock: zones, midnights, zone changes, restarts and overlapping
ticks, quiet-once-done, pause, working days, the evening follow-up, sessions, 403 and 429 — on
Telegram (the bot polling the Bot API stand-in) and on the in-memory channel."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn, Outgoing
from core.channel import Address
from core.cohorts import get_cohort
from core.habits import Status
from core.imports import apply_schedule, parse_schedule
from core.participants import Writer, join_cohort
from core.plans import Draft, HabitDraft, save_draft
from core.reminders import set_cohort_reminders, sync_reminders
from core.reports import ExportStatus, export_rows
from core.services import Services
from handlers.reminders import MESSAGES
from scheduler.reminder_job import ReminderMessages, TickReport, prepare, run_tick
from storage.models import CheckIn, Contact, Delivery, Participant, Reminder
from tests.conftest import make_cohort
from tests.harness import (
    Clock,
    MemoryBot,
    MemoryRecords,
    RunningBot,
    joined,
    settings_for,
    start_bot,
)
from tests.people import new_person, person_of

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"


def utc(day: int, hour: int, minute: int = 0, month: int = 9) -> datetime:
    return datetime(2021, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(2, 12))  # Thursday 2 September 2021, 20:00 WITA


# The `bot` fixture (tests/conftest.py): cohort REVMEN1 and the bot on the test's channel, its
# own repeating jobs off (the tests tick by hand).


@dataclass(frozen=True)
class Ctx:
    """A job's context: what the reminder tick reaches the engine's services through."""

    services: Services


def ctx(bot: RunningBot | MemoryBot) -> Ctx:
    found: Services | None = bot.services
    assert found is not None
    return Ctx(found)


async def participant(
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    channel: str,
    user_id: int,
    tz: str = WITA,
    *,
    plan: bool = True,
    **settings: Any,
) -> int:
    """A participant of REVMEN1 writing as `user_id` on `channel` (the test's bot's)."""
    async with db.begin() as session:
        person = Writer(
            await new_person(session, user_id, channel), f"P{user_id}", language_code="id"
        )
        result = await join_cohort(session, person, "REVMEN1")
        assert result is not None
        p = result.participant
        p.timezone, p.awaiting = tz, None
        for key, value in settings.items():
            setattr(p, key, value)
        if plan:
            draft = Draft(
                step="menu", title="Pelayanan prima", habits=[HabitDraft(name="Apel pagi")]
            )
            await save_draft(session, p, draft, clock(), date(2021, 9, 2))
        await sync_reminders(session, p, clock())
        return p.id


def sent_to(standin: BotApiStandIn | MemoryRecords, since: int = 0) -> list[tuple[int | None, str]]:
    return [(o.chat_id, o.text or "") for o in standin.outbox[since:] if o.method == "sendMessage"]


async def deliveries(db: async_sessionmaker[AsyncSession]) -> list[tuple[int, str, date, str, str]]:
    async with db() as session:
        rows = await session.scalars(select(Delivery).order_by(Delivery.id))
        return [(d.participant_id, d.kind, d.local_date, d.slot, d.status) for d in rows]


async def tick_at(bot: RunningBot | MemoryBot, clock: Clock, when: datetime) -> TickReport:
    clock.now = when
    return await run_tick(ctx(bot), when, MESSAGES)


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
    prepared = await prepare(ctx(bot), clock.now, MESSAGES)
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
        await asyncio.sleep(1.5)  # three more ticks
        assert len([o for o in bot.standin.outbox[mark:] if o.method == "sendMessage"]) == 1
        out = await budi.press("Apel pagi")
        assert "Apel pagi — ✅ selesai" in joined(out)
    finally:
        await bot.stop()
    async with db() as session:
        statuses = list(await session.scalars(select(CheckIn.status)))
    assert statuses == [Status.DONE.value]


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


async def press(
    bot: RunningBot | MemoryBot, user_id: int, message_id: int, data: str
) -> list[Outgoing]:
    """A button press by `user_id` on the test's channel: what the bot did in their chat."""
    return await bot.person(user_id).press_data(message_id, data)


def answers(records: list[Outgoing]) -> list[str]:
    return [r.text or "" for r in records if r.method == "answerCallbackQuery"]


async def count_snoozes(db: async_sessionmaker[AsyncSession]) -> int:
    async with db() as session:
        q = select(func.count()).select_from(Reminder).where(Reminder.kind == "snooze")
        return int(await session.scalar(q) or 0)


async def check_ins(db: async_sessionmaker[AsyncSession], pid: int) -> list[tuple[date, str, Any]]:
    async with db() as session:
        rows = await session.execute(
            select(CheckIn.day, CheckIn.status, CheckIn.skip_reason)
            .where(CheckIn.participant_id == pid)
            .order_by(CheckIn.day)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


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
