"""The chat-import tests' schedule and materials files, their people, and the helpers that
send a file and count what was saved."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import Outgoing
from storage.models import Cohort, Material, Session
from tests.harness import (
    Person,
)

NOW = datetime(2021, 9, 3, 1, 0, tzinfo=UTC)  # Friday 3 September 2021, 09:00 WITA
FACILITATOR, BOTH, PARTICIPANT, STRANGER, ADMIN = 5001, 5002, 1001, 3003, 9009
SCHEDULE = """date,start,end,title,speaker,link
2021-09-02,08:30,12:00,Pembukaan dan Orientasi,"Dr. Andi Pratama, M.Si.",https://zoom.example/j/1
2021-09-06,13:30,15:30,Integritas & Etos Kerja,,https://zoom.example/j/2
2021-09-09,08:30,12:00,Agen Perubahan,Dr. Citra,
"""
BAD_SCHEDULE = """date,start,end,title,speaker,link
2021-09-02,08:30,12:00,Pembukaan,,https://zoom.example/j/1
2021-9-6,13:30,15:30,Integritas,,
2021-09-07,12:00,08:00,Gotong Royong,,
2021-09-08,08:00,09:00,Bersih,,zoom dot us
2012-09-09,08:30,12:00,Agen Perubahan,,
"""
MATERIALS = """module,title,url
Modul 1,Bahan Ajar (PDF),https://elearning.example/m1.pdf
Modul 1,Video Pengantar,https://elearning.example/m1-video
Modul 2,"Lembar Kerja, Rencana Aksi",https://elearning.example/m2.docx
"""


async def send_file(
    person: Person,
    data: bytes | str,
    name: str = "jadwal.csv",
    mime: str = "text/csv",
    caption: str | None = None,
) -> list[Outgoing]:
    body = data.encode() if isinstance(data, str) else data
    return await person.send_document(body, name, mime, caption)


async def rows(
    db: async_sessionmaker[AsyncSession], model: type[Session] | type[Material], cohort: Cohort
) -> list[Any]:
    async with db() as session:
        query = select(model).where(model.cohort_id == cohort.id)
        return list((await session.scalars(query)).all())


async def count_all(db: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with db() as session:
        sessions = await session.scalar(select(func.count()).select_from(Session))
        materials = await session.scalar(select(func.count()).select_from(Material))
    return int(sessions or 0), int(materials or 0)
