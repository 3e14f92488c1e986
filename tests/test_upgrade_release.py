"""A database of the release in use — its schema (migration 0006) and data written as that
release wrote them — upgraded to this code's head gives the same answers: `/jadwal`, `/progres`,
`/rekap` and the day's reminder. The data is written through the database's own tables
(reflected), never through today's models, so a migration that moves columns (people and
their contacts, issue 10) is checked against what is really on disk. On both databases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.standin import BotApiStandIn
from core.channel import TELEGRAM, Address
from core.reminders import sync_missing
from core.services import Services
from handlers.reminders import MESSAGES
from scheduler.reminder_job import prepare
from storage.db import alembic_config, create_engine, current_revision, upgrade
from storage.models import Reminder
from tests.harness import RunningBot, joined, settings_for, start_bot

pytestmark = [pytest.mark.databases("sqlite", "postgresql"), pytest.mark.empty_database]

RELEASE = "0006"  # the schema of the release in use (before people and contacts)
NOW = datetime(2021, 9, 3, 1, 0, tzinfo=UTC)  # Friday 3 September 2021, 09:00 WITA
BUDI, SARI = 1001, 5001


async def release_database(db_url: str) -> AsyncEngine:
    """The release's schema with a cohort, its schedule and materials, Budi with his plan and
    two days of check-ins, and Sari facilitating."""
    engine = create_engine(db_url)
    await upgrade(engine, RELEASE)
    meta = MetaData()
    async with engine.connect() as conn:
        await conn.run_sync(meta.reflect)
    t = meta.tables
    joined_at = datetime(2021, 9, 1, 23, 0, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.execute(
            insert(t["cohorts"]).values(
                id=1, code="REVMEN1", name="Angkatan I", timezone="Asia/Makassar",
                starts_on=date(2021, 9, 2), ends_on=date(2021, 10, 25), created_at=joined_at,
                reminder_time="07:00",
            )
        )  # fmt: skip
        await conn.execute(
            insert(t["participants"]).values(
                id=1, cohort_id=1, telegram_user_id=BUDI, chat_id=BUDI, first_name="Budi",
                telegram_username="budi_s", full_name="Budi Santoso", unit="Dinas Kesehatan",
                language="id", joined_at=joined_at,
            )
        )  # fmt: skip
        await conn.execute(
            insert(t["staff"]).values(
                id=1, cohort_id=1, telegram_user_id=SARI, language="id", added_at=joined_at
            )
        )
        for n, (start, title) in enumerate(
            [
                (datetime(2021, 9, 3, 2, 0, tzinfo=UTC), "Integritas dan Etos Kerja"),
                (datetime(2021, 9, 6, 0, 30, tzinfo=UTC), "Gotong Royong"),
            ],
            start=1,
        ):
            await conn.execute(
                insert(t["sessions"]).values(
                    id=n, cohort_id=1, starts_at=start, ends_at=start.replace(hour=start.hour + 2),
                    title=title, speaker="Dr. Andi", link=f"https://zoom.example/j/{n}",
                )
            )  # fmt: skip
        await conn.execute(
            insert(t["materials"]).values(
                id=1, cohort_id=1, module="Modul 1", title="Bahan Ajar",
                url="https://elearning.example/m1.pdf", position=0,
            )
        )  # fmt: skip
        await conn.execute(
            insert(t["action_plans"]).values(
                id=1, participant_id=1, title="Pelayanan izin satu hari",
                created_at=joined_at, updated_at=joined_at,
            )
        )  # fmt: skip
        await conn.execute(
            insert(t["habits"]).values(
                id=1, plan_id=1, position=0, name="Apel pagi tepat waktu", kind="yesno",
                schedule="daily", created_on=date(2021, 9, 2),
            )
        )  # fmt: skip
        await conn.execute(
            insert(t["check_ins"]).values(
                id=1, habit_id=1, participant_id=1, day=date(2021, 9, 2), status="done",
                logged_at=joined_at,
            )
        )  # fmt: skip
    return engine


@dataclass
class Jobs:
    services: Services


async def test_a_release_database_upgraded_gives_the_same_answers(
    standin: BotApiStandIn, db_url: str
) -> None:
    engine = await release_database(db_url)
    await upgrade(engine)
    assert (
        await current_revision(engine)
        == ScriptDirectory.from_config(alembic_config()).get_current_head()
    )
    # The release's people are Telegram users: the upgraded database is served on Telegram
    # (the stand-in over HTTP), where Budi and Sari write from the same accounts as before.
    bot = await start_bot("telegram", standin, settings_for(standin, db_url), lambda: NOW)
    assert isinstance(bot, RunningBot) and bot.app is not None
    services = bot.app.bot_data.services
    try:
        budi, sari = bot.person(BUDI, "Budi"), bot.person(SARI, "Sari")
        schedule = joined(await budi.send("/jadwal"))
        assert "Integritas dan Etos Kerja" in schedule and "Gotong Royong" in schedule
        assert "10.00–12.00 WITA" in schedule  # the release's UTC instants, in Budi's zone
        materials = joined(await budi.send("/materi"))
        assert 'href="https://elearning.example/m1.pdf"' in materials
        progress = joined(await budi.send("/progres"))
        assert "Pelayanan izin satu hari" in progress and "Apel pagi tepat waktu" in progress
        report = joined(await sari.send("/rekap"))
        assert "Budi Santoso" in report and "Dinas Kesehatan" in report
        # The day's reminder: rows made at start-up, as `aksi run` does, then due at 07:00 WITA
        # on Saturday 4 September, naming the habit not yet logged that day.
        async with services.db.begin() as session:
            assert await sync_missing(session, NOW) == 0  # the bot's start-up made them
            rows = await session.scalars(select(Reminder.kind).where(Reminder.participant_id == 1))
            assert "daily" in set(rows)
        saturday = datetime(2021, 9, 3, 23, 0, tzinfo=UTC)
        prepared = await prepare(Jobs(services), saturday, MESSAGES)
        [reminder] = prepared.outgoing
        assert reminder.address == Address(TELEGRAM, str(BUDI))
        assert "Apel pagi tepat waktu" in reminder.body
    finally:
        await bot.stop()
        await engine.dispose()
