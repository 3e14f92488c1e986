"""The follow-up after the course (core.follow_up, scheduler.follow_up, handlers.follow_up) with an
injected clock: REVMEN1 ends Monday 25 October 2021 (WITA); its alumni get the welcome the day
after at their reminder time, reminders on Monday, Wednesday and Friday only, a question at
+30/+60/+90 days answered with a button and a typed note that reaches /rekap, the export and
/dataku; one command stops it, another takes it up again while the period lasts; a person who
blocked the bot is counted, never retried. Hostile: forged and malformed buttons, another
person's question, the welcome's id, a note too long, a stale note question, a message due
while the bot was down."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core import follow_up as rules
from core import reports
from core.errors import InvalidInput
from core.report_files import SUMMARY_COLUMNS, summary_rows
from handlers.follow_up import compose
from handlers.reminders import MESSAGES
from handlers.report_view import render_report
from scheduler.follow_up import FollowUpReport, run_follow_up_tick
from scheduler.reminder_job import run_tick
from storage.mentoring import FollowUp
from storage.models import Cohort, Delivery, Participant
from tests.conftest import make_cohort
from tests.harness import Clock, MemoryBot, Person, RunningBot, joined
from tests.planning import joined_person, write_plan
from tests.reminders.reminding import ctx
from tests.test_approvals import news
from tests.test_reports import label_in

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


# 07:00 WITA (UTC+8), the cohort's reminder time, on a local date.
def at_seven(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=1)


END = date(2021, 10, 25)  # REVMEN1's last day, a Monday


async def tick(bot: RunningBot | MemoryBot, clock: Clock, when: datetime) -> FollowUpReport:
    clock.now = when
    return await run_follow_up_tick(ctx(bot), when, compose)


async def rows(
    db: async_sessionmaker[AsyncSession],
) -> list[tuple[int, str, str | None, str | None]]:
    async with db() as session:
        found = await session.scalars(select(FollowUp).order_by(FollowUp.id))
        return [(f.offset_days, f.status, f.answer, f.note) for f in found]


async def alumnus(bot: RunningBot | MemoryBot, user_id: int = 1001, name: str = "Budi") -> Person:
    person = await joined_person(bot, user_id, name)
    await write_plan(person)
    return person


async def test_welcome_thinned_reminders_and_a_question_that_reaches_the_reports(
    bot: RunningBot | MemoryBot, clock: Clock, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await alumnus(bot)
    await joined_person(bot, 1002, "Ani")  # no plan: nothing to follow up
    # The last day: nothing yet.
    assert (await tick(bot, clock, at_seven(END))).outgoing == []
    # Tuesday 26 October, 06:59 WITA: not yet; 07:00: the welcome, once, even with two ticks.
    assert (
        await tick(bot, clock, at_seven(END + timedelta(days=1)) - timedelta(minutes=1))
    ).outgoing == []
    when = at_seven(END + timedelta(days=1))
    clock.now = when
    first, second = await asyncio.gather(
        run_follow_up_tick(ctx(bot), when, compose), run_follow_up_tick(ctx(bot), when, compose)
    )
    assert first.sent + second.sent == 1
    got = news(bot, budi)
    assert "🎓 <b>Angkatan I</b> telah selesai — selamat, Anda kini alumni!" in got
    assert "Selama 90 hari lagi (sampai Minggu, 23 Januari 2022)" in got
    assert "pengingat pada Sen, Rab, Jum" in got
    assert "Ani" not in got and news(bot, bot.person(1002, "Ani")).count("alumni") == 0
    assert await rows(db) == [(0, "sent", None, None)]
    # The reminders go on after the last day, on the follow-up's weekdays only.
    clock.now = at_seven(END) + timedelta(hours=5)  # the old occurrences moved on
    await run_tick(ctx(bot), clock.now, MESSAGES)
    for day in (END + timedelta(days=1), END + timedelta(days=2)):  # Tuesday, Wednesday
        clock.now = at_seven(day)
        await run_tick(ctx(bot), clock.now, MESSAGES)
    async with db() as session:
        daily = dict(
            (d.local_date, d.status)
            for d in await session.scalars(select(Delivery).where(Delivery.kind == "daily"))
        )
    assert daily[date(2021, 10, 26)] == "quiet"  # a Tuesday
    assert daily[date(2021, 10, 27)] == "sent"  # a Wednesday
    # +30 days: Wednesday 24 November, the question with its buttons.
    report = await tick(bot, clock, at_seven(END + timedelta(days=30)))
    assert report.sent == 1
    got = news(bot, budi)
    assert "🌱 Sudah 30 hari sejak <b>Angkatan I</b> selesai." in got
    out = await budi.press("Sebagian")
    assert "tercatat: <b>sebagian berjalan</b>" in joined(out)
    assert "Apa yang paling membantu (atau menghambat)" in joined(out)
    out = await budi.send("Atasan mendukung, tapi anggaran untuk sosialisasi terbatas")
    assert "📝 Tercatat." in joined(out)
    assert (await rows(db))[-1] == (
        30,
        "sent",
        "partly",
        "Atasan mendukung, tapi anggaran untuk sosialisasi terbatas",
    )
    # The facilitator's /rekap and the export.
    async with db() as session:
        cohort = await session.scalar(select(Cohort))
        assert cohort is not None
        report_ = await reports.cohort_report(session, cohort, clock.now)
        export = await reports.export(session, cohort, clock.now)
    shown = render_report(ctx(bot), "id", report_)
    assert "🎓 <b>Tindak lanjut alumni</b> (sampai Minggu, 23 Januari 2022)" in shown
    assert "aktif 1 · berhenti 0 · tidak terjangkau 0" in shown
    assert "• 30 hari: menjawab 1/1 — ✅ 0 · 🌓 1 · ⛔ 0" in shown
    assert "🌓 Budi: Atasan mendukung, tapi anggaran untuk sosialisasi terbatas" in shown
    header = [label_in("id")(f"report.col_{c}") for c in SUMMARY_COLUMNS]
    by_name = {
        r[0]: dict(zip(header, r, strict=True)) for r in summary_rows(export.report, label_in("id"))
    }
    assert by_name["Budi"]["Tindak lanjut"] == "aktif"
    assert by_name["Budi"]["Jawaban tindak lanjut"] == (
        "30 hari: sebagian berjalan (Atasan mendukung, tapi anggaran untuk sosialisasi terbatas)"
    )
    assert by_name["Ani"]["Tindak lanjut"] == ""  # no plan: the follow-up is not hers
    # The export's rows go on after the last day (alumni's check-ins count).
    assert max(r.day for r in export.rows) == date(2021, 11, 24)
    # /tindaklanjut and /progres show it to Budi; /dataku lists the answer.
    out = await budi.send("/tindaklanjut")
    assert "🎓 <b>Tindak lanjut</b> berjalan sampai" in joined(out)
    assert "• 30 hari: 🌓 sebagian berjalan" in joined(out)
    out = await budi.send("/progres")
    assert "🎓 Tindak lanjut berjalan sampai" in joined(out)


async def test_stopped_with_one_command_resumed_while_it_lasts(
    bot: RunningBot | MemoryBot, clock: Clock, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await alumnus(bot)
    # Before the end, /tindaklanjut says what will come.
    out = await budi.send("/tindaklanjut")
    assert "Setelah Angkatan I selesai" in joined(out) and "90 hari lagi" in joined(out)
    await tick(bot, clock, at_seven(END + timedelta(days=1)))  # the welcome
    clock.now = at_seven(END + timedelta(days=3))
    out = await budi.send("/tindaklanjut berhenti")
    assert "🔕 Tindak lanjut dihentikan" in joined(out)
    out = await budi.send("/tindaklanjut berhenti")
    assert "sudah dihentikan" in joined(out)
    # No reminder on a follow-up weekday, no question at +30 (not even a row: not retried).
    clock.now = at_seven(date(2021, 10, 29)) - timedelta(hours=5)  # the old ones move on
    await run_tick(ctx(bot), clock.now, MESSAGES)
    clock.now = at_seven(date(2021, 10, 29))  # a Friday
    await run_tick(ctx(bot), clock.now, MESSAGES)
    async with db() as session:
        friday = await session.scalar(
            select(Delivery.status).where(
                Delivery.kind == "daily", Delivery.local_date == date(2021, 10, 29)
            )
        )
    assert friday == "quiet"
    assert (await tick(bot, clock, at_seven(END + timedelta(days=30)))).outgoing == []
    assert await rows(db) == [(0, "sent", None, None)]
    # Resumed with the button: the +60 question comes.
    out = await budi.send("/tindaklanjut")
    assert "Anda hentikan pada" in joined(out)
    out = await budi.press("Lanjutkan tindak lanjut")
    assert "🔔 Tindak lanjut dilanjutkan" in joined(out)
    assert (await tick(bot, clock, at_seven(END + timedelta(days=60)))).sent == 1
    # Stopped from the question's own button; after the period, nothing can be resumed.
    out = await budi.press("Hentikan tindak lanjut")
    assert "🔕 Tindak lanjut dihentikan" in joined(out)
    clock.now = at_seven(END + timedelta(days=91))
    out = await budi.send("/tindaklanjut lanjut")
    assert "Masa tindak lanjut sudah berakhir" in joined(out)
    assert "telah berakhir pada" in joined(out)
    async with db() as session:
        p = await session.scalar(select(Participant))
        assert p is not None and p.follow_up_stopped_at is not None


async def test_blocked_is_counted_never_retried_and_late_is_skipped(
    bot: RunningBot | MemoryBot,
    clock: Clock,
    db: async_sessionmaker[AsyncSession],
    standin: BotApiStandIn,
) -> None:
    await alumnus(bot)
    ani = await alumnus(bot, 1002, "Ani")
    # The bot was down on the morning of the welcome: by the afternoon it is late, not sent.
    report = await tick(bot, clock, at_seven(END + timedelta(days=1)) + timedelta(hours=7))
    assert (report.late, report.outgoing) == (2, [])
    assert await rows(db) == [(0, "late", None, None), (0, "late", None, None)]
    # Ani blocked the bot before +30: counted unreachable, and never asked again.
    if isinstance(bot, MemoryBot):
        bot.channel.unreachable.add(str(ani.user_id))
    else:
        standin.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=1002)
    report = await tick(bot, clock, at_seven(END + timedelta(days=30)))
    assert (report.sent, report.unreachable) == (1, 1)
    assert sorted(await rows(db))[-2:] == [
        (30, "sent", None, None),
        (30, "unreachable", None, None),
    ]
    report = await tick(bot, clock, at_seven(END + timedelta(days=60)))
    assert (report.sent, report.unreachable) == (1, 1)  # recorded, not sent: the contact is marked
    async with db() as session:
        cohort = await session.scalar(select(Cohort))
        assert cohort is not None
        shown = render_report(
            ctx(bot), "en", await reports.cohort_report(session, cohort, clock.now)
        )
    assert "active 1 · stopped 0 · unreachable 1" in shown
    assert "• 60 days: answered 0/2 — ✅ 0 · 🌓 0 · ⛔ 0" in shown


async def test_hostile_buttons_and_notes_change_nothing(
    bot: RunningBot | MemoryBot, clock: Clock, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await alumnus(bot)
    ani = await alumnus(bot, 1002, "Ani")
    await tick(bot, clock, at_seven(END + timedelta(days=1)))
    await tick(bot, clock, at_seven(END + timedelta(days=30)))
    async with db() as session:
        ids = {
            (f.participant_id, f.offset_days): f.id for f in await session.scalars(select(FollowUp))
        }
        budi_id = await session.scalar(
            select(Participant.id).where(Participant.first_name == "Budi")
        )
    budi_question, budi_welcome = ids[(budi_id, 30)], ids[(budi_id, 0)]
    message_id = ani.last_message_id()
    for data in (
        f"fup:yes:{budi_question}",  # another person's question
        f"fup:yes:{budi_welcome}",  # the welcome is no question
        "fup:yes:99999",  # made up
        "fup:yes:abc",
        "fup:yes:0",
        "fup:maybe:1",
        "fup:off:",
        "fup:yes:1:2",
        "fup:yes:" + "9" * 56,
    ):
        out = await ani.press_data(message_id, data)
        assert any(r.method == "answerCallbackQuery" for r in out), data
        assert "Tombol ini sudah tidak berlaku" in "\n".join(r.text or "" for r in out), data
    for data in (f"fup:off:{budi_id}", f"fup:on:{budi_id}", "fup:off:99999"):
        out = await ani.press_data(message_id, data)
        assert "Tindak lanjut ini bukan milik Anda" in "\n".join(r.text or "" for r in out)
    assert all(answer is None for _, _, answer, _ in await rows(db))
    async with db() as session:
        assert all(
            p.follow_up_stopped_at is None for p in await session.scalars(select(Participant))
        )
    # A note too long is refused, kept open, and nothing is saved; then a good one is.
    await budi.press("Masih berjalan")
    out = await budi.send("x" * 501)
    assert "Terlalu panjang: paling banyak 500 karakter" in joined(out)
    assert [note for offset, _, _, note in await rows(db) if offset == 30] == [None, None]
    out = await budi.send("Didukung kepala dinas")
    assert "📝 Tercatat." in joined(out)
    # /batal closes a note question; an unknown argument gets the usage.
    await budi.press("Terhenti")
    out = await budi.send("/batal")
    assert "Tercatat" not in joined(out)
    out = await budi.send("/tindaklanjut entah")
    assert "/tindaklanjut berhenti untuk menghentikannya" in joined(out)
    answers = {a for _, _, a, _ in await rows(db) if a}
    assert answers == {"stopped"}  # the second press changed Budi's answer
    # /dataku lists the answer; /hapusdata erases it with the rest.
    out = await budi.send("/dataku")
    assert any(r.method == "sendDocument" for r in out)
    await budi.send("/hapusdata")
    await budi.press("Ya, hapus data saya")
    assert [r for r in await rows(db) if r[2] is not None] == []


def test_the_rules_on_their_own() -> None:
    cohort = Cohort(
        code="X", name="X", timezone="Asia/Jakarta", starts_on=date(2021, 9, 2),
        ends_on=END, reminder_time="07:00", follow_up_days=90, follow_up_weekdays="135",
    )  # fmt: skip
    p = Participant(cohort=cohort, timezone="Asia/Jayapura", follow_up_stopped_at=None)
    assert rules.offsets(cohort) == [0, 30, 60, 90]
    assert rules.read_weekdays("sen, rab,jum") == rules.read_weekdays("mon,wed,fri") == "135"
    assert rules.read_weekdays("all") == "1234567" and rules.read_weekdays("none") == ""
    for bad in ("monday,xyz", "8", "mo", ""):
        with pytest.raises(InvalidInput):
            rules.read_weekdays(bad)
    assert rules.reminds_on(p, date(2021, 10, 25))  # the last day: a training day
    assert not rules.reminds_on(p, date(2021, 10, 26))  # Tuesday
    assert rules.reminds_on(p, date(2021, 10, 27))  # Wednesday
    assert not rules.reminds_on(p, date(2022, 1, 24))  # after the 90 days
    assert rules.counted_until(p, date(2022, 3, 1)) == date(2022, 1, 23)
    # 07:00 WIT (UTC+9) the day after the end; due_now takes the latest, once.
    assert rules.due_at(p, 0) == datetime(2021, 10, 25, 22, 0, tzinfo=UTC)
    due = rules.due_now(p, datetime(2021, 11, 24, 0, 0, tzinfo=UTC), set(), timedelta(minutes=30))
    assert due is not None and (due.offset, due.late) == (30, False)
    assert rules.due_now(p, datetime(2021, 11, 24, 0, 0, tzinfo=UTC), {30}, timedelta(0)) is None
    p.follow_up_stopped_at = datetime(2021, 11, 1, 3, 0, tzinfo=UTC)
    assert rules.counted_until(p, date(2022, 3, 1)) == date(2021, 11, 1)
    assert rules.due_now(p, datetime(2021, 11, 24, 0, 0, tzinfo=UTC), set(), timedelta(0)) is None
    cohort.follow_up_days = 0
    assert rules.offsets(cohort) == [] and not rules.reminds_on(p, date(2021, 10, 27))
    with pytest.raises(InvalidInput):
        rules.set_terms(cohort, 400, None)


async def test_for_the_current_membership_only_and_its_own_button(
    bot: RunningBot | MemoryBot, clock: Clock, db: async_sessionmaker[AsyncSession]
) -> None:
    """The welcome's stop button names its membership; someone who joined another cohort
    since gets no follow-up from the old one; another person's membership is not theirs."""
    budi = await alumnus(bot)
    ani = await alumnus(bot, 1002, "Ani")
    await tick(bot, clock, at_seven(END + timedelta(days=1)))  # both welcomed
    async with db() as session:
        ids = {
            p.first_name: p.id
            for p in await session.scalars(select(Participant).order_by(Participant.id))
        }
    # Ani presses a stop button forged with Budi's membership: not hers, nothing changes.
    out = await ani.press_data(ani.last_message_id(), f"fup:off:{ids['Budi']}")
    assert "Tindak lanjut ini bukan milik Anda" in "\n".join(r.text or "" for r in out)
    # Budi joins a new cohort; the old welcome's button still stops the old membership.
    await make_cohort(db, code="BARU", name="Angkatan Baru", starts=date(2021, 10, 28),
                      ends=date(2021, 12, 20))  # fmt: skip
    clock.now = at_seven(END + timedelta(days=2))
    await budi.send("/start BARU")
    await budi.press("Ya, pindah ke BARU")
    out = await budi.press_data(
        next(m.message_id for m in reversed(bot.standin.messages(1001))
             if "alumni" in (m.text or "")),
        f"fup:off:{ids['Budi']}",
    )  # fmt: skip
    assert "🔕 Tindak lanjut dihentikan" in joined(out)
    async with db() as session:
        stopped = {
            (p.first_name, p.cohort_id): p.follow_up_stopped_at is not None
            for p in await session.scalars(select(Participant))
        }
    assert sorted(stopped.values()) == [False, False, True]
    # Ani has not moved on: her +30 question comes; Budi (stopped, and in a new cohort) none.
    report = await tick(bot, clock, at_seven(END + timedelta(days=30)))
    assert report.sent == 1
    assert "🌱 Sudah 30 hari" in news(bot, ani) and "🌱 Sudah 30 hari" not in news(bot, budi)


async def test_a_question_that_never_went_out_is_not_shown_as_asked(
    bot: RunningBot | MemoryBot, clock: Clock, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await alumnus(bot)
    await tick(bot, clock, at_seven(END + timedelta(days=30)) + timedelta(hours=7))  # late
    assert [(offset, status) for offset, status, _, _ in await rows(db)] == [(30, "late")]
    out = await budi.send("/tindaklanjut")
    assert "🎓 <b>Tindak lanjut</b> berjalan sampai" in joined(out)
    assert "• 30 hari" not in joined(out)
    async with db() as session:
        cohort = await session.scalar(select(Cohort))
        assert cohort is not None
        shown = render_report(
            ctx(bot), "id", await reports.cohort_report(session, cohort, clock.now)
        )
    assert "Tindak lanjut alumni" in shown and "30 hari: menjawab" not in shown
    # Forged: the late question cannot be answered either.
    async with db() as session:
        late = await session.scalar(select(FollowUp.id))
    out = await budi.press_data(budi.last_message_id(), f"fup:yes:{late}")
    assert "Tombol ini sudah tidak berlaku" in "\n".join(r.text or "" for r in out)
