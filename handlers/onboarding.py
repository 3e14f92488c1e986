"""Joining a cohort (/start CODE, or the code typed) and the first profile questions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons, cohorts, contacts, conversation
from core.cohorts import find_cohort, looks_like_code
from core.confirmations import Taken
from core.conversation import Ask
from core.mentors import looks_like_token as looks_like_mentor_token
from core.participants import (
    ASK_FULL_NAME,
    ASK_UNIT,
    JoinResult,
    Writer,
    editing_profile,
    join_cohort,
    name_from_telegram,
    profile_field,
    rejoin,
)
from core.plans import has_plan
from core.reminders import stop_reminders, sync_reminders
from core.roster import (
    LinkRefusal,
    RosterJoin,
    entry_by_token,
    join_by_token,
    link_refusal,
    looks_like_token,
    match_by_username,
)
from handlers import confirm, offers
from handlers.announce import channel_name
from handlers.common import Answer, plain, text
from handlers.help import help_lines
from handlers.mentors import open_invitation_link
from handlers.menu import main_menu
from handlers.profile import answer_profile, profile_question
from handlers.turn import HasServices, Reader, Turn
from storage.models import ActionPlan, Cohort, Participant, RosterEntry

_BUTTONS = {
    "tgname": frozenset({""}),
    "skip": frozenset({ASK_FULL_NAME, ASK_UNIT}),
}


def welcome(context: HasServices, lang: str, joined: JoinResult, first_name: str) -> str:
    if joined.already_member:
        key = "join.already"
    else:
        key = "join.returned" if joined.returned else "join.welcome"
    return text(
        context,
        lang,
        key,
        first_name=first_name or "👋",
        cohort=joined.cohort.name,
        code=joined.cohort.code,
        features=help_lines(context, lang),
    )


async def join_answer(
    session: AsyncSession,
    context: HasServices,
    reader: Reader,
    joined: JoinResult,
    name: str | None = None,
) -> Answer:
    """The welcome (by `name` from the roster, else the Telegram first name), then the first
    profile question still open — or, with none open, the offer to write the action plan."""
    lang = reader.lang if reader.participant else _lang_of(joined, reader)
    participant = joined.participant
    name = name or participant.full_name or reader.person.first_name
    greeting = welcome(context, lang, joined, name)
    if joined.already_member:  # nothing new: the greeting and the main menu, nothing asked
        return [(greeting, await main_menu(context, lang, participant))]
    answer: Answer = [(greeting, None)]
    if conversation.is_open(participant, Ask.FULL_NAME, Ask.UNIT):
        answer.append(profile_question(context, lang, participant, reader.person))
    elif not await has_plan(session, participant.id):
        answer.append(offers.plan_offer(context, lang))
        offers.expect_answer(participant, Ask.OFFER_PLAN, context.services.clock())
    return answer


def _lang_of(joined: JoinResult, reader: Reader) -> str:
    return joined.participant.language or reader.lang


async def join(
    session: AsyncSession, context: HasServices, reader: Reader, code: str
) -> JoinResult | None:
    """Join with `code` and set up the newcomer's reminders; None for an unknown code.
    Someone who moves on to a new cohort (or back to one they were in) stops getting the
    old cohort's reminders."""
    now = context.services.clock()
    joined = await join_cohort(session, reader.person, code, now)
    if joined is None:
        return None
    old = reader.participant
    if joined.already_member and old is not None and old.id != joined.participant.id:
        rejoin(joined.participant, now, old)  # back to a cohort they were in: theirs again
        joined = JoinResult(joined.participant, joined.cohort, already_member=False, returned=True)
        await _set_up_newcomer(session, context, reader, joined)
    elif not joined.already_member:
        # On the roster by their Telegram username: tied at once (core.roster).
        await match_by_username(session, joined.participant)
        await _set_up_newcomer(session, context, reader, joined)
    return joined


def not_offered(context: HasServices, lang: str, cohort: Cohort) -> str:
    """Why `cohort` is not joined here: it runs on other channels (the same code works there)."""
    i18n = context.services.i18n
    names = [channel_name(i18n, lang, c) for c in cohorts.offered_on(cohort)]
    return text(context, lang, "join.not_offered", cohort=cohort.name, channels=" / ".join(names))


async def offered_here(
    session: AsyncSession, context: HasServices, channel: str, code: str
) -> Cohort | None:
    """The cohort of a typed code when it is not joined on `channel` (to say so); None when
    the code may be used here (or names no cohort: joining says that)."""
    code = code.strip()
    if not looks_like_code(code):
        return None
    cohort = await find_cohort(session, code)
    return cohort if cohort is not None and not cohorts.offers(cohort, channel) else None


async def join_with_link(
    session: AsyncSession, context: HasServices, reader: Reader, token: str
) -> RosterJoin | None:
    """Join with a personal roster link: the account is tied to that roster row and gets its
    name and unit. None for an unknown token; `joined` is None when it was refused."""
    linked = await join_by_token(session, reader.person, token, context.services.clock())
    if linked is not None and linked.joined is not None and not linked.joined.already_member:
        await _set_up_newcomer(session, context, reader, linked.joined)
    return linked


async def _set_up_newcomer(
    session: AsyncSession, context: HasServices, reader: Reader, joined: JoinResult
) -> None:
    await sync_reminders(session, joined.participant, context.services.clock())
    old = reader.participant
    if old is not None and old.id != joined.participant.id:
        old.reminders_paused = True  # kept so at start-up and for its sessions
        await stop_reminders(session, old.id)


def link_refused(
    context: HasServices, lang: str, linked: RosterJoin, participant: Participant | None
) -> str:
    """Why a personal link was not used; nothing was changed."""
    if linked.refused is LinkRefusal.TAKEN or participant is None:
        return text(context, lang, "roster.link_taken")
    key = (
        "roster.link_has_identity"
        if linked.refused is LinkRefusal.HAS_IDENTITY
        else "roster.link_other_person"
    )
    return text(
        context,
        lang,
        key,
        name=participant.full_name or participant.first_name or "?",
        cohort=participant.cohort.name,
        roster_name=linked.entry.name,
    )


async def _ask_to_move(
    session: AsyncSession,
    context: HasServices,
    reader: Reader,
    current: Participant,
    target: Cohort,
    payload: dict[str, str],
    roster_name: str | None,
) -> Answer:
    """Joining another cohort while in one: say what moving means, and ask."""
    lang = reader.lang
    back = await session.scalar(
        select(Participant.id).where(
            Participant.cohort_id == target.id,
            Participant.person_id == reader.person.person_id,
        )
    )
    has_plan = await session.scalar(
        select(ActionPlan.id).where(ActionPlan.participant_id == current.id)
    )
    lines = [text(context, lang, "join.move_ask", current=current.cohort.name, target=target.name)]
    if roster_name:
        lines.append(text(context, lang, "join.move_as", name=roster_name, target=target.name))
    lines.append(
        text(
            context,
            lang,
            "join.move_plan" if has_plan else "join.move_no_plan",
            current=current.cohort.name,
            target=target.name,
        )
    )
    if back is not None:
        lines.append(text(context, lang, "join.move_back", target=target.name))
    lines.append(text(context, lang, "join.move_rest", current=current.cohort.name))
    buttons = [
        ("yes", plain(context, lang, "join.move_button", code=target.code)),
        ("no", plain(context, lang, "join.stay_button", code=current.cohort.code)),
    ]
    keyboard = await confirm.ask(
        session, context, reader.person.person_id, lang, "move_cohort", payload, buttons
    )
    body = "\n\n".join(lines) + "\n\n" + confirm.valid_for(context, lang)
    return [(body, keyboard)]


async def _target_of(
    session: AsyncSession, person: Writer, code: str
) -> tuple[Cohort, RosterEntry | None, LinkRefusal | None] | None:
    """The cohort a /start payload leads to (a personal link's or a code's), with the roster
    row and whether the link may be used; None when it leads nowhere."""
    if looks_like_token(code):
        entry = await entry_by_token(session, code)
        if entry is not None:
            cohort = await session.get(Cohort, entry.cohort_id)
            assert cohort is not None
            return cohort, entry, await link_refusal(session, person, entry)
    if not looks_like_code(code):
        return None
    cohort = await find_cohort(session, code)
    return (cohort, None, None) if cohort is not None else None


async def start(turn: Turn) -> None:
    """/start [CODE or personal token]: join the cohort by its code or by a personal roster
    link (the deep-link payload), or be asked for the code. Tokens are tried first, case
    sensitively. Someone already in another cohort is asked before moving. (Someone whose
    reminders stopped because they had blocked the bot gets them back as they write anything:
    `handlers.arrival`.)"""
    code = turn.args[0][:64] if turn.args else None
    if code and looks_like_mentor_token(code):  # a participant's link for their mentor
        await open_invitation_link(turn, code)
        return
    answer: Answer = []
    said = turn.command.text if turn.command is not None else ""
    async with turn.services.db.begin() as session:
        # Starting (or joining) is an explicit opt-in: recorded, and a /berhenti lifted.
        await contacts.opt_in(session, turn.sender.address, turn.services.clock(), said or "/start")
        reader = await turn.identify(session)
        current = reader.participant
        target = await _target_of(session, reader.person, code) if code else None
        if code and target is None:
            # A personal link is case-sensitive, a code is not: say which was not found.
            key = "join.unknown_code"
            if code[:2].lower() == "r-":
                key = "roster.link_unknown"
            elif code[:2].lower() == "m-":
                key = "mentor.link_unknown"
            answer = [(text(turn, reader.lang, key, code=code), None)]
        elif target is not None and not cohorts.offers(target[0], turn.sender.address.channel):
            answer = [(not_offered(turn, reader.lang, target[0]), None)]
        elif target is not None and target[1] is not None and target[2] is not None:
            refused = RosterJoin(target[1], None, target[2])
            answer = [(link_refused(turn, reader.lang, refused, current), None)]
        elif (
            code
            and target is not None
            and current is not None
            and current.cohort_id != target[0].id
        ):
            entry = target[1]
            payload = {"token": code} if entry is not None else {"code": target[0].code}
            name = entry.name if entry is not None else None
            answer = await _ask_to_move(session, turn, reader, current, target[0], payload, name)
        elif code and target is not None:
            answer = await _join_now(session, turn, reader, code, target[1] is not None)
        elif current is not None:  # a member: the greeting, with the main menu
            joined = JoinResult(current, current.cohort, True)
            name = current.full_name or reader.person.first_name
            greeting = welcome(turn, reader.lang, joined, name)
            answer = [(greeting, await main_menu(turn, reader.lang, current))]
        else:
            answer = [(text(turn, reader.lang, "join.ask_code"), None)]
    for body, keyboard in answer:
        await turn.reply(body, keyboard)


async def _join_now(
    session: AsyncSession, context: HasServices, reader: Reader, code: str, is_token: bool
) -> Answer:
    """Join (or move) with a code or a personal token checked already; the answer to send."""
    if is_token:
        linked = await join_with_link(session, context, reader, code)
        assert linked is not None
        if linked.joined is None:
            return [(link_refused(context, reader.lang, linked, reader.participant), None)]
        return await join_answer(session, context, reader, linked.joined, linked.entry.name)
    joined = await join(session, context, reader, code)
    if joined is None:
        return [(text(context, reader.lang, "join.unknown_code", code=code), None)]
    return await join_answer(session, context, reader, joined)


@confirm.action("move_cohort", again="join.move_again")
async def move_confirmed(
    session: AsyncSession, turn: Turn, taken: Taken, choice: str
) -> confirm.Done:
    """The answer to "move to the other cohort?": join it (everything checked again), or
    stay."""
    reader = await turn.identify(session)
    if choice != "yes":
        current = reader.participant
        if current is None:
            return confirm.Done([(text(turn, reader.lang, "join.ask_code"), None)])
        return confirm.Done(
            [(text(turn, reader.lang, "join.stayed", cohort=current.cohort.name), None)]
        )
    code = str(taken.data.get("token") or taken.data.get("code") or "")
    target = await _target_of(session, reader.person, code)
    if target is None:
        return confirm.Done([(text(turn, reader.lang, "join.unknown_code", code=code), None)])
    return confirm.Done(await _join_now(session, turn, reader, code, target[1] is not None))


async def onboarding_button(turn: Turn) -> None:
    """The buttons under a profile question: use the Telegram name, or skip."""
    button = buttons.unpack(turn.data, buttons.ONBOARDING, dict(_BUTTONS))
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:
            await turn.ask_for_code(reader.lang)
            return
        field = ASK_FULL_NAME if button and button.action == "tgname" else button and button.arg
        if button is None or profile_field(participant) != field:
            await turn.answer_button(plain(turn, reader.lang, "button.stale"), alert=True)
            return
        value = name_from_telegram(reader.person.display_name)
        if button.action == "tgname" and value is None:  # e.g. renamed to emoji since
            notice = plain(turn, reader.lang, "profile.telegram_name_unusable")
            await turn.answer_button(notice, alert=True)
            return
        # The pop-up answer to the press already says "saved".
        offer = not editing_profile(participant)
        offer = offer and not await has_plan(session, participant.id)
        answer = answer_profile(
            turn,
            reader,
            participant,
            value if button.action == "tgname" else None,
            confirm=False,
            offer_plan=offer,
        )
    await turn.answer_button(plain(turn, reader.lang, "button.saved"))
    await turn.drop_keyboard()
    for body, keyboard in answer:
        await turn.reply(body, keyboard)
