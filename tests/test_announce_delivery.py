"""Announcements delivered, on Telegram (the bot polling the Bot API stand-in) and on the
in-memory channel: everyone once and the report, chats that blocked the bot or vanished and a
channel asking to wait (and Telegram's network errors), a restart mid-way, Stop keeping its
word, large cohorts queued in slices."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.cohorts import get_cohort
from storage.models import Announcement, Contact, OutboxMessage, Participant
from tests.announcing import (
    FACILITATOR,
    PARTICIPANTS,
    HeldSender,
    Records,
    SenderTurns,
    compose,
    delivered,
    report_of,
    send_formatted,
    sent_rows,
    start_announcing,
    wait_until,
)
from tests.harness import MemoryBot, RunningBot, joined
from tests.people import new_person

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


@pytest.fixture
async def bot(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> AsyncIterator[RunningBot | MemoryBot]:
    """The bot on the test's channel; Sari facilitates REVMEN1, four participants joined."""
    running = await start_announcing(standin, db_url, db, chat_kind)
    for user_id in PARTICIPANTS:
        await running.person(user_id, f"Peserta{user_id}").send("/start REVMEN1")
    yield running
    await running.stop()


@pytest.fixture
def turns(monkeypatch: pytest.MonkeyPatch) -> SenderTurns:
    return SenderTurns(monkeypatch)


async def more_participants(db: async_sessionmaker[AsyncSession], ids: range, channel: str) -> None:
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        session.add_all(
            [
                Participant(
                    cohort_id=cohort.id,
                    person_id=await new_person(session, u, channel),
                    first_name=f"P{u}",
                )
                for u in ids
            ]
        )


async def test_announce_reaches_everyone_once_and_reports(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession]
) -> None:
    records = bot.standin
    facilitator = bot.person(FACILITATOR, "Sari")
    asked = joined(await facilitator.send("/umumkan"))
    assert "Tulis pengumuman" in asked
    # Bold text and a link, as the channel carries them (on Telegram: entities).
    text = "Jadwal berubah: lihat portal"
    markup = '<b>Jadwal berubah</b>: lihat <a href="https://elearning.lan.go.id">portal</a>'
    entities = [
        {"type": "bold", "offset": 0, "length": 14},
        {"type": "text_link", "offset": 22, "length": 6, "url": "https://elearning.lan.go.id"},
    ]
    preview = joined(await send_formatted(bot, FACILITATOR, "Sari", text, entities, markup))
    assert "<b>Jadwal berubah</b>" in preview
    assert '<a href="https://elearning.lan.go.id">portal</a>' in preview
    assert "Penerima: <b>4</b> peserta" in preview
    assert not any(delivered(records, p, "Jadwal berubah") for p in PARTICIPANTS)

    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: all(delivered(records, p, "Jadwal berubah") for p in PARTICIPANTS))
    await wait_until(lambda: delivered(records, FACILITATOR, "Laporan pengumuman") == 1)
    report = report_of(records)
    assert "Terkirim: 4 dari 4" in report and "Gagal: 0" in report
    for p in PARTICIPANTS:
        assert delivered(records, p, "Jadwal berubah") == 1
        message = next(m for m in records.outbox if m.chat_id == p and "Jadwal" in (m.text or ""))
        assert message.parse_mode == "HTML"
        assert '<a href="https://elearning.lan.go.id">portal</a>' in (message.text or "")
    status = joined(await facilitator.send("/status"))
    assert "Selesai" in status and "4 dari 4 terkirim" in status
    async with db() as session:
        rows = (await session.execute(select(OutboxMessage.status))).scalars().all()
    assert sorted(rows) == ["sent"] * 4


async def test_blocked_and_vanished_are_unreachable_and_the_rest_goes_on(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession]
) -> None:
    records = bot.standin
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Pengumuman penting")
    if isinstance(bot, MemoryBot):
        # Blocked and gone are one on this channel; the wait asked for meets the first send
        # of the announcement (the press is answered by an edit).
        bot.channel.unreachable.update({"2001", "2002"})
        bot.channel.retry_after = 1.0
    else:
        standin = bot.standin
        standin.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=2001)
        standin.fail("sendMessage", 400, "Bad Request: chat not found", chat_id=2002)
        standin.fail(
            "sendMessage", 429, "Too Many Requests: retry after 1", times=1, retry_after=1,
            chat_id=2003,
        )  # fmt: skip
    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: delivered(records, FACILITATOR, "Laporan pengumuman") == 1, 20)
    report = report_of(records)
    assert "Terkirim: 2 dari 4" in report
    assert "Tidak dapat dihubungi (memblokir bot atau akun hilang): 2" in report
    assert "Peserta2001" in report and "Peserta2002" in report
    assert delivered(records, 2003, "Pengumuman penting") == 1  # after the 429, once
    assert delivered(records, 2004, "Pengumuman penting") == 1
    if isinstance(bot, MemoryBot):
        assert bot.channel.retry_after is None  # the wait was asked for, and kept
    async with db() as session:
        gone = (
            await session.execute(
                select(Contact.external_id)
                .select_from(Participant)
                .join(Contact, Contact.person_id == Participant.person_id)
                .where(Contact.unreachable_at.is_not(None))
            )
        ).scalars()
        assert sorted(int(u) for u in gone) == [2001, 2002]
    # The next announcement does not try them again, and counts them.
    if isinstance(bot, MemoryBot):
        bot.channel.unreachable.clear()
    else:
        bot.standin.clear_failures()
    await compose(facilitator, "Pengumuman kedua")
    preview = joined(await facilitator.press("Kirim sekarang"))
    assert "4 peserta" in preview
    await wait_until(lambda: delivered(records, FACILITATOR, "Laporan pengumuman") == 2, 20)
    assert delivered(records, 2001, "Pengumuman kedua") == 0
    assert delivered(records, 2004, "Pengumuman kedua") == 1


async def test_one_blocked_participant_is_counted_and_the_rest_get_it_once(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession]
) -> None:
    """Each participant gets it once, the author the report; a participant who blocked the bot
    is counted unreachable and the rest goes on."""
    records = bot.standin
    blocked = PARTICIPANTS[-1]
    if isinstance(bot, MemoryBot):
        bot.channel.unreachable.add(str(blocked))
    else:
        bot.standin.fail(
            "sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=blocked
        )
    sari = bot.person(FACILITATOR, "Sari")
    await compose(sari, "Jadwal berubah: lihat portal")
    await sari.press("Kirim sekarang")
    await wait_until(lambda: delivered(records, FACILITATOR, "Laporan pengumuman") == 1)
    for p in PARTICIPANTS[:-1]:
        assert delivered(records, p, "Jadwal berubah") == 1
    assert delivered(records, blocked, "Jadwal berubah") == 0
    assert "Terkirim: 3 dari 4" in report_of(records)
    async with db() as session:
        rows = (await session.execute(select(OutboxMessage.status))).scalars().all()
    assert sorted(rows) == ["sent", "sent", "sent", "unreachable"]


@pytest.mark.channels("telegram")  # a 5xx answer is Telegram's transport; memory has no network
async def test_network_errors_are_retried(bot: RunningBot, standin: BotApiStandIn) -> None:
    standin.fail("sendMessage", 502, "Bad Gateway", times=1, chat_id=2004)
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Coba jaringan")
    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: delivered(standin, FACILITATOR, "Laporan pengumuman") == 1, 20)
    assert delivered(standin, 2004, "Coba jaringan") == 1
    assert "Terkirim: 4 dari 4" in report_of(standin)


async def test_restart_mid_announcement_resumes_without_repeats(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    chat_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Telegram: forty recipients take well over a second at 30 a second, so the stop below comes
    # with most of them still queued whatever the machine's speed (four would all be in flight).
    # In memory: the sender is held after the first message.
    await more_participants(db, range(3001, 3037), chat_kind)
    everyone = [*PARTICIPANTS, *range(3001, 3037)]
    records = bot.standin
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Selama restart")
    held = HeldSender(monkeypatch, free=1) if isinstance(bot, MemoryBot) else None
    if isinstance(bot, RunningBot):
        bot.standin.delay("sendMessage", 0.4)
    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: sum(delivered(records, p, "Selama restart") for p in everyone) >= 1)
    await bot.stop()
    before = sum(delivered(records, p, "Selama restart") for p in everyone)
    assert before < len(everyone)
    if held is not None:
        held.go.set()
    if isinstance(bot, RunningBot):
        bot.standin.delay("sendMessage", 0)
    await bot.start()
    await wait_until(lambda: all(delivered(records, p, "Selama restart") for p in everyone))
    await wait_until(lambda: delivered(records, FACILITATOR, "Laporan pengumuman") == 1)
    assert [delivered(records, p, "Selama restart") for p in everyone] == [1] * len(everyone)


async def test_stop_keeps_its_word(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    chat_kind: str,
    turns: SenderTurns,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Messages the facilitator is told will not be sent are not sent, even those the sender
    had already taken from the outbox (a batch) when Stop was pressed."""
    await more_participants(db, range(3001, 3077), chat_kind)
    everyone = [*PARTICIPANTS, *range(3001, 3077)]  # 80: close to three seconds at 30 a second
    records = bot.standin
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Jangan semua")
    async with db() as session:
        draft = (await session.execute(select(Announcement))).scalars().one()
    # In memory, five go at once and the sixth waits at its slot (as at 30 a second).
    held = HeldSender(monkeypatch, free=5) if isinstance(bot, MemoryBot) else None
    await facilitator.press("Kirim sekarang")
    if held is not None:
        await wait_until(lambda: _at_least(db, 5))
    else:  # Stop while it is being sent (not before the sender took it up: that is a cancel)
        await wait_until(lambda: sum(delivered(records, p, "Jangan semua") for p in everyone) > 0)
    last = records.messages(FACILITATOR)[-1].message_id
    asked = joined(await facilitator.press_data(last, f"ann:stop:{draft.id}"))
    assert "Hentikan pengumuman «Jangan semua»?" in asked and "tidak akan dikirim" in asked
    stopped = joined(await facilitator.press("Ya, hentikan"))
    found = re.search(r"(\d+) pesan tidak jadi dikirim", stopped)
    assert found is not None, stopped
    dropped = int(found[1])
    if held is not None:
        # The held message goes on; the rest of the batch must not: whole turns after the
        # stop, and every send on the wire recorded.
        held.go.set()
        await turns.passed()
        await wait_until(lambda: _recorded(db, records, everyone))
    else:
        await turns.passed(wake=bot.services.outbox_wakeup)
    sent = sum(delivered(records, p, "Jangan semua") for p in everyone)
    assert dropped > 0 and sent < len(everyone)
    # Everyone either got it or is among those counted out, never both: a message the sender
    # had taken up when Stop was pressed (waiting for its slot, or on the wire) goes out and is
    # not counted as stopped.
    assert sent + dropped == len(everyone), (sent, dropped)
    assert await sent_rows(db) == sent
    # /status still shows it, as stopped, with what went out.
    status = joined(await facilitator.send("/status"))
    assert "⏹ <b>Dihentikan</b>" in status and "«Jangan semua»" in status


async def _at_least(db: async_sessionmaker[AsyncSession], count: int) -> bool:
    return await sent_rows(db) >= count


async def _recorded(
    db: async_sessionmaker[AsyncSession], records: Records, everyone: list[int]
) -> bool:
    return await sent_rows(db) == sum(delivered(records, p, "Jangan semua") for p in everyone)


async def test_recipients_are_queued_in_slices(
    bot: RunningBot | MemoryBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large cohorts are queued in several INSERTs (PostgreSQL's parameter limit); every
    recipient still gets one message."""
    import scheduler.outbox

    monkeypatch.setattr(scheduler.outbox, "_ROWS_PER_INSERT", 3)
    records = bot.standin
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Dalam irisan")
    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: delivered(records, FACILITATOR, "Laporan pengumuman") == 1, 20)
    assert [delivered(records, p, "Dalam irisan") for p in PARTICIPANTS] == [1] * len(PARTICIPANTS)


async def test_messages_in_flight_at_a_crash_go_again_and_a_stop_leaves_none_taken(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    chat_kind: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A sender that stops puts back the rows it took up but never sent; a sender that died
    (its process killed) leaves its rows taken (`outbox.taken_at`), and the next sender takes
    them over: each goes out once (one on the wire at a crash could arrive twice; here the
    messages on the wire at the stop finish first, and the crashed sender's never left)."""
    await more_participants(db, range(3001, 3007), chat_kind)
    everyone = [*PARTICIPANTS, *range(3001, 3007)]
    records = bot.standin
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Setelah mati")
    held = HeldSender(monkeypatch, free=0) if isinstance(bot, MemoryBot) else None
    if isinstance(bot, RunningBot):
        bot.standin.delay("sendMessage", 0.4)  # some still on the wire at the stop
    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: _taken(db, at_least=1))
    await bot.stop()
    async with db() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        left = [(r.status, r.taken_at) for r in rows]
    # Every row is either recorded or pending and put down: none stays in a stopped hand.
    assert all(taken is None for _, taken in left), left
    if held is not None:  # the one taken up was waiting for its slot: it never left
        assert [s for s, _ in left] == ["pending"] * len(everyone)
    # A crashed sender's rows: three taken up, never recorded.
    async with db.begin() as session:
        pending = (
            await session.execute(
                select(OutboxMessage).where(OutboxMessage.status == "pending").limit(3)
            )
        ).scalars()
        for row in pending:
            row.taken_at = row.next_attempt_at
    if held is not None:
        held.go.set()
    if isinstance(bot, RunningBot):
        bot.standin.delay("sendMessage", 0)
    await bot.start()
    await wait_until(lambda: all(delivered(records, p, "Setelah mati") for p in everyone))
    await wait_until(lambda: delivered(records, FACILITATOR, "Laporan pengumuman") == 1)
    assert [delivered(records, p, "Setelah mati") for p in everyone] == [1] * len(everyone)
    if held is not None:  # all ten were pending: three of them in the crashed sender's hands
        assert "3 announcement messages were in flight at a stop: sending again" in caplog.text
    assert "Terkirim: 10 dari 10" in report_of(records)


async def _taken(db: async_sessionmaker[AsyncSession], at_least: int) -> bool:
    async with db() as session:
        rows = (await session.execute(select(OutboxMessage.taken_at))).scalars().all()
    return sum(t is not None for t in rows) >= at_least
