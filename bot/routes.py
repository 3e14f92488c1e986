"""The Telegram routes: every command, button and message kind to its handler, in order.
Features written against the channel contract (`handlers.FEATURES`) are run through the
Telegram adapter (`bot.channels.telegram_inbound`); the others still take the update."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.telegram_inbound import Callback, run_feature
from core import buttons
from handlers import (
    COMMANDS,
    COMMANDS_OF_MENU,
    FEATURES,
    STAFF_COMMANDS,
    announce,
    checkin,
    confirm,
    fallback,
    guide,
    menu,
    onboarding,
    plan,
    reminders,
    roster,
    settings,
    staff,
    typed,
    uploads,
)


def telegram_callback(command: Any) -> Callback:
    """The PTB callback for a command: a contract feature through the adapter, else itself."""
    return run_feature(command) if command in FEATURES else command


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every handler, in order: the first match in a group wins."""
    private = filters.ChatType.PRIVATE
    menu_commands = {name: telegram_callback(c) for name, c in COMMANDS_OF_MENU.items()}
    # Before everything (its own group): anything but the answer to a question voids it.
    app.add_handler(TypeHandler(Update, confirm.void_on_anything_else), group=-1)
    for names, callback in COMMANDS + STAFF_COMMANDS:
        app.add_handler(
            CommandHandler(list(dict.fromkeys(names)), telegram_callback(callback), filters=private)
        )
    app.add_handler(CallbackQueryHandler(staff.staff_button, pattern=rf"^{buttons.STAFF}:"))
    app.add_handler(
        CallbackQueryHandler(announce.announce_button, pattern=rf"^{buttons.ANNOUNCE}:")
    )
    app.add_handler(
        CallbackQueryHandler(onboarding.onboarding_button, pattern=rf"^{buttons.ONBOARDING}:")
    )
    app.add_handler(
        CallbackQueryHandler(settings.settings_button, pattern=rf"^{buttons.SETTINGS}:")
    )
    app.add_handler(CallbackQueryHandler(plan.plan_button, pattern=rf"^{buttons.PLAN}:"))
    app.add_handler(CallbackQueryHandler(checkin.checkin_button, pattern=rf"^{buttons.CHECKIN}:"))
    app.add_handler(CallbackQueryHandler(confirm.confirm_button, pattern=rf"^{buttons.CONFIRM}:"))
    app.add_handler(
        CallbackQueryHandler(reminders.reminders_button, pattern=rf"^{buttons.REMINDERS}:")
    )
    app.add_handler(CallbackQueryHandler(roster.roster_button, pattern=rf"^{buttons.ROSTER}:"))
    app.add_handler(CallbackQueryHandler(guide.guide_button, pattern=rf"^{buttons.GUIDE}:"))
    app.add_handler(
        CallbackQueryHandler(menu.menu_button(menu_commands), pattern=rf"^{buttons.MENU}:")
    )
    # Catch-alls last: unknown buttons, unknown commands, free text, everything else.
    app.add_handler(CallbackQueryHandler(fallback.unknown_button))
    app.add_handler(MessageHandler(private & filters.COMMAND, fallback.unknown_command))
    app.add_handler(
        MessageHandler(
            private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND,
            typed.typed_text,
        )
    )
    # Before other_message: a facilitator's CSV file; anyone else's file is passed on to it.
    app.add_handler(
        MessageHandler(
            private & filters.UpdateType.MESSAGE & filters.Document.ALL, uploads.receive_document
        )
    )
    app.add_handler(
        MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.TEXT, fallback.other_message)
    )
    app.add_error_handler(fallback.on_error)
