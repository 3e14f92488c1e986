"""A stand-in for WhatsApp's Cloud API on loopback, for the tests: it records every message
pywa sends (`sent`, the JSON as posted), answers with a new message id each, serves media, and
can be told to answer the next sends with Meta's errors (`failures`). `serving` runs any ASGI
app on a free loopback port (uvicorn) for the length of a `async with`."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class CloudApiStandIn:
    phone_number_id: str
    token: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)
    failures: list[tuple[int, int]] = field(default_factory=list)  # next sends' (HTTP, code)
    base_url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/{version}/{phone}/messages", self._messages, methods=["POST"]),
                Route("/{version}/{phone}/media", self._upload, methods=["POST"]),
                Route("/{version}/{media_id}", self._media_url, methods=["GET"]),
                Route("/files/{media_id}", self._media, methods=["GET"]),
            ]
        )

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    async def _messages(self, request: Request) -> Response:
        if not self._authorised(request) or request.path_params["phone"] != self.phone_number_id:
            return JSONResponse({"error": {"code": 190, "message": "bad token"}}, 401)
        if self.failures:
            status, code = self.failures.pop(0)
            return JSONResponse(
                {"error": {"code": code, "message": f"error {code}", "type": "OAuthException",
                           "fbtrace_id": "T"}}, status)  # fmt: skip
        data = await request.json()
        self.sent.append(data)
        return JSONResponse({"messaging_product": "whatsapp",
                             "contacts": [{"input": data.get("to"), "wa_id": data.get("to")}],
                             "messages": [{"id": f"wamid.OUT{next(self._ids)}"}]})  # fmt: skip

    async def _upload(self, request: Request) -> Response:
        form = await request.form()
        upload = form.get("file")
        data = await upload.read() if hasattr(upload, "read") else b""
        media_id = f"UP{next(self._ids)}"
        self.media[media_id] = data
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
        return Response(self.media.get(request.path_params["media_id"], b""))

    def texts(self, to: str) -> list[str]:
        """What `to` was sent, as text: a text's body, an interactive message's body and its
        options' titles."""
        shown = []
        for data in self.sent:
            if data.get("to") != to:
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
            else:
                shown.append(f"<{data['type']}>")
        return shown


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
