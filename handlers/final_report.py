"""/laporanakhir (/finalreport): the final report per participant as a PDF (`core.final_report`,
`core.final_report_pdf`). A participant gets their own at once; a mentor picks one of their
mentees, a facilitator one of their cohort's participants or the whole cohort's bundle (one PDF
each, zipped; on a channel that carries no archives, one after another). Who may have whose
report is `core.evidence.may_see`'s rule, checked again on every press: a forged or stale
button gets nothing."""

from __future__ import annotations

import logging

from core import buttons
from core.channel import Action
from core.evidence import may_see
from core.final_report import dossier
from core.final_report_pdf import bundle_bytes, pdf_in
from core.participants import cohort_members
from core.staff import can_manage, managed_cohorts
from handlers.common import plain, shorten, text
from handlers.mentoring import WITH_COHORT, name_of, overseen
from handlers.turn import Turn
from storage.models import Cohort, Participant

log = logging.getLogger(__name__)
PEOPLE_SHOWN = 30  # participants offered as buttons (more: their number after the command)
_BUNDLING: set[int] = set()  # cohorts whose bundle this process is making now


def _button(turn: Turn, lang: str, label: str, action: str, arg: int) -> list[Action]:
    return [Action(label, buttons.pack(buttons.FINAL_REPORT, action, str(arg)))]


async def show_final_report(turn: Turn) -> None:
    """/laporanakhir: one's own report, or the choice of whose (and the cohorts' bundles);
    `/laporanakhir 17` the report of participant 17, for whoever may have it."""
    args = list(turn.args or [])
    async with turn.services.db() as session:
        reader = await turn.identify(session)
        lang, participant = reader.lang, reader.participant
        if args:
            number = buttons.parse_id(args[0]) if len(args) == 1 else None
            if number is None:
                await turn.reply(text(turn, lang, "final.bad_argument"))
                return
        else:
            number = None
        others = await overseen(session, turn, participant)
        cohorts = await managed_cohorts(session, turn.person_id, turn.is_admin)
    if number is not None:
        await _send_one(turn, lang, number)
        return
    if participant is None and not others and not cohorts:
        await turn.ask_for_code(lang)
        return
    if participant is not None and not others and not cohorts:
        await _send_one(turn, lang, participant.id)
        return
    rows: list[list[Action]] = []
    if participant is not None:
        rows.append(_button(turn, lang, plain(turn, lang, "final.button_own"), "p", participant.id))
    for p in others[:PEOPLE_SHOWN]:
        rows.append(_button(turn, lang, shorten(name_of(p), 40), "p", p.id))
    for cohort in cohorts:
        label = plain(turn, lang, "final.button_bundle", code=cohort.code)
        rows.append(_button(turn, lang, label, "all", cohort.id))
    more = len(others) - PEOPLE_SHOWN
    body = text(turn, lang, "final.choose")
    if more > 0:
        body += "\n" + text(turn, lang, "final.more", count=more)
    await turn.reply(body, rows)


def _parse(data: str | None) -> tuple[str, int] | None:
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != buttons.FINAL_REPORT or len(data or "") > buttons.MAX_BYTES:
        return None
    number = buttons.parse_id(parts[2])
    if parts[1] not in ("p", "all") or number is None:
        return None
    return parts[1], number


async def final_report_button(turn: Turn) -> None:
    parsed = _parse(turn.data)
    async with turn.services.db() as session:
        lang = (await turn.identify(session)).lang
    if parsed is None:
        await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
        return
    action, number = parsed
    if action == "p":
        sent = await _send_one(turn, lang, number, pressed=True)
    else:
        sent = await _send_bundle(turn, lang, number)
    if not sent:
        await turn.answer_button(plain(turn, lang, "final.not_yours"), alert=True)


async def _send_one(turn: Turn, lang: str, participant_id: int, *, pressed: bool = False) -> bool:
    """Make and send participant `participant_id`'s report, if the reader may have it (False:
    not theirs, or no such participant: nothing is said about which)."""
    services = turn.services
    async with services.db() as session:
        participant = await session.get(Participant, participant_id, options=WITH_COHORT)
        allowed = participant is not None and await may_see(
            session, turn.person_id, participant, turn.is_admin
        )
        if participant is None or not allowed:
            if not pressed:
                await turn.reply(text(turn, lang, "final.not_yours_text"))
            return False
        found = await dossier(session, participant, services.clock())
    if pressed:
        await turn.answer_button(plain(turn, lang, "final.making"))
    blob = await services.renderer.run(pdf_in, found, lang)
    caption = text(turn, lang, "final.caption", name=found.name, code=found.cohort_code)
    await turn.send_file(blob, found.file_name, caption)
    return True


async def _send_bundle(turn: Turn, lang: str, cohort_id: int) -> bool:
    """The cohort's bundle, for its facilitators (and admins) only."""
    services = turn.services
    async with services.db() as session:
        cohort = await session.get(Cohort, cohort_id)
        if cohort is None or not await can_manage(
            session, turn.person_id, cohort_id, turn.is_admin
        ):
            return False
        now = services.clock()
        found = [await dossier(session, p, now) for p in await cohort_members(session, cohort.id)]
        code = cohort.code
    if not found:
        await turn.answer_button(plain(turn, lang, "final.nobody"), alert=True)
        return True
    if cohort_id in _BUNDLING:  # a second press while it is being made: one is enough
        await turn.answer_button(plain(turn, lang, "final.making"))
        return True
    _BUNDLING.add(cohort_id)
    try:
        await turn.answer_button(plain(turn, lang, "final.making"))
        # One PDF a call: the renderer's worker is free for others' pictures in between.
        files = [(d.file_name, await services.renderer.run(pdf_in, d, lang)) for d in found]
    finally:
        _BUNDLING.discard(cohort_id)
    caption = text(turn, lang, "final.bundle_caption", code=code, count=len(found))
    archive = f"laporan-{code}.zip"
    if turn.channel.capabilities.takes_document(archive):
        await turn.send_file(bundle_bytes(files), archive, caption)
    else:  # a channel without archives (WhatsApp): the PDFs one after another
        await turn.reply(caption)
        for name, blob in files:
            await turn.send_file(blob, name, "")
    return True
