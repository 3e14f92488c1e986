"""The mentor's weekly digest (scheduler.mentor_digest) with an injected clock: Monday 07:00 in
the mentee's zone, listing the mentee's week, late milestones, the plan waiting for approval and
the consultations waiting for confirmation; once per mentor and week through repeated and
overlapping ticks; a week missed by more than the catch-up window recorded late, not sent; none
after the training (and its week after) is over."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.services import Services
from scheduler.mentor_digest import run_mentor_digest_tick
from storage.mentoring import MentorDigest, Mentorship
from tests.harness import Clock, RunningBot
from tests.planning import joined_person, write_plan
from tests.test_approvals import news, with_mentor
from tests.test_consultations import record
from tests.test_milestones import add

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


def services(bot: RunningBot) -> Services:
    found: Services | None = bot.services
    assert found is not None
    return found


async def claims(db: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    async with db() as session:
        rows = await session.execute(
            select(MentorDigest.week_of, MentorDigest.status).order_by(MentorDigest.id)
        )
        return [(f"{week:%Y-%m-%d}", status) for week, status in rows.all()]


async def test_monday_morning_once_a_week_with_what_waits_for_the_mentor(
    bot: RunningBot, clock: Clock, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await write_plan(budi)  # waits for Siti's approval
    await add(budi, "Sosialisasi ke staf", "#1")  # due Friday 10 September
    await record(budi, "Catat konsultasi", "Hari ini", "Rencana sosialisasi", "Disetujui", "-")
    # This week's Monday (30 August) is long past: recorded late, nothing sent.
    report = await run_mentor_digest_tick(services(bot), clock.now)
    assert (report.late, report.outgoing) == (1, [])
    before = len(news(bot, siti))
    # Sunday 22:59 UTC is Monday 06:59 WITA: not yet (the week of 6 September was missed).
    clock.now = datetime(2021, 9, 12, 22, 59, tzinfo=UTC)
    report = await run_mentor_digest_tick(services(bot), clock.now)
    assert (report.late, report.outgoing) == (1, [])
    clock.now = datetime(2021, 9, 12, 23, 0, tzinfo=UTC)  # Monday 13 September, 07:00 WITA
    first, second = await asyncio.gather(  # two ticks at once: one digest
        run_mentor_digest_tick(services(bot), clock.now),
        run_mentor_digest_tick(services(bot), clock.now),
    )
    assert first.sent + second.sent == 1
    got = news(bot, siti)[before:]
    assert "Ringkasan mingguan binaan Anda</b> (1) — pekan Senin, 13 September 2021" in got
    assert "• <b>Budi</b> (REVMEN1)" in got
    assert "🏁 tahapan 0/1 selesai · ⚠️ terlambat 1: Sosialisasi ke staf" in got
    assert "📝 rencana aksi menunggu persetujuan Anda" in got
    assert "🗣 konsultasi menunggu konfirmasi Anda: 1" in got
    assert await claims(db) == [
        ("2021-08-30", "late"), ("2021-09-06", "late"), ("2021-09-13", "sent")
    ]  # fmt: skip
    # Later the same week: nothing more.
    clock.now = datetime(2021, 9, 15, 3, 0, tzinfo=UTC)
    assert (await run_mentor_digest_tick(services(bot), clock.now)).outgoing == []
    # The training ended on 25 October: the week after gets one more, then none.
    clock.now = datetime(2021, 10, 31, 23, 0, tzinfo=UTC)  # Monday 1 November
    assert (await run_mentor_digest_tick(services(bot), clock.now)).sent == 1
    clock.now = datetime(2021, 11, 7, 23, 0, tzinfo=UTC)  # Monday 8 November
    assert (await run_mentor_digest_tick(services(bot), clock.now)).outgoing == []
    assert [week for week, _ in await claims(db)][-1] == "2021-11-01"


async def test_in_the_mentors_language_and_nothing_without_mentees(
    bot: RunningBot, clock: Clock, db: async_sessionmaker[AsyncSession]
) -> None:
    clock.now = datetime(2021, 9, 12, 23, 0, tzinfo=UTC)
    assert (await run_mentor_digest_tick(services(bot), clock.now)).outgoing == []
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    async with db.begin() as session:  # as if Siti last wrote in English
        await session.execute(update(Mentorship).values(mentor_language="en"))
    report = await run_mentor_digest_tick(services(bot), clock.now)
    assert report.sent == 1
    got = news(bot, siti)
    assert "🧭 <b>Your mentees this week</b> (1) — week of " in got
    assert "habits, 7 days: " in got and "Approve plans in /mentor" in got
    assert "tahapan" not in got  # no milestones written: no milestone line
