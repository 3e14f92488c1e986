"""WhatsApp's webhook on Aksi's HTTP server (issue 15, item 1): `GET /whatsapp` answers Meta's
verification challenge; `POST /whatsapp` takes a post signed with the app secret (403
otherwise, logged without any secret), reads every message of it (`whatsapp_inbound`), drops
one delivered before (its WhatsApp id recorded when taken in: `core.inbound`, across restarts),
hands the rest to the engine in their chat's order and answers Meta at once — a slow feature
never makes Meta post again. Delivery statuses (sent, delivered, read, failed) are kept per
message (`core.receipts`)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Collection, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

import handlers
from bot.channels.whatsapp import WhatsAppChannel, open_channel
from bot.channels.whatsapp_inbound import (
    SIGNATURE_HEADER,
    WHATSAPP,
    NotAWebhook,
    challenge,
    menu_press,
    read_post,
    read_queued,
    signed,
)
from bot.engine import Engine
from bot.settings import Settings
from core import contacts, inbound, menus, receipts
from core.channel import Address, Inbound
from core.chat_turns import ChatTurns
from core.pacing import Pacer
from core.services import Pricing, Services

log = logging.getLogger("aksi.whatsapp")
PATH = "/whatsapp"
MIN_JITTER_MS = 20
MAX_BODY = 1_000_000


class WhatsAppIntake:
    def __init__(
        self,
        engine: Engine,
        channel: WhatsAppChannel,
        *,
        phone_number_id: str,
        app_secret: str,
        verify_token: str,
        commands: Collection[str],
    ) -> None:
        self.engine = engine
        self.channel = channel
        self.phone_number_id = phone_number_id
        self._secret = app_secret
        self._verify = verify_token
        self.commands = commands
        self.duplicates = 0
        self.statuses: dict[str, int] = {}
        # Several workers (PostgreSQL): messages queued per chat and handled in its turn,
        # whichever worker Meta's post reached (`core.chat_turns`); None: handled here at once.
        self.turns: ChatTurns | None = None
        self._tasks: set[asyncio.Task[object]] = set()

    def routes(self) -> list[Route]:
        return [
            Route(PATH, self.verify, methods=["GET"]),
            Route(PATH, self.take, methods=["POST"]),
        ]

    async def verify(self, request: Request) -> Response:
        answer = challenge(dict(request.query_params), self._verify)
        if answer is None:
            log.warning("refused a WhatsApp verification: wrong verify token or mode")
            return PlainTextResponse("forbidden", status_code=403)
        return PlainTextResponse(answer)

    async def take(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("too large", status_code=413)
        if not signed(body, request.headers.get(SIGNATURE_HEADER, ""), self._secret):
            log.warning("refused a WhatsApp post: wrong or missing signature")
            return PlainTextResponse("forbidden", status_code=403)
        try:
            post = read_post(json.loads(body), self.phone_number_id, self.commands)
        except (ValueError, NotAWebhook) as exc:
            log.warning("refused a WhatsApp post: %s", str(exc)[:80])
            return PlainTextResponse("not a webhook", status_code=400)
        services = self.engine.services
        for n, message in enumerate(post.messages):
            if self.turns is not None:  # one of several workers: queued for its chat's turn
                first = await self.turns.take_in(
                    WHATSAPP, message.message_id, chat=chat_of(message.event.sender.address),
                    seq=int(message.at.timestamp()) * 1000 + n % 1000,
                    payload=json.dumps({"whatsapp": message.raw, "name": message.name}),
                )  # fmt: skip
            else:
                async with services.db.begin() as session:
                    first = await inbound.first_time(
                        session, WHATSAPP, message.message_id, services.clock()
                    )
            if not first:
                self.duplicates += 1
                log.info("dropped WhatsApp message %s: delivered before", message.message_id)
            elif self.turns is None:
                task = asyncio.create_task(self._handle(message.event))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        for status in post.statuses:
            self.statuses[status.status] = self.statuses.get(status.status, 0) + 1
        if post.statuses:  # what became of the messages sent: kept per message
            reported = [
                receipts.Reported(s.message_id, s.status, s.at,
                                  None if s.error_code is None else f"error {s.error_code}")
                for s in post.statuses
            ]  # fmt: skip
            async with services.db.begin() as session:
                await receipts.record(session, WHATSAPP, reported)
        return PlainTextResponse("ok")

    async def _handle(self, event: Inbound) -> None:
        try:  # a menu answers the next message only, whatever it is
            menu = await self.channel.menus.take(event.sender.address)
        except Exception:
            log.exception("could not read the menu shown to this sender")
            menu = {}
        await self.engine.handle(self.channel, menu_press(event, menu))

    async def handle_queued(self, data: dict[str, Any]) -> None:
        """A message queued by this worker or another (`core.chat_turns`), in its chat's
        turn: read again and handled to its end."""
        raw, name = data.get("whatsapp"), data.get("name")
        found = read_queued(raw, str(name or ""), self.commands) if isinstance(raw, dict) else None
        if found is None:
            log.warning("a queued WhatsApp message could not be read again; dropped")
            return
        await self._handle(found.event)

    async def drain(self) -> None:
        """Wait for the messages taken in to be handled (stopping, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def chat_of(where: Address) -> str:
    """A WhatsApp chat's key among the queued chats (Telegram's are its chat ids)."""
    return f"{WHATSAPP}:{where.external_id}"


def pricing(settings: Settings) -> Pricing:
    templates = settings.whatsapp_template_set
    return Pricing(
        settings.whatsapp_price_service,
        settings.whatsapp_price_utility,
        settings.whatsapp_currency,
        frozenset(templates.names),
    )


async def last_inbound(services: Services, where: Address) -> datetime | None:
    """When the person at `where` last wrote, as the database knows it (to a few minutes:
    `core.contacts.TOUCH_EVERY`, so a window is taken as closed a little early, never late)."""
    async with services.db() as session:
        return await contacts.last_inbound(session, where)


class StoredMenus:
    """The numbered menus in the database (`core.menus`): a number typed to any worker answers
    the menu another showed."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def show(self, who: Address, menu: Mapping[int, str]) -> None:
        async with self.services.db.begin() as session:
            await menus.show(session, who, menu, self.services.clock())

    async def take(self, who: Address) -> dict[int, str]:
        async with self.services.db.begin() as session:
            return await menus.take(session, who)


def attach(channel: WhatsAppChannel, services: Services, settings: Settings) -> None:
    """The channel among the services' (what the features answer and what is sent to a
    WhatsApp contact goes through it), reading their clock and, for the 24-hour window, the
    database; its prices for the announcements' previews."""
    channel.clock = services.clock
    channel.last_inbound = partial(last_inbound, services)
    channel.menus = StoredMenus(services)
    services.channels[WHATSAPP] = channel
    services.pricing[WHATSAPP] = pricing(settings)


def whatsapp_intake(settings: Settings, services: Services) -> WhatsAppIntake:
    """WhatsApp beside Telegram on `aksi serve`: its channel joins the services' (`attach`),
    pacing itself, and its routes the server's."""
    lang = settings.aksi_default_language
    channel = open_channel(
        settings.whatsapp_phone_number_id,
        settings.whatsapp_access_token.get_secret_value(),
        settings.whatsapp_api_base_url,
        lambda reader, key: services.i18n.plain(reader or lang, key),
        settings.whatsapp_display_number,
        templates=settings.whatsapp_template_set,
    )
    attach(channel, services, settings)
    services.self_paced.add(WHATSAPP)
    channel.pacer = Pacer(
        settings.whatsapp_messages_per_second,
        settings.whatsapp_pair_seconds,
        # At least ±20 ms even on a quiet network: a first connection's set-up or a busy
        # event loop moves a departure that much (bench/whatsapp_broadcast.py: with none,
        # the first 81 messages reached the stand-in within one second, and Meta's 130429
        # pauses the number for 30 s).
        jitter=max(settings.aksi_network_jitter_ms, MIN_JITTER_MS) / 2000,
    )
    log.info("WhatsApp: Meta posts to %s on this server", PATH)
    return WhatsAppIntake(
        Engine(services),
        channel,
        phone_number_id=settings.whatsapp_phone_number_id,
        app_secret=settings.whatsapp_app_secret.get_secret_value(),
        verify_token=settings.whatsapp_verify_token.get_secret_value(),
        commands=handlers.COMMAND_WORDS,
    )
