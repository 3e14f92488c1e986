"""/umumkan (/announce): write, preview, choose the audience and time, confirm; /status; the
delivery report. Delivery itself is scheduler.broadcast draining scheduler.outbox."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import announcements as ann
from core import buttons
from core.channel import ANNOUNCEMENT, Action, Command, Rows, button_rows, within_window
from core.confirmations import Taken
from core.contacts import Reach, contact_at, reach_of
from core.errors import InvalidInput
from core.i18n import Catalogs, escape
from core.numbers import number
from core.reading import BadDate, BadTime
from core.staff import can_manage
from core.timefmt import clock, local, long_date, zone_abbreviation
from handlers import confirm, refusals
from handlers.common import Answer, plain, text
from handlers.staff import (
    StaffReader,
    authorize,
    remember_language,
    staff_command,
    staff_or_refuse,
    still_manages,
)
from handlers.turn import HasServices, Turn
from storage.models import Announcement, Cohort

_ACTIONS = ("send", "aud", "time", "back", "edit", "cancel", "stop")
CHANNEL_NAMES = ("telegram", "whatsapp", "memory")  # named in the catalogs (`channel.…`)


def action_button(
    context: HasServices, lang: str, key: str, action: str, a: Announcement
) -> Action:
    return Action(
        plain(context, lang, key),
        buttons.pack(buttons.ANNOUNCE, action, str(a.id)),
    )


def when_text(context: HasServices, lang: str, at: datetime, tz: str) -> str:
    moment = local(at, tz)
    return f"{long_date(moment.date(), lang)}, {clock(moment, lang)} {zone_abbreviation(tz, at)}"


async def _control(
    session: AsyncSession, context: HasServices, lang: str, draft: Announcement, cohort: Cohort
) -> tuple[str, Rows]:
    """The message under the preview: recipients, audience, time, and the buttons."""
    now = context.services.clock()
    people = await ann.recipients(session, cohort.id, draft.audience, now)
    reach = await reach_of(session, {p.person_id for p in people})
    unreachable = sum(
        1 for p in people if p.person_id not in reach or not reach[p.person_id].reachable
    )
    when = (
        when_text(context, lang, draft.send_at, cohort.timezone)
        if draft.send_at is not None
        else plain(context, lang, "announce.now")
    )
    body = text(
        context,
        lang,
        "announce.control",
        count=len(people),
        cohort=cohort.name,
        audience=plain(context, lang, f"announce.audience_{draft.audience}"),
        when=when,
        unreachable=unreachable,
    )
    body += "".join("\n" + line for line in window_lines(context, lang, reach.values(), now))
    send_key = "announce.button_schedule" if draft.send_at is not None else "announce.button_send"
    other = "not_checked_in" if draft.audience == "all" else "all"
    rows = [
        [action_button(context, lang, send_key, "send", draft)],
        [action_button(context, lang, f"announce.button_audience_{other}", "aud", draft)],
        [
            action_button(context, lang, "announce.button_time", "time", draft),
            action_button(context, lang, "announce.button_edit", "edit", draft),
        ],
        [action_button(context, lang, "announce.button_cancel", "cancel", draft)],
    ]
    return body, button_rows(rows)


def window_lines(
    context: HasServices, lang: str, reach: Iterable[Reach], now: datetime
) -> list[str]:
    """For each channel with a service window (WhatsApp's 24 hours) the recipients reach: how
    many wrote within it, how many not (sent as the announcement template, or not sent when
    there is none), and what it will cost where the channel charges."""
    services = context.services
    split: dict[str, list[int]] = {}
    for r in reach:
        channel = services.channels.get(r.address.channel)
        if not r.reachable or channel is None or channel.capabilities.service_window is None:
            continue
        wrote = within_window(channel.capabilities, r.last_inbound, now)
        split.setdefault(r.address.channel, [0, 0])[0 if wrote else 1] += 1
    lines = []
    for name, (inside, outside) in sorted(split.items()):
        price = services.pricing.get(name)
        templated = price is None or ANNOUNCEMENT in price.templated
        key = "announce.window_templated" if templated else "announce.window_untemplated"
        label = channel_name(services.i18n, lang, name)
        line = text(context, lang, key, channel=label, inside=inside, outside=outside)
        if price is not None and (price.in_window or price.template):
            cost = inside * price.in_window + (outside * price.template if templated else 0)
            amount = f"{price.currency} {number(cost, lang, decimals=0 if cost >= 100 else 2)}"
            line += " " + text(context, lang, "announce.cost", amount=amount)
        lines.append(line)
    return lines


def channel_name(i18n: Catalogs, lang: str, name: str) -> str:
    """A channel as people call it (`channel.…` in the catalogs), else its own name."""
    return i18n.plain(lang, f"channel.{name}") if name in CHANNEL_NAMES else name


async def _preview(
    session: AsyncSession, context: HasServices, lang: str, draft: Announcement, cohort: Cohort
) -> Answer:
    assert draft.body is not None
    control = await _control(session, context, lang, draft, cohort)
    parts = ann.delivered_parts(context.services.i18n, lang, cohort.name, draft.body)
    return [*((part, None) for part in parts), control]


def _inline_body(command: Command, consumed_code: bool) -> tuple[str, int]:
    """The text written after `/umumkan [CODE]` on the same message, as markup and its length."""
    html, plain_text = command.markup or escape(command.text), command.text
    drop = r"^\s*\S+\s*" if not consumed_code else r"^\s*\S+\s+\S+\s*"
    return re.sub(drop, "", html, count=1), len(re.sub(drop, "", plain_text, count=1))


@staff_command("umumkan")
async def announce(turn: Turn, staff: StaffReader, cohort: Cohort, args: list[str]) -> None:
    """/umumkan [CODE] [text]: start an announcement to the cohort (text now or next)."""
    lang = staff.lang
    message = turn.command
    person = staff.person
    answer: Answer
    async with turn.services.db.begin() as session:
        await remember_language(session, person.person_id, lang)
        contact = await contact_at(session, turn.sender.address)
        assert contact is not None  # made when they wrote (handlers.arrival)
        draft = await ann.start_draft(
            session, cohort, person.person_id, contact.id, lang, turn.services.clock()
        )
        consumed = len(turn.args or []) > len(args)
        html, length = _inline_body(message, consumed) if message and args else ("", 0)
        if length:
            answer = _set_body(turn, lang, draft, html, length)
            if draft.state == "preview":
                answer = await _preview(session, turn, lang, draft, cohort)
        else:
            answer = [(_ask_text(turn, lang, cohort), _cancel_only(turn, lang, draft))]
    for body, keyboard in answer:
        await turn.reply(body, keyboard)


def _ask_text(context: HasServices, lang: str, cohort: Cohort) -> str:
    limit = number(ann.BODY_MAX, lang)
    return text(context, lang, "announce.ask_text", cohort=cohort.name, limit=limit)


def _cancel_only(context: HasServices, lang: str, draft: Announcement) -> Rows:
    return button_rows([[action_button(context, lang, "announce.button_cancel", "cancel", draft)]])


def _set_body(context: HasServices, lang: str, draft: Announcement, html: str, n: int) -> Answer:
    try:
        ann.set_body(draft, html, n)
    except InvalidInput as exc:
        problem = str(exc)
        if problem.startswith("too_long:"):
            limit, length = number(ann.BODY_MAX, lang), number(n, lang)  # 3.800 / 3,800
            return [(text(context, lang, "announce.too_long", limit=limit, length=length), None)]
        return [(text(context, lang, problem), None)]
    return []


async def answer_typed(session: AsyncSession, turn: Turn) -> Answer | None:
    """A facilitator's typed text while an announcement waits for its text or its time; None
    when no draft of theirs is waiting (the text is then read as usual)."""
    person = turn.person
    draft = await ann.open_draft(session, person.person_id)
    if draft is None or draft.state not in ("compose", "time"):
        return None
    cohort = await session.get(Cohort, draft.cohort_id)
    if cohort is None or not await can_manage(session, person.person_id, cohort.id, turn.is_admin):
        ann.revoke(draft)  # no longer theirs to send
        return None
    lang = draft.author_language
    message = turn.typed
    assert message is not None
    if draft.state == "compose":
        answer = _set_body(turn, lang, draft, message.html, len(message.text))
        return answer or await _preview(session, turn, lang, draft, cohort)
    now = turn.services.clock()
    try:
        ann.set_send_time(draft, message.text, cohort.timezone, now)
    except BadDate as exc:
        zone = zone_abbreviation(cohort.timezone)
        return [(refusals.bad_date(turn, lang, exc, "announce.bad_time", zone=zone), None)]
    except BadTime as exc:
        zone = zone_abbreviation(cohort.timezone)
        return [(refusals.bad_time(turn, lang, exc, "announce.bad_time", zone=zone), None)]
    except InvalidInput as exc:
        zone = zone_abbreviation(cohort.timezone)
        example = ann.example_send_time(cohort.timezone, now)
        return [(text(turn, lang, str(exc), zone=zone, example=example), None)]
    return [await _control(session, turn, lang, draft, cohort)]


async def preview_waits(session: AsyncSession, turn: Turn) -> Answer | None:
    """Typed text while the author's preview waits for a button (send, time, change the text,
    cancel): say so; the draft stays as it is. None when no preview of theirs waits."""
    person = turn.person
    draft = await ann.open_draft(session, person.person_id)
    if draft is None or draft.state != "preview":
        return None
    if not await can_manage(session, person.person_id, draft.cohort_id, turn.is_admin):
        return None
    return [(text(turn, draft.author_language, "announce.use_buttons"), None)]


async def cancel_draft(session: AsyncSession, turn: Turn) -> Answer | None:
    """/batal while an announcement is being written: it is dropped. None: no draft."""
    draft = await ann.open_draft(session, turn.person.person_id)
    if draft is None:
        return None
    await ann.cancel(session, draft, turn.services.clock())
    return [(text(turn, draft.author_language, "announce.cancelled"), None)]


async def announce_button(turn: Turn) -> None:
    """The buttons under a preview (send, audience, time, edit, cancel) and /status (stop)."""
    parts = (turn.data or "").split(":")
    button = (
        buttons.Button(parts[0], parts[1], parts[2])
        if len(turn.data or "") <= buttons.MAX_BYTES
        and len(parts) == 3
        and parts[0] == buttons.ANNOUNCE
        and parts[1] in _ACTIONS
        and buttons.parse_id(parts[2]) is not None
        else None
    )
    answer: Answer = []
    notice: str | None = None
    async with turn.services.db.begin() as session:
        draft = await session.get(Announcement, int(button.arg)) if button else None
        if draft is None:
            staff = await staff_or_refuse(session, turn)
            if staff is None:
                return
            await turn.answer_button(plain(turn, staff.lang, "button.stale"), alert=True)
            return
        staff = await authorize(session, turn, draft.cohort_id)
        if staff is None:
            return
        lang = staff.lang
        cohort = await session.get(Cohort, draft.cohort_id)
        assert cohort is not None and button is not None
        is_author = draft.author_id == staff.person.person_id
        action = button.action
        now = turn.services.clock()
        if action == "stop" and draft.state in ("scheduled", "sending"):
            answer = [await _ask_stop(session, turn, staff, draft, cohort)]
        elif not is_author or not ann.may_press(draft, action):
            notice = plain(turn, lang, "button.stale")  # e.g. "back" forged before a text
        elif action == "cancel":
            await ann.cancel(session, draft, now)
            answer = [(text(turn, lang, "announce.cancelled"), None)]
        elif action == "edit":
            ann.to_compose(draft)
            answer = [(_ask_text(turn, lang, cohort), _cancel_only(turn, lang, draft))]
        elif action == "aud":
            ann.toggle_audience(draft)
            answer = [await _control(session, turn, lang, draft, cohort)]
        elif action == "time":
            ann.to_time(draft)
            back = button_rows([[action_button(turn, lang, "announce.button_back", "back", draft)]])
            zone = zone_abbreviation(cohort.timezone)
            example = ann.example_send_time(cohort.timezone, now)
            answer = [(text(turn, lang, "announce.ask_time", zone=zone, example=example), back)]
        elif action == "back":
            ann.back_to_preview(draft)
            answer = [await _control(session, turn, lang, draft, cohort)]
        elif action == "send":
            count = len(await ann.recipients(session, cohort.id, draft.audience, now))
            later = draft.send_at is not None and draft.send_at > now
            ann.confirm(draft, now)
            key = "announce.scheduled" if later else "announce.sending"
            at = draft.send_at or now
            when = when_text(turn, lang, at, cohort.timezone) if later else ""
            answer = [(text(turn, lang, key, count=count, when=when), None)]
        else:
            notice = plain(turn, lang, "button.stale")
    if notice is not None:
        await turn.answer_button(notice, alert=True)
        return
    await turn.answer_button()
    turn.services.outbox_wakeup.set()
    for i, (body, keyboard) in enumerate(answer):
        if i == 0:
            await turn.edit_or_reply(body, keyboard)
        else:
            await turn.reply(body, keyboard)


async def _ask_stop(
    session: AsyncSession,
    context: HasServices,
    staff: StaffReader,
    draft: Announcement,
    cohort: Cohort,
) -> tuple[str, Rows]:
    """Stopping an announcement: what has gone and what will not, and the question."""
    lang = staff.lang
    if draft.state == "scheduled":
        assert draft.send_at is not None
        when = when_text(context, lang, draft.send_at, cohort.timezone)
        body = text(context, lang, "announce.confirm_cancel", title=title_of(draft), when=when)
    else:
        c = await ann.counts(session, draft.id)
        body = text(
            context,
            lang,
            "announce.confirm_stop",
            title=title_of(draft),
            sent=c.sent,
            total=c.total,
            pending=c.pending,
        )
    keyboard = await confirm.ask(
        session,
        context,
        staff.person.person_id,
        lang,
        "stop_announcement",
        {"announcement_id": draft.id},
        confirm.yes_no(context, lang, "announce.button_confirm_stop", "announce.button_go_on"),
    )
    return body + "\n\n" + confirm.valid_for(context, lang), keyboard


@confirm.action("stop_announcement", again="announce.stop_again")
async def stop_confirmed(
    session: AsyncSession, turn: Turn, taken: Taken, choice: str
) -> confirm.Done:
    """Yes: what has not gone out does not go out (what was sent stays sent)."""
    lang = taken.language
    draft = await session.get(Announcement, int(taken.data["announcement_id"]))
    if draft is None or not await still_manages(session, turn, draft.cohort_id):
        return confirm.Done([(text(turn, lang, "staff.only"), None)])
    if choice != "yes":
        return confirm.Done([(text(turn, lang, "announce.not_stopped"), None)])
    if draft.state not in ("scheduled", "sending"):
        return confirm.Done([(text(turn, lang, "announce.already_done"), None)])
    scheduled = draft.state == "scheduled"
    services = turn.services
    dropped = await ann.cancel(session, draft, services.clock())
    if scheduled:
        return confirm.Done([(text(turn, lang, "announce.cancelled_scheduled"), None)])
    return confirm.Done([(text(turn, lang, "announce.stopped", count=dropped), None)])


def title_of(a: Announcement) -> str:
    """The first words of an announcement, to recognise it in lists (plain text: the body is
    HTML, and whoever shows the title escapes it again)."""
    plain_body = html.unescape(re.sub(r"<[^>]+>", "", a.body or ""))
    plain_body = re.sub(r"\s+", " ", plain_body).strip()
    return plain_body[:40] + ("…" if len(plain_body) > 40 else "")
