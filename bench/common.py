"""What the benchmarks share: a fresh database with the bench cohort, the environment of an
`aksi run` process against the Bot API stand-in, stopping that process, and percentiles."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.standin import BotApiStandIn
from core.channel import TELEGRAM, Address
from core.cohorts import create_cohort
from core.contacts import person_for
from storage.db import create_engine, sessionmaker, upgrade
from storage.models import Cohort


async def telegram_person(session: AsyncSession, user_id: int) -> int:
    """The person (with a Telegram contact) of a bench user id."""
    contact = await person_for(session, Address(TELEGRAM, str(user_id)), datetime.now(UTC))
    return contact.person_id


@asynccontextmanager
async def bench_cohort(
    path: Path, *, name: str, timezone: str, starts: date, ends: date
) -> AsyncIterator[tuple[AsyncSession, Cohort]]:
    """Migrate a fresh SQLite file at `path` and create the cohort BENCH in it; the write
    transaction (committed at the end) and the cohort, to fill it."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine)
        async with sessionmaker(engine).begin() as session:
            cohort = await create_cohort(
                session, code="BENCH", name=name, timezone=timezone, starts=starts, ends=ends
            )
            yield session, cohort
    finally:
        await engine.dispose()


def aksi_environment(standin: BotApiStandIn, db: Path, **settings: str) -> dict[str, str]:
    """The environment for a bot process talking to `standin` with the SQLite file `db`: none
    of the caller's TELEGRAM_* / AKSI_* variables, logging at WARNING, then `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "AKSI_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=standin.token,
        TELEGRAM_API_BASE_URL=standin.base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{db}",
        AKSI_LOG_LEVEL="WARNING",
    )
    env.update(settings)
    return env


async def stop_process(process: asyncio.subprocess.Process, timeout: float = 20.0) -> None:
    """SIGTERM (the bot finishes what it has in hand), then SIGKILL after `timeout` seconds."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(timeout):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


def percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]
