"""Quizzes (issue 14, item 3: core.quizzes, handlers.quizzes, `aksi quiz`): a pre-test and a
post-test imported from CSV, opened by a facilitator, answered one question at a time — as
Telegram's own quiz polls (non-anonymous, the answers coming back as poll answers) and as
lettered buttons on a channel without polls —, scored, the pre→post gain per participant and
for the cohort, the hardest questions; timed questions. Hostile: a question never asked of
them, an option out of range, a second answer, another cohort's quiz, a closed quiz, a poll
answer for another person's poll or an unknown poll, participants and other cohorts'
facilitators pressing the facilitator's buttons, malformed button data; the CLI's bad files."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.cli import main
from core import quiz_files, quiz_scores
from core import quizzes as rules
from core.cohorts import get_cohort
from core.imports import ImportRefused
from core.report_files import xlsx_bytes
from core.reports import export
from handlers.quizzes import advance_timed_out
from storage.db import Database, create_engine, sessionmaker, upgrade
from storage.models import Participant
from storage.quizzes import Quiz, QuizAnswer, QuizQuestion
from tests.conftest import NOW, make_cohort
from tests.harness import Clock, MemoryBot, Outgoing, Person, RunningBot, joined
from tests.people import facilitator_of, new_person
from tests.planning import joined_person
from tests.test_approvals import news
from tests.test_reports import counting, label_in

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

PRE = "\n".join([
    "question,a,b,c,d,correct,explanation",
    "Apa nilai dasar ASN BerAKHLAK yang pertama?,Berorientasi pelayanan,Akuntabel,Kompeten,"
    "Harmonis,A,BerAKHLAK dimulai dari Berorientasi pelayanan.",
    "Revolusi mental menekankan?,Integritas etos kerja gotong royong,Kecepatan saja,Anggaran,"
    "Gedung baru,a,",
    "Berapa hari sebuah kebiasaan dilatih dalam pelatihan ini?,7,21,49,90,C,Tujuh minggu: 49 hari.",
    "",
]).encode()  # fmt: skip

POST_ID = b"""soal;a;b;jawaban;penjelasan
Rencana aksi disetujui oleh?;Mentor;Teman;1;Mentor (atasan langsung) menyetujui rencana aksi.
Presensi dicatat?;Per sesi;Sekali saja;A;
"""


@pytest.fixture(autouse=True)
def buttons_on_memory(request: pytest.FixtureRequest) -> None:
    """Telegram asks with its own quiz polls; the memory channel here is one without polls
    (as WhatsApp is), so both ways are tested."""
    if "bot" not in request.fixturenames:
        return
    bot = request.getfixturevalue("bot")
    if isinstance(bot, MemoryBot):
        bot.channel.capabilities = replace(bot.channel.capabilities, native_polls=False)


async def import_quiz(
    db: async_sessionmaker[AsyncSession],
    data: bytes = PRE,
    kind: str = "pre",
    title: str = "Revolusi Mental",
    seconds: int | None = None,
    code: str = "REVMEN1",
) -> int:
    async with db.begin() as session:
        cohort = await get_cohort(session, code)
        quiz = await quiz_files.import_quiz(session, cohort.id, kind, title, seconds, data, NOW)
        return quiz.id


async def answer(person: Person, option: int) -> list[Outgoing]:
    """Answer the question shown: in its poll (Telegram), or by its letter's button."""
    if person.last_poll() is not None:
        return await person.answer_poll([option])
    return await person.press(rules.LETTERS[option])


def has_poll(out: list[Outgoing]) -> bool:
    return any(r.method == "sendPoll" for r in out)


async def question_ids(db: async_sessionmaker[AsyncSession], quiz_id: int) -> list[int]:
    async with db() as session:
        return list(
            await session.scalars(
                select(QuizQuestion.id)
                .where(QuizQuestion.quiz_id == quiz_id)
                .order_by(QuizQuestion.position)
            )
        )


async def answer_rows(db: async_sessionmaker[AsyncSession]) -> list[tuple[int, int | None, bool]]:
    async with db() as session:
        rows = await session.execute(
            select(QuizAnswer.question_id, QuizAnswer.chosen, QuizAnswer.correct).where(
                QuizAnswer.answered_at.is_not(None)
            )
        )
        return sorted((q, c, bool(r)) for q, c, r in rows.all())


async def test_pre_and_post_test_answered_scored_with_the_gain_and_the_hardest_questions(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    budi = await joined_person(bot, 1001, "Budi")
    ani = await joined_person(bot, 1002, "Ani")
    sari = bot.person(9001, "Sari")
    pre = await import_quiz(db)
    out = await budi.send("/kuis")
    assert "Belum ada kuis yang dibuka" in joined(out)  # imported, not opened yet
    out = await sari.send("/hasilkuis")
    assert "Pre-test — Revolusi Mental: 3 soal, belum dibuka" in joined(out)
    out = await sari.press("Buka: Pre-test")
    assert "<b>Pre-test — Revolusi Mental</b> dibuka dan dikirim ke 2 peserta" in joined(out)
    assert "<b>Pre-test — Revolusi Mental</b> dibuka: 3 soal pilihan ganda" in news(bot, budi)
    # A second press opens nothing twice.
    out = await sari.press_data(sari.last_message_id(), f"quz:open:{pre}")
    assert "sudah dibuka sebelumnya" in joined(out)

    out = await budi.press("Mulai: Pre-test")
    if chat_kind == "telegram":  # Telegram's own poll, its answers coming back
        [poll] = [r for r in out if r.method == "sendPoll"]
        # A pre-test's poll shows no right answer (the post-test would measure what it told).
        assert poll.params["type"] == "regular" and poll.params["is_anonymous"] is False
        assert "correct_option_ids" not in poll.params and "explanation" not in poll.params
        assert poll.params["protect_content"] is True  # not forwarded to be answered elsewhere
        assert poll.text == "1/3. Apa nilai dasar ASN BerAKHLAK yang pertama?"
        assert "open_period" not in poll.params  # untimed
        # Asked again while its poll waits: no second poll (the first would show nothing new,
        # but a quiz's would show the answer): answer it above.
        await budi.send("/kuis")
        out = await budi.press(": Pre-test")  # Mulai: none answered yet
        assert "Soal 1/3 ada di atas" in joined(out) and not has_poll(out)
    else:  # buttons: the question, its options lettered, a button per letter
        shown = joined(out)
        assert "soal 1/3" in shown and "A. Berorientasi pelayanan" in shown
        assert "D. Harmonis" in shown and not has_poll(out)
    out = await answer(budi, 0)  # right
    if chat_kind == "memory":
        assert "Jawaban tersimpan" in joined(out) and "Benar" not in joined(out)
        assert "BerAKHLAK dimulai" not in joined(out)
    out = await answer(budi, 1)  # wrong
    if chat_kind == "memory":
        assert (
            "Jawaban tersimpan" in joined(out)
            and "Integritas etos kerja" not in joined(out).split("---")[0].split("Jawaban Anda")[1]
        )
    out = await answer(budi, 2)  # right: the last
    assert "<b>Pre-test — Revolusi Mental</b> selesai. Skor Anda: <b>2/3 benar (67%)</b>" in (
        joined(out)
    )
    out = await budi.send("/kuis")
    assert "• Pre-test — Revolusi Mental: selesai, 2/3 benar (67%)" in joined(out)
    # Ani answers everything wrong.
    await ani.press("Mulai: Pre-test")
    for wrong in (3, 3, 3):
        out = await answer(ani, wrong)
    assert "0/3 benar (0%)" in joined(out)

    out = await sari.send("/hasilkuis")
    assert "dibuka · selesai 2/2 · rata-rata 33%" in joined(out)
    out = await sari.press("Hasil: Pre-test")
    shown = joined(out)
    assert "<b>Pre-test — Revolusi Mental</b> · selesai 2/2 · rata-rata 33%" in shown
    # The hardest first: question 2 (nobody right), then 1 and 3 (one of two).
    hardest = shown.split("Soal tersulit")[1]
    assert hardest.index("2. Revolusi mental") < hardest.index("1. Apa nilai")
    assert "0% benar (0/2)" in hardest and "50% benar (1/2)" in hardest
    assert "• Ani: 0/3 benar (0%)" in shown and "• Budi: 2/3 benar (67%)" in shown

    # The post-test (Indonesian headers, semicolons, the answer as a number).
    post = await import_quiz(db, POST_ID, "post", "Revolusi Mental")
    await sari.send("/hasilkuis")
    await sari.press("Buka: Post-test")
    out = await budi.press("Mulai: Post-test")
    if chat_kind == "telegram":  # the post-test: a quiz poll, the right answer shown
        [poll] = [r for r in out if r.method == "sendPoll"]
        assert poll.params["type"] == "quiz" and poll.params["correct_option_ids"] == [0]
        assert poll.params["explanation"] == "Mentor (atasan langsung) menyetujui rencana aksi."
    out = await answer(budi, 0)
    if chat_kind == "memory":
        assert "✅ Benar!" in joined(out) and "💡 Mentor (atasan langsung)" in joined(out)
    out = await answer(budi, 0)
    shown = joined(out)
    assert "Skor Anda: <b>2/2 benar (100%)</b>" in shown
    assert "📈 Pre-test 67% → post-test 100% (+33 poin)." in shown
    out = await sari.send("/hasilkuis")
    out = await sari.press("Kenaikan pre → post-test")
    shown = joined(out)
    assert "Rata-rata angkatan: 67% → 100% (+33 poin), dari 1 peserta" in shown
    assert "• Budi: 67% → 100% (+33)" in shown and "• Ani: 0% → —" in shown
    # Closing asks first, is final, and shows the results; answers are refused after.
    await ani.press("Mulai: Post-test")
    out = await sari.press_data(sari.last_message_id(), f"quz:close:{post}")
    assert "Tutup <b>Post-test — Revolusi Mental</b>?" in joined(out)
    out = await sari.press("Ya, tutup")
    assert "ditutup" not in joined(out) or "selesai 1/2" in joined(out)
    before = await answer_rows(db)
    out = await answer(ani, 0)
    assert "Kuis ini sudah ditutup" in "\n".join(r.text or "" for r in out)
    assert await answer_rows(db) == before


async def test_hostile_answers_change_nothing(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await make_cohort(db, code="LAIN")
    await facilitator_of(db, "REVMEN1", chat_kind)
    await facilitator_of(db, "LAIN", chat_kind, user_id=9002)
    budi = await joined_person(bot, 1001, "Budi")
    ani = await joined_person(bot, 1002, "Ani")
    sari = bot.person(9001, "Sari")
    other = bot.person(9002, "Lain")
    pre = await import_quiz(db)
    theirs = await import_quiz(db, code="LAIN")
    first, second, _ = await question_ids(db, pre)
    await sari.send("/hasilkuis")
    await sari.press("Buka: Pre-test")
    await budi.press("Mulai: Pre-test")
    mid = budi.last_message_id()

    def said(out: list[Outgoing]) -> str:
        return "\n".join(r.text or "" for r in out)

    # A question not asked of him yet, an option that does not exist, malformed data.
    for data in (f"quz:a:{second}.0", f"quz:a:{first}.7", "quz:a:x.1", f"quz:a:{first}.",
                 "quz:zz:1", f"quz:go:{theirs}", "quz:go:999999", f"quz:a:{first}.01"):  # fmt: skip
        out = await budi.press_data(mid, data)
        assert "Tombol ini sudah tidak berlaku" in said(out) or "kedaluwarsa" in said(out), data
    # Ani was never asked Budi's question: pressing its button is refused.
    out = await ani.press_data(ani.last_message_id(), f"quz:a:{first}.0")
    assert "tidak berlaku" in said(out) or "kedaluwarsa" in said(out)
    assert await answer_rows(db) == []
    # A participant, and another cohort's facilitator, pressing the facilitator's buttons.
    await other.send("/hasilkuis")
    for person in (budi, other):
        for data in (f"quz:open:{pre}", f"quz:res:{pre}", f"quz:close:{pre}"):
            out = await person.press_data(person.last_message_id(), data)
            assert "fasilitator" in said(out).lower(), (person.first_name, data)
    out = await budi.press_data(mid, "quz:gain:1")
    assert "fasilitator" in said(out).lower()
    # A poll answer for a poll that does not exist, or for Budi's poll by Ani.
    out = await budi.answer_poll([0], poll_id="made-up-poll")
    assert "tidak berlaku" in said(out) or "kedaluwarsa" in said(out)
    if chat_kind == "memory":
        out = await ani.answer_poll([0], poll_id="poll-1")
        assert "tidak berlaku" in said(out) or "kedaluwarsa" in said(out)
    # The right answer once; the second is refused and changes nothing.
    await answer(budi, 0)
    rows = await answer_rows(db)
    assert rows == [(first, 0, True)]
    if chat_kind == "memory":
        out = await budi.press_data(mid, f"quz:a:{first}.1")
        assert "sudah Anda jawab" in said(out)
    assert await answer_rows(db) == rows


async def test_timed_questions_run_out_and_move_on(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    chat_kind: str,
    clock: Clock,
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    budi = await joined_person(bot, 1001, "Budi")
    sari = bot.person(9001, "Sari")
    quiz = await import_quiz(db, seconds=30)
    first, second, third = await question_ids(db, quiz)
    await sari.send("/hasilkuis")
    await sari.press("Buka: Pre-test")
    assert "30 detik" in news(bot, budi)
    out = await budi.press("Mulai: Pre-test")
    if chat_kind == "telegram":
        [poll] = [r for r in out if r.method == "sendPoll"]
        assert poll.params["open_period"] == 30
    else:
        assert "⏱ 30 detik untuk soal ini." in joined(out)
    # Budi lets the first question run out: the job records it and asks the next.
    clock.now += timedelta(seconds=40)
    assert await advance_timed_out(bot) == 1
    assert await advance_timed_out(bot) == 0  # once
    async with db() as session:
        row = await session.scalar(select(QuizAnswer).where(QuizAnswer.question_id == first))
        assert row is not None and row.answered_at is not None and row.chosen is None
        asked = await session.scalar(select(QuizAnswer).where(QuizAnswer.question_id == second))
        assert asked is not None and asked.answered_at is None
    if chat_kind == "memory":
        assert "soal 2/3" in news(bot, budi)
        # An answer pressed past its time (and the grace) does not count.
        clock.now += timedelta(seconds=36)
        out = await budi.press("A")
        assert "Waktu habis" in joined(out)
    else:
        assert "2/3." in (budi.last_poll() or {}).get("question", "")
        clock.now += timedelta(seconds=36)
        out = await budi.answer_poll([0])
        assert "Waktu soal itu sudah habis" in joined(out)
    async with db() as session:
        row = await session.scalar(select(QuizAnswer).where(QuizAnswer.question_id == second))
        assert row is not None and row.chosen is None and not row.correct
    # The third in time counts.
    out = await answer(budi, 2)
    assert "Skor Anda: <b>1/3 benar (33%)</b>" in joined(out)
    assert third in [q for q, _, _ in await answer_rows(db)]


async def test_a_quiz_goes_on_where_it_stopped_across_a_restart(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    budi = await joined_person(bot, 1001, "Budi")
    sari = bot.person(9001, "Sari")
    await import_quiz(db)
    await sari.send("/hasilkuis")
    await sari.press("Buka: Pre-test")
    await budi.press("Mulai: Pre-test")
    await answer(budi, 0)
    await bot.stop()
    await bot.start()
    out = await budi.send("/kuis")
    assert "• Pre-test — Revolusi Mental: 1/3 soal dijawab" in joined(out)
    out = await budi.press("Lanjutkan: Pre-test")
    if chat_kind == "telegram":  # question 2's poll is in the chat still
        assert "Soal 2/3 ada di atas" in joined(out)
        assert (budi.last_poll() or {}).get("question", "").startswith("2/3.")
    else:
        assert "soal 2/3" in joined(out)
    await answer(budi, 1)
    out = await answer(budi, 2)
    assert "Skor Anda: <b>2/3 benar (67%)</b>" in joined(out)


# --- the file and the CLI --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"question,a,b,correct\nQ?,x,,A\n", "line 2: a question needs at least two options"),
        (b"question,a,b,correct\nQ?,x,y,C\n", "line 2: correct 'C' is not one of the options"),
        (b"question,a,b,c,correct\nQ?,x,,z,A\n", "line 2: option c comes after an empty option"),
        (b"question,a,b,correct\nQ?,x,x,A\n", "line 2: two options of the question are the same"),
        (b"question,a,correct\nQ?,x,A\n", "line 1: missing column b"),
        (b"question,a,b,answer\nQ?,x,y,A\n", "unknown column 'answer'"),
        (b"question,a,b,correct\n" + b"Q" * 300 + b",x,y,A\n", "question is longer than 255"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_a_bad_quiz_file_is_refused_naming_the_line(data: bytes, expected: str) -> None:
    with pytest.raises(ImportRefused) as refused:
        quiz_files.parse_quiz(data)
    assert expected in "\n".join(str(p) for p in refused.value.problems)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for key in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "AKSI_ADMIN_IDS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    return CliRunner()


@pytest.mark.channels("memory")
def test_cli_imports_whole_or_not_at_all(cli: CliRunner, tmp_path: Path, db_url: str) -> None:
    async def populate() -> None:
        engine = create_engine(db_url)
        try:
            await upgrade(engine)
            await make_cohort(sessionmaker(engine))
        finally:
            await engine.dispose()

    asyncio.run(populate())
    good, bad = tmp_path / "pre.csv", tmp_path / "bad.csv"
    good.write_bytes(PRE)
    bad.write_bytes(PRE + b"Tanpa pilihan?,x,,,,A,\n")

    def run(*args: str) -> tuple[int, str]:
        result = cli.invoke(main, ["quiz", *args], catch_exceptions=False)
        return result.exit_code, result.output

    code, output = run("import", "--cohort", "REVMEN1", "--kind", "pre", "--title", "RM", str(bad))
    assert code == 1
    assert output.startswith("aksi: bad.csv refused, nothing was written:")
    assert "line 5: a question needs at least two options" in output
    for extra, expected in (
        (("--title", "RM", "--seconds", "3"), "the time per question must be 5 to 600 seconds"),
        (("--title", ""), "the title must be 1 to 100 characters"),
        (("--title", "x" * 101), "the title must be 1 to 100 characters"),
    ):
        code, output = run("import", "--cohort", "REVMEN1", *extra, str(good))
        assert code == 1 and expected in output, output
    code, output = run("import", "--cohort", "NOPE", "--title", "RM", str(good))
    assert code == 1 and "NOPE" in output
    code, output = run("list", "--cohort", "REVMEN1")
    assert code == 0 and output == "REVMEN1 has no quizzes\n"  # nothing was written
    code, output = run(
        "import", "--cohort", "revmen1", "--kind", "pre", "--title", "RM", "--seconds", "30",
        str(good),
    )  # fmt: skip
    assert code == 0, output
    assert "pre.csv imported into REVMEN1: pre quiz 'RM' with 3 questions" in output
    code, output = run("list", "--cohort", "REVMEN1")
    assert code == 0 and "\tpre\tRM\tnot opened\t3 questions\t0/0 finished" in output


async def test_scores_in_the_report_the_export_and_the_participants_own_data(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    chat_kind: str,
    engine: AsyncEngine,
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    budi = await joined_person(bot, 1001, "Budi")
    await joined_person(bot, 1002, "Ani")
    sari = bot.person(9001, "Sari")
    await import_quiz(db)
    await import_quiz(db, POST_ID, "post", "Revolusi Mental")
    await sari.send("/hasilkuis")
    await sari.press("Buka: Pre-test")
    await sari.press("Buka: Post-test")
    await budi.send("/kuis")
    await budi.press("Mulai: Pre-test")
    for option in (0, 1, 2):  # 2 of 3
        await answer(budi, option)
    await budi.send("/kuis")
    await budi.press("Mulai: Post-test")
    for option in (0, 0):  # 2 of 2
        await answer(budi, option)
    out = await sari.send("/rekap")
    shown = joined(out)
    assert "🧠 Pre-test — Revolusi Mental: selesai 1/2 · rata-rata 67%" in shown
    assert "🧠 Post-test — Revolusi Mental: selesai 1/2 · rata-rata 100%" in shown
    assert "📈 Kenaikan: 67% → 100% (+33 poin; 1 peserta menyelesaikan keduanya)" in shown
    assert "Soal tersulit Post-test: 1 (100%), 2 (100%)" in shown
    async with db() as session:
        cohort = await get_cohort(session, "REVMEN1")
        with counting(engine) as statements:
            found = await quiz_scores.cohort_quizzes(session, cohort.id, [1, 2])
        assert len(statements) == 3  # the two tests, their scores, the later's questions
        assert found.gains[1].points is not None
        data = await export(session, cohort, NOW)
    book = load_workbook(io.BytesIO(xlsx_bytes(data, label_in("id"))))
    assert [s.title for s in book.worksheets] == ["Laporan harian", "Ringkasan", "Soal Post-test"]
    summary = list(book.worksheets[1].iter_rows(values_only=True))
    header = summary[0]
    budi_row = next(r for r in summary if r[0] == "Budi")
    at = header.index
    assert budi_row[at("Pre-test")] == pytest.approx(2 / 3)
    assert budi_row[at("Post-test")] == 1 and budi_row[at("Kenaikan (poin)")] == 33.3
    ani_row = next(r for r in summary if r[0] == "Ani")
    assert ani_row[at("Pre-test")] is None and ani_row[at("Kenaikan (poin)")] is None
    questions = list(book.worksheets[2].iter_rows(values_only=True))
    assert questions[0] == ("No.", "Soal", "Menjawab", "Benar", "Persen benar")
    assert questions[1] == (1, "Rencana aksi disetujui oleh?", 1, 1, 1)
    # His own answers are his to download, and erased with his data.
    out = await budi.send_and_wait("/dataku", 1)
    [document] = [r for r in out if r.method == "sendDocument"]
    assert document.file_bytes is not None
    mine = document.file_bytes.decode("utf-8-sig")
    assert "kuis" in mine and "benar: Berorientasi pelayanan" in mine
    assert "salah: Kecepatan saja" in mine
    await budi.send("/hapusdata")
    await budi.press("Ya, hapus")
    async with db() as session:
        left = list(await session.scalars(select(QuizAnswer.participant_id)))
    assert left == []


@pytest.mark.channels("memory")
def test_cli_imports_an_evaluation_form_and_sets_the_automatic_opening(
    cli: CliRunner, tmp_path: Path, db_url: str
) -> None:
    async def populate() -> None:
        engine = create_engine(db_url)
        try:
            await upgrade(engine)
            await make_cohort(sessionmaker(engine))
        finally:
            await engine.dispose()

    asyncio.run(populate())
    good, bad = tmp_path / "materi.csv", tmp_path / "salah.csv"
    good.write_bytes(b"butir;skala\nMateri jelas;5\nSaran;teks\n")
    bad.write_bytes(b"butir;skala\nMateri jelas;sepuluh\n")

    def run(*args: str) -> tuple[int, str]:
        result = cli.invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    code, output = run("evaluation", "import", "--cohort", "REVMEN1", "--title", "M", str(bad))
    assert code == 1
    assert "salah.csv refused, nothing was written" in output
    assert "line 2: scale 'sepuluh' is not 5, 4, yesno or text" in output
    code, output = run("evaluation", "list", "--cohort", "REVMEN1")
    assert (code, output) == (0, "REVMEN1 has no evaluations\n")
    code, output = run(
        "evaluation", "import", "--cohort", "REVMEN1", "--title", "Evaluasi materi", str(good)
    )
    assert code == 0 and "evaluation 'Evaluasi materi' with 2 items" in output, output
    code, output = run(
        "evaluation", "import", "--cohort", "REVMEN1", "--title", "Evaluasi materi", str(good)
    )
    assert code == 1 and "already has an evaluation titled 'Evaluasi materi'" in output
    code, output = run("evaluation", "list", "--cohort", "REVMEN1")
    assert output == "-\tcustom\tEvaluasi materi\tnot opened\t2 items\n"
    code, output = run("cohort", "evaluation", "--code", "REVMEN1", "--auto", "on")
    assert output == "REVMEN1: each session's trainer evaluation opens when the session ends\n"
    code, output = run("cohort", "evaluation", "--code", "REVMEN1", "--auto", "maybe")
    assert code == 2 and "maybe" in output


@pytest.mark.channels("memory")
async def test_two_workers_asking_the_same_participant_at_once_ask_one_question(
    db: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """Two workers take the same person's /kuis at once (two quick taps reaching two
    processes): the second waits for the first and shows the same question, never a second
    row (PostgreSQL: a unique violation before the participant's row was locked)."""
    await make_cohort(db)
    quiz_id = await import_quiz(db)
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        budi = Participant(cohort=cohort, person_id=await new_person(session, 1001),
                           first_name="Budi", joined_at=NOW)  # fmt: skip
        session.add(budi)
        (await session.get_one(Quiz, quiz_id)).opened_at = NOW
    budi_id = budi.id

    both = Database(engine)  # each transaction as a worker's: PostgreSQL's run side by side

    async def ask() -> rules.Asked | None:
        async with both.begin() as session:
            quiz = await session.get_one(Quiz, quiz_id)
            person = await session.get_one(Participant, budi_id)
            return await rules.next_question(session, quiz, person, NOW)

    async with both.begin() as session:
        quiz = await session.get_one(Quiz, quiz_id)
        first = await rules.next_question(
            session, quiz, await session.get_one(Participant, budi_id), NOW
        )
        second_task = asyncio.create_task(ask())
        await asyncio.sleep(0.5)  # the second is under way, waiting for the first to end
        assert not second_task.done()
    second = await second_task
    assert first is not None and second is not None
    assert (second.row.id, second.n, second.again) == (first.row.id, 1, True)
    async with db() as session:
        assert len(list(await session.scalars(select(QuizAnswer)))) == 1
