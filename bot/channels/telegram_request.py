"""python-telegram-bot's HTTP requests on aiohttp instead of httpx.

Every Bot API call of a reply (an edit and the button's acknowledgement for a check-in press, a
message for /jadwal) goes through `BaseRequest.do_request`. Measured against the stand-in on
loopback (1,500 `sendMessage` calls, one after the other, `bench/request_cost.py`), PTB's own
`HTTPXRequest` costs about 2.2 ms of CPU per call and this one about 0.8 ms: on a two-core machine
that is most of what a busy bot spends, and the difference decides how long light answers wait
while heavy ones are drawn (`bench/mixed.py`). aiohttp is already a dependency (the Bot API
stand-in is an aiohttp server), and `BaseRequest` is PTB's documented way to bring another
HTTP library.

Errors keep PTB's meaning: any timeout is `TimedOut` (a request may or may not have reached
Telegram), any other transport failure `NetworkError`; Telegram's answers, errors included, are
returned as status and body for PTB to read.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
from telegram import Bot
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest", "requests_closed"]


class AiohttpRequest(BaseRequest):
    """A pool of `connections` keep-alive connections to the Bot API; the timeouts are PTB's
    defaults (seconds), each call may override them as with `HTTPXRequest`."""

    def __init__(
        self,
        connections: int = 8,
        *,
        read_timeout: float = 5.0,
        write_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        pool_timeout: float = 1.0,
        media_write_timeout: float = 20.0,
    ) -> None:
        if connections < 1:
            raise ValueError("connections must be at least 1")
        self._connections = connections
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._shut = False

    @property
    def read_timeout(self) -> float:
        """PTB adds this to getUpdates' long-polling timeout."""
        return self._read_timeout

    @property
    def connected(self) -> bool:
        """Whether connections are open (from the first call until `shutdown`)."""
        return self._session is not None and not self._session.closed

    async def initialize(self) -> None:
        """The connections open with the first call (PTB shuts a bot's requests down only when
        its getMe succeeded, so a session opened here could be left behind)."""
        self._shut = False

    async def shutdown(self) -> None:
        self._shut = True
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _opened(self) -> aiohttp.ClientSession:
        if self._shut:
            raise RuntimeError("This AiohttpRequest is shut down")
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
                # PTB reads the body itself; no cookies are exchanged with the Bot API.
                cookie_jar=aiohttp.DummyCookieJar(),
                # HTTPS_PROXY and friends, as PTB's httpx honoured them (an office network).
                trust_env=True,
            )
        return self._session

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._opened()
        files = bool(request_data and request_data.contains_files)
        read = _seconds(read_timeout, self._read_timeout)
        write = _seconds(write_timeout, self._media_write_timeout if files else self._write_timeout)
        connect = _seconds(connect_timeout, self._connect_timeout)
        pool = _seconds(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            # aiohttp's `connect` covers waiting for a pooled connection and opening one.
            connect=_total(pool, connect),
            sock_connect=connect,
            sock_read=read,
            total=_total(pool, connect, write, read),
        )
        try:
            async with session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _seconds(value: ODVInput[float], default: float) -> float | None:
    """A call's timeout: PTB's DEFAULT_NONE means this request's own, None means none."""
    if isinstance(value, DefaultValue):
        return default
    return value


def _total(*parts: float | None) -> float | None:
    """The sum of timeouts; none at all when any part has none."""
    if any(part is None for part in parts):
        return None
    return sum(part for part in parts if part is not None)


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as PTB sends them with httpx: urlencoded, or multipart when a file goes."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


@contextlib.asynccontextmanager
async def requests_closed(bot: Bot) -> AsyncIterator[None]:
    """Close `bot`'s connections on the way out, also when its getMe failed (PTB then skips its
    shutdown; getMe goes through `bot.request`, the updates' request has opened nothing yet)."""
    try:
        yield
    finally:
        await bot.request.shutdown()
