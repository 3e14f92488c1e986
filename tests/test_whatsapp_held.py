"""What a closed WhatsApp window keeps from its reader (`core.held`), end to end against the
Cloud API stand-in: a facilitator's quick question (/tanya) reaching Budi a day after he last
wrote goes, with no notice template configured, nowhere — and is shown whole, with its buttons,
as soon as he writes again; with the template it goes as the template saying "reply to see the
choices", and his reply brings the buttons. Shown once; kept three days; another person's
message never brings it; only the newest few are kept; reminders are not kept (a new one comes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.memory import MemoryChannel
from bot.channels.whatsapp_templates import Templates
from core import held
from core.channel import (
    ANNOUNCEMENT,
    NOTICE,
    REMINDER,
    Action,
    Address,
    Command,
    NeedsTemplate,
    Outbound,
    Sender,
    Sent,
)
from core.cohorts import get_cohort
from core.contacts import find_person, person_for
from core.staff import add_facilitator
from storage.messaging import HeldMessage
from storage.quizzes import PulseAnswer
from tests.conftest import NOW
from tests.test_whatsapp_inbound import BUDI
from tests.whatsapp_world import World, world

__all__ = ["world"]  # the fixture

pytestmark = pytest.mark.databases("sqlite", "postgresql")

CITRA = "6281298765432"
ASKED = "Pertanyaan cepat"
NOTICE_TEMPLATE = "aksi_pemberitahuan"


async def _cohort_with_facilitator(
    world: World, db: async_sessionmaker[AsyncSession]
) -> tuple[MemoryChannel, Sender]:
    """Budi and Citra joined on WhatsApp at NOW; a facilitator on another channel."""
    await world.say("GABUNG REVMEN1")
    await world.say("GABUNG REVMEN1", CITRA)
    other = MemoryChannel()
    world.intake.engine.services.channels[other.name] = other
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        assert cohort is not None
        author = await person_for(session, Address("memory", "9001"), world.clock.now)
        await add_facilitator(session, cohort, author.person_id)
    return other, Sender(Address("memory", "9001"), "Fasilitator", first_name="Fasi")


async def _ask(world: World, other: MemoryChannel, facilitator: Sender, question: str) -> None:
    line = f"{question} | Jelas | Kurang jelas"
    command = Command(facilitator, "tanya", tuple(line.split()), f"/tanya {line}")
    await world.intake.engine.handle(other, command)


async def _held(db: async_sessionmaker[AsyncSession]) -> list[HeldMessage]:
    async with db() as session:
        return list((await session.scalars(select(HeldMessage).order_by(HeldMessage.id))).all())


def _choices(world: World, who: str, question: str) -> list[str]:
    """The titles of the buttons (or list rows) of the last choice sent to `who` that asks
    `question`."""
    for data in reversed(world.standin.sent):
        if data.get("to") != who or question not in str(data.get("interactive", "")):
            continue
        action = data["interactive"]["action"]
        rows = [r for s in action.get("sections", []) for r in s["rows"]]
        return [b["reply"]["title"] for b in action.get("buttons", [])] + [r["title"] for r in rows]
    return []


async def test_a_question_outside_the_window_is_shown_when_he_writes_again(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    other, facilitator = await _cohort_with_facilitator(world, db)
    world.clock.now = NOW + timedelta(hours=30)  # both wrote 30 hours ago
    world.standin.closed.update({BUDI, CITRA})
    await world.say("jadwal", CITRA)  # Citra's window open again; Budi's closed
    sent_to_budi = len(world.standin.texts(BUDI))
    await _ask(world, other, facilitator, "Apakah sesi kemarin jelas?")
    assert any(ASKED in t for t in world.standin.texts(CITRA)[-2:])  # inside: as it is
    assert _choices(world, CITRA, "Apakah sesi kemarin jelas?") == ["Jelas", "Kurang jelas"]
    assert len(world.standin.texts(BUDI)) == sent_to_budi  # no notice template: nothing went
    [kept] = await _held(db)
    assert kept.kind == NOTICE and "Apakah sesi kemarin jelas?" in kept.body
    async with db() as session:
        assert kept.person_id == await find_person(session, Address("whatsapp", BUDI))
    # Citra writing brings nothing of Budi's.
    assert not any(ASKED in t for t in await world.say("progres", CITRA))
    assert len(await _held(db)) == 1
    # Budi writes (any word): the question first, whole, with its buttons; then his answer.
    world.clock.now += timedelta(hours=2)
    shown = await world.say("halo")
    assert ASKED in shown[0] and "Apakah sesi kemarin jelas?" in shown[0]
    assert _choices(world, BUDI, "Apakah sesi kemarin jelas?") == ["Jelas", "Kurang jelas"]
    assert await _held(db) == []
    await world.press("Kurang jelas")
    async with db() as session:
        answers = (await session.scalars(select(PulseAnswer).where(PulseAnswer.option == 1))).all()
    assert len(answers) == 1
    assert not any(ASKED in t for t in await world.say("jadwal"))  # shown once only


async def test_with_a_notice_template_the_template_says_to_reply_and_the_reply_brings_it(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    other, facilitator = await _cohort_with_facilitator(world, db)
    world.channel.templates = Templates({"notice": NOTICE_TEMPLATE}, ("id", "en"))
    world.standin.approved[NOTICE_TEMPLATE] = {"id", "en"}
    world.clock.now = NOW + timedelta(hours=30)
    world.standin.closed.update({BUDI, CITRA})
    await _ask(world, other, facilitator, "Siap untuk sesi besok?")
    template = world.standin.texts(BUDI)[-1]
    assert template.startswith(f"<template {NOTICE_TEMPLATE} id: 📊 *Pertanyaan cepat*")
    assert template.endswith("Balas pesan ini untuk melihat pilihannya.>")
    assert len(await _held(db)) == 2  # Budi's and Citra's: both outside
    shown = await world.say("ok")
    assert any("Siap untuk sesi besok?" in t for t in shown)
    assert _choices(world, BUDI, "Siap untuk sesi besok?") == ["Jelas", "Kurang jelas"]
    assert len(await _held(db)) == 1  # Citra's still waits for her
    # A question kept longer than HELD_FOR is not shown: it would be stale.
    world.clock.now += held.HELD_FOR + timedelta(minutes=10)
    assert not any("Siap untuk sesi besok?" in t for t in await world.say("ok", CITRA))
    assert await _held(db) == []


async def test_only_notices_that_did_not_reach_whole_are_kept(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    """The rule, one result at a time; and the newest KEPT_PER_PERSON, oldest first."""
    choice = Outbound("Pilih", [[Action("A", "tny:a:1.0")]], kind=NOTICE)
    template = Sent(None, template=True)
    for message, result, kept in (
        (choice, NeedsTemplate(NOTICE), True),
        (choice, template, True),
        (choice, Sent(None), False),  # inside the window: reached whole
        (Outbound("Catatan mentor", kind=NOTICE), template, False),  # text only: it all went
        (Outbound("Catatan mentor", kind=NOTICE), NeedsTemplate(NOTICE), True),
        (Outbound("Pengingat", [[Action("✅", "c:1")]], kind=REMINDER), template, False),
        (Outbound("Pengumuman", kind=ANNOUNCEMENT), NeedsTemplate(ANNOUNCEMENT), False),
        (Outbound("Jawaban", [[Action("A", "x")]]), NeedsTemplate(NOTICE), False),  # an answer
    ):
        assert held.worth_keeping(message, result) is kept, (message, result)
    await world.say("GABUNG REVMEN1")
    async with db.begin() as session:
        person = await find_person(session, Address("whatsapp", BUDI))
        assert person is not None
        for n in range(held.KEPT_PER_PERSON + 2):
            row = Outbound(f"Pertanyaan {n}", [[Action("A", f"tny:a:{n}.0")]], kind=NOTICE)
            await held.keep(session, person, row, NOW + timedelta(minutes=n))
        session.add(  # one kept by an older release in another shape: skipped, not a crash
            HeldMessage(person_id=person, kind=NOTICE, body="{", created_at=NOW + timedelta(1),
                        expires_at=NOW + timedelta(days=2))
        )  # fmt: skip
    async with db.begin() as session:
        shown = await held.claim(session, person, NOW + timedelta(hours=1))
    assert [m.text for m in shown] == [
        f"Pertanyaan {n}" for n in range(2, held.KEPT_PER_PERSON + 2)
    ]
    assert shown[0].rows == [[Action("A", "tny:a:2.0")]] and shown[0].kind == NOTICE
    assert await _held(db) == []


async def test_berhenti_does_not_bring_it_and_mulai_does_later(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    """He writes BERHENTI with a question waiting: only the stop is answered, and the question
    is not delivered while he has stopped; after MULAI his next message brings it."""
    other, facilitator = await _cohort_with_facilitator(world, db)
    world.clock.now = NOW + timedelta(hours=30)
    world.standin.closed.update({BUDI, CITRA})
    await _ask(world, other, facilitator, "Sudah membaca modul 3?")
    assert len(await _held(db)) == 2
    stopped = await world.say("BERHENTI")
    assert len(stopped) == 1 and "Sudah membaca modul 3?" not in stopped[0]
    assert len(await _held(db)) == 2  # still kept for him
    world.clock.now += timedelta(minutes=10)
    assert not any("Sudah membaca modul 3?" in t for t in await world.say("jadwal"))
    assert len(await _held(db)) == 2
    await world.say("MULAI")
    world.clock.now += timedelta(minutes=10)
    assert any("Sudah membaca modul 3?" in t for t in await world.say("jadwal"))
    assert len(await _held(db)) == 1  # Citra's
