"""What travels over the wire: the Bot API's limits and parameter types, its errors, and the
parsing of what PTB sends (form values, Telegram HTML, image sizes)."""

from __future__ import annotations

import json
import logging
import re
import struct
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

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
    "max_connections", "until_date", "correct_option_id", "open_period", "close_date",
})
_FLOAT_PARAMS = frozenset({"timeout"})
_BOOL_PARAMS = frozenset({
    "disable_notification", "protect_content", "allow_paid_broadcast", "show_alert",
    "drop_pending_updates", "disable_web_page_preview", "allow_sending_without_reply",
    "has_spoiler", "disable_content_type_detection", "show_caption_above_media", "is_big",
    "for_channels", "is_anonymous", "allows_multiple_answers", "is_closed",
})
_JSON_PARAMS = frozenset({
    "reply_markup", "entities", "caption_entities", "link_preview_options", "reply_parameters",
    "commands", "scope", "menu_button", "allowed_updates", "media", "results", "options",
    "explanation_entities", "reaction", "rights", "message_ids", "correct_option_ids",
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


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a ``multipart/form-data`` request (as found in :attr:`requests`)."""

    filename: str | None
    content_type: str | None
    data: bytes


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
