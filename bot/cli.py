"""`aksi`: the organisers' command line, and the way the bot is started.

The `main` group and the commands that start things (`run`, `chat`, `db upgrade`) are here; the
organisers' groups of commands each live in a `bot/cli_*.py` module (the shared plumbing in
`bot.cli_common`) and are added to `main` below. Their names are importable from here too.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError
from telegram.error import InvalidToken, NetworkError

from bot.cli_cohort import DateParam, cohort, cohort_create, cohort_list, cohort_reminders
from bot.cli_common import (
    COHORT_OPTION,
    EXIT_CONFIG,
    EXIT_FAILED,
    FILE_ARGUMENT,
    SEPARATOR_OPTION,
    counted,
    dry_run_db,
    fail,
    run_db,
    settings_of,
    write_atomically,
)
from bot.cli_imports import (
    ITEMS_LISTED,
    Apply,
    materials,
    materials_import,
    schedule,
    schedule_import,
)
from bot.cli_mentor import mentor
from bot.cli_report import report, report_export
from bot.cli_roster import participants, participants_import, participants_links
from bot.cli_staff import (
    USER_ID_ARGUMENT,
    facilitator,
    facilitator_add,
    facilitator_list,
    facilitator_remove,
)
from bot.cli_training import evaluation, quiz
from bot.cli_whatsapp import whatsapp
from bot.logs import setup_logging
from bot.settings import Settings
from storage import backup as backups
from storage.db import create_engine, current_revision, upgrade

__all__ = [
    "COHORT_OPTION",
    "EXIT_CONFIG",
    "EXIT_FAILED",
    "FILE_ARGUMENT",
    "ITEMS_LISTED",
    "SEPARATOR_OPTION",
    "USER_ID_ARGUMENT",
    "Apply",
    "DateParam",
    "chat",
    "cohort",
    "cohort_create",
    "cohort_list",
    "cohort_reminders",
    "counted",
    "db",
    "db_upgrade",
    "dry_run_db",
    "facilitator",
    "facilitator_add",
    "facilitator_list",
    "facilitator_remove",
    "fail",
    "main",
    "materials",
    "materials_import",
    "participants",
    "participants_import",
    "participants_links",
    "report",
    "report_export",
    "run",
    "run_db",
    "schedule",
    "schedule_import",
    "settings_of",
    "write_atomically",
]


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
    setup_logging(settings.aksi_log_level, settings.token, form=settings.aksi_log_format)
    run_bot(settings, webhook=False)


@main.command()
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Run the bot behind Telegram's webhook: Aksi's HTTP server takes the updates Telegram
    posts (and answers /healthz, /readyz, /metrics) on AKSI_HTTP_HOST:AKSI_HTTP_PORT."""
    settings = settings_of(ctx)
    for name, value in (
        ("TELEGRAM_BOT_TOKEN", settings.token),
        ("AKSI_WEBHOOK_URL", settings.aksi_webhook_url),
        ("AKSI_WEBHOOK_SECRET", settings.webhook_secret),
    ):
        if not value:
            fail(f"configuration error: {name} is not set (aksi serve needs it)", EXIT_CONFIG)
    setup_logging(
        settings.aksi_log_level,
        settings.token,
        settings.webhook_secret,
        form=settings.aksi_log_format,
    )
    run_bot(settings, webhook=True)


def run_bot(settings: Settings, *, webhook: bool) -> None:
    """Run the bot until SIGINT or SIGTERM, taking updates by long polling or by webhook; a
    failure to start ends with one line and a non-zero exit."""
    from bot.runner import freeze_startup, install_stop_signals, serve
    from bot.webhook import Polling, Webhook, WebhookRefused

    async def _main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        intake = Webhook(settings) if webhook else Polling()
        await serve(settings, stop, on_ready=freeze_startup, intake=intake)

    try:
        asyncio.run(_main())
    except InvalidToken:
        fail(
            "TELEGRAM_BOT_TOKEN was refused by the Bot API (check it with @BotFather)", EXIT_CONFIG
        )
    except WebhookRefused as exc:
        fail(str(exc), EXIT_CONFIG)
    except NetworkError as exc:
        fail(f"cannot reach the Bot API at {settings.telegram_api_base_url}: {exc}")
    except (SQLAlchemyError, OSError) as exc:
        what = "cannot serve" if webhook else "database error"
        fail(f"{what}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")


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
@click.option(
    "--telegram",
    is_flag=True,
    help="Run the whole Telegram bot against a local Bot API stand-in (default: the engine "
    "on the in-memory channel); the same as --channel telegram.",
)
@click.option(
    "--channel",
    type=click.Choice(["memory", "telegram", "whatsapp"]),
    default=None,
    help="memory (the default: the engine in this process), telegram (the whole Telegram bot "
    "against a local Bot API stand-in) or whatsapp (the WhatsApp channel against a local Cloud "
    "API stand-in: buttons, lists and keywords as a WhatsApp participant sees them).",
)
@click.pass_context
def chat(
    ctx: click.Context,
    user_id: int,
    name: str,
    lang: str,
    demo: bool,
    telegram: bool,
    channel: str | None,
) -> None:
    """Chat with Aksi in this terminal: the real features, no Telegram needed."""
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
        telegram=telegram,
        channel=channel or "",
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


@db.command("backup")
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path), help="The new backup file."
)
@click.pass_context
def db_backup(ctx: click.Context, out: Path) -> None:
    """Copy the SQLite database to a new file, safely while the bot runs (SQLite's backup
    API: a consistent snapshot). PostgreSQL: use pg_dump (see the README)."""
    settings = settings_of(ctx)
    try:
        revision = backups.backup(settings.database_url, out)
    except (backups.BackupError, sqlite3.Error, OSError) as exc:
        fail(f"backup failed: {exc}")
        return
    click.echo(f"backed up to {out} (schema revision {revision}, {out.stat().st_size:,} bytes)")


@db.command("restore")
@click.option(
    "--from", "source", required=True, type=click.Path(path_type=Path), help="A backup file."
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def db_restore(ctx: click.Context, source: Path, yes: bool) -> None:
    """Replace the database with a backup (stop the bot first), then bring its schema up to
    this release."""
    settings = settings_of(ctx)
    try:
        target = backups.sqlite_path(settings.database_url)
        revision = backups.inspect(source)
        backups.known_revision(revision)
    except (backups.BackupError, sqlite3.Error, OSError) as exc:
        fail(f"restore refused: {exc}")
        return
    taken = datetime.fromtimestamp(source.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    click.echo(
        f"This replaces everything in {target} with the backup {source} "
        f"(schema revision {revision}, written {taken}). Stop the bot first."
    )
    if not yes and not click.confirm("Replace the database?", default=False):
        fail("nothing was changed", EXIT_FAILED)
    try:
        backups.restore(source, settings.database_url)
    except (backups.BackupError, sqlite3.Error, OSError) as exc:
        fail(f"restore failed, the database is as it was: {exc}")
        return
    ctx.invoke(db_upgrade)


main.add_command(cohort)
main.add_command(schedule)
main.add_command(materials)
main.add_command(participants)
main.add_command(facilitator)
main.add_command(report)
main.add_command(mentor)
main.add_command(quiz)
main.add_command(evaluation)
main.add_command(whatsapp)
