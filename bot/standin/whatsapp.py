"""A stand-in for WhatsApp's Cloud API on loopback, for the tests: it records every message
pywa sends (`sent`, the JSON as posted), answers with a new message id each, serves media, and
can be told to answer the next sends with Meta's errors (`failures`). Meta's 24-hour rule: a
free message (not a template) to a number in `closed` is refused with 131047 (a test opens a
number's window when it posts a message from it); a template must be one `approved` in its
language (132001 otherwise). With `limit_rate` it counts as Meta does: more than `per_second`
messages arriving in any one second is answered 130429, a second message to one person sooner
than `pair_seconds` after the last 131056; with `network` every call takes a round trip.
`serving` runs any ASGI app on a free loopback port (uvicorn) for the length of a `async
with`."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.standin.records import Network


@dataclass
class CloudApiStandIn:
    phone_number_id: str
    token: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)  # the message id answered for each of `sent`
    fetched: list[str] = field(default_factory=list)  # media whose bytes were asked for
    media: dict[str, bytes] = field(default_factory=dict)
    media_types: dict[str, str] = field(default_factory=dict)  # uploads' types, as declared
    failures: list[tuple[int, int]] = field(default_factory=list)  # next sends' (HTTP, code)
    base_url: str = ""
    closed: set[str] = field(default_factory=set)  # numbers whose 24-hour window is closed
    approved: dict[str, set[str]] = field(default_factory=dict)  # template → languages
    # Templates submitted but not (or not yet) approved: (name, language) → Meta's status.
    submitted: dict[tuple[str, str], str] = field(default_factory=dict)
    network: Network | None = None
    per_second: int = 0  # messages a second the number takes (0: no limit)
    pair_seconds: float = 0.0  # between messages to one person (0: no limit)
    throttled: int = 0  # sends answered 130429
    pair_limited: int = 0  # sends answered 131056
    arrivals: list[float] = field(default_factory=list)  # when each message sent arrived
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)
    _window: deque[float] = field(default_factory=deque)
    _last_to: dict[str, float] = field(default_factory=dict)
    _rng: random.Random = field(default_factory=lambda: random.Random(0))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def limit_rate(self, per_second: int = 80, pair_seconds: float = 6.0) -> None:
        self.per_second, self.pair_seconds = per_second, pair_seconds

    def _limited(self, to: str) -> int | None:
        """Meta's throttling code for a message arriving now, None when it is taken."""
        now = time.monotonic()
        window = self._window
        while window and now - window[0] >= 1.0:
            window.popleft()
        if self.per_second and len(window) >= self.per_second:
            self.throttled += 1
            return 130429
        last = self._last_to.get(to)
        if self.pair_seconds and last is not None and now - last < self.pair_seconds:
            self.pair_limited += 1
            return 131056
        window.append(now)
        self._last_to[to] = now
        self.arrivals.append(now)
        return None

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/{version}/{phone}/messages", self._messages, methods=["POST"]),
                Route("/{version}/{phone}/media", self._upload, methods=["POST"]),
                Route("/{version}/{waba}/message_templates", self._templates, methods=["GET"]),
                Route("/files/{media_id}", self._media, methods=["GET"]),  # before the next
                Route("/{version}/{media_id}", self._media_url, methods=["GET"]),
            ]
        )

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    async def _messages(self, request: Request) -> Response:
        if self.network is not None:  # the way there
            await asyncio.sleep(self.network.leg(self._rng))
        answer = await self._message(request)
        if self.network is not None:  # and back
            await asyncio.sleep(self.network.leg(self._rng))
        return answer

    async def _message(self, request: Request) -> Response:
        if not self._authorised(request) or request.path_params["phone"] != self.phone_number_id:
            return JSONResponse({"error": {"code": 190, "message": "bad token"}}, 401)
        if self.failures:
            return self._error(*self.failures.pop(0))
        data = await request.json()
        refused = self._refusal(data) or self._limited(recipient(data))
        if refused is not None:
            return self._error(400, refused)
        self.sent.append(data)
        self.ids.append(f"wamid.OUT{next(self._ids)}")
        for listener in self.listeners:
            listener(data)
        return JSONResponse({"messaging_product": "whatsapp",
                             "contacts": [{"input": recipient(data), "wa_id": recipient(data)}],
                             "messages": [{"id": self.ids[-1]}]})  # fmt: skip

    @staticmethod
    def _error(status: int, code: int) -> Response:
        return JSONResponse(
            {"error": {"code": code, "message": f"error {code}", "type": "OAuthException",
                       "fbtrace_id": "T"}}, status)  # fmt: skip

    def _refusal(self, data: dict[str, Any]) -> int | None:
        """Meta's error code for a send its rules refuse, None when it goes."""
        if data.get("type") == "template":
            template = data["template"]
            languages = self.approved.get(template["name"], set())
            return None if template["language"]["code"] in languages else 132001
        return 131047 if recipient(data) in self.closed else None

    async def _templates(self, request: Request) -> Response:
        """The business account's templates, a page of `limit` at a time (`after` the last)."""
        if not self._authorised(request):
            return JSONResponse({"error": {"code": 190, "message": "bad token"}}, 401)
        found = [
            {"name": n, "language": lang, "status": "APPROVED", "category": "UTILITY"}
            for n, languages in sorted(self.approved.items())
            for lang in sorted(languages)
        ]
        found += [{"name": n, "language": lang, "status": s, "category": "UTILITY"}
                  for (n, lang), s in sorted(self.submitted.items())]  # fmt: skip
        start = int(request.query_params.get("after") or 0)
        limit = int(request.query_params.get("limit") or 25)
        page: dict[str, Any] = {"data": found[start : start + limit]}
        if start + limit < len(found):
            following = request.url.include_query_params(after=str(start + limit))
            page["paging"] = {"next": str(following)}
        return JSONResponse(page)

    async def _upload(self, request: Request) -> Response:
        form = await request.form()
        upload = form.get("file")
        data = await upload.read() if isinstance(upload, UploadFile) else b""
        media_id = f"UP{next(self._ids)}"
        self.media[media_id] = data
        kind = form.get("type")
        self.media_types[media_id] = kind if isinstance(kind, str) else ""
        return JSONResponse({"id": media_id})

    async def _media_url(self, request: Request) -> Response:
        media_id = request.path_params["media_id"]
        if media_id not in self.media:
            return JSONResponse({"error": {"code": 100, "message": "no such media"}}, 404)
        return JSONResponse({"url": f"{self.base_url}/files/{media_id}", "id": media_id,
                             "mime_type": "text/csv", "sha256": "x",
                             "file_size": len(self.media[media_id]),
                             "messaging_product": "whatsapp"})  # fmt: skip

    async def _media(self, request: Request) -> Response:
        self.fetched.append(request.path_params["media_id"])
        return Response(self.media.get(request.path_params["media_id"], b""))

    def texts(self, to: str) -> list[str]:
        """What `to` was sent, as text: a text's body, an interactive message's body and its
        options' titles."""
        shown = []
        for data in self.sent:
            if recipient(data) != to:
                continue
            if data["type"] == "text":
                shown.append(data["text"]["body"])
            elif data["type"] == "interactive":
                interactive = data["interactive"]
                options = [
                    b["reply"]["title"] for b in interactive["action"].get("buttons", [])
                ] + [
                    r["title"] for s in interactive["action"].get("sections", []) for r in s["rows"]
                ]
                shown.append(interactive["body"]["text"] + "\n[" + " | ".join(options) + "]")
            elif data["type"] == "template":
                template = data["template"]
                params = [
                    p["text"] for c in template.get("components", []) for p in c["parameters"]
                ]
                code = template["language"]["code"]
                shown.append(f"<template {template['name']} {code}: {' | '.join(params)}>")
            else:
                shown.append(f"<{data['type']}>")
        return shown


def recipient(data: dict[str, Any]) -> str:
    """Whom a message sent is for: its number (`to`), or a user id (`recipient`)."""
    return str(data.get("to") or data.get("recipient") or "")


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve `app` on a free loopback port; its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", access_log=False, log_level="warning",
                            log_config=None)  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve([sock]))
    while not server.started:
        if task.done():
            await task
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
