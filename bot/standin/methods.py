"""The Bot API methods the stand-in answers."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.standin.helpers import _Helpers
from bot.standin.records import Outgoing
from bot.standin.wire import (
    _CHAT_ACTIONS,
    _COMMAND_RE,
    NOT_MODIFIED,
    _ApiError,
    _bad_request,
    _Handler,
)


class _Methods(_Helpers):
    """The Bot API methods the stand-in answers."""

    @functools.cached_property
    def _handlers(self) -> dict[str, tuple[str, _Handler]]:
        """The methods answered, by lower-case name: (the Bot API's spelling, the handler)."""
        table = (
            ("getMe", self._get_me),
            ("logOut", self._true),
            ("close", self._true),
            ("setWebhook", self._set_webhook),
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
            ("sendPoll", self._send_poll),
            ("stopPoll", self._stop_poll),
            ("getFile", self._get_file),
            ("setChatMenuButton", self._set_chat_menu_button),
            ("getChatMenuButton", self._get_chat_menu_button),
        )
        return {name.lower(): (name, handler) for name, handler in table}

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

    async def _send_poll(self, params: dict[str, Any]) -> dict[str, Any]:
        """A poll or quiz, checked as the Bot API checks it (question 1-300 characters, 2-10
        options of 1-100, a quiz's correct option, explanation up to 200, open_period 5-600)."""
        chat_id = self._chat_id(params)
        question = params.get("question")
        if not isinstance(question, str) or not 1 <= len(question) <= 300:
            raise _bad_request("POLL_QUESTION_INVALID")
        raw = params.get("options")
        options = [o.get("text") if isinstance(o, dict) else o for o in raw or []]
        if not 2 <= len(options) <= 10:
            raise _bad_request(
                "POLL_OPTIONS_COUNT_INVALID" if options else "poll must have options"
            )
        if any(not isinstance(o, str) or not 1 <= len(o) <= 100 for o in options):
            raise _bad_request("POLL_OPTION_INVALID")
        kind = params.get("type") or "regular"
        correct = params.get("correct_option_id")  # Bot API 10: correct_option_ids, a list
        many = params.get("correct_option_ids")
        if isinstance(many, list) and len(many) == 1:
            correct = many[0]
        if kind == "quiz" and (not isinstance(correct, int) or not 0 <= correct < len(options)):
            raise _bad_request("wrong correct_option_id specified")
        explanation = params.get("explanation")
        if explanation is not None and (not isinstance(explanation, str) or len(explanation) > 200):
            raise _bad_request("explanation is too long")
        period = params.get("open_period")
        if period is not None and (not isinstance(period, int) or not 5 <= period <= 600):
            raise _bad_request("wrong open_period specified")
        markup = self._reply_markup(params)
        message = self._new_message(chat_id, "poll", question, None, None, markup, params)
        self._next_poll += 1
        message.poll = {
            "id": str(5_000_000_000_000_000_000 + self._next_poll),
            "question": question,
            "options": [
                {"text": o, "voter_count": 0, "persistent_id": str(i)}
                for i, o in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": bool(params.get("is_anonymous", True)),
            "type": kind,
            "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
            "allows_revoting": bool(params.get("allows_revoting", False)),
            "members_only": bool(params.get("members_only", False)),
        }
        if kind == "quiz":
            message.poll["correct_option_ids"] = [correct]
            if explanation:
                message.poll["explanation"] = explanation
        if period is not None:
            message.poll["open_period"] = period
        self._polls[message.poll["id"]] = (chat_id, message.message_id)
        self._record("sendPoll", message, params)
        return self._message_json(message)

    async def _stop_poll(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_to_edit(params)
        if message.poll is None:
            raise _bad_request("message with poll to stop not found")
        if message.poll["is_closed"]:
            raise _bad_request("poll has already been closed")
        message.poll["is_closed"] = True
        self._record("stopPoll", message, params, with_text=False)
        return dict(message.poll)

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
