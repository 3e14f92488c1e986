"""Migrations: they build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import storage.evaluations
import storage.mentoring  # the tables, registered on Base
import storage.models
import storage.quizzes
import storage.training  # noqa: F401
from storage.base import Base
from storage.db import current_revision, downgrade, upgrade

pytestmark = pytest.mark.databases("sqlite", "postgresql")


async def test_models_match_migrations(engine: AsyncEngine) -> None:
    def diff(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_down_to_nothing_and_up_again(engine: AsyncEngine) -> None:
    head = await current_revision(engine)

    await downgrade(engine, "base")

    def tables(connection: Connection) -> set[str]:
        return set(inspect(connection).get_table_names())

    async with engine.connect() as conn:
        assert await conn.run_sync(tables) <= {"alembic_version"}
    await upgrade(engine)
    assert await current_revision(engine) == head
    async with engine.connect() as conn:
        assert {"cohorts", "participants", "habits", "check_ins"} <= await conn.run_sync(tables)


async def test_one_mentor_migration_settles_duplicates_left_by_a_race(
    engine: AsyncEngine,
) -> None:
    """0014 adds unique indexes; a database with two active mentors (or two open links) for
    one participant, from before them, upgrades: the latest stays, the others end."""
    await downgrade(engine, "0013")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO cohorts (id, code, name, timezone, starts_on, ends_on, created_at) "
                "VALUES (1, 'X1', 'X', 'Asia/Jakarta', '2021-09-01', '2021-10-01', "
                "'2021-09-01 00:00:00+00')"
            )
        )
        await conn.execute(
            text("INSERT INTO people (id, created_at) VALUES (1, '2021-09-01 00:00:00+00')")
        )
        await conn.execute(
            text(
                "INSERT INTO participants (id, cohort_id, person_id, first_name, joined_at) "
                "VALUES (1, 1, 1, 'Budi', '2021-09-01 00:00:00+00')"
            )
        )
        for id_, state in ((1, "active"), (2, "active"), (3, "invited"), (4, "invited")):
            await conn.execute(
                text(
                    "INSERT INTO mentorships (id, participant_id, state, source, created_at) "
                    "VALUES (:id, 1, :state, 'cli', '2021-09-01 00:00:00+00')"
                ),
                {"id": id_, "state": state},
            )
    await upgrade(engine)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, state FROM mentorships ORDER BY id"))).all()
    assert [tuple(r) for r in rows] == [
        (1, "ended"), (2, "active"), (3, "withdrawn"), (4, "invited")
    ]  # fmt: skip


async def test_follow_up_migration_leaves_cohorts_that_already_ended_without_one(
    engine: AsyncEngine,
) -> None:
    """0019 gives new cohorts 90 days of follow-up after the course; a cohort that ended before
    the upgrade gets none (its alumni were never told of one), one still to end gets 90."""
    await downgrade(engine, "0018")
    async with engine.begin() as conn:
        for id_, ends in ((1, date(2021, 10, 1)), (2, date(2999, 12, 31))):
            await conn.execute(
                text(
                    "INSERT INTO cohorts (id, code, name, timezone, starts_on, ends_on, "
                    "created_at) VALUES (:id, :code, 'X', 'Asia/Jakarta', '2021-09-01', :ends, "
                    "'2021-09-01 00:00:00+00')"
                ),
                {"id": id_, "code": f"X{id_}", "ends": ends},
            )
    await upgrade(engine)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT id, follow_up_days, follow_up_weekdays FROM cohorts ORDER BY id")
            )
        ).all()
    assert [tuple(r) for r in rows] == [(1, 0, "135"), (2, 90, "135")]
