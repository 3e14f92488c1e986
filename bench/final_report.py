"""The final report per participant: how long reading one participant's records takes
(`core.final_report.dossier`), how long their PDF takes to draw (`core.final_report_pdf.pdf_in`,
heatmap included: the renderer's worker does this, never the event loop), and the whole cohort's
ZIP (`bundle_bytes`), on a cohort of 25 participants each with three habits over 49 days of
check-ins, four milestones, three consultations, two pieces of evidence and a follow-up answer.

    .venv/bin/python bench/final_report.py [--participants 25] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bench.common import bench_cohort, percentile, telegram_person
from core.final_report import dossier
from core.final_report_pdf import bundle_bytes, pdf_in
from core.habits import Kind, Schedule, Status
from core.participants import cohort_members
from storage.db import create_engine, sessionmaker
from storage.mentoring import Consultation, Evidence, FollowUp, Milestone
from storage.models import ActionPlan, CheckIn, Cohort, Habit, Participant

STARTS, ENDS = date(2026, 9, 1), date(2026, 10, 19)  # seven weeks
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # a month into the follow-up
HABITS = ("Apel pagi tepat waktu", "Membaca regulasi pelayanan", "Menyapa pemohon dengan ramah")


async def fill(path: Path, participants: int) -> None:
    rng = random.Random(7)
    async with bench_cohort(
        path, name="Angkatan Bench", timezone="Asia/Makassar", starts=STARTS, ends=ENDS
    ) as (session, cohort):
        for n in range(participants):
            p = Participant(
                cohort=cohort,
                person_id=await telegram_person(session, 50_000 + n),
                first_name=f"P{n}",
                full_name=f"Peserta Bench {n} bin Contoh Nama Panjang",
                unit="Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
            )
            session.add(p)
            await session.flush()
            habits = [
                Habit(
                    position=i,
                    name=name,
                    kind=Kind.YESNO.value,
                    schedule=Schedule.daily().encode(),
                    created_on=STARTS,
                )
                for i, name in enumerate(HABITS)
            ]
            session.add(
                ActionPlan(
                    participant_id=p.id,
                    title="Pelayanan izin usaha selesai dalam satu hari kerja",
                    habits=habits,
                )
            )
            await session.flush()
            for habit in habits:
                for back in range((ENDS - STARTS).days + 1):
                    if rng.random() < 0.75:
                        session.add(
                            CheckIn(
                                habit_id=habit.id,
                                participant_id=p.id,
                                day=STARTS + timedelta(days=back),
                                status=Status.DONE.value,
                            )
                        )
            for i in range(4):
                due = STARTS + timedelta(weeks=2 + i)
                done = due - timedelta(days=1) if i < 3 else None
                session.add(
                    Milestone(participant_id=p.id, title=f"Tahapan {i + 1}: sosialisasi SOP",
                              due_on=due, done_on=done)
                )  # fmt: skip
            for i in range(3):
                session.add(
                    Consultation(
                        participant_id=p.id, by_mentor=False, state="confirmed", step=None,
                        held_on=STARTS + timedelta(days=7 * i + 3),
                        topic="Rencana sosialisasi SOP pelayanan kepada seluruh staf",
                        outcome="Disetujui dengan catatan: libatkan bagian umum",
                        next_step="Jadwalkan rapat koordinasi minggu depan",
                    )
                )  # fmt: skip
            for i in range(2):
                session.add(
                    Evidence(
                        participant_id=p.id, day=STARTS + timedelta(days=10 + i), channel="tg",
                        file_ref=f"file-{n}-{i}", kind="photo", name=f"bukti-{i}.jpg",
                        mime_type="image/jpeg", size=250_000, sha256="ab" * 32,
                        caption="Apel pagi bersama seluruh staf pelayanan",
                    )
                )  # fmt: skip
            session.add(
                FollowUp(participant_id=p.id, offset_days=30, status="sent", answer="partly",
                         note="Atasan mendukung, anggaran sosialisasi terbatas")
            )  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        await fill(path, args.participants)
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        db = sessionmaker(engine)
        reads: list[float] = []
        draws: list[float] = []
        sizes: list[int] = []
        try:
            for _ in range(args.rounds):
                async with db() as session:
                    cohort_id = await session.scalar(select(Cohort.id))
                    assert cohort_id is not None
                    people = await cohort_members(session, cohort_id)
                    found = []
                    for p in people:
                        started = time.perf_counter()
                        found.append(await dossier(session, p, NOW))
                        reads.append((time.perf_counter() - started) * 1000)
                for d in found:
                    started = time.perf_counter()
                    sizes.append(len(pdf_in(d, "id")))
                    draws.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            bundle = bundle_bytes([(d.file_name, pdf_in(d, "id")) for d in found])
            whole = time.perf_counter() - started
        finally:
            await engine.dispose()
    print(f"final report, {args.participants} participants x {args.rounds} rounds (SQLite file)")
    print("network: none (no message is sent: the records read, the PDFs drawn in this process)")
    print(f"  read one participant's records: p50 {percentile(reads, 50):.1f} ms, "
          f"p95 {percentile(reads, 95):.1f} ms")  # fmt: skip
    size = sum(sizes) / len(sizes) / 1024
    print(f"  draw one PDF (heatmap included): p50 {percentile(draws, 50):.0f} ms, "
          f"p95 {percentile(draws, 95):.0f} ms, {size:.0f} KB each")  # fmt: skip
    print(f"  the cohort's ZIP of {len(found)} PDFs: {whole:.1f} s, {len(bundle) / 1024:.0f} KB")


if __name__ == "__main__":
    asyncio.run(main())
