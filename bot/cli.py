"""`aksi`: the organisers' command line, and the way the bot is started."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import InvalidToken, NetworkError

from bot.logs import setup_logging
from bot.settings import Settings, SettingsError, check_bot_username, load_settings
from core.cohorts import create_cohort, get_cohort, list_cohorts
from core.errors import AksiError, InvalidInput
from core.facilitators import change_facilitator, staff_listing
from core.imports import (
    ImportRefused,
    ImportSummary,
    apply_materials,
    apply_schedule,
    parse_materials,
    parse_schedule,
)
from core.reading import BadDate, BadTime, read_iso_date
from core.roster import apply_roster, cohort_entries, link_for, links_csv, parse_roster
from core.spreadsheet import separator_for
from core.staff import parse_user_id
from core.timefmt import local, zone_abbreviation
from scheduler.reminders import set_cohort_reminders
from storage.db import create_engine, current_revision, sessionmaker, upgrade
from storage.models import Cohort

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


class DateParam(click.ParamType[date]):
    """YYYY-MM-DD; a date that does not exist (2021-02-30) is called that, not a bad format."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return read_iso_date(str(value), strict=True)
        except BadDate as exc:
            if exc.impossible:
                self.fail(f"{value} is not a date that exists", param, ctx)
            self.fail(f"{value!r} is not a date written YYYY-MM-DD", param, ctx)


@main.group()
def cohort() -> None:
    """Training cohorts (angkatan)."""


@cohort.command("create")
@click.option(
    "--code", required=True, help="Join code, used in the invitation link (e.g. REVMEN1)."
)
@click.option("--name", required=True, help='Cohort name, e.g. "Angkatan I".')
@click.option("--timezone", default=None, help="IANA zone [default: AKSI_DEFAULT_TIMEZONE].")
@click.option("--starts", required=True, type=DateParam(), help="First day, YYYY-MM-DD.")
@click.option("--ends", required=True, type=DateParam(), help="Last day, YYYY-MM-DD.")
@click.pass_context
def cohort_create(
    ctx: click.Context, code: str, name: str, timezone: str | None, starts: date, ends: date
) -> None:
    """Create a cohort that participants join with its code."""
    tz = timezone or settings_of(ctx).aksi_default_timezone

    async def _create(session: AsyncSession) -> str:
        c = await create_cohort(
            session, code=code, name=name, timezone=tz, starts=starts, ends=ends
        )
        return c.code

    created = run_db(ctx, _create)
    click.echo(f"created cohort {created}: {name} ({tz}, {starts} to {ends})")
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
        except BadTime as exc:
            if exc.impossible:
                message = f"{exc.typed} is not a time that exists (hours 00-23, minutes 00-59)"
            else:
                message = "times are HH:MM (e.g. 07:00), or 'off' for the evening and morning ones"
            raise AksiError(message) from None
        except InvalidInput as exc:
            raise AksiError(str(exc)) from None
        return (
            f"{c.code}: daily {c.reminder_time}, evening {c.evening_time or 'off'}, "
            f"morning summary {c.morning_summary_time or 'off'}, sessions "
            f"{c.session_lead_minutes} min before ({counted(moved, 'participant')} updated)"
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


ITEMS_LISTED = 20
Apply = Callable[[AsyncSession, Cohort, bytes, bool, bool], Awaitable[ImportSummary]]


def _import(
    ctx: click.Context,
    code: str,
    file: Path,
    kind: str,
    apply: Apply,
    *,
    replace: bool,
    yes: bool,
    include_past: bool = False,
) -> None:
    """Import `file`. Replacing first works out what it would remove (nothing written) and
    asks — at the terminal, or by `--yes` — before anything is removed; past sessions stay
    unless `include_past`."""
    data = file.read_bytes()

    async def _work(session: AsyncSession) -> tuple[str, str, ImportSummary]:
        c = await get_cohort(session, code)
        try:
            summary = await apply(session, c, data, replace, include_past)
        except ImportRefused as exc:
            problems = "\n".join(f"  {p}" for p in exc.problems)
            raise AksiError(f"{file.name} refused, nothing was written:\n{problems}") from None
        return c.code, c.timezone, summary

    if replace:
        cohort_code, tz, preview = dry_run_db(ctx, _work)
        if preview.removed and not yes:
            _confirm_removal(file, cohort_code, tz, kind, preview)

    async def _apply(session: AsyncSession) -> str:
        cohort_code, _, summary = await _work(session)
        if replace and summary.counts != preview.counts:
            raise AksiError(
                f"{cohort_code} changed while you were asked; nothing was written: run it again"
            )
        return f"{file.name} imported into {cohort_code}: {kind} {summary}"

    click.echo(run_db(ctx, _apply))


def _confirm_removal(file: Path, code: str, tz: str, kind: str, preview: ImportSummary) -> None:
    """Say what replacing removes; go on only on a "yes" typed at a terminal."""
    items = [
        f"  {local(at, tz):%Y-%m-%d %H:%M} {zone_abbreviation(tz, at)}  {title}"
        if at
        else f"  {title}"
        for at, title in preview.removed_items[:ITEMS_LISTED]
    ]
    if preview.removed > ITEMS_LISTED:
        items.append(f"  ... and {preview.removed - ITEMS_LISTED} more")
    listing = "\n".join(items)
    what = f"--replace with {file.name} removes {preview.removed} of {code}'s {kind}"
    if not sys.stdin.isatty():
        fail(f"{what}; nothing was written. Run again with --yes to remove them:\n{listing}")
    click.echo(f"{what}:\n{listing}", err=True)
    if not click.confirm("Remove them?", default=False, err=True):
        fail("nothing was written")


def _yes_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--yes", is_flag=True, help=f"With --replace: remove the {what} without asking."
    )


async def _apply_schedule(
    session: AsyncSession, c: Cohort, data: bytes, replace: bool, include_past: bool
) -> ImportSummary:
    keep = None if include_past else datetime.now(UTC)
    return await apply_schedule(
        session, c, parse_schedule(data, c), replace=replace, keep_past_before=keep
    )


async def _apply_materials(
    session: AsyncSession, c: Cohort, data: bytes, replace: bool, include_past: bool
) -> ImportSummary:
    return await apply_materials(session, c, parse_materials(data), replace=replace)


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


@main.group()
def schedule() -> None:
    """A cohort's sessions. CSV header: date,start,end,title,speaker,link."""


@schedule.command("import")
@COHORT_OPTION
@click.option(
    "--replace",
    is_flag=True,
    help="Also remove sessions that are not in the file (past ones stay; see --include-past).",
)
@click.option("--include-past", is_flag=True, help="With --replace: also remove past sessions.")
@_yes_option("sessions")
@FILE_ARGUMENT
@click.pass_context
def schedule_import(
    ctx: click.Context, code: str, replace: bool, include_past: bool, yes: bool, file: Path
) -> None:
    """Import sessions from a UTF-8 CSV file.

    Columns: date (YYYY-MM-DD), start and end (HH:MM in the cohort's zone), title, and
    optional speaker and link (http/https). Importing again updates sessions with the same
    start; a file with any problem is refused whole, naming each line.
    """
    _import(
        ctx,
        code,
        file,
        "sessions",
        _apply_schedule,
        replace=replace,
        yes=yes,
        include_past=include_past,
    )


@main.group()
def materials() -> None:
    """A cohort's materials. CSV header: module,title,url."""


@materials.command("import")
@COHORT_OPTION
@click.option("--replace", is_flag=True, help="Also remove materials that are not in the file.")
@_yes_option("materials")
@FILE_ARGUMENT
@click.pass_context
def materials_import(ctx: click.Context, code: str, replace: bool, yes: bool, file: Path) -> None:
    """Import materials from a UTF-8 CSV file.

    Columns: module, title, url (http/https). Importing again updates the material with the
    same module and title; a file with any problem is refused whole, naming each line.
    """
    _import(ctx, code, file, "materials", _apply_materials, replace=replace, yes=yes)


async def _apply_roster(
    session: AsyncSession, c: Cohort, data: bytes, replace: bool, include_past: bool
) -> ImportSummary:
    return await apply_roster(session, c, parse_roster(data), replace=replace)


@main.group()
def participants() -> None:
    """A cohort's official participant list (roster) and personal join links.

    CSV header: name,unit,nip,telegram_username (nip and telegram_username optional).
    """


@participants.command("import")
@COHORT_OPTION
@click.option(
    "--replace",
    is_flag=True,
    help="Also remove roster rows not in the file (rows someone has joined with are kept).",
)
@_yes_option("roster rows")
@FILE_ARGUMENT
@click.pass_context
def participants_import(
    ctx: click.Context, code: str, replace: bool, yes: bool, file: Path
) -> None:
    """Import the roster from a UTF-8 CSV file; each person gets a personal join link.

    Columns: name, unit (OPD, may be empty), and optional nip (18 digits) and
    telegram_username. Importing again updates the row with the same NIP (else the same
    name) and keeps its link; a file with any problem is refused whole, naming each line.
    Members who joined by the code and whose Telegram username is on the roster are matched.
    """
    _import(ctx, code, file, "roster rows", _apply_roster, replace=replace, yes=yes)


@participants.command("links")
@COHORT_OPTION
@click.option("--bot", "bot_username", help="The bot's username [default: AKSI_BOT_USERNAME].")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write a CSV (name,unit,nip,telegram_username,link,joined) instead of printing.",
)
@SEPARATOR_OPTION
@click.pass_context
def participants_links(
    ctx: click.Context,
    code: str,
    bot_username: str | None,
    out: Path | None,
    separator: str | None,
) -> None:
    """Print each roster person's personal join link, or write them all to a CSV file.

    Send each link only to its person: whoever opens it first is tied to that roster row.
    The CSV is in the language of AKSI_DEFAULT_LANGUAGE (`;` for Indonesian, see --sep); NIPs
    are written in groups (19800101 200501 1 001) so spreadsheets keep them whole, and the
    file can be imported back with `aksi participants import` (link and joined are ignored).
    """
    settings = settings_of(ctx)
    if separator is not None and out is None:
        fail("--sep is for the CSV file (--out FILE)", EXIT_CONFIG)
    try:
        username = check_bot_username(bot_username or settings.aksi_bot_username or "")
    except ValueError as exc:
        if not (bot_username or settings.aksi_bot_username):
            fail("no bot username: pass --bot USERNAME or set AKSI_BOT_USERNAME", EXIT_CONFIG)
        fail(f"--bot: {exc}", EXIT_CONFIG)
        return

    async def _links(session: AsyncSession) -> tuple[str, list[tuple[str, str, str]], bytes]:
        c, entries = await cohort_entries(session, code)
        if not entries:
            raise AksiError(
                f"cohort {c.code} has no roster yet: load one with "
                f"`aksi participants import --cohort {c.code} FILE`"
            )
        lines = [(e.name, e.unit or "", link_for(username, e.join_token)) for e in entries]
        sep = separator or separator_for(settings.aksi_default_language)
        return c.code, lines, links_csv(entries, partial(link_for, username), separator=sep)

    cohort_code, lines, data = run_db(ctx, _links)
    if out is None:
        for name, unit, link in lines:
            click.echo(f"{name}\t{unit}\t{link}")
        return
    try:
        write_atomically(out, data)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(f"wrote {counted(len(lines), 'personal link')} of {cohort_code} to {out}")


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


@main.group()
def facilitator() -> None:
    """Facilitators of a cohort (admins come from AKSI_ADMIN_IDS)."""


USER_ID_ARGUMENT = click.argument("user_id", metavar="TELEGRAM_USER_ID")


def _change_facilitator(ctx: click.Context, code: str, user_id_text: str, add: bool) -> None:
    settings = settings_of(ctx)
    try:
        user_id = parse_user_id(user_id_text)
    except ValueError as exc:
        fail(str(exc))
        return

    async def _work(session: AsyncSession) -> tuple[str, bool, bool]:
        change = await change_facilitator(
            session, code, user_id, add=add, admin_ids=settings.aksi_admin_ids
        )
        return change.cohort.code, change.changed, change.still_staff

    cohort_code, changed, still_staff = run_db(ctx, _work)
    if add:
        click.echo(
            f"{user_id} is now a facilitator of {cohort_code}"
            if changed
            else f"{user_id} was already a facilitator of {cohort_code}"
        )
    else:
        click.echo(
            f"{user_id} is no longer a facilitator of {cohort_code}"
            if changed
            else f"{user_id} was not a facilitator of {cohort_code}"
        )
    if changed and settings.token:
        warning = asyncio.run(_update_staff_menu(settings, user_id, still_staff))
        if warning:
            click.echo(f"aksi: {warning}", err=True)


async def _update_staff_menu(settings: Settings, user_id: int, staff: bool) -> str | None:
    """Give (or take back) the facilitator command menu at once; the bot also sets it for
    every facilitator when it starts. A failure is a warning: the change itself is saved."""
    from telegram import Bot
    from telegram.error import TelegramError

    from bot.app import set_staff_menu
    from core.i18n import Catalogs

    try:
        async with Bot(settings.token, base_url=settings.telegram_api_base_url) as telegram:
            await set_staff_menu(telegram, Catalogs(), user_id, staff=staff)
    except TelegramError as exc:
        return f"the command menu was not updated ({exc}); it is set when the bot next starts"
    return None


@facilitator.command("add")
@COHORT_OPTION
@USER_ID_ARGUMENT
@click.pass_context
def facilitator_add(ctx: click.Context, code: str, user_id: str) -> None:
    """Make a Telegram user a facilitator of the cohort (their command menu follows)."""
    _change_facilitator(ctx, code, user_id, add=True)


@facilitator.command("remove")
@COHORT_OPTION
@USER_ID_ARGUMENT
@click.pass_context
def facilitator_remove(ctx: click.Context, code: str, user_id: str) -> None:
    """Take a Telegram user off the cohort's facilitators."""
    _change_facilitator(ctx, code, user_id, add=False)


@facilitator.command("list")
@click.option("--cohort", "code", help="Only this cohort.")
@click.pass_context
def facilitator_list(ctx: click.Context, code: str | None) -> None:
    """List the facilitators of every cohort (or one), and the admins."""
    settings = settings_of(ctx)

    async def _list(session: AsyncSession) -> list[str]:
        lines = []
        for item in await staff_listing(session, code):
            people = ", ".join(
                f"{f.user_id} ({f.name})" if f.name else str(f.user_id) for f in item.facilitators
            )
            lines.append(f"{item.cohort.code:<12} {people or '(none)'}")
        return lines

    lines = run_db(ctx, _list)
    if not lines:
        click.echo("no cohorts yet: create one with `aksi cohort create`")
    for line in lines:
        click.echo(line)
    admins = ", ".join(str(a) for a in settings.aksi_admin_ids) or "(none)"
    click.echo(f"admins (AKSI_ADMIN_IDS, every cohort): {admins}")


@main.group()
def report() -> None:
    """Cohort reports: check-ins per participant, day and habit."""


@report.command("export")
@COHORT_OPTION
@click.option(
    "--format",
    "file_format",
    metavar="xlsx|csv",
    help="xlsx (rows and a summary sheet) or csv (UTF-8 with BOM) [default: from --out].",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The file to write.")
@click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    help="Language of headers and statuses [default: AKSI_DEFAULT_LANGUAGE].",
)
@SEPARATOR_OPTION
@click.pass_context
def report_export(
    ctx: click.Context,
    code: str,
    file_format: str | None,
    out: Path,
    lang: str | None,
    separator: str | None,
) -> None:
    """Write the cohort's check-ins: one row per participant, day and habit (name, unit, NIP,
    date, habit, unit of measure, target, value, status, note), up to today.

    Days nobody logged are there as "not logged". The file is written whole or not at all.
    """
    import os

    from core.i18n import Catalogs
    from core.report_files import csv_bytes, xlsx_bytes
    from core.reports import export

    settings = settings_of(ctx)
    chosen = (file_format or out.suffix.lstrip(".")).lower()
    if chosen not in ("xlsx", "csv"):
        shown = file_format or out.suffix or "(none)"
        fail(f"--format must be xlsx or csv, not {shown!r}", EXIT_CONFIG)
    if separator is not None and chosen != "csv":
        fail("--sep is for a CSV file (--format csv)", EXIT_CONFIG)
    folder = out.resolve().parent
    if out.is_dir():
        fail(f"cannot write {out}: it is a folder")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        fail(f"cannot write {out}: no writable folder {folder}")
    catalogs = Catalogs()
    language = lang or settings.aksi_default_language

    def label(key: str, /, **values: object) -> str:
        return catalogs.plain(language, key, **values)

    async def _export(session: AsyncSession) -> tuple[str, int, bytes]:
        c = await get_cohort(session, code)
        data = await export(session, c, datetime.now(UTC))
        if chosen == "xlsx":
            blob = xlsx_bytes(data, label)
        else:
            blob = csv_bytes(data, label, separator=separator or separator_for(language))
        return c.code, len(data.rows), blob

    cohort_code, count, blob = run_db(ctx, _export)
    try:
        write_atomically(out, blob)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(f"wrote {counted(count, 'row')} of {cohort_code} to {out} ({chosen})")
