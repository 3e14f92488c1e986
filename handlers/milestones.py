"""/tahapan (/milestones): the dated steps of the action plan — listed with what is done and
what is late, marked done (or not) with a tap, added in two steps (the title, then the date:
typed, or one of the quick choices), removed after a confirmation. Adding or removing one
changes the plan, so it goes to the mentor for approval again. The rules are
`core.milestones`'."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons, conversation
from core import milestones as rules
from core.approvals import submit
from core.channel import Action, Rows
from core.confirmations import Taken
from core.conversation import Ask
from core.errors import InvalidInput
from core.plans import has_plan
from core.reading import BadDate, read_day
from core.timefmt import weekday_date
from handlers import confirm
from handlers.approvals import saved_note, send_to_mentor
from handlers.checkin_view import today_of
from handlers.common import Answer, plain, shorten, text
from handlers.refusals import bad_date
from handlers.turn import HasServices, Reader, Turn
from storage.mentoring import Milestone
from storage.models import Participant

BUTTON_TITLE = 28  # a milestone's title on a button, shortened to this
_WITH_ID = ("done", "undo", "rm")
_DUE_CHOICES = frozenset({*(str(w) for w in rules.QUICK_WEEKS), "end"})


def _line(context: HasServices, lang: str, milestone: Milestone, today: date) -> str:
    assert milestone.due_on is not None
    due = weekday_date(milestone.due_on, lang)
    if milestone.done_on is not None:
        day = weekday_date(milestone.done_on, lang)
        return text(context, lang, "milestone.line_done", title=milestone.title, day=day)
    if rules.is_overdue(milestone, today):
        late = plain(context, lang, "count.day", count=(today - milestone.due_on).days)
        return text(
            context, lang, "milestone.line_overdue", title=milestone.title, day=due, late=late
        )
    return text(context, lang, "milestone.line_open", title=milestone.title, day=due)


async def view(
    session: AsyncSession, context: HasServices, lang: str, participant: Participant
) -> tuple[str, Rows]:
    """The participant's milestones with a button each (done / not done), and add, remove."""
    today = today_of(context, participant)
    found = await rules.milestones_of(session, participant.id)
    rows: list[list[Action]] = []
    if not found:
        body = text(context, lang, "milestone.none", max=rules.MAX_MILESTONES)
    else:
        counts = rules.tally(found, today)
        lines = [text(context, lang, "milestone.heading", done=counts.done, total=counts.total)]
        lines.extend(_line(context, lang, m, today) for m in found)
        lines.append(text(context, lang, "milestone.hint"))
        body = "\n".join(lines)
        for m in found:
            action, key = (
                ("undo", "milestone.button_undo")
                if m.done_on
                else ("done", "milestone.button_done")
            )
            label = plain(context, lang, key, title=shorten(m.title, BUTTON_TITLE))
            rows.append([Action(label, buttons.pack(buttons.MILESTONE, action, str(m.id)))])
    last: list[Action] = []
    if len(found) < rules.MAX_MILESTONES:
        last.append(_button(context, lang, "milestone.button_add", "add"))
    if found:
        last.append(_button(context, lang, "milestone.button_remove", "remove"))
    rows.append(last)
    return body, rows


def _button(context: HasServices, lang: str, key: str, action: str, arg: str = "") -> Action:
    return Action(plain(context, lang, key), buttons.pack(buttons.MILESTONE, action, arg))


async def show_milestones(turn: Turn) -> None:
    """/tahapan: the milestones; `/tahapan tambah` (`add`) starts a new one at once."""
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        participant, lang = reader.participant, reader.lang
        if participant is None:
            await turn.ask_for_code(lang)
            return
        words = [w.lower() for w in turn.args or []]
        if words[:1] in (["tambah"], ["add"]):
            answer = await _start_adding(session, turn, lang, participant)
        else:
            answer = [await view(session, turn, lang, participant)]
    for body, rows in answer:
        await turn.reply(body, rows)


async def _start_adding(
    session: AsyncSession, context: HasServices, lang: str, participant: Participant
) -> Answer:
    if not await has_plan(session, participant.id):
        return [(text(context, lang, "milestone.need_plan"), None)]
    if len(await rules.milestones_of(session, participant.id)) >= rules.MAX_MILESTONES:
        return [(text(context, lang, "milestone.too_many", count=rules.MAX_MILESTONES), None)]
    await rules.discard_draft(session, participant.id)
    conversation.ask(participant, Ask.MILESTONE_TITLE)
    ask = text(context, lang, "milestone.ask_title", min=rules.TITLE_MIN, max=rules.TITLE_MAX)
    return [(ask, None)]


def _due_rows(context: HasServices, lang: str, participant: Participant, today: date) -> Rows:
    row = []
    for weeks in rules.QUICK_WEEKS:
        day = weekday_date(today + timedelta(weeks=weeks), lang)
        count = plain(context, lang, "count.week", count=weeks)
        label = plain(context, lang, "milestone.button_weeks", weeks=count, day=day)
        row.append([Action(label, buttons.pack(buttons.MILESTONE, "due", str(weeks)))])
    ends = participant.cohort.ends_on
    if ends is not None and today <= ends <= today + rules.MAX_AHEAD:
        label = plain(context, lang, "milestone.button_end", day=weekday_date(ends, lang))
        row.append([Action(label, buttons.pack(buttons.MILESTONE, "due", "end"))])
    return row


def _refused(context: HasServices, lang: str, exc: InvalidInput) -> str:
    if isinstance(exc, BadDate):
        return bad_date(context, lang, exc, "milestone.bad_date")
    return text(
        context,
        lang,
        str(exc),
        min=rules.TITLE_MIN,
        max=rules.TITLE_MAX,
        count=rules.MAX_MILESTONES,
    )


async def answer_text(session: AsyncSession, turn: Turn, reader: Reader, typed: str) -> Answer:
    """The typed answer to a milestone's question: its title, or its date."""
    participant, lang = reader.participant, reader.lang
    assert participant is not None
    now, today = turn.services.clock(), today_of(turn, participant)
    try:
        if conversation.is_open(participant, Ask.MILESTONE_TITLE):
            milestone = await rules.start(session, participant.id, typed, now)
            conversation.ask(participant, Ask.MILESTONE_DUE)
            ask = text(turn, lang, "milestone.ask_due", title=milestone.title)
            return [(ask, _due_rows(turn, lang, participant, today))]
        due = read_day(typed, today)  # "15/12" typed on 15 December: today, not next year
        if due != today:
            due = read_day(typed, today, ahead=True)
        return await _dated(session, turn, lang, participant, due, today)
    except InvalidInput as exc:
        return [(_refused(turn, lang, exc), None)]


async def _dated(
    session: AsyncSession,
    context: HasServices,
    lang: str,
    participant: Participant,
    due: date,
    today: date,
) -> Answer:
    """The date of the milestone being written: saved, and the plan sent to the mentor."""
    milestone = await rules.set_due(session, participant.id, due, today)
    conversation.clear(participant)
    if milestone is None:
        return [(text(context, lang, "button.stale"), None)]
    sent = await submit(session, participant, context.services.clock())
    if sent is not None:
        await send_to_mentor(session, context, sent)
    saved = text(
        context, lang, "milestone.saved", title=milestone.title, day=weekday_date(due, lang)
    )
    return [
        (saved + "\n\n" + saved_note(context, lang, sent), None),
        await view(session, context, lang, participant),
    ]


def _parse(data: str | None) -> tuple[str, str] | None:
    """(action, argument) for data we could have sent; None otherwise."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != buttons.MILESTONE or len(data or "") > buttons.MAX_BYTES:
        return None
    action, arg = parts[1], parts[2]
    if action in ("add", "remove", "list") and arg == "":
        return action, arg
    if action == "due" and arg in _DUE_CHOICES:
        return action, arg
    if action in _WITH_ID and buttons.parse_id(arg) is not None:
        return action, arg
    return None


async def milestone_button(turn: Turn) -> None:
    """A press under /tahapan, or on a due date's quick choice."""
    parsed = _parse(turn.data)
    services = turn.services
    notice: str | None = None
    async with services.db.begin() as session:
        reader = await turn.identify(session)
        participant, lang = reader.participant, reader.lang
        if participant is None:
            await turn.ask_for_code(lang)
            return
        if parsed is None:
            await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
            return
        action, arg = parsed
        today, now = today_of(turn, participant), services.clock()
        edit: tuple[str, Rows | None] | None = None
        answer: Answer = []
        if action in ("done", "undo"):
            marked = await rules.mark(
                session, participant.id, int(arg), done=action == "done", today=today, now=now
            )
            if marked is None:
                await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
                return
            key = "milestone.marked_done" if action == "done" else "milestone.marked_undone"
            notice = plain(turn, lang, key)
            edit = await view(session, turn, lang, participant)
        elif action == "add":
            answer = await _start_adding(session, turn, lang, participant)
        elif action == "list":
            edit = await view(session, turn, lang, participant)
        elif action == "remove":
            edit = await _removal_pick(session, turn, lang, participant)
        elif action == "rm":
            picked = await rules.own(session, participant.id, int(arg))
            if picked is None:
                await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
                return
            answer = [await _ask_removal(session, turn, lang, participant, picked)]
        else:  # due: a quick choice for the milestone being written
            if not conversation.is_open(participant, Ask.MILESTONE_DUE):
                await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
                return
            due = participant.cohort.ends_on if arg == "end" else today + timedelta(weeks=int(arg))
            try:
                answer = await _dated(session, turn, lang, participant, due, today)
            except InvalidInput as exc:
                answer = [(_refused(turn, lang, exc), None)]
    await turn.answer_button(notice)
    if edit is not None:
        await turn.edit_or_reply(*edit)
    for body, rows in answer:
        await turn.reply(body, rows)


async def _removal_pick(
    session: AsyncSession, context: HasServices, lang: str, participant: Participant
) -> tuple[str, Rows]:
    found = await rules.milestones_of(session, participant.id)
    rows = [
        [
            Action(
                plain(
                    context,
                    lang,
                    "milestone.button_remove_one",
                    title=shorten(m.title, BUTTON_TITLE),
                ),
                buttons.pack(buttons.MILESTONE, "rm", str(m.id)),
            )
        ]
        for m in found
    ]
    rows.append([_button(context, lang, "milestone.button_back", "list")])
    return text(context, lang, "milestone.remove_pick"), rows


async def _ask_removal(
    session: AsyncSession,
    context: HasServices,
    lang: str,
    participant: Participant,
    milestone: Milestone,
) -> tuple[str, Rows]:
    assert milestone.due_on is not None
    keyboard = await confirm.ask(
        session,
        context,
        participant.person_id,
        lang,
        "remove_milestone",
        {"id": milestone.id},
        confirm.yes_no(context, lang, "milestone.confirm_button"),
    )
    body = text(
        context,
        lang,
        "milestone.remove_confirm",
        title=milestone.title,
        day=weekday_date(milestone.due_on, lang),
    )
    return body + "\n\n" + confirm.valid_for(context, lang), keyboard


@confirm.action("remove_milestone", again="milestone.again")
async def remove_confirmed(
    session: AsyncSession, turn: Turn, taken: Taken, choice: str
) -> confirm.Done:
    """The answer to "remove this milestone?": removed (and the plan sent again), or kept."""
    lang = taken.language
    if choice != "yes":
        return confirm.Done([(text(turn, lang, "milestone.kept"), None)])
    reader = await turn.identify(session)
    participant = reader.participant
    milestone_id = taken.data.get("id")
    removed = (
        await rules.remove(session, participant.id, milestone_id, today_of(turn, participant))
        if participant is not None and isinstance(milestone_id, int)
        else None
    )
    if removed is None or participant is None:
        return confirm.Done([(text(turn, lang, "button.stale"), None)])
    sent = await submit(session, participant, turn.services.clock())
    if sent is not None:
        await send_to_mentor(session, turn, sent)
    body = text(turn, lang, "milestone.removed", title=removed.title)
    return confirm.Done(
        [
            (body + "\n\n" + saved_note(turn, lang, sent), None),
            await view(session, turn, lang, participant),
        ]
    )
