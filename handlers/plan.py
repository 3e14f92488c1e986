"""/rencana (/plan): write or edit the action plan, step by step, with buttons; /batal leaves."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons, conversation, plans
from core.approvals import status_of, submit
from core.channel import Action, Rows, button_rows
from core.conversation import Ask
from core.errors import InvalidInput, TooLong
from core.habits import Kind
from core.i18n import Html, escape
from core.numbers import number
from core.participants import effective_timezone
from core.plans import Draft
from core.reading import BadNumber
from core.timefmt import local
from handlers import offers, refusals
from handlers.approvals import saved_note, send_to_mentor, status_line
from handlers.common import Answer, plain, text
from handlers.plan_words import WEEKDAY_KEYS, describe_habit
from handlers.turn import HasServices, Reader, Turn

_ARGS = {
    "add": frozenset({""}),
    "edit": frozenset(str(i) for i in range(plans.MAX_HABITS)),
    "title": frozenset({""}),
    "save": frozenset({""}),
    "back": frozenset({""}),
    "keep": frozenset({""}),
    "cancel": frozenset({""}),
    "kind": frozenset({Kind.YESNO.value, Kind.NUMERIC.value}),
    "sched": frozenset({"daily", "workdays", "weekdays", "per_week"}),
    "day": frozenset(str(d) for d in range(7)),
    "days": frozenset({""}),
    "pw": frozenset(str(n) for n in range(1, 7)),
    "hname": frozenset({""}),
    "hkind": frozenset({""}),
    "hsched": frozenset({""}),
    "hremove": frozenset({""}),
}


def _button(label: str, action: str, arg: str = "") -> Action:
    return Action(label, buttons.pack(buttons.PLAN, action, arg))


def render(context: HasServices, lang: str, draft: Draft) -> tuple[str, Rows]:
    """The message and buttons for the draft's current step."""
    cancel = _button(plain(context, lang, "button.cancel"), "cancel")
    back = _button(plain(context, lang, "button.back"), "back")
    step = draft.step
    current = draft.current
    name = escape(current.name) if current else Html("")
    if step == plans.TITLE:
        key = "plan.ask_title_again" if draft.title else "plan.ask_title"
        rows = [[back, cancel]] if draft.title else [[cancel]]
        return text(context, lang, key, current=draft.title), button_rows(rows)
    if step == plans.HABIT_NAME:
        keep = _keep_row(context, lang, current.name if current else "")
        return (
            text(context, lang, "plan.ask_habit_name", n=len(draft.habits) + 1),
            button_rows([*keep, [back, cancel]]),
        )
    if step == plans.HABIT_KIND:
        rows = [
            [_button(plain(context, lang, "plan.kind_yesno"), "kind", Kind.YESNO.value)],
            [_button(plain(context, lang, "plan.kind_numeric"), "kind", Kind.NUMERIC.value)],
            [back, cancel],
        ]
        return text(context, lang, "plan.ask_kind", name=name), button_rows(rows)
    if step == plans.HABIT_UNIT:
        keep = _keep_row(context, lang, (current.unit if current else None) or "")
        return text(context, lang, "plan.ask_unit", name=name), button_rows([*keep, [back, cancel]])
    if step == plans.HABIT_TARGET:
        unit = (current.unit if current else None) or ""
        target = current.target if current else None
        keep = _keep_row(context, lang, f"{number(target, lang)} {unit}" if target else "")
        return (
            text(context, lang, "plan.ask_target", name=name, unit=unit),
            button_rows([*keep, [back, cancel]]),
        )
    if step == plans.HABIT_SCHEDULE:
        rows = [
            [_button(plain(context, lang, "schedule_kind.daily"), "sched", "daily")],
            [_button(plain(context, lang, "schedule_kind.workdays"), "sched", "workdays")],
            [_button(plain(context, lang, "plan.sched_pick_days"), "sched", "weekdays")],
            [_button(plain(context, lang, "plan.sched_per_week"), "sched", "per_week")],
            [back, cancel],
        ]
        return text(context, lang, "plan.ask_schedule", name=name), button_rows(rows)
    if step == plans.HABIT_DAYS:
        day_buttons = [
            _button(
                ("✓ " if d in draft.days else "")
                + plain(context, lang, f"weekday.{WEEKDAY_KEYS[d]}"),
                "day",
                str(d),
            )
            for d in range(7)
        ]
        rows = [
            day_buttons[:4],
            day_buttons[4:],
            [_button(plain(context, lang, "button.done"), "days")],
        ]
        rows.append([back, cancel])
        return text(context, lang, "plan.ask_days", name=name), button_rows(rows)
    if step == plans.HABIT_PER_WEEK:
        numbers = [_button(f"{n}×", "pw", str(n)) for n in range(1, 7)]
        rows = [numbers[:3], numbers[3:], [back, cancel]]
        return text(context, lang, "plan.ask_per_week", name=name), button_rows(rows)
    if step == plans.HABIT_MENU and current is not None:
        rows = [
            [
                _button(plain(context, lang, "plan.edit_name"), "hname"),
                _button(plain(context, lang, "plan.edit_kind"), "hkind"),
            ],
            [
                _button(plain(context, lang, "plan.edit_schedule"), "hsched"),
                _button(plain(context, lang, "plan.remove_habit"), "hremove"),
            ],
            [back],
        ]
        body = text(
            context, lang, "plan.habit_menu", habit=Html(describe_habit(context, lang, current))
        )
        return body, button_rows(rows)
    return _render_menu(context, lang, draft, cancel)


def _keep_row(context: HasServices, lang: str, value: str) -> list[list[Action]]:
    """A button to keep what a typed step already holds ("➡️ Tetap: 10 halaman", after going
    back a step); none while it holds nothing."""
    value = value.strip()
    if not value:
        return []
    return [[_button(plain(context, lang, "plan.keep", value=value), "keep")]]


def _render_menu(context: HasServices, lang: str, draft: Draft, cancel: Action) -> tuple[str, Rows]:
    lines = [f"{i + 1}. {describe_habit(context, lang, h)}" for i, h in enumerate(draft.habits)]
    body = text(
        context,
        lang,
        "plan.menu",
        title=draft.title,
        habits=Html("\n".join(lines) or plain(context, lang, "plan.no_habits_yet")),
        count=len(draft.habits),
        max=plans.MAX_HABITS,
    )
    rows: list[list[Action]] = []
    if len(draft.habits) < plans.MAX_HABITS:
        rows.append([_button(plain(context, lang, "plan.add_habit"), "add")])
    if draft.habits:
        rows.append([_button(f"✏️ {i + 1}", "edit", str(i)) for i in range(len(draft.habits))])
    rows.append([_button(plain(context, lang, "plan.edit_title"), "title")])
    save = [_button(plain(context, lang, "plan.save"), "save")] if draft.habits else []
    rows.append([*save, cancel])
    return body, button_rows(rows)


def error_text(context: HasServices, lang: str, exc: InvalidInput, unit: str | None) -> str:
    if isinstance(exc, TooLong):
        return refusals.too_long(context, lang, exc)
    if isinstance(exc, BadNumber):
        return refusals.bad_number(
            context, lang, exc, unit=unit, maximum=plans.TARGET_MAX, zero_key="number.zero_target"
        )
    problem = str(exc)
    key, _, rest = problem.partition(":")
    if key == "plan.too_short":
        what, _, limit = rest.partition(":")
        return text(context, lang, f"plan.too_short_{what}", limit=number(int(limit), lang))
    return text(context, lang, problem)


async def start_plan(turn: Turn) -> None:
    """/rencana: write the action plan, or edit the saved one; resumes a draft in progress."""
    services = turn.services
    async with services.db.begin() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:
            await turn.ask_for_code(reader.lang)
            return
        row = await plans.load_draft(session, participant.id)
        if row is not None:
            draft = Draft.from_json(row.step, row.data)
            intro = text(turn, reader.lang, "plan.resume")
        else:
            draft = plans.start_draft(await plans.load_plan(session, participant.id))
            intro = text(turn, reader.lang, "plan.intro_edit" if draft.had_plan else "plan.intro")
            status = status_line(
                turn, reader.lang, participant, await status_of(session, participant.id)
            )
            if status is not None:
                intro = status + "\n\n" + intro
        await plans.store_draft(session, participant, draft, services.clock())
    await turn.reply(intro)
    await turn.reply(*render(turn, reader.lang, draft))


async def answer_text(
    session: AsyncSession, context: HasServices, reader: Reader, typed: str
) -> Answer:
    """A typed answer while the plan conversation waits for one (in the update's transaction)."""
    participant = reader.participant
    assert participant is not None
    row = await plans.load_draft(session, participant.id)
    if row is None:
        conversation.clear(participant)
        return [(text(context, reader.lang, "fallback.text"), None)]
    draft = Draft.from_json(row.step, row.data)
    unit = draft.current.unit if draft.current else None
    try:
        draft = plans.typed(draft, typed, reader.lang)
    except InvalidInput as exc:
        return [(error_text(context, reader.lang, exc, unit), None)]
    await plans.store_draft(session, participant, draft, context.services.clock())
    if draft.read_as is not None:  # "10.000": say it was read as ten thousand
        notice = refusals.read_as(context, reader.lang, typed, draft.read_as, unit)
        return [(notice, None), render(context, reader.lang, draft)]
    return [render(context, reader.lang, draft)]


async def plan_button(turn: Turn) -> None:
    """A press on a /rencana button: moves the draft on, saves it, or cancels it."""
    button = buttons.unpack(turn.data, buttons.PLAN, dict(_ARGS))
    services = turn.services
    follow_up: tuple[str, Rows] | None = None
    async with services.db.begin() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:
            await turn.ask_for_code(reader.lang)
            return
        lang = reader.lang
        row = await plans.load_draft(session, participant.id)
        if button is None or row is None:
            await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
            return
        if button.action == "cancel":
            await plans.discard_draft(session, participant)
            result: tuple[str, Rows | None] = (
                text(turn, lang, "plan.cancelled"),
                None,
            )
        else:
            draft = Draft.from_json(row.step, row.data)
            try:
                draft = plans.press(draft, button.action, button.arg)
            except InvalidInput as exc:
                await turn.answer_button(_alert(turn, lang, str(exc)), alert=True)
                return
            if button.action == "save" and draft.step == plans.MENU:
                now = services.clock()
                today = local(now, effective_timezone(participant)).date()
                await plans.save_draft(session, participant, draft, now, today)
                sent = await submit(session, participant, now)
                if sent is not None:
                    await send_to_mentor(session, turn, sent)
                saved = text(turn, lang, "plan.saved", title=draft.title)
                result = (saved + "\n\n" + saved_note(turn, lang, sent), None)
                if not draft.had_plan and participant.reminder_times is None:
                    follow_up = offers.reminder_offer(turn, lang, participant)
                    offers.expect_answer(participant, Ask.OFFER_TIME, now)
            else:
                await plans.store_draft(session, participant, draft, services.clock())
                result = render(turn, lang, draft)
    await turn.answer_button()
    await turn.edit_or_reply(*result)
    if follow_up is not None:  # the first plan: the reminder time comes next
        await turn.reply(*follow_up)


def _alert(context: HasServices, lang: str, problem: str) -> str:
    return plain(
        context, lang, problem if problem.startswith(("plan.", "button.")) else "button.stale"
    )
