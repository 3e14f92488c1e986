"""/fasilitator (/facilitator): admins list, add and remove the facilitators of a cohort."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.channel import TELEGRAM, Address
from core.cohorts import find_cohort
from core.confirmations import Taken
from core.contacts import TELEGRAM_IDS
from core.errors import NotFound
from core.facilitators import CohortStaff, StaffChange, change_facilitator, staff_listing
from core.numbers import number
from core.staff import MAX_USER_ID, BadUserId, parse_user_id
from handlers import confirm
from handlers.common import text
from handlers.staff import StaffReader, staff_of
from handlers.turn import HasServices, Turn

ADD = frozenset({"tambah", "add"})
REMOVE = frozenset({"hapus", "remove"})


async def manage_facilitators(turn: Turn) -> None:
    """/fasilitator: the facilitators per cohort; `tambah KODE ID` / `hapus KODE ID` change
    them (admins only; everyone else, facilitators too, is refused and nothing changes)."""
    args = list(turn.args or [])
    async with turn.services.db() as session:
        reader = await staff_of(session, turn)
        listing = await staff_listing(session) if reader.is_admin and not args else None
    lang = reader.lang
    if not reader.is_admin:
        await turn.reply(text(turn, lang, "admin.only"))
        return
    if listing is not None:
        await turn.reply(render_listing(turn, lang, listing))
        return
    action = args[0].lower() if args else ""
    if len(args) != 3 or action not in ADD | REMOVE:
        await turn.reply(text(turn, lang, "admin.usage"))
        return
    try:
        user_id = parse_user_id(args[2])
    except BadUserId as exc:
        if exc.too_large:  # digits only, more than any Telegram id
            maximum = number(MAX_USER_ID, lang)
            answer = text(
                turn, lang, "admin.user_id_too_large", value=args[2][:40], maximum=maximum
            )
        else:
            answer = text(turn, lang, "admin.bad_user_id", value=args[2][:40])
        await turn.reply(answer)
        return
    if action in REMOVE:
        await _ask_removal(turn, reader, args[1], user_id)
        return
    try:
        async with turn.services.db.begin() as session:
            change = await change_facilitator(
                session,
                args[1],
                user_id,
                add=True,
                admin_ids=turn.services.settings.aksi_admin_ids,
                now=turn.services.clock(),
                by=reader.person.person_id,
                channel=_ids_channel(turn),
            )
    except NotFound:
        await turn.reply(text(turn, lang, "admin.unknown_cohort", code=args[1][:40]))
        return
    if change.changed:
        await _update_menu(turn, change)
    await turn.reply(_changed(turn, lang, change, True))


def _ids_channel(turn: Turn) -> str:
    """Whose ids an admin types: Telegram's (or the in-memory channel's, which mirrors them)."""
    channel = turn.sender.address.channel
    return channel if channel in TELEGRAM_IDS else TELEGRAM


async def _update_menu(context: HasServices, change: StaffChange) -> None:
    staff_menu = context.services.staff_menu
    if staff_menu is not None:
        where = Address(change.channel, str(change.user_id))
        await staff_menu(where, change.still_staff)


async def _ask_removal(turn: Turn, reader: StaffReader, code: str, user_id: int) -> None:
    """Taking a facilitator off a cohort: say who and what they lose, and ask."""
    lang = reader.lang
    keyboard = None
    async with turn.services.db.begin() as session:
        cohort = await find_cohort(session, code)
        listing = await staff_listing(session, cohort.code) if cohort is not None else []
        facilitators = listing[0].facilitators if listing else []
        found = next((f for f in facilitators if f.user_id == user_id), None)
        if cohort is None:
            body = text(turn, lang, "admin.unknown_cohort", code=code[:40])
        elif found is None:
            body = text(
                turn,
                lang,
                "admin.not_facilitator",
                user_id=user_id,
                code=cohort.code,
                cohort=cohort.name,
            )
        else:
            who = f"{user_id} — {found.name}" if found.name else str(user_id)
            body = text(
                turn, lang, "admin.confirm_remove", who=who, code=cohort.code, cohort=cohort.name
            )
            body += "\n\n" + confirm.valid_for(turn, lang)
            keyboard = await confirm.ask(
                session,
                turn,
                reader.person.person_id,
                lang,
                "remove_facilitator",
                {"code": cohort.code, "user_id": user_id},
                confirm.yes_no(turn, lang, "admin.button_remove"),
            )
    await turn.reply(body, keyboard)


@confirm.action("remove_facilitator", again="admin.again")
async def removal_confirmed(
    session: AsyncSession, turn: Turn, taken: Taken, choice: str
) -> confirm.Done:
    """Yes: the facilitator is taken off the cohort (and loses the menu if it was their last)."""
    lang, data = taken.language, taken.data
    reader = await staff_of(session, turn)
    if not reader.is_admin:
        return confirm.Done([(text(turn, lang, "admin.only"), None)])
    if choice != "yes":
        return confirm.Done([(text(turn, lang, "admin.kept"), None)])
    try:
        change = await change_facilitator(
            session,
            str(data["code"]),
            int(data["user_id"]),
            add=False,
            admin_ids=turn.services.settings.aksi_admin_ids,
            now=turn.services.clock(),
            by=reader.person.person_id,
            channel=_ids_channel(turn),
        )
    except NotFound:
        return confirm.Done([(text(turn, lang, "admin.unknown_cohort", code=data["code"]), None)])

    async def after() -> None:
        if change.changed:
            await _update_menu(turn, change)

    return confirm.Done([(_changed(turn, lang, change, False), None)], after)


def _changed(context: HasServices, lang: str, change: StaffChange, added: bool) -> str:
    if added:
        key = "admin.added" if change.changed else "admin.already"
    else:
        key = "admin.removed" if change.changed else "admin.not_facilitator"
    return text(
        context,
        lang,
        key,
        user_id=change.user_id,
        code=change.cohort.code,
        cohort=change.cohort.name,
    )


def render_listing(context: HasServices, lang: str, listing: list[CohortStaff]) -> str:
    if not listing:
        return text(context, lang, "admin.no_cohorts")
    blocks = [text(context, lang, "admin.list_title")]
    for item in listing:
        lines = [
            text(context, lang, "admin.list_cohort", code=item.cohort.code, cohort=item.cohort.name)
        ]
        for f in item.facilitators:
            shown = f.user_id if f.user_id is not None else "—"  # no Telegram account
            if f.name:
                lines.append(text(context, lang, "admin.member_named", user_id=shown, name=f.name))
            else:
                lines.append(text(context, lang, "admin.member", user_id=shown))
        if not item.facilitators:
            lines.append(text(context, lang, "admin.list_none"))
        blocks.append("\n".join(lines))
    blocks.append(text(context, lang, "admin.usage"))
    return "\n\n".join(blocks)
