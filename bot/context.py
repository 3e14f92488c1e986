"""What every handler can reach (the engine's `core.services.Services`, with the Telegram
wiring's own additions), and the PTB context that carries it."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import Application, CallbackContext, ExtBot

from bot.settings import Settings
from core.channel import Inbound
from core.services import Services as EngineServices


@dataclass
class Services(EngineServices):
    """The engine's services (`core.services`) plus what the Telegram wiring needs."""

    settings: Settings


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
        # The update as the contract's event, made once (PTB hands the same context to every
        # handler group of one update): `bot.channels.telegram_inbound.run_feature`.
        self.event: Inbound | None = None

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are not set up")
        return services
