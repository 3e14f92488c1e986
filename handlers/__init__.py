"""Every command and feature, in explicit tables: a channel's wiring (`bot.routes` for
Telegram) or the engine (`handlers.dispatch`) routes inbound events by them. Every feature is
written against the channel contract (`handlers.turn`)."""

from __future__ import annotations

from core import buttons
from handlers import (
    admin,
    announce,
    announce_status,
    approvals,
    arrival,
    attendance,
    checkin,
    confirm,
    consent,
    consultations,
    evaluation_results,
    evaluations,
    evidence,
    fallback,
    final_report,
    follow_up,
    guide,
    linking,
    mentors,
    menu,
    milestones,
    mydata,
    onboarding,
    plan,
    progress,
    pulses,
    quiz_results,
    quizzes,
    reminders,
    reports,
    roster,
    schedule,
    sessions,
    settings,
    staff,
    typed,
)
from handlers.help import show_help
from handlers.turn import Feature, Turn

# Each command in Indonesian first, then its English alias; the menus list them per language.
COMMANDS: list[tuple[tuple[str, str], Feature]] = [
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
    (("tahapan", "milestones"), milestones.show_milestones),
    (("bukti", "evidence"), evidence.show_evidence),
    (("konsultasi", "consultation"), consultations.show_consultations),
    (("mentor", "mentor"), mentors.show_mentor),
    (("tindaklanjut", "followup"), follow_up.show_follow_up),
    (("laporanakhir", "finalreport"), final_report.show_final_report),
    (("hadir", "present"), attendance.show_present),
    (("evaluasi", "evaluate"), evaluations.show_evaluations),
    (("kuis", "quiz"), quizzes.show_quizzes),
    (("dataku", "mydata"), mydata.send_my_data),
    (("hapusdata", "deletedata"), mydata.ask_delete),
    (("batal", "cancel"), typed.cancel),
    (consent.STOP_WORDS, consent.stop_messages),
    (("mulai", "resume"), consent.resume_messages),
    (("tautkan", "link"), linking.link_contact),
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
        "tahapan",
        "bukti",
        "konsultasi",
        "mentor",
        "tindaklanjut",
        "laporanakhir",
        "hadir",
        "evaluasi",
        "kuis",
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
        "milestones",
        "evidence",
        "consultation",
        "mentor",
        "followup",
        "finalreport",
        "present",
        "evaluate",
        "quiz",
        "mydata",
        "deletedata",
        "cancel",
    ],
}


# What each button of the main menu (handlers.menu) runs: the command's own handler.
COMMANDS_OF_MENU: dict[str, Feature] = {
    "plan": plan.start_plan,
    "checkin": checkin.show_checkin,
    "progress": progress.show_progress,
    "schedule": schedule.show_schedule,
    "materials": schedule.show_materials,
    "settings": settings.show_settings,
}

# Facilitator commands (handlers.staff.staff_command wraps each: staff only, cohort chosen).
# They are listed in the command menu of admins and facilitators only, after the participants'.
STAFF_COMMANDS: list[tuple[tuple[str, str], Feature]] = [
    (("umumkan", "announce"), announce.announce),
    (("status", "status"), announce_status.status),
    (("sesi", "session"), sessions.add_one_session),
    (("peserta", "participants"), roster.show_roster),
    (("fasilitator", "facilitator"), admin.manage_facilitators),  # admins only
    (("rekap", "report"), reports.rekap),
    (("ekspor", "export"), reports.ekspor),
    (("presensi", "attendance"), attendance.show_attendance),
    (("hasilevaluasi", "evalresults"), evaluation_results.show_results),
    (("hasilkuis", "quizresults"), quiz_results.show_results),
    (("tanya", "ask"), pulses.ask_cohort),
]
STAFF_MENU: dict[str, list[str]] = {
    "id": [
        "umumkan",
        "status",
        "sesi",
        "peserta",
        "fasilitator",
        "rekap",
        "ekspor",
        "presensi",
        "hasilevaluasi",
        "hasilkuis",
        "tanya",
    ],
    "en": [
        "announce",
        "status",
        "session",
        "participants",
        "facilitator",
        "report",
        "export",
        "attendance",
        "evalresults",
        "quizresults",
        "ask",
    ],
}

# Buttons: the feature each action data prefix (`core.buttons`) goes to.
# Every command's name in both languages: typed as a word on a channel without a command menu
# (`core.keywords`), each is that command.
COMMAND_WORDS = frozenset(name for names, _ in COMMANDS + STAFF_COMMANDS for name in names)

BUTTONS: list[tuple[str, Feature]] = [
    (buttons.STAFF, staff.staff_button),
    (buttons.ANNOUNCE, announce.announce_button),
    (buttons.ONBOARDING, onboarding.onboarding_button),
    (buttons.SETTINGS, settings.settings_button),
    (buttons.PLAN, plan.plan_button),
    (buttons.CHECKIN, checkin.checkin_button),
    (buttons.CONFIRM, confirm.confirm_button),
    (buttons.REMINDERS, reminders.reminders_button),
    (buttons.ROSTER, roster.roster_button),
    (buttons.GUIDE, guide.guide_button),
    (buttons.MENU, menu.menu_button(COMMANDS_OF_MENU)),
    (buttons.MENTOR, mentors.mentor_button),
    (buttons.APPROVAL, approvals.approval_button),
    (buttons.MILESTONE, milestones.milestone_button),
    (buttons.EVIDENCE, evidence.evidence_button),
    (buttons.CONSULT, consultations.consultation_button),
    (buttons.FOLLOW_UP, follow_up.follow_up_button),
    (buttons.FINAL_REPORT, final_report.final_report_button),
    (buttons.ATTENDANCE, attendance.attendance_button),
    (buttons.EVALUATION, evaluation_results.evaluation_button),
    (buttons.QUIZ, quiz_results.quiz_button),
    (buttons.PULSE, pulses.pulse_button),
]


async def before_everything(turn: Turn) -> None:
    """For any event, before its feature: who wrote (`handlers.arrival`), and anything but the
    answer to a question voids it (`handlers.confirm`)."""
    await arrival.arrive(turn)
    await confirm.void_on_anything_else(turn)


async def poll_answer(turn: Turn) -> None:
    """An answer in a poll the bot sent: a quiz question's, or a pulse question's; any other
    (an old poll, a made-up id) is answered as a stale button is."""
    if await quizzes.quiz_poll_answer(turn) or await pulses.pulse_poll_answer(turn):
        return
    await turn.reply(turn.text("poll.stale"))


BEFORE_EVERYTHING: Feature = before_everything
POLL_ANSWER: Feature = poll_answer
# What no table above takes.
UNKNOWN_BUTTON: Feature = fallback.unknown_button
UNKNOWN_COMMAND: Feature = fallback.unknown_command_among(
    {name for names, _ in COMMANDS for name in names},
    {name for names, _ in STAFF_COMMANDS for name in names},
)
TYPED_TEXT: Feature = typed.typed_text
FILE: Feature = evidence.receive_file  # a facilitator's CSV, a participant's evidence
OTHER: Feature = fallback.other_message  # stickers, photos, voice notes
