"""/sesi (/session): a facilitator adds one session to the cohort's schedule from one line,
checked exactly as a row of the schedule CSV."""

from __future__ import annotations

from core.cohorts import example_day
from core.habits import local_today
from core.imports import ImportRefused
from core.schedule import SessionView, session_state
from core.timefmt import local, zone_abbreviation
from core.uploads import add_session, parse_session_line
from handlers.common import text
from handlers.schedule import render_session
from handlers.staff import StaffReader, staff_command
from handlers.turn import HasServices, Turn
from handlers.uploads import render_problems, upload_help
from storage.models import Cohort


def usage(context: HasServices, lang: str, cohort: Cohort) -> str:
    """How to write the line (with a date inside the cohort's period), then how to upload."""
    today = local_today(context.services.clock(), cohort.timezone)
    body = text(
        context,
        lang,
        "session_add.usage",
        day=example_day(cohort, today).isoformat(),
        starts=cohort.starts_on.isoformat(),
        ends=cohort.ends_on.isoformat(),
        zone=zone_abbreviation(cohort.timezone),
        code=cohort.code,
    )
    return body + "\n\n" + upload_help(context, lang, cohort.code)


@staff_command("sesi")
async def add_one_session(turn: Turn, staff: StaffReader, cohort: Cohort, args: list[str]) -> None:
    """/sesi 2021-09-09 09:00-11:00 Title | Speaker | Link: the session saved and shown as
    participants will see it; without a line or with a bad one, what was wrong and how."""
    lang = staff.lang
    line = " ".join(args)
    if not line:
        await turn.reply(usage(turn, lang, cohort))
        return
    try:
        row = parse_session_line(line, cohort)
    except ImportRefused as refused:
        body = text(turn, lang, "session_add.refused", code=cohort.code)
        problems = render_problems(turn, lang, refused.problems)
        await turn.reply(f"{body}\n{problems}\n\n{usage(turn, lang, cohort)}")
        return
    async with turn.services.db.begin() as session:
        saved, added = await add_session(session, cohort, row)
    tz = cohort.timezone
    now = turn.services.clock()
    item = SessionView(saved, local(saved.starts_at, tz).date(), session_state(saved, now, tz))
    key = "session_add.added" if added else "session_add.updated"
    body = text(turn, lang, key, code=cohort.code, cohort=cohort.name)
    await turn.reply(body + "\n\n" + render_session(turn.services.i18n, lang, tz, item))
