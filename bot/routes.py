"""The Telegram routes: every command, button and message kind to its handler, in order.
Every feature is written against the channel contract and run through the Telegram adapter
(`bot.channels.telegram_inbound`)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)

import handlers
from bot.channels.telegram_inbound import run_feature
from bot.errors import on_error


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every feature of the tables in `handlers`, in order: the first match in a group wins."""
    private = filters.ChatType.PRIVATE
    message = private & filters.UpdateType.MESSAGE
    # Before everything (its own group): anything but the answer to a question voids it.
    app.add_handler(TypeHandler(Update, run_feature(handlers.BEFORE_EVERYTHING)), group=-1)
    for names, feature in handlers.COMMANDS + handlers.STAFF_COMMANDS:
        app.add_handler(
            CommandHandler(list(dict.fromkeys(names)), run_feature(feature), filters=private)
        )
    # A poll answer carries a user and no chat (the voter's private chat has their id).
    app.add_handler(PollAnswerHandler(run_feature(handlers.POLL_ANSWER)))
    for prefix, feature in handlers.BUTTONS:
        app.add_handler(CallbackQueryHandler(run_feature(feature), pattern=rf"^{prefix}:"))
    # Catch-alls last: unknown buttons, unknown commands, free text, everything else.
    app.add_handler(CallbackQueryHandler(run_feature(handlers.UNKNOWN_BUTTON)))
    app.add_handler(
        MessageHandler(private & filters.COMMAND, run_feature(handlers.UNKNOWN_COMMAND))
    )
    app.add_handler(
        MessageHandler(message & filters.TEXT & ~filters.COMMAND, run_feature(handlers.TYPED_TEXT))
    )
    # Before OTHER: a facilitator's CSV file; anyone else's file is passed on to it.
    files = filters.Document.ALL | filters.PHOTO
    app.add_handler(MessageHandler(message & files, run_feature(handlers.FILE)))
    app.add_handler(MessageHandler(message & ~filters.TEXT, run_feature(handlers.OTHER)))
    app.add_error_handler(on_error)
