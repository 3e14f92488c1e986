"""Migrations: they build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import storage.mentoring  # the tables, registered on Base
import storage.models  # noqa: F401
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
