"""Evidence in the chat: a participant sends a photo or a document and it is kept as evidence
(for the milestone just marked done, else for the day), with buttons to put it on a milestone
or back on the day, or to remove it; /bukti (/evidence) lists one's own, and — for a mentor,
their mentees; for a facilitator, their cohorts' participants — whose evidence can be opened.
A file that is not evidence (a facilitator's schedule CSV) goes to its own feature. The rules
are `core.evidence`'."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons
from core import evidence as rules
from core.announcements import open_draft
from core.channel import Action, DownloadFailed, FileIn, Rows
from core.confirmations import Taken
from core.errors import InvalidInput
from core.i18n import Html
from core.milestones import milestones_of
from core.numbers import number
from core.timefmt import weekday_date
from core.uploads import looks_like_csv
from handlers import confirm, fallback, uploads
from handlers.checkin_view import today_of
from handlers.common import Answer, plain, shorten, text
from handlers.mentoring import WITH_COHORT, name_of, overseen
from handlers.staff import is_staff, staff_of
from handlers.turn import HasServices, Turn
from storage.mentoring import Evidence, Milestone
from storage.models import Participant

log = logging.getLogger(__name__)

SHOWN = 10  # the latest pieces of evidence a list offers to open
PEOPLE_SHOWN = 30  # participants a facilitator's list offers
MOVE_TO = 4  # milestones offered to move a new piece of evidence to
BUTTON_TITLE = 28  # a milestone's title on a button, shortened to this
CAPTION_SHOWN = 600  # of the stored caption, under the file sent again (Telegram: 1,024 in all)
_WITH_ID = ("open", "day", "rm", "who")


def _kb(size: int, lang: str) -> str:
    return number(max(1, round(size / 1024)), lang) + " KB"


def _icon(evidence: Evidence) -> str:
    return "📷" if evidence.kind == "photo" else "📄"


def _for(
    context: HasServices, lang: str, evidence: Evidence, milestones: dict[int, Milestone]
) -> Html:
    """What the evidence is for: a milestone's title, or a day."""
    milestone = milestones.get(evidence.milestone_id or 0)
    if milestone is not None:
        return Html(text(context, lang, "evidence.for_milestone", title=milestone.title))
    day = weekday_date(evidence.day, lang) if evidence.day else "—"
    return Html(text(context, lang, "evidence.for_day", day=day))


def _line(
    context: HasServices,
    lang: str,
    number: int,
    evidence: Evidence,
    milestones: dict[int, Milestone],
) -> str:
    caption = f" — «{evidence.caption}»" if evidence.caption else ""
    return text(
        context,
        lang,
        "evidence.line",
        n=number,
        icon=_icon(evidence),
        name=evidence.name,
        size=_kb(evidence.size, lang),
        what=_for(context, lang, evidence, milestones),
        caption=caption,
    )


async def _listing(
    session: AsyncSession,
    context: HasServices,
    lang: str,
    participant: Participant,
    *,
    own: bool,
) -> tuple[str, Rows]:
    """A participant's evidence, numbered, with buttons to open (and, their own, to remove)
    the latest SHOWN."""
    found = await rules.evidence_of(session, participant.id)
    milestones = {m.id: m for m in await milestones_of(session, participant.id)}
    if not found:
        key = "evidence.none_own" if own else "evidence.none_of"
        return text(context, lang, key, name=name_of(participant)), []
    heading = "evidence.heading_own" if own else "evidence.heading_of"
    lines = [text(context, lang, heading, name=name_of(participant), count=len(found))]
    lines += [_line(context, lang, i, e, milestones) for i, e in enumerate(found, 1)]
    rows: list[list[Action]] = []
    numbered = list(enumerate(found, 1))[-SHOWN:]
    for shown, e in numbered:
        row = [_button(context, lang, "evidence.button_open", "open", e.id, n=shown)]
        if own:
            row.append(_button(context, lang, "evidence.button_remove", "rm", e.id, n=shown))
        rows.append(row)
    if own:
        lines.append(text(context, lang, "evidence.hint"))
    return "\n".join(lines), rows


def _button(
    context: HasServices, lang: str, key: str, action: str, arg: int | str, **values: object
) -> Action:
    return Action(
        plain(context, lang, key, **values), buttons.pack(buttons.EVIDENCE, action, str(arg))
    )


async def receive_file(turn: Turn) -> None:
    """A photo or a document: a facilitator's CSV (or any document from staff who are not
    participants) goes to the import, as before evidence existed; a facilitator writing an
    announcement is told it takes text; a participant's file is evidence; anyone else gets the
    answer to any other message."""
    file = turn.file
    async with turn.services.db() as session:
        reader = await turn.identify(session)
        staff = is_staff(await staff_of(session, turn))
        draft = await open_draft(session, reader.person.person_id)
    composing = draft is not None and draft.state == "compose"
    if file is None or (file.kind == "photo" and (composing or reader.participant is None)):
        await fallback.other_message(turn)  # an announcement takes text; a stranger joins
        return
    is_csv = file.kind == "document" and looks_like_csv(file.name, file.mime_type)
    if file.kind == "document" and staff and (is_csv or reader.participant is None):
        await uploads.receive_document(turn)
        return
    if reader.participant is None or composing:
        await fallback.other_message(turn)
        return
    await _keep(turn, file)


async def _keep(turn: Turn, file: FileIn) -> None:
    services = turn.services
    async with services.db() as session:
        lang = (await turn.identify(session)).lang
    name = file.name[:80] or file.mime_type
    if not rules.accepted(file.name, file.mime_type):
        await turn.reply(text(turn, lang, "evidence.wrong_type", name=name))
        return
    if rules.too_big(file.size):
        await turn.reply(_too_big(turn, lang, file.size or 0))
        return
    try:
        data = await turn.channel.download(file)
    except DownloadFailed as exc:
        log.warning("evidence not downloaded: %s", exc)
        await turn.reply(text(turn, lang, "evidence.download_failed"))
        return
    received = rules.Received(
        turn.sender.address.channel,
        file.file_id,
        file.kind,
        file.name,
        file.mime_type,
        file.caption,
    )
    async with services.db.begin() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:  # erased meanwhile
            answer: Answer = [(text(turn, lang, "join.ask_code"), None)]
        else:
            try:
                saved = await rules.save(
                    session,
                    participant,
                    received,
                    data,
                    now=services.clock(),
                    today=today_of(turn, participant),
                )
                answer = [await _saved(session, turn, lang, participant, saved)]
            except InvalidInput as exc:
                key = str(exc)
                body = (
                    _too_big(turn, lang, len(data))
                    if key == "evidence.too_big"
                    else text(turn, lang, key, max=rules.MAX_PER_PARTICIPANT)
                )
                answer = [(body, None)]
    for body, rows in answer:
        await turn.reply(body, rows)


def _too_big(context: HasServices, lang: str, size: int) -> str:
    megabytes = f"{size / 1024 / 1024:.1f}".replace(".", "," if lang == "id" else ".")
    limit = rules.MAX_BYTES // 1024 // 1024
    return text(context, lang, "evidence.too_big", size=megabytes, limit=limit)


async def _saved(
    session: AsyncSession,
    context: HasServices,
    lang: str,
    participant: Participant,
    saved: rules.Saved,
    key: str | None = None,
) -> tuple[str, Rows]:
    """What was kept, and for what (or `key`: where it was moved), with buttons to put it
    elsewhere or remove it."""
    evidence = saved.evidence
    milestones = {m.id: m for m in await milestones_of(session, participant.id)}
    what = _for(context, lang, evidence, milestones)
    key = key or ("evidence.duplicate" if saved.duplicate else "evidence.saved")
    body = text(context, lang, key, name=evidence.name, what=what)
    rows: list[list[Action]] = []
    others = [m for m in milestones.values() if m.id != evidence.milestone_id][:MOVE_TO]
    for m in others:
        label = plain(
            context, lang, "evidence.button_to_milestone", title=shorten(m.title, BUTTON_TITLE)
        )
        rows.append([Action(label, buttons.pack(buttons.EVIDENCE, "ms", f"{evidence.id}.{m.id}"))])
    if evidence.milestone_id is not None:
        rows.append([_button(context, lang, "evidence.button_to_day", "day", evidence.id)])
    rows.append([_button(context, lang, "evidence.button_remove_this", "rm", evidence.id)])
    return body, rows


async def show_evidence(turn: Turn) -> None:
    """/bukti: one's own evidence; a mentor's mentees and a facilitator's participants, to
    open theirs."""
    async with turn.services.db() as session:
        reader = await turn.identify(session)
        lang, participant = reader.lang, reader.participant
        answer: Answer = []
        if participant is not None:
            answer.append(await _listing(session, turn, lang, participant, own=True))
        people = await overseen(session, turn, participant)
        if people:
            tally = await rules.counts(session, [p.id for p in people])
            rows = [
                [
                    _button(
                        turn,
                        lang,
                        "evidence.button_person",
                        "who",
                        p.id,
                        name=shorten(name_of(p), 40),
                        count=tally.get(p.id, 0),
                    )
                ]
                for p in people[:PEOPLE_SHOWN]
            ]
            answer.append((text(turn, lang, "evidence.others", count=len(people)), rows))
    if not answer:
        await turn.ask_for_code(lang)
        return
    for body, keyboard in answer:
        await turn.reply(body, keyboard or None)


def _parse(data: str | None) -> tuple[str, int, int | None] | None:
    """(action, id, milestone id for "ms"); None for anything we could not have sent."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != buttons.EVIDENCE or len(data or "") > buttons.MAX_BYTES:
        return None
    action, arg = parts[1], parts[2]
    if action in _WITH_ID:
        number = buttons.parse_id(arg)
        return (action, number, None) if number is not None else None
    if action == "ms":
        first, _, second = arg.partition(".")
        evidence_id, milestone_id = buttons.parse_id(first), buttons.parse_id(second)
        if evidence_id is not None and milestone_id is not None:
            return action, evidence_id, milestone_id
    return None


async def evidence_button(turn: Turn) -> None:
    """A press under a piece of evidence or a list of it."""
    parsed = _parse(turn.data)
    async with turn.services.db() as session:
        lang = (await turn.identify(session)).lang
    if parsed is None:
        await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
        return
    action, number, milestone_id = parsed
    if action == "open":
        await _open(turn, lang, number)
    elif action == "who":
        await _who(turn, lang, number)
    else:
        await _change(turn, lang, action, number, milestone_id)


async def _who(turn: Turn, lang: str, participant_id: int) -> None:
    async with turn.services.db() as session:
        participant = await session.get(Participant, participant_id, options=WITH_COHORT)
        allowed = participant is not None and await rules.may_see(
            session, turn.person_id, participant, turn.is_admin
        )
        if participant is None or not allowed:
            listing = None
        else:
            own = participant.person_id == turn.person_id
            listing = await _listing(session, turn, lang, participant, own=own)
    if listing is None:
        await turn.answer_button(plain(turn, lang, "evidence.not_yours"), alert=True)
        return
    await turn.answer_button()
    await turn.reply(*listing)


async def _open(turn: Turn, lang: str, evidence_id: int) -> None:
    """Send the file again (fetched from the channel it came on), to whoever may see it."""
    async with turn.services.db() as session:
        evidence = await session.get(Evidence, evidence_id)
        participant = (
            await session.get(Participant, evidence.participant_id, options=WITH_COHORT)
            if evidence
            else None
        )
        allowed = participant is not None and await rules.may_see(
            session, turn.person_id, participant, turn.is_admin
        )
        milestones = (
            {m.id: m for m in await milestones_of(session, participant.id)} if participant else {}
        )
    if evidence is None or participant is None or not allowed:
        await turn.answer_button(plain(turn, lang, "evidence.not_yours"), alert=True)
        return
    if evidence.channel != turn.sender.address.channel:
        await turn.answer_button(plain(turn, lang, "evidence.other_channel"), alert=True)
        return
    ref = FileIn(turn.sender, evidence.file_ref, evidence.name, evidence.size, evidence.mime_type)
    try:
        data = await turn.channel.download(ref)
    except DownloadFailed as exc:
        log.warning("evidence %s not fetched again: %s", evidence.id, exc)
        await turn.answer_button(plain(turn, lang, "evidence.download_failed"), alert=True)
        return
    caption = text(
        turn,
        lang,
        "evidence.caption",
        name=name_of(participant),
        what=_for(turn, lang, evidence, milestones),
        caption=f"\n«{shorten(evidence.caption, CAPTION_SHOWN)}»" if evidence.caption else "",
    )
    await turn.answer_button()
    if evidence.kind == "photo":
        await turn.send_photo(data, evidence.name, caption)
    else:
        await turn.send_file(data, evidence.name, caption)


async def _change(
    turn: Turn, lang: str, action: str, evidence_id: int, milestone_id: int | None
) -> None:
    """The participant's own evidence: moved to a milestone or the day, or its removal asked."""
    services = turn.services
    async with services.db.begin() as session:
        participant = (await turn.identify(session)).participant
        found = (
            await rules.own(session, participant.id, evidence_id)
            if participant is not None
            else None
        )
        if participant is None or found is None:
            answer: tuple[str, Rows | None] | None = None
        elif action == "rm":
            answer = await _ask_removal(session, turn, lang, participant, found)
        else:
            moved = await rules.move(
                session, participant.id, evidence_id, milestone_id, today_of(turn, participant)
            )
            if moved is None:
                answer = None
            else:
                saved = rules.Saved(moved, None)
                answer = await _saved(session, turn, lang, participant, saved, "evidence.moved")
    if answer is None:
        await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
        return
    await turn.answer_button()
    if action == "rm":
        await turn.reply(*answer)
    else:
        await turn.edit_or_reply(*answer)


async def _ask_removal(
    session: AsyncSession,
    context: HasServices,
    lang: str,
    participant: Participant,
    evidence: Evidence,
) -> tuple[str, Rows]:
    keyboard = await confirm.ask(
        session,
        context,
        participant.person_id,
        lang,
        "remove_evidence",
        {"id": evidence.id},
        confirm.yes_no(context, lang, "evidence.confirm_button"),
    )
    body = text(context, lang, "evidence.remove_confirm", name=evidence.name)
    return body + "\n\n" + confirm.valid_for(context, lang), keyboard


@confirm.action("remove_evidence", again="evidence.again")
async def remove_confirmed(
    session: AsyncSession, turn: Turn, taken: Taken, choice: str
) -> confirm.Done:
    lang = taken.language
    if choice != "yes":
        return confirm.Done([(text(turn, lang, "evidence.kept"), None)])
    participant = (await turn.identify(session)).participant
    evidence_id = taken.data.get("id")
    removed = (
        await rules.remove(session, participant.id, evidence_id)
        if participant is not None and isinstance(evidence_id, int)
        else None
    )
    if removed is None:
        return confirm.Done([(text(turn, lang, "button.stale"), None)])
    return confirm.Done([(text(turn, lang, "evidence.removed", name=removed.name), None)])
