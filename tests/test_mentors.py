"""Mentors (core.mentors, handlers.mentors): a participant asks with a personal link, the mentor
opens it, accepts or declines, and both sides see it; a new link voids the old one; a new
mentor ends the old one's mentorship, kept in the history. Hostile: a link opened by someone
else first, the participant's own link, an expired or used link, forged and stale buttons,
another participant's invitation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import mentors
from storage.mentoring import Mentorship
from storage.models import Participant
from tests.harness import Clock, Person, RunningBot, joined
from tests.test_confirmations import member

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

TOKEN = re.compile(r"m-[A-Za-z0-9]{24}")


async def invitation_link(person: Person, label: str = "Buat tautan undangan") -> str:
    await person.send("/mentor")
    out = await person.press(label)
    found = TOKEN.findall(joined(out))
    assert len(found) == 1, joined(out)
    return found[0]


def button_data(person: Person, label: str) -> tuple[int, str]:
    message_id, buttons = person.last_keyboard()
    [button] = [b for b in buttons if label in b["text"]]
    return message_id, button["callback_data"]


async def rows(db: async_sessionmaker[AsyncSession]) -> list[tuple[str, int | None, str | None]]:
    async with db() as session:
        found = await session.execute(
            select(Mentorship.state, Mentorship.mentor_person_id, Mentorship.token).order_by(
                Mentorship.id
            )
        )
        return [(state, mentor, token) for state, mentor, token in found.all()]


async def test_invited_accepted_and_both_sides_see_it(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await member(bot)
    out = await budi.send("/mentor")
    assert "Anda belum punya mentor" in joined(out)
    token = await invitation_link(budi)
    siti = bot.person(3001, "Siti")
    out = await siti.send(f"/start {token}")
    assert "meminta Anda menjadi mentornya" in joined(out)
    assert "Angkatan I" in joined(out)
    out = await siti.press("Terima")
    assert "Anda sekarang mentor" in joined(out)
    news = [m.text or "" for m in bot.standin.messages(budi.user_id)]
    assert any("Siti</b> menerima menjadi mentor Anda" in t for t in news), news
    out = await budi.send("/mentor")
    assert "Mentor Anda: <b>Siti</b>" in joined(out)
    out = await siti.send("/mentor")
    assert "Binaan Anda</b> (1)" in joined(out)
    assert "• <b>Budi</b>" in joined(out)  # the mentee's line as markup, not escaped twice
    assert "&lt;" not in joined(out)
    assert "Angkatan I" in joined(out)
    [(state, mentor, kept)] = await rows(db)
    assert state == "active" and mentor is not None and kept == token
    # Used again, by anyone: refused, nothing changes.
    out = await bot.person(3002, "Eve").send(f"/start {token}")
    assert "sudah dipakai atau dibatalkan" in joined(out)
    assert len(await rows(db)) == 1


async def test_declined_and_told(bot: RunningBot, db: async_sessionmaker[AsyncSession]) -> None:
    budi = await member(bot)
    token = await invitation_link(budi)
    siti = bot.person(3001, "Siti", language_code="en")
    out = await siti.send(f"/start {token}")
    assert "asks you to be their mentor" in joined(out)
    out = await siti.press("Decline")
    assert "You declined" in joined(out)
    news = [m.text or "" for m in bot.standin.messages(budi.user_id)]
    assert any("menolak undangan mentor" in t for t in news), news  # in Budi's language
    out = await budi.send("/mentor")
    assert "Anda belum punya mentor" in joined(out)
    assert [state for state, _, _ in await rows(db)] == ["declined"]


async def test_a_new_mentor_ends_the_old_ones_mentorship(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await member(bot)
    siti = bot.person(3001, "Siti")
    await siti.send(f"/start {await invitation_link(budi)}")
    await siti.press("Terima")
    out = await budi.send("/mentor")
    assert "mentor sekarang tetap sampai yang baru menerima" in joined(out)
    token = await invitation_link(budi, "Undang mentor lain")
    assert "Siti" in joined(await budi.send("/mentor"))  # still, until the new one accepts
    agus = bot.person(3003, "Agus")
    await agus.send(f"/start {token}")
    await agus.press("Terima")
    assert "Mentor Anda: <b>Agus</b>" in joined(await budi.send("/mentor"))
    assert "Anda belum menjadi peserta atau mentor" in joined(await siti.send("/mentor"))
    assert [state for state, _, _ in await rows(db)] == ["ended", "active"]


async def test_a_new_link_voids_the_old_one_and_a_link_can_be_withdrawn(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await member(bot)
    old = await invitation_link(budi)
    out = await budi.press("Buat tautan baru")
    assert "Tautan sebelumnya tidak berlaku lagi" in joined(out)
    new = TOKEN.findall(joined(out))[0]
    assert new != old
    out = await bot.person(3001, "Siti").send(f"/start {old}")
    assert "sudah dipakai atau dibatalkan" in joined(out)
    await budi.press("Batalkan undangan")
    out = await bot.person(3001, "Siti").send(f"/start {new}")
    assert "sudah dipakai atau dibatalkan" in joined(out)
    assert [state for state, _, _ in await rows(db)] == ["withdrawn", "withdrawn"]


async def test_a_new_link_button_from_an_older_message_leaves_the_newer_link(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await member(bot)
    await invitation_link(budi)
    older = button_data(budi, "Buat tautan baru")
    out = await budi.press("Buat tautan baru")
    newer = TOKEN.findall(joined(out))[0]
    out = await budi.press_data(*older)  # the first message's button, pressed later
    alerts = [r.text or "" for r in out if r.method == "answerCallbackQuery"]
    assert any("tidak berlaku" in a for a in alerts), alerts
    assert newer in joined(out)  # shown the link that stands
    assert [(state, token) for state, _, token in await rows(db)][-1] == ("invited", newer)
    out = await bot.person(3001, "Siti").send(f"/start {newer}")
    assert "meminta Anda menjadi mentornya" in joined(out)


async def test_one_active_mentor_and_one_open_link_even_past_the_rules(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    """The database itself refuses a second active mentor or open link for a participant
    (two workers at once): the partial unique indexes."""
    await member(bot)
    async with db() as session:
        [participant_id] = (await session.scalars(select(Participant.id))).all()
    for state in ("active", "invited"):
        async with db.begin() as session:
            session.add(Mentorship(participant_id=participant_id, state=state, source="cli"))
        with pytest.raises(IntegrityError):
            async with db.begin() as session:
                session.add(Mentorship(participant_id=participant_id, state=state, source="cli"))
    async with db.begin() as session:  # any number of ended ones
        for _ in range(2):
            session.add(Mentorship(participant_id=participant_id, state="ended", source="cli"))
    assert sorted(state for state, _, _ in await rows(db)) == [
        "active", "ended", "ended", "invited"
    ]  # fmt: skip


async def test_the_link_belongs_to_whoever_opened_it_first(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await member(bot)
    token = await invitation_link(budi)
    siti = bot.person(3001, "Siti")
    await siti.send(f"/start {token}")
    accept = button_data(siti, "Terima")
    eve = bot.person(3002, "Eve")
    out = await eve.send(f"/start {token}")
    assert "sudah dibuka oleh orang lain" in joined(out)
    assert "Budi" in joined(out)
    # Eve forges Siti's button: refused, nothing changes.
    await eve.send("/mentor")
    out = await eve.press_data(eve.last_message_id(), accept[1])
    alerts = [r.text or "" for r in out if r.method == "answerCallbackQuery"]
    assert any("tidak bisa dijawab lagi" in a for a in alerts), alerts
    assert [state for state, _, _ in await rows(db)] == ["invited"]
    # Budi opening his own link, or pressing "accept" on it: refused too.
    out = await budi.send(f"/start {token}")
    assert "untuk mentor Anda sendiri" in joined(out)
    out = await budi.press_data(budi.last_message_id(), accept[1])
    assert [state for state, _, _ in await rows(db)] == ["invited"]
    # Siti's own button still works.
    out = await siti.press_data(*accept)
    assert "Anda sekarang mentor" in joined(out)


async def test_an_expired_link_and_an_expired_button_change_nothing(
    bot: RunningBot, clock: Clock, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await member(bot)
    token = await invitation_link(budi)
    siti = bot.person(3001, "Siti")
    await siti.send(f"/start {token}")
    accept = button_data(siti, "Terima")
    clock.now += mentors.INVITE_VALID + timedelta(minutes=1)
    out = await siti.press_data(*accept)
    alerts = [r.text or "" for r in out if r.method == "answerCallbackQuery"]
    assert any("kedaluwarsa" in a for a in alerts), alerts
    out = await bot.person(3002, "Eve").send(f"/start {token}")
    assert "sudah kedaluwarsa" in joined(out)
    assert [state for state, _, _ in await rows(db)] == ["invited"]
    out = await budi.send("/mentor")  # the lapsed link is not offered any more
    assert "Anda belum punya mentor" in joined(out)


FORGED = [
    "mtr:accept:", "mtr:accept:0", "mtr:accept:abc", "mtr:accept:99999", "mtr:zap:1",
    "mtr:invite:1", "mtr:withdraw:x", "mtr", "mtr:accept:1:2", "mtr:accept:" + "9" * 60,
    "mtr:accept:9999999999",
]  # fmt: skip


async def test_forged_buttons_are_refused(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await member(bot)
    await budi.send("/mentor")
    for data in FORGED:
        out = await budi.press_data(budi.last_message_id(), data)
        alerts = [r.text or "" for r in out if r.method == "answerCallbackQuery"]
        answer = "tidak bisa dijawab lagi" if data == "mtr:accept:99999" else "tidak berlaku"
        assert alerts and answer in alerts[0], (data, out)
    assert await rows(db) == []


async def test_another_participants_invitation_cannot_be_withdrawn(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await member(bot)
    await invitation_link(budi)
    withdraw = button_data(budi, "Batalkan undangan")
    ani = await member(bot, 1002, "Ani")
    await ani.send("/mentor")
    out = await ani.press_data(ani.last_message_id(), withdraw[1])
    alerts = [r.text or "" for r in out if r.method == "answerCallbackQuery"]
    assert alerts, out
    assert [state for state, _, _ in await rows(db)] == ["invited"]


async def test_strangers_are_told_what_mentor_means(bot: RunningBot) -> None:
    out = await bot.person(3005, "Tamu").send("/mentor")
    assert "Anda belum menjadi peserta atau mentor" in joined(out)
    out = await bot.person(3005, "Tamu").send("/start m-" + "A" * 24)
    assert "tidak dikenal" in joined(out)


async def test_erasing_data_takes_the_mentorships_along(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    """A mentee's /hapusdata deletes their mentorships; a mentor's (who need not be a
    participant) ends theirs and leaves no trace of who they were."""
    budi, ani = await member(bot), await member(bot, 1002, "Ani")
    siti = bot.person(3001, "Siti")
    for mentee in (budi, ani):
        await siti.send(f"/start {await invitation_link(mentee)}")
        await siti.press("Terima")
    assert "Binaan Anda</b> (2)" in joined(await siti.send("/mentor"))
    await budi.send("/hapusdata")
    await budi.press("Ya, hapus")
    assert "Binaan Anda</b> (1)" in joined(await siti.send("/mentor"))
    await siti.send("/hapusdata")
    await siti.press("Ya, hapus")
    assert [(state, mentor) for state, mentor, _ in await rows(db)] == [("ended", None)]
    async with db() as session:
        assert await session.scalar(select(Mentorship.mentor_name)) is None
    assert "Anda belum punya mentor" in joined(await ani.send("/mentor"))
