"""The facilitators' daily digest with an injected clock: the cohort's local time, once per
facilitator and day through overlapping ticks and restarts, the catch-up window, off when no
time is set, each facilitator's language, and blocked facilitators — on Telegram (the bot
polling the Bot API stand-in) and on the in-memory channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.cohorts import get_cohort
from core.reports import CohortReport, DayState, PersonReport, Tally
from core.services import Services
from core.staff import add_facilitator
from scheduler.digest_job import DigestReport, prepare, render_digest, run_digest_tick
from storage.models import Cohort, Staff, StaffDelivery
from tests.conftest import make_cohort
from tests.harness import (
    Clock,
    MemoryBot,
    MemoryRecords,
    RunningBot,
    settings_for,
    start_bot,
    ticks_passed,
)
from tests.people import new_person, person_of, user_of
from tests.reportdata import build

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

SARI, TOM, QUIET, OTHER = 5001, 5002, 5003, 5009


def utc(day: int, hour: int, minute: int = 0, month: int = 9) -> datetime:
    return datetime(2021, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(9, 9))


async def add_staff(db: async_sessionmaker[AsyncSession], channel: str) -> None:
    """Facilitators on `channel` (the test's bot's): SARI, TOM (in English) and QUIET (digests
    off) of REVMEN1, OTHER of LAIN1 (no digest time)."""
    await make_cohort(db, code="LAIN1", name="Angkatan Lain")
    async with db.begin() as session:
        revmen = await get_cohort(session, "REVMEN1")
        lain = await get_cohort(session, "LAIN1")
        lain.digest_time = None
        for user_id in (SARI, TOM, QUIET):
            await add_facilitator(session, revmen, await new_person(session, user_id, channel))
        await add_facilitator(session, lain, await new_person(session, OTHER, channel))
        await session.flush()
        await session.execute(
            update(Staff).where(Staff.person_id == person_of(TOM)).values(language="en")
        )
        await session.execute(
            update(Staff).where(Staff.person_id == person_of(QUIET)).values(digest_enabled=False)
        )


@pytest.fixture
async def bot(
    standin: BotApiStandIn,
    db_url: str,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> AsyncIterator[RunningBot | MemoryBot]:
    """The bot on the test's channel (its own repeating jobs off: the tests tick by hand)."""
    await build(db, channel=chat_kind)
    await add_staff(db, chat_kind)
    running = await start_bot(chat_kind, standin, settings_for(standin, db_url), clock)
    yield running
    await running.stop()


def services(bot: RunningBot | MemoryBot) -> Services:
    found: Services | None = bot.services
    assert found is not None
    return found


async def tick(bot: RunningBot | MemoryBot, clock: Clock, when: datetime) -> DigestReport:
    clock.now = when
    return await run_digest_tick(services(bot), when)


def sent(records: BotApiStandIn | MemoryRecords, since: int = 0) -> list[tuple[int | None, str]]:
    return [(o.chat_id, o.text or "") for o in records.outbox[since:] if o.method == "sendMessage"]


async def deliveries(db: async_sessionmaker[AsyncSession]) -> list[tuple[int, str, date, str]]:
    async with db() as session:
        rows = await session.execute(
            select(user_of(Staff.person_id), StaffDelivery.kind, StaffDelivery.local_date,
                   StaffDelivery.status)
            .join(Staff, Staff.id == StaffDelivery.staff_id)
        )  # fmt: skip
        found = [(int(user), kind, day, status) for user, kind, day, status in rows]
        return sorted(found, key=lambda r: (r[2], r[0]))


async def set_time(db: async_sessionmaker[AsyncSession], value: str | None) -> None:
    async with db.begin() as session:
        await session.execute(
            update(Cohort).where(Cohort.code == "REVMEN1").values(digest_time=value)
        )


async def test_sent_once_at_the_cohorts_local_time(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    # 18:00 WITA is 10:00 UTC.
    assert (await tick(bot, clock, utc(9, 9, 59))).outgoing == []
    report = await tick(bot, clock, utc(9, 10))
    assert report.sent == 2
    messages = dict(sent(bot.standin))
    assert set(messages) == {SARI, TOM}  # not the one who turned digests off, not LAIN1's
    sari = messages[SARI]
    assert "🗓 <b>Ringkasan harian REVMEN1</b> — Kamis, 9 September 2021" in sari
    assert (
        "⏳ <b>Belum lengkap hari ini: 4 dari 5</b>\n"
        "• Ani Lestari — Dinas Kesehatan · 1/2 selesai · 1 belum dilaporkan\n"
        "• Budi · 1/2 selesai\n"  # both logged, one of them "not done": not complete
        "• Citra Dewi — Bappeda · belum ada rencana\n"
        "• Eka Putri — Dinas Pendidikan · 1/2 selesai · 1 belum dilaporkan"
    ) in sari
    assert "Sudah lengkap" not in sari
    assert "💤 Tanpa jadwal hari ini: 1" in sari
    assert "Belum bergabung dari daftar peserta: 1" in sari
    tom = messages[TOM]
    assert "Not complete today: 4 of 5" in tom and "• Budi · 1/2 done\n" in tom
    assert "<b>Complete" not in tom
    # The next minutes send nothing more.
    for minute in (1, 2, 30):
        assert (await tick(bot, clock, utc(9, 10, minute))).outgoing == []
    assert len(sent(bot.standin)) == 2
    assert await deliveries(db) == [
        # The first tick found the 8th's digest long gone: recorded as late, once.
        (SARI, "digest", date(2021, 9, 8), "late"),
        (TOM, "digest", date(2021, 9, 8), "late"),
        (SARI, "digest", date(2021, 9, 9), "sent"),
        (TOM, "digest", date(2021, 9, 9), "sent"),
    ]
    # The next day, again once.
    assert (await tick(bot, clock, utc(10, 10))).sent == 2


async def test_overlapping_ticks_and_a_crash_after_the_claims_send_once(
    bot: RunningBot | MemoryBot, clock: Clock
) -> None:
    clock.now = utc(9, 10)
    # A crash after the claims were committed, before anything was sent: at most once.
    prepared = await prepare(services(bot), clock.now)
    assert len(prepared.outgoing) == 2
    assert (await run_digest_tick(services(bot), clock.now)).outgoing == []
    assert sent(bot.standin) == []
    # The next day two ticks at once: each facilitator gets exactly one.
    clock.now = utc(10, 10)
    first, second = await asyncio.gather(
        run_digest_tick(services(bot), clock.now), run_digest_tick(services(bot), clock.now)
    )
    assert first.sent + second.sent == 2
    assert sorted(chat for chat, _ in sent(bot.standin)) == [SARI, TOM]


async def test_catch_up_window_after_downtime(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    # Down from before 18:00 until 18:45 WITA: 45 minutes late is within the hour.
    assert (await tick(bot, clock, utc(9, 10, 45))).sent == 2
    # The next day back only at 19:30: skipped and recorded once, not sent.
    report = await tick(bot, clock, utc(10, 11, 30))
    assert (report.sent, report.late) == (0, 2)
    assert (await tick(bot, clock, utc(10, 11, 31))).late == 0
    assert len(sent(bot.standin)) == 2
    assert (SARI, "digest", date(2021, 9, 10), "late") in await deliveries(db)
    # A digest just before midnight, caught up just after: it is the previous day's.
    await set_time(db, "23:50")  # 15:50 UTC
    mark = bot.standin.mark()
    assert (await tick(bot, clock, utc(11, 16, 20))).sent == 2
    assert "Sabtu, 11 September 2021" in sent(bot.standin, mark)[0][1]
    assert (SARI, "digest", date(2021, 9, 11), "sent") in await deliveries(db)


async def test_off_when_no_time_and_outside_the_cohort(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    await set_time(db, None)
    assert (await tick(bot, clock, utc(9, 10))).outgoing == []
    await set_time(db, "18:00")
    assert (await tick(bot, clock, utc(31, 10, month=8))).outgoing == []  # before it starts
    assert (await tick(bot, clock, utc(26, 10, month=10))).outgoing == []  # after it ended
    assert sent(bot.standin) == []
    assert await deliveries(db) == []


def block(bot: RunningBot | MemoryBot, standin: BotApiStandIn) -> None:
    """SARI blocked the bot and TOM's chat is gone: on Telegram the stand-in answers 403 and
    "chat not found"; on the in-memory channel both are unreachable."""
    if isinstance(bot, MemoryBot):
        bot.channel.unreachable.update({str(SARI), str(TOM)})
        return
    standin.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=SARI)
    standin.fail("sendMessage", 400, "Bad Request: chat not found", chat_id=TOM)


def unblock(bot: RunningBot | MemoryBot, standin: BotApiStandIn) -> None:
    if isinstance(bot, MemoryBot):
        bot.channel.unreachable.clear()
    else:
        standin.clear_failures()


async def test_a_blocked_facilitator_is_recorded_and_not_retried(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    standin: BotApiStandIn,
) -> None:
    block(bot, standin)
    report = await tick(bot, clock, utc(9, 10))
    assert (report.sent, report.unreachable) == (0, 2)
    assert [row[3] for row in await deliveries(db)] == ["unreachable", "unreachable"]
    for minute in (1, 5):
        assert (await tick(bot, clock, utc(9, 10, minute))).outgoing == []
    unblock(bot, standin)
    assert (await tick(bot, clock, utc(10, 10))).sent == 2  # a new day is tried afresh


async def test_the_job_sends_once_across_a_restart(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    """The repeating job itself, every half second (PTB's JobQueue on Telegram, APScheduler's
    own scheduler in process), with a restart in between."""
    await build(db, channel=chat_kind)
    await add_staff(db, chat_kind)
    clock = Clock(utc(9, 10, 0))
    settings = settings_for(standin, db_url, aksi_reminder_tick_seconds=0.5)
    bot = await start_bot(chat_kind, standin, settings, clock)
    try:
        await bot.standin.wait_for_outgoing(SARI, 1, timeout=10)
        await bot.standin.wait_for_outgoing(TOM, 1, timeout=10)
    finally:
        await bot.stop()
    bot = await start_bot(chat_kind, standin, settings, clock, getattr(bot, "channel", None))
    try:
        await ticks_passed(services(bot), "digests", 3)
    finally:
        await bot.stop()
    assert sorted(chat for chat, _ in sent(bot.standin)) == [SARI, TOM]


async def test_a_long_digest_fits_one_message(bot: RunningBot | MemoryBot) -> None:
    async with services(bot).db() as session:
        cohort = await get_cohort(session, "REVMEN1")

    def person(n: int, state: DayState) -> PersonReport:
        name = f"Peserta Dengan Nama Cukup Panjang {n:03d}"
        unit = "Dinas Pekerjaan Umum dan Penataan Ruang"
        day = date(2021, 9, 9)
        return PersonReport(n, name, unit, "", "Asia/Makassar", day, state, 0, 2, Tally(), False)

    people = [person(n, DayState.NOT_YET if n % 2 else DayState.COMPLETE) for n in range(300)]
    report = CohortReport(cohort, utc(9, 10), date(2021, 9, 9), people, [])
    body = render_digest(services(bot).i18n, "id", report, date(2021, 9, 9))
    assert len(body) <= 4096
    assert "Belum lengkap hari ini: 150 dari 300" in body
    assert "lainnya" in body


async def test_a_facilitator_turns_their_own_digest_off_and_on(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await build(db, channel=chat_kind)
    await add_staff(db, chat_kind)
    admin = 5050
    settings = settings_for(standin, db_url, aksi_admin_ids=(admin,))
    bot = await start_bot(chat_kind, standin, settings, None)

    async def enabled(user_id: int) -> list[bool]:
        async with db() as session:
            rows = await session.execute(
                select(Staff.digest_enabled).where(Staff.person_id == person_of(user_id))
            )
            return list(rows.scalars())

    try:
        sari = bot.person(SARI, "Sari")
        answer = " ".join(r.text or "" for r in await sari.send("/rekap ringkasan mati"))
        assert "tidak lagi menerima ringkasan harian REVMEN1" in answer
        assert await enabled(SARI) == [False] and await enabled(TOM) == [True]
        answer = " ".join(r.text or "" for r in await sari.send("/rekap ringkasan ya"))
        assert "/rekap waktu 17:30" in answer  # the usage; nothing changed
        assert await enabled(SARI) == [False]
        answer = " ".join(r.text or "" for r in await sari.send("/rekap ringkasan nyala"))
        assert "menerima ringkasan harian REVMEN1 lagi" in answer
        assert await enabled(SARI) == [True]
        answer = " ".join(
            r.text or ""
            for r in await bot.person(admin, "Admin").send("/rekap REVMEN1 ringkasan mati")
        )
        assert "tidak terdaftar sebagai fasilitator" in answer
        assert await enabled(admin) == []
    finally:
        await bot.stop()
