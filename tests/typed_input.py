"""Shared steps of the typed-input tests (tests/test_input_rules.py, tests/test_input_numbers.py):
the buttons' labels in each language, the bot started with a facilitator of cohort REVMEN1, and
a participant writing a one-habit plan."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.cohorts import get_cohort
from core.staff import add_facilitator
from tests.conftest import make_cohort
from tests.harness import Clock, MemoryBot, Person, RunningBot, settings_for, start_bot
from tests.people import new_person

FACILITATOR = 5001
SKIP = {"id": "Lewati", "en": "Skip"}
NUMERIC = {"id": "Angka", "en": "A number"}
YESNO = {"id": "Ya / tidak", "en": "Yes / no"}
DAILY = {"id": "Setiap hari", "en": "Every day"}
SAVE = {"id": "Simpan", "en": "Save"}
NOTE = {"id": "Refleksi", "en": "Reflection"}
OTHER_REASON = {"id": "Alasan lain", "en": "Another reason"}


async def start_with_facilitator(
    standin: BotApiStandIn,
    db_url: str,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> RunningBot | MemoryBot:
    """Cohort REVMEN1 with facilitator FACILITATOR, and the bot running on `chat_kind`."""
    await make_cohort(db)
    async with db.begin() as session:
        facilitator = await new_person(session, FACILITATOR, chat_kind)
        await add_facilitator(session, await get_cohort(session, "REVMEN1"), facilitator)
    return await start_bot(chat_kind, standin, settings_for(standin, db_url), clock)


def person(bot: RunningBot, lang: str, user_id: int = 1001) -> Person:
    return bot.person(user_id, "Budi", language_code=lang)


async def one_habit_plan(p: Person, lang: str, *, unit: str | None = None) -> None:
    """A plan with one daily habit, `Membaca` (a number of `unit`, target 10) or yes/no."""
    await p.send("/rencana" if lang == "id" else "/plan")
    await p.send("Pelayanan prima tanpa antre")
    await p.send("Membaca regulasi")
    if unit is None:
        await p.press(YESNO[lang])
    else:
        await p.press(NUMERIC[lang])
        await p.send(unit)
        await p.send("10")
    await p.press(DAILY[lang])
    await p.press(SAVE[lang])
