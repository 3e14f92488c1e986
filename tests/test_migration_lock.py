"""Migrations under a lock: processes that start together on a new database (workers, the bot
and a CLI command) all end on the current schema, none failing on a migration another one
applied first — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from storage.db import create_engine, current_revision, head_revision
from tests.test_process import clean_env

pytestmark = [pytest.mark.databases("sqlite", "postgresql"), pytest.mark.empty_database]


async def test_processes_migrating_together_all_succeed(db_url: str, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=db_url)
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "db",
            "upgrade",
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    outputs = [await asyncio.wait_for(p.communicate(), 120) for p in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()
        assert f"database is at revision {head_revision()}" in out.decode()
    engine = create_engine(db_url)
    try:
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


WRITER = """
import asyncio, sys
from sqlalchemy import text
from storage.db import create_engine, upgrade

async def main():
    engine = create_engine(sys.argv[1])
    await upgrade(engine)  # under the migration lock, as `aksi run` starts
    async with engine.connect() as conn:
        await conn.execute(text("CREATE TABLE probe (n INTEGER)"))
        await conn.commit()
        print("ready", flush=True)
        n = 0
        while await asyncio.to_thread(sys.stdin.readline):
            n += 1
            await conn.execute(text("INSERT INTO probe VALUES (:n)"), {"n": n})
            await conn.commit()
            print(n, flush=True)

asyncio.run(main())
"""


@pytest.mark.databases("sqlite")
async def test_the_lock_never_costs_sqlite_its_own_locks(db_url: str, tmp_path: Path) -> None:
    """The migration lock must not drop SQLite's locks on the database: a process closing a
    descriptor of the database file loses all its POSIX locks on it, and another process that
    then opens and closes the database believes itself the last, check-points and removes the
    write-ahead log under the live writer — whose later commits are lost when it dies (SQLite's
    "How to corrupt", 2.2). Here the writer commits after such a visit, is killed, and every
    commit must still be there."""
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, db_url,
        cwd=tmp_path, env=clean_env(),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert writer.stdin is not None and writer.stdout is not None

    async def commit() -> int:
        assert writer.stdin is not None and writer.stdout is not None
        writer.stdin.write(b"\n")
        await writer.stdin.drain()
        return int(await asyncio.wait_for(writer.stdout.readline(), 30))

    try:
        assert await asyncio.wait_for(writer.stdout.readline(), 60) == b"ready\n"
        assert await commit() == 1
        visit = await asyncio.create_subprocess_exec(
            sys.executable, "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
            " print(c.execute('SELECT count(*) FROM probe').fetchone()[0]); c.close()",
            str(tmp_path / "aksi.db"), stdout=subprocess.PIPE,
        )  # fmt: skip
        seen, _ = await visit.communicate()
        assert seen.strip() == b"1"
        for expected in (2, 3, 4):
            assert await commit() == expected
    finally:
        writer.kill()
        await writer.wait()
    check = await asyncio.create_subprocess_exec(
        sys.executable, "-c",
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
        " print(c.execute('SELECT count(*) FROM probe').fetchone()[0])",
        str(tmp_path / "aksi.db"), stdout=subprocess.PIPE,
    )  # fmt: skip
    kept, _ = await check.communicate()
    assert kept.strip() == b"4"
