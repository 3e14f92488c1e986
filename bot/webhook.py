"""How updates come in: long polling (`aksi run`) or Telegram's webhook posts to Aksi's own
HTTP server (`aksi serve`, `bot.web`). `bot.runner.serve` starts one and stops it first."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Generator
from functools import partial
from typing import Protocol

import uvicorn
from telegram import Update
from telegram.error import BadRequest

from bot.app import AksiApplication
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_order import ChatOrderedProcessor
from bot.metrics import Metrics
from bot.settings import Settings
from bot.web import web_app
from bot.whatsapp_web import WhatsAppIntake, whatsapp_intake
from core import held, inbound, menus, receipts
from core.chat_turns import ChatTurns
from core.services import Services

log = logging.getLogger("aksi")
PRUNE_EVERY_SECONDS = 3600.0


class Intake(Protocol):
    async def start(self, app: AksiApplication) -> None: ...

    async def stop(self) -> None: ...

    def ready(self) -> None:
        """Everything else has started: say so (readyz)."""
        ...


class Polling:
    """Long polling: the bot asks Telegram for updates (one process, no public address)."""

    def __init__(self) -> None:
        self._app: AksiApplication | None = None

    async def start(self, app: AksiApplication) -> None:
        assert app.updater is not None
        self._app = app
        await app.updater.start_polling(
            drop_pending_updates=False, allowed_updates=Update.ALL_TYPES
        )

    async def stop(self) -> None:
        if self._app is not None and self._app.updater is not None:
            await self._app.updater.stop()

    def ready(self) -> None:
        pass


async def handle_queued(
    app: AksiApplication, whatsapp: WhatsAppIntake | None, payload: str
) -> None:
    """One update taken from its chat's queue (`core.chat_turns`), handled to its end: a
    Telegram update through the application's processor (counted and timed as any other), a
    WhatsApp message through its intake."""
    data = json.loads(payload)
    if "whatsapp" in data:  # never a key of Telegram's updates
        if whatsapp is None:
            log.warning("a queued WhatsApp message, and WhatsApp is off here: dropped")
            return
        await whatsapp.handle_queued(data)
        return
    update = Update.de_json(data, app.bot)
    await app.update_processor.process_update(update, app.process_update(update))


class WebhookRefused(Exception):
    """Telegram would not take the webhook (its URL or port): the message says why."""


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on `host:port` (OSError when it is taken or not this machine's)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the bot's own (`install_stop_signals`) stop it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class Webhook:
    """Telegram posts each update to AKSI_WEBHOOK_URL; Aksi's HTTP server takes it in
    (`bot.web`), with /healthz, /readyz and /metrics beside it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self._ready = False
        self._server: _Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._pruning: asyncio.Task[None] | None = None
        self._services: Services | None = None
        self.turns: ChatTurns | None = None
        self.whatsapp: WhatsAppIntake | None = None

    async def start(self, app: AksiApplication) -> None:
        settings, services = self.settings, app.bot_data.services
        assert services is not None
        self._services = services
        processor = app.update_processor
        if isinstance(processor, ChatOrderedProcessor):
            processor.observe = self.metrics.observe
        if settings.whatsapp_enabled:
            self.whatsapp = whatsapp_intake(settings, services)
        if services.leadership is not None and services.leadership.shared:
            # PostgreSQL: other workers may share the database and the webhooks' posts.
            self.turns = ChatTurns(services.db, partial(handle_queued, app, self.whatsapp))
            if self.whatsapp is not None:
                self.whatsapp.turns = self.turns
            await self.turns.start()
        asgi = web_app(
            app,
            services,
            self.metrics,
            path=settings.webhook_path,
            secret=settings.webhook_secret,
            ready=lambda: self._ready,
            turns=self.turns,
            extra=self.whatsapp.routes() if self.whatsapp is not None else (),
        )
        config = uvicorn.Config(
            asgi,
            lifespan="off",
            access_log=False,
            log_level="warning",
            log_config=None,  # uvicorn's records go through Aksi's handler (format, redaction)
        )
        # Bound here, so a port in use is this process's one-line error, not uvicorn's exit.
        listening = listen(settings.aksi_http_host, settings.aksi_http_port)
        self._server = _Server(config)
        self._serving = asyncio.create_task(self._server.serve([listening]), name="http")
        while not self._server.started:
            if self._serving.done():
                await self._serving
                raise OSError("the HTTP server stopped while starting")
            await asyncio.sleep(0.01)
        try:
            await app.bot.set_webhook(
                settings.aksi_webhook_url,
                secret_token=settings.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
        except BadRequest as exc:
            await self.stop()
            raise WebhookRefused(f"Telegram refused AKSI_WEBHOOK_URL: {exc.message}") from None
        log.info(
            "listening on %s:%s; Telegram posts updates to %s",
            settings.aksi_http_host,
            settings.aksi_http_port,
            settings.aksi_webhook_url,
        )
        self._pruning = asyncio.create_task(self._prune(app), name="forget old updates")

    async def _prune(self, app: AksiApplication) -> None:
        services = app.bot_data.services
        assert services is not None
        while True:
            try:
                async with services.db.begin() as session:
                    await inbound.forget_old(session, services.clock())
                    await receipts.forget_old(session, services.clock())
                    await menus.forget_old(session, services.clock())
                    await held.forget_expired(session, services.clock())
            except Exception:
                log.exception("could not forget old updates; trying again later")
            await asyncio.sleep(PRUNE_EVERY_SECONDS)

    def ready(self) -> None:
        """Everything has started (the bulk side too): count what each side sends."""
        services = self._services
        if services is not None:
            for kind, table in (("reply", services.channels), ("bulk", services.bulk_channels)):
                channel = table.get(TelegramChannel.name)
                if isinstance(channel, TelegramChannel):
                    channel.observe = partial(self.metrics.sent, kind)
        self._ready = True

    async def stop(self) -> None:
        """Stop taking posts (Telegram keeps the updates meanwhile and posts them again to the
        next process: the webhook stays set)."""
        self._ready = False
        for task in (self._pruning,):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            try:
                await self._serving
            except Exception:  # the server failed earlier: stopping the rest comes first
                log.exception("the HTTP server had stopped with an error")
            self._server = self._serving = None
        if self.turns is not None:
            await self.turns.stop()
            self.turns = None
        if self.whatsapp is not None:
            await self.whatsapp.drain()
            await self.whatsapp.channel.close()
            self.whatsapp = None
