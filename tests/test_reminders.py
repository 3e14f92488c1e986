"""Reminders with an injected clock: zones, midnights, zone changes, restarts and overlapping
ticks, quiet-once-done, pause, working days, the evening follow-up, sessions, 403 and 429."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Update

import handlers.reminders as module
from bot.app import AksiApplication, build_application
from bot.context import AksiContext
from bot.standin import BotApiStandIn
from core.cohorts import get_cohort
from core.habits import Status
from core.imports import apply_schedule, parse_schedule
from core.participants import TelegramPerson, join_cohort
from core.plans import Draft, HabitDraft, save_draft
from handlers.reminders import TickReport, prepare, run_tick
from scheduler.reminders import set_cohort_reminders, sync_reminders
from storage.models import CheckIn, Delivery, Participant, Reminder
from tests.conftest import make_cohort
from tests.harness import Clock, RunningBot, joined, settings_for

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"


def utc(day: int, hour: int, minute: int = 0, month: int = 9) -> datetime:
    return datetime(2021, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(2, 12))  # Thursday 2 September 2021, 20:00 WITA


@pytest.fixture
async def app(
    standin: BotApiStandIn, db_url: str, engine: AsyncEngine, clock: Clock
) -> AsyncIterator[AksiApplication]:
    await make_cohort(sessionmaker_of(engine))
    application = build_application(settings_for(standin, db_url), engine, clock=clock)
    async with application:
        yield application


def sessionmaker_of(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def ctx(app: AksiApplication) -> AksiContext:
    return AksiContext(application=app)


async def participant(
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    user_id: int,
    tz: str = WITA,
    *,
    plan: bool = True,
    **settings: Any,
) -> int:
    async with db.begin() as session:
        person = TelegramPerson(user_id, user_id, f"P{user_id}", language_code="id")
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


def sent_to(standin: BotApiStandIn, since: int = 0) -> list[tuple[int | None, str]]:
    return [(o.chat_id, o.text or "") for o in standin.outbox[since:] if o.method == "sendMessage"]


async def deliveries(db: async_sessionmaker[AsyncSession]) -> list[tuple[int, str, date, str, str]]:
    async with db() as session:
        rows = await session.scalars(select(Delivery).order_by(Delivery.id))
        return [(d.participant_id, d.kind, d.local_date, d.slot, d.status) for d in rows]


async def tick_at(app: AksiApplication, clock: Clock, when: datetime) -> TickReport:
    clock.now = when
    return await run_tick(ctx(app), when)


async def test_each_zone_gets_its_own_seven_oclock(
    app: AksiApplication, engine: AsyncEngine, clock: Clock, standin: BotApiStandIn
) -> None:
    db = sessionmaker_of(engine)
    for uid, tz in ((1, WIB), (2, WITA), (3, WIT)):
        await participant(db, clock, uid, tz)
    # 07:00 WIT = 22:00 UTC the day before; WITA 23:00; WIB 00:00.
    for when, uid in ((utc(2, 22), 3), (utc(2, 23), 2), (utc(3, 0), 1)):
        mark = standin.mark()
        report = await tick_at(app, clock, when)
        assert [chat for chat, _ in sent_to(standin, mark)] == [uid], when
        assert report.sent == 1
        assert "saatnya menjalankan dan melaporkan" in sent_to(standin, mark)[0][1]
    # Each came with the day's check-in buttons.
    last = standin.outbox[-1]
    assert last.reply_markup is not None
    assert last.reply_markup["inline_keyboard"][0][0]["callback_data"].startswith("ci:y:")
    # The same minute again sends nothing; the next day's 07:00 is the next one.
    assert (await tick_at(app, clock, utc(3, 0, 1))).sent == 0
    async with db() as session:
        due = await session.scalar(
            select(Reminder.next_due_at).where(
                Reminder.participant_id == 1, Reminder.kind == "daily"
            )
        )
    assert due == utc(4, 0)


async def test_local_midnight_decides_the_day(
    app: AksiApplication, engine: AsyncEngine, clock: Clock
) -> None:
    db = sessionmaker_of(engine)
    pid = await participant(db, clock, 7, WIT, reminder_times="00:10")
    # 00:10 WIT on Friday 3 September is 15:10 UTC on Thursday 2 September.
    await tick_at(app, clock, utc(2, 15, 10))
    assert (pid, "daily", date(2021, 9, 3), "00:10", "sent") in await deliveries(db)


async def test_zone_change_moves_the_reminder_and_never_doubles_it(
    app: AksiApplication, engine: AsyncEngine, clock: Clock, standin: BotApiStandIn
) -> None:
    db = sessionmaker_of(engine)
    pid = await participant(db, clock, 8, WITA)
    await tick_at(app, clock, utc(2, 23))  # 07:00 WITA: sent
    assert len(sent_to(standin)) == 1
    # Moves to WIB at 23:30 UTC (06:30 WIB, the same local day): 07:00 WIB must not repeat it.
    clock.now = utc(2, 23, 30)
    async with db.begin() as session:
        p = await session.get(Participant, pid, options=[])
        assert p is not None
        await session.refresh(p, ["cohort"])
        p.timezone = WIB
        await sync_reminders(session, p, clock.now)
    await tick_at(app, clock, utc(3, 0))
    assert len(sent_to(standin)) == 1
    # The next morning it comes at 07:00 WIB (00:00 UTC), not at 07:00 WITA.
    assert (await tick_at(app, clock, utc(3, 23))).sent == 0
    assert (await tick_at(app, clock, utc(4, 0))).sent == 1


async def test_restart_mid_tick_and_overlapping_ticks_send_once(
    app: AksiApplication, engine: AsyncEngine, clock: Clock, standin: BotApiStandIn
) -> None:
    db = sessionmaker_of(engine)
    for uid in range(10, 20):
        await participant(db, clock, uid, WITA)
    clock.now = utc(2, 23)
    # A crash after the claims were committed, before anything was sent: at most once.
    prepared = await prepare(ctx(app), clock.now)
    assert len(prepared.outgoing) == 10
    assert (await run_tick(ctx(app), clock.now)).sent == 0
    assert sent_to(standin) == []
    # The next morning, two ticks at once: every participant gets exactly one reminder.
    clock.now = utc(3, 23)
    first, second = await asyncio.gather(
        run_tick(ctx(app), clock.now), run_tick(ctx(app), clock.now)
    )
    assert first.sent + second.sent == 10
    chats = [chat for chat, _ in sent_to(standin)]
    assert sorted(chats) == list(range(10, 20))


async def test_a_crash_before_the_claims_commit_loses_nothing(
    app: AksiApplication, engine: AsyncEngine, clock: Clock, standin: BotApiStandIn
) -> None:
    db = sessionmaker_of(engine)
    await participant(db, clock, 21, WITA)
    context = ctx(app)
    clock.now = utc(2, 23)

    class Boom(Exception):
        pass

    async def crash(*_: Any, **__: Any) -> None:
        raise Boom

    original = module.compose
    module.compose = crash  # type: ignore[assignment]
    try:
        with pytest.raises(Boom):
            await prepare(context, clock.now)
    finally:
        module.compose = original
    assert await deliveries(db) == []
    assert (await run_tick(context, clock.now)).sent == 1


async def test_quiet_once_done_and_the_evening_follow_up(
    app: AksiApplication, engine: AsyncEngine, clock: Clock, standin: BotApiStandIn
) -> None:
    db = sessionmaker_of(engine)
    done = await participant(db, clock, 31, WITA, reminder_times="07:00,12:00")
    late = await participant(db, clock, 32, WITA, reminder_times="07:00,12:00")
    await tick_at(app, clock, utc(2, 23))  # 07:00 WITA Friday: both reminded
    assert sorted(c for c, _ in sent_to(standin)) == [31, 32]
    # Participant 31 logs everything from the reminder's own button.
    reminder = next(o for o in standin.outbox if o.chat_id == 31 and o.method == "sendMessage")
    data = reminder.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    mark = standin.mark()
    standin.push_callback(31, reminder.message_id or 0, data)
    await app.process_update(Update.de_json(standin._updates[-1], app.bot))
    assert any(o.method == "editMessageText" and "✅ selesai" in (o.text or "")
               for o in standin.outbox[mark:])  # fmt: skip
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(CheckIn)) == 1
    # 12:00: quiet for 31, sent to 32. 19:00 evening follow-up: only 32 again.
    mark = standin.mark()
    report = await tick_at(app, clock, utc(3, 4))
    assert (report.sent, report.quiet) == (1, 1)
    report = await tick_at(app, clock, utc(3, 11))
    assert (report.sent, report.quiet) == (1, 1)
    assert [c for c, _ in sent_to(standin, mark)] == [32, 32]
    assert (late, "daily", date(2021, 9, 3), "12:00", "sent") in await deliveries(db)
    assert "belum lengkap" in sent_to(standin, mark)[-1][1]
    assert (done, "evening", date(2021, 9, 3), "19:00", "quiet") in await deliveries(db)


async def test_pause_resume_and_working_days(
    app: AksiApplication, engine: AsyncEngine, clock: Clock, standin: BotApiStandIn
) -> None:
    db = sessionmaker_of(engine)
    paused = await participant(db, clock, 41, WITA, reminders_paused=True)
    workdays = await participant(db, clock, 42, WITA, reminder_workdays_only=True)
    await tick_at(app, clock, utc(3, 23))  # Saturday 4 September, 07:00 WITA
    await tick_at(app, clock, utc(4, 11))  # Saturday 19:00
    await tick_at(app, clock, utc(4, 23))  # Sunday 07:00
    assert sent_to(standin) == []
    await tick_at(app, clock, utc(5, 23))  # Monday 07:00
    assert [c for c, _ in sent_to(standin)] == [42]
    assert (workdays, "daily", date(2021, 9, 6), "07:00", "sent") in await deliveries(db)
    async with db.begin() as session:
        p = await session.get(Participant, paused)
        assert p is not None
        await session.refresh(p, ["cohort"])
        p.reminders_paused = False
        await sync_reminders(session, p, clock.now)
    mark = standin.mark()
    await tick_at(app, clock, utc(6, 23))  # Tuesday 07:00
    assert sorted(c for c, _ in sent_to(standin, mark)) == [41, 42]


async def test_session_reminders_and_morning_summary(
    app: AksiApplication, engine: AsyncEngine, clock: Clock, standin: BotApiStandIn
) -> None:
    db = sessionmaker_of(engine)
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        csv = (
            "date,start,end,title,speaker,link\n"
            "2021-09-03,08:30,12:00,Integritas,Dr. Andi,https://zoom.example/j/2\n"
        )
        await apply_schedule(session, cohort, parse_schedule(csv.encode(), cohort))
    await participant(db, clock, 51, WIB, plan=False)
    wita_id = await participant(db, clock, 52, WITA, plan=False)
    wib, wita = 51, 52  # their chats
    # 06:00 WITA: the morning summary (WITA only; 06:00 WIB comes an hour later).
    await tick_at(app, clock, utc(2, 22))
    assert [c for c, t in sent_to(standin) if "Sesi hari ini" in t] == [wita]
    assert "08.30–12.00 WITA Integritas" in sent_to(standin)[0][1]
    await tick_at(app, clock, utc(2, 23))  # 06:00 WIB; also 07:00 WITA's daily (no plan)
    assert "07.30–11.00 WIB Integritas" in next(t for c, t in sent_to(standin) if c == wib)
    mark = standin.mark()
    # 30 minutes before 08:30 WITA (00:00 UTC): everyone in the cohort, once.
    await tick_at(app, clock, utc(3, 0))
    session_notes = [(c, t) for c, t in sent_to(standin, mark) if "🔔" in t]
    assert sorted(c for c, _ in session_notes) == [wib, wita]
    assert "07.30 WIB (30 menit lagi)" in dict(session_notes)[wib]
    assert 'href="https://zoom.example/j/2"' in dict(session_notes)[wita]
    mark = standin.mark()
    await tick_at(app, clock, utc(3, 0, 1))
    assert [t for _, t in sent_to(standin, mark) if "🔔" in t] == []
    # Saturday: no session, so no morning summary (quiet).
    await tick_at(app, clock, utc(3, 22))
    assert (wita_id, "morning", date(2021, 9, 4), "06:00", "quiet") in await deliveries(db)


async def test_catch_up_window_after_downtime(
    app: AksiApplication, engine: AsyncEngine, clock: Clock, standin: BotApiStandIn
) -> None:
    db = sessionmaker_of(engine)
    await participant(db, clock, 61, WITA, reminder_times="07:00")
    skipped = await participant(db, clock, 62, WITA, reminder_times="05:00")
    # The bot was down from before 05:00 until 07:45 WITA: 07:00 (45 min ago) is still sent,
    # 05:00 (2 h 45 min ago, over the 60-minute window) is skipped and logged, and so are
    # both 06:00 morning summaries (1 h 45 min ago).
    report = await tick_at(app, clock, utc(2, 23, 45))
    assert (report.sent, report.late) == (1, 3)
    assert [c for c, _ in sent_to(standin)] == [61]
    assert (skipped, "daily", date(2021, 9, 3), "05:00", "late") in await deliveries(db)


async def test_blocked_user_stops_until_start_and_429_is_retried(
    app: AksiApplication, engine: AsyncEngine, clock: Clock, standin: BotApiStandIn
) -> None:
    db = sessionmaker_of(engine)
    blocked = await participant(db, clock, 71, WITA)
    busy = await participant(db, clock, 72, WITA)
    standin.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=71)
    standin.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1,
                 times=1, chat_id=72)  # fmt: skip
    report = await tick_at(app, clock, utc(2, 23))
    assert (report.sent, report.unreachable) == (1, 1)
    assert [c for c, _ in sent_to(standin)] == [72]
    assert (busy, "daily", date(2021, 9, 3), "07:00", "sent") in await deliveries(db)
    async with db() as session:
        p = await session.get(Participant, blocked)
        assert p is not None and p.unreachable_at is not None
        left = await session.scalar(
            select(func.count()).select_from(Reminder).where(Reminder.participant_id == blocked)
        )
    assert left == 0
    standin.clear_failures()
    assert (await tick_at(app, clock, utc(3, 23))).sent == 1  # only the reachable one


async def test_start_again_brings_reminders_back(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession]
) -> None:
    await make_cohort(db)
    clock = Clock(utc(2, 12))
    bot = RunningBot(standin, settings_for(standin, db_url), clock=clock)
    await bot.start()
    try:
        person = bot.person(81, "Dewi")
        await person.send("/start REVMEN1")
        async with db.begin() as session:
            p = await session.scalar(select(Participant))
            assert p is not None
            p.unreachable_at = clock.now
            await session.execute(Reminder.__table__.delete())
        out = await person.send("/start")
        assert "Halo lagi" in joined(out)
    finally:
        await bot.stop()
    async with db() as session:
        p = await session.scalar(select(Participant))
        assert p is not None and p.unreachable_at is None
        kinds = set(await session.scalars(select(Reminder.kind)))
    assert kinds == {"daily", "evening", "morning"}


async def test_reminder_settings_in_chat(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession]
) -> None:
    await make_cohort(db)
    clock = Clock(utc(2, 12))
    bot = RunningBot(standin, settings_for(standin, db_url), clock=clock)
    await bot.start()
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
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession]
) -> None:
    """The job itself, running every half second: set a reminder a minute ahead, restart the
    bot in between, and it arrives once, with working check-in buttons."""
    await make_cohort(db)
    clock = Clock(utc(3, 1))  # 09:00 WITA
    settings = settings_for(standin, db_url, aksi_reminder_tick_seconds=0.5)
    bot = RunningBot(standin, settings, clock=clock)
    await bot.start()
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
    mark = standin.mark()
    bot = RunningBot(standin, settings, clock=clock)
    await bot.start()
    try:
        [reminder] = await standin.wait_for_outgoing(99, 1, timeout=10, since=mark)
        assert "saatnya menjalankan" in (reminder.text or "")
        await asyncio.sleep(1.5)  # three more ticks
        assert len([o for o in standin.outbox[mark:] if o.method == "sendMessage"]) == 1
        out = await budi.press("Apel pagi")
        assert "Apel pagi — ✅ selesai" in joined(out)
    finally:
        await bot.stop()
    async with db() as session:
        statuses = list(await session.scalars(select(CheckIn.status)))
    assert statuses == [Status.DONE.value]


async def test_cohort_defaults_move_everyones_reminders(
    app: AksiApplication, engine: AsyncEngine, clock: Clock, standin: BotApiStandIn
) -> None:
    db = sessionmaker_of(engine)
    own = await participant(db, clock, 101, WITA, reminder_times="09:00")
    await participant(db, clock, 102, WITA)
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
    report = await tick_at(app, clock, utc(2, 22, 30))  # 06:30 WITA
    assert [c for c, _ in sent_to(standin)] == [102]
    assert report.sent == 1


async def test_moving_to_a_new_cohort_moves_the_reminders(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession]
) -> None:
    await make_cohort(db)
    await make_cohort(db, code="REVMEN2", name="Angkatan II", starts=date(2021, 9, 1))
    bot = RunningBot(standin, settings_for(standin, db_url), clock=Clock(utc(2, 12)))
    await bot.start()
    try:
        person = bot.person(111, "Rudi")
        await person.send("/start REVMEN1")
        out = await person.send("/start REVMEN2")
        assert "Pindah ke <b>Angkatan II</b>?" in joined(out)  # asked first
        out = await person.press("Ya, pindah ke REVMEN2")
        assert "Selamat bergabung di <b>Angkatan II</b>" in joined(out)
    finally:
        await bot.stop()
    restarted = RunningBot(standin, settings_for(standin, db_url), clock=Clock(utc(2, 12)))
    await restarted.start()  # start-up must not give the old membership its reminders back
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
    app: AksiApplication, engine: AsyncEngine, clock: Clock, standin: BotApiStandIn
) -> None:
    db = sessionmaker_of(engine)
    await participant(db, clock, 121, WITA)
    clock.now = utc(25, 12, month=10)  # the cohort's last day, 20:00 WITA
    async with db.begin() as session:
        p = await session.scalar(select(Participant))
        assert p is not None
        await session.refresh(p, ["cohort"])
        await sync_reminders(session, p, clock.now)
    report = await tick_at(app, clock, datetime(2021, 10, 25, 23, 0, tzinfo=UTC))  # 26 Oct 07:00
    assert (report.sent, report.quiet) == (0, 2)  # the daily one and the morning summary
    assert sent_to(standin) == []


async def test_a_session_reminder_survives_a_zone_change_over_midnight(
    app: AksiApplication, engine: AsyncEngine, clock: Clock, standin: BotApiStandIn
) -> None:
    db = sessionmaker_of(engine)
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        csv = "date,start,end,title,speaker,link\n2021-09-03,00:30,01:30,Sesi malam,,\n"
        await apply_schedule(session, cohort, parse_schedule(csv.encode(), cohort))
    pid = await participant(db, clock, 131, WIB, plan=False)
    # 00:30 WITA on 3 Sep is 16:30 UTC on 2 Sep; its reminder goes at 16:00 UTC (23:00 WIB).
    await tick_at(app, clock, utc(2, 16))
    async with db.begin() as session:
        p = await session.get(Participant, pid)
        assert p is not None
        await session.refresh(p, ["cohort"])
        p.timezone = WITA  # now 00:00 on 3 Sep for this person
        await sync_reminders(session, p, clock.now)
    await tick_at(app, clock, utc(2, 16, 1))
    assert len([t for _, t in sent_to(standin) if "Sesi malam" in t]) == 1
