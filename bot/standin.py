"""A local stand-in for the Telegram Bot API.

:class:`BotApiStandIn` is a small aiohttp server that speaks enough of the Bot API for a real
python-telegram-bot ``Application`` to run against it with long polling::

    async with BotApiStandIn() as standin:
        app = (
            ApplicationBuilder()
            .token(standin.token)
            .base_url(standin.base_url)
            .base_file_url(standin.base_file_url)
            .build()
        )
        ...
        standin.push_message(1001, "/start")
        replies = await standin.wait_for_outgoing(1001)

The driving side simulates users with the ``push_*`` methods; the asserting side reads
:attr:`BotApiStandIn.outbox`, :attr:`BotApiStandIn.requests` and :meth:`BotApiStandIn.messages`,
or waits with :meth:`BotApiStandIn.wait_for_outgoing` / :meth:`BotApiStandIn.wait_quiet`.
Faults are injected with :meth:`BotApiStandIn.fail` and :meth:`BotApiStandIn.delay`.

Requests are parsed the way Telegram parses them: ``application/x-www-form-urlencoded`` or
``multipart/form-data`` (what PTB sends; non-string values arrive JSON-encoded), JSON bodies and
query strings. Errors look like Telegram's (``{"ok": false, "error_code": ..., "description":
...}``), so PTB raises its usual exceptions (``BadRequest``, ``Forbidden``, ``RetryAfter``, ...).

Everything here must be used from the event loop thread the server runs on.

Run ``python -m bot.standin --port 8081`` to start it standalone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import re
import socket
import struct
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import TracebackType
from typing import Any, Self

from aiohttp import web

__all__ = [
    "DEFAULT_TOKEN",
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "NOT_MODIFIED",
    "TINY_PNG",
    "BotApiStandIn",
    "BotMessage",
    "Outgoing",
    "UploadedFile",
    "main",
]

_LOGGER = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:AAStandInTokenForLocalChatAndTests_x"

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_UPLOAD_BYTES = 60 * 1024 * 1024

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)

_TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")

# fmt: off
# Parameter types, as the Bot API declares them. Form values arrive as strings; these tell the
# parser how to convert them. Everything else stays a string (e.g. a text "123" stays "123").
_INT_PARAMS = frozenset({
    "chat_id", "from_chat_id", "message_id", "message_thread_id", "reply_to_message_id",
    "offset", "limit", "user_id", "cache_time", "duration", "width", "height",
    "max_connections", "until_date",
})
_FLOAT_PARAMS = frozenset({"timeout"})
_BOOL_PARAMS = frozenset({
    "disable_notification", "protect_content", "allow_paid_broadcast", "show_alert",
    "drop_pending_updates", "disable_web_page_preview", "allow_sending_without_reply",
    "has_spoiler", "disable_content_type_detection", "show_caption_above_media", "is_big",
    "for_channels",
})
_JSON_PARAMS = frozenset({
    "reply_markup", "entities", "caption_entities", "link_preview_options", "reply_parameters",
    "commands", "scope", "menu_button", "allowed_updates", "media", "results", "options",
    "explanation_entities", "reaction", "rights", "message_ids",
})

_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})

_ALLOWED_HTML_TAGS = frozenset({
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "tg-spoiler", "span", "blockquote", "tg-emoji",
})
# fmt: on


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a ``multipart/form-data`` request (as found in :attr:`requests`)."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    """One thing the bot did that a user would see (see :attr:`BotApiStandIn.outbox`).

    ``text`` holds the text, the caption (sendPhoto/sendDocument/editMessageCaption) or the
    callback answer text (answerCallbackQuery). ``params`` holds all parsed request parameters.
    """

    method: str
    chat_id: int | None
    message_id: int | None
    text: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    file_bytes: bytes | None = None
    file_name: str | None = None
    at: float = field(default_factory=time.monotonic)
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class BotMessage:
    """The current state of a message the bot sent (see :meth:`BotApiStandIn.messages`)."""

    chat_id: int
    message_id: int
    kind: str  # "text", "photo" or "document"
    text: str | None  # text, or caption for media
    parse_mode: str | None
    entities: list[dict[str, Any]] | None
    reply_markup: dict[str, Any] | None
    file_bytes: bytes | None
    file_name: str | None
    date: int
    edit_date: int | None
    json: dict[str, Any] = field(compare=False, repr=False)


# --------------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------------


class _ApiError(Exception):
    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad_request(reason: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {reason}")


class _Broadcast:
    """Wakes every waiter on each :meth:`notify`; safe to notify from synchronous code.

    Waiters park on futures of their own running loop, so nothing is bound to one event loop.
    """

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_until(self, predicate: Callable[[], bool], seconds: float | None) -> None:
        """Wait until ``predicate()`` holds; raises :class:`TimeoutError` after ``seconds``."""
        if predicate():
            return
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(seconds):
            while not predicate():
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.add(waiter)
                try:
                    await waiter
                finally:
                    self._waiters.discard(waiter)


_COUNTED = frozenset({"sendmessage", "sendphoto", "senddocument"})


@dataclass
class _RateLimits:
    overall_per_second: int
    per_chat_per_second: float
    per_chat_burst: float


@dataclass
class _Failure:
    method: str  # lower-case
    error_code: int
    description: str
    times: int | None
    retry_after: int | None
    chat_id: int | None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes | None
    file_name: str | None
    mime_type: str | None
    file_path: str
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int | None:
        return None if self.data is None else len(self.data)


@dataclass
class _Message:
    chat_id: int
    message_id: int
    date: int
    kind: str
    text: str | None
    parse_mode: str | None
    entities: list[dict[str, Any]] | None
    reply_markup: dict[str, Any] | None
    file: _StoredFile | None = None
    edit_date: int | None = None
    link_preview_options: dict[str, Any] | None = None
    reply_to: dict[str, Any] | None = None

    @property
    def inline_markup(self) -> dict[str, Any] | None:
        """The markup Telegram attaches to the message (reply keyboards are not attached)."""
        markup = self.reply_markup
        return markup if markup is not None and "inline_keyboard" in markup else None


@dataclass
class _User:
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None

    def to_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            user["last_name"] = self.last_name
        if self.username is not None:
            user["username"] = self.username
        if self.language_code is not None:
            user["language_code"] = self.language_code
        return user

    def chat_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            chat["last_name"] = self.last_name
        if self.username is not None:
            chat["username"] = self.username
        return chat


class _HtmlChecker(HTMLParser):
    """Validates Bot API HTML the way Telegram does (tags only; entities are not built)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self._text = text
        self._line_starts = [0]
        self._line_starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
        self._stack: list[str] = []
        self._plain: list[str] = []
        self.error: str | None = None

    # -- helpers -------------------------------------------------------------------------

    def _index(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def _byte_offset(self, index: int) -> int:
        return len(self._text[:index].encode("utf-8"))

    def _fail(self, message: str) -> None:
        if self.error is None:
            self.error = message

    def _unsupported_at(self, index: int) -> None:
        match = re.match(r"<([^\s>]*)", self._text[index:])
        name = match.group(1) if match else ""
        self._fail(f'Unsupported start tag "{name}" at byte offset {self._byte_offset(index)}')

    # -- HTMLParser callbacks ------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.error is not None:
            return
        index = self._index()
        if tag not in _ALLOWED_HTML_TAGS:
            self._unsupported_at(index)
            return
        attributes = dict(attrs)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            self._fail('Tag "span" must have class "tg-spoiler"')
            return
        if tag == "tg-emoji" and not attributes.get("emoji-id"):
            self._fail("Custom emoji entity must contain a valid custom emoji identifier")
            return
        self._stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.error is None:
            self._unsupported_at(self._index())

    def handle_endtag(self, tag: str) -> None:
        if self.error is not None:
            return
        offset = self._byte_offset(self._index())
        if not self._stack:
            self._fail(f"Unexpected end tag at byte offset {offset}")
        elif self._stack[-1] != tag:
            self._fail(
                f'Unmatched end tag at byte offset {offset}, expected "</{self._stack[-1]}>", '
                f'found "</{tag}>"'
            )
        else:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self.error is not None:
            return
        position = data.find("<")
        if position >= 0:
            self._unsupported_at(self._index() + position)
            return
        self._plain.append(data)

    def handle_entityref(self, name: str) -> None:
        self._plain.append("&")  # one character, whatever it decodes to

    def handle_charref(self, name: str) -> None:
        self._plain.append("&")

    def _unsupported_markup(self) -> None:
        if self.error is None:
            self._unsupported_at(self._index())

    def handle_comment(self, data: str) -> None:
        self._unsupported_markup()

    def handle_decl(self, decl: str) -> None:
        self._unsupported_markup()

    def handle_pi(self, data: str) -> None:
        self._unsupported_markup()

    def unknown_decl(self, data: str) -> None:
        self._unsupported_markup()

    # -- result --------------------------------------------------------------------------

    def check(self) -> str:
        """Parse everything; returns the plain text or raises :class:`_ApiError`."""
        self.feed(self._text)
        self.close()
        if self.error is None and self._stack:
            self._fail(f'Can\'t find end tag corresponding to start tag "{self._stack[-1]}"')
        if self.error is not None:
            raise _bad_request(f"can't parse entities: {self.error}")
        return "".join(self._plain)


def _plain_text(text: str, parse_mode: str | None, has_entities: bool) -> str:
    """The text as Telegram would show it; validates HTML markup."""
    if not has_entities and parse_mode is not None and parse_mode.upper() == "HTML":
        return _HtmlChecker(text).check()
    return text


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of PNG/GIF/JPEG data; (1, 1) if unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                index += 1
                continue
            marker = data[index + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return int(width), int(height)
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                index += 2
                continue
            (length,) = struct.unpack(">H", data[index + 2 : index + 4])
            index += 2 + int(length)
    return 1, 1


def _tiny_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


TINY_PNG = _tiny_png()


def _convert_param(name: str, value: Any) -> Any:
    """Convert one request parameter to the type the Bot API declares for it."""
    if isinstance(value, UploadedFile):
        return value
    if name in _JSON_PARAMS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise _bad_request("can't parse reply keyboard markup JSON object") from None
            raise _bad_request(f"can't parse {name} JSON object") from None
    if name in _INT_PARAMS and isinstance(value, str):
        stripped = value.strip()
        if re.fullmatch(r"-?\d+", stripped):
            return int(stripped)
        if name == "chat_id":
            return stripped  # "@channelusername"
        raise _bad_request(f"invalid {name} specified")
    if name in _FLOAT_PARAMS and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise _bad_request(f"invalid {name} specified") from None
        return int(number) if number.is_integer() else number
    if name in _BOOL_PARAMS and isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return value


_Handler = Callable[[dict[str, Any]], Awaitable[Any]]


# --------------------------------------------------------------------------------------------
# The stand-in
# --------------------------------------------------------------------------------------------


class BotApiStandIn:
    """A Bot API server on loopback for one bot (see the module docstring)."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "aksi_bot",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        match = _TOKEN_RE.match(token)
        if match is None:
            raise ValueError(f"not a bot token: {token!r}")
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(match.group(1))
        self.bot_first_name = "Aksi"
        self.host = host
        self._requested_port = port
        self._port: int | None = port or None
        self._runner: web.AppRunner | None = None
        self._closing = False

        # Recording, for the asserting side.
        self.outbox: list[Outgoing] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.unknown_methods: list[str] = []
        self.get_updates_calls = 0
        self.first_get_updates_at: float | None = None
        # Keyed by (scope type, language code or ""); a chat scope's type carries its chat id.
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        # Behaviour switches.
        self.require_known_chat = False  # sending to a chat nobody pushed into -> "chat not found"
        self.too_many_requests = 0  # 429s answered because of `limit_rate`
        self.rate_limited: list[tuple[str, int | None]] = []  # why each: "overall" or "chat"
        self._rate_limits: _RateLimits | None = None
        self._sent_times: deque[float] = deque()
        self._chat_tokens: dict[int | None, tuple[float, float]] = {}

        self._updates: deque[dict[str, Any]] = deque()
        self._next_update_id = 1
        self._poll_generation = 0
        self._users: dict[int, _User] = {}
        self._bot_messages: dict[int, dict[int, _Message]] = {}
        self._user_messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._last_message_id: dict[int, int] = {}
        self._callbacks: dict[str, tuple[int, int]] = {}
        self._next_callback = 1
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._next_file = 1
        self._failures: list[_Failure] = []
        self._delays: dict[str, float] = {}
        self._listeners: list[Callable[[Outgoing], None]] = []

        self._updates_changed = _Broadcast()
        self._outbox_changed = _Broadcast()
        self._polled = _Broadcast()

        self._handlers: dict[str, tuple[str, _Handler]] = {}
        for name, handler in (
            ("getMe", self._get_me),
            ("logOut", self._true),
            ("close", self._true),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("getUpdates", self._get_updates),
            ("setMyCommands", self._set_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("setMyName", self._true),
            ("setMyDescription", self._true),
            ("setMyShortDescription", self._true),
            ("sendMessage", self._send_message),
            ("editMessageText", self._edit_message_text),
            ("editMessageCaption", self._edit_message_caption),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("deleteMessage", self._delete_message),
            ("answerCallbackQuery", self._answer_callback_query),
            ("sendChatAction", self._send_chat_action),
            ("sendPhoto", self._send_photo),
            ("sendDocument", self._send_document),
            ("getFile", self._get_file),
            ("setChatMenuButton", self._set_chat_menu_button),
            ("getChatMenuButton", self._get_chat_menu_button),
        ):
            self._handlers[name.lower()] = (name, handler)

    # ----------------------------------------------------------------------------------
    # Lifecycle
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

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot as a Telegram ``User`` object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ----------------------------------------------------------------------------------
    # Simulated users (the driving side)
    # ----------------------------------------------------------------------------------

    def set_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """Create or update a user's profile; ``None`` keeps the current value.

        New users default to first name "Budi" and language "id". Returns the ``User`` JSON.
        """
        user = self._users.get(user_id)
        if user is None:
            user = _User(user_id, "Budi", None, None, "id")
            self._users[user_id] = user
        if first_name is not None:
            user.first_name = first_name
        if last_name is not None:
            user.last_name = last_name
        if username is not None:
            user.username = username
        if language_code is not None:
            user.language_code = language_code
        return user.to_json()

    def push_update(self, update: Mapping[str, Any]) -> int:
        """Queue a raw update (an ``update_id`` is assigned if missing); returns its id."""
        body = dict(update)
        update_id = body.get("update_id")
        if not isinstance(update_id, int):
            update_id = self._next_update_id
            body = {"update_id": update_id, **body}
        self._next_update_id = max(self._next_update_id, update_id + 1)
        self._updates.append(body)
        self._updates_changed.notify()
        return update_id

    def push_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        reply_to_message_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> int:
        """A user sends ``text`` to the bot in their private chat; returns the update id.

        Text starting with "/" gets a ``bot_command`` entity over the command token; `entities`
        adds formatting as a Telegram client would (offsets in UTF-16 code units). Profile
        arguments left as ``None`` keep the user's profile (default "Budi", language "id").
        """
        extra: dict[str, Any] = {"text": text}
        found: list[dict[str, Any]] = []
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            found.append({"type": "bot_command", "offset": 0, "length": _utf16_len(command)})
        found.extend(entities or [])
        if found:
            extra["entities"] = found
        return self._push_user_message(
            user_id,
            extra,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            reply_to_message_id=reply_to_message_id,
        )

    def push_sticker(
        self,
        user_id: int,
        *,
        emoji: str = "👍",
        set_name: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> int:
        """A user sends a (static, regular) sticker; returns the update id."""
        stored = self._store_file(None, "sticker.webp", "image/webp", "stickers", 512, 512)
        sticker: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        if set_name is not None:
            sticker["set_name"] = set_name
        return self._push_user_message(
            user_id,
            {"sticker": sticker},
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )

    def push_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        file_bytes: bytes | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> int:
        """A user sends a photo (a 1x1 PNG unless ``file_bytes``); returns the update id.

        The photo can be fetched by the bot with getFile + the file URL.
        """
        data = TINY_PNG if file_bytes is None else file_bytes
        width, height = _image_size(data)
        stored = self._store_file(data, "photo.jpg", "image/jpeg", "photos", width, height)
        extra: dict[str, Any] = {"photo": [self._photo_size(stored)]}
        if caption is not None:
            extra["caption"] = caption
        return self._push_user_message(
            user_id,
            extra,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )

    def push_document(
        self,
        user_id: int,
        file_bytes: bytes,
        file_name: str,
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> int:
        """A user sends a document; returns the update id."""
        stored = self._store_file(file_bytes, file_name, mime_type, "documents")
        extra: dict[str, Any] = {"document": self._document_json(stored)}
        if caption is not None:
            extra["caption"] = caption
        return self._push_user_message(
            user_id,
            extra,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )

    def push_callback(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> int:
        """A user presses an inline button with ``data`` under bot message ``message_id``.

        Raises :class:`ValueError` if the bot has no such message in the user's chat.
        Returns the update id; the callback query id is ``str`` and fresh.
        """
        message = self._bot_messages.get(user_id, {}).get(message_id)
        if message is None:
            raise ValueError(f"no bot message {message_id} in chat {user_id}")
        self.set_user(
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        query_id = str(4_000_000_000_000_000_000 + self._next_callback)
        self._next_callback += 1
        self._callbacks[query_id] = (user_id, message_id)
        return self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._users[user_id].to_json(),
                    "message": self._message_json(message),
                    "chat_instance": str(-(10**12) - user_id),
                    "data": data,
                }
            }
        )

    @property
    def pending_update_count(self) -> int:
        """Updates queued and not yet confirmed by a getUpdates ``offset``."""
        return len(self._updates)

    # ----------------------------------------------------------------------------------
    # Recording (the asserting side)
    # ----------------------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[BotMessage]:
        """Every (not deleted) bot message in the chat, as it is now, by message id."""
        stored = self._bot_messages.get(chat_id, {})
        return [self._snapshot(stored[mid]) for mid in sorted(stored)]

    def message(self, chat_id: int, message_id: int) -> BotMessage | None:
        stored = self._bot_messages.get(chat_id, {}).get(message_id)
        return None if stored is None else self._snapshot(stored)

    def mark(self) -> int:
        """The current outbox length, to pass as ``since`` to the wait helpers."""
        return len(self.outbox)

    def add_listener(self, listener: Callable[[Outgoing], None]) -> None:
        """Call ``listener`` with every new outbox record (e.g. to print it)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Outgoing], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def outgoing_for(self, chat_id: int | None, since: int = 0) -> list[Outgoing]:
        return [o for o in self.outbox[since:] if chat_id is None or o.chat_id == chat_id]

    async def wait_for_outgoing(
        self,
        chat_id: int | None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109, RUF100 (ruff misreports this noqa as unused)
        since: int = 0,
    ) -> list[Outgoing]:
        """Wait until ``count`` records for ``chat_id`` (``None``: any chat) exist in
        ``outbox[since:]``; returns all of them. Raises :class:`TimeoutError` otherwise."""

        def enough() -> bool:
            return len(self.outgoing_for(chat_id, since)) >= count

        try:
            await self._outbox_changed.wait_until(enough, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"expected {count} outgoing record(s) for chat {chat_id} after outbox index "
                f"{since} within {timeout}s; {self._describe_outbox(chat_id, since)}"
            ) from None
        return self.outgoing_for(chat_id, since)

    async def wait_quiet(
        self,
        chat_id: int | None,
        quiet: float = 0.15,
        timeout: float = 5.0,  # noqa: ASYNC109, RUF100 (ruff misreports this noqa as unused)
        since: int = 0,
    ) -> list[Outgoing]:
        """Wait for the first record for ``chat_id`` after ``since``, then until none came
        for ``quiet`` seconds (or ``timeout`` is over); returns all records since ``since``."""
        deadline = time.monotonic() + timeout
        await self.wait_for_outgoing(chat_id, 1, timeout, since)
        while True:
            seen = len(self.outgoing_for(chat_id, since))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break

            def more(seen: int = seen) -> bool:
                return len(self.outgoing_for(chat_id, since)) > seen

            try:
                await self._outbox_changed.wait_until(more, min(quiet, remaining))
            except TimeoutError:
                break
        return self.outgoing_for(chat_id, since)

    async def wait_first_get_updates(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109, RUF100 (ruff misreports this noqa as unused)
    ) -> float:
        """Wait until the bot polled once; returns :attr:`first_get_updates_at`."""
        try:
            await self._polled.wait_until(lambda: self.first_get_updates_at is not None, timeout)
        except TimeoutError:
            raise TimeoutError(f"the bot did not call getUpdates within {timeout}s") from None
        assert self.first_get_updates_at is not None
        return self.first_get_updates_at

    def reset_records(self) -> None:
        """Forget outbox, requests and counters (not messages, users or queued updates)."""
        self.outbox.clear()
        self.requests.clear()
        self.unknown_methods.clear()
        self.chat_actions.clear()
        self.get_updates_calls = 0

    # ----------------------------------------------------------------------------------
    # Fault injection
    # ----------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        error_code: int,
        description: str,
        *,
        times: int | None = None,
        retry_after: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls (``None``: all) of ``method`` (optionally only for
        ``chat_id``) answer ``error_code``/``description`` (plus ``retry_after``)."""
        if times is not None and times < 1:
            raise ValueError("times must be None or >= 1")
        self._failures.append(
            _Failure(method.lower(), error_code, description, times, retry_after, chat_id)
        )

    def limit_rate(
        self,
        overall_per_second: int = 30,
        per_chat_per_second: float = 1.0,
        per_chat_burst: float = 3.0,
    ) -> None:
        """Answer messages beyond Telegram's limits with ``429`` and ``retry_after``, as Telegram
        does: more than ``overall_per_second`` in any one-second window, or a chat getting more
        than ``per_chat_per_second`` (a bucket of ``per_chat_burst``: short bursts are allowed).
        Counted: messages sent (sendMessage, sendPhoto, sendDocument), not edits or answers.
        Each 429 adds one to :attr:`too_many_requests`."""
        self._rate_limits = _RateLimits(overall_per_second, per_chat_per_second, per_chat_burst)
        self._sent_times.clear()
        self._chat_tokens.clear()

    def clear_failures(self) -> None:
        self._failures.clear()

    def delay(self, method: str, seconds: float) -> None:
        """Answer ``method`` only after ``seconds`` (0 removes the delay)."""
        if seconds > 0:
            self._delays[method.lower()] = seconds
        else:
            self._delays.pop(method.lower(), None)

    def clear_delays(self) -> None:
        self._delays.clear()

    # ----------------------------------------------------------------------------------
    # HTTP layer
    # ----------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error_response(_ApiError(401, "Unauthorized"))
        called = request.match_info["method"]
        known = self._handlers.get(called.lower())
        method = known[0] if known else called
        try:
            params = await self._parse_params(request)
        except _ApiError as error:
            self.requests.append((method, {}))
            return self._error_response(error)
        self.requests.append((method, params))
        if known is None:
            self.unknown_methods.append(called)
            return self._error_response(_ApiError(404, "Not Found"))
        key = called.lower()
        pause = self._delays.get(key)
        if pause:
            await asyncio.sleep(pause)
        try:
            self._check_failures(key, params)
            self._check_rate(key, params)
            result = await known[1](params)
        except _ApiError as error:
            return self._error_response(error)
        except Exception as error:  # a stand-in bug; answer like a server error
            _LOGGER.exception("stand-in failed on %s", method)
            return self._error_response(_ApiError(500, f"Internal Server Error: {error!r}"))
        return web.Response(
            text=json.dumps({"ok": True, "result": result}, ensure_ascii=False),
            content_type="application/json",
        )

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error_response(_ApiError(401, "Unauthorized"))
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None or stored.data is None:
            return self._error_response(_ApiError(404, "Not Found"))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    @staticmethod
    def _error_response(error: _ApiError) -> web.Response:
        status = error.error_code if 400 <= error.error_code <= 599 else 500
        return web.Response(
            text=json.dumps(error.payload(), ensure_ascii=False),
            status=status,
            content_type="application/json",
        )

    @staticmethod
    async def _parse_params(request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _bad_request("can't parse JSON encoded request body") from None
                if not isinstance(body, dict):
                    raise _bad_request("JSON body must be an object")
                raw.update(body)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        raw[name] = UploadedFile(
                            filename=value.filename,
                            content_type=value.content_type,
                            data=value.file.read(),
                        )
                    elif isinstance(value, bytes):
                        raw[name] = value.decode("utf-8", "replace")
                    else:
                        raw[name] = value
        return {name: _convert_param(name, value) for name, value in raw.items()}

    def _check_failures(self, method: str, params: dict[str, Any]) -> None:
        if not self._failures:
            return
        chat_id = self._effective_chat(method, params)
        for failure in self._failures:
            if failure.method != method:
                continue
            if failure.chat_id is not None and failure.chat_id != chat_id:
                continue
            if failure.times is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
            raise _ApiError(failure.error_code, failure.description, failure.retry_after)

    def _check_rate(self, method: str, params: dict[str, Any]) -> None:
        limits = self._rate_limits
        if limits is None or method not in _COUNTED:
            return
        now = time.monotonic()
        window = self._sent_times
        while window and window[0] <= now - 1.0:
            window.popleft()
        chat_id = self._effective_chat(method, params)
        tokens, last = self._chat_tokens.get(chat_id, (limits.per_chat_burst, now))
        tokens = min(limits.per_chat_burst, tokens + (now - last) * limits.per_chat_per_second)
        if len(window) >= limits.overall_per_second:
            wait = 1.0 - (now - window[0])
            self.rate_limited.append(("overall", chat_id))
        elif tokens < 1.0:
            wait = (1.0 - tokens) / limits.per_chat_per_second
            self.rate_limited.append(("chat", chat_id))
        else:
            window.append(now)
            self._chat_tokens[chat_id] = (tokens - 1.0, now)
            return
        self._chat_tokens[chat_id] = (tokens, now)
        self.too_many_requests += 1
        retry = max(1, math.ceil(wait))
        raise _ApiError(429, f"Too Many Requests: retry after {retry}", retry)

    def _effective_chat(self, method: str, params: dict[str, Any]) -> int | None:
        if method == "answercallbackquery":
            known = self._callbacks.get(str(params.get("callback_query_id")))
            return known[0] if known else None
        chat_id = params.get("chat_id")
        return chat_id if isinstance(chat_id, int) else None

    # ----------------------------------------------------------------------------------
    # Method implementations
    # ----------------------------------------------------------------------------------

    async def _true(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.get_updates_calls += 1
        if self.first_get_updates_at is None:
            self.first_get_updates_at = time.monotonic()
            self._polled.notify()
        offset = params.get("offset")
        limit = params.get("limit", 100)
        timeout = params.get("timeout", 0)
        if not isinstance(offset, int | None) or not isinstance(limit, int):
            raise _bad_request("invalid offset or limit specified")
        if not isinstance(timeout, int | float):
            raise _bad_request("invalid timeout specified")
        limit = min(max(limit, 1), 100)
        if offset is not None:
            if offset < 0:
                while len(self._updates) > -offset:
                    self._updates.popleft()
            else:
                while self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()
        self._poll_generation += 1
        generation = self._poll_generation
        if not self._updates and timeout > 0 and not self._closing:
            with contextlib.suppress(TimeoutError):
                await self._updates_changed.wait_until(
                    lambda: (
                        bool(self._updates) or self._closing or generation != self._poll_generation
                    ),
                    timeout,
                )
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
        return [self._updates[i] for i in range(min(limit, len(self._updates)))]

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise _bad_request("can't parse BotCommandScope JSON object")
        language = params.get("language_code") or ""
        if not isinstance(language, str) or (language and not re.fullmatch(r"[a-z]{2}", language)):
            raise _bad_request("invalid language code specified")
        if "chat_id" in scope:  # chat scopes are per chat: ("chat:1001", "en")
            return f"{scope['type']}:{scope['chat_id']}", language
        return str(scope["type"]), language

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("can't parse commands JSON object")
        cleaned: list[dict[str, str]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand JSON object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.match(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._commands_key(params)
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        return True

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return [dict(c) for c in self.commands.get(self._commands_key(params), [])]

    async def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise _bad_request("can't parse menu button JSON object")
        chat_id = params.get("chat_id")
        self.menu_buttons[chat_id if isinstance(chat_id, int) else None] = button
        return True

    async def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        key = chat_id if isinstance(chat_id, int) else None
        return self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "default"}

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        text = params.get("text")
        if not isinstance(text, str):
            raise _bad_request("message text is empty")
        parse_mode, entities, markup = self._formatting(params, "entities")
        self._check_text(text, parse_mode, entities, caption=False)
        message = self._new_message(chat_id, "text", text, parse_mode, entities, markup, params)
        link_preview = params.get("link_preview_options")
        if isinstance(link_preview, dict):
            message.link_preview_options = link_preview
        self._record("sendMessage", message, params)
        return self._message_json(message)

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(params, "photo", "sendPhoto")

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(params, "document", "sendDocument")

    def _send_media(self, params: dict[str, Any], kind: str, method: str) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        stored = self._input_file(params, kind)
        caption = params.get("caption")
        if caption is not None and not isinstance(caption, str):
            raise _bad_request("invalid caption specified")
        parse_mode, entities, markup = self._formatting(params, "caption_entities")
        if caption:
            self._check_text(caption, parse_mode, entities, caption=True)
        message = self._new_message(
            chat_id, kind, caption or None, parse_mode, entities, markup, params
        )
        message.file = stored
        self._record(method, message, params)
        return self._message_json(message)

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_to_edit(params)
        if message.kind != "text":
            raise _bad_request("there is no text in the message to edit")
        text = params.get("text")
        if not isinstance(text, str):
            raise _bad_request("message text is empty")
        parse_mode, entities, markup = self._formatting(params, "entities", edit=True)
        self._check_text(text, parse_mode, entities, caption=False)
        current = (message.text, message.parse_mode, message.entities, message.inline_markup)
        if current == (text, parse_mode, entities, markup):
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        message.text, message.parse_mode, message.entities = text, parse_mode, entities
        message.reply_markup = markup
        link_preview = params.get("link_preview_options")
        if isinstance(link_preview, dict):
            message.link_preview_options = link_preview
        message.edit_date = int(time.time())
        self._record("editMessageText", message, params)
        return self._message_json(message)

    async def _edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_to_edit(params)
        if message.kind == "text":
            raise _bad_request("there is no caption in the message to edit")
        caption = params.get("caption")
        if caption is not None and not isinstance(caption, str):
            raise _bad_request("invalid caption specified")
        parse_mode, entities, markup = self._formatting(params, "caption_entities", edit=True)
        if caption:
            self._check_text(caption, parse_mode, entities, caption=True)
        current = (message.text, message.parse_mode, message.entities, message.inline_markup)
        if current == (caption or None, parse_mode, entities, markup):
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        message.text, message.parse_mode, message.entities = caption or None, parse_mode, entities
        message.reply_markup = markup
        message.edit_date = int(time.time())
        self._record("editMessageCaption", message, params)
        return self._message_json(message)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_to_edit(params)
        markup = self._reply_markup(params, inline_only=True)
        if markup == message.inline_markup:
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        message.reply_markup = markup
        message.edit_date = int(time.time())
        self._record("editMessageReplyMarkup", message, params, with_text=False)
        return self._message_json(message)

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat_id(params, must_exist=False)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad_request("message identifier is not specified")
        bot_messages = self._bot_messages.get(chat_id, {})
        user_messages = self._user_messages.get(chat_id, {})
        if message_id in bot_messages:
            del bot_messages[message_id]
        elif message_id in user_messages:
            del user_messages[message_id]
        else:
            raise _bad_request("message to delete not found")
        self._append_outgoing(
            Outgoing(
                method="deleteMessage",
                chat_id=chat_id,
                message_id=message_id,
                params=params,
            )
        )
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = params.get("callback_query_id")
        known = self._callbacks.get(str(query_id)) if query_id is not None else None
        if known is None:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        if text is not None and not isinstance(text, str):
            raise _bad_request("invalid text specified")
        if isinstance(text, str) and len(text) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._append_outgoing(
            Outgoing(
                method="answerCallbackQuery",
                chat_id=known[0],
                message_id=known[1],
                text=text,
                params=params,
            )
        )
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat_id(params)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        self.chat_actions.append((chat_id, str(action)))
        return True

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise _bad_request("invalid file_id")
        result: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
        }
        if stored.size is not None:
            result["file_size"] = stored.size
            result["file_path"] = stored.file_path
        return result

    # ----------------------------------------------------------------------------------
    # Helpers
    # ----------------------------------------------------------------------------------

    def _chat_id(self, params: dict[str, Any], must_exist: bool = True) -> int:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        if not isinstance(chat_id, int):
            raise _bad_request("chat not found")
        if (
            must_exist
            and self.require_known_chat
            and chat_id not in self._users
            and chat_id not in self._bot_messages
        ):
            raise _bad_request("chat not found")
        return chat_id

    def _formatting(
        self, params: dict[str, Any], entities_name: str, *, edit: bool = False
    ) -> tuple[str | None, list[dict[str, Any]] | None, dict[str, Any] | None]:
        parse_mode = params.get("parse_mode") or None
        if parse_mode is not None and (
            not isinstance(parse_mode, str)
            or parse_mode.lower() not in ("html", "markdown", "markdownv2")
        ):
            raise _bad_request(f"unsupported parse_mode {parse_mode!r}")
        entities = params.get(entities_name) or None
        if entities is not None and not isinstance(entities, list):
            raise _bad_request(f"can't parse {entities_name} JSON object")
        return parse_mode, entities, self._reply_markup(params, inline_only=edit)

    @staticmethod
    def _reply_markup(params: dict[str, Any], inline_only: bool = False) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            if inline_only:
                raise _bad_request("inline keyboard expected")
            return markup
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request("can't parse inline keyboard button: InlineKeyboardButton expected")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad_request("can't parse inline keyboard button: Text must be String")
                data = button.get("callback_data")
                if data is not None and (
                    not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64
                ):
                    raise _bad_request("BUTTON_DATA_INVALID")
        return markup

    @staticmethod
    def _check_text(
        text: str,
        parse_mode: str | None,
        entities: list[dict[str, Any]] | None,
        *,
        caption: bool,
    ) -> None:
        plain = _plain_text(text, parse_mode, entities is not None)
        if not plain.strip():
            if not caption:
                raise _bad_request("message text is empty")
        elif caption and len(plain) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        elif not caption and len(plain) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")

    def _message_to_edit(self, params: dict[str, Any]) -> _Message:
        if params.get("inline_message_id") is not None:
            raise _bad_request("MESSAGE_ID_INVALID")
        chat_id = self._chat_id(params, must_exist=False)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad_request("message identifier is not specified")
        message = self._bot_messages.get(chat_id, {}).get(message_id)
        if message is None:
            if message_id in self._user_messages.get(chat_id, {}):
                raise _bad_request("message can't be edited")
            raise _bad_request("message to edit not found")
        return message

    def _next_message_id(self, chat_id: int) -> int:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _new_message(
        self,
        chat_id: int,
        kind: str,
        text: str | None,
        parse_mode: str | None,
        entities: list[dict[str, Any]] | None,
        markup: dict[str, Any] | None,
        params: dict[str, Any],
    ) -> _Message:
        reply_to = self._reply_target(chat_id, params)
        message = _Message(
            chat_id=chat_id,
            message_id=self._next_message_id(chat_id),
            date=int(time.time()),
            kind=kind,
            text=text,
            parse_mode=parse_mode,
            entities=entities,
            reply_markup=markup,
            reply_to=reply_to,
        )
        self._bot_messages.setdefault(chat_id, {})[message.message_id] = message
        return message

    def _reply_target(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        target: Any = params.get("reply_to_message_id")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            target = reply.get("message_id")
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        if not isinstance(target, int):
            return None
        bot_message = self._bot_messages.get(chat_id, {}).get(target)
        if bot_message is not None:
            return self._message_json(bot_message, nested=True)
        user_message = self._user_messages.get(chat_id, {}).get(target)
        if user_message is not None:
            return user_message
        if allow_missing:
            return None
        raise _bad_request("message to be replied not found")

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        user = self._users.get(chat_id)
        if user is not None:
            return user.chat_json()
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Budi"}
        return {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}

    def _message_json(self, message: _Message, nested: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.bot_user,
            "chat": self._chat_json(message.chat_id),
            "date": message.date,
        }
        if message.edit_date is not None:
            body["edit_date"] = message.edit_date
        if message.reply_to is not None and not nested:
            body["reply_to_message"] = message.reply_to
        if message.kind == "text":
            body["text"] = message.text or ""
            if message.entities:
                body["entities"] = message.entities
            if message.link_preview_options is not None:
                body["link_preview_options"] = message.link_preview_options
        else:
            stored = message.file
            if stored is not None:
                if message.kind == "photo":
                    body["photo"] = [self._photo_size(stored)]
                else:
                    body["document"] = self._document_json(stored)
            if message.text is not None:
                body["caption"] = message.text
                if message.entities:
                    body["caption_entities"] = message.entities
        if message.inline_markup is not None:
            body["reply_markup"] = message.inline_markup
        return body

    def _snapshot(self, message: _Message) -> BotMessage:
        stored = message.file
        return BotMessage(
            chat_id=message.chat_id,
            message_id=message.message_id,
            kind=message.kind,
            text=message.text,
            parse_mode=message.parse_mode,
            entities=message.entities,
            reply_markup=message.reply_markup,
            file_bytes=stored.data if stored else None,
            file_name=stored.file_name if stored else None,
            date=message.date,
            edit_date=message.edit_date,
            json=self._message_json(message),
        )

    def _record(
        self,
        method: str,
        message: _Message,
        params: dict[str, Any],
        *,
        with_text: bool = True,
    ) -> None:
        stored = message.file
        self._append_outgoing(
            Outgoing(
                method=method,
                chat_id=message.chat_id,
                message_id=message.message_id,
                text=message.text if with_text else None,
                parse_mode=message.parse_mode,
                reply_markup=params.get("reply_markup") or None,
                file_bytes=stored.data if stored else None,
                file_name=stored.file_name if stored else None,
                params=params,
            )
        )

    def _append_outgoing(self, record: Outgoing) -> None:
        self.outbox.append(record)
        self._outbox_changed.notify()
        for listener in list(self._listeners):
            try:
                listener(record)
            except Exception:
                _LOGGER.exception("outbox listener failed")

    def _describe_outbox(self, chat_id: int | None, since: int) -> str:
        lines = []
        for index, record in enumerate(self.outbox[since:], start=since):
            mark = "*" if chat_id is None or record.chat_id == chat_id else " "
            text = record.text if record.text is None else record.text[:80]
            lines.append(
                f"  {mark}#{index} {record.method} chat={record.chat_id} "
                f"message_id={record.message_id} text={text!r}"
            )
        if not lines:
            return "nothing arrived"
        return f"arrived ({len(lines)}, * = matching chat):\n" + "\n".join(lines)

    def _store_file(
        self,
        data: bytes | None,
        file_name: str | None,
        mime_type: str | None,
        folder: str,
        width: int = 0,
        height: int = 0,
    ) -> _StoredFile:
        number = self._next_file
        self._next_file += 1
        extension = ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        stored = _StoredFile(
            file_id=f"StandIn{folder.capitalize()}File{number:06d}AAQ",
            file_unique_id=f"AQADsi{number:06d}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{folder}/file_{number}{extension}",
            width=width,
            height=height,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _input_file(self, params: dict[str, Any], kind: str) -> _StoredFile:
        value = params.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, UploadedFile):
            if not value.data:
                raise _bad_request("file must be non-empty")
            folder = "photos" if kind == "photo" else "documents"
            width, height = _image_size(value.data) if kind == "photo" else (0, 0)
            return self._store_file(
                value.data, value.filename, value.content_type, folder, width, height
            )
        if isinstance(value, str) and value:
            known = self._files.get(value)
            if known is not None:
                return known
            if value.startswith(("http://", "https://")):
                name = value.rstrip("/").rsplit("/", 1)[-1] or None
                folder = "photos" if kind == "photo" else "documents"
                return self._store_file(None, name, None, folder, 1, 1)
            raise _bad_request("wrong file identifier/HTTP URL specified")
        raise _bad_request(f"there is no {kind} in the request")

    @staticmethod
    def _photo_size(stored: _StoredFile) -> dict[str, Any]:
        size: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": stored.width or 1,
            "height": stored.height or 1,
        }
        if stored.size is not None:
            size["file_size"] = stored.size
        return size

    @staticmethod
    def _document_json(stored: _StoredFile) -> dict[str, Any]:
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
        }
        if stored.file_name is not None:
            document["file_name"] = stored.file_name
        if stored.mime_type is not None:
            document["mime_type"] = stored.mime_type
        if stored.size is not None:
            document["file_size"] = stored.size
        return document

    def _push_user_message(
        self,
        user_id: int,
        content: dict[str, Any],
        *,
        first_name: str | None,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        reply_to_message_id: int | None = None,
    ) -> int:
        target: dict[str, Any] | None = None
        if reply_to_message_id is not None:
            try:
                target = self._reply_target(user_id, {"reply_to_message_id": reply_to_message_id})
            except _ApiError:
                raise ValueError(f"no message {reply_to_message_id} in chat {user_id}") from None
        sender = self.set_user(
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        message: dict[str, Any] = {
            "message_id": self._next_message_id(user_id),
            "from": sender,
            "chat": self._users[user_id].chat_json(),
            "date": int(time.time()),
        }
        if target is not None:
            message["reply_to_message"] = target
        message.update(content)
        self._user_messages.setdefault(user_id, {})[message["message_id"]] = message
        return self.push_update({"message": message})


# ------------------------------------------------------------------------------------------
# Standalone
# ------------------------------------------------------------------------------------------


def _describe_record(record: Outgoing) -> str:
    line = f"<- {record.method} chat={record.chat_id} message_id={record.message_id}"
    if record.text is not None:
        line += "\n   " + record.text.replace("\n", "\n   ")
    markup = record.reply_markup or {}
    for row in markup.get("inline_keyboard", []):
        buttons = [f"[{b.get('text')} -> {b.get('callback_data') or b.get('url')}]" for b in row]
        line += "\n   " + " ".join(buttons)
    for row in markup.get("keyboard", []):
        line += "\n   " + " ".join(f"[{b if isinstance(b, str) else b.get('text')}]" for b in row)
    return line


def _read_stdin(loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str | None]) -> None:
    """Feed stdin lines to ``lines`` (runs in a daemon thread; None marks end of input)."""
    for line in sys.stdin:
        loop.call_soon_threadsafe(lines.put_nowait, line.rstrip("\n"))
    loop.call_soon_threadsafe(lines.put_nowait, None)


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.standin [--host H] [--port P] [--token T] [--username U] [--user-id N]``.

    Serves until Ctrl-C and prints what the bot sends. Lines typed on stdin are sent to the bot
    as messages from user ``--user-id``; ``!cb MESSAGE_ID DATA`` presses an inline button.
    """
    parser = argparse.ArgumentParser(
        prog="python -m bot.standin", description="Run the Bot API stand-in until Ctrl-C."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default="aksi_bot")
    parser.add_argument("--user-id", type=int, default=1001, help="who stdin lines come from")
    args = parser.parse_args(argv)

    async def serve() -> None:
        async with BotApiStandIn(args.token, args.username, args.host, args.port) as standin:
            standin.add_listener(lambda record: print(_describe_record(record), flush=True))
            print("Bot API stand-in running; Ctrl-C stops it.", flush=True)
            print(f"  token:         {standin.token}", flush=True)
            print(f"  base_url:      {standin.base_url}", flush=True)
            print(f"  base_file_url: {standin.base_file_url}", flush=True)
            print(f"Type to chat as user {args.user_id}; '!cb MESSAGE_ID DATA' presses a button.")
            lines: asyncio.Queue[str | None] = asyncio.Queue()
            reader = threading.Thread(
                target=_read_stdin, args=(asyncio.get_running_loop(), lines), daemon=True
            )
            reader.start()
            while True:
                line = await lines.get()
                if line is None:  # stdin closed: keep serving
                    await asyncio.Event().wait()
                    continue
                if not line.strip():
                    continue
                parts = line.split(maxsplit=2)
                try:
                    if parts[0] == "!cb" and len(parts) == 3:
                        standin.push_callback(args.user_id, int(parts[1]), parts[2])
                    else:
                        standin.push_message(args.user_id, line)
                except ValueError as error:
                    print(f"!! {error}", flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
