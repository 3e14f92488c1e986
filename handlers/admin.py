"""/fasilitator (/facilitator): admins list, add and remove the facilitators of a cohort."""

from __future__ import annotations

from telegram import Update

from bot.context import AksiContext
from core.errors import NotFound
from core.facilitators import CohortStaff, StaffChange, change_facilitator, staff_listing
from core.staff import parse_user_id
from handlers.common import reply, text
from handlers.staff import staff_of

ADD = frozenset({"tambah", "add"})
REMOVE = frozenset({"hapus", "remove"})


async def manage_facilitators(update: Update, context: AksiContext) -> None:
    """/fasilitator: the facilitators per cohort; `tambah KODE ID` / `hapus KODE ID` change
    them (admins only; everyone else, facilitators too, is refused and nothing changes)."""
    args = list(context.args or [])
    async with context.services.db() as session:
        reader = await staff_of(session, update, context)
        listing = await staff_listing(session) if reader.is_admin and not args else None
    lang = reader.lang
    if not reader.is_admin:
        await reply(update, context, text(context, lang, "admin.only"))
        return
    if listing is not None:
        await reply(update, context, render_listing(context, lang, listing))
        return
    action = args[0].lower() if args else ""
    if len(args) != 3 or action not in ADD | REMOVE:
        await reply(update, context, text(context, lang, "admin.usage"))
        return
    try:
        user_id = parse_user_id(args[2])
    except ValueError:
        await reply(update, context, text(context, lang, "admin.bad_user_id", value=args[2][:40]))
        return
    try:
        async with context.services.db.begin() as session:
            change = await change_facilitator(
                session,
                args[1],
                user_id,
                add=action in ADD,
                admin_ids=context.services.settings.aksi_admin_ids,
                by=reader.person.user_id,
            )
    except NotFound:
        await reply(update, context, text(context, lang, "admin.unknown_cohort", code=args[1][:40]))
        return
    if change.changed:
        from bot.app import set_staff_menu  # bot.app composes the handlers: import it late

        await set_staff_menu(context.bot, context.services.i18n, user_id, staff=change.still_staff)
    await reply(update, context, _changed(context, lang, change, action in ADD))


def _changed(context: AksiContext, lang: str, change: StaffChange, added: bool) -> str:
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


def render_listing(context: AksiContext, lang: str, listing: list[CohortStaff]) -> str:
    if not listing:
        return text(context, lang, "admin.no_cohorts")
    blocks = [text(context, lang, "admin.list_title")]
    for item in listing:
        lines = [
            text(context, lang, "admin.list_cohort", code=item.cohort.code, cohort=item.cohort.name)
        ]
        for f in item.facilitators:
            if f.name:
                lines.append(
                    text(context, lang, "admin.member_named", user_id=f.user_id, name=f.name)
                )
            else:
                lines.append(text(context, lang, "admin.member", user_id=f.user_id))
        if not item.facilitators:
            lines.append(text(context, lang, "admin.list_none"))
        blocks.append("\n".join(lines))
    blocks.append(text(context, lang, "admin.usage"))
    return "\n\n".join(blocks)
