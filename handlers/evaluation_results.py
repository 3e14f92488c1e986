"""Evaluations, the facilitator's side (`core.evaluations`; the participant's is
`handlers.evaluations`). /hasilevaluasi (/evalresults): the cohort's forms with how many have
finished, a new one opened (of a held session's trainer, or of the organisation, or imported)
and sent to every participant, results per item — never who answered what, nothing under five
answers — and who has not finished; a form closed. The job that opens trainer evaluations
after their sessions and reminds once (`evaluation_tick`). The evaluation buttons of both
sides are routed here."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons, evaluation_files
from core import evaluations as rules
from core.channel import Action, Outbound, Rows
from core.confirmations import Taken
from core.errors import InvalidInput
from core.i18n import escape
from core.numbers import number, percent
from core.participants import cohort_members
from core.pictures import Bar, completion_png
from core.staff import can_manage
from core.timefmt import local
from handlers import confirm
from handlers.common import Answer, plain, shorten, text
from handlers.evaluations import evaluation_button_row as _button
from handlers.evaluations import form_name, participant_press
from handlers.mentoring import name_of, tell_all
from handlers.refusals import stale_button
from handlers.staff import staff_view
from handlers.turn import HasServices, Turn
from storage.evaluations import EvaluationForm, EvaluationTemplate
from storage.models import Cohort, Session

RECENT = timedelta(days=14)  # held sessions offered for a trainer's evaluation


def _parse(data: str | None) -> tuple[str, int, int | None] | None:
    """evl:a:<item>.<value>, evl:new:t|o|c.<id> (1: a session's trainer, 2: the organisation,
    3: a form imported for the cohort), or evl:go|skip|res|close:<id>."""
    found = buttons.action_of(data, buttons.EVALUATION)
    if found is not None and found[0] == "new":
        kind, _, arg = found[1].partition(".")
        number_ = buttons.parse_id(arg)
        code = {"t": 1, "o": 2, "c": 3}.get(kind)
        return ("new", code, number_) if code is not None and number_ is not None else None
    return buttons.id_action(
        data, buttons.EVALUATION, frozenset({"a"}), frozenset({"go", "skip", "res", "close"})
    )


async def evaluation_button(turn: Turn) -> None:
    parsed = _parse(turn.data)
    if parsed is None:
        await stale_button(turn)
        return
    action, first, second = parsed
    if action in ("res", "close", "new"):
        await _staff_press(turn, action, first, second)
    else:
        await participant_press(turn, action, first, second)


# Buttons under /hasilevaluasi at most (Telegram takes 100; a phone shows far fewer well): the
# open forms and the new ones always, then the newest closed forms' results.
MAX_BUTTONS = 40


async def _overview(
    session: AsyncSession, context: HasServices, lang: str, cohort: Cohort
) -> tuple[str, Rows]:
    members = await cohort_members(session, cohort.id)
    lines = [text(context, lang, "evaluation.staff_header", code=cohort.code)]
    rows: list[list[Action]] = []  # the open forms' (to close) and new forms' buttons
    results: list[list[Action]] = []  # the closed forms', newest first
    forms = await rules.forms_of(session, cohort.id)
    for form in forms:
        total = len(await rules.items_of(session, form.id))
        counts = await rules.progress(session, form, [p.id for p in members])
        finished = sum(1 for c in counts.values() if c >= total)
        state = "closed" if form.closed_at else "open"
        missing = [name_of(p) for p in members if counts[p.id] < total]
        lines.append(
            text(
                context,
                lang,
                f"evaluation.form_line_{state}",
                form=form_name(context, lang, form),
                finished=finished,
                members=len(members),
            )
        )
        if missing and form.closed_at is None:  # who to remind: never next to any figures
            lines.append(
                "   "
                + text(context, lang, "evaluation.not_finished", count=len(missing))
                + " "
                + escape(", ".join(missing))
            )
        short = shorten(form_name(context, lang, form), 28)
        # Results only once a form is closed, and closing is final: figures that change while
        # answers come in (or are changed) would tell who answered what.
        action = "res" if form.closed_at else "close"
        key = "evaluation.button_results" if form.closed_at else "evaluation.button_close"
        button = _button(plain(context, lang, key, form=short), action, str(form.id))
        if form.closed_at:
            results.insert(0, button)
        else:
            rows.append(button)
    if not forms:
        lines.append(text(context, lang, "evaluation.no_forms"))
    now = context.services.clock()
    evaluated = {f.session_id for f in forms if f.session_id is not None}
    to_open = [s for s in await _recent_sessions(session, cohort, now) if s.id not in evaluated]
    for s, title in zip(to_open, _told_apart(to_open, cohort.timezone), strict=True):
        label = plain(context, lang, "evaluation.button_new_trainer", title=title)
        rows.append(_button(label, "new", f"t.{s.id}"))
    opened = {f.title for f in forms if f.kind == "custom"}
    for imported in await evaluation_files.templates_of(session, cohort.id):
        if imported.title not in opened:
            label = plain(
                context, lang, "evaluation.button_new_imported", title=shorten(imported.title, 30)
            )
            rows.append(_button(label, "new", f"c.{imported.id}"))
    if not any(f.kind == "organisation" for f in forms):
        rows.append(
            _button(
                plain(context, lang, "evaluation.button_new_organisation"), "new", f"o.{cohort.id}"
            )
        )
    room = max(0, MAX_BUTTONS - len(rows))
    if len(results) > room:  # a long course: the older results are in the export
        lines.append(text(context, lang, "evaluation.more_results", count=len(results) - room))
    return "\n".join(lines), rows + results[:room]


show_results = staff_view(
    "hasilevaluasi",
    _overview,
    "/hasilevaluasi: the cohort's forms (finished k/n), results, open a new one, close.",
)


def _told_apart(sessions: list[Session], zone: str) -> list[str]:
    """Each session's trainer as its button shows it; two alike (two sessions of one trainer)
    with their day, and two alike still (the same day) with their time too."""
    titles = [shorten(s.speaker or s.title, 30) for s in sessions]
    for form in ("%d/%m", "%d/%m %H.%M"):
        alike = Counter(titles)
        titles = [
            f"{shorten(s.speaker or s.title, 22)} · {local(s.starts_at, zone):{form}}"
            if alike[t] > 1
            else t
            for s, t in zip(sessions, titles, strict=True)
        ]
    return titles


async def _recent_sessions(session: AsyncSession, cohort: Cohort, now: datetime) -> list[Session]:
    """The cohort's sessions started within RECENT before `now` (a trainer to evaluate)."""
    found = await session.scalars(
        select(Session)
        .where(
            Session.cohort_id == cohort.id,
            Session.starts_at <= now,
            Session.starts_at >= now - RECENT,
        )
        .order_by(Session.starts_at)
    )
    return list(found)


async def _staff_press(turn: Turn, action: str, first: int | None, second: int | None) -> None:
    services = turn.services
    answer: Answer = []
    found: list[rules.ItemResult] = []
    form: EvaluationForm | None = None
    async with services.db.begin() as session:
        lang = (await turn.identify(session)).lang
        if action == "new":
            assert first is not None and second is not None
            opened = await _open(session, turn, lang, first, second)
            if opened is None:
                await turn.answer_button(plain(turn, lang, "staff.only"), alert=True)
                return
            answer.append(opened)
        else:
            assert first is not None
            form = await rules.managed_form(session, turn.person_id, turn.is_admin, first)
            if form is None:
                await turn.answer_button(plain(turn, lang, "staff.only"), alert=True)
                return
            cohort = await session.get(Cohort, form.cohort_id)
            assert cohort is not None
            if action == "res" and form.closed_at is None:
                answer.append((text(turn, lang, "evaluation.results_after_close"), None))
            elif action == "res":
                answer.append((await _results(session, turn, lang, form), None))
                found = await rules.results(session, form)
            elif form.closed_at is not None:
                answer.append(await _overview(session, turn, lang, cohort))
            else:  # closing is final: asked first
                keyboard = await confirm.ask(
                    session, turn, turn.person_id, lang, "close_evaluation", {"id": form.id},
                    confirm.yes_no(turn, lang, "evaluation.confirm_close"),
                )  # fmt: skip
                body = text(turn, lang, "evaluation.close_ask", form=form_name(turn, lang, form))
                answer.append((body + "\n\n" + confirm.valid_for(turn, lang), keyboard))
    await turn.answer_button()
    for body, rows in answer:
        await turn.reply(body, rows)
    if found:
        assert form is not None
        picture = await _chart(turn, lang, form, found)
        if picture is not None:
            await turn.send_photo(picture, "evaluasi.png", "")


async def _chart(
    context: HasServices, lang: str, form: EvaluationForm, found: list[rules.ItemResult]
) -> bytes | None:
    """The averages of the items shown, as bars (a share of the scale's top); None when no
    scale item has enough answers."""
    bars: list[Bar] = []
    shares: list[float] = []
    for n, r in enumerate(found, 1):
        if r.average is None or r.item.scale == "text":
            continue
        top = max(rules.SCALES[r.item.scale])
        words = r.item.text_en if lang == "en" else r.item.text_id
        shares.append(r.average / top)
        figure = percent(r.average, lang) if r.item.scale == "yesno" else number(r.average, lang)
        bars.append(Bar(f"{n}. {words} · {figure}", shares[-1]))
    if not bars:
        return None
    return await context.services.renderer.run(
        completion_png,
        bars,
        title=plain(context, lang, "evaluation.chart_title", form=form_name(context, lang, form)),
        subtitle=plain(context, lang, "evaluation.chart_subtitle", min=rules.MIN_ANSWERS),
        average=sum(shares) / len(shares),
        average_label=plain(context, lang, "report.chart_average"),
        no_data="",
        legend={
            k: plain(context, lang, f"evaluation.chart_{k}") for k in ("high", "middle", "low")
        },
    )


async def _open(
    session: AsyncSession, turn: Turn, lang: str, kind_code: int, number_: int
) -> tuple[str, Rows | None] | None:
    """A new form (1: of a session's trainer, `number_` the session; 2: of the organisation,
    `number_` the cohort), sent to every participant of the cohort; None when not theirs."""
    imported = None
    if kind_code == 1:
        held = await session.get(Session, number_)
        cohort = await session.get(Cohort, held.cohort_id) if held is not None else None
    elif kind_code == 3:
        held, imported = None, await session.get(EvaluationTemplate, number_)
        cohort = await session.get(Cohort, imported.cohort_id) if imported is not None else None
    else:
        held, cohort = None, await session.get(Cohort, number_)
    if cohort is None:
        return None
    if not await can_manage(session, turn.person_id, cohort.id, turn.is_admin):
        return None
    catalogs = turn.services.i18n
    try:
        form = await rules.open_form(
            session,
            cohort,
            "trainer" if held is not None else "custom" if imported is not None else "organisation",
            lambda language, key: catalogs.plain(language, key),
            turn.person_id,
            turn.services.clock(),
            held,
            imported,
        )
    except InvalidInput as exc:
        return text(turn, lang, str(exc)), None
    await _invite(session, turn, form, "evaluation.invite")
    return text(turn, lang, "evaluation.opened", form=form_name(turn, lang, form)), None


async def _invite(
    session: AsyncSession,
    context: HasServices,
    form: EvaluationForm,
    key: str,
    only: set[int] | None = None,
) -> int:
    """Send the participants of the form's cohort (`only` those, by id) the text `key` naming it,
    with the button to fill it in: side by side at the bulk pace, once the form is committed.
    How many were sent it."""
    default = context.services.settings.aksi_default_language
    invitations: list[tuple[int, Outbound]] = []
    for p in await cohort_members(session, form.cohort_id):
        if only is not None and p.id not in only:
            continue
        theirs = p.language or default
        name = form_name(context, theirs, form)
        label = plain(context, theirs, "evaluation.button_go", form=shorten(name, 40))
        message = Outbound(
            text(context, theirs, key, form=name), [_button(label, "go", str(form.id))]
        )
        invitations.append((p.person_id, message))
    await tell_all(session, context, invitations, "an evaluation's invitation")
    return len(invitations)


AUTO_WITHIN = timedelta(hours=6)  # a session that ended longer ago is not opened by the job
REMIND_AFTER = timedelta(hours=24)  # the one reminder, this long after a form opened


async def evaluation_tick(context: HasServices) -> None:
    """The minute job's part (`bot.jobs`): in the cohorts that want it, the trainer evaluation
    of each session with a speaker that has just ended, opened and sent to everyone; and the
    one reminder of each form open for REMIND_AFTER, to those who have not finished it. Each
    is written before anything is sent (a form once, `reminded_at` claimed once)."""
    services = context.services
    now = services.clock()
    catalogs = services.i18n
    async with services.db.begin() as session:
        ended = await session.execute(
            select(Session, Cohort)
            .join(Cohort, Cohort.id == Session.cohort_id)
            .where(
                Cohort.evaluation_auto.is_(True),
                Session.speaker.is_not(None),
                Session.ends_at <= now,
                Session.ends_at > now - AUTO_WITHIN,
                ~select(EvaluationForm.id).where(EvaluationForm.session_id == Session.id).exists(),
            )
        )
        for held, cohort in ended.all():
            form = await rules.open_form(
                session, cohort, "trainer", lambda language, key: catalogs.plain(language, key),
                None, now, held,
            )  # fmt: skip
            await _invite(session, context, form, "evaluation.invite")
        due = await session.scalars(
            select(EvaluationForm).where(
                EvaluationForm.closed_at.is_(None),
                EvaluationForm.reminded_at.is_(None),
                EvaluationForm.opened_at <= now - REMIND_AFTER,
            )
        )
        for form in list(due):
            claimed = await session.execute(
                update(EvaluationForm)
                .where(EvaluationForm.id == form.id, EvaluationForm.reminded_at.is_(None))
                .values(reminded_at=now)
            )
            if not getattr(claimed, "rowcount", 0):
                continue
            total = len(await rules.items_of(session, form.id))
            members = await cohort_members(session, form.cohort_id)
            counts = await rules.progress(session, form, [p.id for p in members])
            behind = {pid for pid, n in counts.items() if n < total}
            await _invite(session, context, form, "evaluation.reminder", behind)


async def _results(
    session: AsyncSession, context: HasServices, lang: str, form: EvaluationForm
) -> str:
    """A closed form's results per item (nothing names anyone)."""
    found = await rules.results(session, form)
    lines = [
        text(
            context,
            lang,
            "evaluation.results_header",
            form=form_name(context, lang, form),
            min=rules.MIN_ANSWERS,
        )
    ]
    for n, r in enumerate(found, 1):
        words = r.item.text_en if lang == "en" else r.item.text_id
        if not r.shown:
            lines.append(
                text(context, lang, "evaluation.result_hidden", n=n, item=words, answers=r.answers)
            )
            continue
        if r.item.scale == "text":
            lines.append(
                text(context, lang, "evaluation.result_texts", n=n, item=words, answers=r.answers)
            )
            lines += [f"   • {escape(t)}" for t in r.texts]
            continue
        spread = rules.spread(
            r.item.scale,
            r.distribution,
            plain(context, lang, "evaluation.yes"),
            plain(context, lang, "evaluation.no"),
        )
        yesno = r.item.scale == "yesno"  # the share who said yes, not an average of 1 and 0
        lines.append(
            text(
                context,
                lang,
                "evaluation.result_yesno" if yesno else "evaluation.result_line",
                n=n,
                item=words,
                answers=r.answers,
                average=percent(r.average or 0, lang) if yesno else number(r.average or 0, lang),
                spread=spread,
            )
        )
    return "\n".join(lines)


@confirm.action("close_evaluation", again="evaluation.again")
async def close_confirmed(
    session: AsyncSession, turn: Turn, taken: Taken, choice: str
) -> confirm.Done:
    """The answer to "close this evaluation?": closed for good and its results shown, or kept
    open."""
    return await confirm.close_for_good(
        session, turn, taken, choice, rules.managed_form, "evaluation.kept_open", _results
    )
