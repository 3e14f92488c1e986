"""`aksi cohort`: create and list training cohorts, and set their reminder defaults.

A cohort is the first thing an organiser makes; everything else (schedule, materials, roster,
facilitators, reports) names one by its code. Dates are checked here, at the command line, so a
mistyped or impossible date is refused before the database is opened.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_common import counted, run_db, settings_of
from core import follow_up
from core.cohorts import create_cohort, get_cohort, list_cohorts, offered_on, offers
from core.errors import AksiError, InvalidInput
from core.imports import WINDOW_MAX
from core.reading import BadDate, BadTime, read_iso_date
from core.reminders import set_cohort_reminders
from storage.models import Cohort


class DateParam(click.ParamType[date]):
    """YYYY-MM-DD; a date that does not exist (2021-02-30) is called that, not a bad format."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return read_iso_date(str(value), strict=True)
        except BadDate as exc:
            if exc.impossible:
                self.fail(f"{value} is not a date that exists", param, ctx)
            self.fail(f"{value!r} is not a date written YYYY-MM-DD", param, ctx)


@click.group()
def cohort() -> None:
    """Training cohorts (angkatan)."""


@cohort.command("create")
@click.option(
    "--code", required=True, help="Join code, used in the invitation link (e.g. REVMEN1)."
)
@click.option("--name", required=True, help='Cohort name, e.g. "Angkatan I".')
@click.option("--timezone", default=None, help="IANA zone [default: AKSI_DEFAULT_TIMEZONE].")
@click.option("--starts", required=True, type=DateParam(), help="First day, YYYY-MM-DD.")
@click.option("--ends", required=True, type=DateParam(), help="Last day, YYYY-MM-DD.")
@click.option(
    "--channels",
    default=None,
    metavar="telegram,whatsapp",
    help="The channels people join it on: telegram, whatsapp or both [default: any].",
)
@click.pass_context
def cohort_create(
    ctx: click.Context,
    code: str,
    name: str,
    timezone: str | None,
    starts: date,
    ends: date,
    channels: str | None,
) -> None:
    """Create a cohort that participants join with its code."""
    settings = settings_of(ctx)
    tz = timezone or settings.aksi_default_timezone

    async def _create(session: AsyncSession) -> Cohort:
        return await create_cohort(
            session, code=code, name=name, timezone=tz, starts=starts, ends=ends, channels=channels
        )

    created = run_db(ctx, _create)
    on = ", ".join(offered_on(created))
    click.echo(f"created cohort {created.code}: {name} ({tz}, {starts} to {ends}; on {on})")
    for line in join_lines(created, settings.whatsapp_display_number):
        click.echo(line)


def join_lines(cohort: Cohort, whatsapp_number: str) -> list[str]:
    """How participants join `cohort`, on each channel it is offered on."""
    code = cohort.code
    lines = []
    if offers(cohort, "telegram"):
        lines.append(f"on Telegram: /start {code}  (link: https://t.me/<bot>?start={code})")
    if offers(cohort, "whatsapp"):
        link = f"https://wa.me/{whatsapp_number or '<number>'}?text=GABUNG%20{code}"
        lines.append(f"on WhatsApp: GABUNG {code}  (link: {link})")
    return lines


@cohort.command("reminders")
@click.option("--code", required=True, help="The cohort's code.")
@click.option("--reminder-time", help="Default daily reminder, HH:MM local (e.g. 07:00).")
@click.option("--evening-time", help="Evening follow-up, HH:MM local, or 'off'.")
@click.option("--morning-time", help="Morning summary on session days, HH:MM local, or 'off'.")
@click.option("--session-lead", type=int, help="Minutes before a session its reminder goes.")
@click.pass_context
def cohort_reminders(
    ctx: click.Context,
    code: str,
    reminder_time: str | None,
    evening_time: str | None,
    morning_time: str | None,
    session_lead: int | None,
) -> None:
    """Show or change a cohort's reminder defaults; participants' reminders follow at once."""

    async def _set(session: AsyncSession) -> str:
        c = await get_cohort(session, code)
        try:
            moved = await set_cohort_reminders(
                session,
                c,
                datetime.now(UTC),
                reminder_time=reminder_time,
                evening_time=evening_time,
                morning_time=morning_time,
                session_lead_minutes=session_lead,
            )
        except BadTime as exc:
            if exc.impossible:
                message = f"{exc.typed} is not a time that exists (hours 00-23, minutes 00-59)"
            else:
                message = "times are HH:MM (e.g. 07:00), or 'off' for the evening and morning ones"
            raise AksiError(message) from None
        except InvalidInput as exc:
            raise AksiError(str(exc)) from None
        return (
            f"{c.code}: daily {c.reminder_time}, evening {c.evening_time or 'off'}, "
            f"morning summary {c.morning_summary_time or 'off'}, sessions "
            f"{c.session_lead_minutes} min before ({counted(moved, 'participant')} updated)"
        )

    click.echo(run_db(ctx, _set))


@cohort.command("follow-up")
@click.option("--code", required=True, help="The cohort's code.")
@click.option(
    "--days",
    type=click.IntRange(0, follow_up.MAX_DAYS),
    help="Days of follow-up after the last day (default 90; 0: none).",
)
@click.option(
    "--weekdays",
    help="Days reminders come during the follow-up: mon,wed,fri (or sen,rab,jum), all, none.",
)
@click.pass_context
def cohort_follow_up(ctx: click.Context, code: str, days: int | None, weekdays: str | None) -> None:
    """Show or change the follow-up after the course: how long alumni keep their reminders
    (on which weekdays) and get a question every 30 days."""

    async def _set(session: AsyncSession) -> str:
        c = await get_cohort(session, code)
        try:
            follow_up.set_terms(c, days, weekdays)
        except InvalidInput as exc:  # the days are checked by click: a word is no weekday
            raise AksiError(
                f"{str(exc)!r} is not a weekday: write mon,wed,fri (or sen,rab,jum), all or none"
            ) from None
        await session.flush()
        if c.follow_up_days == 0:
            return f"{c.code}: no follow-up after {c.ends_on}"
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        shown = ",".join(names[d - 1] for d in follow_up.weekdays_of(c)) or "none"
        return (
            f"{c.code}: follow-up {c.follow_up_days} days after {c.ends_on} (until "
            f"{follow_up.last_day(c)}), reminders on {shown}, a question every "
            f"{follow_up.EVERY} days"
        )

    click.echo(run_db(ctx, _set))


@cohort.command("attendance")
@click.option("--code", required=True, help="The cohort's code.")
@click.option(
    "--before",
    type=click.IntRange(0, WINDOW_MAX),
    help="Minutes before a session's start its attendance opens (default 15).",
)
@click.option(
    "--after",
    type=click.IntRange(0, WINDOW_MAX),
    help="Minutes after a session's start its attendance closes (default 30).",
)
@click.pass_context
def cohort_attendance(ctx: click.Context, code: str, before: int | None, after: int | None) -> None:
    """Show or change the cohort's attendance window; a session of the schedule CSV may have
    its own (columns attendance_before, attendance_after)."""

    async def _set(session: AsyncSession) -> str:
        c = await get_cohort(session, code)
        if before is not None:
            c.attendance_before = before
        if after is not None:
            c.attendance_after = after
        return (
            f"{c.code}: attendance opens {c.attendance_before} min before each session's "
            f"start and closes {c.attendance_after} min after it"
        )

    click.echo(run_db(ctx, _set))


@cohort.command("evaluation")
@click.option("--code", required=True, help="The cohort's code.")
@click.option(
    "--auto",
    type=click.Choice(["on", "off"]),
    default=None,
    help="on: each session's trainer evaluation opens (and is sent) when the session ends.",
)
@click.pass_context
def cohort_evaluation(ctx: click.Context, code: str, auto: str | None) -> None:
    """Show or change whether the trainer evaluations open by themselves after each session."""

    async def _set(session: AsyncSession) -> str:
        c = await get_cohort(session, code)
        if auto is not None:
            c.evaluation_auto = auto == "on"
        if c.evaluation_auto:
            return f"{c.code}: each session's trainer evaluation opens when the session ends"
        return f"{c.code}: evaluations open only from /hasilevaluasi"

    click.echo(run_db(ctx, _set))


@cohort.command("list")
@click.pass_context
def cohort_list(ctx: click.Context) -> None:
    """List the cohorts with their counts of participants, sessions and materials."""

    async def _list(session: AsyncSession) -> list[Any]:
        return await list_cohorts(session)

    rows = run_db(ctx, _list)
    if not rows:
        click.echo("no cohorts yet: create one with `aksi cohort create`")
        return
    click.echo(f"{'CODE':<12} {'NAME':<40} {'TIMEZONE':<16} {'DATES':<24} PART SESS MAT CHANNELS")
    for r in rows:
        c = r.cohort
        dates = f"{c.starts_on} to {c.ends_on}"
        click.echo(
            f"{c.code:<12} {c.name[:40]:<40} {c.timezone:<16} {dates:<24} "
            f"{r.participants:>4} {r.sessions:>4} {r.materials:>3} {','.join(offered_on(c))}"
        )
