"""The stand-in itself: a Bot API server on loopback for one bot (see the package docstring)."""

from __future__ import annotations

import socket
from types import TracebackType
from typing import Self

from aiohttp import web

from bot.standin.users import _Users
from bot.standin.wire import _LOGGER, MAX_UPLOAD_BYTES


class BotApiStandIn(_Users):
    """A Bot API server on loopback for one bot (see the package docstring)."""

    # ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on ``host:port`` (port 0 picks a free one, see :attr:`port`)."""
        if self._runner is not None:
            raise RuntimeError("BotApiStandIn is already running")
        self._closing = False
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await runner.setup()
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
            site = web.SockSite(runner, sock)
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._port = int(sock.getsockname()[1])
        self._runner = runner
        _LOGGER.debug("Bot API stand-in listening on %s", self.base_url)

    async def stop(self) -> None:
        """Stop serving; pending long polls return at once. Recorded state is kept."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing = True
        self._updates_changed.notify()
        if self._webhook_task is not None:
            await self._webhook_task
            self._webhook_task = None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("BotApiStandIn has no port yet: call start() first")
        return self._port

    @property
    def root_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url()`` / ``Bot(base_url=)``; PTB appends the token."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url()``; PTB appends the token."""
        return f"{self.root_url}/file/bot"
