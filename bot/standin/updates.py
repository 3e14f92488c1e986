"""The stand-in's side of how updates reach the bot: getUpdates (long polling) or posts to the
bot's webhook (setWebhook, with its secret, as Telegram posts them)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.standin.helpers import _Helpers
from bot.standin.wire import (
    _ApiError,
    _bad_request,
)


class _Updates(_Helpers):
    """getUpdates, setWebhook, deleteWebhook, getWebhookInfo, and the poster of updates."""

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise _bad_request("bad webhook: an HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad_request("bad webhook: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, str):  # sent as a JSON array in a form field
            allowed = json.loads(allowed)
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": allowed}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._post_updates(), name="webhook")
        self._updates_changed.notify()
        return True

    async def _post_updates(self) -> None:
        """As Telegram does with a webhook set: post each update, oldest first, to its URL with
        the secret header, `webhook_connections` at a time; one that is not taken (an error
        status, no answer in 10 s) goes back to the front and is posted again after
        `webhook_retry_seconds`."""
        timeout = aiohttp.ClientTimeout(total=10)
        connector = aiohttp.TCPConnector(limit=max(1, self.webhook_connections))
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            posters = [
                asyncio.create_task(self._poster(http)) for _ in range(self.webhook_connections)
            ]
            try:
                await asyncio.gather(*posters)
            finally:
                for poster in posters:
                    poster.cancel()

    async def _poster(self, http: aiohttp.ClientSession) -> None:
        while True:
            await self._updates_changed.wait_until(
                lambda: self._closing or self.webhook is None or bool(self._updates), None
            )
            hook = self.webhook
            if self._closing or hook is None:
                return
            update = self._updates.popleft()
            headers = {}
            if hook["secret_token"]:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
            status = 0
            url = hook["url"]
            if self.webhook_upstreams:
                base = self.webhook_upstreams[self._next_upstream % len(self.webhook_upstreams)]
                self._next_upstream += 1
                url = base + urlsplit(url).path
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.post(url, json=update, headers=headers) as answer:
                    status = answer.status
            if 200 <= status < 300:
                self.webhook_posts += 1
                continue
            self.webhook_refusals.append(status)
            self._updates.appendleft(update)
            await asyncio.sleep(self.webhook_retry_seconds)

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        self._updates_changed.notify()
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
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
