"""Pulse questions (`core.pulses`). /tanya (/ask), for facilitators: `/tanya Question? | option |
option` or `/tanya skala Question?` sends the cohort one question — the channel's own poll
where it has them, buttons elsewhere — and shows the facilitator a live view of the answers
counted (edited as they come in; a button refreshes it, another closes the question: the polls
are stopped, the buttons taken away, the final figures shown). Nobody sees who chose what."""

from __future__ import annotations

import asyncio
import logging

from core import buttons
from core import pulses as rules
from core.channel import (
    Action,
    Address,
    Capabilities,
    MessageRef,
    Outbound,
    Poll,
    PollAnswer,
    Rows,
    Sent,
)
from core.contacts import reach_of
from core.errors import InvalidInput
from core.i18n import escape
from core.numbers import number, percent
from core.pacing import chat_key
from core.participants import cohort_members, poll_refusal
from handlers.common import plain, text
from handlers.refusals import stale_button
from handlers.staff import StaffReader, staff_command
from handlers.turn import HasServices, Turn
from storage.models import Cohort
from storage.quizzes import Pulse, PulseAnswer

log = logging.getLogger(__name__)

SCALE_WORDS = ("skala", "scale")
BAR = 10  # characters of a full bar


def _action(label: str, action: str, arg: str) -> Action:
    return Action(label, buttons.pack(buttons.PULSE, action, arg))


def question_message(context: HasServices, lang: str, caps: Capabilities, pulse: Pulse) -> Outbound:
    """The question as the channel's own poll (a scale's ends in words), or as text with a
    button per option."""
    options = rules.options_of(pulse)
    if caps.native_polls:
        if pulse.scale:
            ends = {0: "pulse.scale_low", len(options) - 1: "pulse.scale_high"}
            options = tuple(
                plain(context, lang, ends[i]) if i in ends else o for i, o in enumerate(options)
            )
        return Outbound(poll=Poll(pulse.question, options))
    body = text(context, lang, "pulse.question", question=pulse.question)
    if pulse.scale:
        body += "\n" + text(context, lang, "pulse.scale_hint")
    actions = [_action(o, "a", f"{pulse.id}.{i}") for i, o in enumerate(options)]
    if pulse.scale:  # side by side, as many as the channel puts in a row
        per_row = max(1, caps.max_button_row)
        return Outbound(body, [actions[i : i + per_row] for i in range(0, len(actions), per_row)])
    return Outbound(body, [[a] for a in actions])


def view(context: HasServices, lang: str, pulse: Pulse, tally: rules.Tally) -> tuple[str, Rows]:
    """The facilitator's view: each option's count and bar, how many answered; buttons to
    refresh and close while open."""
    options = rules.options_of(pulse)
    state = "closed" if pulse.closed_at is not None else "open"
    lines = [
        text(context, lang, f"pulse.view_{state}", question=pulse.question),
        text(context, lang, "pulse.view_count", answered=tally.answered, asked=tally.asked),
    ]
    top = max(tally.counts) if tally.counts else 0
    for option, count in zip(options, tally.counts, strict=True):
        share = count / tally.answered if tally.answered else 0.0
        bar = "█" * (round(BAR * count / top) if top else 0)
        lines.append(f"{escape(option)}: {bar} {count} ({percent(share, lang)})")
    average = tally.average(pulse.scale)
    if average is not None:
        lines.append(text(context, lang, "pulse.average", average=number(average, lang)))
    if pulse.closed_at is not None:
        return "\n".join(lines), []
    rows = [[
        _action(plain(context, lang, "pulse.button_refresh"), "v", str(pulse.id)),
        _action(plain(context, lang, "pulse.button_close"), "x", str(pulse.id)),
    ]]  # fmt: skip
    return "\n".join(lines), rows


@staff_command("tanya")
async def ask_cohort(turn: Turn, staff: StaffReader, cohort: Cohort, args: list[str]) -> None:
    """/tanya: one quick question to the cohort, answered as a poll or with buttons."""
    lang = staff.lang
    try:
        asking = rules.parse(" ".join(args), SCALE_WORDS)
    except InvalidInput as exc:
        await turn.reply(
            text(turn, lang, str(exc), code=cohort.code, max=rules.QUESTION_MAX,
                 options=rules.MAX_OPTIONS)
        )  # fmt: skip
        return
    services = turn.services
    default = services.settings.aksi_default_language
    outgoing: list[tuple[int, Address, Outbound]] = []
    async with services.db.begin() as session:
        members = await cohort_members(session, cohort.id)
        if not members:
            await turn.reply(text(turn, lang, "pulse.nobody", code=cohort.code))
            return
        pulse, rows = await rules.open_pulse(
            session, cohort.id, asking, turn.person_id, members, services.clock()
        )
        reach = await reach_of(session, {p.person_id for p in members})
        for p, row in zip(members, rows, strict=True):
            where = reach.get(p.person_id)
            channel = services.channels.get(where.address.channel) if where else None
            if where is None or not where.reachable or channel is None:
                continue
            outgoing.append(
                (row.id, where.address,
                 question_message(turn, p.language or default, channel.capabilities, pulse))
            )  # fmt: skip
        body, buttons_ = view(turn, lang, pulse, await rules.tally(session, pulse))
    shown = await turn.send_message(Outbound(body, buttons_))
    if shown.ref is not None:  # the live view first: answers may come as soon as one is sent
        async with services.db.begin() as session:
            found = await session.get(Pulse, pulse.id)
            assert found is not None
            found.view_channel = shown.ref.address.channel
            found.view_chat = shown.ref.address.external_id
            found.view_message = shown.ref.message_id
            found.view_lang = lang

    async def send(row_id: int, address: Address, message: Outbound) -> bool:
        """Send one participant the question and keep at once where it went (its poll's id:
        their answer can come while the others are still being sent)."""
        result = await services.send_unprompted(address, message)
        if not isinstance(result, Sent) or result.ref is None:
            return False
        async with services.db.begin() as session:
            await rules.record_sent(
                session, row_id, address.channel, address.external_id, result.ref.message_id,
                result.poll_id,
            )  # fmt: skip
        return True

    sent = await asyncio.gather(*(send(*item) for item in outgoing))
    if not all(sent):
        log.info("pulse %d: %d of %d not sent", pulse.id, sent.count(False), len(outgoing))


def _parse(data: str | None) -> tuple[str, int, int | None] | None:
    """tny:a:<pulse>.<option>, or tny:v|x:<pulse> (refresh, close)."""
    return buttons.id_action(data, buttons.PULSE, frozenset({"a"}), frozenset({"v", "x"}))


async def pulse_button(turn: Turn) -> None:
    parsed = _parse(turn.data)
    if parsed is None:
        await stale_button(turn)
        return
    action, pulse_id, option = parsed
    if action == "a":
        await _answer(turn, pulse_id, option)
    else:
        await _staff_press(turn, action, pulse_id)


async def _answer(turn: Turn, pulse_id: int, option: int | None) -> bool:
    """Record a participant's answer (a press, or a poll answer); update the live view."""
    services = turn.services
    async with services.db.begin() as session:
        if (member := await turn.member(session)) is None:
            return False
        participant, lang = member
        try:
            pulse = await rules.answer(session, participant, pulse_id, option, services.clock())
        except InvalidInput as exc:
            if turn.press is not None:
                await turn.answer_button(plain(turn, lang, str(exc)), alert=True)
            else:
                await turn.reply(text(turn, lang, str(exc)))
            return False
        body, rows = None, None
        if turn.press is not None and option is not None:
            chosen = rules.options_of(pulse)[option]
            message = question_message(turn, lang, turn.channel.capabilities, pulse)
            body = message.text + "\n\n" + text(turn, lang, "pulse.your_answer", answer=chosen)
            rows = message.rows
    if turn.press is not None:
        await turn.answer_button(plain(turn, lang, "button.saved"))
        if body is not None:
            await turn.edit_or_reply(body, rows)
    await _refresh_live(turn, pulse_id)
    return True


async def _refresh_live(context: HasServices, pulse_id: int) -> None:
    """Edit the facilitator's live view, at most once each `VIEW_EVERY`."""
    services = context.services
    async with services.db.begin() as session:
        now = services.clock()
        # At most once each VIEW_EVERY; but the last answer awaited is always shown.
        claimed = await rules.claim_view(session, pulse_id, now) or (
            not await rules.awaited(session, pulse_id)
            and await rules.claim_view(session, pulse_id, now, force=True)
        )
        if not claimed:
            return
        pulse = await session.get(Pulse, pulse_id)
        assert pulse is not None and pulse.view_message is not None
        ref = MessageRef(Address(pulse.view_channel or "", pulse.view_chat or ""),
                         pulse.view_message)  # fmt: skip
        lang = pulse.view_lang or services.settings.aksi_default_language
        body, rows = view(context, lang, pulse, await rules.tally(session, pulse))
    channel = services.channels.get(ref.address.channel)
    if channel is not None:
        await channel.edit(ref, Outbound(body, rows))


async def pulse_poll_answer(turn: Turn) -> bool:
    """A poll answer to a pulse's poll (no options: taken back). False when the poll is not a
    pulse's."""
    inbound = turn.inbound
    assert isinstance(inbound, PollAnswer)
    why = None
    async with turn.services.db() as session:
        row = await rules.row_of_poll(session, inbound.poll_id)
        if row is None:
            return False
        own = (await turn.identify(session)).participant
        if own is None or own.id != row.participant_id:
            why = await poll_refusal(session, own, row.participant_id)
    if why is not None:
        log.info("a pulse poll answered by someone it was not sent to: %s", inbound.poll_id)
        await turn.reply(text(turn, turn.lang, why))
        return True
    option = inbound.options[0] if inbound.options else None
    await _answer(turn, row.pulse_id, option)
    return True


async def _staff_press(turn: Turn, action: str, pulse_id: int) -> None:
    services = turn.services
    rows_to_close: list[PulseAnswer] = []
    async with services.db.begin() as session:
        lang = (await turn.identify(session)).lang
        pulse = await rules.managed_pulse(session, turn.person_id, turn.is_admin, pulse_id)
        if pulse is None:
            await turn.answer_button(plain(turn, lang, "staff.only"), alert=True)
            return
        if action == "x" and pulse.closed_at is None:
            pulse.closed_at = services.clock()
            await session.flush()
            rows_to_close = await rules.sent_rows(session, pulse.id)
        body, rows = view(turn, lang, pulse, await rules.tally(session, pulse))
    await turn.answer_button()
    await turn.edit_or_reply(body, rows)
    if rows_to_close:
        await _close_everywhere(turn, rows_to_close)


async def _close_everywhere(context: HasServices, rows: list[PulseAnswer]) -> None:
    """Stop each participant's poll, or take the buttons off their question, at the pacer's
    bulk pace."""
    services = context.services

    async def close(row: PulseAnswer) -> None:
        assert row.channel is not None and row.chat is not None and row.message is not None
        ref = MessageRef(Address(row.channel, row.chat), row.message)
        channel = services.bulk_channels.get(row.channel) or services.channels.get(row.channel)
        if channel is None:
            return
        await services.pacer.bulk(chat_key(ref.address))
        if row.poll_id:
            await channel.stop_poll(ref)
        else:
            await channel.drop_actions(ref)

    await asyncio.gather(*(close(r) for r in rows))
