"""The mentor's approval of the action plan, in the chat: the plan sent to the mentor with
"approve" and "ask for changes" (then a typed comment), the participant told either way, and
the status line both see. The rules are `core.approvals`'."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core import approvals, buttons
from core.approvals import PlanStatus, SentPlan, Status
from core.channel import Action, Outbound, Rows
from core.i18n import Html, escape
from core.mentors import note_language
from core.plans import HabitDraft
from core.timefmt import weekday_date
from handlers.common import Answer, plain, text
from handlers.mentoring import local_day, name_of, tell
from handlers.plan_words import describe_habit
from handlers.reminders import language_of
from handlers.turn import HasServices, Turn
from storage.mentoring import Mentorship, PlanReview
from storage.models import Participant

_ACTIONS = ("approve", "changes")
MENTOR_WAITING_SHOWN = 5  # /mentor re-sends at most this many plans waiting for a decision


def status_line(
    context: HasServices, lang: str, participant: Participant, status: PlanStatus
) -> str | None:
    """The plan's approval, as its participant sees it (None: no plan yet)."""
    review = status.review
    if status.status is Status.NO_PLAN:
        return None
    if status.status is Status.NO_MENTOR or review is None:
        return text(context, lang, "approval.status_no_mentor")
    if status.status is Status.WAITING:
        return text(
            context,
            lang,
            "approval.status_waiting",
            since=local_day(lang, participant, review.submitted_at),
        )
    decided = local_day(lang, participant, review.decided_at or review.submitted_at)
    if status.status is Status.APPROVED:
        return text(context, lang, "approval.status_approved", day=decided)
    return text(context, lang, "approval.status_changes", day=decided, comment=review.comment or "")


def _plan_lines(context: HasServices, lang: str, review: PlanReview) -> str:
    title, habits = approvals.plan_of(review)
    lines = [f"<b>{escape(title)}</b>"]
    for i, habit in enumerate(habits, 1):
        target = habit.get("target")
        draft = HabitDraft(
            name=str(habit.get("name", "")),
            kind=str(habit.get("kind", "")),
            unit=str(habit["unit"]) if habit.get("unit") else None,
            target=float(target) if isinstance(target, (int, float)) else None,
            schedule=str(habit.get("schedule", "daily")),
        )
        lines.append(f"{i}. {describe_habit(context, lang, draft)}")
    milestones = approvals.milestones_sent(review)
    if milestones:
        lines.append(text(context, lang, "milestone.sent_heading"))
        lines.extend(f"• {escape(title)} — {weekday_date(due, lang)}" for title, due in milestones)
    return "\n".join(lines)


def for_mentor(
    context: HasServices, lang: str, participant: Participant, review: PlanReview
) -> tuple[str, Rows]:
    """The plan as the mentor gets it, with their two buttons."""
    body = text(
        context,
        lang,
        "approval.asked",
        name=name_of(participant),
        cohort=participant.cohort.name,
        plan=Html(_plan_lines(context, lang, review)),
    )
    rows = [
        [
            Action(
                plain(context, lang, "approval.button_approve"),
                buttons.pack(buttons.APPROVAL, "approve", str(review.id)),
            ),
            Action(
                plain(context, lang, "approval.button_changes"),
                buttons.pack(buttons.APPROVAL, "changes", str(review.id)),
            ),
        ]
    ]
    return body, rows


def mentor_language(context: HasServices, mentorship: Mentorship) -> str:
    return mentorship.mentor_language or context.services.settings.aksi_default_language


async def send_to_mentor(session: AsyncSession, context: HasServices, sent: SentPlan) -> None:
    """After the commit: the plan to the mentor, in their language (unreachable: they see it in
    /mentor)."""
    mentorship = sent.mentorship
    if mentorship.mentor_person_id is None or sent.unchanged:
        return
    body, rows = for_mentor(
        context, mentor_language(context, mentorship), sent.participant, sent.review
    )
    what = "the plan for the mentor (it waits in /mentor)"
    await tell(session, context, mentorship.mentor_person_id, Outbound(body, rows), what)


def saved_note(context: HasServices, lang: str, sent: SentPlan | None) -> str:
    """Under "plan saved": to whom it went, or that no mentor has it."""
    if sent is None:
        return text(context, lang, "approval.saved_no_mentor")
    if sent.unchanged:
        return text(context, lang, f"approval.saved_unchanged_{sent.review.state}")
    name = sent.mentorship.mentor_name or plain(context, lang, "mentor.unnamed")
    return text(context, lang, "approval.saved_sent", mentor=name)


async def waiting_for(
    session: AsyncSession, context: HasServices, lang: str, person_id: int
) -> Answer:
    """For /mentor: the plans waiting for this mentor's decision, each with its buttons."""
    waiting = await approvals.waiting_for_mentor(session, person_id, MENTOR_WAITING_SHOWN)
    return [for_mentor(context, lang, participant, review) for review, participant in waiting]


def _parse(data: str | None) -> tuple[str, int] | None:
    parts = (data or "").split(":")
    if len(parts) == 3 and parts[0] == buttons.APPROVAL and parts[1] in _ACTIONS:
        number_ = buttons.parse_id(parts[2])
        if number_ is not None:
            return parts[1], number_
    return None


async def approval_button(turn: Turn) -> None:
    """The mentor's "approve" or "ask for changes" under a plan."""
    parsed = _parse(turn.data)
    services = turn.services
    async with services.db.begin() as session:
        reader = await turn.identify(session)
        lang = reader.lang
        await note_language(session, turn.person_id, lang)
        if parsed is None:
            decided = None
        elif parsed[0] == "approve":
            decided = await approvals.approve(session, turn.person_id, parsed[1], services.clock())
        else:
            decided = await approvals.ask_for_changes(
                session, turn.person_id, parsed[1], services.clock()
            )
        if decided is None or decided.review is None or decided.participant is None:
            await turn.answer_button(plain(turn, lang, "approval.cannot"), alert=True)
            return
        participant = decided.participant
        if parsed is not None and parsed[0] == "changes":
            answer = text(
                turn,
                lang,
                "approval.ask_comment",
                name=name_of(participant),
                max=approvals.COMMENT_MAX,
            )
            done = False
        else:
            answer = text(turn, lang, "approval.approved", name=name_of(participant))
            await _tell_participant(session, turn, participant, "approval.news_approved", decided)
            done = True
    await turn.answer_button(plain(turn, lang, "button.saved") if done else None)
    if done:
        await turn.edit_or_reply(answer, None)
    else:
        await turn.reply(answer)


async def _tell_participant(
    session: AsyncSession,
    context: HasServices,
    participant: Participant,
    key: str,
    decided: approvals.Decided,
) -> None:
    """After the commit: the decision, to the participant in their language."""
    lang = language_of(context, participant)
    mentorship, review = decided.mentorship, decided.review
    assert mentorship is not None and review is not None
    body = text(
        context,
        lang,
        key,
        mentor=mentorship.mentor_name or plain(context, lang, "mentor.unnamed"),
        comment=review.comment or "",
    )
    what = "the mentor's decision for the participant"
    await tell(session, context, participant.person_id, Outbound(body), what)


async def answer_comment(session: AsyncSession, turn: Turn, lang: str, typed: str) -> Answer | None:
    """A mentor's typed text while their comment is awaited: the changes asked; None when no
    comment is awaited (the text is for something else)."""
    now = turn.services.clock()
    awaited = await approvals.comment_awaited(session, turn.person_id, now)
    if awaited is None:
        return None
    comment = " ".join(typed.split())
    if len(comment) < 3:
        return [(text(turn, lang, "approval.comment_short"), None)]
    if len(comment) > approvals.COMMENT_MAX:
        return [
            (
                text(
                    turn,
                    lang,
                    "approval.comment_long",
                    max=approvals.COMMENT_MAX,
                    length=len(comment),
                ),
                None,
            )
        ]
    decided = await approvals.give_comment(session, turn.person_id, awaited.id, comment, now)
    if decided.participant is None:
        return [(text(turn, lang, "approval.cannot"), None)]
    await _tell_participant(session, turn, decided.participant, "approval.news_changes", decided)
    return [(text(turn, lang, "approval.changes_sent", name=name_of(decided.participant)), None)]
