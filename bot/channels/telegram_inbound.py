"""Telegram's side of the features: an update becomes the contract's inbound event (a command,
text — its formatting kept as Aksi's markup, `core.markup.clean` — button press or file) and
a `Turn`, and the feature runs on it; everything it answers goes out through the Telegram
channel (`bot.channels.telegram`), after its transactions have committed. No feature sees
PTB's types."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Chat, Update

from bot.channels.telegram import address
from bot.context import AksiContext
from core.channel import (
    Command,
    FileIn,
    Inbound,
    MessageRef,
    Other,
    PollAnswer,
    Press,
    Sender,
    Text,
)
from core.markup import clean
from handlers.turn import Feature, Turn

log = logging.getLogger("aksi.telegram")

Callback = Callable[[Update, AksiContext], Coroutine[Any, Any, None]]


def sender_of(update: Update) -> Sender:
    """Who wrote: their private chat's address (the same number as their user id), name and
    app language."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or (chat is None and update.poll_answer is None):
        raise ValueError("update without a user or chat")
    name = " ".join(p for p in (user.first_name, user.last_name) if p)
    # A poll answer names no chat: the voter's private chat has their user id.
    where = address(chat.id if chat is not None else user.id)
    return Sender(where, name, user.username or "", user.language_code, user.first_name)


def inbound_of(update: Update) -> Inbound:
    """The update as the contract's event (`Other` for what Aksi does not read: a sticker, a
    voice note)."""
    sender = sender_of(update)
    if update.poll_answer is not None:
        answer = update.poll_answer
        return PollAnswer(sender, answer.poll_id, tuple(answer.option_ids))
    query = update.callback_query
    if query is not None:
        shown = query.message
        ref = MessageRef(address(shown.chat.id), str(shown.message_id)) if shown else None
        return Press(sender, query.data or "", ref, query.id)
    message = update.effective_message
    if message is None:
        return Other(sender, "update")
    document = message.document
    if document is not None:
        return FileIn(
            sender,
            document.file_id,
            document.file_name or "",
            document.file_size,
            document.mime_type or "",
            message.caption or "",
        )
    if message.photo:  # its sizes, smallest first: the largest is the one kept
        photo = message.photo[-1]
        return FileIn(
            sender,
            photo.file_id,
            f"foto-{photo.file_unique_id}.jpg",
            photo.file_size,
            "image/jpeg",
            message.caption or "",
            kind="photo",
        )
    text = message.text
    if text is None:
        return Other(sender, "sticker" if message.sticker else "media")
    if text.startswith("/") and any(
        e.type == "bot_command" and e.offset == 0 for e in message.entities
    ):
        return Command.of(sender, text, clean(message.text_html))
    return Text(sender, text, clean(message.text_html))


def run_feature(feature: Feature) -> Callback:
    """The PTB callback that runs `feature` for an update of a private chat (the bot answers
    nobody in groups)."""

    async def handle(update: Update, context: AksiContext) -> None:
        chat = update.effective_chat
        private = chat.type == Chat.PRIVATE if chat is not None else update.poll_answer is not None
        if update.effective_user is None or not private:
            log.debug("not a private chat's update: %s", update.update_id)
            return
        if context.event is None:  # the first handler group of this update
            context.event = inbound_of(update)
        await feature(Turn(context.services, context.event.sender, context.event))

    handle.__name__ = handle.__qualname__ = getattr(feature, "__name__", "feature")
    return handle
