"""The repeating jobs — reminders (with session reminders, morning summaries and evening
follow-ups), the facilitators' and mentors' digests and the follow-up after the course — on
APScheduler's terms, for any channel.

`aksi run` schedules them on PTB's JobQueue (APScheduler underneath, `bot.runner`); a process
without PTB (the local chat on the in-memory channel) schedules the same jobs on APScheduler's
own asyncio scheduler (`start_jobs`). The jobs themselves (`scheduler/`) know no channel."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.services import HasServices, Services
from handlers.evaluation_results import evaluation_tick
from handlers.follow_up import compose as compose_follow_up
from handlers.quizzes import advance_timed_out
from handlers.reminders import MESSAGES
from scheduler.digest_job import run_digest_tick
from scheduler.follow_up import run_follow_up_tick
from scheduler.mentor_digest import run_mentor_digest_tick
from scheduler.reminder_job import reminder_job

log = logging.getLogger("aksi.jobs")

Job = Callable[[HasServices], Coroutine[Any, Any, None]]


async def digest_job(context: HasServices) -> None:
    """The facilitators' daily digest (`scheduler.digest_job`), the mentors' weekly one
    (`scheduler.mentor_digest`), the follow-up after the course (`scheduler.follow_up`) and
    the trainer evaluations opened after their sessions and their one reminder
    (`handlers.evaluation_results`), at the services' clock: one failing does not keep the others
    from running."""
    try:
        await run_digest_tick(context.services, context.services.clock())
    finally:
        try:
            await run_mentor_digest_tick(context.services, context.services.clock())
        finally:
            try:
                await run_follow_up_tick(context, context.services.clock(), compose_follow_up)
            finally:
                await evaluation_tick(context)


def counted(name: str, job: Job) -> Job:
    """`job`, counting each tick that finished (however it ended) in `Services.ticks`; run
    only by the worker that leads."""

    async def tick(context: HasServices) -> None:
        if not context.services.leads():  # another worker sends them (storage.leadership)
            return
        try:
            await job(context)
        finally:
            context.services.ticks[name] += 1

    return tick


async def quiz_job(context: HasServices) -> None:
    await advance_timed_out(context)


# A timed quiz question that ran out is followed by the next one within this long (plus the
# quiz's grace), not at the next minute: the participant is waiting for it.
QUIZ_TICK_SECONDS = 5.0


def jobs() -> dict[str, Job]:
    """Each repeating job by name, each taking something that carries the services: the
    reminders, the digests (and the rest of `digest_job`), and the next question for whoever
    let a timed quiz question run out (`handlers.quizzes`)."""
    named: dict[str, Job] = {
        "reminders": reminder_job(MESSAGES),
        "digests": digest_job,
        "quizzes": quiz_job,
    }
    return {name: counted(name, job) for name, job in named.items()}


def interval_of(name: str, interval: float) -> float:
    """Seconds between two runs of job `name` when the ticks are `interval` apart (the quiz
    job more often; the tests' short intervals stay as they are)."""
    return min(interval, QUIZ_TICK_SECONDS) if name == "quizzes" else interval


def job_terms(interval: float) -> dict[str, Any]:
    """APScheduler's default grace is 1 s: a busy loop would silently skip ticks. A tick late
    by up to its interval still runs; overlapping ones are coalesced into one."""
    return {"misfire_grace_time": max(1, int(interval)), "coalesce": True, "max_instances": 1}


def first_delay(interval: float) -> float:
    """Seconds to the next whole interval (on the minute, for 60 s ticks)."""
    return interval - (time.time() % interval)


@dataclass(frozen=True)
class JobContext:
    services: Services


def start_jobs(services: Services, interval: float) -> AsyncIOScheduler | None:
    """Run every repeating job each `interval` seconds on APScheduler's asyncio scheduler
    (None when `interval` is 0: the jobs are off). Stop it with `shutdown(wait=False)`."""
    if not interval:
        log.info("reminders are off (AKSI_REMINDER_TICK_SECONDS=0)")
        return None
    scheduler = AsyncIOScheduler(timezone=UTC)
    first = datetime.now(UTC) + timedelta(seconds=first_delay(interval))
    for name, job in jobs().items():
        every = interval_of(name, interval)
        scheduler.add_job(
            job,
            "interval",
            seconds=every,
            next_run_time=first,
            args=[JobContext(services)],
            name=name,
            **job_terms(every),
        )
    scheduler.start()
    return scheduler
