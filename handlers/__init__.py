"""All handlers, registered in one explicit list. Order matters: the first match in a group wins."""

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

from handlers import (
    admin,
    announce,
    callbacks,
    checkin,
    confirm,
    fallback,
    guide,
    menu,
    mydata,
    onboarding,
    plan,
    progress,
    reminders,
    reports,
    roster,
    schedule,
    sessions,
    settings,
    staff,
    typed,
    uploads,
)
from handlers.help import show_help

# Each command in Indonesian first, then its English alias; the menus list them per language.
COMMANDS: list[tuple[tuple[str, str], Any]] = [
    (("start", "start"), onboarding.start),
    (("rencana", "plan"), plan.start_plan),
    (("lapor", "checkin"), checkin.show_checkin),
    (("progres", "progress"), progress.show_progress),
    (("pengingat", "reminders"), reminders.show_reminders),
    (("jadwal", "schedule"), schedule.show_schedule),
    (("materi", "materials"), schedule.show_materials),
    (("pengaturan", "settings"), settings.show_settings),
    (("bahasa", "language"), settings.choose_language),
    (("bantuan", "help"), show_help),
    (("menu", "menu"), menu.show_menu),
    (("dataku", "mydata"), mydata.send_my_data),
    (("hapusdata", "deletedata"), mydata.ask_delete),
    (("batal", "cancel"), typed.cancel),
]
# (command, catalog key of its description) for the command menu, per language.
MENU = {
    "id": [
        "lapor",
        "rencana",
        "progres",
        "pengingat",
        "jadwal",
        "materi",
        "pengaturan",
        "bahasa",
        "menu",
        "bantuan",
        "dataku",
        "hapusdata",
        "batal",
    ],
    "en": [
        "checkin",
        "plan",
        "progress",
        "reminders",
        "schedule",
        "materials",
        "settings",
        "language",
        "menu",
        "help",
        "mydata",
        "deletedata",
        "cancel",
    ],
}


# What each button of the main menu (handlers.menu) runs: the command's own handler.
COMMANDS_OF_MENU: dict[str, menu.Command] = {
    "plan": plan.start_plan,
    "checkin": checkin.show_checkin,
    "progress": progress.show_progress,
    "schedule": schedule.show_schedule,
    "materials": schedule.show_materials,
    "settings": settings.show_settings,
}

# Facilitator commands (handlers.staff.staff_command wraps each: staff only, cohort chosen).
# They are listed in the command menu of admins and facilitators only, after the participants'.
STAFF_COMMANDS: list[tuple[tuple[str, str], Any]] = [
    (("umumkan", "announce"), announce.announce),
    (("status", "status"), announce.status),
    (("sesi", "session"), sessions.add_one_session),
    (("peserta", "participants"), roster.show_roster),
    (("fasilitator", "facilitator"), admin.manage_facilitators),  # admins only
    (("rekap", "report"), reports.rekap),
    (("ekspor", "export"), reports.ekspor),
]
STAFF_MENU: dict[str, list[str]] = {
    "id": ["umumkan", "status", "sesi", "peserta", "fasilitator", "rekap", "ekspor"],
    "en": ["announce", "status", "session", "participants", "facilitator", "report", "export"],
}


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    # Before everything (its own group): anything but the answer to a question voids it.
    app.add_handler(TypeHandler(Update, confirm.void_on_anything_else), group=-1)
    for names, callback in COMMANDS + STAFF_COMMANDS:
        app.add_handler(CommandHandler(list(dict.fromkeys(names)), callback, filters=private))
    app.add_handler(CallbackQueryHandler(staff.staff_button, pattern=rf"^{callbacks.STAFF}:"))
    app.add_handler(
        CallbackQueryHandler(announce.announce_button, pattern=rf"^{callbacks.ANNOUNCE}:")
    )
    app.add_handler(
        CallbackQueryHandler(onboarding.onboarding_button, pattern=rf"^{callbacks.ONBOARDING}:")
    )
    app.add_handler(
        CallbackQueryHandler(settings.settings_button, pattern=rf"^{callbacks.SETTINGS}:")
    )
    app.add_handler(CallbackQueryHandler(plan.plan_button, pattern=rf"^{callbacks.PLAN}:"))
    app.add_handler(CallbackQueryHandler(checkin.checkin_button, pattern=rf"^{callbacks.CHECKIN}:"))
    app.add_handler(CallbackQueryHandler(confirm.confirm_button, pattern=rf"^{callbacks.CONFIRM}:"))
    app.add_handler(
        CallbackQueryHandler(reminders.reminders_button, pattern=rf"^{callbacks.REMINDERS}:")
    )
    app.add_handler(CallbackQueryHandler(roster.roster_button, pattern=rf"^{callbacks.ROSTER}:"))
    app.add_handler(CallbackQueryHandler(guide.guide_button, pattern=rf"^{callbacks.GUIDE}:"))
    app.add_handler(
        CallbackQueryHandler(menu.menu_button(COMMANDS_OF_MENU), pattern=rf"^{callbacks.MENU}:")
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
