"""Pulse questions (issue 14, item 4: core.pulses, handlers.pulses): /tanya asks the cohort one
question — Telegram's own poll, buttons on a channel without polls —, the facilitator's view is
edited as answers come in and refreshed on demand, an answer can be changed (or, in a poll,
taken back) while open, and closing stops the polls (or takes the buttons away) and shows the
final figures, never who chose what. Hostile: an answer after closing, an option out of range,
a pulse never sent to them, another cohort's facilitator or a participant pressing refresh or
close, malformed data, bad /tanya input."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import pulses
from handlers.pulses import SCALE_WORDS
from storage.quizzes import Pulse, PulseAnswer
from tests.conftest import make_cohort
from tests.harness import MemoryBot, Outgoing, Person, RunningBot, joined
from tests.people import facilitator_of
from tests.planning import joined_person

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


@pytest.fixture(autouse=True)
def buttons_on_memory(bot: RunningBot | MemoryBot) -> None:
    """Telegram asks with its own polls; the memory channel here has none (as WhatsApp)."""
    if isinstance(bot, MemoryBot):
        bot.channel.capabilities = replace(bot.channel.capabilities, native_polls=False)


def said(out: list[Outgoing]) -> str:
    return "\n".join(r.text or "" for r in out)


async def choose(person: Person, option: int, label: str) -> list[Outgoing]:
    if person.last_poll() is not None:
        return await person.answer_poll([option])
    return await person.press(label)


async def options_chosen(db: async_sessionmaker[AsyncSession]) -> list[int | None]:
    async with db() as session:
        return list(
            await session.scalars(select(PulseAnswer.option).order_by(PulseAnswer.participant_id))
        )


def view_of(bot: RunningBot | MemoryBot, user_id: int) -> str:
    """The facilitator's live view as it shows now."""
    for message in reversed(bot.standin.messages(user_id)):
        if message.text and "peserta menjawab" in message.text:
            return message.text
    raise AssertionError("no live view")


async def test_asked_answered_changed_seen_live_and_closed(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    budi = await joined_person(bot, 1001, "Budi")
    ani = await joined_person(bot, 1002, "Ani")
    sari = bot.person(9001, "Sari")
    out = await sari.send("/tanya Materi hari ini? | Jelas | Cukup | Bingung")
    assert "0 dari 2 peserta menjawab" in joined(out)
    if chat_kind == "telegram":
        poll = budi.last_poll()
        assert poll is not None and poll["question"] == "Materi hari ini?"
        assert poll["is_anonymous"] is False and poll["type"] == "regular"
    out = await choose(budi, 0, "Jelas")
    if chat_kind == "memory":
        assert "Jawaban Anda: <b>Jelas</b>" in joined(out)
    assert "1 dari 2 peserta menjawab" in view_of(bot, 9001)
    assert "Jelas: █████████" in view_of(bot, 9001)
    await choose(ani, 2, "Bingung")
    # Within 2 s of the last edit, but the last answer awaited: shown at once.
    shown = view_of(bot, 9001)
    assert "2 dari 2 peserta menjawab" in shown and "Bingung: " in shown
    await sari.press("Perbarui")
    assert view_of(bot, 9001) == shown
    assert "Budi" not in shown and "Ani" not in shown  # counts only
    # Budi changes his mind; on Telegram he can also take it back.
    await choose(budi, 1, "Cukup")
    assert await options_chosen(db) == [1, 2]
    if chat_kind == "telegram":
        await budi.answer_poll([])
        assert await options_chosen(db) == [None, 2]
        await budi.answer_poll([1])
    out = await sari.press("Tutup")
    shown = joined(out)
    assert "(ditutup)" in shown and "Cukup: " in shown and "Perbarui" not in str(out)
    if chat_kind == "telegram":
        stopped = [r for r in bot.standin.outbox if r.method == "stopPoll"]
        assert {r.chat_id for r in stopped} == {1001, 1002}
        poll = budi.last_poll()
        assert poll is not None and poll["is_closed"] is True
    else:  # the buttons are taken off each participant's question
        assert not budi.last_keyboard()[1] or "Jelas" not in str(budi.last_keyboard())
    # After closing nothing changes.
    before = await options_chosen(db)
    async with db() as session:
        pulse_id = await session.scalar(select(Pulse.id))
    out = await budi.press_data(budi.last_message_id(), f"tny:a:{pulse_id}.0")
    assert "sudah ditutup" in said(out)
    assert await options_chosen(db) == before


async def test_scale_and_bad_input(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    budi = await joined_person(bot, 1001, "Budi")
    sari = bot.person(9001, "Sari")
    for typed, expected in (
        ("/tanya", "Tulis pertanyaan dan pilihannya"),
        ("/tanya Hanya satu? | Ya", "Tulis pertanyaan dan pilihannya"),
        ("/tanya Sama? | Ya | ya", "Ada dua pilihan yang sama"),
        ("/tanya " + "x" * 300 + " | a | b", "paling panjang 255 karakter"),
        ("/tanya Banyak? | " + " | ".join(str(i) for i in range(11)), "Paling banyak 10"),
        ("/tanya skala", "Tulis pertanyaan dan pilihannya"),
    ):
        out = await sari.send(typed)
        assert expected in joined(out), typed
    async with db() as session:
        assert list(await session.scalars(select(Pulse))) == []
    await sari.send("/tanya skala Seberapa bermanfaat sesi ini?")
    if chat_kind == "telegram":  # the scale's ends in words
        poll = budi.last_poll()
        assert poll is not None
        assert [o["text"] for o in poll["options"]] == [
            "1 — sangat kurang", "2", "3", "4", "5 — sangat baik",
        ]  # fmt: skip
    await choose(budi, 3, "4")
    await sari.press("Perbarui")
    assert "Rata-rata: 4" in view_of(bot, 9001)
    # Budi on someone else's terms: a made-up pulse, an option out of range, malformed.
    async with db() as session:
        pulse_id = await session.scalar(select(Pulse.id))
    mid = budi.last_message_id()
    for data in (f"tny:a:{pulse_id}.7", "tny:a:999999.0", "tny:a:x.0", "tny:q:1", "tny:a:1"):
        out = await budi.press_data(mid, data)
        assert "tidak berlaku" in said(out), data
    assert await options_chosen(db) == [3]


async def test_others_cannot_see_or_close(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await make_cohort(db, code="LAIN")
    await facilitator_of(db, "REVMEN1", chat_kind)
    await facilitator_of(db, "LAIN", chat_kind, user_id=9002)
    budi = await joined_person(bot, 1001, "Budi")
    eko = bot.person(1003, "Eko")
    await eko.send("/start LAIN")
    sari, lain = bot.person(9001, "Sari"), bot.person(9002, "Lain")
    await sari.send("/tanya Materi? | Jelas | Bingung")
    async with db() as session:
        pulse_id = await session.scalar(select(Pulse.id))
    await lain.send("/hasilkuis")
    for person in (budi, lain):
        for data in (f"tny:v:{pulse_id}", f"tny:x:{pulse_id}"):
            out = await person.press_data(person.last_message_id(), data)
            assert "fasilitator" in said(out).lower(), (person.first_name, data)
    # Eko (another cohort) was never asked: his press changes nothing.
    out = await eko.press_data(eko.last_message_id(), f"tny:a:{pulse_id}.0")
    assert "tidak berlaku" in said(out)
    async with db() as session:
        pulse = await session.get(Pulse, pulse_id)
        assert pulse is not None and pulse.closed_at is None
    assert await options_chosen(db) == [None]


def test_a_question_starting_with_the_scale_word_and_options_is_a_choice() -> None:
    asking = pulses.parse("Skala prioritas mana? | Tinggi | Rendah", SCALE_WORDS)
    assert asking == pulses.Asking("Skala prioritas mana?", ("Tinggi", "Rendah"), False)
    asking = pulses.parse("skala  Seberapa   jelas?", SCALE_WORDS)
    assert asking == pulses.Asking("Seberapa jelas?", ("1", "2", "3", "4", "5"), True)


async def test_a_facilitator_of_two_cohorts_keeps_the_question_typed_without_a_code(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    """Choosing the cohort with a button would drop the question typed after /tanya: the
    facilitator gets the command for each of their cohorts, with the question, to send again."""
    await make_cohort(db, "KEDUA", name="Angkatan II")
    await facilitator_of(db, "REVMEN1", chat_kind)
    await facilitator_of(db, "KEDUA", chat_kind)
    budi = await joined_person(bot, 1001, "Budi")
    sari = bot.person(9001, "Sari")
    out = await sari.send("/tanya Siap <mulai>? | Ya | Belum")
    assert joined(out) == (
        "Anda mengelola beberapa angkatan. Kirim lagi perintahnya dengan kode angkatan di depan "
        "(ketuk untuk menyalin):\n"
        "<code>/tanya KEDUA Siap &lt;mulai&gt;? | Ya | Belum</code>\n"
        "<code>/tanya REVMEN1 Siap &lt;mulai&gt;? | Ya | Belum</code>"
    )
    assert not any(r.reply_markup for r in out)
    async with db() as session:
        assert list(await session.scalars(select(Pulse))) == []
    await sari.send("/tanya REVMEN1 Siap <mulai>? | Ya | Belum")
    await choose(budi, 0, "Ya")
    assert await options_chosen(db) == [0]
    english = bot.person(9001, "Sari", language_code="en")
    out = await english.send("/ask Ready? | Yes | No")
    assert "You manage several cohorts" in joined(out)
    assert "<code>/ask REVMEN1 Ready? | Yes | No</code>" in joined(out)
