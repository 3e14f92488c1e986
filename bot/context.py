"""What every handler can reach: settings, the database, the catalogs and the clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import Catalogs
from bot.pacing import Pacer
from bot.settings import Settings
from core.rendering import Renderer
from storage.db import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    db: Database
    i18n: Catalogs
    clock: Callable[[], datetime] = field(default=utc_now)
    # Paces everything sent to Telegram; replies go before announcements (bot.pacing).
    pacer: Pacer = field(default_factory=lambda: Pacer(0))
    # Set when an announcement is confirmed, so the sender (bot.broadcast) starts at once.
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Who may have an open confirmation (handlers.confirm): a hint in front of the table, so
    # that the check before every update costs nothing for everyone else. None: not read yet.
    asking: set[int] | None = None
    # Draws pictures away from the event loop (worker processes in `aksi run`).
    renderer: Renderer = field(default_factory=Renderer)


class BotData:
    """The application's shared state: only the services, set once in `build_application`."""

    services: Services | None = None


class AksiContext(
    CallbackContext[ExtBot[None], dict[object, object], dict[object, object], BotData]
):
    """A CallbackContext that knows Aksi's services (see PTB's contexttypesbot example)."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are not set up")
        return services
