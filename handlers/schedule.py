"""/jadwal (/schedule) and /materi (/materials): the cohort's sessions and learning links."""

from __future__ import annotations

from telegram import Update

from bot.context import AksiContext
from bot.i18n import Html, escape, link
from core.schedule import (
    ScheduleView,
    SessionState,
    SessionView,
    materials_by_module,
    schedule_view,
)
from core.timefmt import clock, local, long_date, zone_abbreviation
from handlers.common import ask_for_code, identify, reply, text

ALL_WORDS = frozenset({"semua", "all"})
_STATE_KEYS = {
    SessionState.DONE: "schedule.state_done",
    SessionState.LIVE: "schedule.state_live",
    SessionState.TODAY: "schedule.state_today",
}


def render_session(context: AksiContext, lang: str, tz: str, item: SessionView) -> str:
    """One session as participants see it: the day, the time in `tz`, title, speaker, link."""
    s = item.session
    zone = zone_abbreviation(tz)
    lines = [f"<b>{escape(long_date(item.day, lang))}</b>"]
    state_key = _STATE_KEYS.get(item.state)
    when = f"{clock(local(s.starts_at, tz), lang)}–{clock(local(s.ends_at, tz), lang)} {zone}"
    if state_key:
        when += " · " + text(context, lang, state_key)
    lines.append(when)
    lines.append(f"{escape(s.title)}")
    if s.speaker:
        lines.append(text(context, lang, "schedule.speaker", speaker=s.speaker))
    if s.link:
        lines.append(text(context, lang, "schedule.link", link=link(s.link, s.link)))
    return "\n".join(lines)


def render_schedule(
    context: AksiContext, lang: str, tz: str, cohort_name: str, view: ScheduleView, everything: bool
) -> str:
    if view.total == 0:
        return text(context, lang, "schedule.empty", cohort=cohort_name)
    if not view.sessions:
        return text(context, lang, "schedule.none_left", cohort=cohort_name)
    zone = zone_abbreviation(tz)
    blocks = [
        text(
            context,
            lang,
            "schedule.header_all" if everything else "schedule.header_next",
            cohort=cohort_name,
            count=len(view.sessions),
            zone=zone,
        )
    ]
    blocks += [render_session(context, lang, tz, item) for item in view.sessions]
    if not everything and view.total > len(view.sessions):
        blocks.append(text(context, lang, "schedule.footer_all", count=view.total))
    return "\n\n".join(blocks)


async def show_schedule(update: Update, context: AksiContext) -> None:
    """/jadwal: the next five sessions in the reader's own zone; `/jadwal semua` for all."""
    services = context.services
    args = [a.lower() for a in (context.args or [])]
    async with services.db() as session:
        reader = await identify(session, update, context)
        if reader.participant is None:
            await ask_for_code(update, context, reader.lang)
            return
        if args and (len(args) > 1 or args[0] not in ALL_WORDS):
            await reply(update, context, text(context, reader.lang, "schedule.bad_argument"))
            return
        everything = bool(args)
        view = await schedule_view(
            session,
            reader.participant.cohort_id,
            services.clock(),
            reader.tz,
            everything=everything,
        )
    body = render_schedule(
        context, reader.lang, reader.tz, reader.participant.cohort.name, view, everything
    )
    await reply(update, context, body)


async def show_materials(update: Update, context: AksiContext) -> None:
    """/materi: the learning materials, grouped by module, each a title with its link."""
    async with context.services.db() as session:
        reader = await identify(session, update, context)
        if reader.participant is None:
            await ask_for_code(update, context, reader.lang)
            return
        groups = await materials_by_module(session, reader.participant.cohort_id)
    lang, cohort = reader.lang, reader.participant.cohort.name
    if not groups:
        await reply(update, context, text(context, lang, "materials.empty", cohort=cohort))
        return
    blocks = [text(context, lang, "materials.header", cohort=cohort)]
    for module, items in groups:
        lines = [f"<b>{escape(module)}</b>"]
        lines += [f"• {link(m.url, m.title)}" for m in items]
        blocks.append("\n".join(lines))
    await reply(update, context, Html("\n\n".join(blocks)))
