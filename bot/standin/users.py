"""Simulated users, the driving side: messages, presses, files typed and sent to the bot."""

from __future__ import annotations

from typing import Any

from bot.standin.control import _Control
from bot.standin.wire import TINY_PNG, _image_size, _utf16_len


class _Users(_Control):
    """Simulated users, the driving side: messages, presses, files typed and sent to the bot."""

    # ----------------------------------------------------------------------------------

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

    def push_poll_answer(self, user_id: int, poll_id: str, option_ids: list[int]) -> int:
        """A user answers (or, with no options, takes back their answer in) a poll the bot
        sent them; a closed poll raises :class:`ValueError`, as Telegram takes no answer to
        one. Returns the update id."""
        where = self._polls.get(poll_id)
        message = self._bot_messages.get(where[0], {}).get(where[1]) if where else None
        # An id it never sent passes (a poll the bot sent before its records were lost).
        if message is not None and message.poll is not None and message.poll["is_closed"]:
            raise ValueError(f"poll {poll_id} is closed")
        return self.push_update(
            {
                "poll_answer": {
                    "poll_id": poll_id,
                    "user": self._users[user_id].to_json(),
                    "option_ids": list(option_ids),
                    "option_persistent_ids": [str(i) for i in option_ids],
                }
            }
        )

    @property
    def pending_update_count(self) -> int:
        """Updates queued and not yet confirmed by a getUpdates ``offset``."""
        return len(self._updates)
