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

pytestmark = pytest.mark.databases("sqlite", "postgresql")


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
