"""Evaluations (issue 14, item 2: core.evaluations, handlers.evaluations): a facilitator opens
the trainer evaluation of a held session (or the organisation's), every participant is invited,
answers item by item with buttons, stops and goes on later — across a restart —, and the results
show averages and distributions only from five answers on, never who answered what; who has not
finished is listed. Hostile: a closed form, values off the scale, a value for a free-text item,
another cohort's form, a participant or another cohort's facilitator pressing the facilitator's
buttons, malformed buttons, a free text too long."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core import evaluation_files
from core import evaluations as rules
from core.errors import InvalidInput
from core.imports import ImportRefused
from core.report_files import xlsx_bytes
from core.reports import export
from handlers.evaluation_results import evaluation_tick
from storage.db import Database
from storage.evaluations import EvaluationAnswer, EvaluationForm, EvaluationItem
from storage.models import Cohort, Session
from tests.conftest import NOW, make_cohort
from tests.harness import Clock, MemoryBot, Outgoing, Person, RunningBot, joined
from tests.people import facilitator_of
from tests.planning import joined_person
from tests.test_approvals import news
from tests.test_reports import label_in

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

NAMES = ("Budi", "Ani", "Citra", "Dedi", "Eka", "Fajar")


async def held_session(
    db: async_sessionmaker[AsyncSession],
    code: str = "REVMEN1",
    starts: datetime = datetime(2021, 9, 2, 0, 30, tzinfo=UTC),
    title: str = "Nilai-nilai ASN BerAKHLAK",
) -> int:
    """A session of Dr. Widya Sari's, by default on Thursday 2 September (the day before the
    clock's), lasting three and a half hours."""
    async with db.begin() as session:
        cohort = await session.scalar(select(Cohort).where(Cohort.code == code))
        assert cohort is not None
        s = Session(
            cohort_id=cohort.id, starts_at=starts, ends_at=starts + timedelta(hours=3.5),
            title=title, speaker="Dr. Widya Sari",
        )  # fmt: skip
        session.add(s)
        await session.flush()
        return s.id


async def answers(db: async_sessionmaker[AsyncSession]) -> list[tuple[int, int | None, str | None]]:
    async with db() as session:
        rows = await session.execute(
            select(EvaluationAnswer.item_id, EvaluationAnswer.value, EvaluationAnswer.text)
        )
        return sorted(tuple(r) for r in rows.all())  # type: ignore[misc]


def alerts(out: list[Outgoing]) -> str:
    return "\n".join(r.text or "" for r in out if r.method == "answerCallbackQuery")


async def answer_through(person: Person, value: str = "4", upto: int = 10) -> str:
    """Press `value` for each scale item, skip the free text, up to item `upto`."""
    out = await person.press("Isi:")
    for _ in range(upto):
        shown = joined(out)
        if "Terima kasih" in shown:
            break
        out = await person.press("Lewati" if "Tulis jawaban" in shown else value)
    return joined(out)


async def test_open_answer_resume_across_a_restart_and_results_from_five_answers(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    session_id = await held_session(db)
    people = [await joined_person(bot, 1001 + i, name) for i, name in enumerate(NAMES)]
    budi = people[0]
    sari = bot.person(9001, "Sari")
    out = await sari.send("/hasilevaluasi")
    assert "Belum ada evaluasi" in joined(out)
    out = await sari.press("Evaluasi widyaiswara: Dr. Widya Sari")
    assert "<b>Evaluasi widyaiswara — Dr. Widya Sari</b> dibuka dan dikirim" in joined(out)
    for person in people:
        assert "<b>Evaluasi widyaiswara — Dr. Widya Sari</b> dibuka. Mohon diisi" in news(
            bot, person
        )
    out = await sari.press_data(sari.last_message_id(), f"evl:new:t.{session_id}")
    assert "sudah pernah dibuka" in joined(out)  # a second press: no second form
    async with db() as session:
        assert len(list(await session.scalars(select(EvaluationForm)))) == 1
    # Budi answers three items, stops, and goes on later where he stopped — after a restart.
    out = await budi.press("Isi:")
    assert "1/10. Penguasaan materi" in joined(out) and "1 = sangat kurang … 5" in joined(out)
    await budi.press("5")
    await budi.press("4")
    out = await budi.press("3")
    assert "4/10. Penggunaan metode dan media" in joined(out)
    await bot.stop()
    await bot.start()
    out = await budi.send("/evaluasi")
    assert "• Evaluasi widyaiswara — Dr. Widya Sari: 3/10" in joined(out)
    out = await budi.press("Isi:")
    assert "4/10. Penggunaan metode dan media" in joined(out)
    for _ in range(6):
        out = await budi.press("4")
    assert "10/10. Saran untuk widyaiswara" in joined(out)
    out = await budi.send("Lebih banyak contoh kasus dari daerah")
    assert "Terima kasih! <b>Evaluasi widyaiswara — Dr. Widya Sari</b> selesai" in joined(out)
    # While open: who has not completed it, no figures (they would change with each answer).
    out = await sari.send("/hasilevaluasi")
    assert "selesai 1/6 · dibuka" in joined(out)
    assert "Belum selesai (5): Ani, Citra, Dedi, Eka, Fajar" in joined(out)
    async with db() as session:
        form_id = await session.scalar(select(EvaluationForm.id))
    out = await sari.press_data(sari.last_message_id(), f"evl:res:{form_id}")
    assert "Hasil ditampilkan setelah evaluasi ditutup" in joined(out)
    assert "Penguasaan materi" not in joined(out)
    # Four more finish; closing asks first, then shows the results — no names.
    for person in people[1:5]:
        assert "Terima kasih" in await answer_through(person, "4")
    out = await sari.send("/hasilevaluasi")
    assert "Belum selesai (1): Fajar" in joined(out)
    out = await sari.press("Tutup:")
    assert "Tidak bisa dibuka lagi" in joined(out)
    out = await sari.press("Ya, tutup")
    shown = joined(out)
    assert "1. Penguasaan materi — rata-rata <b>4,2</b> (5 jawaban; 5: 1 · 4: 4 · 3: 0" in shown
    assert "3. Sistematika penyajian — rata-rata <b>3,8</b> (5 jawaban; 5: 0 · 4: 4 · 3: 1" in shown
    assert "10. Saran untuk widyaiswara — jawaban belum cukup (1)" in shown  # four skipped it
    for name in NAMES:
        assert name not in shown
    out = await people[5].press("Isi:")
    assert "Evaluasi ini sudah ditutup" in "\n".join(r.text or "" for r in out)
    async with db() as session:
        assert await session.scalar(select(EvaluationForm.closed_at)) is not None
    # Results again, with their chart; and in the export's sheet, nothing under five answers.
    out = await sari.press_data(sari.last_message_id(), f"evl:res:{form_id}")
    [photo] = [r for r in out if r.method == "sendPhoto"]
    assert (photo.file_bytes or b"").startswith(b"\x89PNG")
    async with db() as session:
        cohort = await session.scalar(select(Cohort).where(Cohort.code == "REVMEN1"))
        assert cohort is not None
        data = await export(session, cohort, NOW)
    book = load_workbook(io.BytesIO(xlsx_bytes(data, label_in("en"), "en")))
    sheet = book["Evaluations"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Evaluation",
        "Item",
        "Answers",
        "Average",
        "Distribution",
        "Written answers",
    )
    trainer = "Trainer evaluation — Dr. Widya Sari"
    assert (
        trainer,
        "Mastery of the material",
        5,
        4.2,
        "5: 1 · 4: 4 · 3: 0 · 2: 0 · 1: 0",
        None,
    ) in rows
    assert (trainer, "Suggestions for the trainer", 1, None, "fewer than 5 answers: not shown",
            None) in rows  # fmt: skip


async def test_what_is_refused_changes_nothing(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    await make_cohort(db, code="OTHER", name="Lain")
    await facilitator_of(db, "OTHER", chat_kind, 9002)
    await held_session(db)
    budi = await joined_person(bot)
    eko = bot.person(1003, "Eko")
    await eko.send("/start OTHER")
    await eko.press("Lewati")
    await eko.press("Lewati")
    sari, fajar = bot.person(9001, "Sari"), bot.person(9002, "Fajar")
    await sari.send("/hasilevaluasi")
    await sari.press("Evaluasi penyelenggaraan")
    async with db() as session:
        form_id = await session.scalar(select(EvaluationForm.id))
        items = list(
            await session.scalars(select(EvaluationItem).order_by(EvaluationItem.position))
        )
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.code == "REVMEN1"))
    scale, text_item = items[0].id, items[-1].id
    assert items[-1].scale == "text"
    # Off the scale, a value for a free text, malformed: refused, nothing written.
    for data in (
        f"evl:a:{scale}.9", f"evl:a:{scale}.0", f"evl:a:{text_item}.3", "evl:a:abc",
        f"evl:a:{scale}.12", "evl:x:1", f"evl:a:{scale}", "evl:a:99999.3",
    ):  # fmt: skip
        out = await budi.press_data(budi.last_message_id(), data)
        assert "Tombol ini sudah tidak berlaku" in alerts(out), (data, alerts(out))
    # Eko (another cohort) answering REVMEN1's form: refused.
    out = await eko.press_data(eko.last_message_id(), f"evl:a:{scale}.5")
    assert "Tombol ini sudah tidak berlaku" in alerts(out)
    out = await eko.press_data(eko.last_message_id(), f"evl:go:{form_id}")
    assert "Tombol ini sudah tidak berlaku" in alerts(out)
    # The facilitator's buttons pressed by a participant or OTHER's facilitator: refused.
    for person in (budi, fajar):
        await person.send("/bantuan")
        for data in (f"evl:res:{form_id}", f"evl:close:{form_id}", f"evl:new:o.{cohort_id}"):
            out = await person.press_data(person.last_message_id(), data)
            assert "khusus untuk fasilitator" in alerts(out), (person.user_id, data)
    assert await answers(db) == []
    async with db() as session:
        assert len(list(await session.scalars(select(EvaluationForm)))) == 1
    # A free text too long is refused and stays open; a good one is kept.
    await budi.send("/evaluasi")
    await answer_through(budi, "5", upto=5)
    out = await budi.send("x" * 1001)
    assert "Terlalu panjang: paling banyak 1000 karakter" in joined(out)
    out = await budi.send("Ruang virtual sering putus")
    assert "Terima kasih!" in joined(out)
    assert (text_item, None, "Ruang virtual sering putus") in await answers(db)
    # Closed (asked first): no more answers, one answer is too few to show anything.
    await sari.send("/hasilevaluasi")
    await sari.press("Tutup:")
    out = await sari.press("Ya, tutup")
    assert "1. Sarana dan prasarana (platform, koneksi, e-learning) — jawaban belum cukup (1)" in (
        joined(out)
    )
    out = await budi.press_data(budi.last_message_id(), f"evl:a:{scale}.1")
    assert "Evaluasi ini sudah ditutup" in alerts(out)
    assert (scale, 5, None) in await answers(db)
    out = await budi.send("/evaluasi")
    assert "Tidak ada evaluasi yang sedang dibuka" in joined(out)
    # No way to open it again: a forged "reopen" is refused.
    out = await sari.press_data(sari.last_message_id(), f"evl:reopen:{form_id}")
    assert "Tombol ini sudah tidak berlaku" in alerts(out)
    # A future session's trainer cannot be evaluated, even with a forged button.
    async with db.begin() as session:
        later = Session(
            cohort_id=cohort_id, starts_at=datetime(2021, 9, 20, 0, 30, tzinfo=UTC),
            ends_at=datetime(2021, 9, 20, 4, 0, tzinfo=UTC), title="Nanti", speaker="Dr. Nanti",
        )  # fmt: skip
        session.add(later)
        await session.flush()
        later_id = later.id
    out = await sari.press_data(sari.last_message_id(), f"evl:new:t.{later_id}")
    assert "Tombol ini sudah tidak berlaku" in joined(out)
    # /dataku shows Budi his own answers; /hapusdata erases them (results keep nobody's).
    [document] = [r for r in await budi.send("/dataku") if r.method == "sendDocument"]
    data = (document.file_bytes or b"").decode("utf-8-sig")
    assert "evaluasi" in data and "Ruang virtual sering putus" in data
    await budi.send("/hapusdata")
    await budi.press("Ya, hapus data saya")
    assert await answers(db) == []


FORM = "\n".join([
    "butir,item_en,skala",
    "Materi mudah dipahami,The material was easy to follow,4",
    "Saya akan menerapkannya,I will apply it,yesno",
    "Saran Anda,Your suggestion,teks",
    "",
]).encode()  # fmt: skip


async def test_a_form_imported_from_csv_is_opened_and_answered(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    budi = await joined_person(bot, 1001, "Budi")
    sari = bot.person(9001, "Sari")
    async with db.begin() as session:
        cohort = await session.scalar(select(Cohort).where(Cohort.code == "REVMEN1"))
        assert cohort is not None
        await evaluation_files.import_template(session, cohort.id, "Evaluasi materi", FORM, NOW)
        with pytest.raises(ImportRefused) as taken:
            await evaluation_files.import_template(
                session, cohort.id, "Evaluasi  materi", FORM, NOW
            )
        assert "already has an evaluation titled 'Evaluasi materi'" in str(taken.value.problems[0])
    out = await sari.send("/hasilevaluasi")
    assert "➕ Evaluasi materi" in str(out[-1].reply_markup)
    out = await sari.press("Evaluasi materi")
    assert "<b>Evaluasi materi</b> dibuka dan dikirim" in joined(out)
    assert "<b>Evaluasi materi</b> dibuka. Mohon diisi" in news(bot, budi)
    out = await budi.press("Isi:")
    assert "1/3. Materi mudah dipahami" in joined(out) and "1 = sangat kurang … 4" in joined(out)
    await budi.press("4")
    out = await budi.press("Ya")
    assert "3/3. Saran Anda" in joined(out)
    out = await budi.send("Contoh dari daerah")
    assert "Terima kasih! <b>Evaluasi materi</b> selesai" in joined(out)
    assert sorted(v for _, v, _ in await answers(db) if v is not None) == [1, 4]
    out = await sari.send("/hasilevaluasi")
    assert "Evaluasi materi" in joined(out) and "➕ Evaluasi materi" not in str(out[-1])
    # Four more answer (one says no); closed, the yes/no item reads as a share saying yes.
    for i, name in enumerate(NAMES[1:5]):
        person = await joined_person(bot, 1002 + i, name)  # joined after it opened
        await person.send("/evaluasi")
        await person.press("Isi:")
        await person.press("3")
        await person.press("Tidak" if name == "Ani" else "Ya")
        await person.press("Lewati")
    await sari.send("/hasilevaluasi")
    await sari.press("Tutup:")
    shown = joined(await sari.press("Ya, tutup"))
    assert "1. Materi mudah dipahami — rata-rata <b>3,2</b> (5 jawaban; 4: 1 · 3: 4 · 2: 0" in shown
    assert (
        "2. Saya akan menerapkannya — <b>80%</b> menjawab ya (5 jawaban; Ya: 4 · Tidak: 1)"
    ) in shown
    async with db() as session:
        cohort = await session.scalar(select(Cohort).where(Cohort.code == "REVMEN1"))
        assert cohort is not None
        data = await export(session, cohort, NOW)
    rows = list(
        load_workbook(io.BytesIO(xlsx_bytes(data, label_in("en"), "en")))["Evaluations"].iter_rows(
            values_only=True
        )
    )
    assert ("Evaluasi materi", "I will apply it", 5, 0.8, "Yes: 4 · No: 1", None) in rows


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"item,scale\nBaik?,7\n", "line 2: scale '7' is not 5, 4, yesno or text"),
        (b"item,scale\n,5\n", "line 2: item is empty"),
        (b"item\nBaik?\n", "line 1: missing column scale"),
        (b"item,scale\n" + b"x" * 301 + b",5\n", "item is longer than 300"),
        (b"item,scale\n" + b"Baik?,5\n" * 31, "more than 30 rows"),
    ],
)
def test_a_bad_form_file_is_refused_naming_the_line(data: bytes, expected: str) -> None:
    with pytest.raises(ImportRefused) as refused:
        evaluation_files.parse_template(data)
    assert expected in "\n".join(str(p) for p in refused.value.problems)


async def test_trainer_evaluations_open_after_each_session_and_remind_once(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    chat_kind: str,
    clock: Clock,
) -> None:
    budi = await joined_person(bot, 1001, "Budi")
    ani = await joined_person(bot, 1002, "Ani")
    async with db.begin() as session:
        cohort = await session.scalar(select(Cohort).where(Cohort.code == "REVMEN1"))
        assert cohort is not None
        for title, speaker, ended in (
            ("Sesi pagi", "Dr. Widya Sari", NOW - timedelta(hours=1)),  # just ended
            ("Belajar mandiri", None, NOW - timedelta(minutes=50)),  # no trainer
            ("Sesi kemarin", "Dr. Andi", NOW - timedelta(hours=20)),  # before the window
            ("Sesi siang", "Dr. Citra", NOW + timedelta(hours=3)),  # still to come
        ):
            session.add(
                Session(cohort_id=cohort.id, starts_at=ended - timedelta(hours=2), ends_at=ended,
                        title=title, speaker=speaker)
            )  # fmt: skip
    await evaluation_tick(bot)  # the setting is off: nothing opens
    async with db() as session:
        assert list(await session.scalars(select(EvaluationForm))) == []
    async with db.begin() as session:
        cohort = await session.scalar(select(Cohort).where(Cohort.code == "REVMEN1"))
        assert cohort is not None
        cohort.evaluation_auto = True
    await evaluation_tick(bot)
    await evaluation_tick(bot)  # once
    async with db() as session:
        forms = list(await session.scalars(select(EvaluationForm)))
    assert [(f.kind, f.subject) for f in forms] == [("trainer", "Dr. Widya Sari")]
    for person in (budi, ani):
        assert news(bot, person).count("Evaluasi widyaiswara — Dr. Widya Sari</b> dibuka") == 1
    await budi.press("Isi:")
    for _ in range(9):
        await budi.press("4")
    await budi.press("Lewati")
    # A day later: one reminder, to Ani only (Budi has finished); never a second.
    clock.now += timedelta(hours=25)
    await evaluation_tick(bot)
    await evaluation_tick(bot)
    assert news(bot, ani).count("belum selesai Anda isi") == 1
    assert "belum selesai Anda isi" not in news(bot, budi)


@pytest.mark.channels("memory")
async def test_two_workers_opening_the_same_evaluation_at_once_open_one_form(
    db: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """Two facilitators press Open (or a worker's tick and a facilitator) on two processes at
    once: the second waits for the first and is told the form is open, never a second form
    (PostgreSQL, before the cohort's row was locked: both saw none and both opened one)."""
    await make_cohort(db)
    held_id = await held_session(db)
    both = Database(engine)

    def words(lang: str, key: str) -> str:
        return key

    async def open_it() -> int:
        async with both.begin() as session:
            cohort = await session.scalar(select(Cohort).where(Cohort.code == "REVMEN1"))
            assert cohort is not None
            held = await session.get_one(Session, held_id)
            form = await rules.open_form(session, cohort, "trainer", words, None, NOW, held)
            await asyncio.sleep(0.5)  # the other is under way meanwhile
            return form.id

    outcomes = await asyncio.gather(open_it(), open_it(), return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, InvalidInput)]
    assert len(refused) == 1 and str(refused[0]) == "evaluation.already_open", outcomes
    async with db() as session:
        assert len(list(await session.scalars(select(EvaluationForm)))) == 1


async def test_a_free_text_asked_yesterday_does_not_take_todays_message(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    chat_kind: str,
    clock: Clock,
) -> None:
    """The free-text item waits for a typed answer the day it was asked: a message the next
    day is about something else — not kept as the answer, and said so; /evaluasi asks again."""
    await facilitator_of(db, "REVMEN1", chat_kind)
    await held_session(db)
    budi = await joined_person(bot, 1001, "Budi")
    sari = bot.person(9001, "Sari")
    await sari.send("/hasilevaluasi")
    await sari.press("Evaluasi widyaiswara: Dr. Widya Sari")
    await budi.press("Isi:")
    for _ in range(9):
        out = await budi.press("4")
    assert "10/10. Saran untuk widyaiswara" in joined(out)
    clock.now += timedelta(days=1)
    out = await budi.send("Besok saya izin tidak ikut sesi")
    assert "sudah lewat hari, jadi pesan ini tidak disimpan sebagai jawabannya" in joined(out)
    assert [a for a in await answers(db) if a[2] is not None] == []
    out = await budi.send("/evaluasi")
    assert "• Evaluasi widyaiswara — Dr. Widya Sari: 9/10" in joined(out)
    out = await budi.press("Isi:")
    assert "10/10. Saran untuk widyaiswara" in joined(out)
    out = await budi.send("Contoh kasus dari daerah")
    assert "selesai" in joined(out)
    assert [a[2] for a in await answers(db) if a[2] is not None] == ["Contoh kasus dari daerah"]


async def test_two_evaluations_of_the_same_trainer_are_told_apart(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    """The same trainer in three sessions: the second form names its session, the third (of
    the same title as the second) its day — in the facilitator's list and the invitation."""
    await facilitator_of(db, "REVMEN1", chat_kind)
    first = await held_session(db)
    budi = await joined_person(bot, 1001, "Budi")
    ids = [
        await held_session(
            db, starts=datetime(2021, 8, day, 1, 0, tzinfo=UTC), title="Budaya kerja"
        )
        for day in (1, 2)
    ]
    sari = bot.person(9001, "Sari")
    await sari.send("/hasilevaluasi")
    for session_id in (first, *ids):
        await sari.press_data(sari.last_message_id(), f"evl:new:t.{session_id}")
    async with db() as session:
        subjects = list(
            await session.scalars(select(EvaluationForm.subject).order_by(EvaluationForm.id))
        )
    assert subjects == [
        "Dr. Widya Sari",
        "Dr. Widya Sari · Budaya kerja",
        "Dr. Widya Sari · 02/08/2021",  # the same title as the second: its day (Makassar's)
    ]
    assert "Evaluasi widyaiswara — Dr. Widya Sari · Budaya kerja</b> dibuka" in news(bot, budi)
    listed = joined(await sari.send("/hasilevaluasi"))
    assert listed.count("Evaluasi widyaiswara — Dr. Widya Sari") == 3
    assert "Evaluasi widyaiswara — Dr. Widya Sari · 02/08/2021" in listed


async def test_the_buttons_to_open_two_sessions_of_one_trainer_name_their_days(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    await held_session(db)  # Thursday 2 September, Dr. Widya Sari
    first = await held_session(
        db, starts=datetime(2021, 9, 1, 1, 0, tzinfo=UTC), title="Budaya kerja"
    )
    sari = bot.person(9001, "Sari")
    await sari.send("/hasilevaluasi")
    _, keys = sari.last_keyboard()
    labels = [b["text"] for b in keys]
    assert "➕ Evaluasi widyaiswara: Dr. Widya Sari · 01/09" in labels
    assert "➕ Evaluasi widyaiswara: Dr. Widya Sari · 02/09" in labels
    # A second session of hers that day: its time too.
    await held_session(db, starts=datetime(2021, 9, 1, 5, 0, tzinfo=UTC), title="Budaya kerja II")
    await sari.send("/hasilevaluasi")
    labels = [b["text"] for b in sari.last_keyboard()[1]]
    assert "➕ Evaluasi widyaiswara: Dr. Widya Sari · 01/09 09.00" in labels
    assert "➕ Evaluasi widyaiswara: Dr. Widya Sari · 01/09 13.00" in labels
    assert "➕ Evaluasi widyaiswara: Dr. Widya Sari · 02/09" in labels
    out = await sari.press("Dr. Widya Sari · 01/09 09.00")
    async with db() as session:
        opened = await session.scalar(select(EvaluationForm.session_id))
    assert opened == first and "dibuka dan dikirim" in joined(out)


async def test_a_long_course_keeps_the_buttons_within_what_a_phone_shows(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    """Forty-five closed forms and two open ones: the open ones' buttons (to close) always, the
    newest closed forms' results up to the limit, and a line saying where the older are."""
    from handlers.evaluation_results import MAX_BUTTONS

    await facilitator_of(db, "REVMEN1", chat_kind)
    async with db.begin() as session:
        cohort = await session.scalar(select(Cohort).where(Cohort.code == "REVMEN1"))
        assert cohort is not None
        for n in range(47):
            session.add(
                EvaluationForm(
                    cohort_id=cohort.id, kind="custom", title=f"Form {n:02d}",
                    opened_at=NOW - timedelta(days=60) + timedelta(hours=n),
                    closed_at=None if n in (0, 46) else NOW,
                )
            )  # fmt: skip
    sari = bot.person(9001, "Sari")
    out = await sari.send("/hasilevaluasi")
    shown = joined(out)
    keyboard = [b for r in out[-1].reply_markup["inline_keyboard"] for b in r]  # type: ignore[index]
    labels = [b["text"] for b in keyboard]
    assert len(keyboard) == MAX_BUTTONS <= 100
    # A closed form's button (this view failed on any closed form: a catalog key misnamed).
    assert "📊 Hasil: Form 45" in labels and "🔒 Tutup: Form 00" in labels
    assert any("Form 00" in label for label in labels) and any(
        "Form 46" in label for label in labels
    )
    results = [
        label for label in labels if "Form" in label and "00" not in label and "46" not in label
    ]
    assert results[0].endswith("Form 45") and results[-1].endswith(f"Form {46 - len(results):02d}")
    hidden = 45 - len(results)
    assert f"… dan hasil {hidden} evaluasi lama yang sudah ditutup" in shown
