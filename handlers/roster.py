"""/peserta (/participants): the roster, who has joined, and matching members to it."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons
from core.channel import Action, Rows, button_rows
from core.confirmations import Taken
from core.contacts import telegram_usernames
from core.errors import InvalidInput
from core.roster import RosterStatus, links_csv, match, roster_pair, roster_status, untie
from core.spreadsheet import COMMA, SEMICOLON, separator_for
from handlers import confirm
from handlers.common import plain, text
from handlers.fallback import unknown_button
from handlers.staff import StaffReader, authorize, staff_command, still_manages
from handlers.turn import HasServices, Turn
from storage.models import Cohort, Participant, RosterEntry

MAX_BUTTONS = 40  # a keyboard of more is unwieldy on a phone; match some, then open it again
# ros:<action>:<cohort id>[-<member id>[-<roster row id>]]
_DATA_RE = re.compile(
    rf"^{buttons.ROSTER}:(show|links|pick|tie|tied|untie):"
    rf"([0-9]{{1,12}}(?:-[0-9]{{1,12}}){{0,2}})$"
)
_ARITY = {"show": 1, "links": 1, "pick": 2, "tie": 3, "tied": 1, "untie": 3}
# Under the links file: how it is separated, and how to open it in a program that expects
# the other separator.
_LINKS_NOTES = {SEMICOLON: "roster.links_semicolon", COMMA: "roster.links_comma"}


@staff_command("peserta")
async def show_roster(turn: Turn, staff: StaffReader, cohort: Cohort, args: list[str]) -> None:
    """/peserta: how many of the roster joined, who has not yet, and who joined by the code
    without a roster row (with buttons to match them); a button sends the personal links."""
    async with turn.services.db() as session:
        status = await roster_status(session, cohort.id)
    body, keyboard = overview(turn, staff.lang, cohort, status)
    await turn.reply(body, keyboard)


def _member_name(member: Participant) -> str:
    return member.full_name or member.first_name or f"#{member.id}"


def _entry_line(context: HasServices, lang: str, entry: RosterEntry) -> str:
    if entry.unit:
        return text(context, lang, "roster.line_unit", name=entry.name, unit=entry.unit)
    return text(context, lang, "roster.line", name=entry.name)


def _member_line(context: HasServices, lang: str, member: Participant, username: str) -> str:
    name = _member_name(member)
    if username:
        return text(context, lang, "roster.member_username", name=name, username=username)
    return text(context, lang, "roster.line", name=name)


def overview(
    context: HasServices, lang: str, cohort: Cohort, status: RosterStatus, notice: str = ""
) -> tuple[str, Rows | None]:
    """The roster message and its buttons (match a member; the links as a file)."""
    if not status.entries:
        body = text(context, lang, "roster.empty", cohort=cohort.name, code=cohort.code)
        return (f"{notice}\n\n{body}" if notice else body), None
    blocks = [notice] if notice else []
    blocks.append(
        text(
            context,
            lang,
            "roster.title",
            cohort=cohort.name,
            joined=status.joined,
            total=status.total,
        )
    )
    if status.not_joined:
        lines = [text(context, lang, "roster.not_joined_title", count=len(status.not_joined))]
        lines += [_entry_line(context, lang, e) for e in status.not_joined]
        blocks.append("\n".join(lines))
    else:
        blocks.append(text(context, lang, "roster.all_joined"))
    rows: list[list[Action]] = []
    if status.untied:
        lines = [text(context, lang, "roster.untied_title", count=len(status.untied))]
        lines += [
            _member_line(context, lang, m, status.usernames.get(m.person_id, ""))
            for m in status.untied
        ]
        blocks.append("\n".join(lines))
        if status.not_joined:
            for member in status.untied[:MAX_BUTTONS]:
                data = buttons.pack(buttons.ROSTER, "pick", f"{cohort.id}-{member.id}")
                label = plain(context, lang, "roster.button_match", name=_member_name(member))
                rows.append([Action(label[:64], data)])
            if len(status.untied) > MAX_BUTTONS:
                blocks.append(text(context, lang, "roster.more_buttons", count=MAX_BUTTONS))
    if status.joined:
        tied = buttons.pack(buttons.ROSTER, "tied", str(cohort.id))
        label = plain(context, lang, "roster.button_tied")
        rows.append([Action(label, tied)])
    links = buttons.pack(buttons.ROSTER, "links", str(cohort.id))
    rows.append([Action(plain(context, lang, "roster.button_links"), links)])
    return "\n\n".join(blocks), button_rows(rows)


def _parse(data: str | None) -> tuple[str, list[int]] | None:
    found = _DATA_RE.match(data or "")
    if found is None:
        return None
    ids = [int(v) for v in found[2].split("-")]
    return (found[1], ids) if len(ids) == _ARITY[found[1]] else None


async def roster_button(turn: Turn) -> None:
    """A press under /peserta: show a member's roster choices, tie them, or send the links.
    The data is untrusted: the reader must manage the cohort, the ids must belong to it."""
    parsed = _parse(turn.data)
    if parsed is None:
        await unknown_button(turn)
        return
    action, ids = parsed
    async with turn.services.db() as session:
        staff = await authorize(session, turn, ids[0])
        cohort = staff.cohort(ids[0]) if staff is not None else None
        status = await roster_status(session, cohort.id) if cohort is not None else None
    if staff is None:
        return  # refused by authorize
    lang = staff.lang
    if cohort is None or status is None:
        await _stale(turn, lang)
        return
    if action == "links":
        await _send_links(turn, lang, cohort, status.entries)
    elif action in ("tie", "untie"):
        await _ask(turn, staff, cohort, action, ids[1], ids[2])
    else:
        if action == "show":
            answer: tuple[str, Rows | None] | None = overview(turn, lang, cohort, status)
        elif action == "tied":
            answer = tied_view(turn, lang, cohort, status)
        else:
            answer = pick_view(turn, lang, cohort, status, ids[1])
        if answer is None:
            await _stale(turn, lang)
            return
        await turn.answer_button()
        await turn.edit_or_reply(*answer)


def pick_view(
    context: HasServices, lang: str, cohort: Cohort, status: RosterStatus, member_id: int
) -> tuple[str, Rows] | None:
    """The unmatched roster rows as buttons for one member; None when the member is not an
    untied member of this cohort (forged or stale)."""
    member = next((m for m in status.untied if m.id == member_id), None)
    if member is None:
        return None
    back = Action(
        plain(context, lang, "roster.button_back"),
        buttons.pack(buttons.ROSTER, "show", str(cohort.id)),
    )
    if not status.not_joined:
        return text(context, lang, "roster.pick_none"), button_rows([[back]])
    rows = []
    for entry in status.not_joined[:MAX_BUTTONS]:
        label = (
            plain(context, lang, "roster.button_entry_unit", name=entry.name, unit=entry.unit)
            if entry.unit
            else entry.name
        )
        data = buttons.pack(buttons.ROSTER, "tie", f"{cohort.id}-{member.id}-{entry.id}")
        rows.append([Action(label[:64], data)])
    rows.append([back])
    body = text(context, lang, "roster.pick", member=_member_name(member))
    if len(status.not_joined) > MAX_BUTTONS:
        body += "\n\n" + text(context, lang, "roster.more_buttons", count=MAX_BUTTONS)
    return body, button_rows(rows)


def tied_view(
    context: HasServices, lang: str, cohort: Cohort, status: RosterStatus
) -> tuple[str, Rows]:
    """The roster rows tied to an account, as buttons to undo one match (a wrong match is
    undone here, then matched again)."""
    back = Action(
        plain(context, lang, "roster.button_back"),
        buttons.pack(buttons.ROSTER, "show", str(cohort.id)),
    )
    tied = [e for e in status.entries if e.participant_id is not None]
    rows = []
    for entry in tied[:MAX_BUTTONS]:
        data = buttons.pack(
            buttons.ROSTER, "untie", f"{cohort.id}-{entry.participant_id}-{entry.id}"
        )
        label = plain(context, lang, "roster.button_untie", name=entry.name)
        rows.append([Action(label[:64], data)])
    rows.append([back])
    body = text(context, lang, "roster.tied_pick")
    if len(tied) > MAX_BUTTONS:
        body += "\n\n" + text(context, lang, "roster.more_buttons", count=MAX_BUTTONS)
    return body, button_rows(rows)


def _who(context: HasServices, lang: str, name: str, username: str) -> str:
    """A member as the facilitator knows them: `name`, and the Telegram username if any."""
    if username:
        return plain(context, lang, "roster.who_username", name=name, username=username)
    return name


async def _ask(
    turn: Turn,
    staff: StaffReader,
    cohort: Cohort,
    action: str,
    member_id: int,
    entry_id: int,
) -> None:
    """Tying a member to a roster row, or undoing it: say what will happen, and ask."""
    lang = staff.lang
    async with turn.services.db.begin() as session:
        try:
            entry, member = await roster_pair(
                session, cohort.id, entry_id, member_id, tied=action == "untie"
            )
            valid = True
        except InvalidInput:
            valid = False
        if valid:
            payload = {"cohort_id": cohort.id, "member_id": member.id, "entry_id": entry.id}
            found = await telegram_usernames(session, [member.person_id])
            username = found.get(member.person_id, "")
            if action == "tie":
                body = text(
                    turn,
                    lang,
                    "roster.confirm_match",
                    member=_who(turn, lang, _member_name(member), username),
                    name=entry.name,
                    unit=entry.unit or text(turn, lang, "profile.empty"),
                )
                name, yes = "match_roster", "roster.button_confirm_match"
            else:
                body = text(
                    turn,
                    lang,
                    "roster.confirm_untie",
                    # their account, not the roster's name it carries while matched
                    member=_who(turn, lang, member.first_name or f"#{member.id}", username),
                    name=entry.name,
                    own=member.own_full_name or plain(turn, lang, "roster.no_own_name"),
                )
                name, yes = "untie_roster", "roster.button_confirm_untie"
            buttons = confirm.yes_no(turn, lang, yes, "roster.button_back")
            keyboard = await confirm.ask(
                session, turn, staff.person.person_id, lang, name, payload, buttons
            )
    if not valid:
        await _stale(turn, lang)
        return
    await turn.answer_button()
    await turn.edit_or_reply(body + "\n\n" + confirm.valid_for(turn, lang), keyboard)


async def _overview_now(
    session: AsyncSession, context: HasServices, lang: str, cohort: Cohort, notice: str = ""
) -> tuple[str, Rows | None]:
    return overview(context, lang, cohort, await roster_status(session, cohort.id), notice)


@confirm.action("match_roster", again="roster.again")
async def match_confirmed(
    session: AsyncSession, turn: Turn, taken: Taken, choice: str
) -> confirm.Done:
    """Yes: the member is tied to the roster row (and gets its name and unit), with a button to
    undo it at once; back: the roster as it was."""
    return await _roster_change(session, turn, taken, choice, undo=False)


@confirm.action("untie_roster", again="roster.again")
async def untie_confirmed(
    session: AsyncSession, turn: Turn, taken: Taken, choice: str
) -> confirm.Done:
    """Yes: the match is undone, the member has their own name and unit back."""
    return await _roster_change(session, turn, taken, choice, undo=True)


async def _roster_change(
    session: AsyncSession,
    turn: Turn,
    taken: Taken,
    choice: str,
    *,
    undo: bool,
) -> confirm.Done:
    lang, data = taken.language, taken.data
    cohort = await session.get(Cohort, int(data["cohort_id"]))
    if cohort is None or not await still_manages(session, turn, cohort.id):
        return confirm.Done([(text(turn, lang, "staff.only"), None)])
    if choice != "yes":
        return confirm.Done([await _overview_now(session, turn, lang, cohort)])
    member_id, entry_id = int(data["member_id"]), int(data["entry_id"])
    member = await session.get(Participant, member_id)
    known_as = _member_name(member) if member is not None else ""  # before the change
    try:
        if undo:
            entry = await untie(session, cohort.id, entry_id, member_id)
        else:
            entry = await match(session, cohort.id, entry_id, member_id)
    except InvalidInput:
        notice = text(turn, lang, "roster.changed_meanwhile")
        return confirm.Done([await _overview_now(session, turn, lang, cohort, notice)])
    if undo:
        assert member is not None
        notice = text(
            turn,
            lang,
            "roster.untied",
            member=_member_name(member),
            name=entry.name,
        )
        return confirm.Done([await _overview_now(session, turn, lang, cohort, notice)])
    notice = text(turn, lang, "roster.matched", member=known_as, name=entry.name)
    body, keyboard = await _overview_now(session, turn, lang, cohort, notice)
    undo_button = await confirm.ask(
        session,
        turn,
        turn.person_id,
        lang,
        "untie_roster",
        dict(data),
        [("yes", plain(turn, lang, "roster.button_undo"))],
    )
    rows = [*undo_button, *(keyboard if keyboard else [])]
    return confirm.Done([(body, button_rows(rows))])


async def _send_links(turn: Turn, lang: str, cohort: Cohort, entries: list[RosterEntry]) -> None:
    if not entries:
        await _stale(turn, lang)
        return
    await turn.answer_button()
    separator = separator_for(lang)
    data = links_csv(entries, turn.channel.join_link, separator=separator)
    caption = text(turn, lang, "roster.links_caption", cohort=cohort.name)
    caption += "\n" + text(turn, lang, _LINKS_NOTES[separator])
    filename = plain(turn, lang, "file.links", code=cohort.code)
    await turn.send_file(data, filename, caption)


async def _stale(turn: Turn, lang: str) -> None:
    await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
