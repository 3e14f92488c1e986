"""Confirmations of destructive actions: they stand for a few minutes and only while the person
does nothing else; an old, voided, forged or double-tapped "yes" changes nothing and says so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import confirmations
from storage.models import Confirmation, Participant
from tests.conftest import NOW
from tests.harness import Clock, Person, RunningBot, joined
from tests.people import new_person

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


async def member(bot: RunningBot, user_id: int = 1001, name: str = "Budi", **kw: str) -> Person:
    person = bot.person(user_id, name, **kw)
    await person.send("/start REVMEN1")
    skip = "Skip" if kw.get("language_code") == "en" else "Lewati"
    await person.press(skip)
    await person.press(skip)
    return person


async def members(db: async_sessionmaker[AsyncSession]) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(Participant)) or 0)


def yes_button(person: Person, label: str) -> tuple[int, str]:
    message_id, buttons = person.last_keyboard()
    [button] = [b for b in buttons if label in b["text"]]
    return message_id, button["callback_data"]


async def test_erase_asks_and_the_question_lapses_when_anything_else_is_done(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await member(bot)
    out = await budi.send("/hapusdata")
    assert "berlaku 5 menit" in joined(out)
    old = yes_button(budi, "Ya, hapus")
    await budi.send("/jadwal")  # anything else
    out = await budi.press_data(*old)
    assert "sudah batal</b> karena Anda melakukan hal lain" in joined(out)
    assert "/hapusdata lagi" in joined(out)
    alerts = [r.text or "" for r in out if r.method == "answerCallbackQuery"]
    assert any("Tidak ada yang diubah" in a for a in alerts)
    assert await members(db) == 1
    # Pressed again: the question is gone, still nothing changes and nothing breaks.
    out = await budi.press_data(*old)
    assert "sudah dijawab atau tidak ada lagi" in (out[0].text or "")
    assert await members(db) == 1


async def test_erase_question_expires_after_five_minutes(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    budi = await member(bot, language_code="en")
    await budi.send("/deletedata")
    old = yes_button(budi, "Yes, erase")
    clock.now += timedelta(minutes=5, seconds=1)
    out = await budi.press_data(*old)
    assert "This confirmation has expired" in joined(out)
    assert "/deletedata again" in joined(out)
    assert await members(db) == 1
    # Asked again and answered within the time: erased; a double tap does nothing more.
    clock.now += timedelta(minutes=1)
    await budi.send("/deletedata")
    fresh = yes_button(budi, "Yes, erase")
    clock.now += timedelta(minutes=4, seconds=59)
    out = await budi.press_data(*fresh)
    assert "has been erased" in joined(out)
    assert await members(db) == 0
    out = await budi.press_data(*fresh)
    assert "already or no longer exists" in (out[0].text or "")
    assert not [r for r in out if r.method == "sendMessage"]


async def test_forged_confirmation_buttons_change_nothing(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await member(bot)
    siti = await member(bot, 1002, "Siti")
    await siti.send("/hapusdata")
    message_id, data = yes_button(siti, "Ya, hapus")
    ident, nonce = data.split(":")[2].split(".")
    forged = [
        data,  # Siti's own question, pressed by Budi
        f"cfm:yes:{ident}.AAAAAAAA",  # a guessed nonce
        f"cfm:yes:{int(ident) + 1}.{nonce}",  # another id
        f"cfm:maybe:{ident}.{nonce}",  # no such choice
        f"cfm:yes:{ident}",
        "cfm:yes:0.AAAAAAAA",
        "cfm:yes:" + "9" * 40,
        "cfm:::",
    ]
    await budi.send("/jadwal")
    budi_message = budi.last_message_id()
    for item in forged:
        out = await budi.press_data(budi_message, item)
        assert [r.method for r in out] == ["answerCallbackQuery"], item
        assert "Tidak ada yang diubah" in (out[0].text or ""), item
    assert await members(db) == 2
    # Siti's own question still stands: Budi's presses did not void it.
    out = await siti.press_data(message_id, data)
    assert "Data Anda telah dihapus" in joined(out)
    assert await members(db) == 1


async def test_a_question_is_voided_by_a_button_press_too(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await member(bot)
    await budi.send("/hapusdata")
    old = yes_button(budi, "Ya, hapus")
    await budi.send("/pengaturan")
    await budi.press("WIB")
    out = await budi.press_data(*old)
    assert "sudah batal</b> karena Anda melakukan hal lain" in joined(out)
    assert await members(db) == 1


async def test_old_rows_are_dropped_and_only_one_question_is_open(
    db: async_sessionmaker[AsyncSession],
) -> None:
    async with db.begin() as session:
        seven, eight, nine = [await new_person(session, u) for u in (7, 8, 9)]
        first = await confirmations.ask(session, seven, "erase_data", {}, "id", NOW)
        second = await confirmations.ask(session, seven, "erase_data", {}, "id", NOW)
        assert await confirmations.has_open(session, seven)
        taken = await confirmations.take(session, seven, first, NOW)
        assert taken.state is confirmations.State.VOIDED  # a newer question replaced it
        taken = await confirmations.take(session, seven, second, NOW + timedelta(minutes=1))
        assert taken.state is confirmations.State.OPEN
        assert not await confirmations.has_open(session, seven)
        await confirmations.ask(session, eight, "erase_data", {}, "id", NOW)
    async with db.begin() as session:
        await confirmations.ask(session, nine, "erase_data", {}, "id", NOW + timedelta(days=2))
    async with db() as session:
        users = list(await session.scalars(select(Confirmation.person_id)))
    assert users == [nine]  # rows over a day old are dropped when another is asked


async def test_an_old_voided_answer_does_not_unguard_the_newer_question(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await member(bot)
    await budi.send("/hapusdata")
    first = yes_button(budi, "Ya, hapus")
    await budi.send("/hapusdata")  # a second question: the first one is void
    second = yes_button(budi, "Ya, hapus")
    assert "sudah batal" in joined(await budi.press_data(*first))
    await budi.send("/jadwal")  # anything else: the second lapses too
    assert "sudah batal" in joined(await budi.press_data(*second))
    assert await members(db) == 1


async def test_a_question_asked_before_a_restart_still_lapses_after_it(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await member(bot)
    await budi.send("/hapusdata")
    old = yes_button(budi, "Ya, hapus")
    await bot.stop()
    await bot.start()  # a new process: who has a question open is read from the table
    await budi.send("/jadwal")
    assert "sudah batal" in joined(await budi.press_data(*old))
    assert await members(db) == 1
