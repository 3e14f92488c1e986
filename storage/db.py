"""Engine, sessions and migrations: one place that opens the database."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy import text as sqltext
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_SLICE_SECONDS = 0.002


class InlineSQLiteConnection(aiosqlite.Connection):
    """aiosqlite's connection, with every call run on the event loop's own thread.

    aiosqlite hands each call to a worker thread and back (about 0.3 ms a hop here, about four
    hops a statement); Aksi's statements take microseconds, so the hops were most of a
    check-in's time (bench/checkin.py). Calling SQLite in place is safe because readers never
    wait in WAL mode and `Database` lets only one write transaction of this process run at a
    time, so a statement can only wait for another process (the CLI), at most the busy timeout.
    Written against aiosqlite 0.22 (pinned in pyproject.toml); tests/test_storage.py checks it.
    """

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._turn_began = time.perf_counter()

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        # Nothing here waits, so a chat reading much (a report, a progress view) would keep the
        # loop to itself until its next message goes out: after each SLICE of work it lets the
        # other chats' callbacks run first, as the worker threads' hops used to. Never inside a
        # write transaction: another connection's write would then wait for SQLite's lock on
        # this very thread (the busy timeout blocks it), and the holder could never finish.
        if (
            time.perf_counter() - self._turn_began > SQLITE_SLICE_SECONDS
            and not self._connection.in_transaction
        ):
            await asyncio.sleep(0)
            self._turn_began = time.perf_counter()
        return fn(*args, **kwargs)

    async def _connect(self) -> aiosqlite.Connection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()  # no worker thread to start

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def create_engine(database_url: str) -> AsyncEngine:
    """An async engine; SQLite files get WAL mode, a busy timeout and foreign keys, and run
    on the event loop's thread (see `InlineSQLiteConnection`)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    path = url.database or ":memory:"
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    connector = partial(
        sqlite3.connect, path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, check_same_thread=False
    )

    async def connect() -> aiosqlite.Connection:
        return await InlineSQLiteConnection(connector)

    engine = create_async_engine(url, async_creator=connect)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def dialect_insert(session: AsyncSession) -> Callable[..., Any]:
    """The INSERT of this session's dialect, which knows ON CONFLICT (SQLite or PostgreSQL)."""
    name = session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


_INSERT_ONCE: dict[tuple[str, type[Any]], Any] = {}


async def insert_once(session: AsyncSession, model: type[Any], /, **values: object) -> bool:
    """Insert a row unless one with the same unique key exists; True when this call inserted it
    (of two callers racing for the same key, only one is told True). One statement per table
    and dialect, its values bound at each call: a reminder peak claims thousands of rows, and
    building the statement afresh cost more than running it."""
    name = session.get_bind().dialect.name
    statement = _INSERT_ONCE.get((name, model))
    if statement is None:
        table = model.__table__
        statement = dialect_insert(session)(table).on_conflict_do_nothing()
        _INSERT_ONCE[(name, model)] = statement
    result = await session.execute(statement, values)
    return bool(getattr(result, "rowcount", 0) == 1)


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


AfterCommit = Callable[[], Awaitable[object]]


@dataclass
class _Open:
    """A write transaction in progress: the task in it and the work waiting for its commit."""

    task: asyncio.Task[Any] | None
    pending: list[AfterCommit] = field(default_factory=list)


# A task started inside a transaction inherits this variable, hence the task check.
_OPEN: ContextVar[_Open | None] = ContextVar("write_transaction", default=None)


def _open_here() -> _Open | None:
    open_ = _OPEN.get()
    return open_ if open_ is not None and open_.task is asyncio.current_task() else None


def in_write_transaction() -> bool:
    """Whether the current task is inside `Database.begin()`."""
    return _open_here() is not None


def after_commit(work: AfterCommit) -> bool:
    """Run `work` once the current write transaction has committed (dropped if it rolls back);
    False when no write transaction is open, so the caller does it now. This is how a reply
    written inside a transaction is sent after it: never a network call while the write lock
    is held, and never a message about a change that was not saved."""
    open_ = _open_here()
    if open_ is None:
        return False
    open_.pending.append(work)
    return True


class Database:
    """The bot's sessions: `db()` for reading, `db.begin()` for a write transaction that
    commits at the end. On SQLite the write transactions of this process take turns (an
    asyncio lock): a second writer waits in the event loop, never inside SQLite. Work handed
    to `after_commit` inside `begin()` runs after the commit, in order, outside the lock."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine)
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    def __call__(self) -> AsyncSession:
        return self.sessions()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        if in_write_transaction():
            raise RuntimeError("a write transaction inside another one (they take turns)")
        open_ = _Open(asyncio.current_task())
        token = _OPEN.set(open_)
        try:
            if self._write_lock is None:
                async with self.sessions.begin() as session:
                    yield session
            else:
                # SQLite is called in place: the transaction holds the event loop until it
                # commits. It starts on a step of its own, after the chats waiting to run, so
                # nothing done before it (a read's tail) adds to that hold.
                await asyncio.sleep(0)
                async with self._write_lock, self.sessions.begin() as session:
                    yield session
        finally:
            _OPEN.reset(token)
        for work in open_.pending:  # reached only when the transaction committed
            await work()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply the Alembic migrations on this engine's database."""
    await _migrate(engine, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Undo the migrations after `revision` (tests; an operator going back a release)."""
    await _migrate(engine, lambda cfg: command.downgrade(cfg, revision))


# Any fixed number: the PostgreSQL advisory lock that migrations take (one process at a time).
MIGRATION_LOCK = 0x616B7369  # "aksi"


async def _migrate(engine: AsyncEngine, step: Callable[[Config], None]) -> None:
    """Migrate under a lock, so two processes starting together (two workers, the bot and a
    CLI command) never apply the same migration twice: the second waits, then finds the
    schema current. PostgreSQL: an advisory lock held by the migrating transaction; SQLite: a
    `flock` on a file beside the database (`lock_file`)."""

    def _run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        step(cfg)

    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            await conn.execute(
                sqltext("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
            await conn.run_sync(_run)
        return
    async with _file_lock(engine):
        await _migrate_sqlite(engine, _run)


def lock_file(database: str) -> Path:
    """The file migrations lock, beside the database: `aksi.db` -> `aksi.db.lock`."""
    return Path(database + ".lock")


@asynccontextmanager
async def _file_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """An exclusive `flock` on a file beside the database (none for an in-memory database).
    Never on the database file itself: closing any descriptor of a file drops every POSIX lock
    the process holds on it — SQLite's own included — and another process could then
    check-point under a live writer and lose committed transactions (SQLite's "How to corrupt
    an SQLite database", 2.2; bench/broadcast.py lost a whole announcement after a kill that
    way). The wait happens in a thread, never on the event loop."""
    path = engine.url.database
    if not path or path == ":memory:":
        yield
        return
    lock = lock_file(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


async def _migrate_sqlite(engine: AsyncEngine, run: Callable[[Connection], None]) -> None:
    # A migration that rebuilds a table (batch mode) drops the old one: with foreign keys on,
    # SQLite would carry that drop into every table referring to it (ON DELETE CASCADE). So
    # they are off while migrating (the pragma only takes outside a transaction), and checked
    # before the commit.
    async with engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await conn.commit()
        try:
            async with conn.begin():
                await conn.run_sync(run)
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"the migration broke references: {broken[:5]}")
        finally:
            await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            await conn.commit()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's migration (None: none applied). Read from Alembic's table directly:
    Alembic's own reader logs two lines each time, and /readyz asks every few seconds."""
    async with engine.connect() as conn:
        has_table = await conn.run_sync(
            lambda sync: sync.dialect.has_table(sync, "alembic_version")
        )
        if not has_table:
            return None
        revision = await conn.scalar(sqltext("SELECT version_num FROM alembic_version"))
        return None if revision is None else str(revision)


def head_revision() -> str | None:
    """The newest migration this release ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
