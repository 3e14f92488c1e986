"""/status (the announcements being sent, scheduled and the latest finished, with a stop
button) and the delivery report its author gets when one is done. Writing and sending an
announcement is `handlers.announce`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from core import announcements as ann
from core import receipts
from core.channel import Action, Outbound, Sent, button_rows
from core.numbers import number
from core.services import Services
from handlers.announce import action_button, channel_name, title_of, when_text
from handlers.common import plain, text
from handlers.staff import (
    StaffReader,
    staff_command,
)
from handlers.turn import Turn
from scheduler.outbox import ReportDue
from storage.models import Announcement, Cohort

log = logging.getLogger(__name__)

_NAMES_IN_REPORT = 20


@staff_command("status")
async def status(turn: Turn, staff: StaffReader, cohort: Cohort, args: list[str]) -> None:
    """/status: announcements being sent (progress, ETA), scheduled, and the latest done."""
    lang = staff.lang
    now = turn.services.clock()
    lines: list[str] = []
    rows: list[list[Action]] = []
    async with turn.services.db() as session:
        for a in await ann.of_cohort(session, cohort.id):
            c = await ann.counts(session, a.id)
            title = title_of(a)
            if a.state == "sending":
                elapsed = max((now - (a.started_at or now)).total_seconds(), 0.001)
                rate = c.sent / elapsed
                eta = round(c.pending / rate) if rate > 0 else None
                lines.append(
                    text(
                        turn,
                        lang,
                        "announce.status_sending",
                        title=title,
                        sent=c.sent,
                        total=c.total,
                        failed=c.failed,
                        unreachable=c.unreachable,
                        pending=c.pending,
                        rate=number(rate, lang, decimals=1),
                        eta="?" if eta is None else plain(turn, lang, "count.second", count=eta),
                    )
                )
                rows.append([action_button(turn, lang, "announce.button_stop", "stop", a)])
                lines[-1] += await by_channel(turn.services, session, lang, a.id, c)
            elif a.state == "scheduled":
                assert a.send_at is not None
                lines.append(
                    text(
                        turn,
                        lang,
                        "announce.status_scheduled",
                        title=title,
                        when=when_text(turn, lang, a.send_at, cohort.timezone),
                        audience=plain(turn, lang, f"announce.audience_{a.audience}"),
                    )
                )
                rows.append([action_button(turn, lang, "announce.button_stop", "stop", a)])
            else:
                finished = a.finished_at or now
                lines.append(
                    text(
                        turn,
                        lang,
                        "announce.status_done" if a.state == "done" else "announce.status_stopped",
                        title=title,
                        sent=c.sent,
                        failed=c.failed,
                        unreachable=c.unreachable,
                        total=c.total,
                        when=when_text(turn, lang, finished, cohort.timezone),
                    )
                )
                lines[-1] += await by_channel(turn.services, session, lang, a.id, c)
    async with turn.services.db() as session:
        untemplated = await ann.reminders_untemplated(session, cohort.id, now)
    if untemplated.messages:  # reminders WhatsApp could not carry (its window closed)
        lines.append(
            text(turn, lang, "announce.reminders_untemplated", count=untemplated.messages,
                 people=untemplated.people)
        )  # fmt: skip
    if not lines:
        await turn.reply(text(turn, lang, "announce.status_none", cohort=cohort.name))
        return
    body = (
        text(turn, lang, "announce.status_header", cohort=cohort.name) + "\n\n" + "\n\n".join(lines)
    )
    await turn.reply(body, button_rows(rows) if rows else None)


async def by_channel(
    services: Services, session: AsyncSession, lang: str, announcement_id: int, c: ann.Counts
) -> str:
    """Lines under an announcement's counts: how many need a WhatsApp template, what became of
    the messages as their channel reported later (delivered, read, failed after sending), and
    each channel's own counts when it went out on more than one ("" when nothing to add)."""
    i18n = services.i18n
    lines = []
    if c.needs_template:
        lines.append(i18n.text(lang, "announce.needs_template", count=c.needs_template))
    reported = await receipts.of_announcement(session, announcement_id)
    if reported:  # the channel said what became of them (WhatsApp's statuses)
        lines.append(
            i18n.text(
                lang, "announce.receipts", delivered=reported["delivered"] + reported["read"],
                read=reported["read"], failed=reported["failed"],
            )
        )  # fmt: skip
    channels = await ann.counts_by_channel(session, announcement_id)
    if len(channels) > 1:
        for name, each in channels.items():
            label = channel_name(i18n, lang, name)
            lines.append(
                i18n.text(
                    lang, "announce.channel_line", channel=label, sent=each.sent,
                    total=each.total, failed=each.failed, unreachable=each.unreachable,
                    needs_template=each.needs_template,
                )
            )  # fmt: skip
    return "".join("\n" + line for line in lines)


async def report_text(services: Services, due: ReportDue) -> str:
    """The delivery report for the author: counts, duration, and who could not be reached."""
    lang = due.language
    async with services.db() as session:
        a = await session.get(Announcement, due.announcement_id)
        assert a is not None
        c = await ann.counts(session, a.id)
        names = await ann.missed(session, a.id, _NAMES_IN_REPORT + 1)
        split = await by_channel(services, session, lang, a.id, c)
    seconds = (
        round(((a.finished_at or a.started_at) - a.started_at).total_seconds())
        if a.started_at
        else 0
    )
    body = services.i18n.text(
        lang,
        "announce.report",
        title=title_of(a),
        cohort=due.cohort_name,
        sent=c.sent,
        failed=c.failed,
        unreachable=c.unreachable,
        total=c.total,
        seconds=services.i18n.plain(lang, "count.second", count=seconds),
    )
    body += split
    if names:
        shown = ", ".join(names[:_NAMES_IN_REPORT]) + (
            " …" if len(names) > _NAMES_IN_REPORT else ""
        )
        body += "\n" + services.i18n.text(lang, "announce.report_missed", names=shown)
    return body


def report_sender(services: Services) -> Callable[[ReportDue], Awaitable[None]]:
    """What the announcement sender (`scheduler.broadcast`) calls when one is done: the
    delivery report, to the chat its author wrote it in."""

    async def send_report(due: ReportDue) -> None:
        body = await report_text(services, due)
        result = await services.send(due.address, Outbound(body))
        if not isinstance(result, Sent):
            log.warning("the report of announcement %d not sent: %s", due.announcement_id, result)

    return send_report
