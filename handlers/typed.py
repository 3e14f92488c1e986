"""Typed text: a cohort code, or the answer to the question the bot asked last, else help."""

from __future__ import annotations

from core import conversation
from core.approvals import forget_comment
from core.attendance import discard_writing as discard_excuse
from core.consultations import discard_drafts as discard_consultation
from core.conversation import Ask
from core.milestones import discard_draft as discard_milestone
from core.plans import discard_draft, has_plan
from handlers import (
    announce,
    approvals,
    attendance,
    checkin,
    consultations,
    evaluations,
    follow_up,
    guide,
    milestones,
    plan,
    reminders,
)
from handlers.common import Answer, text
from handlers.onboarding import join, join_answer, not_offered, offered_here
from handlers.profile import answer_profile
from handlers.staff import is_staff, staff_of
from handlers.turn import Turn


async def typed_text(turn: Turn) -> None:
    """Plain text: joins with a code, answers the pending question (profile, plan, check-in),
    or points to /bantuan; says to tap a button where only buttons answer (a plan step, a
    skip's reason, an announcement's preview). Length is checked by the question being
    answered, against that field's own limit (a plan title 120 characters, a reflection 500)."""
    typed = turn.typed.text if turn.typed is not None else ""
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        lang, participant = reader.lang, reader.participant
        open_question = conversation.waiting(participant) if participant else None
        asked = open_question.ask if open_question else None
        for_announcement = await announce.answer_typed(session, turn)
        free = for_announcement is None and asked is None  # no other question open
        comment = await approvals.answer_comment(session, turn, lang, typed) if free else None
        record = (  # one text answers one question: the comment first
            await consultations.answer_typed(session, turn, lang, typed)
            if free and comment is None
            else None
        )
        if comment is not None:  # a mentor's comment on a plan (handlers.approvals)
            answer: Answer = comment
        elif record is not None:  # a consultation being recorded (handlers.consultations)
            answer = record
        elif for_announcement is not None:  # a facilitator writing an announcement or its time
            answer = for_announcement
        elif participant is None and (
            elsewhere := await offered_here(session, turn, turn.sender.address.channel, typed)
        ):
            answer = [(not_offered(turn, lang, elsewhere), None)]
        elif participant is None:
            joined = await join(session, turn, reader, typed.strip())
            key = "join.unknown_code" if len(typed.split()) == 1 else "join.ask_code"
            if joined is not None:
                answer = await join_answer(session, turn, reader, joined)
            else:
                answer = await announce.preview_waits(session, turn) or [
                    (text(turn, lang, key, code=typed.strip()[:64]), None)
                ]
        elif asked in conversation.PROFILE:  # joining, or editing in /pengaturan
            offer = asked not in conversation.EDITING
            offer = offer and not await has_plan(session, participant.id)
            answer = answer_profile(turn, reader, participant, typed, offer_plan=offer)
        elif asked in conversation.OFFERS:  # typed instead of tapped (handlers.guide)
            answer = await guide.answer_typed(session, turn, reader, typed)
        elif asked == Ask.PLAN:
            answer = await plan.answer_text(session, turn, reader, typed)
        elif asked in conversation.REMINDERS:
            answer = await reminders.answer_text(session, turn, reader, typed)
        elif asked in conversation.CHECKIN:
            answer = await checkin.answer_text(session, turn, reader, typed)
        elif asked in conversation.MILESTONES:
            answer = await milestones.answer_text(session, turn, reader, typed)
        elif asked == Ask.FOLLOW_UP_NOTE:
            answer = await follow_up.answer_note(session, turn, reader, typed)
        elif asked == Ask.EXCUSE_REASON:
            answer = await attendance.answer_reason(session, turn, reader, typed)
        elif asked == Ask.EVALUATION_TEXT:
            answer = await evaluations.answer_text(session, turn, reader, typed)
        else:  # no question open: a facilitator's preview may wait for its buttons
            answer = await announce.preview_waits(session, turn) or [
                (text(turn, lang, "fallback.text"), None)
            ]
    for body, keyboard in answer:
        await turn.reply(body, keyboard)


async def cancel(turn: Turn) -> None:
    """/batal: leave whatever is in progress (an announcement being written, a plan draft, a
    question) without saving it."""
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        dropped = await announce.cancel_draft(session, turn)
        if dropped is None and await forget_comment(session, turn.person_id):
            dropped = [(text(turn, reader.lang, "approval.comment_cancelled"), None)]
        if dropped is None and await discard_consultation(session, turn.person_id):
            dropped = [(text(turn, reader.lang, "consult.cancelled"), None)]
        staff = is_staff(await staff_of(session, turn))
        participant = reader.participant
        if dropped is not None or participant is None:
            had_draft = had_question = False
        else:
            had_draft = await discard_draft(session, participant)
            await discard_milestone(session, participant.id)
            await discard_excuse(session, participant.id)
            had_question = conversation.waiting(participant) is not None
            conversation.clear(participant)
    if dropped is not None:
        answer = dropped
    elif participant is None:  # a facilitator who is not a participant has nothing else open
        key = "cancel.nothing" if staff else "join.ask_code"
        answer = [(text(turn, reader.lang, key), None)]
    else:
        key = "cancel.plan" if had_draft else "cancel.done" if had_question else "cancel.nothing"
        answer = [(text(turn, reader.lang, key), None)]
    for body, keyboard in answer:
        await turn.reply(body, keyboard)
