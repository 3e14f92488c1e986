"""Attendance (*presensi*, `core.attendance`): /hadir (/present) records the participant present
at the session whose window is open (also the "Hadir" button on the session reminder), or offers
an excuse — *izin* or *sakit*, with a typed reason — for a session just missed, which goes to
the cohort's facilitators to accept or refuse. /presensi (/attendance), for facilitators: the
sessions held, and per session everyone's attendance, changed by hand with a press (nothing →
present → excused), and the excuses waiting."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core import attendance as rules
from core import buttons, conversation
from core.attendance import State
from core.channel import Action, Outbound, Rows
from core.conversation import Ask
from core.errors import InvalidInput
from core.i18n import escape
from core.numbers import percent
from core.participants import (
    cohort_members,
    effective_timezone,
    language_for,
    stale_or_left,
)
from core.staff import can_manage, facilitators_of
from core.timefmt import clock, local, weekday_date, zone_abbreviation
from handlers.common import Answer, plain, shorten, text
from handlers.mentoring import WITH_COHORT, name_of, tell
from handlers.refusals import stale_button
from handlers.staff import StaffReader, staff_command
from handlers.turn import HasServices, Reader, Turn
from storage.models import Cohort, Participant, Session
from storage.training import Attendance

MARK = {State.PRESENT: "✅", State.EXCUSED: "📝", State.ASKED: "⏳", State.REFUSED: "❌"}
SESSIONS_SHOWN = 8  # the latest sessions /presensi offers
NAMES_SHOWN = 90  # participants listed with a button (Telegram takes 100 buttons a message)
# A press in a session's list sets the state it names: present, excused, nothing.
TARGETS: dict[str, State | None] = {"p": State.PRESENT, "e": State.EXCUSED, "n": None}
NEXT: dict[State | None, str] = {
    None: "p",
    State.PRESENT: "e",
    State.EXCUSED: "n",
    State.REFUSED: "p",
}


def _button(label: str, action: str, arg: str) -> list[Action]:
    return [Action(label, buttons.pack(buttons.ATTENDANCE, action, arg))]


def when(context: HasServices, lang: str, s: Session, tz: str) -> str:
    """'Kamis, 9 September 08:30 WITA'."""
    at = local(s.starts_at, tz)
    return f"{weekday_date(at.date(), lang)} {clock(at, lang)} {zone_abbreviation(tz)}"


def recorded(context: HasServices, lang: str, done: rules.Recorded, s: Session, tz: str) -> str:
    """Present at `s`: just recorded, or already."""
    key = "attendance.already" if done.unchanged else "attendance.recorded"
    return text(context, lang, key, title=s.title, when=when(context, lang, s, tz))


def hadir_row(context: HasServices, lang: str, s: Session) -> Rows:
    """The "Hadir" button under a session reminder."""
    return [_button(plain(context, lang, "attendance.button_present"), "in", str(s.id))]


def own_line(context: HasServices, lang: str, tally: rules.Tally) -> str | None:
    """The participant's own attendance (for /hadir and /progres); None before any session."""
    if not tally.held:
        return None
    return text(
        context,
        lang,
        "attendance.own",
        present=tally.present,
        held=tally.held,
        rate=percent(tally.rate, lang),
        excused=tally.excused,
    )


async def show_present(turn: Turn) -> None:
    """/hadir: present at the session whose window is open; else the excuses that can still be
    asked for, and when the next window opens."""
    services = turn.services
    now = services.clock()
    answer: Answer = []
    async with services.db.begin() as session:
        reader = await turn.identify(session)
        participant, lang = reader.participant, reader.lang
        if participant is None:
            await turn.ask_for_code(lang)
            return
        tz = effective_timezone(participant)
        cohort = participant.cohort
        current = await rules.open_now(session, participant, now)
        if current is not None:
            done = await rules.check_in(session, participant, current, now)
            answer.append((recorded(turn, lang, done, current, tz), None))
        else:
            rows: list[list[Action]] = []
            for s in await rules.excusable(session, participant, now):
                label = plain(turn, lang, "attendance.button_excuse", title=shorten(s.title, 30))
                rows.append(_button(label, "ex", str(s.id)))
            upcoming = await rules.next_window(session, cohort, now)
            if upcoming is not None:
                opens = local(rules.window(upcoming, cohort)[0], tz)
                body = text(
                    turn,
                    lang,
                    "attendance.none_open_next",
                    title=upcoming.title,
                    opens=f"{weekday_date(opens.date(), lang)} {clock(opens, lang)} "
                    f"{zone_abbreviation(tz)}",
                )
            else:
                body = text(turn, lang, "attendance.none_open")
            if rows:
                body += "\n\n" + text(turn, lang, "attendance.excuse_offer", days=rules.EXCUSE_DAYS)
            answer.append((body, rows or None))
        tally = (await rules.tallies(session, cohort, [participant], now))[participant.id]
        line = own_line(turn, lang, tally)
    if line:
        answer.append((line, None))
    for body, keyboard in answer:
        await turn.reply(body, keyboard)


def _parse(data: str | None) -> tuple[str, int, int | None] | None:
    """(action, id, second id for "mk": session.participant); None for anything else."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != buttons.ATTENDANCE or len(data or "") > buttons.MAX_BYTES:
        return None
    action, arg = parts[1], parts[2]
    if action == "mk":  # session.participant.target (the state the press sets)
        pieces = arg.split(".")
        if len(pieces) != 3:
            return None
        first, second, target = pieces
        a, b = buttons.parse_id(first), buttons.parse_id(second)
        if a is None or b is None or target not in TARGETS:
            return None
        return f"mk{target}", a, b
    number = buttons.parse_id(arg)
    if action not in ("in", "ex", "ok", "no", "ses", *rules.KINDS) or number is None:
        return None
    return action, number, None


async def attendance_button(turn: Turn) -> None:
    parsed = _parse(turn.data)
    if parsed is None:
        await stale_button(turn)
        return
    action, number, other = parsed
    if action in ("ok", "no"):
        await _decide(turn, number, action == "ok")
    elif action == "ses" or action.startswith("mk"):
        await _facilitator_press(turn, action, number, other)
    else:
        await _participant_press(turn, action, number)


async def _participant_press(turn: Turn, action: str, session_id: int) -> None:
    """ "Hadir" on a reminder, an excuse asked for a session, or its kind chosen."""
    services = turn.services
    now = services.clock()
    answer: Answer = []
    async with services.db.begin() as session:
        reader = await turn.identify(session)
        participant, lang = reader.participant, reader.lang
        if participant is None:
            await turn.ask_for_code(lang)
            return
        s = await session.get(Session, session_id)
        if s is None or s.cohort_id != participant.cohort_id:
            why = await stale_or_left(session, participant, s.cohort_id if s else None)
            await turn.answer_button(plain(turn, lang, why), alert=True)
            return
        tz = effective_timezone(participant)
        try:
            if action == "in":
                done = await rules.check_in(session, participant, s, now)
                answer.append((recorded(turn, lang, done, s, tz), None))
            elif action == "ex":
                if s.id not in {x.id for x in await rules.excusable(session, participant, now)}:
                    raise InvalidInput("attendance.no_excuse")
                rows = [
                    [
                        Action(
                            plain(turn, lang, f"attendance.kind_{k}"),
                            buttons.pack(buttons.ATTENDANCE, k, str(s.id)),
                        )
                        for k in rules.KINDS
                    ]
                ]
                body = text(
                    turn, lang, "attendance.ask_kind", title=s.title, when=when(turn, lang, s, tz)
                )
                answer.append((body, rows))
            else:
                row = await rules.start_excuse(session, participant, s.id, action, now)
                conversation.ask(participant, Ask.EXCUSE_REASON, item_id=row.id)
                body = text(
                    turn,
                    lang,
                    "attendance.ask_reason",
                    kind=plain(turn, lang, f"attendance.kind_{action}"),
                    title=s.title,
                    min=rules.REASON_MIN,
                    max=rules.REASON_MAX,
                )
                answer.append((body, None))
        except InvalidInput as exc:
            await turn.answer_button(
                _refusal(turn, lang, s, participant.cohort, str(exc), tz), alert=True
            )
            return
    await turn.answer_button(plain(turn, lang, "button.saved") if action == "in" else None)
    for body, keyboard in answer:
        await turn.reply(body, keyboard)


def _refusal(context: HasServices, lang: str, s: Session, cohort: Cohort, key: str, tz: str) -> str:
    opens, closes = rules.window(s, cohort)
    return plain(
        context,
        lang,
        key,
        opens=f"{clock(local(opens, tz), lang)} {zone_abbreviation(tz)}",
        closes=f"{clock(local(closes, tz), lang)} {zone_abbreviation(tz)}",
        days=rules.EXCUSE_DAYS,
    )


async def answer_reason(session: AsyncSession, turn: Turn, reader: Reader, typed: str) -> Answer:
    """The reason of an excuse, typed: it goes to the cohort's facilitators."""
    participant, lang = reader.participant, reader.lang
    assert participant is not None
    waiting = conversation.waiting(participant)
    row = None
    if waiting is not None and waiting.item_id is not None:
        row = await rules.writing(session, participant.id, waiting.item_id)
    if row is None:
        conversation.clear(participant)
        return [(text(turn, lang, "fallback.text"), None)]
    try:
        rules.finish_excuse(row, typed, turn.services.clock())
    except InvalidInput as exc:
        return [(text(turn, lang, str(exc), min=rules.REASON_MIN, max=rules.REASON_MAX), None)]
    conversation.clear(participant)
    s = await session.get(Session, row.session_id)
    assert s is not None
    staff = await facilitators_of(session, participant.cohort_id)
    for member in staff:
        staff_lang = member.language or turn.services.settings.aksi_default_language
        body, rows = _excuse_for_staff(turn, staff_lang, row, participant, s)
        await tell(session, turn, member.person_id, Outbound(body, rows), "an excuse to decide")
    # Without a facilitator it waits in /presensi for an admin: the participant is told so.
    key = "attendance.excuse_sent" if staff else "attendance.excuse_kept"
    return [(text(turn, lang, key, title=s.title), None)]


def _excuse_for_staff(
    context: HasServices, lang: str, row: Attendance, participant: Participant, s: Session
) -> tuple[str, Rows]:
    body = text(
        context,
        lang,
        "attendance.excuse_asked",
        name=name_of(participant),
        code=participant.cohort.code,
        kind=plain(context, lang, f"attendance.kind_{row.kind}"),
        reason=row.reason or "",
        title=s.title,
        when=when(context, lang, s, participant.cohort.timezone),
    )
    rows = [
        [
            Action(
                plain(context, lang, "attendance.button_accept"),
                buttons.pack(buttons.ATTENDANCE, "ok", str(row.id)),
            ),
            Action(
                plain(context, lang, "attendance.button_refuse"),
                buttons.pack(buttons.ATTENDANCE, "no", str(row.id)),
            ),
        ]
    ]
    return body, rows


async def _decide(turn: Turn, row_id: int, accept: bool) -> None:
    services = turn.services
    async with services.db.begin() as session:
        lang = (await turn.identify(session)).lang
        decided = await rules.decide(
            session, turn.person_id, turn.is_admin, row_id, accept, services.clock()
        )
        if decided is None:
            await turn.answer_button(plain(turn, lang, "attendance.cannot_decide"), alert=True)
            return
        participant = await session.get(Participant, decided.participant.id, options=WITH_COHORT)
        assert participant is not None
        key = "attendance.excuse_accepted" if accept else "attendance.excuse_refused"
        default = services.settings.aksi_default_language
        theirs = language_for(participant, None, default)
        news = text(turn, theirs, f"{key}_news", title=decided.session.title)
        await tell(session, turn, participant.person_id, Outbound(news), "an excuse's decision")
        body = text(turn, lang, key, name=name_of(participant), title=decided.session.title)
    await turn.answer_button(plain(turn, lang, "button.saved"))
    await turn.edit_or_reply(body)


@staff_command("presensi")
async def show_attendance(turn: Turn, staff: StaffReader, cohort: Cohort, args: list[str]) -> None:
    """/presensi: the cohort's sessions held (and under way) with their attendance, each to
    open; the excuses waiting."""
    lang = staff.lang
    now = turn.services.clock()
    answer: Answer = []
    async with turn.services.db() as session:
        sessions = await rules.sessions_of(session, cohort.id)
        started = [s for s in sessions if rules.window(s, cohort)[0] <= now][-SESSIONS_SHOWN:]
        rows_by_session: dict[int, list[Attendance]] = {}
        for row in await rules.rows_of(session, [s.id for s in started]):
            rows_by_session.setdefault(row.session_id, []).append(row)
        members = await cohort_members(session, cohort.id)
        if not started:
            answer.append((text(turn, lang, "attendance.nothing_held", code=cohort.code), None))
        else:
            choices = []
            for s in reversed(started):
                present = sum(r.state == State.PRESENT for r in rows_by_session.get(s.id, []))
                label = plain(
                    turn,
                    lang,
                    "attendance.button_session",
                    title=shorten(s.title, 24),
                    present=present,
                    total=len(members),
                )
                choices.append(_button(label, "ses", str(s.id)))
            answer.append((text(turn, lang, "attendance.sessions", code=cohort.code), choices))
        by_id = {p.id: p for p in members}
        for row in await rules.waiting_excuses(session, cohort.id):
            s = next(x for x in sessions if x.id == row.session_id)
            answer.append(_excuse_for_staff(turn, lang, row, by_id[row.participant_id], s))
    for body, keyboard in answer:
        await turn.reply(body, keyboard)


async def _facilitator_press(
    turn: Turn, action: str, session_id: int, participant_id: int | None
) -> None:
    """A session opened from /presensi, or a participant's attendance changed in it."""
    services = turn.services
    now = services.clock()
    async with services.db.begin() as session:
        lang = (await turn.identify(session)).lang
        s = await session.get(Session, session_id)
        cohort = await session.get(Cohort, s.cohort_id) if s is not None else None
        if action.startswith("mk") and participant_id is not None:
            try:
                allowed = await rules.mark(
                    session, turn.person_id, turn.is_admin, session_id, participant_id,
                    TARGETS[action[2:]], now,
                )  # fmt: skip
            except InvalidInput as exc:
                await turn.answer_button(plain(turn, lang, str(exc)), alert=True)
                return
            if not allowed:
                cohort = None
        elif cohort is not None and not await can_manage(
            session, turn.person_id, cohort.id, turn.is_admin
        ):
            cohort = None
        if s is None or cohort is None:
            await turn.answer_button(plain(turn, lang, "staff.only"), alert=True)
            return
        await session.flush()
        view = await _session_view(session, turn, lang, s, cohort)
    await turn.answer_button(plain(turn, lang, "button.saved") if action != "ses" else None)
    await turn.edit_or_reply(*view)


async def _session_view(
    session: AsyncSession, context: HasServices, lang: str, s: Session, cohort: Cohort
) -> tuple[str, Rows]:
    """One session's attendance: a line and a button per participant (press: nothing →
    present → excused → nothing)."""
    members = await cohort_members(session, cohort.id)
    rows = {r.participant_id: r for r in await rules.rows_of(session, [s.id])}
    lines = []
    keyboard = []
    for p in members[:NAMES_SHOWN]:
        row = rows.get(p.id)
        mark = MARK.get(State(row.state), "—") if row is not None and row.state in MARK else "—"
        state = State(row.state) if row is not None else None
        note = (
            f" ({plain(context, lang, f'attendance.kind_{row.kind}')}: {row.reason})"
            if row and row.reason
            else ""
        )
        lines.append(f"{mark} {name_of(p)}{note}")
        target = NEXT.get(state, "p")  # a waiting excuse: decide it first (the press says so)
        keyboard.append(
            _button(f"{mark} {shorten(name_of(p), 40)}", "mk", f"{s.id}.{p.id}.{target}")
        )
    present = sum(1 for r in rows.values() if r.state == State.PRESENT)
    head = text(
        context,
        lang,
        "attendance.session_view",
        title=s.title,
        when=when(context, lang, s, cohort.timezone),
        present=present,
        total=len(members),
    )
    if len(members) > NAMES_SHOWN:
        head += "\n" + text(context, lang, "attendance.more", count=len(members) - NAMES_SHOWN)
    return head + "\n" + "\n".join(escape(line) for line in lines), keyboard
