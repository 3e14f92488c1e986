"""Build the PTB Application from settings: the one place where everything is wired."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes

import handlers
from bot import routes
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_order import ChatOrderedProcessor
from bot.channels.telegram_request import AiohttpRequest
from bot.context import AksiContext, BotData, Services
from bot.pacing import PacedRateLimiter
from bot.settings import Settings
from core.channel import Address
from core.i18n import Catalogs
from core.pacing import Pacer
from core.rendering import Renderer
from core.services import utc_now
from core.staff import staff_telegram_ids
from storage.db import Database

log = logging.getLogger("aksi")

REPLY_CONNECTIONS = 128  # = bot.chats.RUNNING
AksiApplication = Application[Any, AksiContext, Any, Any, BotData, Any]


def build_application(
    settings: Settings,
    engine: AsyncEngine,
    *,
    services: Services | None = None,
    application_class: type[Application[Any, Any, Any, Any, Any, Any]] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> AksiApplication:
    """The bot, with every handler registered and the services in `bot_data`."""
    services = services or Services(
        settings=settings,
        engine=engine,
        db=Database(engine),
        i18n=Catalogs(),
        clock=clock or utc_now,
        pacer=Pacer(
            settings.aksi_max_messages_per_second,
            # Half the round trip's spread, each way (the answer's leg takes the other half).
            jitter=settings.aksi_network_jitter_ms / 2000,
        ),
        renderer=Renderer(settings.aksi_render_processes),
    )
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot", 1))
        .context_types(ContextTypes(context=AksiContext, bot_data=BotData))
        .rate_limiter(PacedRateLimiter(services.pacer, max_retries=3))
        .concurrent_updates(ChatOrderedProcessor())  # chats side by side, each in order
        # Enough connections for the replies in flight: one for each event handled at once
        # (`bot.chats.RUNNING`), each waiting out a 150 ms round trip; 30 msg/s of bulk sends
        # alone need about 5. On aiohttp: a third of httpx's CPU per call.
        .request(AiohttpRequest(REPLY_CONNECTIONS))
        .get_updates_request(AiohttpRequest(1))
    )
    if application_class is not None:
        builder = builder.application_class(application_class)
    app: AksiApplication = builder.build()
    app.bot_data.services = services
    services.channels[TelegramChannel.name] = TelegramChannel(app.bot)

    async def staff_menu(where: Address, staff: bool) -> None:
        if where.channel == TelegramChannel.name:
            await set_staff_menu(app.bot, services.i18n, int(where.external_id), staff=staff)

    services.staff_menu = staff_menu
    routes.register(app)
    return app


def command_menus(catalogs: Catalogs, staff: bool = False) -> dict[str | None, list[BotCommand]]:
    """The command menu per language code (None: the default, Indonesian); `staff` adds the
    facilitator commands after the participants'."""
    menus: dict[str | None, list[BotCommand]] = {}
    for lang, names in handlers.MENU.items():
        extra = handlers.STAFF_MENU[lang] if staff else []
        commands = [BotCommand(n, catalogs.plain(lang, f"menu.{n}")) for n in [*extra, *names]]
        menus[None if lang == "id" else lang] = commands
    return menus


async def set_staff_menu(bot: Bot, catalogs: Catalogs, user_id: int, staff: bool) -> None:
    """Give one person (their private chat) the facilitator menu, or take it back. A person who
    never opened the bot has no chat yet: logged, and set again at the next start."""
    for language_code, commands in command_menus(catalogs, staff=True).items():
        scope = BotCommandScopeChat(chat_id=user_id)
        try:
            if staff:
                await bot.set_my_commands(commands, scope=scope, language_code=language_code)
            else:
                await bot.delete_my_commands(scope=scope, language_code=language_code)
        except TelegramError as exc:
            log.info("could not set the facilitator menu of %s: %s", user_id, exc)


async def register_command_menus(app: AksiApplication) -> None:
    """Set the menus in both languages; a failure is logged and the bot keeps running."""
    services = app.bot_data.services
    assert services is not None
    for language_code, commands in command_menus(services.i18n).items():
        try:
            await app.bot.set_my_commands(
                commands, scope=BotCommandScopeDefault(), language_code=language_code
            )
        except TelegramError as exc:
            log.warning(
                "could not register the command menu (%s): %s; carrying on",
                language_code or "default",
                exc,
            )
    async with services.db() as session:
        staff_ids = await staff_telegram_ids(session)
    for user_id in sorted({*services.settings.aksi_admin_ids, *staff_ids}):
        await set_staff_menu(app.bot, services.i18n, user_id, staff=True)
