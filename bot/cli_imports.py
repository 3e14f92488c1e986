"""`aksi schedule import` and `aksi materials import`, and the import flow they share.

A file is validated whole and written all or nothing (`core.imports`). Replacing can remove
what is not in the file, so it is worked out first without writing, shown, and asked for (at a
terminal, or by `--yes`) before anything is removed. The roster import (`bot.cli_roster`) goes
through the same flow.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_common import COHORT_OPTION, FILE_ARGUMENT, dry_run_db, fail, refused, run_db
from core.cohorts import get_cohort
from core.errors import AksiError
from core.imports import (
    ImportRefused,
    ImportSummary,
    apply_materials,
    apply_schedule,
    parse_materials,
    parse_schedule,
)
from core.timefmt import local, zone_abbreviation
from storage.models import Cohort

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
            raise refused(file, exc) from None
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


@click.group()
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


@click.group()
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
