"""The HTTP layer: requests parsed as Telegram parses them, answers shaped like Telegram's."""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import Any, TypeVar

from aiohttp import web

from bot.standin.methods import _Methods
from bot.standin.records import _COUNTED, _Failure, _Stall
from bot.standin.wire import _LOGGER, UploadedFile, _ApiError, _bad_request, _convert_param


class _Http(_Methods):
    """The HTTP layer: requests parsed as Telegram parses them, answers shaped like Telegram's."""

    # ----------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["method"].lower() == "getupdates":  # long polls: not counted
            return await self._api_call(request)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await self._api_call(request)
        finally:
            self.in_flight -= 1

    async def _api_call(self, request: web.Request) -> web.Response:
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
        if self._network is not None:  # the request on its way
            await asyncio.sleep(self._network.leg(self._rng))
        self.requests.append((method, params))
        if known is None:
            self.unknown_methods.append(called)
            return await self._answer(self._error_response(_ApiError(404, "Not Found")))
        key = called.lower()
        pause = self._delays.get(key)
        if pause:
            await asyncio.sleep(pause)
        try:
            self._check_failures(key, params)
            self._check_rate(key, params)
            result = await known[1](params)
        except _ApiError as error:
            return await self._answer(self._error_response(error))
        except Exception as error:  # a stand-in bug; answer like a server error
            _LOGGER.exception("stand-in failed on %s", method)
            error = _ApiError(500, f"Internal Server Error: {error!r}")
            return await self._answer(self._error_response(error))
        if self._stalled(key, params):
            await asyncio.Event().wait()  # until the client gives up (the handler is cancelled)
        return await self._answer(
            web.Response(
                text=json.dumps({"ok": True, "result": result}, ensure_ascii=False),
                content_type="application/json",
            )
        )

    async def _answer(self, response: web.Response) -> web.Response:
        if self._network is not None:  # the answer on its way back
            await asyncio.sleep(self._network.leg(self._rng))
        return response

    def _stalled(self, method: str, params: dict[str, Any]) -> bool:
        if not self._stalls:
            return False
        chat_id = self._effective_chat(method, params)
        if _take(self._stalls, method, chat_id) is None:
            return False
        self.stalled.append((method, chat_id))
        return True

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
        failure = _take(self._failures, method, self._effective_chat(method, params))
        if failure is not None:
            raise _ApiError(failure.error_code, failure.description, failure.retry_after)

    def _check_rate(self, method: str, params: dict[str, Any]) -> None:
        limits = self._rate_limits
        if limits is None or method not in _COUNTED:
            return
        now = time.monotonic()
        window = self._sent_times
        if limits.window == "fixed":  # this clock second's sends only
            while window and math.floor(window[0]) < math.floor(now):
                window.popleft()
        else:
            while window and window[0] <= now - 1.0:
                window.popleft()
        chat_id = self._effective_chat(method, params)
        tokens, last = self._chat_tokens.get(chat_id, (limits.per_chat_burst, now))
        tokens = min(limits.per_chat_burst, tokens + (now - last) * limits.per_chat_per_second)
        if len(window) >= limits.overall_per_second:
            if limits.window == "fixed":
                wait = math.floor(now) + 1.0 - now
            else:
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
        retry = limits.retry_after or max(1, math.ceil(wait))
        raise _ApiError(429, f"Too Many Requests: retry after {retry}", retry)

    def _effective_chat(self, method: str, params: dict[str, Any]) -> int | None:
        if method == "answercallbackquery":
            known = self._callbacks.get(str(params.get("callback_query_id")))
            return known[0] if known else None
        chat_id = params.get("chat_id")
        return chat_id if isinstance(chat_id, int) else None


_Rule = TypeVar("_Rule", _Failure, _Stall)


def _take(rules: list[_Rule], method: str, chat_id: int | None) -> _Rule | None:
    """The first rule for `method` (and this chat, when it names one), with one of its `times`
    used up (gone when none is left); None when no rule applies."""
    for rule in rules:
        if rule.method != method or rule.chat_id not in (None, chat_id):
            continue
        if rule.times is not None:
            rule.times -= 1
            if rule.times <= 0:
                rules.remove(rule)
        return rule
    return None
