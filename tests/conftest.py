"""Shared fixtures: a real database per test — a SQLite file, or a PostgreSQL database on the
throwaway server the test run starts (tests/pgserver.py) for modules marked
`pytest.mark.databases("sqlite", "postgresql")` — migrated with the real Alembic migrations."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.cohorts import create_cohort
from storage.db import create_engine, sessionmaker, upgrade
from storage.models import Cohort
from tests.harness import Clock, MemoryBot, RunningBot, settings_for, start_bot
from tests.pgserver import PostgresMissing, PostgresServer

# Friday 3 September 2021, 09:00 WITA: the second day of the cohort `make_cohort` makes.
NOW = datetime(2021, 9, 3, 1, 0, tzinfo=UTC)
# Where a failure is logged: Telegram's error handler (bot.errors.on_error), the engine of the
# other channels (bot.engine), and a reminder or digest that broke (scheduler.sending).
ERROR_LOGGERS = ("handlers.fallback", "aksi.engine", "scheduler.sending")


class _Caught(logging.Handler):
    """Keeps the error records it is given."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def caught_errors(request: pytest.FixtureRequest) -> Iterator[list[logging.LogRecord]]:
    """The errors the bot's error handlers logged during the test (set up first, so it sees
    the bot stop too). A test fails on any it did not declare with
    `pytest.mark.expected_errors`: a feature that failed was answered with an apology, which
    an assertion on the answers may not notice."""
    caught = _Caught()
    loggers = [logging.getLogger(name) for name in ERROR_LOGGERS]
    for logger in loggers:
        logger.addHandler(caught)
    try:
        yield caught.records
    finally:
        for logger in loggers:
            logger.removeHandler(caught)
    if caught.records and request.node.get_closest_marker("expected_errors") is None:
        lines = [
            f"{r.name}: {r.getMessage()} ({r.exc_info[1]!r})"
            if r.exc_info and r.exc_info[1]
            else f"{r.name}: {r.getMessage()}"
            for r in caught.records
        ]
        pytest.fail(
            "the bot's error handler caught what the test did not expect (mark the test "
            "`pytest.mark.expected_errors` if it should):\n" + "\n".join(lines),
            pytrace=False,
        )


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    """The Bot API stand-in on a free loopback port; AKSI_TEST_RTT_MS (and AKSI_TEST_JITTER_MS)
    put it that far away, as Telegram is."""
    async with BotApiStandIn() as server:
        rtt = float(os.environ.get("AKSI_TEST_RTT_MS", "0"))
        server.network(rtt, float(os.environ.get("AKSI_TEST_JITTER_MS", "0")))
        yield server


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run (started on first use). Without PostgreSQL's
    programs the tests on PostgreSQL are skipped, saying why — except under CI=true, where
    that is a failure: CI runs every test on both databases."""
    server = PostgresServer()
    try:
        try:
            server.start()
        except PostgresMissing as missing:
            if on_ci():
                pytest.fail(f"CI=true: {missing}", pytrace=False)
            pytest.skip(f"skipped on PostgreSQL: {missing}")
        yield server
    finally:
        server.stop()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked `databases(...)` runs once per database kind named, and one marked
    `channels(...)` once per channel named (the closest marker wins: a test of a module marked
    for both channels may say it needs Telegram's)."""
    marker = metafunc.definition.get_closest_marker("databases")
    if "db_url" in metafunc.fixturenames:
        kinds = marker.args if marker is not None else ("sqlite", "postgresql")
        metafunc.parametrize("db_url", kinds, indirect=True)
    marker = metafunc.definition.get_closest_marker("channels")
    if marker is not None and "chat_kind" in metafunc.fixturenames:
        metafunc.parametrize("chat_kind", marker.args, indirect=True)


@pytest.fixture
def chat_kind(request: pytest.FixtureRequest) -> str:
    """The channel the test's bot runs on: "telegram" (the default) or "memory"."""
    return str(getattr(request, "param", "telegram"))


_sqlite_template: list[Path] = []  # the migrated SQLite file, once made


async def migrated_sqlite(request: pytest.FixtureRequest, path: Path) -> None:
    """A copy at `path` of a SQLite file migrated once per run to this release's migrations."""
    if not _sqlite_template:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        template = factory.mktemp("migrated") / "aksi.db"
        engine = create_engine(f"sqlite+aiosqlite:///{template}")
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()
        _sqlite_template.append(template)
    shutil.copyfile(_sqlite_template[0], path)


@pytest.fixture
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The test's database: a SQLite file (the default) or a new PostgreSQL database, migrated
    to this release's migrations (a copy of one migrated once) — or empty, for a test marked
    `empty_database` (it migrates, or builds an older release, itself)."""
    kind = getattr(request, "param", "sqlite")
    migrated = request.node.get_closest_marker("empty_database") is None
    if kind == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        url = await server.new_database(migrated=migrated)
        yield url
        await server.drop_database(url)
        return
    assert kind == "sqlite", kind
    path = tmp_path / "aksi.db"
    if migrated:
        await migrated_sqlite(request, path)
    yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def db(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return sessionmaker(engine)


async def make_cohort(
    db: async_sessionmaker[AsyncSession],
    code: str = "REVMEN1",
    timezone: str = "Asia/Makassar",
    starts: date = date(2021, 9, 2),
    ends: date = date(2021, 10, 25),
    name: str = "Angkatan I",
    channels: str | None = None,
) -> Cohort:
    async with db.begin() as session:
        return await create_cohort(
            session, code=code, name=name, timezone=timezone, starts=starts, ends=ends,
            channels=channels,
        )  # fmt: skip


@pytest.fixture
def clock() -> Clock:
    """The bot's clock, moved by hand; a test module may give its own."""
    return Clock(NOW)


@pytest.fixture
async def bot(
    standin: BotApiStandIn,
    db_url: str,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> AsyncIterator[RunningBot | MemoryBot]:
    """The bot running as `aksi run` runs it (or on the in-memory channel), with cohort REVMEN1
    (a test module may give its own)."""
    await make_cohort(db)
    running = await start_bot(chat_kind, standin, settings_for(standin, db_url), clock)
    yield running
    await running.stop()
    if isinstance(running, MemoryBot):  # every message the test's features sent fits WhatsApp
        assert running.channel.whatsapp_problems == []
