"""`aksi facilitator`: who manages a cohort, besides the admins of AKSI_ADMIN_IDS.

A change is saved first; when a bot token is set, the person's Telegram command menu follows at
once. Telegram failing then is only a warning, since the bot sets every menu when it starts.
"""

from __future__ import annotations

import asyncio

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_common import COHORT_OPTION, fail, run_db, settings_of
from bot.settings import Settings
from core.channel import TELEGRAM
from core.facilitators import change_facilitator, staff_listing
from core.services import utc_now
from core.staff import parse_user_id


@click.group()
def facilitator() -> None:
    """Facilitators of a cohort (admins come from AKSI_ADMIN_IDS)."""


USER_ID_ARGUMENT = click.argument("user_id", metavar="TELEGRAM_USER_ID")
WHATSAPP_OPTION = click.option(
    "--whatsapp",
    is_flag=True,
    help="USER_ID is a WhatsApp number (digits with the country code, e.g. 6281234567890).",
)


def whatsapp_number(text: str) -> int:
    """A WhatsApp number typed by a person (`+62 812-3456-7890` too); ValueError naming it."""
    digits = "".join(ch for ch in text.strip() if ch not in "+ -")
    if not digits.isascii() or not digits.isdigit() or not 8 <= len(digits) <= 15:
        raise ValueError(
            f"{text.strip()[:40]!r} is not a WhatsApp number "
            "(digits with the country code, e.g. 6281234567890)"
        )
    if digits.startswith("0"):
        raise ValueError(f"{digits} starts with 0: write it with the country code (62…)")
    return int(digits)


def _change_facilitator(
    ctx: click.Context, code: str, user_id_text: str, add: bool, whatsapp: bool = False
) -> None:
    settings = settings_of(ctx)
    try:
        user_id = whatsapp_number(user_id_text) if whatsapp else parse_user_id(user_id_text)
    except ValueError as exc:
        fail(str(exc))
        return
    channel = "whatsapp" if whatsapp else TELEGRAM

    async def _work(session: AsyncSession) -> tuple[str, bool, bool]:
        change = await change_facilitator(
            session, code, user_id, add=add, admin_ids=settings.aksi_admin_ids, now=utc_now(),
            channel=channel,
        )  # fmt: skip
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
    if changed and settings.token and not whatsapp:  # a command menu is Telegram's
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
@WHATSAPP_OPTION
@click.pass_context
def facilitator_add(ctx: click.Context, code: str, user_id: str, whatsapp: bool) -> None:
    """Make a Telegram user (or, with --whatsapp, a WhatsApp number) a facilitator of the
    cohort (a Telegram user's command menu follows)."""
    _change_facilitator(ctx, code, user_id, add=True, whatsapp=whatsapp)


@facilitator.command("remove")
@COHORT_OPTION
@USER_ID_ARGUMENT
@WHATSAPP_OPTION
@click.pass_context
def facilitator_remove(ctx: click.Context, code: str, user_id: str, whatsapp: bool) -> None:
    """Take a Telegram user (or, with --whatsapp, a WhatsApp number) off the cohort's
    facilitators."""
    _change_facilitator(ctx, code, user_id, add=False, whatsapp=whatsapp)


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
                f"{f.user_id or f.whatsapp or '—'} ({f.name})"
                if f.name
                else str(f.user_id or f.whatsapp or "—")
                for f in item.facilitators
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
