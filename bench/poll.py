"""Answers arriving at once: 2,000 participants take a quiz and a 10-item evaluation.

Runs the real `aksi run` process against the Bot API stand-in at a round trip of RTT_MS ±
JITTER_MS. Set-up (not timed): a fresh SQLite file with a cohort (BENCH, WITA) of PARTICIPANTS
participants, a 5-question pre-test opened (asked as Telegram's own quiz polls) and the trainer
evaluation of yesterday's session opened (nine 1–5 items and a free text, answered with
buttons). Each participant starts within the first SPREAD_S seconds and goes as a person does,
waiting for each answer before the next: /kuis, Start, five poll answers (each bringing the
next poll, then the score), /evaluasi, Fill in, nine presses of a value and Skip (each
answered by the item's message edited in place). Meanwhile CHATTERS other participants type
/jadwal every 5-15 s and the time to the answer is measured.

Telegram's own limits (30 messages a second) are off here, and the bot's pacer set to its
highest: on Telegram, 2,000 people answering 15 questions each cannot get 30,000 answers back
within a minute at 30 a second, so this measures what Aksi itself can record and answer; the
round trip is on. Measured: answers recorded a second (from the first answer sent to the last
answered), lost (an answer sent and not in the database), duplicated (a question asked of a
person twice), each answer's time to its reply (p50, p95) and the chatters' p95.
Also the bot's CPU an answer (all it did during the run over the answers sent) and how busy
its one core was: what more workers (several `aksi serve` on PostgreSQL) would spread.
Last line: `answers_per_s=… lost=… duplicated=… p95_answer_ms=… p95_command_ms=…
bot_cpu_ms_per_answer=…`.
Usage: .venv/bin/python bench/poll.py [PARTICIPANTS]   (BENCH_RTT_MS, BENCH_JITTER_MS)
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.common import (  # noqa: E402
    bench_cohort,
    chatter,
    cpu_seconds,
    percentile,
    start_aksi,
    stop_process,
    telegram_person,
)
from bot.standin import BotApiStandIn, Outgoing  # noqa: E402
from core import evaluations, quiz_files  # noqa: E402
from core.i18n import Catalogs  # noqa: E402
from storage.db import create_engine, sessionmaker  # noqa: E402
from storage.evaluations import EvaluationAnswer  # noqa: E402
from storage.models import Participant, Session  # noqa: E402
from storage.quizzes import QuizAnswer  # noqa: E402

PARTICIPANTS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
QUESTIONS = 5
ITEMS = 10  # the trainer evaluation: nine 1–5 items and a free text (skipped)
CHATTERS = 20
CHAT_EVERY = (5.0, 15.0)
SPREAD_S = 30.0  # participants start within this long: all have answered within the minute
RTT_MS = float(os.environ.get("BENCH_RTT_MS", "150"))
JITTER_MS = float(os.environ.get("BENCH_JITTER_MS", "50"))
FIRST_USER = 400_000
USERS = range(FIRST_USER, FIRST_USER + PARTICIPANTS)
CHAT_USERS = range(FIRST_USER + PARTICIPANTS, FIRST_USER + PARTICIPANTS + CHATTERS)
ZONE = "Asia/Makassar"
STEP_TIMEOUT_S = 120.0

QUIZ = "\n".join(
    ["soal,a,b,c,d,jawaban"]
    + [f"Soal nomor {n}?,Pilihan satu,Pilihan dua,Pilihan tiga,Pilihan empat,A" for n in
       range(1, QUESTIONS + 1)]
).encode()  # fmt: skip


async def build_database(path: Path) -> None:
    now = datetime.now(UTC)
    today = now.date()
    catalogs = Catalogs()
    async with bench_cohort(
        path,
        name="Angkatan Benchmark",
        timezone=ZONE,
        starts=today - timedelta(days=7),
        ends=today + timedelta(days=40),
    ) as (session, cohort):
        for uid in [*USERS, *CHAT_USERS]:
            session.add(
                Participant(
                    cohort=cohort,
                    person_id=await telegram_person(session, uid),
                    first_name=f"P{uid}",
                    full_name=f"Peserta {uid}",
                    unit="OPD Uji",
                    language="id",
                    joined_at=now - timedelta(days=7),
                )
            )
        held = Session(
            cohort=cohort, starts_at=now - timedelta(days=1), ends_at=now - timedelta(hours=20),
            title="Nilai-nilai ASN BerAKHLAK", speaker="Dr. Widya Sari",
        )  # fmt: skip
        session.add(held)
        await session.flush()
        quiz = await quiz_files.import_quiz(session, cohort.id, "pre", "Benchmark", None, QUIZ, now)
        quiz.opened_at = now
        await evaluations.open_form(
            session, cohort, "trainer", lambda lang, key: catalogs.plain(lang, key), None, now,
            held,
        )  # fmt: skip


@dataclass
class Watch:
    """The bot's messages by chat: each step of a participant waits for the next one."""

    waiting: dict[int, asyncio.Future[Outgoing]] = field(default_factory=dict)
    chat_waiting: dict[int, asyncio.Future[float]] = field(default_factory=dict)
    polls: Counter[tuple[int, str]] = field(default_factory=Counter)

    def __call__(self, record: Outgoing) -> None:
        chat = record.chat_id
        if chat is None or record.method not in ("sendMessage", "sendPoll", "editMessageText"):
            return
        if record.method == "sendPoll":
            self.polls[(chat, (record.text or "").split(".", 1)[0])] += 1
        if chat in self.chat_waiting:
            answered = self.chat_waiting.pop(chat)
            if not answered.done():
                answered.set_result(time.time())
            return
        future = self.waiting.pop(chat, None)
        if future is not None and not future.done():
            future.set_result(record)


@dataclass
class Person:
    standin: BotApiStandIn
    watch: Watch
    uid: int
    answer_ms: list[float]
    answers_sent: int = 0
    first: float | None = None
    last: float = 0.0

    async def step(self, push: Any, counted: bool = False) -> Outgoing:
        future: asyncio.Future[Outgoing] = asyncio.get_running_loop().create_future()
        self.watch.waiting[self.uid] = future
        sent = time.time()
        push()
        record = await asyncio.wait_for(future, STEP_TIMEOUT_S)
        if counted:
            self.answers_sent += 1
            self.first = self.first or sent
            self.last = time.time()
            self.answer_ms.append((self.last - sent) * 1000)
        return record

    def press(self, record: Outgoing, label: str) -> Any:
        rows = (record.reply_markup or {}).get("inline_keyboard") or []
        [data] = [b["callback_data"] for row in rows for b in row if label in b["text"]]
        message_id = record.message_id
        assert message_id is not None
        return lambda: self.standin.push_callback(self.uid, message_id, data)

    async def run(self, start_at: float) -> None:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        standin, uid = self.standin, self.uid
        shown = await self.step(lambda: standin.push_message(uid, "/kuis"))
        shown = await self.step(self.press(shown, "Mulai"))
        rng = random.Random(uid)
        for _ in range(QUESTIONS):
            assert shown.method == "sendPoll" and shown.message_id is not None
            message = standin.message(uid, shown.message_id)
            assert message is not None
            poll_id = message.json["poll"]["id"]
            choice = [rng.randrange(4)]
            shown = await self.step(
                lambda p=poll_id, c=choice: standin.push_poll_answer(uid, p, c), counted=True
            )
        shown = await self.step(lambda: standin.push_message(uid, "/evaluasi"))
        shown = await self.step(self.press(shown, "Isi"))
        for _ in range(ITEMS - 1):
            value = str(rng.randint(3, 5))
            shown = await self.step(self.press(shown, value), counted=True)
        await self.step(self.press(shown, "Lewati"), counted=True)


async def recorded(db: Path) -> tuple[int, int]:
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    try:
        async with sessionmaker(engine)() as session:
            quiz = await session.scalar(
                select(func.count())
                .select_from(QuizAnswer)
                .where(QuizAnswer.answered_at.is_not(None))
            )
            items = await session.scalar(select(func.count()).select_from(EvaluationAnswer))
            return int(quiz or 0), int(items or 0)
    finally:
        await engine.dispose()


async def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="aksi-bench-poll-"))
    db = workdir / "aksi.db"
    await build_database(db)
    gc.collect()
    gc.freeze()
    log_path = workdir / "aksi.log"
    async with BotApiStandIn() as standin:
        standin.network(RTT_MS, JITTER_MS, seed=1)
        print(f"participants={PARTICIPANTS} questions={QUESTIONS} items={ITEMS} "
              f"chatters={CHATTERS}")  # fmt: skip
        print(f"network: {standin.network_settings}; Telegram's 30/s limit off (see the top)")
        watch = Watch()
        standin.add_listener(watch)
        answer_ms: list[float] = []
        people = [Person(standin, watch, uid, answer_ms) for uid in USERS]
        with log_path.open("wb") as log:
            process = await start_aksi(
                standin, db, log, AKSI_MAX_MESSAGES_PER_SECOND="1000",
                AKSI_NETWORK_JITTER_MS=str(JITTER_MS), AKSI_REMINDER_TICK_SECONDS="0",
            )  # fmt: skip
            try:
                began = time.time()
                bot_cpu, own_cpu = cpu_seconds(process.pid), time.process_time()
                rng = random.Random(11)
                done = asyncio.Event()
                latencies: list[float] = []
                chatters = [
                    asyncio.create_task(
                        chatter(standin, watch.chat_waiting, uid, done, latencies, CHAT_EVERY,
                                time.time)
                    )
                    for uid in CHAT_USERS
                ]  # fmt: skip
                results = await asyncio.gather(
                    *(p.run(began + rng.uniform(0, SPREAD_S)) for p in people),
                    return_exceptions=True,
                )
                finished = time.time()
                bot_cpu = cpu_seconds(process.pid) - bot_cpu
                own_cpu = time.process_time() - own_cpu
                await asyncio.sleep(2.0)  # any duplicate on its way
                done.set()
                await asyncio.gather(*chatters)
            except Exception:
                print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
                raise
            finally:
                await stop_process(process, timeout=30)
    failures = [r for r in results if isinstance(r, BaseException)]
    for failure in failures[:3]:
        print(f"a participant stopped: {failure!r}", file=sys.stderr)
    quiz_rows, item_rows = await recorded(db)
    sent = sum(p.answers_sent for p in people)
    expected = PARTICIPANTS * (QUESTIONS + ITEMS)
    lost = expected - (quiz_rows + item_rows)
    duplicated = sum(n - 1 for n in watch.polls.values() if n > 1)
    first = min(p.first for p in people if p.first is not None)
    last = max(p.last for p in people)
    rate = (quiz_rows + item_rows) / (last - first)
    p95_answer = percentile(answer_ms, 95)
    p95_command = percentile(latencies, 95)
    print(f"answers: {sent} sent and answered, {quiz_rows} quiz + {item_rows} evaluation "
          f"recorded of {expected}; {len(failures)} participants did not finish")  # fmt: skip
    print(f"  {rate:.0f} answers/s from the first answer to the last reply "
          f"({last - first:.1f} s; all done {finished - began:.1f} s after the start)")  # fmt: skip
    print(f"  an answer's reply: p50 {percentile(answer_ms, 50):.0f} ms, "
          f"p95 {p95_answer:.0f} ms")  # fmt: skip
    took = finished - began
    print(f"  the bot's CPU: {bot_cpu * 1000 / max(sent, 1):.1f} ms an answer (everything it did "
          f"over the run, shared out), one core {bot_cpu / took:.0%} busy; the stand-in and the "
          f"{PARTICIPANTS} phones in this process: {own_cpu / took:.0%} of a core")  # fmt: skip
    print(f"chatters: {len(latencies)} commands, p50 {percentile(latencies, 50):.0f} ms, "
          f"p95 {p95_command:.0f} ms")  # fmt: skip
    print(
        f"answers_per_s={rate:.0f} lost={lost} duplicated={duplicated} "
        f"p95_answer_ms={p95_answer:.0f} p95_command_ms={p95_command:.0f} "
        f"bot_cpu_ms_per_answer={bot_cpu * 1000 / max(sent, 1):.1f}"
    )
    return 0 if lost == 0 and duplicated == 0 and not failures else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main()))
