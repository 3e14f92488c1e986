"""Announcements end to end: compose, preview, audience, time, confirm, delivery with Telegram's
errors (403, chat not found, 429, network), restart mid-way, the report and /status."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn, Outgoing
from core.cohorts import get_cohort
from core.staff import add_facilitator
from storage.models import Announcement, Contact, OutboxMessage, Participant
from tests.conftest import make_cohort
from tests.harness import (
    Clock,
    MemoryBot,
    MemoryRecords,
    Person,
    RunningBot,
    joined,
    settings_for,
    start_bot,
    texts,
)
from tests.people import new_person

pytestmark = pytest.mark.databases("sqlite", "postgresql")

FACILITATOR = 9001
PARTICIPANTS = [2001, 2002, 2003, 2004]


def delivered(standin: BotApiStandIn | MemoryRecords, chat_id: int, needle: str) -> int:
    return sum(1 for m in standin.outbox if m.chat_id == chat_id and needle in (m.text or ""))


async def wait_until(predicate: object, timeout: float = 15.0) -> None:
    assert callable(predicate)
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def bot(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession]
) -> AsyncIterator[RunningBot]:
    await make_cohort(db)
    async with db.begin() as session:
        sari = await new_person(session, FACILITATOR)
        await add_facilitator(session, await get_cohort(session, "REVMEN1"), sari)
    running = RunningBot(standin, settings_for(standin, db_url))
    await running.start()
    for user_id in PARTICIPANTS:
        person = running.person(user_id, f"Peserta{user_id}")
        await person.send("/start REVMEN1")
    yield running
    await running.stop()


async def compose_records(facilitator: Person, body: str) -> list[Outgoing]:
    await facilitator.send("/umumkan")
    return await facilitator.send(body)


async def compose(facilitator: Person, body: str = "Besok sesi dimulai pukul 08.00") -> str:
    await facilitator.send("/umumkan")
    answer = joined(await facilitator.send(body))
    return answer


async def test_announce_reaches_everyone_once_and_reports(
    bot: RunningBot, standin: BotApiStandIn, db: async_sessionmaker[AsyncSession]
) -> None:
    facilitator = bot.person(FACILITATOR, "Sari")
    asked = joined(await facilitator.send("/umumkan"))
    assert "Tulis pengumuman" in asked
    # Bold text and a link, as the Telegram client sends them (entities).
    text = "Jadwal berubah: lihat portal"
    standin.push_message(
        FACILITATOR,
        text,
        first_name="Sari",
        entities=[
            {"type": "bold", "offset": 0, "length": 14},
            {"type": "text_link", "offset": 22, "length": 6, "url": "https://elearning.lan.go.id"},
        ],
    )
    preview = joined(await standin.wait_quiet(FACILITATOR, quiet=0.3))
    assert "<b>Jadwal berubah</b>" in preview
    assert '<a href="https://elearning.lan.go.id">portal</a>' in preview
    assert "Penerima: <b>4</b> peserta" in preview
    assert not any(delivered(standin, p, "Jadwal berubah") for p in PARTICIPANTS)

    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: all(delivered(standin, p, "Jadwal berubah") for p in PARTICIPANTS))
    await wait_until(lambda: delivered(standin, FACILITATOR, "Laporan pengumuman") == 1)
    report = next(m.text for m in standin.outbox if "Laporan pengumuman" in (m.text or ""))
    assert report is not None and "Terkirim: 4 dari 4" in report and "Gagal: 0" in report
    for p in PARTICIPANTS:
        assert delivered(standin, p, "Jadwal berubah") == 1
        message = next(m for m in standin.outbox if m.chat_id == p and "Jadwal" in (m.text or ""))
        assert message.parse_mode == "HTML"
        assert '<a href="https://elearning.lan.go.id">portal</a>' in (message.text or "")
    status = joined(await facilitator.send("/status"))
    assert "Selesai" in status and "4 dari 4 terkirim" in status
    async with db() as session:
        rows = (await session.execute(select(OutboxMessage.status))).scalars().all()
    assert sorted(rows) == ["sent"] * 4


async def test_blocked_and_vanished_are_unreachable_and_the_rest_goes_on(
    bot: RunningBot, standin: BotApiStandIn, db: async_sessionmaker[AsyncSession]
) -> None:
    standin.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=2001)
    standin.fail("sendMessage", 400, "Bad Request: chat not found", chat_id=2002)
    standin.fail(
        "sendMessage", 429, "Too Many Requests: retry after 1", times=1, retry_after=1, chat_id=2003
    )
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Pengumuman penting")
    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: delivered(standin, FACILITATOR, "Laporan pengumuman") == 1, 20)
    report = next(m.text for m in standin.outbox if "Laporan pengumuman" in (m.text or ""))
    assert report is not None
    assert "Terkirim: 2 dari 4" in report
    assert "Tidak dapat dihubungi (memblokir bot atau akun hilang): 2" in report
    assert "Peserta2001" in report and "Peserta2002" in report
    assert delivered(standin, 2003, "Pengumuman penting") == 1  # after the 429, once
    assert delivered(standin, 2004, "Pengumuman penting") == 1
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
    standin.clear_failures()
    await compose(facilitator, "Pengumuman kedua")
    preview = joined(await facilitator.press("Kirim sekarang"))
    assert "4 peserta" in preview
    await wait_until(lambda: delivered(standin, FACILITATOR, "Laporan pengumuman") == 2, 20)
    assert delivered(standin, 2001, "Pengumuman kedua") == 0
    assert delivered(standin, 2004, "Pengumuman kedua") == 1


async def test_network_errors_are_retried(bot: RunningBot, standin: BotApiStandIn) -> None:
    standin.fail("sendMessage", 502, "Bad Gateway", times=1, chat_id=2004)
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Coba jaringan")
    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: delivered(standin, FACILITATOR, "Laporan pengumuman") == 1, 20)
    assert delivered(standin, 2004, "Coba jaringan") == 1
    report = next(m.text for m in standin.outbox if "Laporan pengumuman" in (m.text or ""))
    assert report is not None and "Terkirim: 4 dari 4" in report


async def test_report_and_status_show_the_title_as_written(
    bot: RunningBot, standin: BotApiStandIn
) -> None:
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Tanya & jawab <modul 2> besok")
    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: delivered(standin, FACILITATOR, "Laporan pengumuman") == 1)
    report = next(m.text for m in standin.outbox if "Laporan pengumuman" in (m.text or ""))
    status = joined(await facilitator.send("/status"))
    for shown in (report or "", status):
        assert "Tanya &amp; jawab &lt;modul 2&gt; besok" in shown, shown
        assert "&amp;amp;" not in shown and "&amp;lt;" not in shown


async def test_long_text_of_escaped_characters_previews_as_participants_receive_it(
    bot: RunningBot, standin: BotApiStandIn
) -> None:
    """`<`, `>` and `&` are `&lt;`, `&gt;` and `&amp;` in HTML: a text within the limit can be
    far longer as HTML. The preview is not cut inside an entity: it is one message, the very
    one each participant gets, header included."""
    facilitator = bot.person(FACILITATOR, "Sari")
    body = "Tanya <jawab> & diskusi " * 150  # 3,600 characters, over 5,000 as HTML
    preview = texts(await compose_records(facilitator, body.strip()))
    assert len(preview) == 2  # the announcement as delivered, then the control message
    assert "Penerima: <b>4</b> peserta" in preview[1]
    assert preview[0].startswith("📢 <b>Pengumuman</b> · ")
    assert "Tanya &lt;jawab&gt; &amp; diskusi" in preview[0] and "lt;&" not in preview[0]
    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: all(delivered(standin, p, "diskusi") for p in PARTICIPANTS))
    for p in PARTICIPANTS:
        received = [
            m.text for m in standin.outbox if m.chat_id == p and "diskusi" in (m.text or "")
        ]
        assert received == [preview[0]]


async def test_restart_mid_announcement_resumes_without_repeats(
    bot: RunningBot, standin: BotApiStandIn, db: async_sessionmaker[AsyncSession]
) -> None:
    # Forty recipients take well over a second at 30 a second, so the stop below comes with
    # most of them still queued whatever the machine's speed (four would all be in flight).
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        session.add_all(
            [
                Participant(
                    cohort_id=cohort.id, person_id=await new_person(session, u), first_name=f"P{u}"
                )
                for u in range(3001, 3037)
            ]
        )
    everyone = [*PARTICIPANTS, *range(3001, 3037)]
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Selama restart")
    standin.delay("sendMessage", 0.4)
    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: sum(delivered(standin, p, "Selama restart") for p in everyone) >= 1)
    await bot.stop()
    before = sum(delivered(standin, p, "Selama restart") for p in everyone)
    assert before < len(everyone)
    standin.delay("sendMessage", 0)
    await bot.start()
    await wait_until(lambda: all(delivered(standin, p, "Selama restart") for p in everyone))
    await wait_until(lambda: delivered(standin, FACILITATOR, "Laporan pengumuman") == 1)
    assert [delivered(standin, p, "Selama restart") for p in everyone] == [1] * len(everyone)


async def test_stop_keeps_its_word(
    bot: RunningBot, standin: BotApiStandIn, db: async_sessionmaker[AsyncSession]
) -> None:
    """Messages the facilitator is told will not be sent are not sent, even those the sender
    had already taken from the outbox (a batch) when Stop was pressed."""
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        session.add_all(
            [
                Participant(
                    cohort_id=cohort.id, person_id=await new_person(session, u), first_name=f"P{u}"
                )
                for u in range(3001, 3077)
            ]
        )
    everyone = [*PARTICIPANTS, *range(3001, 3077)]  # 80: close to three seconds at 30 a second
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Jangan semua")
    async with db() as session:
        draft = (await session.execute(select(Announcement))).scalars().one()
    await facilitator.press("Kirim sekarang")
    last = standin.messages(FACILITATOR)[-1].message_id
    asked = joined(await facilitator.press_data(last, f"ann:stop:{draft.id}"))
    assert "Hentikan pengumuman «Jangan semua»?" in asked and "tidak akan dikirim" in asked
    stopped = joined(await facilitator.press("Ya, hentikan"))
    found = re.search(r"(\d+) pesan tidak jadi dikirim", stopped)
    assert found is not None, stopped
    dropped = int(found[1])
    await asyncio.sleep(2.5)  # longer than a whole batch takes to go out
    sent = sum(delivered(standin, p, "Jangan semua") for p in everyone)
    assert dropped > 0 and sent < len(everyone)
    # Everyone either got it or is among those counted out; only a message on the wire at
    # the very moment of the press (a loopback round trip) can be both.
    assert len(everyone) <= sent + dropped <= len(everyone) + 2, (sent, dropped)
    async with db() as session:
        statuses = (await session.execute(select(OutboxMessage.status))).scalars().all()
    assert statuses.count("sent") == sent
    # /status still shows it, as stopped, with what went out.
    status = joined(await facilitator.send("/status"))
    assert "⏹ <b>Dihentikan</b>" in status and "«Jangan semua»" in status


async def test_forged_buttons_on_an_empty_draft_change_nothing(
    bot: RunningBot, standin: BotApiStandIn, db: async_sessionmaker[AsyncSession]
) -> None:
    """ "Back" belongs to the send-time question: pressed (forged) while the draft still waits
    for its text, it must not make a preview without a text, nor let "send" fail."""
    facilitator = bot.person(FACILITATOR, "Sari")
    await facilitator.send("/umumkan")
    async with db() as session:
        draft = (await session.execute(select(Announcement))).scalars().one()
    last = standin.messages(FACILITATOR)[-1].message_id
    for action in ("back", "send", "aud", "time"):
        answer = await facilitator.press_data(last, f"ann:{action}:{draft.id}")
        alerts = [a.text or "" for a in answer if a.method == "answerCallbackQuery"]
        assert len(alerts) == 1 and alerts[0].startswith("Tombol ini sudah tidak berlaku"), action
    async with db() as session:
        again = await session.get(Announcement, draft.id)
        assert again is not None and again.state == "compose" and again.body is None
    preview = joined(await facilitator.send("Tetap bisa ditulis"))
    assert "Tetap bisa ditulis" in preview


async def test_batal_drops_the_draft(
    bot: RunningBot, standin: BotApiStandIn, db: async_sessionmaker[AsyncSession]
) -> None:
    """/batal while writing: the announcement is dropped (not "type your cohort code")."""
    facilitator = bot.person(FACILITATOR, "Sari")
    await facilitator.send("/umumkan")
    assert "Pengumuman dibatalkan" in joined(await facilitator.send("/batal"))
    async with db() as session:
        states = (await session.execute(select(Announcement.state))).scalars().all()
    assert states == ["cancelled"]
    assert "Pratinjau" not in joined(await facilitator.send("Bukan pengumuman"))
    assert not any(delivered(standin, p, "Bukan pengumuman") for p in PARTICIPANTS)
    # Nothing open any more: a facilitator (not a participant) is not asked for a cohort code.
    again = joined(await facilitator.send("/batal"))
    assert "Tidak ada yang sedang berjalan" in again and "kode angkatan" not in again


async def test_cancel_edit_and_audience(
    bot: RunningBot, standin: BotApiStandIn, db: async_sessionmaker[AsyncSession]
) -> None:
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Versi pertama")
    asked = joined(await facilitator.press("Ganti teks"))
    assert "Tulis pengumuman" in asked
    preview = joined(await facilitator.send("Versi kedua"))
    assert "Versi kedua" in preview
    toggled = joined(await facilitator.press("Hanya yang belum lapor"))
    assert "hanya yang belum lapor hari ini" in toggled
    assert "Penerima: <b>4</b>" in toggled  # nobody has checked in yet
    cancelled = joined(await facilitator.press("Batal"))
    assert "dibatalkan" in cancelled
    await asyncio.sleep(0.3)
    assert not any(delivered(standin, p, "Versi") for p in PARTICIPANTS)
    # A typed text after cancelling is ordinary text again, not an announcement.
    assert "Versi ketiga" not in joined(await facilitator.send("Versi ketiga"))


async def test_scheduled_announcement_goes_at_its_time(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession]
) -> None:
    await make_cohort(db)
    async with db.begin() as session:
        sari = await new_person(session, FACILITATOR)
        await add_facilitator(session, await get_cohort(session, "REVMEN1"), sari)
    clock = Clock(datetime(2021, 9, 6, 1, 0, tzinfo=UTC))  # Monday 09:00 WITA
    running = RunningBot(standin, settings_for(standin, db_url), clock=clock)
    await running.start()
    try:
        await running.person(2001, "Ani").send("/start REVMEN1")
        facilitator = running.person(FACILITATOR, "Sari")
        await compose(facilitator, "Nanti sore")
        asked = joined(await facilitator.press("Atur waktu"))
        assert "WITA" in asked
        assert "sudah lewat" in joined(await facilitator.send("2021-09-01 10:00"))
        assert "tidak terbaca" in joined(await facilitator.send("jam lima"))
        # The first day of year 1: long past (and before UTC's calendar begins in WITA).
        assert "sudah lewat" in joined(await facilitator.send("0001-01-01 00:00"))
        control = joined(await facilitator.send("16:30"))
        assert "16.30 WITA" in control or "16:30 WITA" in control
        done = joined(await facilitator.press("Jadwalkan"))
        assert "Terjadwal" in done
        await asyncio.sleep(0.5)
        assert delivered(standin, 2001, "Nanti sore") == 0
        status = joined(await facilitator.send("/status"))
        assert "Terjadwal" in status
        # Stop asks first; "let it go on" keeps it scheduled.
        asked = joined(await facilitator.press("Hentikan"))
        assert "Batalkan pengumuman terjadwal «Nanti sore»" in asked and "16.30 WITA" in asked
        assert "tidak akan dikirim ke siapa pun" in asked
        assert "tetap berjalan" in joined(await facilitator.press("Biarkan berjalan"))
        async with db() as session:
            [state] = (await session.execute(select(Announcement.state))).scalars().all()
        assert state == "scheduled"
        clock.now += timedelta(hours=8)  # 17:00 WITA
        running.app.bot_data.services.outbox_wakeup.set()
        await wait_until(lambda: delivered(standin, 2001, "Nanti sore") == 1)
    finally:
        await running.stop()


async def test_participants_and_strangers_are_refused(
    bot: RunningBot, standin: BotApiStandIn, db: async_sessionmaker[AsyncSession]
) -> None:
    participant = bot.person(2001, "Peserta2001")
    stranger = bot.person(5555, "Orang")
    for person in (participant, stranger):
        assert "khusus untuk fasilitator" in joined(await person.send("/umumkan Halo semua"))
        assert "khusus untuk fasilitator" in joined(await person.send("/status"))
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Hanya fasilitator")
    async with db() as session:
        draft = (await session.execute(select(Announcement))).scalars().one()
    for person in (participant, stranger):
        for action in ("send", "cancel", "stop", "aud"):
            last = standin.messages(person.user_id)[-1].message_id
            answer = await person.press_data(last, f"ann:{action}:{draft.id}")
            assert any("khusus untuk fasilitator" in (r.text or "") for r in answer)
    async with db() as session:
        again = await session.get(Announcement, draft.id)
        assert again is not None and again.state == "preview" and again.audience == "all"
    await asyncio.sleep(0.3)
    assert not any(delivered(standin, p, "Hanya fasilitator") for p in PARTICIPANTS)


async def test_oversize_text_and_pictures_while_writing(
    bot: RunningBot, standin: BotApiStandIn, db: async_sessionmaker[AsyncSession]
) -> None:
    facilitator = bot.person(FACILITATOR, "Sari")
    await facilitator.send("/umumkan")
    answer = joined(await facilitator.send_raw(lambda: standin.push_photo(FACILITATOR)))
    assert "hanya bisa berupa teks" in answer
    long = "panjang " * 500  # 4,000 characters
    answer = joined(await facilitator.send(long.strip()))
    assert "terlalu panjang (3.999 karakter); paling banyak 3.800" in answer
    async with db() as session:
        draft = (await session.execute(select(Announcement))).scalars().one()
        assert draft.state == "compose" and draft.body is None
    preview = joined(await facilitator.send("Singkat saja"))
    assert "Singkat saja" in preview and "Pratinjau" in preview


async def test_recipients_are_queued_in_slices(
    bot: RunningBot, standin: BotApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large cohorts are queued in several INSERTs (PostgreSQL's parameter limit); every
    recipient still gets one message."""
    import scheduler.outbox

    monkeypatch.setattr(scheduler.outbox, "_ROWS_PER_INSERT", 3)
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Dalam irisan")
    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: delivered(standin, FACILITATOR, "Laporan pengumuman") == 1, 20)
    assert [delivered(standin, p, "Dalam irisan") for p in PARTICIPANTS] == [1] * len(PARTICIPANTS)


async def test_help_shows_facilitator_commands_to_facilitators_only(bot: RunningBot) -> None:
    assert "/umumkan" in joined(await bot.person(FACILITATOR, "Sari").send("/bantuan"))
    for user_id in (PARTICIPANTS[0], 5555):
        answer = joined(await bot.person(user_id, "Orang").send("/bantuan"))
        assert "/bantuan" in answer and "/umumkan" not in answer and "fasilitator</b>" not in answer


async def test_english_counts_one_participant_and_the_time_example_is_tomorrow(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession]
) -> None:
    await make_cohort(db)
    async with db.begin() as session:
        sari = await new_person(session, FACILITATOR)
        await add_facilitator(session, await get_cohort(session, "REVMEN1"), sari)
    clock = Clock(datetime(2021, 9, 6, 1, 0, tzinfo=UTC))  # Monday 09:00 WITA
    running = RunningBot(standin, settings_for(standin, db_url), clock=clock)
    await running.start()
    try:
        await running.person(2001, "Ani").send("/start REVMEN1")
        tom = running.person(FACILITATOR, "Tom", language_code="en")
        await tom.send("/announce")
        preview = joined(await tom.send("The session starts at 08.00"))
        assert "Recipients: <b>1</b> participant of Angkatan I (" in preview
        asked = joined(await tom.press("Set a time"))
        assert "or <code>2021-09-07 07:00</code>." in asked  # tomorrow, not a date of 2021's past
        unread = joined(await tom.send("five o'clock"))
        assert "E.g. <code>16:30</code> or <code>2021-09-07 07:00</code> (WITA)." in unread
        await tom.send("16:30")
        done = joined(await tom.press("Schedule"))
        assert "for 1 participant (counted again when sent)" in done
    finally:
        await running.stop()


async def test_cancelling_a_scheduled_announcement_says_it_goes_to_nobody(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession]
) -> None:
    await make_cohort(db)
    async with db.begin() as session:
        sari = await new_person(session, FACILITATOR)
        await add_facilitator(session, await get_cohort(session, "REVMEN1"), sari)
    clock = Clock(datetime(2021, 9, 6, 1, 0, tzinfo=UTC))  # Monday 09:00 WITA
    running = RunningBot(standin, settings_for(standin, db_url), clock=clock)
    await running.start()
    try:
        await running.person(2001, "Ani").send("/start REVMEN1")
        facilitator = running.person(FACILITATOR, "Sari", language_code="en")
        await facilitator.send("/announce Tomorrow at eight")
        await facilitator.press("Set a time")
        await facilitator.send("16:30")
        await facilitator.press("Schedule")
        await facilitator.send("/status")
        await facilitator.press("Stop")
        out = joined(await facilitator.press("Yes, stop it"))
        assert out == "⏹ The scheduled announcement is cancelled; it goes to nobody."
        clock.now += timedelta(hours=8)
        running.app.bot_data.services.outbox_wakeup.set()
        await asyncio.sleep(0.5)
        assert delivered(standin, 2001, "Tomorrow at eight") == 0
    finally:
        await running.stop()


async def test_an_announcement_is_stored_in_aksis_markup(
    bot: RunningBot, standin: BotApiStandIn, db: async_sessionmaker[AsyncSession]
) -> None:
    """Channel-neutral: the facilitator's bold, italic, links and line breaks are kept; what
    only Telegram has (a spoiler, a quote, underline kept as such) is reduced to its text or to
    the subset, so another channel can render the same body."""
    facilitator = bot.person(FACILITATOR, "Sari")
    await facilitator.send("/umumkan")
    text = "Rapat besok\nrahasia dikutip portal"
    standin.push_message(
        FACILITATOR,
        text,
        first_name="Sari",
        entities=[
            {"type": "bold", "offset": 0, "length": 5},
            {"type": "italic", "offset": 6, "length": 5},
            {"type": "spoiler", "offset": 12, "length": 7},
            {"type": "blockquote", "offset": 20, "length": 7},
            {"type": "text_link", "offset": 28, "length": 6, "url": "https://elearning.lan.go.id"},
        ],
    )
    preview = joined(await standin.wait_quiet(FACILITATOR, quiet=0.3))
    assert "<b>Rapat</b> <i>besok</i>" in preview
    async with db() as session:
        body = (await session.execute(select(Announcement.body))).scalar_one()
    assert body == (
        '<b>Rapat</b> <i>besok</i>\nrahasia dikutip <a href="https://elearning.lan.go.id">'
        "portal</a>"
    )


async def test_an_announcement_on_the_memory_channel_reaches_everyone_once(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession]
) -> None:
    """The same sender (scheduler.broadcast) on another channel: the engine on the in-memory
    channel, no Telegram at all. Each participant gets it once, the author the report; a
    participant who blocked the bot is counted unreachable and the rest goes on."""
    await make_cohort(db)
    async with db.begin() as session:
        author = await new_person(session, FACILITATOR, channel="memory")
        await add_facilitator(session, await get_cohort(session, "REVMEN1"), author)
    bot = await start_bot("memory", standin, settings_for(standin, db_url), None)
    assert isinstance(bot, MemoryBot)
    try:
        for user_id in PARTICIPANTS:
            await bot.person(user_id, f"Peserta{user_id}").send("/start REVMEN1")
        bot.channel.unreachable.add(str(PARTICIPANTS[-1]))
        sari = bot.person(FACILITATOR, "Sari")
        await compose(sari, "Jadwal berubah: lihat portal")
        await sari.press("Kirim sekarang")
        records = bot.standin
        await wait_until(lambda: delivered(records, FACILITATOR, "Laporan pengumuman") == 1)
        for p in PARTICIPANTS[:-1]:
            assert delivered(records, p, "Jadwal berubah") == 1
        assert delivered(records, PARTICIPANTS[-1], "Jadwal berubah") == 0
        report = next(m.text for m in records.outbox if "Laporan pengumuman" in (m.text or ""))
        assert report is not None and "Terkirim: 3 dari 4" in report
        async with db() as session:
            rows = (await session.execute(select(OutboxMessage.status))).scalars().all()
        assert sorted(rows) == ["sent", "sent", "sent", "unreachable"]
    finally:
        await bot.stop()
