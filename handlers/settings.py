"""/pengaturan (/settings) and /bahasa (/language): language, time zone, name and unit."""

from __future__ import annotations

from core import buttons, conversation
from core.channel import Action, Rows, button_rows
from core.participants import (
    ASK_FULL_NAME,
    ASK_UNIT,
    ask_profile,
    editing_profile,
    effective_timezone,
    profile_field,
    set_language,
)
from core.reminder_settings import move_to_zone
from core.timefmt import INDONESIAN_ZONES, zone_abbreviation
from handlers.common import plain, text
from handlers.profile import profile_question
from handlers.turn import HasServices, Turn
from storage.models import Participant

LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
_BUTTONS = {
    "lang": frozenset(LANGUAGE_NAMES),
    "tz": frozenset(INDONESIAN_ZONES),
    "edit": frozenset({ASK_FULL_NAME, ASK_UNIT}),
    "keep": frozenset({ASK_FULL_NAME, ASK_UNIT}),  # leave the name or unit as it is
}


def settings_view(context: HasServices, lang: str, p: Participant) -> tuple[str, Rows]:
    tz = effective_timezone(p)
    none = text(context, lang, "profile.empty")
    body = text(
        context,
        lang,
        "settings.view",
        full_name=p.full_name or none,
        unit=p.unit or none,
        language=LANGUAGE_NAMES[lang],
        zone=zone_abbreviation(tz),
        timezone=tz,
        cohort=p.cohort.name,
    )

    def mark(label: str, chosen: bool) -> str:
        return f"✓ {label}" if chosen else label

    rows = [
        [
            Action(
                mark(name, code == lang),
                buttons.pack(buttons.SETTINGS, "lang", code),
            )
            for code, name in LANGUAGE_NAMES.items()
        ],
        [
            Action(mark(abbr, zone == tz), buttons.pack(buttons.SETTINGS, "tz", abbr))
            for abbr, zone in INDONESIAN_ZONES.items()
        ],
        [
            Action(
                plain(context, lang, "button.edit_name"),
                buttons.pack(buttons.SETTINGS, "edit", ASK_FULL_NAME),
            ),
            Action(
                plain(context, lang, "button.edit_unit"),
                buttons.pack(buttons.SETTINGS, "edit", ASK_UNIT),
            ),
        ],
    ]
    return body, button_rows(rows)


async def show_settings(turn: Turn) -> None:
    """/pengaturan: the participant's profile and preferences, with buttons to change them."""
    async with turn.services.db() as session:
        reader = await turn.identify(session)
    if reader.participant is None:
        await turn.ask_for_code(reader.lang)
        return
    await turn.reply(*settings_view(turn, reader.lang, reader.participant))


async def settings_button(turn: Turn) -> None:
    """A press on a /pengaturan button: change language or zone, start editing the name or
    unit, or leave it as it is."""
    button = buttons.unpack(turn.data, buttons.SETTINGS, dict(_BUTTONS))
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:
            await turn.ask_for_code(reader.lang)
            return
        if button is None or (
            button.action == "keep"
            and not (editing_profile(participant) and profile_field(participant) == button.arg)
        ):
            await turn.answer_button(plain(turn, reader.lang, "button.stale"), alert=True)
            return
        lang = reader.lang
        if button.action == "lang":
            set_language(participant, button.arg)
            lang = button.arg
        elif button.action == "tz":
            zone = INDONESIAN_ZONES[button.arg]
            await move_to_zone(session, participant, zone, turn.services.clock())
        elif button.action == "keep":
            conversation.clear(participant)
        else:
            ask_profile(participant, button.arg, editing=True)
    if button.action == "edit":
        await turn.answer_button()
        await turn.reply(
            *profile_question(turn, lang, participant, reader.person, editing=True),
        )
        return
    if button.action == "keep":
        await turn.answer_button(plain(turn, lang, "settings.unchanged"))
        await turn.drop_keyboard()
        await turn.reply(*settings_view(turn, lang, participant))
        return
    await turn.answer_button(plain(turn, lang, "button.saved"))
    await turn.edit_or_reply(*settings_view(turn, lang, participant))


async def choose_language(turn: Turn) -> None:
    """/bahasa [id|en]: switch language, or show the choice as buttons."""
    args = [a.lower() for a in (turn.args or [])]
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:
            await turn.ask_for_code(reader.lang)
            return
        if not args:
            keyboard = button_rows(
                [
                    [
                        Action(name, buttons.pack(buttons.SETTINGS, "lang", code))
                        for code, name in LANGUAGE_NAMES.items()
                    ]
                ]
            )
            await turn.reply(text(turn, reader.lang, "language.choose"), keyboard)
            return
        if len(args) > 1 or args[0] not in LANGUAGE_NAMES:
            await turn.reply(
                text(turn, reader.lang, "language.unknown", value=" ".join(args)[:32]),
            )
            return
        set_language(participant, args[0])
    await turn.reply(text(turn, args[0], "language.changed"))
