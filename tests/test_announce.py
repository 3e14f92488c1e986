"""Announcements written, on Telegram (the bot polling the Bot API stand-in) and on the in-memory
channel: compose, preview, audience, time, confirm, cancel and stop, who may, the report and
/status as written; delivery itself is tests/test_announce_delivery.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from storage.models import Announcement
from tests.announcing import (
    FACILITATOR,
    PARTICIPANTS,
    SenderTurns,
    compose,
    compose_records,
    delivered,
    report_of,
    send_formatted,
    sender_had_its_chance,
    start_announcing,
    wait_until,
)
from tests.harness import Clock, MemoryBot, RunningBot, joined, texts

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

MONDAY_9 = datetime(2021, 9, 6, 1, 0, tzinfo=UTC)  # Monday 09:00 WITA


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
def clock() -> Clock:
    return Clock(MONDAY_9)


@pytest.fixture
async def clocked_bot(
    standin: BotApiStandIn,
    db_url: str,
    db: async_sessionmaker[AsyncSession],
    chat_kind: str,
    clock: Clock,
) -> AsyncIterator[RunningBot | MemoryBot]:
    """The bot on the test's channel on Monday 09:00 WITA by `clock`; one participant, Ani."""
    running = await start_announcing(standin, db_url, db, chat_kind, clock)
    await running.person(2001, "Ani").send("/start REVMEN1")
    yield running
    await running.stop()


@pytest.fixture
def turns(monkeypatch: pytest.MonkeyPatch) -> SenderTurns:
    return SenderTurns(monkeypatch)


async def test_report_and_status_show_the_title_as_written(bot: RunningBot | MemoryBot) -> None:
    records = bot.standin
    facilitator = bot.person(FACILITATOR, "Sari")
    await compose(facilitator, "Tanya & jawab <modul 2> besok")
    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: delivered(records, FACILITATOR, "Laporan pengumuman") == 1)
    report = report_of(records)
    status = joined(await facilitator.send("/status"))
    for shown in (report, status):
        assert "Tanya &amp; jawab &lt;modul 2&gt; besok" in shown, shown
        assert "&amp;amp;" not in shown and "&amp;lt;" not in shown


async def test_long_text_of_escaped_characters_previews_as_participants_receive_it(
    bot: RunningBot | MemoryBot,
) -> None:
    """`<`, `>` and `&` are `&lt;`, `&gt;` and `&amp;` in HTML: a text within the limit can be
    far longer as HTML. The preview is not cut inside an entity: it is one message, the very
    one each participant gets, header included."""
    records = bot.standin
    facilitator = bot.person(FACILITATOR, "Sari")
    body = "Tanya <jawab> & diskusi " * 150  # 3,600 characters, over 5,000 as HTML
    preview = texts(await compose_records(facilitator, body.strip()))
    assert len(preview) == 2  # the announcement as delivered, then the control message
    assert "Penerima: <b>4</b> peserta" in preview[1]
    assert preview[0].startswith("📢 <b>Pengumuman</b> · ")
    assert "Tanya &lt;jawab&gt; &amp; diskusi" in preview[0] and "lt;&" not in preview[0]
    await facilitator.press("Kirim sekarang")
    await wait_until(lambda: all(delivered(records, p, "diskusi") for p in PARTICIPANTS))
    for p in PARTICIPANTS:
        received = [
            m.text for m in records.outbox if m.chat_id == p and "diskusi" in (m.text or "")
        ]
        assert received == [preview[0]]


async def test_forged_buttons_on_an_empty_draft_change_nothing(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession]
) -> None:
    """ "Back" belongs to the send-time question: pressed (forged) while the draft still waits
    for its text, it must not make a preview without a text, nor let "send" fail."""
    facilitator = bot.person(FACILITATOR, "Sari")
    await facilitator.send("/umumkan")
    async with db() as session:
        draft = (await session.execute(select(Announcement))).scalars().one()
    last = bot.standin.messages(FACILITATOR)[-1].message_id
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
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession]
) -> None:
    """/batal while writing: the announcement is dropped (not "type your cohort code")."""
    facilitator = bot.person(FACILITATOR, "Sari")
    await facilitator.send("/umumkan")
    assert "Pengumuman dibatalkan" in joined(await facilitator.send("/batal"))
    async with db() as session:
        states = (await session.execute(select(Announcement.state))).scalars().all()
    assert states == ["cancelled"]
    assert "Pratinjau" not in joined(await facilitator.send("Bukan pengumuman"))
    assert not any(delivered(bot.standin, p, "Bukan pengumuman") for p in PARTICIPANTS)
    # Nothing open any more: a facilitator (not a participant) is not asked for a cohort code.
    again = joined(await facilitator.send("/batal"))
    assert "Tidak ada yang sedang berjalan" in again and "kode angkatan" not in again


async def test_cancel_edit_and_audience(bot: RunningBot | MemoryBot, turns: SenderTurns) -> None:
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
    await sender_had_its_chance(bot, turns)
    assert not any(delivered(bot.standin, p, "Versi") for p in PARTICIPANTS)
    # A typed text after cancelling is ordinary text again, not an announcement.
    assert "Versi ketiga" not in joined(await facilitator.send("Versi ketiga"))


async def test_scheduled_announcement_goes_at_its_time(
    clocked_bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    turns: SenderTurns,
) -> None:
    bot, records = clocked_bot, clocked_bot.standin
    facilitator = bot.person(FACILITATOR, "Sari")
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
    await sender_had_its_chance(bot, turns)
    assert delivered(records, 2001, "Nanti sore") == 0
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
    bot.services.outbox_wakeup.set()
    await wait_until(lambda: delivered(records, 2001, "Nanti sore") == 1)


async def test_participants_and_strangers_are_refused(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], turns: SenderTurns
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
            last = bot.standin.messages(person.user_id)[-1].message_id
            answer = await person.press_data(last, f"ann:{action}:{draft.id}")
            assert any("khusus untuk fasilitator" in (r.text or "") for r in answer)
    async with db() as session:
        again = await session.get(Announcement, draft.id)
        assert again is not None and again.state == "preview" and again.audience == "all"
    await sender_had_its_chance(bot, turns)
    assert not any(delivered(bot.standin, p, "Hanya fasilitator") for p in PARTICIPANTS)


async def test_oversize_text_and_pictures_while_writing(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession]
) -> None:
    facilitator = bot.person(FACILITATOR, "Sari")
    await facilitator.send("/umumkan")
    answer = joined(await facilitator.send_photo())
    assert "hanya bisa berupa teks" in answer
    long = "panjang " * 500  # 4,000 characters
    answer = joined(await facilitator.send(long.strip()))
    assert "terlalu panjang (3.999 karakter); paling banyak 3.800" in answer
    async with db() as session:
        draft = (await session.execute(select(Announcement))).scalars().one()
        assert draft.state == "compose" and draft.body is None
    preview = joined(await facilitator.send("Singkat saja"))
    assert "Singkat saja" in preview and "Pratinjau" in preview


async def test_help_shows_facilitator_commands_to_facilitators_only(
    bot: RunningBot | MemoryBot,
) -> None:
    assert "/umumkan" in joined(await bot.person(FACILITATOR, "Sari").send("/bantuan"))
    for user_id in (PARTICIPANTS[0], 5555):
        answer = joined(await bot.person(user_id, "Orang").send("/bantuan"))
        assert "/bantuan" in answer and "/umumkan" not in answer and "fasilitator</b>" not in answer


async def test_english_counts_one_participant_and_the_time_example_is_tomorrow(
    clocked_bot: RunningBot | MemoryBot,
) -> None:
    tom = clocked_bot.person(FACILITATOR, "Tom", language_code="en")
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


async def test_cancelling_a_scheduled_announcement_says_it_goes_to_nobody(
    clocked_bot: RunningBot | MemoryBot, clock: Clock, turns: SenderTurns
) -> None:
    bot = clocked_bot
    facilitator = bot.person(FACILITATOR, "Sari", language_code="en")
    await facilitator.send("/announce Tomorrow at eight")
    await facilitator.press("Set a time")
    await facilitator.send("16:30")
    await facilitator.press("Schedule")
    await facilitator.send("/status")
    await facilitator.press("Stop")
    out = joined(await facilitator.press("Yes, stop it"))
    assert out == "⏹ The scheduled announcement is cancelled; it goes to nobody."
    clock.now += timedelta(hours=8)
    bot.services.outbox_wakeup.set()
    await sender_had_its_chance(bot, turns)
    assert delivered(bot.standin, 2001, "Tomorrow at eight") == 0


@pytest.mark.channels("telegram")  # Telegram's entities read into Aksi's markup
async def test_an_announcement_is_stored_in_aksis_markup(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    """Channel-neutral: the facilitator's bold, italic, links and line breaks are kept; what
    only Telegram has (a spoiler, a quote, underline kept as such) is reduced to its text or to
    the subset, so another channel can render the same body."""
    facilitator = bot.person(FACILITATOR, "Sari")
    await facilitator.send("/umumkan")
    text = "Rapat besok\nrahasia dikutip portal"
    entities = [
        {"type": "bold", "offset": 0, "length": 5},
        {"type": "italic", "offset": 6, "length": 5},
        {"type": "spoiler", "offset": 12, "length": 7},
        {"type": "blockquote", "offset": 20, "length": 7},
        {"type": "text_link", "offset": 28, "length": 6, "url": "https://elearning.lan.go.id"},
    ]
    preview = joined(await send_formatted(bot, FACILITATOR, "Sari", text, entities, ""))
    assert "<b>Rapat</b> <i>besok</i>" in preview
    async with db() as session:
        body = (await session.execute(select(Announcement.body))).scalar_one()
    assert body == (
        '<b>Rapat</b> <i>besok</i>\nrahasia dikutip <a href="https://elearning.lan.go.id">'
        "portal</a>"
    )
