"""`aksi participants`: a cohort's official participant list (roster) and personal join links.

The roster is imported like the schedule (`bot.cli_imports`: all or nothing, removals asked
for); the links come out on the terminal or as a CSV file that imports back, written whole or
not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_common import (
    COHORT_OPTION,
    EXIT_CONFIG,
    FILE_ARGUMENT,
    SEPARATOR_OPTION,
    counted,
    fail,
    run_db,
    settings_of,
    write_atomically,
)
from bot.cli_imports import _import, _yes_option
from bot.settings import check_bot_username
from core.errors import AksiError
from core.imports import ImportSummary
from core.roster import apply_roster, cohort_entries, link_for, links_csv, parse_roster
from core.roster_tokens import whatsapp_link_for
from core.spreadsheet import separator_for
from storage.models import Cohort


async def _apply_roster(
    session: AsyncSession, c: Cohort, data: bytes, replace: bool, include_past: bool
) -> ImportSummary:
    return await apply_roster(session, c, parse_roster(data), replace=replace)


@click.group()
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
    "--whatsapp",
    is_flag=True,
    help="Links that open WhatsApp with GABUNG <token> typed (wa.me; WHATSAPP_DISPLAY_NUMBER).",
)
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
    whatsapp: bool,
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
    link: Callable[[str], str]
    if whatsapp:
        if bot_username:
            fail("--bot is for Telegram links, not with --whatsapp", EXIT_CONFIG)
        if not settings.whatsapp_display_number:
            fail("no WhatsApp number: set WHATSAPP_DISPLAY_NUMBER (digits, 62…)", EXIT_CONFIG)
        link = partial(whatsapp_link_for, settings.whatsapp_display_number)
    else:
        try:
            username = check_bot_username(bot_username or settings.aksi_bot_username or "")
        except ValueError as exc:
            if not (bot_username or settings.aksi_bot_username):
                fail("no bot username: pass --bot USERNAME or set AKSI_BOT_USERNAME", EXIT_CONFIG)
            fail(f"--bot: {exc}", EXIT_CONFIG)
            return
        link = partial(link_for, username)

    async def _links(session: AsyncSession) -> tuple[str, list[tuple[str, str, str]], bytes]:
        c, entries = await cohort_entries(session, code)
        if not entries:
            raise AksiError(
                f"cohort {c.code} has no roster yet: load one with "
                f"`aksi participants import --cohort {c.code} FILE`"
            )
        lines = [(e.name, e.unit or "", link(e.join_token)) for e in entries]
        sep = separator or separator_for(settings.aksi_default_language)
        return c.code, lines, links_csv(entries, link, separator=sep)

    cohort_code, lines, data = run_db(ctx, _links)
    if out is None:
        for name, unit, personal in lines:
            click.echo(f"{name}\t{unit}\t{personal}")
        return
    try:
        write_atomically(out, data)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(f"wrote {counted(len(lines), 'personal link')} of {cohort_code} to {out}")
