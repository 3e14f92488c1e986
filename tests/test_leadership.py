"""One worker leads (storage.leadership): on PostgreSQL the worker holding the advisory lock,
another taking over within one try after it stops, loses its connection, or is killed; on
SQLite the one process always leads."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine
from storage.leadership import LOCK_KEY, Leadership

pytestmark = pytest.mark.databases("sqlite", "postgresql")


async def test_one_leads_and_another_takes_over_when_it_stops(
    engine: AsyncEngine, db_url: str
) -> None:
    first = Leadership(engine, every=0.1)
    other_engine = create_engine(db_url)
    second = Leadership(other_engine, every=0.1)
    try:
        await first.start()
        await second.start()
        if engine.dialect.name == "sqlite":  # one process: it leads, from its first moment
            assert first.leading and second.leading and first.term == 1
            return
        assert (first.leading, second.leading) == (True, False)
        assert (first.term, second.term) == (1, 0)
        await asyncio.sleep(0.35)  # several tries: still the first
        assert (first.leading, second.leading) == (True, False)
        await first.stop()
        assert not first.leading
        await _until(lambda: second.leading, 2.0)
        assert second.term == 1
    finally:
        await first.stop()
        await second.stop()
        await other_engine.dispose()


@pytest.mark.databases("postgresql")
async def test_a_leader_that_lost_its_connection_steps_down(
    engine: AsyncEngine, db_url: str
) -> None:
    """The server ended the leader's session (a network cut, a restart): PostgreSQL let go of
    the lock, so the old leader must stop sending at its next check, and another leads."""
    first = Leadership(engine, every=0.1)
    other_engine = create_engine(db_url)
    second = Leadership(other_engine, every=0.1)
    try:
        await first.start()
        await second.start()
        assert first.leading and not second.leading
        async with other_engine.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND objid = :key AND granted"
                ),
                {"key": LOCK_KEY},
            )
        await _until(lambda: not first.leading, 2.0)
        await _until(lambda: second.leading, 2.0)
        assert first.term == 1 and second.term == 1
    finally:
        await first.stop()
        await second.stop()
        await other_engine.dispose()


@pytest.mark.databases("postgresql")
async def test_a_killed_leader_is_replaced_within_seconds(engine: AsyncEngine, db_url: str) -> None:
    """A worker killed with SIGKILL says nothing; its connection ends with it, and a follower
    trying every 2 s (the default) leads within 10 s of the kill."""
    holder = textwrap.dedent(
        f"""
        import asyncio, sys
        from storage.db import create_engine
        from storage.leadership import Leadership

        async def main():
            lead = Leadership(create_engine({db_url!r}))
            await lead.start()
            print("leading" if lead.leading else "following", flush=True)
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", holder, stdout=subprocess.PIPE, cwd=os.getcwd()
    )
    follower = Leadership(engine)  # the default: a try every 2 s
    try:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), 30) == b"leading\n"
        await follower.start()
        assert not follower.leading
        os.kill(process.pid, signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 5)
        loop = asyncio.get_running_loop()
        killed = loop.time()
        await _until(lambda: follower.leading, 10.0)
        assert loop.time() - killed <= follower.every + 1.0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await follower.stop()


async def _until(condition: object, timeout: float) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise AssertionError("not within the time")
        await asyncio.sleep(0.02)
