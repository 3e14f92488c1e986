"""/progres (/progress): streaks, completion and strength per habit, and a heatmap picture."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from core import checkins
from core.approvals import status_of
from core.attendance import tallies as attendance_tallies
from core.checkins import HabitProgress
from core.follow_up import counted_until
from core.i18n import Html
from core.milestones import milestones_of, tally
from core.numbers import percent
from core.pictures import heatmap_png
from core.plans import HabitDraft, load_plan
from core.progress_figure import heatmap_figure, streak_words
from handlers.approvals import status_line
from handlers.attendance import own_line
from handlers.checkin_view import today_of
from handlers.common import plain, text
from handlers.follow_up import progress_line
from handlers.plan_words import describe_habit
from handlers.turn import HasServices, NotSent, Turn
from storage.mentoring import Milestone
from storage.models import Participant

log = logging.getLogger(__name__)
LEGEND_KEYS = ("done", "partial", "missed", "skipped", "off", "before", "open", "today")


def streak_length(context: HasServices, lang: str, item: HabitProgress, length: int) -> str:
    """A streak's length: "1 day", "5 days"; "2 weeks" for a habit of N times a week."""
    return streak_words(_label(context, lang), item, length)


def milestone_line(
    context: HasServices, lang: str, milestones: list[Milestone], today: date
) -> str | None:
    """The milestones in one line (None: none written), the late ones named."""
    if not milestones:
        return None
    counts = tally(milestones, today)
    if not counts.overdue:
        return text(context, lang, "milestone.progress", done=counts.done, total=counts.total)
    return text(
        context,
        lang,
        "milestone.progress_overdue",
        done=counts.done,
        total=counts.total,
        overdue=counts.overdue,
        titles="; ".join(counts.overdue_titles),
    )


def render_summary(context: HasServices, lang: str, title: str, items: list[HabitProgress]) -> str:
    blocks = [text(context, lang, "progress.header", title=title)]
    for i, item in enumerate(items, 1):
        h, stats = item.habit, item.stats
        described = describe_habit(
            context, lang, HabitDraft(h.id, h.name, h.kind, h.unit, h.target, h.schedule)
        )
        blocks.append(
            text(
                context,
                lang,
                "progress.habit",
                n=i,
                habit=Html(described),
                streak=streak_length(context, lang, item, stats.current_streak),
                best=streak_length(context, lang, item, stats.best_streak),
                c7=percent(stats.completion_7, lang),
                c30=percent(stats.completion_30, lang),
                call=percent(stats.completion_all, lang),
                strength=percent(stats.strength, lang),
            )
        )
    blocks.append(text(context, lang, "progress.footer"))
    return "\n\n".join(blocks)


async def heatmap_picture(
    context: HasServices,
    lang: str,
    participant: Participant,
    items: list[HabitProgress],
    today: date,
) -> tuple[bytes, str]:
    """The heatmap PNG (drawn by `services.renderer`, off the event loop) and its caption.
    A cohort longer than `RECENT_WEEKS` weeks is drawn as its last weeks up to today (see
    `shown_period`), said under the title and in the caption: the summary's figures still
    count the whole period, and /dataku has every day."""
    cohort = participant.cohort
    # Alumni's check-ins go on after the last day (core.follow_up): drawn till today.
    figure = heatmap_figure(
        _label(context, lang), lang, cohort.name, items, cohort.starts_on,
        max(cohort.ends_on, today), today,
    )  # fmt: skip
    caption = (
        text(context, lang, "progress.caption_recent", span=figure.recent)
        if figure.recent
        else text(context, lang, "progress.caption")
    )
    png = await context.services.renderer.run(
        heatmap_png,
        figure.rows,
        start=figure.start,
        end=figure.end,
        today=today,
        title=figure.title,
        labels=figure.labels,
        lang=lang,
        note=figure.note,
    )
    return png, caption


def _label(context: HasServices, lang: str) -> Callable[..., str]:
    def label(key: str, /, **values: object) -> str:
        return plain(context, lang, key, **values)

    return label


async def show_progress(turn: Turn) -> None:
    """/progres: per habit the streaks, completion (7 days, 30 days, since the start) and
    strength, then a calendar heatmap of the cohort period (its last weeks when long) as a
    picture."""
    async with turn.services.db() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:
            await turn.ask_for_code(reader.lang)
            return
        # After the training (and, for alumni, its follow-up) has ended, its last day is the
        # last one counted: days after it would all look missed (core.follow_up).
        local_today = today_of(turn, participant)
        today = counted_until(participant, local_today)
        items = await checkins.progress(session, participant, today)
        plan = await load_plan(session, participant.id)
        plan_title = plan.title if plan is not None else participant.cohort.name
        approval = status_line(
            turn, reader.lang, participant, await status_of(session, participant.id)
        )
        steps = milestone_line(
            turn,
            reader.lang,
            await milestones_of(session, participant.id),
            local_today,
        )
        alumni = progress_line(turn, reader.lang, participant, local_today)
        tally = await attendance_tallies(
            session, participant.cohort, [participant], turn.services.clock()
        )
        present = own_line(turn, reader.lang, tally[participant.id])
    lang = reader.lang
    if not items:  # no plan yet: the sessions attended still show
        await turn.reply(
            text(turn, lang, "checkin.no_plan") + (f"\n\n{present}" if present else "")
        )
        return
    summary = render_summary(turn, lang, plan_title, items)
    extra = "".join("\n\n" + line for line in (steps, approval, present, alumni) if line)
    await turn.reply(summary + extra)
    try:
        png, caption = await heatmap_picture(turn, lang, participant, items, today)
        await turn.send_photo(png, plain(turn, lang, "file.progress"), caption)
    except Exception as exc:  # the picture is a bonus: the summary above already went out
        log.warning(
            "could not send the progress picture: %s",
            exc,
            exc_info=not isinstance(exc, NotSent),
        )
        await turn.reply(text(turn, lang, "progress.no_picture"))
