"""The stand-in's state: everything the layers keep, set up in one place."""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from bot.standin.records import (
    Network,
    Outgoing,
    _Broadcast,
    _Failure,
    _Message,
    _RateLimits,
    _Stall,
    _StoredFile,
    _User,
)
from bot.standin.wire import _TOKEN_RE, DEFAULT_TOKEN


class _State:
    """The stand-in's state (see `BotApiStandIn`); the layers above add behaviour."""

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
        # The webhook set by setWebhook (url, secret_token, allowed_updates), if any: while one
        # is set, getUpdates is refused as Telegram refuses it.
        self.webhook: dict[str, Any] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self.webhook_posts = 0  # updates the bot's webhook took (2xx)
        self.webhook_refusals: list[int] = []  # statuses of posts it refused (0: no answer)
        self.webhook_retry_seconds = 0.2  # Telegram waits longer; tests need not
        # Posts in flight at once (Telegram's max_connections, 40 by default; one keeps every
        # update in order).
        self.webhook_connections = 1
        # Standing in for the reverse proxy in front of several workers (`spread_webhook`):
        # each post goes to the next of these (scheme://host:port), the webhook's path kept.
        self.webhook_upstreams: list[str] = []
        self._next_upstream = 0
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
        self._network: Network | None = None
        self._rng = random.Random(0)
        self._stalls: list[_Stall] = []
        self.stalled: list[tuple[str, int | None]] = []  # calls carried out, never answered
        self.in_flight = 0  # API calls received and not yet answered (long polls aside)
        self.most_in_flight = 0  # the most at once since the start (or `reset_records`)
        self._sent_times: deque[float] = deque()
        self._chat_tokens: dict[int | None, tuple[float, float]] = {}

        self._updates: deque[dict[str, Any]] = deque()
        self._next_update_id = 1
        self._poll_generation = 0
        self._next_poll = 0
        self._polls: dict[str, tuple[int, int]] = {}  # poll id -> (chat id, message id)
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

    @property
    def last_update_id(self) -> int:
        """The id of the newest update pushed (0 before any)."""
        return self._next_update_id - 1

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot as a Telegram ``User`` object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }
