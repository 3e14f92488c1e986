"""The final report per participant (core.final_report, core.final_report_pdf,
handlers.final_report, `aksi report participant|bundle`): a real PDF read back with pypdf — the
plan and its approval, milestones, the consultation table, habit completion, the heatmap,
evidence and follow-up answers; the participant gets their own, the mentor their mentee's, the
facilitator anyone's of the cohort and the whole cohort's ZIP. Hostile: another participant's
number typed or forged in a button, a stranger, another cohort's bundle, malformed buttons; the
command line's bad values and files, nothing written."""

from __future__ import annotations

import asyncio
import io
import pickle
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import main
from core.final_report import dossier
from core.final_report_pdf import bundle_bytes, pdf_in
from storage.db import create_engine, sessionmaker
from storage.mentoring import Consultation
from storage.models import ActionPlan, Cohort, Habit, Participant
from tests.conftest import make_cohort
from tests.harness import Clock, Outgoing, Person, RunningBot, joined
from tests.people import facilitator_of
from tests.planning import joined_person, write_plan
from tests.test_approvals import with_mentor
from tests.test_consultations import record
from tests.test_milestones import add

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


def pdf_text(blob: bytes) -> str:
    assert blob.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(blob))
    return "\n".join(page.extract_text() for page in reader.pages)


def documents(out: list[Outgoing]) -> list[Outgoing]:
    return [r for r in out if r.method == "sendDocument"]


def alerts(out: list[Outgoing]) -> str:
    return "\n".join(r.text or "" for r in out if r.method == "answerCallbackQuery")


async def worked_plan(bot: RunningBot) -> tuple[Person, Person]:
    """Budi with an approved plan, a milestone, a confirmed consultation, evidence and a
    check-in; Siti his mentor."""
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await write_plan(budi)
    await siti.press("Setujui")
    await add(budi, "Sosialisasi SOP ke staf", "#1")
    await record(budi, "Catat konsultasi", "Hari ini", "Rencana sosialisasi", "Disetujui", "-")
    await siti.press("Konfirmasi")
    await budi.send_photo(caption="Apel pagi bersama")
    await budi.send("/lapor")
    await budi.press("Apel pagi")
    return budi, siti


async def test_the_participant_and_the_mentor_get_the_pdf_and_nobody_else(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    budi, siti = await worked_plan(bot)
    [document] = documents(await budi.send("/laporanakhir"))
    assert document.file_name is not None and document.file_name.endswith(".pdf")
    assert "Laporan akhir rencana aksi <b>Budi</b> (REVMEN1)" in (document.text or "")
    got = pdf_text(document.file_bytes or b"")
    for expected in (
        "Laporan Akhir Rencana Aksi",
        "Angkatan I (REVMEN1)",
        "Pelayanan izin selesai dalam satu hari",
        "Apel pagi tepat waktu",
        "Membaca regulasi",
        "disetujui",
        "Siti",
        "Sosialisasi SOP ke staf",
        "Konsultasi (form pengendalian)",
        "Rencana sosialisasi",
        "dikonfirmasi",
        "Peta kebiasaan",
        "Apel pagi bersama",
    ):
        assert expected in got, (expected, got)
    # Siti, Budi's mentor, picks him from the list.
    out = await siti.send("/laporanakhir")
    assert "Laporan siapa?" in joined(out)
    [document] = documents(await siti.press("Budi"))
    assert "Sosialisasi SOP ke staf" in pdf_text(document.file_bytes or b"")
    # Ani (another participant) and a stranger: nothing, whatever they type or forge.
    ani = await joined_person(bot, 1002, "Ani")
    async with db() as session:
        budi_id = await session.scalar(
            select(Participant.id).where(Participant.first_name == "Budi")
        )
        cohort_id = await session.scalar(select(Cohort.id))
    for person in (ani, bot.person(1009, "Joko")):
        out = await person.send(f"/laporanakhir {budi_id}")
        assert documents(out) == []
        await person.send("/bantuan")
        message_id = person.last_message_id()
        for data, said in (
            (f"fin:p:{budi_id}", "Laporan ini tidak bisa Anda buka"),
            (f"fin:all:{cohort_id}", "Laporan ini tidak bisa Anda buka"),
            ("fin:p:99999", "Laporan ini tidak bisa Anda buka"),
            ("fin:p:abc", "Tombol ini sudah tidak berlaku"),
            ("fin:x:1", "Tombol ini sudah tidak berlaku"),
            ("fin:p:1:2", "Tombol ini sudah tidak berlaku"),
        ):
            out = await person.press_data(message_id, data)
            assert documents(out) == [] and said in alerts(out), (data, alerts(out))
    out = await ani.send(f"/laporanakhir {budi_id}")
    assert "hanya peserta itu sendiri, mentornya dan fasilitator angkatannya" in joined(out)
    out = await ani.send("/laporanakhir dua tiga")
    assert "/laporanakhir NOMOR" in joined(out)


async def test_the_facilitator_gets_anyones_and_the_cohorts_bundle(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    await facilitator_of(db, "REVMEN1", chat_kind)
    await worked_plan(bot)
    await joined_person(bot, 1002, "Ani")  # no plan yet: her report says so
    sari = bot.person(9001, "Sari")
    out = await sari.send("/laporanakhir")
    assert "Laporan siapa?" in joined(out)
    [document] = documents(await sari.press("Ani"))
    assert "Belum ada rencana aksi." in pdf_text(document.file_bytes or b"")
    [bundle] = documents(await sari.press("Semua peserta REVMEN1"))
    assert bundle.file_name == "laporan-REVMEN1.zip"
    with zipfile.ZipFile(io.BytesIO(bundle.file_bytes or b"")) as archive:
        names = sorted(archive.namelist())
        texts = [pdf_text(archive.read(n)) for n in names]
    assert len(names) == 2 and all(n.startswith("laporan-REVMEN1-") for n in names)
    assert sum("Sosialisasi SOP ke staf" in t for t in texts) == 1
    # Another cohort's bundle is not hers.
    other = await make_cohort(db, code="OTHER", name="Lain")
    message_id = sari.last_message_id()
    out = await sari.press_data(message_id, f"fin:all:{other.id}")
    assert documents(out) == [] and "tidak bisa Anda buka" in alerts(out)


async def test_in_english_tall_and_long_and_ready_for_a_worker_process(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    await worked_plan(bot)
    async with db.begin() as session:  # five habits (the most), a 1000-character outcome
        plan = await session.scalar(select(ActionPlan))
        assert plan is not None
        for position in (2, 3, 4):
            session.add(
                Habit(plan_id=plan.id, position=position, name=f"Kebiasaan {position + 1}",
                      kind="yesno", schedule="daily", created_on=date(2021, 9, 2))
            )  # fmt: skip
        await session.execute(update(Consultation).values(outcome="SANGAT PANJANG " * 67))
    clock.now = datetime(2022, 1, 20, 2, 0, tzinfo=UTC)  # near the follow-up's end: a tall map
    async with db() as session:
        participant = await session.scalar(select(Participant))
        assert participant is not None
        await session.refresh(participant, ["cohort"])
        found = await dossier(session, participant, clock.now)
    # The renderer may run it in a worker process: what goes there must travel by pickle.
    found = pickle.loads(pickle.dumps(found))
    got = pdf_text(pdf_in(found, "en"))
    assert "Action Plan Final Report" in got and "Consultations (form pengendalian)" in got
    assert "approved" in got and "Habit map" in got and "Kebiasaan 5" in got
    assert "SANGAT PANJANG" in got and "…" in got  # cut to fit a page, not refused
    reader = PdfReader(io.BytesIO(pdf_in(found, "id")))
    pictures = [image for page in reader.pages for image in page.images]
    assert len(pictures) == 1  # the heatmap, drawn smaller to fit a page
    with zipfile.ZipFile(io.BytesIO(bundle_bytes([(found.file_name, b"%PDF-")]))) as archive:
        assert archive.namelist() == [found.file_name]


@pytest.mark.channels("memory")
async def test_the_command_line_writes_the_pdf_and_the_bundle_whole_or_not_at_all(
    bot: RunningBot,
    db: async_sessionmaker[AsyncSession],
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await worked_plan(bot)
    async with db() as session:
        budi_id = await session.scalar(select(Participant.id))
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for key in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "AKSI_ADMIN_IDS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    cli = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = cli.invoke(main, ["report", *args], catch_exceptions=False)
        return result.exit_code, result.output

    code, said = await asyncio.to_thread(
        run, "participant", "--cohort", "revmen1", "--participant", str(budi_id),
        "--out", "budi.pdf", "--lang", "en",
    )  # fmt: skip
    assert code == 0 and said == "wrote the final report of Budi (REVMEN1) to budi.pdf\n", said
    assert "Sosialisasi SOP ke staf" in pdf_text((folder / "budi.pdf").read_bytes())
    code, said = await asyncio.to_thread(run, "bundle", "--cohort", "REVMEN1", "--out", "all.zip")
    assert code == 0 and said == "wrote 1 final report of REVMEN1 to all.zip\n", said
    for args, wrong in (
        (("participant", "--cohort", "REVMEN1", "--participant", "99999", "--out", "x.pdf"),
         "no participant '99999' in cohort REVMEN1"),
        (("participant", "--cohort", "REVMEN1", "--participant", "budi", "--out", "x.pdf"),
         "give a NIP (18 digits) or a participant number"),
        (("participant", "--cohort", "NOPE", "--participant", "1", "--out", "x.pdf"), "NOPE"),
        (("participant", "--cohort", "REVMEN1", "--participant", "1", "--out", "x.docx"),
         "--out must end in .pdf"),
        (("participant", "--cohort", "REVMEN1", "--participant", "1", "--out", "no/x.pdf"),
         "no writable folder"),
        (("bundle", "--cohort", "REVMEN1", "--out", "all.pdf"), "--out must end in .zip"),
    ):  # fmt: skip
        code, said = await asyncio.to_thread(run, *args)
        assert code != 0 and wrong in said and said.count("\n") == 1, (args, said)
    assert sorted(p.name for p in folder.iterdir()) == ["all.zip", "budi.pdf"]
    # A cohort without participants: nothing to bundle, no file.
    engine = create_engine(db_url)
    try:
        await make_cohort(sessionmaker(engine), code="EMPTY", name="Kosong", ends=date(2021, 11, 1))
    finally:
        await engine.dispose()
    code, said = await asyncio.to_thread(run, "bundle", "--cohort", "EMPTY", "--out", "e.zip")
    assert code == 1 and "EMPTY has no participants yet" in said
    assert not (folder / "e.zip").exists()
