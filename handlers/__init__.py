"""Every command and feature, in explicit tables: the channel wiring (`bot.routes`) registers
them. Commands in `FEATURES` are written against the channel contract (`handlers.turn`) and
run by the channel's adapter; the others still take Telegram's update (issue 10)."""

from __future__ import annotations

from typing import Any

from handlers import (
    admin,
    announce,
    checkin,
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
    typed,
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


# Commands written against the channel contract: the channel's adapter runs them.
FEATURES: frozenset[Any] = frozenset({schedule.show_schedule, schedule.show_materials})

# What each button of the main menu (handlers.menu) runs: the command's own handler.
COMMANDS_OF_MENU: dict[str, Any] = {
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
