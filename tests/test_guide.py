"""The bot leads the way: after joining it offers to write the action plan (with examples),
after the first plan the daily reminder time — one tap each — and someone still without a plan
a day later gets one friendly nudge, never more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import AksiApplication, build_application
from bot.context import AksiContext
from bot.standin import BotApiStandIn
from handlers.reminders import MESSAGES
from scheduler.reminder_job import run_tick
from storage.models import Delivery, Participant, Reminder
from tests.conftest import make_cohort
from tests.harness import (
    Clock,
    Person,
    RunningBot,
    joined,
    settings_for,
    texts,
)
from tests.people import new_person, person_of
from tests.planning import joined_person

pytestmark = pytest.mark.channels("telegram", "memory")


def labels(person: Person) -> list[str]:
    return [b["text"] for b in person.last_keyboard()[1]]


async def write_plan(person: Person, english: bool = False) -> str:
    await person.send("Pelayanan izin selesai dalam satu hari")
    await person.send("Apel pagi tepat waktu")
    await person.press("Yes / no" if english else "Ya / tidak")
    await person.press("Every day" if english else "Setiap hari")
    return joined(await person.press("Save" if english else "Simpan"))


async def test_after_joining_the_plan_then_the_reminder_time_one_tap_each(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = bot.person(1001, "Budi")
    await budi.send("/start REVMEN1")
    await budi.press("Lewati")
    out = await budi.press("Lewati")
    offer = texts(out)[-1]
    assert "Langkah berikutnya: rencana aksi Anda" in offer
    assert "Hadir apel pagi tepat waktu — ya/tidak, hari kerja" in offer  # examples
    assert labels(budi) == ["✍️ Tulis rencana aksi sekarang", "Nanti saja"]
    out = await budi.press("Tulis rencana aksi sekarang")
    assert "Mari mulai menulis rencana aksi Anda" in joined(out)
    assert "Langkah 1" in joined(out)
    saved = await write_plan(budi)
    assert "Rencana aksi tersimpan" in saved
    assert "Kapan Anda ingin diingatkan setiap hari?" in saved
    assert "Saat ini pukul 07.00 WITA (bawaan angkatan)" in saved
    assert labels(budi) == ["06.00", "07.00", "08.00", "⌨️ Waktu lain", "Biarkan seperti ini"]
    out = await budi.press("08.00")
    assert "Pengingat harian Anda: pukul <b>08.00 WITA</b>" in joined(out)
    assert "✅ Lapor hari ini" in labels(budi)  # the main menu comes next
    async with db() as session:
        p = (await session.scalars(select(Participant))).one()
        times = list(
            await session.scalars(select(Reminder.local_time).where(Reminder.kind == "daily"))
        )
    assert (p.reminder_times, times) == ("08:00", ["08:00"])
    # A second plan (an edit) asks nothing about reminders again.
    await budi.send("/rencana")
    await budi.press("Simpan")
    assert "Kapan Anda ingin diingatkan" not in (bot.standin.messages(1001)[-1].text or "")


async def test_later_and_keeping_the_time_in_english(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    tom = bot.person(1002, "Tom", language_code="en")
    await tom.send("/start REVMEN1")
    await tom.press("Skip")
    await tom.press("Skip")
    assert labels(tom) == ["✍️ Write my action plan now", "Later"]
    out = await tom.press("Later")
    assert "Type /plan any time; I'll remind you once more tomorrow." in joined(out)
    assert labels(tom)[0] == "📝 Write your action plan"  # the menu, the plan first
    await tom.send("/plan")
    saved = await write_plan(tom, english=True)
    assert "When would you like your daily reminder?" in saved
    assert "Now at 07:00 WITA (the cohort's default)" in saved
    out = await tom.press("Keep it as it is")
    assert "your daily reminder stays at <b>07:00 WITA</b>" in joined(out)
    async with db() as session:
        p = (await session.scalars(select(Participant))).one()
    assert p.reminder_times is None  # the cohort's default, still following it
    # "Another time" is the typed question of /reminders.
    await tom.send("/plan")
    message_id = bot.standin.messages(1002)[-1].message_id
    out = await tom.press_data(message_id, "rem:add:")
    assert "Type the reminder time (hours:minutes, your time)" in joined(out)
    # Forged offer buttons: refused, nothing changes.
    for forged in ("gd:rtime:0730", "gd:rtime:2500", "gd:nope:", "gd:plan:x", "gd:" + "9" * 60):
        out = await tom.press_data(message_id, forged)
        assert [r.method for r in out] == ["answerCallbackQuery"], forged
        assert "no longer valid" in (out[0].text or ""), forged
    async with db() as session:
        p = (await session.scalars(select(Participant))).one()
    assert p.reminder_times is None


async def test_a_personal_link_with_a_known_name_offers_the_plan_at_once(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    from core.roster import apply_roster, parse_roster
    from storage.models import Cohort, RosterEntry

    async with db.begin() as session:
        cohort = (await session.scalars(select(Cohort))).one()
        rows = parse_roster(b"name,unit\nSiti Rahma,Bappeda\n")
        await apply_roster(session, cohort, rows)
        token = (await session.scalars(select(RosterEntry.join_token))).one()
    siti = bot.person(1003, "Siti")
    welcome, offer = texts(await siti.send(f"/start {token}"))
    assert "Halo, Siti Rahma!" in welcome
    assert "Langkah berikutnya: rencana aksi Anda" in offer


# --- the one nudge, a day after joining -----------------------------------------------------


@pytest.fixture
async def app(
    standin: BotApiStandIn, db_url: str, engine: AsyncEngine, clock: Clock
) -> AsyncIterator[AksiApplication]:
    await make_cohort(async_sessionmaker(engine, expire_on_commit=False))
    application = build_application(settings_for(standin, db_url), engine, clock=clock)
    async with application:
        yield application


async def test_one_friendly_nudge_a_day_later_and_never_again(
    app: AksiApplication, standin: BotApiStandIn, clock: Clock, db: async_sessionmaker[AsyncSession]
) -> None:
    from core.participants import Writer, join_cohort
    from core.reminders import sync_reminders

    async with db.begin() as session:
        ani = Writer(await new_person(session, 77), "Ani")
        joined_ = await join_cohort(session, ani, "REVMEN1", clock())
        assert joined_ is not None
        joined_.participant.awaiting = None
        await sync_reminders(session, joined_.participant, clock())
    context = AksiContext(application=app)

    async def morning(day: int) -> list[str]:
        clock.now = datetime(2021, 9, day, 23, 0, tzinfo=UTC)  # 07:00 WITA the next day
        mark = standin.mark()
        await run_tick(context, clock.now, MESSAGES)
        return [o.text or "" for o in standin.outbox[mark:] if o.method == "sendMessage"]

    # Joined on Friday at 09:00 (after that day's reminder); "tomorrow" is Saturday 07:00.
    [nudge] = await morning(3)
    assert "Rencana aksi Anda belum ditulis" in nudge
    sent = next(o for o in standin.outbox if o.text == nudge)
    buttons = [b["text"] for row in (sent.reply_markup or {})["inline_keyboard"] for b in row]
    assert buttons == ["✍️ Tulis rencana aksi sekarang", "Nanti saja"]
    assert await morning(4) == []  # once only
    assert await morning(5) == []
    async with db() as session:
        kinds = list(await session.scalars(select(Delivery.kind).order_by(Delivery.id)))
    assert kinds.count("plan_nudge") == 1


async def test_typed_answers_to_the_offers_on_their_day(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    budi = bot.person(1004, "Budi")
    await budi.send("/start REVMEN1")
    await budi.press("Lewati")
    await budi.press("Lewati")
    # The plan offer waits: the typed text is the plan's title.
    out = joined(await budi.send("Pelayanan izin selesai dalam satu hari"))
    assert "Jadikan «<b>Pelayanan izin selesai dalam satu hari</b>» judul" in out
    out = joined(await budi.press("Ya, mulai dengan judul ini"))
    assert "<b>Kebiasaan 1.</b> Tulis nama kebiasaan harian Anda" in out
    await budi.send("Apel pagi tepat waktu")
    await budi.press("Ya / tidak")
    await budi.press("Setiap hari")
    await budi.press("Simpan")
    # The reminder offer waits: a typed time sets it; a bad one says why and still waits.
    out = joined(await budi.send("25:00"))
    assert "25:00" in out and "tidak ada" in out
    out = await budi.send("06.30")
    assert "Pengingat harian Anda: pukul <b>06.30 WITA</b>" in joined(out)
    async with db() as session:
        p = (
            await session.scalars(
                select(Participant).where(Participant.person_id == person_of(1004))
            )
        ).one()
    assert (p.reminder_times, p.awaiting) == ("06:30", None)
    # Someone who goes on to something else (/hadir, a command that writes; /jadwal, one that
    # only reads) leaves the offer: what they type afterwards is not taken for a title — nor
    # is a word too short for one.
    for user_id, name, other in ((1006, "Ani", "/hadir"), (1007, "Citra", "/jadwal")):
        person = await joined_person(bot, user_id, name)
        await person.send(other)
        for typed in ("halo", "Selamat pagi semuanya"):
            out = joined(await person.send(typed))
            assert "/bantuan" in out and "judul" not in out.lower(), (other, out)
    # Someone who ignores the offer and types the next day gets the usual answer.
    siti = bot.person(1005, "Siti")
    await siti.send("/start REVMEN1")
    await siti.press("Lewati")
    await siti.press("Lewati")
    clock.next_day()
    out = joined(await siti.send("Halo, selamat pagi semua"))
    assert "/bantuan" in out and "Langkah" not in out
    async with db() as session:
        p = (
            await session.scalars(
                select(Participant).where(Participant.person_id == person_of(1005))
            )
        ).one()
    assert p.awaiting is None
