"""What people met when they first tried Aksi: the Telegram-name button, the name question
from /pengaturan, text typed where only buttons answer, and the main menu."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn, Outgoing
from core.participants import name_from_telegram
from storage.models import Participant
from tests.conftest import make_cohort
from tests.harness import Person, RunningBot, joined, settings_for


@pytest.fixture
async def bot(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession]
) -> AsyncIterator[RunningBot]:
    await make_cohort(db)
    running = RunningBot(standin, settings_for(standin, db_url))
    await running.start()
    yield running
    await running.stop()


async def member(db: async_sessionmaker[AsyncSession], user_id: int) -> Participant:
    async with db() as session:
        found = await session.scalar(
            select(Participant).where(Participant.telegram_user_id == user_id)
        )
    assert found is not None
    return found


def buttons(records: list[Outgoing]) -> list[str]:
    """The labels of the buttons under the last message that has some."""
    for record in reversed(records):
        rows = (record.reply_markup or {}).get("inline_keyboard")
        if rows:
            return [b["text"] for row in rows for b in row]
    return []


def alerts(records: list[Outgoing]) -> list[str]:
    return [r.text or "" for r in records if r.method == "answerCallbackQuery"]


def sent(records: list[Outgoing]) -> list[Outgoing]:
    return [r for r in records if r.method in ("sendMessage", "editMessageText")]


# --- The Telegram name as a name -------------------------------------------------------------


@pytest.mark.parametrize(
    ("display", "name"),
    [
        ("Budi 🙂", "Budi"),
        ("<Sari>", "Sari"),
        ("user123456", "user"),
        ("Dr. Siti Aminah, M.Si. 🇮🇩", "Dr. Siti Aminah, M.Si."),
        ("Ni_Luh #Putu", "Ni Luh Putu"),
        ("B", None),
        ("🙂🙂", None),
        ("12345", None),
    ],
)
def test_telegram_name_is_cleaned_into_a_name_or_none(display: str, name: str | None) -> None:
    assert name_from_telegram(display) == name


@pytest.mark.parametrize(
    ("display", "saved"), [("Budi 🙂", "Budi"), ("<Sari>", "Sari"), ("user123456", "user")]
)
async def test_telegram_name_button_saves_the_name_it_shows(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], display: str, saved: str
) -> None:
    person = bot.person(1001, display)
    out = await person.send("/start REVMEN1")
    assert buttons(out) == [f"Pakai «{saved}»", "Lewati"]
    out = await person.press(f"Pakai «{saved}»")
    assert alerts(out) == ["Tersimpan ✅"]
    assert "tidak tampak seperti nama" not in joined(out)
    assert "unit kerja (OPD)" in joined(out)
    p = await member(db, 1001)
    assert (p.full_name, p.awaiting) == (saved, "unit")


async def test_no_telegram_name_button_when_it_makes_no_name(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    for user_id, display in ((1001, "B"), (1002, "🙂🙂")):
        out = await bot.person(user_id, display).send("/start REVMEN1")
        assert buttons(out) == ["Lewati"]
        assert (await member(db, user_id)).awaiting == "full_name"


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("id", "Nama Telegram Anda tidak bisa dipakai sebagai nama lengkap"),
        ("en", "Your Telegram name can't be used as your full name"),
    ],
)
async def test_telegram_name_unusable_since_the_button_says_one_thing(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], language: str, said: str
) -> None:
    """Renamed to emoji after the button was shown: one clear answer, never "saved" and then a
    refusal; the question stays open and nothing is saved."""
    person = bot.person(1001, "Budi", language_code=language)
    out = await person.send("/start REVMEN1")
    label = buttons(out)[0]
    person.first_name = "🙂"
    out = await person.press(label)
    assert len(alerts(out)) == 1 and said in alerts(out)[0]
    assert sent(out) == []
    p = await member(db, 1001)
    assert (p.full_name, p.awaiting) == (None, "full_name")
    await person.send("Budi Santoso")  # typing the name still answers the question
    assert (await member(db, 1001)).full_name == "Budi Santoso"


# --- The name question from /pengaturan ------------------------------------------------------


async def joined_member(bot: RunningBot, user_id: int = 1001, **profile: Any) -> Person:
    person = bot.person(user_id, profile.pop("first_name", "Budi 🙂"), **profile)
    await person.send("/start REVMEN1")
    await person.send("Budi Santoso")
    await person.send("Bappeda")
    return person


@pytest.mark.parametrize(
    ("language", "settings", "change", "keep", "unchanged"),
    [
        (
            "id",
            "/pengaturan",
            "Ubah nama",
            "✖️ Batal, biarkan seperti ini",
            "Tidak ada yang diubah.",
        ),
        ("en", "/settings", "Change name", "✖️ Cancel, keep it as it is", "Nothing changed."),
    ],
)
async def test_name_question_from_settings_offers_the_buttons_it_mentions(
    bot: RunningBot,
    db: async_sessionmaker[AsyncSession],
    language: str,
    settings: str,
    change: str,
    keep: str,
    unchanged: str,
) -> None:
    person = await joined_member(bot, language_code=language)
    await person.send(settings)
    out = await person.press(change)
    use = "Pakai «Budi»" if language == "id" else "Use «Budi»"
    assert buttons(out) == [use, keep]
    # Cancel: nothing changes, the settings show again, and later text is not taken as a name.
    out = await person.press(keep)
    assert alerts(out) == [unchanged]
    assert "Budi Santoso" in joined(out) and "Bappeda" in joined(out)
    p = await member(db, 1001)
    assert (p.full_name, p.unit, p.awaiting) == ("Budi Santoso", "Bappeda", None)
    # Again, and this time the Telegram name.
    await person.send(settings)
    await person.press(change)
    out = await person.press(use)
    assert alerts(out) == ["Tersimpan ✅" if language == "id" else "Saved ✅"]
    p = await member(db, 1001)
    assert (p.full_name, p.unit, p.awaiting) == ("Budi", "Bappeda", None)


async def test_unit_question_from_settings_can_be_cancelled_and_stale_cancel_is_refused(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    person = await joined_member(bot)
    await person.send("/pengaturan")
    out = await person.press("Ubah unit kerja")
    assert buttons(out) == ["✖️ Batal, biarkan seperti ini"]
    message_id, _ = person.last_keyboard()
    await person.send("Dinas Kesehatan")
    # The question is answered: its cancel button (or a forged one) changes nothing.
    for data in ("set:keep:unit", "set:keep:full_name", "set:keep:nip"):
        out = await person.press_data(message_id, data)
        assert sent(out) == [] and "tidak berlaku" in alerts(out)[0], data
    p = await member(db, 1001)
    assert (p.full_name, p.unit, p.awaiting) == ("Budi Santoso", "Dinas Kesehatan", None)
