"""`aksi whatsapp`: what an organiser sets up on Meta's side for WhatsApp (issue 15)."""

from __future__ import annotations

import asyncio

import click

from bot.channels.whatsapp_templates import MetaRefused, listing, statuses_at_meta
from bot.cli_common import EXIT_CONFIG, fail, settings_of
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
@click.option(
    "--check",
    is_flag=True,
    help="Also ask Meta each configured template's status (WHATSAPP_BUSINESS_ACCOUNT_ID and "
    "WHATSAPP_ACCESS_TOKEN).",
)
@click.pass_context
def whatsapp_templates(ctx: click.Context, lang: str | None, check: bool) -> None:
    """List the templates configured for messages outside the 24-hour window (WHATSAPP_TEMPLATES)
    and which kinds have none, then print the texts to submit to Meta for approval."""
    settings = settings_of(ctx)
    at_meta = None
    if check:
        token = settings.whatsapp_access_token.get_secret_value()
        if not settings.whatsapp_business_account_id or not token:
            fail(
                "--check needs WHATSAPP_BUSINESS_ACCOUNT_ID and WHATSAPP_ACCESS_TOKEN", EXIT_CONFIG
            )
        try:
            at_meta = asyncio.run(
                statuses_at_meta(
                    settings.whatsapp_api_base_url, settings.whatsapp_business_account_id, token
                )
            )
        except MetaRefused as exc:
            fail(f"could not ask Meta for the templates: {exc}")
    words = Catalogs().plain
    reader = lang or settings.aksi_default_language
    click.echo(listing(settings.whatsapp_template_set, words, reader, at_meta))
