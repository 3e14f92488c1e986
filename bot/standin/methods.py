"""The Bot API methods the stand-in answers."""

from __future__ import annotations

import functools
import re
import time
from typing import Any

from bot.standin.polls import _Polls
from bot.standin.records import Outgoing
from bot.standin.updates import _Updates
from bot.standin.wire import (
    _CHAT_ACTIONS,
    _COMMAND_RE,
    NOT_MODIFIED,
    _bad_request,
    _Handler,
)


class _Methods(_Updates, _Polls):
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
