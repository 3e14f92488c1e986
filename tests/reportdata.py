"""A constructed cohort for the report, export and digest tests, written straight into the
database: five participants in three zones, skips, a habit added mid-week, one removed, a
numeric habit, an N-times-a-week habit, someone without a plan; and a roster.

Cohort REVMEN1 (WITA), 1 September – 25 October 2021. Habits are created on 1 September
unless said otherwise. Days are the participant's local dates.

* Ani (WIB, "Dinas Kesehatan", roster NIP): A1 daily yes/no; A2 numeric, 10 halaman a day;
  A0 daily yes/no, removed on 6 September (10:00 WIB).
* Budi (WITA, no unit): B1 daily; B2 Monday–Friday, created Wednesday 8 September.
* Citra (WITA, "Bappeda"): joined, no plan.
* Dedi (WIB, "BKD"): D1 on Saturdays and Sundays only.
* Eka (WIT, "Dinas Pendidikan"): E1 daily; E2 three times a week.
* Fajar ("Inspektorat") is on the roster and has not joined.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.channel import TELEGRAM
from core.cohorts import create_cohort
from storage.models import (
    ActionPlan,
    CheckIn,
    Cohort,
    Habit,
    Participant,
    Reflection,
    RosterEntry,
)
from tests.people import new_person

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
ANI, BUDI, CITRA, DEDI, EKA = 2001, 2002, 2003, 2004, 2005
NIP_ANI = "198001012005011001"
# Thursday 9 September 2021, 16:30 UTC: 23:30 WIB (still the 9th), 00:30 WITA and 01:30 WIT
# (already Friday the 10th).
NOW = datetime(2021, 9, 9, 16, 30, tzinfo=UTC)


def d(day: int) -> date:
    return date(2021, 9, day)


@dataclass
class Built:
    cohort_id: int
    participants: dict[str, int]  # first name -> participant id
    habits: dict[str, int]  # "A1" -> habit id


async def build(
    db: async_sessionmaker[AsyncSession], code: str = "REVMEN1", channel: str = TELEGRAM
) -> Built:
    """The cohort `code`; its participants are people with a contact on `channel` (the
    channel of the test's bot, for a test where one of them writes)."""
    async with db.begin() as session:
        cohort = await create_cohort(
            session,
            code=code,
            name="Angkatan I",
            timezone=WITA,
            starts=d(1),
            ends=date(2021, 10, 25),
        )
        return await _fill(session, cohort, channel)


async def _fill(session: AsyncSession, cohort: Cohort, channel: str) -> Built:
    people: dict[str, Participant] = {}
    for user_id, first, full, unit, tz in (
        (ANI, "Ani", "Ani Lestari", "Dinas Kesehatan", WIB),
        (BUDI, "Budi", None, None, WITA),
        (CITRA, "Citra", "Citra Dewi", "Bappeda", WITA),
        (DEDI, "Dedi", "Dedi Kurniawan", "BKD", WIB),
        (EKA, "Eka", "Eka Putri", "Dinas Pendidikan", WIT),
    ):
        p = Participant(
            cohort_id=cohort.id,
            person_id=await new_person(session, user_id, channel),
            first_name=first,
            full_name=full,
            unit=unit,
            timezone=tz,
            language="id",
            awaiting=None,
        )
        session.add(p)
        people[first] = p
    await session.flush()
    habits: dict[str, Habit] = {}

    def plan(first: str, *specs: tuple[str, str, str, str | None, float | None, date]) -> None:
        action = ActionPlan(participant_id=people[first].id, title=f"Rencana {first}", habits=[])
        session.add(action)
        for position, (key, name, schedule, unit, target, created) in enumerate(specs):
            habit = Habit(
                position=position,
                name=name,
                kind="numeric" if target else "yesno",
                unit=unit,
                target=target,
                schedule=schedule,
                created_on=created,
            )
            action.habits.append(habit)
            habits[key] = habit

    plan(
        "Ani",
        ("A0", "Apel pagi", "daily", None, None, d(1)),
        ("A1", "Senyum sapa", "daily", None, None, d(1)),
        ("A2", "Membaca regulasi", "daily", "halaman", 10.0, d(1)),
    )
    habits["A0"].removed_at = datetime(2021, 9, 6, 3, 0, tzinfo=UTC)
    habits["A1"].position, habits["A2"].position = 0, 1
    plan(
        "Budi",
        ("B1", "Datang tepat waktu", "daily", None, None, d(1)),
        ("B2", "Rapat singkat tim", "weekdays:0,1,2,3,4", None, None, d(8)),
    )
    plan("Dedi", ("D1", "Olahraga akhir pekan", "weekdays:5,6", None, None, d(1)))
    plan(
        "Eka",
        ("E1", "Jurnal harian", "daily", None, None, d(1)),
        ("E2", "Kunjungan sekolah", "per_week:3", None, None, d(1)),
    )
    await session.flush()

    def log(
        key: str, day: int, status: str, value: float | None = None, reason: str | None = None
    ) -> None:
        habit = habits[key]
        session.add(
            CheckIn(
                habit_id=habit.id,
                participant_id=habit.plan.participant_id,
                day=d(day),
                status=status,
                value=value,
                skip_reason=reason,
            )
        )

    for day in (3, 4):
        log("A0", day, "done")
    log("A0", 5, "not_done")
    for day in (3, 4, 6, 7, 9):
        log("A1", day, "done")
    log("A1", 5, "skipped", reason="sick")
    log("A2", 3, "done", 12.0)
    log("A2", 4, "done", 5.0)  # under the target: not achieved
    for day in range(1, 11):
        log("B1", day, "done")
    log("B2", 8, "done")
    log("B2", 9, "not_done")
    log("B2", 10, "skipped", reason="duty")
    log("D1", 4, "done")
    for day in range(4, 10):
        log("E1", day, "done")
    log("E2", 6, "done")
    log("E2", 7, "done")
    session.add(
        Reflection(participant_id=people["Ani"].id, day=d(7), text="Tim mulai saling menyapa.")
    )
    session.add_all(
        [
            RosterEntry(
                cohort_id=cohort.id,
                position=0,
                name="Ani Lestari",
                unit="Dinas Kesehatan",
                nip=NIP_ANI,
                join_token="tokenani000000000001",
                participant_id=people["Ani"].id,
            ),
            RosterEntry(
                cohort_id=cohort.id,
                position=1,
                name="Fajar Nugroho",
                unit="Inspektorat",
                join_token="tokenfajar0000000002",
            ),
        ]
    )
    await session.flush()
    return Built(
        cohort.id,
        {name: p.id for name, p in people.items()},
        {key: h.id for key, h in habits.items()},
    )
