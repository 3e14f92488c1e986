"""/mentor: a participant asks their mentor (direct superior or coach) with a personal link; the
mentor opens it (`/start m-…`), sees whose mentor they are asked to be, and accepts or declines;
a mentor's /mentor lists their mentees. The rules are `core.mentors`'."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons, mentors
from core.approvals import submit
from core.channel import Action, Outbound, Rows
from core.i18n import Html
from core.milestones import Tally, tallies
from handlers.approvals import for_mentor, waiting_for
from handlers.checkin_view import today_of
from handlers.common import Answer, plain, text
from handlers.mentoring import local_day, name_of, tell
from handlers.refusals import stale_button
from handlers.reminders import language_of
from handlers.turn import HasServices, Turn
from storage.mentoring import Mentorship
from storage.models import Participant

_WITH_ID = ("withdraw", "accept", "decline")  # the invitation's id
_NONE = "-"  # "invite" when no invitation was open


def _invite_button(context: HasServices, lang: str, label: str, replaces: str) -> Action:
    """A new link, replacing invitation `replaces` (`mentors.invitation_key`)."""
    return Action(plain(context, lang, label), buttons.pack(buttons.MENTOR, "invite", replaces))


async def own_mentor_view(
    session: AsyncSession, turn: Turn, lang: str, participant: Participant
) -> tuple[str, Rows]:
    """What a participant sees of their mentor: who it is, the link waiting, or how to ask."""
    now = turn.services.clock()
    active = await mentors.active_mentor(session, participant.id)
    waiting = await mentors.open_invitation(session, participant.id, now)
    replaces = await mentors.invitation_key(session, participant.id)
    lines: list[str] = []
    rows: list[list[Action]] = []
    if active is not None:
        lines.append(
            text(
                turn,
                lang,
                "mentor.yours",
                name=active.mentor_name or plain(turn, lang, "mentor.unnamed"),
                since=local_day(lang, participant, active.decided_at or active.created_at),
            )
        )
    if waiting is not None:
        lines.append(_waiting_text(turn, lang, participant, waiting))
        rows.extend(_waiting_rows(turn, lang, waiting))
    elif active is not None:
        lines.append(text(turn, lang, "mentor.change_hint"))
        rows.append([_invite_button(turn, lang, "mentor.button_other", replaces)])
    else:
        lines.append(text(turn, lang, "mentor.none_yet"))
        rows.append([_invite_button(turn, lang, "mentor.button_invite", replaces)])
    return "\n\n".join(lines), rows


def _waiting_rows(turn: Turn, lang: str, waiting: Mentorship) -> list[list[Action]]:
    withdraw = buttons.pack(buttons.MENTOR, "withdraw", str(waiting.id))
    return [
        [_invite_button(turn, lang, "mentor.button_new_link", str(waiting.id))],
        [Action(plain(turn, lang, "mentor.button_withdraw"), withdraw)],
    ]


def _waiting_text(turn: Turn, lang: str, participant: Participant, waiting: Mentorship) -> str:
    assert waiting.token is not None and waiting.expires_at is not None
    return text(
        turn,
        lang,
        "mentor.link",
        link=turn.channel.join_link(waiting.token),
        until=local_day(lang, participant, waiting.expires_at),
    )


def _steps(context: HasServices, lang: str, counts: Tally | None) -> str:
    """A mentee's milestones after their line: done of all, and how many are late."""
    if counts is None:
        return ""
    key = "mentor.mentee_milestones_late" if counts.overdue else "mentor.mentee_milestones"
    return text(context, lang, key, done=counts.done, total=counts.total, late=counts.overdue)


async def _mentees_view(session: AsyncSession, turn: Turn, lang: str) -> str | None:
    mentees = await mentors.mentees_of(session, turn.person_id)
    if not mentees:
        return None
    today = {m.participant.id: today_of(turn, m.participant) for m in mentees}
    steps = await tallies(session, list(today), today)
    lines = [
        text(
            turn,
            lang,
            "mentor.mentee_line",
            name=name_of(m.participant),
            unit=m.participant.unit or "—",
            cohort=m.cohort.name,
            code=m.cohort.code,
        )
        + _steps(turn, lang, steps.get(m.participant.id))
        for m in mentees
    ]
    listed = Html("\n".join(lines))  # each line rendered (escaped) already
    return text(turn, lang, "mentor.mentees", count=len(mentees), lines=listed)


async def show_mentor(turn: Turn) -> None:
    """/mentor: a participant's mentor (or how to ask one); a mentor's mentees."""
    answer: Answer = []
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        lang = reader.lang
        mentees = await _mentees_view(session, turn, lang)
        if mentees is not None:
            await mentors.note_language(session, turn.person_id, lang)
            answer.append((mentees, None))
            answer.extend(await waiting_for(session, turn, lang, turn.person_id))
        if reader.participant is not None:
            answer.append(await own_mentor_view(session, turn, lang, reader.participant))
    if not answer:
        answer = [(text(turn, lang, "mentor.nobody"), None)]
    for body, rows in answer:
        await turn.reply(body, rows)


def _parse(data: str | None) -> tuple[str, int | None] | None:
    """(action, invitation id; None: "invite" when none was open); None for anything we could
    not have sent."""
    parts = (data or "").split(":")
    if parts == [buttons.MENTOR, "invite", _NONE]:
        return "invite", None
    if len(parts) == 3 and parts[0] == buttons.MENTOR and parts[1] in (*_WITH_ID, "invite"):
        number = buttons.parse_id(parts[2])
        if number is not None:
            return parts[1], number
    return None


async def mentor_button(turn: Turn) -> None:
    """A press on a /mentor button (the participant's) or on an invitation (the mentor's)."""
    parsed = _parse(turn.data)
    if parsed is None:
        await stale_button(turn)
        return
    action, number = parsed
    if action in ("accept", "decline"):
        assert number is not None
        await _decide(turn, number, accept=action == "accept")
        return
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        participant, lang = reader.participant, reader.lang
        if participant is None:
            await turn.ask_for_code(lang)
            return
        now = turn.services.clock()
        alert = False
        if action == "withdraw":
            assert number is not None
            if not await mentors.withdraw(session, participant, number, now):
                await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
                return
            notice: str | None = plain(turn, lang, "mentor.withdrawn")
            view = await own_mentor_view(session, turn, lang, participant)
        elif await mentors.invitation_key(session, participant.id) != str(number or _NONE):
            # A "new link" from an older message: the link made since stays valid.
            notice, alert = plain(turn, lang, "button.stale"), True
            view = await own_mentor_view(session, turn, lang, participant)
        else:
            replaced = await mentors.open_invitation(session, participant.id, now)
            invitation = await mentors.invite(session, participant, now)
            body = _waiting_text(turn, lang, participant, invitation)
            if replaced is not None:
                body = text(turn, lang, "mentor.old_link_void") + "\n\n" + body
            notice = None
            view = (body, _waiting_rows(turn, lang, invitation))
    await turn.answer_button(notice, alert=alert)
    await turn.edit_or_reply(*view)


async def open_invitation_link(turn: Turn, token: str) -> None:
    """`/start m-…`: the person asked to be a mentor sees by whom, and may accept or decline.
    The link is theirs from now on: nobody else can answer it."""
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        lang = reader.lang
        opened = await mentors.open_link(session, turn.person_id, token, turn.services.clock())
        if opened.refused is not None or opened.invitation is None:
            refused = opened.refused or mentors.Refusal.UNKNOWN
            name = name_of(opened.participant) if opened.participant is not None else ""
            answer: tuple[str, Rows | None] = (
                text(turn, lang, f"mentor.link_{refused.value}", name=name),
                None,
            )
        else:
            participant = opened.participant
            assert participant is not None
            invitation_id = str(opened.invitation.id)
            answer = (
                text(
                    turn,
                    lang,
                    "mentor.asked",
                    name=name_of(participant),
                    unit=participant.unit or "—",
                    cohort=participant.cohort.name,
                ),
                [
                    [
                        Action(
                            plain(turn, lang, "mentor.button_accept"),
                            buttons.pack(buttons.MENTOR, "accept", invitation_id),
                        ),
                        Action(
                            plain(turn, lang, "mentor.button_decline"),
                            buttons.pack(buttons.MENTOR, "decline", invitation_id),
                        ),
                    ]
                ],
            )
    await turn.reply(*answer)


async def _decide(turn: Turn, invitation_id: int, *, accept: bool) -> None:
    services = turn.services
    async with services.db.begin() as session:
        reader = await turn.identify(session)
        lang = reader.lang
        decision = await mentors.decide(
            session,
            turn.person_id,
            invitation_id,
            accept=accept,
            name=turn.sender.display_name or turn.sender.first_name,
            language=lang,
            now=services.clock(),
        )
        participant = decision.participant
        if decision.invitation is None or participant is None:
            await turn.answer_button(plain(turn, lang, "mentor.cannot_answer"), alert=True)
            return
        mentor_name = (
            decision.invitation.mentor_name
            or turn.sender.display_name
            or plain(turn, language_of(turn, participant), "mentor.unnamed")
        )
        key = "mentor.accepted" if accept else "mentor.declined"
        body = text(turn, lang, key, name=name_of(participant), cohort=participant.cohort.name)
        # A plan already saved comes to the new mentor at once.
        sent = None
        if accept and not decision.unchanged:
            sent = await submit(session, participant, services.clock())
        plan_view = for_mentor(turn, lang, participant, sent.review) if sent else None
        news = text(
            turn,
            language_of(turn, participant),
            "mentor.news_accepted" if accept else "mentor.news_declined",
            mentor=mentor_name,
        )
        await tell(session, turn, participant.person_id, Outbound(news), "the mentor's answer")
    await turn.answer_button(plain(turn, lang, "button.saved"))
    await turn.edit_or_reply(body, None)
    if plan_view is not None:
        await turn.reply(*plan_view)
