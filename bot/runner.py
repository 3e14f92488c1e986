"""Running the bot with long polling: migrate, start, serve until asked to stop, stop cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import make_url
from telegram import Update

from bot.app import AksiApplication, build_application, register_command_menus
from bot.settings import Settings
from storage.db import create_engine, upgrade

log = logging.getLogger("aksi")


def describe_database(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def serve(
    settings: Settings,
    stop: asyncio.Event,
    *,
    application_class: type[Any] | None = None,
    clock: Callable[[], datetime] | None = None,
    on_ready: Callable[[AksiApplication], Awaitable[None]] | None = None,
) -> None:
    """Run until `stop` is set. Updates sent while the bot was down are kept, not dropped."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        app = build_application(settings, engine, application_class=application_class, clock=clock)
        async with app:  # initialize() calls getMe: a bad token or no network fails here
            await register_command_menus(app)
            assert app.updater is not None
            await app.updater.start_polling(
                drop_pending_updates=False, allowed_updates=Update.ALL_TYPES
            )
            await app.start()
            log.info(
                "Aksi is running as @%s (Bot API %s, database %s)",
                app.bot.username,
                settings.telegram_api_base_url,
                describe_database(settings.database_url),
            )
            if on_ready is not None:
                await on_ready(app)
            await stop.wait()
            log.info("stopping: finishing the updates in hand")
            await app.updater.stop()
            await app.stop()
    finally:
        await engine.dispose()
    log.info("stopped")


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set `stop`, so the bot finishes what it is doing and exits."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
