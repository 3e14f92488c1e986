"""/jadwal (/schedule) and /materi (/materials): the cohort's sessions and learning links.

Written against the channel contract (`handlers.turn`): no channel's types, nothing sent from
here but through the turn, which sends on the sender's channel."""

from __future__ import annotations

from core.i18n import Catalogs, Html, escape, link
from core.schedule import (
    ScheduleView,
    SessionState,
    SessionView,
    materials_by_module,
    schedule_view,
)
from core.timefmt import clock, local, long_date, zone_abbreviation
from handlers.turn import Turn

ALL_WORDS = frozenset({"semua", "all"})
_STATE_KEYS = {
    SessionState.DONE: "schedule.state_done",
    SessionState.LIVE: "schedule.state_live",
    SessionState.TODAY: "schedule.state_today",
}


def render_session(i18n: Catalogs, lang: str, tz: str, item: SessionView) -> str:
    """One session as participants see it: the day, the time in `tz`, title, speaker, link."""
    s = item.session
    zone = zone_abbreviation(tz)
    lines = [f"<b>{escape(long_date(item.day, lang))}</b>"]
    state_key = _STATE_KEYS.get(item.state)
    when = f"{clock(local(s.starts_at, tz), lang)}–{clock(local(s.ends_at, tz), lang)} {zone}"
    if state_key:
        when += " · " + i18n.text(lang, state_key)
    lines.append(when)
    lines.append(f"{escape(s.title)}")
    if s.speaker:
        lines.append(i18n.text(lang, "schedule.speaker", speaker=s.speaker))
    if s.link:
        lines.append(i18n.text(lang, "schedule.link", link=link(s.link, s.link)))
    return "\n".join(lines)


def render_schedule(
    i18n: Catalogs, lang: str, tz: str, cohort_name: str, view: ScheduleView, everything: bool
) -> str:
    if view.total == 0:
        return i18n.text(lang, "schedule.empty", cohort=cohort_name)
    if not view.sessions:
        return i18n.text(lang, "schedule.none_left", cohort=cohort_name)
    zone = zone_abbreviation(tz)
    blocks = [
        i18n.text(
            lang,
            "schedule.header_all" if everything else "schedule.header_next",
            cohort=cohort_name,
            count=len(view.sessions),
            zone=zone,
        )
    ]
    blocks += [render_session(i18n, lang, tz, item) for item in view.sessions]
    if not everything and view.total > len(view.sessions):
        blocks.append(i18n.text(lang, "schedule.footer_all", count=view.total))
    return "\n\n".join(blocks)


async def show_schedule(turn: Turn) -> None:
    """/jadwal: the next five sessions in the reader's own zone; `/jadwal semua` for all."""
    services = turn.services
    words = [a.lower() for a in turn.args]
    async with services.db() as session:
        participant = (await turn.identify(session)).participant
        if participant is None:
            await turn.ask_for_code()
            return
        if words and (len(words) > 1 or words[0] not in ALL_WORDS):
            await turn.reply(turn.text("schedule.bad_argument"))
            return
        everything = bool(words)
        view = await schedule_view(
            session, participant.cohort_id, services.clock(), turn.tz, everything=everything
        )
    await turn.reply(
        render_schedule(
            services.i18n, turn.lang, turn.tz, participant.cohort.name, view, everything
        )
    )


async def show_materials(turn: Turn) -> None:
    """/materi: the learning materials, grouped by module, each a title with its link."""
    async with turn.services.db() as session:
        participant = (await turn.identify(session)).participant
        if participant is None:
            await turn.ask_for_code()
            return
        groups = await materials_by_module(session, participant.cohort_id)
    cohort = participant.cohort.name
    if not groups:
        await turn.reply(turn.text("materials.empty", cohort=cohort))
        return
    blocks = [turn.text("materials.header", cohort=cohort)]
    for module, items in groups:
        lines = [f"<b>{escape(module)}</b>"]
        lines += [f"• {link(m.url, m.title)}" for m in items]
        blocks.append("\n".join(lines))
    await turn.reply(Html("\n\n".join(blocks)))
