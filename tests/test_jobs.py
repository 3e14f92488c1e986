"""The repeating jobs' wiring (bot.jobs): each tick counted, however it ended, so that health
checks and tests know a tick has passed without guessing from the clock."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest

from bot.jobs import QUIZ_TICK_SECONDS, counted, interval_of, job_terms, jobs


@dataclass
class FakeServices:
    ticks: Counter[str] = field(default_factory=Counter)
    leading: bool = True

    def leads(self) -> bool:
        return self.leading


@dataclass
class FakeContext:
    services: FakeServices = field(default_factory=FakeServices)


async def test_a_tick_is_counted_when_it_ends_well_or_badly() -> None:
    context = FakeContext()
    ran: list[str] = []

    async def fine(_: object) -> None:
        ran.append("fine")

    async def broken(_: object) -> None:
        ran.append("broken")
        raise RuntimeError("the database went away")

    await counted("reminders", fine)(context)
    await counted("reminders", fine)(context)
    with pytest.raises(RuntimeError):
        await counted("digests", broken)(context)
    assert ran == ["fine", "fine", "broken"]
    assert context.services.ticks == Counter({"reminders": 2, "digests": 1})


async def test_only_the_leading_worker_runs_the_jobs() -> None:
    """Another worker leads (storage.leadership): its ticks send the reminders, not this one's."""
    context = FakeContext(FakeServices(leading=False))
    ran: list[str] = []

    async def job(_: object) -> None:
        ran.append("ran")

    await counted("reminders", job)(context)
    assert ran == [] and context.services.ticks == Counter()
    context.services.leading = True
    await counted("reminders", job)(context)
    assert ran == ["ran"] and context.services.ticks == Counter({"reminders": 1})


def test_every_job_is_counted_under_its_name() -> None:
    named = jobs()
    assert set(named) == {"reminders", "digests", "quizzes"}
    assert all(job.__qualname__.startswith("counted.") for job in named.values())


def test_a_run_out_quiz_question_is_followed_within_seconds_not_at_the_next_minute() -> None:
    assert [interval_of(name, 60) for name in ("reminders", "digests", "quizzes")] == [
        60, 60, QUIZ_TICK_SECONDS,
    ]  # fmt: skip
    assert QUIZ_TICK_SECONDS <= 5
    assert interval_of("quizzes", 0.5) == 0.5  # a test's short ticks stay short


def test_a_late_tick_still_runs_and_never_twice_at_once() -> None:
    assert job_terms(60) == {"misfire_grace_time": 60, "coalesce": True, "max_instances": 1}
    assert job_terms(0.5)["misfire_grace_time"] == 1
