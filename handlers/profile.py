"""The profile questions (full name, then work unit) asked after joining and from
/pengaturan: the question with its buttons, saving a typed or skipped answer, and what comes
next. Joining itself is `handlers.onboarding`."""

from __future__ import annotations

from core import buttons
from core.channel import Action, Rows, button_rows
from core.conversation import Ask
from core.errors import InvalidInput, TooLong
from core.participants import (
    ASK_FULL_NAME,
    Writer,
    name_from_telegram,
    profile_field,
    set_profile,
)
from handlers import offers, refusals
from handlers.common import Answer, plain, text
from handlers.turn import HasServices, Reader
from storage.models import Participant


def profile_question(
    context: HasServices,
    lang: str,
    participant: Participant,
    person: Writer,
    *,
    editing: bool = False,
) -> tuple[str, Rows]:
    """The question for the field the participant is asked next, with its buttons: the
    Telegram name (when it makes a name) and skip, or, `editing` from /pengaturan, cancel."""
    field = profile_field(participant) or ""
    skip = (
        Action(
            plain(context, lang, "button.keep_as_is"),
            buttons.pack(buttons.SETTINGS, "keep", field),
        )
        if editing
        else Action(
            plain(context, lang, "button.skip"),
            buttons.pack(buttons.ONBOARDING, "skip", field),
        )
    )
    if field == ASK_FULL_NAME:
        rows = [[skip]]
        name = name_from_telegram(person.display_name)
        if name:
            use_name = Action(
                plain(context, lang, "button.use_telegram_name", name=name[:40]),
                buttons.pack(buttons.ONBOARDING, "tgname"),
            )
            rows.insert(0, [use_name])
        return text(context, lang, "profile.ask_full_name"), button_rows(rows)
    return text(context, lang, "profile.ask_unit"), button_rows([[skip]])


def answer_profile(
    context: HasServices,
    reader: Reader,
    participant: Participant,
    typed: str | None,
    confirm: bool = True,
    offer_plan: bool = False,
) -> Answer:
    """Save a typed (or skipped: None) profile answer; say what comes next (with the questions
    done, and `offer_plan`: the offer to write the action plan)."""
    lang = reader.lang
    field = profile_field(participant)
    assert field is not None
    try:
        set_profile(participant, field, typed)
    except TooLong as exc:
        return [(refusals.too_long(context, lang, exc), None)]
    except InvalidInput as exc:
        return [(_profile_error(context, lang, str(exc)), None)]
    if profile_field(participant) is not None:
        question, keyboard = profile_question(context, lang, participant, reader.person)
        saved = [(text(context, lang, "profile.saved"), None)] if confirm else []
        return [*saved, (question, keyboard)]
    done: Answer = [(profile_done(context, lang, participant), None)]
    if not offer_plan:
        return done
    offers.expect_answer(participant, Ask.OFFER_PLAN, context.services.clock())
    return [*done, offers.plan_offer(context, lang)]


def _profile_error(context: HasServices, lang: str, problem: str) -> str:
    key = "profile.not_a_name" if problem == "not_a_name" else "profile.not_a_unit"
    return text(context, lang, key)


def profile_done(context: HasServices, lang: str, participant: Participant) -> str:
    none = text(context, lang, "profile.empty")
    return text(
        context,
        lang,
        "profile.done",
        full_name=participant.full_name or none,
        unit=participant.unit or none,
    )
