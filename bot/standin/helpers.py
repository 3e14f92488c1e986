"""Helpers the Bot API methods share: chats, messages, files, records."""

from __future__ import annotations

import time
from typing import Any

from bot.standin.records import BotMessage, Outgoing, _Message, _StoredFile
from bot.standin.state import _State
from bot.standin.wire import (
    _LOGGER,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    UploadedFile,
    _ApiError,
    _bad_request,
    _image_size,
    _plain_text,
)


class _Helpers(_State):
    """Helpers the Bot API methods share: chats, messages, files, records."""

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
        elif message.kind == "poll":
            body["poll"] = message.poll
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
