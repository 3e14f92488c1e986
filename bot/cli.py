"""`aksi`: the organisers' command line, and the way the bot is started."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import InvalidToken, NetworkError

from bot.logs import setup_logging
from bot.settings import Settings, SettingsError, load_settings
from core.cohorts import create_cohort, get_cohort, list_cohorts
from core.errors import AksiError, InvalidInput
from core.imports import (
    ImportRefused,
    ImportSummary,
    apply_materials,
    apply_schedule,
    parse_materials,
    parse_schedule,
)
from scheduler.reminders import set_cohort_reminders
from storage.db import create_engine, current_revision, sessionmaker, upgrade
from storage.models import Cohort

T = TypeVar("T")
EXIT_FAILED = 1
EXIT_CONFIG = 2


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Aksi, the Telegram companion bot for training cohorts.

    Settings come from the environment and `.env` (see .env.example).
    """


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the bot on Telegram with long polling (the local chat when no token is set)."""
    settings = settings_of(ctx)
    if not settings.token:
        click.echo(
            "TELEGRAM_BOT_TOKEN is not set: starting the local chat. "
            "Put a token from @BotFather in .env to run on Telegram.",
            err=True,
        )
        ctx.invoke(chat)
        return
    setup_logging(settings.aksi_log_level, settings.token)
    from bot.runner import install_stop_signals, serve

    async def _main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await serve(settings, stop)

    try:
        asyncio.run(_main())
    except InvalidToken:
        fail(
            "TELEGRAM_BOT_TOKEN was refused by the Bot API (check it with @BotFather)", EXIT_CONFIG
        )
    except NetworkError as exc:
        fail(f"cannot reach the Bot API at {settings.telegram_api_base_url}: {exc}")
    except (SQLAlchemyError, OSError) as exc:
        fail(f"database error: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")


@main.command()
@click.option("--user-id", default=1001, show_default=True, help="Your Telegram user id here.")
@click.option("--name", default="Budi Santoso", show_default=True, help="Your Telegram name.")
@click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    default="id",
    show_default=True,
    help="Your Telegram app's language.",
)
@click.option("--demo/--no-demo", default=True, help="Set up the demo cohort (code DEMO).")
@click.pass_context
def chat(ctx: click.Context, user_id: int, name: str, lang: str, demo: bool) -> None:
    """Chat with Aksi in this terminal, through the real bot and a local Bot API stand-in."""
    settings = settings_of(ctx)
    from bot.localchat import LocalChat

    setup_logging("WARNING", settings.token)
    first, _, last = name.partition(" ")
    local_chat = LocalChat(
        settings,
        user_id=user_id,
        first_name=first,
        last_name=last or None,
        language_code=lang,
        demo=demo,
    )
    try:
        asyncio.run(local_chat.run())
    except KeyboardInterrupt:
        pass
    except (SQLAlchemyError, OSError) as exc:
        fail(f"database error: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply every migration (also done by `aksi run`)."""
    settings = settings_of(ctx)

    async def _upgrade() -> str | None:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    try:
        revision = asyncio.run(_upgrade())
    except (SQLAlchemyError, OSError) as exc:
        fail(f"database error: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
        return
    click.echo(f"database is at revision {revision}")


@main.group()
def cohort() -> None:
    """Training cohorts (angkatan)."""


@cohort.command("create")
@click.option(
    "--code", required=True, help="Join code, used in the invitation link (e.g. REVMEN1)."
)
@click.option("--name", required=True, help='Cohort name, e.g. "Angkatan I".')
@click.option("--timezone", default=None, help="IANA zone [default: AKSI_DEFAULT_TIMEZONE].")
@click.option(
    "--starts", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day, YYYY-MM-DD."
)
@click.option(
    "--ends", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day, YYYY-MM-DD."
)
@click.pass_context
def cohort_create(
    ctx: click.Context, code: str, name: str, timezone: str | None, starts: datetime, ends: datetime
) -> None:
    """Create a cohort that participants join with its code."""
    tz = timezone or settings_of(ctx).aksi_default_timezone

    async def _create(session: AsyncSession) -> str:
        c = await create_cohort(
            session, code=code, name=name, timezone=tz, starts=starts.date(), ends=ends.date()
        )
        return c.code

    created = run_db(ctx, _create)
    click.echo(f"created cohort {created}: {name} ({tz}, {starts.date()} to {ends.date()})")
    click.echo(
        f"participants join with: /start {created}  (link: https://t.me/<bot>?start={created})"
    )


@cohort.command("reminders")
@click.option("--code", required=True, help="The cohort's code.")
@click.option("--reminder-time", help="Default daily reminder, HH:MM local (e.g. 07:00).")
@click.option("--evening-time", help="Evening follow-up, HH:MM local, or 'off'.")
@click.option("--morning-time", help="Morning summary on session days, HH:MM local, or 'off'.")
@click.option("--session-lead", type=int, help="Minutes before a session its reminder goes.")
@click.pass_context
def cohort_reminders(
    ctx: click.Context,
    code: str,
    reminder_time: str | None,
    evening_time: str | None,
    morning_time: str | None,
    session_lead: int | None,
) -> None:
    """Show or change a cohort's reminder defaults; participants' reminders follow at once."""

    async def _set(session: AsyncSession) -> str:
        c = await get_cohort(session, code)
        try:
            moved = await set_cohort_reminders(
                session,
                c,
                datetime.now(UTC),
                reminder_time=reminder_time,
                evening_time=evening_time,
                morning_time=morning_time,
                session_lead_minutes=session_lead,
            )
        except InvalidInput as exc:
            message = str(exc)
            if message == "reminders.bad_time":
                message = "times are HH:MM (e.g. 07:00), or 'off' for the evening and morning ones"
            raise AksiError(message) from None
        return (
            f"{c.code}: daily {c.reminder_time}, evening {c.evening_time or 'off'}, "
            f"morning summary {c.morning_summary_time or 'off'}, sessions "
            f"{c.session_lead_minutes} min before ({moved} participants updated)"
        )

    click.echo(run_db(ctx, _set))


@cohort.command("list")
@click.pass_context
def cohort_list(ctx: click.Context) -> None:
    """List the cohorts with their counts of participants, sessions and materials."""

    async def _list(session: AsyncSession) -> list[Any]:
        return await list_cohorts(session)

    rows = run_db(ctx, _list)
    if not rows:
        click.echo("no cohorts yet: create one with `aksi cohort create`")
        return
    click.echo(f"{'CODE':<12} {'NAME':<40} {'TIMEZONE':<16} {'DATES':<24} PART SESS MAT")
    for r in rows:
        c = r.cohort
        dates = f"{c.starts_on} to {c.ends_on}"
        click.echo(
            f"{c.code:<12} {c.name[:40]:<40} {c.timezone:<16} {dates:<24} "
            f"{r.participants:>4} {r.sessions:>4} {r.materials:>3}"
        )


def _import(
    ctx: click.Context,
    code: str,
    file: Path,
    replace: bool,
    kind: str,
    apply: Callable[[AsyncSession, Cohort, bytes, bool], Awaitable[ImportSummary]],
) -> None:
    data = file.read_bytes()

    async def _work(session: AsyncSession) -> str:
        c = await get_cohort(session, code)
        try:
            summary = await apply(session, c, data, replace)
        except ImportRefused as exc:
            problems = "\n".join(f"  {p}" for p in exc.problems)
            raise AksiError(f"{file.name} refused, nothing was written:\n{problems}") from None
        return f"{file.name} imported into {c.code}: {kind} {summary}"

    click.echo(run_db(ctx, _work))


async def _apply_schedule(
    session: AsyncSession, c: Cohort, data: bytes, replace: bool
) -> ImportSummary:
    return await apply_schedule(session, c, parse_schedule(data, c), replace=replace)


async def _apply_materials(
    session: AsyncSession, c: Cohort, data: bytes, replace: bool
) -> ImportSummary:
    return await apply_materials(session, c, parse_materials(data), replace=replace)


COHORT_OPTION = click.option("--cohort", "code", required=True, help="The cohort's code.")
FILE_ARGUMENT = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))


@main.group()
def schedule() -> None:
    """A cohort's sessions. CSV header: date,start,end,title,speaker,link."""


@schedule.command("import")
@COHORT_OPTION
@click.option("--replace", is_flag=True, help="Also remove sessions that are not in the file.")
@FILE_ARGUMENT
@click.pass_context
def schedule_import(ctx: click.Context, code: str, replace: bool, file: Path) -> None:
    """Import sessions from a UTF-8 CSV file.

    Columns: date (YYYY-MM-DD), start and end (HH:MM in the cohort's zone), title, and
    optional speaker and link (http/https). Importing again updates sessions with the same
    start; a file with any problem is refused whole, naming each line.
    """
    _import(ctx, code, file, replace, "sessions", _apply_schedule)


@main.group()
def materials() -> None:
    """A cohort's materials. CSV header: module,title,url."""


@materials.command("import")
@COHORT_OPTION
@click.option("--replace", is_flag=True, help="Also remove materials that are not in the file.")
@FILE_ARGUMENT
@click.pass_context
def materials_import(ctx: click.Context, code: str, replace: bool, file: Path) -> None:
    """Import materials from a UTF-8 CSV file.

    Columns: module, title, url (http/https). Importing again updates the material with the
    same module and title; a file with any problem is refused whole, naming each line.
    """
    _import(ctx, code, file, replace, "materials", _apply_materials)
