"""The Bot API stand-in tests' chats and keyboard."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

USER = 1001
OTHER_USER = 1002

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Ya", callback_data="yes"),
            InlineKeyboardButton("Tidak", callback_data="no"),
        ]
    ]
)
