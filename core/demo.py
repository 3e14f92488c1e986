"""The demo cohort of the local chat: the shipped example files, shifted to run this week."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import evaluations, mentors, quiz_files, quizzes
from core.approvals import submit
from core.channel import Address
from core.cohorts import find_cohort
from core.contacts import person_for
from core.habits import Kind, Schedule, Status
from core.imports import apply_materials, apply_schedule, parse_materials, parse_schedule
from core.roster import new_token
from storage.evaluations import EvaluationAnswer
from storage.models import (
    ActionPlan,
    CheckIn,
    Cohort,
    Habit,
    Participant,
    RosterEntry,
    Session,
)
from storage.quizzes import QuizAnswer
from storage.training import Attendance

DEMO_DIR = Path(__file__).resolve().parent.parent / "bot" / "demo"
DEMO_CODE = "DEMO"
DEMO_NAME = "Pelatihan Revolusi Mental Angkatan I (demo)"
DEMO_TIMEZONE = "Asia/Makassar"
# The real cohort ran from Thursday 2 September to Monday 25 October 2021 in Bontang (WITA).
SOURCE_STARTS = date(2021, 9, 2)
SOURCE_ENDS = date(2021, 10, 25)


def demo_shift(today: date) -> timedelta:
    """Whole weeks (weekdays stay right) that put `today` in the cohort's second week."""
    source_monday = SOURCE_STARTS - timedelta(days=SOURCE_STARTS.weekday())
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - source_monday - timedelta(weeks=1)


async def ensure_demo_cohort(session: AsyncSession, today: date) -> Cohort:
    """Create or refresh the demo cohort so that its sessions surround `today`."""
    shift = demo_shift(today)
    source = Cohort(
        code=DEMO_CODE,
        name=DEMO_NAME,
        timezone=DEMO_TIMEZONE,
        starts_on=SOURCE_STARTS,
        ends_on=SOURCE_ENDS,
    )
    sessions = parse_schedule((DEMO_DIR / "schedule.csv").read_bytes(), source)
    materials = parse_materials((DEMO_DIR / "materials.csv").read_bytes())
    cohort = await find_cohort(session, DEMO_CODE)
    if cohort is None:
        cohort = source
        session.add(cohort)
    cohort.starts_on, cohort.ends_on = SOURCE_STARTS + shift, SOURCE_ENDS + shift
    await session.flush()
    shifted = [
        dataclasses.replace(s, starts_at=s.starts_at + shift, ends_at=s.ends_at + shift)
        for s in sessions
    ]
    await apply_schedule(session, cohort, shifted, replace=True)
    await apply_materials(session, cohort, materials, replace=True)
    return cohort


# A made-up roster for the demo cohort: eight have joined and keep (or not) their habits, four
# have not joined yet, so a facilitator trying the local chat sees a cohort with some life.
DEMO_PEOPLE = [
    ("Dra. Sri Wahyuni, M.Si.", "Dinas Kesehatan", "Minum air 8 gelas", 0.9),
    (
        "Andi Pratama, S.Kom.",
        "Dinas Komunikasi dan Informatika",
        "Membalas surat hari itu juga",
        0.75,
    ),
    ("Rina Marlina, S.E.", "Badan Keuangan Daerah", "Apel pagi tepat waktu", 0.6),
    ("Yohanes Kristianto, S.T.", "Dinas Pekerjaan Umum", "Menyapa warga di loket", 0.85),
    ("Nur Aisyah, S.Pd.", "Dinas Pendidikan", "Membaca 10 menit", 0.4),
    ("Bambang Sutrisno, S.Sos.", "Kecamatan Bontang Utara", "Membuang sampah pada tempatnya", 0.7),
    ("Fitri Handayani, A.Md.", "RSUD Taman Husada", "Tersenyum melayani pasien", 0.95),
    ("Dedi Kurniawan, S.H.", "Bagian Hukum Setda", "Datang sebelum pukul 07.30", 0.2),
    ("Wulan Sari, S.AP.", "Dinas Kependudukan dan Catatan Sipil", None, 0.0),
    ("Agus Salim, S.IP.", "Badan Kepegawaian Daerah", None, 0.0),
    ("Maria Ulfa, S.Farm.", "Dinas Kesehatan", None, 0.0),
    ("Rudi Hartono, S.T.", "Dinas Lingkungan Hidup", None, 0.0),
]
DEMO_FIRST_ID = 7001
DEMO_CHANNEL = "demo"


def _first_name(name: str) -> str:
    """ "Dra. Sri Wahyuni, M.Si." → "Sri": the first word that is not a title."""
    return next(w for w in name.split() if not w.endswith(".")).rstrip(",")


async def ensure_demo_people(session: AsyncSession, cohort: Cohort, today: date) -> None:
    """Give the demo cohort its roster, members with plans, and check-ins up to yesterday
    (today stays open, so /rekap shows who still has to check in). Done once per database."""
    found = await session.execute(select(RosterEntry.id).where(RosterEntry.cohort_id == cohort.id))
    if found.first() is not None:
        return
    rng = random.Random(cohort.code)
    taken: set[str] = set()
    first_day = max(cohort.starts_on, today - timedelta(days=21))
    for position, (name, unit, habit_name, keeps) in enumerate(DEMO_PEOPLE):
        entry = RosterEntry(
            cohort_id=cohort.id,
            position=position,
            name=name,
            unit=unit,
            nip=f"19800101200{position:03d}1{position % 2}01"[:18],
            join_token=new_token(taken),
        )
        session.add(entry)
        if habit_name is None:
            continue
        # Made-up people, on a channel that reaches nobody (`Services.send`: unreachable).
        where = Address(DEMO_CHANNEL, str(DEMO_FIRST_ID + position))
        contact = await person_for(session, where, datetime.combine(first_day, time(), UTC))
        participant = Participant(
            cohort_id=cohort.id,
            person_id=contact.person_id,
            first_name=_first_name(name),
            full_name=name,
            unit=unit,
            reminders_paused=True,  # made-up people get no reminders
        )
        session.add(participant)
        await session.flush()
        entry.participant_id = participant.id
        plan = ActionPlan(participant_id=participant.id, title=f"Rencana aksi {_first_name(name)}")
        session.add(plan)
        await session.flush()
        habit = Habit(
            plan_id=plan.id,
            position=0,
            name=habit_name,
            kind=Kind.YESNO,
            schedule=Schedule.daily().encode(),
            created_on=first_day,
        )
        session.add(habit)
        await session.flush()
        day = first_day
        while day < today:
            if rng.random() < keeps:
                session.add(
                    CheckIn(
                        habit_id=habit.id,
                        participant_id=participant.id,
                        day=day,
                        status=Status.DONE,
                    )
                )
            day += timedelta(days=1)


DEMO_MENTEES = 2  # the demo mentor mentors the first two who joined, each plan waiting


async def ensure_demo_mentor(
    session: AsyncSession, cohort: Cohort, mentor_person_id: int, name: str, now: datetime
) -> None:
    """Make `mentor_person_id` the mentor of the demo cohort's first members, each with their
    plan sent for approval (once per database: a mentor already there is left as they are)."""
    if await mentors.has_mentored(session, mentor_person_id):
        return
    participants = (
        await session.scalars(
            select(Participant)
            .join(RosterEntry, RosterEntry.participant_id == Participant.id)
            .where(Participant.cohort_id == cohort.id)
            .order_by(RosterEntry.position)
            .limit(DEMO_MENTEES)
        )
    ).all()
    for participant in participants:
        await mentors.assign(session, participant, mentor_person_id, name, now)
        await submit(session, participant, now)


LIVE_TITLE = "Sesi demo: Menyusun Rencana Aksi (sedang berlangsung)"


async def ensure_demo_training(
    session: AsyncSession, cohort: Cohort, now: datetime, words: evaluations.Words
) -> None:
    """What the organisers record, in the demo: a session under way now (its attendance window
    open, five of the made-up members present), and — once per database — the organisation's
    evaluation open with six made-up answers, and a short pre-test open that the made-up
    members have taken, so that /hadir, /evaluasi and /kuis have something to answer and
    /presensi, /hasilevaluasi and /hasilkuis something to show."""
    await session.execute(  # yesterday's demo session, gone by
        delete(Session).where(
            Session.cohort_id == cohort.id, Session.title == LIVE_TITLE, Session.ends_at <= now
        )
    )
    live = await session.scalar(
        select(Session).where(
            Session.cohort_id == cohort.id, Session.starts_at <= now, Session.ends_at > now
        )
    )
    if live is None:
        start = now.replace(second=0, microsecond=0) - timedelta(minutes=10)
        live = Session(
            cohort_id=cohort.id, starts_at=start, ends_at=start + timedelta(hours=2),
            title=LIVE_TITLE, speaker="Dr. Andi Pratama, M.Si.",
            link="https://us02web.zoom.us/j/8123456789",
        )  # fmt: skip
        session.add(live)
        await session.flush()
    made_up = list(
        await session.scalars(
            select(Participant)
            .join(RosterEntry, RosterEntry.participant_id == Participant.id)
            .where(Participant.cohort_id == cohort.id)
            .order_by(RosterEntry.position)
        )
    )
    present = {
        pid
        for pid in await session.scalars(
            select(Attendance.participant_id).where(Attendance.session_id == live.id)
        )
    }
    for p in made_up[:5]:
        if p.id not in present:
            session.add(
                Attendance(session_id=live.id, participant_id=p.id, state="present",
                           source="self", recorded_at=now)
            )  # fmt: skip
    if await quizzes.quizzes_of(session, cohort.id):
        return
    rng = random.Random(f"{cohort.code}-training")
    form = await evaluations.open_form(session, cohort, "organisation", words, None, now)
    for p in made_up[:6]:
        for item in await evaluations.items_of(session, form.id):
            if item.scale != "text":
                value = rng.choice((3, 4, 4, 5, 5))
                session.add(
                    EvaluationAnswer(
                        form_id=form.id,
                        item_id=item.id,
                        participant_id=p.id,
                        value=value,
                        answered_at=now,
                    )
                )
            else:
                session.add(
                    EvaluationAnswer(
                        form_id=form.id,
                        item_id=item.id,
                        participant_id=p.id,
                        text=None,
                        answered_at=now,
                    )
                )
    data = (DEMO_DIR / "quiz_pre.csv").read_bytes()
    quiz = await quiz_files.import_quiz(
        session, cohort.id, "pre", "Revolusi Mental", None, data, now
    )
    quiz.opened_at = now
    questions = await quizzes.questions_of(session, quiz.id)
    for p in made_up:
        for question in questions:
            right = rng.random() < 0.7
            chosen = question.correct if right else (question.correct + 1) % 4
            session.add(
                QuizAnswer(quiz_id=quiz.id, question_id=question.id, participant_id=p.id,
                           asked_at=now, answered_at=now, chosen=chosen, correct=right)
            )  # fmt: skip
    await session.flush()
