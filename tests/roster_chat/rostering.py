"""The roster-chat tests' people, roster and the helpers that read back what was saved."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import Outgoing
from storage.models import Participant, RosterEntry, Staff
from tests.people import person_of, user_of

NOW = datetime(2021, 9, 3, 1, 0, tzinfo=UTC)
ADMIN, FACILITATOR, OTHER_FACILITATOR = 9999, 9001, 9002
STAFF_ONLY = "Perintah ini khusus untuk fasilitator dan admin pelatihan."
STALE = "Tombol ini sudah tidak berlaku. Ketik /bantuan untuk melihat pilihan."
ROSTER = (
    "name,unit,nip,telegram_username\n"
    "Budi Santoso,Dinas Kesehatan,198001012005011001,\n"
    "Siti Rahma,Bappeda,,SitiRahma\n"
    "Andi Wijaya,,,\n"
    "Dewi Lestari,Dinas Sosial,,\n"
)


async def roster(db: async_sessionmaker[AsyncSession]) -> dict[str, RosterEntry]:
    async with db() as session:
        return {e.name: e for e in await session.scalars(select(RosterEntry))}


async def member(db: async_sessionmaker[AsyncSession], user_id: int) -> Participant | None:
    async with db() as session:
        found = await session.scalars(
            select(Participant).where(Participant.person_id == person_of(user_id))
        )
        return found.one_or_none()


async def staff_rows(db: async_sessionmaker[AsyncSession]) -> list[tuple[int, int]]:
    async with db() as session:
        result = await session.execute(
            select(Staff.cohort_id, user_of(Staff.person_id)).order_by(Staff.id)
        )
        return [(int(c), int(u)) for c, u in result]


def alerts(out: list[Outgoing]) -> list[str]:
    return [r.text or "" for r in out if r.method == "answerCallbackQuery"]
