"""What every `aksi` command shares: exit codes, settings, the database, and common options.

Each group of commands lives in its own `bot/cli_*.py` module and builds on these, so they all
fail the same way (`aksi: ...` on stderr, exit 1, or 2 for configuration) and reach the
database the same way: migrated first, then one transaction that lands whole or not at all.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings, SettingsError, load_settings
from core.errors import AksiError
from core.imports import ImportRefused
from storage.db import create_engine, sessionmaker, upgrade

T = TypeVar("T")
EXIT_FAILED = 1
EXIT_CONFIG = 2


def counted(count: int, noun: str) -> str:
    """A number of things in the command line's English: "1 row", "3 rows"."""
    return f"{count} {noun if count == 1 else noun + 's'}"


def fail(message: str, code: int = EXIT_FAILED) -> None:
    click.echo(f"aksi: {message}", err=True)
    sys.exit(code)


def settings_of(ctx: click.Context) -> Settings:
    settings = ctx.find_object(Settings)
    if settings is None:
        try:
            settings = load_settings()
        except SettingsError as exc:
            fail(f"configuration error: {exc}", EXIT_CONFIG)
            raise AssertionError from exc  # unreachable: fail() exits
        ctx.obj = settings
    return settings


async def _with_database(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Migrate, then run `work` in one transaction: it all lands or nothing does."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with sessionmaker(engine).begin() as session:
            return await work(session)
    finally:
        await engine.dispose()


def run_db(ctx: click.Context, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    settings = settings_of(ctx)
    try:
        return asyncio.run(_with_database(settings, work))
    except AksiError as exc:
        fail(str(exc))
    except (SQLAlchemyError, OSError) as exc:
        fail(f"database error: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
    raise AssertionError("unreachable")


class _Undo(Exception):
    """Carries a dry run's result out of the transaction it rolls back."""

    def __init__(self, value: object) -> None:
        self.value = value


def dry_run_db(ctx: click.Context, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in a transaction that is rolled back: what it would do, nothing written."""

    async def undo(session: AsyncSession) -> T:
        raise _Undo(await work(session))

    try:
        run_db(ctx, undo)
    except _Undo as done:
        return done.value  # type: ignore[return-value]
    raise AssertionError("unreachable")


COHORT_OPTION = click.option("--cohort", "code", required=True, help="The cohort's code.")
SEPARATOR_OPTION = click.option(
    "--sep",
    "separator",
    type=click.Choice([",", ";"]),
    help="CSV separator: ';' (with decimal commas) opens in columns in Excel with Indonesian "
    "regional settings, ',' in Excel with English ones [default: ';' in Indonesian, ',' in "
    "English].",
)
FILE_ARGUMENT = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all: a temporary file beside it, then renamed."""
    import os
    import tempfile

    directory = path.resolve().parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def refused(file: Path, exc: ImportRefused) -> AksiError:
    """An import refused: its file named, each problem on a line of its own."""
    problems = "\n".join(f"  {p}" for p in exc.problems)
    return AksiError(f"{file.name} refused, nothing was written:\n{problems}")
