"""Evaluations (`core.evaluations`). /evaluasi (/evaluate): a participant's open forms, answered
item by item with buttons (a free-text item typed, or skipped), going on where they stopped.
The facilitator's side (/hasilevaluasi) and the job that opens forms after sessions are
`handlers.evaluation_results`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons, conversation
from core import evaluations as rules
from core.channel import Action, Rows
from core.conversation import Ask
from core.errors import InvalidInput
from core.participants import stale_or_left
from handlers.checkin_view import today_of
from handlers.common import Answer, plain, shorten, text
from handlers.turn import HasServices, Reader, Turn
from storage.evaluations import EvaluationForm, EvaluationItem
from storage.models import Participant


def evaluation_button_row(label: str, action: str, arg: str) -> list[Action]:
    return [Action(label, buttons.pack(buttons.EVALUATION, action, arg))]


def form_name(context: HasServices, lang: str, form: EvaluationForm) -> str:
    """ "Evaluasi widyaiswara — Dr. Widya", in the reader's language (an imported form: its own
    title)."""
    title = (
        plain(context, lang, f"evaluation.title_{form.kind}")
        if form.kind in rules.TEMPLATES
        else form.title
    )
    return f"{title} — {form.subject}" if form.subject else title


def item_view(
    context: HasServices, lang: str, form: EvaluationForm, item: EvaluationItem, n: int, total: int
) -> tuple[str, Rows]:
    """One item to answer, with its buttons."""
    words = item.text_en if lang == "en" else item.text_id
    body = text(
        context,
        lang,
        "evaluation.item_view",
        form=form_name(context, lang, form),
        n=n,
        total=total,
        item=words,
    )
    arg = str(item.id)
    if item.scale == "text":
        body += "\n" + text(context, lang, "evaluation.type_text", max=rules.TEXT_MAX)
        return body, [
            evaluation_button_row(plain(context, lang, "evaluation.button_skip"), "skip", arg)
        ]
    if item.scale == "yesno":
        row = [
            Action(
                plain(context, lang, "evaluation.yes"),
                buttons.pack(buttons.EVALUATION, "a", f"{arg}.1"),
            ),
            Action(
                plain(context, lang, "evaluation.no"),
                buttons.pack(buttons.EVALUATION, "a", f"{arg}.0"),
            ),
        ]
        return body, [row]
    top = max(rules.SCALES[item.scale])
    body += "\n" + text(context, lang, "evaluation.scale_hint", top=top)
    row = [
        Action(str(v), buttons.pack(buttons.EVALUATION, "a", f"{arg}.{v}"))
        for v in rules.SCALES[item.scale]
    ]
    return body, [row]


async def _next(
    session: AsyncSession,
    context: HasServices,
    lang: str,
    participant: Participant,
    form: EvaluationForm,
) -> tuple[str, Rows | None]:
    """The participant's next item of `form`, or the thanks when they have finished (a free
    text item leaves the typed answer open)."""
    found = await rules.next_item(session, form, participant.id)
    waiting = conversation.waiting(participant)
    ours = waiting is not None and waiting.ask == Ask.EVALUATION_TEXT
    if ours:  # an earlier free text of an evaluation: this view takes its place
        conversation.clear(participant)
    if found is None:
        return text(context, lang, "evaluation.finished", form=form_name(context, lang, form)), None
    item, n, total = found
    # A free text is typed: unless another question is open (a check-in's number…), which
    # keeps its answer; the item then waits with its Skip button.
    if item.scale == "text" and (ours or waiting is None or waiting.ask in conversation.OFFERS):
        today = today_of(context, participant)
        conversation.ask(participant, Ask.EVALUATION_TEXT, item_id=item.id, day=today)
    return item_view(context, lang, form, item, n, total)


async def show_evaluations(turn: Turn) -> None:
    """/evaluasi: the open forms of the reader's cohort, with how far they have come."""
    async with turn.services.db() as session:
        if (member := await turn.member(session)) is None:
            return
        participant, lang = member
        lines, rows = [], []
        for form in await rules.open_forms(session, participant.cohort_id):
            done = len(await rules.answered_items(session, form.id, participant.id))
            total = len(await rules.items_of(session, form.id))
            lines.append(
                text(
                    turn,
                    lang,
                    "evaluation.open_line",
                    form=form_name(turn, lang, form),
                    done=done,
                    total=total,
                )
            )
            if done < total:
                label = plain(
                    turn,
                    lang,
                    "evaluation.button_go",
                    form=shorten(form_name(turn, lang, form), 40),
                )
                rows.append(evaluation_button_row(label, "go", str(form.id)))
    if not lines:
        await turn.reply(text(turn, lang, "evaluation.none_open"))
        return
    await turn.reply(
        text(turn, lang, "evaluation.open_header") + "\n" + "\n".join(lines), rows or None
    )


async def participant_press(turn: Turn, action: str, number_: int, value: int | None) -> None:
    services = turn.services
    async with services.db.begin() as session:
        if (member := await turn.member(session)) is None:
            return
        participant, lang = member
        try:
            if action == "go":
                form = await session.get(EvaluationForm, number_)
                if form is None:
                    raise InvalidInput("button.stale")
                if form.cohort_id != participant.cohort_id:
                    raise InvalidInput(await stale_or_left(session, participant, form.cohort_id))
                if form.closed_at is not None:
                    raise InvalidInput("evaluation.closed")
            else:
                done = await rules.answer(
                    session, participant, number_, value, None, services.clock()
                )
                form = done.form
        except InvalidInput as exc:
            await turn.answer_button(plain(turn, lang, str(exc)), alert=True)
            return
        view = await _next(session, turn, lang, participant, form)
    await turn.answer_button(plain(turn, lang, "button.saved") if action != "go" else None)
    await turn.edit_or_reply(*view)


async def answer_text(session: AsyncSession, turn: Turn, reader: Reader, typed: str) -> Answer:
    """A free-text answer, typed for the item asked."""
    participant, lang = reader.participant, reader.lang
    assert participant is not None
    waiting = conversation.waiting(participant)
    assert waiting is not None and waiting.item_id is not None
    if waiting.day is not None and waiting.day != today_of(turn, participant):
        # Asked on an earlier day: what they type now is about something else.
        conversation.clear(participant)
        return [(text(turn, lang, "evaluation.text_expired"), None)]
    try:
        done = await rules.answer(
            session, participant, waiting.item_id, None, typed, turn.services.clock()
        )
    except InvalidInput as exc:
        if str(exc) != "evaluation.text_long":
            conversation.clear(participant)
        return [(text(turn, lang, str(exc), max=rules.TEXT_MAX), None)]
    conversation.clear(participant)
    return [await _next(session, turn, lang, participant, done.form)]
