"""`aksi serve`'s HTTP side: one ASGI application (Starlette) for Telegram's webhook, health
and metrics — the server later channels (WhatsApp's webhook) and pages join.

- `POST <path of AKSI_WEBHOOK_URL>`: an update from Telegram. The secret header must match
  AKSI_WEBHOOK_SECRET (compared in constant time; 403 otherwise, logged without it). An update
  delivered before (Telegram posts again after a timeout, or after a restart of the bot before
  it answered) is dropped: its `update_id` is recorded when taken in (`core.inbound`). The
  update is queued for the engine and Telegram is answered at once: a slow handler never makes
  Telegram time out and post again.
- `GET /healthz`: the process is alive. `GET /readyz`: the database answers, its migrations
  are this release's, the bot knows who it is (503 with the reason otherwise).
- `GET /metrics`: Prometheus's text format (`bot.metrics`).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Sequence

from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.ext import Application

from bot.channels.telegram_order import chat_key
from bot.metrics import Metrics
from core import inbound
from core.chat_turns import ChatTurns
from core.services import Services
from storage.db import current_revision, head_revision

log = logging.getLogger("aksi.web")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1_000_000  # an update is a few kB; Telegram's largest are well under this
TELEGRAM = "telegram"


def web_app(
    app: Application,  # type: ignore[type-arg]
    services: Services,
    metrics: Metrics,
    *,
    path: str,
    secret: str,
    ready: Callable[[], bool] = lambda: True,
    turns: ChatTurns | None = None,
    extra: Sequence[BaseRoute] = (),
) -> Starlette:
    """The ASGI application for `app` (a started PTB application fed through its queue; with
    `turns`, one of several workers: a chat's updates are queued in the database and handled
    in their chat's turn, whichever worker has it)."""
    expected = secret.encode()
    head = head_revision()

    async def telegram_update(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            metrics.refused.labels("secret").inc()
            log.warning("refused a webhook post from %s: wrong secret", client(request))
            return PlainTextResponse("forbidden", status_code=403)
        body = await request.body()
        try:
            if len(body) > MAX_BODY:
                raise ValueError("too large")
            data = json.loads(body)
            update_id = data["update_id"]
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                raise ValueError("update_id is not a number")
            # Read before it is recorded as seen: one that cannot be read is refused, and
            # never later dropped as "seen" when it comes again.
            update = Update.de_json(data, app.bot)
        except Exception as exc:  # whatever in it cannot be read: not an update
            metrics.refused.labels("body").inc()
            log.warning("refused a webhook post: not an update (%s)", str(exc)[:80])
            return PlainTextResponse("not an update", status_code=400)
        chat = chat_key(update)
        if turns is not None and chat is not None:
            first = await turns.take_in(
                TELEGRAM, str(update_id), f"{TELEGRAM}:{chat}", update_id, body.decode()
            )
            if first:
                return PlainTextResponse("ok")
        else:
            async with services.db.begin() as session:
                first = await inbound.first_time(
                    session, TELEGRAM, str(update_id), services.clock()
                )
        if not first:
            metrics.duplicates.inc()
            log.info("dropped update %s: delivered before", update_id)
            return PlainTextResponse("ok")
        await app.update_queue.put(update)
        return PlainTextResponse("ok")

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_request: Request) -> Response:
        reason = None
        try:
            async with services.db() as session:
                await session.execute(text("SELECT 1"))
            revision = await current_revision(services.engine)
        except Exception as exc:  # any failure to reach it is the answer
            reason = f"database unreachable: {exc.__class__.__name__}"
        else:
            if revision != head:
                reason = f"database at migration {revision}, this release needs {head}"
            elif not ready():
                reason = "the bot has not started yet"
        if reason is not None:
            return JSONResponse({"ready": False, "reason": reason}, status_code=503)
        return JSONResponse({"ready": True})

    async def metrics_page(_request: Request) -> Response:
        return Response(await metrics.render(services), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route(path, telegram_update, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_page, methods=["GET"]),
            *extra,  # other channels' webhooks (bot.whatsapp_web)
        ]
    )


def client(request: Request) -> str:
    return request.client.host if request.client is not None else "?"
