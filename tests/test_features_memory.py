"""Features written against the channel contract, run by the engine on the in-memory channel:
no HTTP and nothing to wait for — `Engine.handle` returns once the answers are sent. On both
databases. Hostile cases: a stranger, a participant of another cohort (never sees this
cohort's sessions or materials), arguments that are not understood, an unknown command."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import handlers
from bot.channels.memory import MemoryChannel
from bot.engine import Engine
from core.channel import Address, Command, Other, Press, Sender, Sent, Text
from handlers import dispatch
from handlers.turn import Turn
from storage.models import Material, Participant, Session
from tests.conftest import NOW, make_cohort
from tests.harness_memory import engine_on
from tests.people import new_person

pytestmark = pytest.mark.databases("sqlite", "postgresql")

ANI, BUDI, STRANGER = 1001, 2002, 3003


async def people(db: async_sessionmaker[AsyncSession]) -> None:
    """Ani in REVMEN1 (English), Budi in REVMEN2; each cohort with its own sessions and
    materials."""
    first = await make_cohort(db)
    second = await make_cohort(db, code="REVMEN2", name="Angkatan II")
    async with db.begin() as session:
        for cohort, user, lang in ((first, ANI, "en"), (second, BUDI, None)):
            session.add(
                Participant(
                    cohort_id=cohort.id,
                    person_id=await new_person(session, user, "memory"),
                    first_name="X",
                    full_name=f"Peserta {user}",
                    language=lang,
                )
            )
            for n in range(7):
                starts = NOW + timedelta(days=n, hours=1)
                session.add(
                    Session(
                        cohort_id=cohort.id,
                        starts_at=starts,
                        ends_at=starts + timedelta(hours=2),
                        title=f"{cohort.code} sesi {n + 1}",
                        speaker="Widyaiswara",
                        link=f"https://zoom.example/{cohort.code}/{n}",
                    )
                )
            session.add(
                Material(
                    cohort_id=cohort.id,
                    module="Modul 1",
                    title=f"Bahan {cohort.code}",
                    url=f"https://elearning.example/{cohort.code}",
                )
            )


@pytest.fixture
async def running(
    engine: AsyncEngine, db: async_sessionmaker[AsyncSession], db_url: str
) -> tuple[Engine, MemoryChannel]:
    await people(db)
    channel = MemoryChannel()
    return engine_on(channel, engine, db_url, NOW), channel


def sender(user: int, hint: str | None = None) -> Sender:
    return Sender(Address("memory", str(user)), "Peserta", language_hint=hint)


async def say(running: tuple[Engine, MemoryChannel], user: int, name: str, *args: str) -> str:
    engine, channel = running
    results = await engine.handle(channel, Command(sender(user), name, args))
    assert results and all(isinstance(r, Sent) for r in results)
    return channel.to(sender(user).address)[-1].text


async def test_schedule_shows_only_the_readers_cohort(
    running: tuple[Engine, MemoryChannel],
) -> None:
    ani = await say(running, ANI, "schedule")
    assert "REVMEN1 sesi 1" in ani and "REVMEN1 sesi 5" in ani
    assert "REVMEN1 sesi 6" not in ani  # the next five; "all" for the rest
    assert "REVMEN2" not in ani  # another cohort's sessions never show
    assert "Wednesday" in ani or "Friday" in ani  # Ani reads English
    budi = await say(running, BUDI, "jadwal", "semua")
    assert "REVMEN2 sesi 7" in budi and "REVMEN1" not in budi
    assert "Jumat" in budi  # Budi reads Indonesian


async def test_schedule_refuses_what_it_does_not_understand(
    running: tuple[Engine, MemoryChannel],
) -> None:
    assert "semua" in await say(running, BUDI, "jadwal", "besok")
    assert "semua" in await say(running, BUDI, "jadwal", "semua", "lagi")
    answer = await say(running, BUDI, "jadwal", "x" * 5000)
    assert "semua" in answer and "x" * 100 not in answer  # the garbage is not echoed


async def test_materials_show_only_the_readers_cohort(
    running: tuple[Engine, MemoryChannel],
) -> None:
    ani = await say(running, ANI, "materials")
    assert "Bahan REVMEN1" in ani and "REVMEN2" not in ani
    assert 'href="https://elearning.example/REVMEN1"' in ani


async def test_a_stranger_is_asked_for_the_code(running: tuple[Engine, MemoryChannel]) -> None:
    for command in ("jadwal", "materials"):
        answer = await say(running, STRANGER, command)
        assert "kode angkatan" in answer and "sesi" not in answer and "Bahan" not in answer
    english = await running[0].handle(running[1], Command(sender(STRANGER, "en-US"), "schedule"))
    assert isinstance(english[0], Sent)
    assert "code" in running[1].to(sender(STRANGER).address)[-1].text.lower()


async def test_unknown_commands_and_text_get_the_general_answer(
    running: tuple[Engine, MemoryChannel],
) -> None:
    assert "/hackme" in await say(running, BUDI, "hackme")
    assert "Maksud Anda /rencana?" in await say(running, BUDI, "rencan")
    engine, channel = running
    await engine.handle(channel, Text(sender(BUDI), "halo"))
    assert "/bantuan" in channel.to(sender(BUDI).address)[-1].text


async def test_an_unreachable_chat_is_reported_not_raised(
    running: tuple[Engine, MemoryChannel],
) -> None:
    engine, channel = running
    channel.unreachable.add(str(BUDI))
    [result] = await engine.handle(channel, Command(sender(BUDI), "jadwal"))
    assert result.status == "unreachable"
    assert channel.to(sender(BUDI).address) == []


async def test_times_are_shown_in_the_readers_zone_and_way(
    running: tuple[Engine, MemoryChannel],
) -> None:
    """The first session starts at 02:00 UTC: 10:00 in the cohort's WITA."""
    assert "10:00–12:00 WITA" in await say(running, ANI, "schedule")
    assert "10.00–12.00 WITA" in await say(running, BUDI, "jadwal")


@pytest.mark.expected_errors  # a feature raises on purpose
async def test_a_feature_that_fails_is_answered_with_an_apology(
    running: tuple[Engine, MemoryChannel], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on Telegram: the error is logged and the person is told something went wrong; a
    button press gets the apology as its notice."""
    engine, channel = running

    async def broken(turn: Turn) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(dispatch, "_COMMANDS", {**dispatch._COMMANDS, "jadwal": broken})
    [result] = await engine.handle(channel, Command(sender(BUDI), "jadwal"))
    assert isinstance(result, Sent)
    assert "kesalahan" in channel.to(sender(BUDI).address)[-1].text.lower()
    monkeypatch.setattr(handlers, "BUTTONS", [("cfm", broken)])
    press = Press(sender(ANI), "cfm:yes:1.x", None, "q1")
    await engine.handle(channel, press)
    assert channel.acknowledged[-1].notice and "wrong" in channel.acknowledged[-1].notice.lower()


async def test_stickers_and_forged_buttons_get_the_general_answers(
    running: tuple[Engine, MemoryChannel],
) -> None:
    engine, channel = running
    await engine.handle(channel, Other(sender(BUDI), "sticker"))
    assert "/bantuan" in channel.to(sender(BUDI).address)[-1].text
    await engine.handle(channel, Press(sender(BUDI), "zzz:forged:1", None, "q2"))
    await engine.handle(channel, Press(sender(BUDI), "x" * 500, None, "q3"))
    notices = [a.notice for a in channel.acknowledged[-2:]]
    assert all(n and "tombol" in n.lower() for n in notices), notices


async def test_the_same_digits_on_another_channel_are_somebody_else(
    running: tuple[Engine, MemoryChannel],
) -> None:
    """Ani is known on the in-memory channel as 1001; whoever writes as 1001 on a second
    channel is a stranger there (a person is their contacts, not a number): asked for the code,
    shown none of Ani's cohort, and known as a new person."""
    engine, channel = running
    other = MemoryChannel(name="whatsapp")
    impostor = Sender(Address("whatsapp", str(ANI)), "Ani")
    for name in ("jadwal", "progres", "materi"):
        results = await engine.handle(other, Command(impostor, name))
        assert results and isinstance(results[0], Sent)
        answer = other.to(impostor.address)[-1].text
        assert "kode angkatan" in answer
        assert "sesi" not in answer and "Bahan" not in answer and "Peserta" not in answer
    assert not channel.to(sender(ANI).address)  # nothing reached the real Ani
    people = engine.services.people
    assert people.person(impostor.address) != people.person(sender(ANI).address)
