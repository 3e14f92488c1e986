"""`aksi whatsapp`: what an organiser sets up on Meta's side for WhatsApp (issue 15)."""

from __future__ import annotations

import click

from bot.channels.whatsapp_templates import listing
from bot.cli_common import settings_of
from core.i18n import Catalogs


@click.group()
def whatsapp() -> None:
    """WhatsApp Cloud API set-up."""


@whatsapp.command("templates")
@click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    default=None,
    help="The language of this listing (default: AKSI_DEFAULT_LANGUAGE).",
)
@click.pass_context
def whatsapp_templates(ctx: click.Context, lang: str | None) -> None:
    """List the templates configured for messages outside the 24-hour window (WHATSAPP_TEMPLATES)
    and which kinds have none, then print the texts to submit to Meta for approval."""
    settings = settings_of(ctx)
    catalogs = Catalogs()
    words = catalogs.plain
    click.echo(
        listing(settings.whatsapp_template_set, words, lang or settings.aksi_default_language)
    )
