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

from bot.standin.records import BotMessage, Outgoing
from bot.standin.server import BotApiStandIn
from bot.standin.wire import (
    DEFAULT_TOKEN,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    NOT_MODIFIED,
    TINY_PNG,
    UploadedFile,
)

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
]
