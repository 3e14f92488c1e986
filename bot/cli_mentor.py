"""`aksi mentor`: an organiser assigns, lists and ends participants' mentors (a participant can
also invite theirs from the chat: /mentor). Assigning replaces a current mentor (whose
mentorship is ended, kept in the history), so it says so and asks first, as ending does."""

from __future__ import annotations

import sys

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_common import COHORT_OPTION, dry_run_db, fail, run_db
from core import mentors
from core.approvals import submit
from core.channel import Address
from core.cohorts import get_cohort
from core.contacts import contact_at, person_for
from core.errors import InvalidInput
from core.services import utc_now
from core.staff import parse_user_id
from core.timefmt import local
from storage.models import Participant

PARTICIPANT_OPTION = click.option(
    "--participant",
    "who",
    required=True,
    metavar="NIP|NUMBER",
    help="The participant's NIP (18 digits, from the roster) or number (`aksi participants list`).",
)
YES_OPTION = click.option("--yes", is_flag=True, help="Do not ask before replacing or ending.")


@click.group()
def mentor() -> None:
    """Participants' mentors (direct superiors or coaches), who approve their action plans."""


def _name(participant: Participant) -> str:
    return participant.full_name or participant.first_name or f"#{participant.id}"


def _confirm(what: str, yes: bool) -> None:
    """Go on only after a "yes" typed at a terminal, or `--yes`."""
    if yes:
        return
    if not sys.stdin.isatty():
        fail(f"{what}; nothing was written. Run again with --yes to go ahead")
    if not click.confirm(f"{what}. Go ahead?", default=False, err=True):
        fail("nothing was written")


@mentor.command("assign")
@COHORT_OPTION
@PARTICIPANT_OPTION
@click.option(
    "--mentor",
    "mentor_id",
    required=True,
    metavar="TELEGRAM_USER_ID",
    help="The mentor's Telegram user id (they see their mentees with /mentor).",
)
@click.option("--name", default=None, help="The mentor's name, as the participant sees it.")
@YES_OPTION
@click.pass_context
def mentor_assign(
    ctx: click.Context, code: str, who: str, mentor_id: str, name: str | None, yes: bool
) -> None:
    """Make someone a participant's mentor at once (no invitation to accept)."""
    try:
        user_id = parse_user_id(mentor_id)
    except ValueError as exc:
        fail(f"--mentor: {exc}")
        return
    if name is not None and not name.strip():
        fail("--name: give the mentor's name, or leave --name out")
    if name is not None and len(name.strip()) > mentors.NAME_MAX:
        fail(f"--name: at most {mentors.NAME_MAX} characters")

    async def _current(session: AsyncSession) -> tuple[str, str | None, bool]:
        cohort = await get_cohort(session, code)
        participant = await mentors.find_participant(session, cohort, who)
        active = await mentors.active_mentor(session, participant.id)
        contact = await contact_at(session, Address("telegram", str(user_id)))
        same = (
            active is not None
            and contact is not None
            and active.mentor_person_id == contact.person_id
        )
        current = None if active is None else active.mentor_name or "their current mentor"
        return _name(participant), current, same

    participant_name, current, same = dry_run_db(ctx, _current)
    if current is not None and not same:
        _confirm(f"{participant_name}'s mentor is {current}: assigning ends that", yes)

    async def _work(session: AsyncSession) -> str:
        now = utc_now()
        cohort = await get_cohort(session, code)
        participant = await mentors.find_participant(session, cohort, who)
        person = await person_for(session, Address("telegram", str(user_id)), now)
        done = await mentors.assign(session, participant, person.person_id, name, now)
        sent = None if done.unchanged else await submit(session, participant, now)
        whom = f"{user_id}" + (
            f" ({done.mentorship.mentor_name})" if done.mentorship.mentor_name else ""
        )
        if done.unchanged:
            return f"{whom} was already {_name(participant)}'s mentor in {cohort.code}"
        waits = "; their action plan waits for the mentor's approval (/mentor)" if sent else ""
        return f"{whom} is now {_name(participant)}'s mentor in {cohort.code}{waits}"

    click.echo(run_db(ctx, _work))


@mentor.command("list")
@COHORT_OPTION
@click.pass_context
def mentor_list(ctx: click.Context, code: str) -> None:
    """Every participant of a cohort with their mentor, or "no mentor"."""

    async def _work(session: AsyncSession) -> list[str]:
        cohort = await get_cohort(session, code)
        found = await mentors.mentors_of_cohort(session, cohort.id)
        lines = [f"{cohort.code}: {sum(1 for _, m in found if m)} of {len(found)} with a mentor"]
        for participant, mentorship in found:
            if mentorship is None:
                whom = "no mentor"
            else:
                whom = mentorship.mentor_name or "(unnamed)"
                zone = participant.timezone or cohort.timezone  # shown in their own time
                since = local(mentorship.decided_at or mentorship.created_at, zone)
                whom += f", since {since:%Y-%m-%d}"
            lines.append(f"  {participant.id:>6}  {_name(participant)}: {whom}")
        return lines

    click.echo("\n".join(run_db(ctx, _work)))


@mentor.command("end")
@COHORT_OPTION
@PARTICIPANT_OPTION
@YES_OPTION
@click.pass_context
def mentor_end(ctx: click.Context, code: str, who: str, yes: bool) -> None:
    """End a participant's mentorship (kept in the history)."""

    async def _current(session: AsyncSession) -> tuple[str, str | None]:
        cohort = await get_cohort(session, code)
        participant = await mentors.find_participant(session, cohort, who)
        active = await mentors.active_mentor(session, participant.id)
        return _name(participant), None if active is None else (active.mentor_name or "(unnamed)")

    participant_name, current = dry_run_db(ctx, _current)
    if current is None:
        fail(f"{participant_name} has no mentor; nothing was written")
    _confirm(f"this ends {current}'s mentorship of {participant_name}", yes)

    async def _work(session: AsyncSession) -> str:
        cohort = await get_cohort(session, code)
        participant = await mentors.find_participant(session, cohort, who)
        ended = await mentors.end(session, participant, utc_now())
        if ended is None:
            raise InvalidInput(f"{participant_name} has no mentor any more; nothing was written")
        return f"{current} is no longer {participant_name}'s mentor"

    click.echo(run_db(ctx, _work))
