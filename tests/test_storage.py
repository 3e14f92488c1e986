"""The storage set-up: SQLite pragmas, the in-loop connection, and writers taking turns."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SQLITE_SLICE_SECONDS, Database, InlineSQLiteConnection
from storage.models import Cohort
from tests.conftest import make_cohort

# SQLite only: how Aksi runs SQLite in the event loop's own thread, and how its one writer at a
# time takes turns (PostgreSQL writes side by side: tests/test_transactions.py).
SQLITE_ONLY = pytest.mark.databases("sqlite")


@SQLITE_ONLY
async def test_sqlite_pragmas_and_inline_connection(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, InlineSQLiteConnection)
        # Statements run on the event loop's own thread: no worker thread per connection.
        assert await conn.run_sync(lambda _: threading.get_ident()) == threading.get_ident()


@SQLITE_ONLY
async def test_a_long_read_lets_the_other_chats_in_now_and_then(engine: AsyncEngine) -> None:
    """SQLite runs in place, so nothing in a session waits: every SQLITE_SLICE_SECONDS of
    statements the connection lets the loop run the others (a ticker here), not after each."""
    ticks = 0
    reading = True

    async def ticker() -> None:
        nonlocal ticks
        while reading:
            ticks += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before, statements = ticks, 0
    async with engine.connect() as conn:
        began = time.perf_counter()
        while time.perf_counter() - began < 20 * SQLITE_SLICE_SECONDS:
            await conn.execute(text("SELECT 1"))
            statements += 1
    reading = False
    await other
    let_in = ticks - before
    assert 5 <= let_in <= 40, let_in  # about once a slice
    assert statements > 5 * let_in, (statements, let_in)  # far fewer turns than statements


@SQLITE_ONLY
async def test_a_long_write_keeps_the_loop_until_it_commits(engine: AsyncEngine) -> None:
    """Inside a write transaction the connection never lets others in: another connection's
    write would wait for SQLite's lock on the loop's own thread and the holder could never
    commit ("database is locked" after the busy timeout)."""
    holding_the_lock = asyncio.Event()
    long_inserts = 0

    async def long_write() -> None:
        nonlocal long_inserts
        async with engine.begin() as conn:
            began = time.perf_counter()
            while time.perf_counter() - began < 20 * SQLITE_SLICE_SECONDS:
                await conn.execute(text("INSERT INTO people (created_at) VALUES ('2021-09-01')"))
                long_inserts += 1
                holding_the_lock.set()

    async def other_write() -> None:
        await holding_the_lock.wait()  # the long write's first INSERT took SQLite's write lock
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO people (created_at) VALUES ('2021-09-02')"))

    await asyncio.wait_for(asyncio.gather(long_write(), other_write()), 10)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT created_at FROM people ORDER BY id"))).all()
    written = [str(row[0])[:10] for row in rows]
    # Both landed, and the other write only began once the long one had committed.
    assert long_inserts > 20
    assert written == ["2021-09-01"] * long_inserts + ["2021-09-02"]


@SQLITE_ONLY
async def test_writers_take_turns_and_all_land(engine: AsyncEngine) -> None:
    db = Database(engine)
    order: list[str] = []

    async def write(code: str) -> None:
        async with db.begin() as session:
            order.append(f"begin {code}")
            session.add(
                Cohort(code=code, name=code, timezone="Asia/Makassar",
                       starts_on=date(2021, 9, 2),
                       ends_on=date(2021, 10, 25))
            )  # fmt: skip
            await session.flush()
            await asyncio.sleep(0.01)  # another writer would come in here, if it could
            order.append(f"end {code}")

    await asyncio.gather(*(write(f"C{i}") for i in range(5)))
    assert all(order[i].startswith("begin") and order[i + 1].startswith("end")
               for i in range(0, len(order), 2))  # fmt: skip
    async with db() as session:
        assert len((await session.scalars(select(Cohort))).all()) == 5


async def test_a_failed_write_rolls_back_and_frees_the_turn(engine: AsyncEngine) -> None:
    db = Database(engine)
    await make_cohort(db.sessions)
    try:
        async with db.begin() as session:
            session.add(
                Cohort(code="X1", name="x", timezone="UTC",
                       starts_on=date(2021, 1, 1),
                       ends_on=date(2021, 1, 2))
            )  # fmt: skip
            await session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    async with db.begin() as session:  # the lock is free again
        codes = set(await session.scalars(select(Cohort.code)))
    assert codes == {"REVMEN1"}
