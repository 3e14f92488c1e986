"""The schedule and materials from the chat: a facilitator sends the CSV file or types /sesi;
same checks as the CLI, every problem named in the reader's language, nothing partial written,
and participants and strangers see nothing new."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.imports import parse_schedule
from storage.models import Cohort, Material, Session, Staff
from tests.chat_imports.importing import (
    ADMIN,
    BAD_SCHEDULE,
    BOTH,
    FACILITATOR,
    MATERIALS,
    PARTICIPANT,
    SCHEDULE,
    STRANGER,
    count_all,
    rows,
    send_file,
)
from tests.harness import (
    RunningBot,
    joined,
    texts,
)
from tests.people import person_of

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


# --- The file, end to end ---------------------------------------------------------------


async def test_facilitator_schedule_file_is_imported(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], cohorts: dict[str, Cohort]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")
    answer = joined(await send_file(fasil, SCHEDULE))
    assert "Jadwal <b>ANGKT1</b>" in answer and "3 sesi" in answer
    assert "Ditambah 3, diubah 0, tetap 0, dihapus 0" in answer
    saved = sorted(await rows(db, Session, cohorts["ANGKT1"]), key=lambda s: s.starts_at)
    assert [s.title for s in saved] == [
        "Pembukaan dan Orientasi",
        "Integritas & Etos Kerja",
        "Agen Perubahan",
    ]
    assert saved[0].starts_at == datetime(2021, 9, 2, 0, 30, tzinfo=UTC)  # 08:30 WITA
    assert saved[0].speaker == "Dr. Andi Pratama, M.Si." and saved[2].link is None
    # The same file again changes nothing; an edited title is an update, not a duplicate.
    answer = joined(await send_file(fasil, SCHEDULE.replace("Agen Perubahan", "Agen Berubah")))
    assert "Ditambah 0, diubah 1, tetap 2, dihapus 0" in answer
    assert len(await rows(db, Session, cohorts["ANGKT1"])) == 3
    assert await rows(db, Session, cohorts["ANGKT2"]) == []


async def test_bad_schedule_lists_every_problem_in_indonesian_and_writes_nothing(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")
    answer = joined(await send_file(fasil, BAD_SCHEDULE))
    assert "ditolak; tidak ada yang disimpan" in answer
    assert "baris 3: tanggal «2021-9-6» tidak berformat YYYY-MM-DD" in answer
    assert "baris 4: jam selesai 08:00 tidak setelah jam mulai 12:00" in answer
    assert "baris 5: kolom <code>link</code>: «zoom dot us» bukan tautan http(s)" in answer
    assert "baris 6: tanggal 2012-09-09 di luar periode angkatan" in answer
    assert "line " not in answer and "baris 2" not in answer  # the good row is not blamed
    assert await count_all(db) == (0, 0)  # not even the good first row


async def test_bad_file_in_english_for_an_english_facilitator(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari", language_code="en")
    answer = joined(await send_file(fasil, BAD_SCHEDULE))
    assert "was refused; nothing was saved" in answer
    assert "line 4: end 08:00 is not after start 12:00" in answer
    assert await count_all(db) == (0, 0)


async def test_header_problem_names_the_expected_header(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")
    answer = joined(await send_file(fasil, "date,start,end,title,tittle\n2021-09-02,1,2,T,x\n"))
    assert "baris 1: kolom 'tittle' tidak dikenal" in answer
    assert "<code>date,start,end,title,speaker,link,attendance_before,attendance_after</code>" in (
        answer
    )
    assert await count_all(db) == (0, 0)


async def test_materials_file_then_replace_from_the_caption(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], cohorts: dict[str, Cohort]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")
    answer = joined(await send_file(fasil, MATERIALS, name="materi.csv"))
    assert "Materi <b>ANGKT1</b>" in answer and "Ditambah 3" in answer
    saved = await rows(db, Material, cohorts["ANGKT1"])
    assert {m.title for m in saved} == {
        "Bahan Ajar (PDF)",
        "Video Pengantar",
        "Lembar Kerja, Rencana Aksi",
    }
    shorter = "".join(MATERIALS.splitlines(keepends=True)[:2])
    # Without "ganti" the missing materials stay ...
    answer = joined(await send_file(fasil, shorter, name="materi.csv"))
    assert "dihapus 0" in answer and len(await rows(db, Material, cohorts["ANGKT1"])) == 3
    # ... with it (and the code, in any case) they go.
    answer = joined(await send_file(fasil, shorter, name="materi.csv", caption="angkt1 ganti"))
    assert "akan <b>mengganti daftar materi ANGKT1</b>" in answer
    assert "🗑 <b>Dihapus (2):</b>\n• Modul 1 — Video Pengantar\n• Modul 2 — Lembar Kerja" in answer
    assert len(await rows(db, Material, cohorts["ANGKT1"])) == 3  # asked first
    answer = joined(await fasil.press("Ya, terapkan"))
    assert "tetap 1, dihapus 2" in answer
    assert [m.title for m in await rows(db, Material, cohorts["ANGKT1"])] == ["Bahan Ajar (PDF)"]


async def test_schedule_replace_in_english_caption(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], cohorts: dict[str, Cohort]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")
    await send_file(fasil, SCHEDULE)
    first_only = "".join(SCHEDULE.splitlines(keepends=True)[:2])
    answer = joined(await send_file(fasil, first_only, caption="replace"))
    assert "Dihapus (2)" in answer and "Agen Perubahan" in answer
    assert len(await rows(db, Session, cohorts["ANGKT1"])) == 3
    answer = joined(await fasil.press("Ya, terapkan"))
    assert "dihapus 2" in answer
    assert len(await rows(db, Session, cohorts["ANGKT1"])) == 1


async def test_replacing_a_schedule_keeps_past_sessions_unless_asked(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], cohorts: dict[str, Cohort]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari", language_code="en")
    await send_file(fasil, SCHEDULE)
    last_only = "".join(SCHEDULE.splitlines(keepends=True)[i] for i in (0, 3))  # 9 Sep only
    answer = joined(await send_file(fasil, last_only, caption="replace"))
    assert "will <b>replace the schedule of ANGKT1</b> (1 session in the file)" in answer
    assert "🗑 <b>Removed (1):</b>\n• Mon, 6 Sep 2021 13:30 — Integritas &amp; Etos Kerja" in answer
    assert "kept (1):</b>\n• Thu, 2 Sep 2021 08:30 — Pembukaan dan Orientasi" in answer
    assert "stands for 5 minutes" in answer
    _, buttons = fasil.last_keyboard()
    assert [b["text"] for b in buttons] == [
        "✅ Yes, apply it",
        "🗑 Apply, also removing past ones (1)",
        "✖️ Cancel",
    ]
    answer = joined(await fasil.press("Cancel"))
    assert "not applied" in answer
    assert len(await rows(db, Session, cohorts["ANGKT1"])) == 3
    # Yes: the session in the future goes, the past one stays.
    await send_file(fasil, last_only, caption="replace")
    answer = joined(await fasil.press("Yes, apply it"))
    assert "Past sessions not in the file were kept: 1." in answer
    titles = [x.title for x in await rows(db, Session, cohorts["ANGKT1"])]
    assert titles == ["Pembukaan dan Orientasi", "Agen Perubahan"]
    # Asked explicitly: the past one goes too.
    await send_file(fasil, last_only, caption="replace")
    await fasil.press("also removing past ones")
    assert [x.title for x in await rows(db, Session, cohorts["ANGKT1"])] == ["Agen Perubahan"]


async def test_an_old_or_outdated_replace_confirmation_changes_nothing(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], cohorts: dict[str, Cohort]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")
    await send_file(fasil, SCHEDULE)
    future_only = "".join(SCHEDULE.splitlines(keepends=True)[i] for i in (0, 1, 3))
    # Something else done after the question: the old "yes" is void.
    await send_file(fasil, future_only, caption="ganti")
    old = fasil.last_keyboard()
    old_yes = next(b["callback_data"] for b in old[1] if "Ya, terapkan" in b["text"])
    await fasil.send("/status")
    answer = joined(await fasil.press_data(old[0], old_yes))
    assert "sudah batal" in answer and "Kirim berkasnya lagi" in answer
    assert len(await rows(db, Session, cohorts["ANGKT1"])) == 3
    # The schedule changed between the preview and the "yes": the new change is shown first.
    await send_file(fasil, future_only, caption="ganti")
    # Through the bot's own database: its write transactions take turns with this one (another
    # engine's write would wait for SQLite's lock on the event loop's own thread).
    async with bot.services.db.begin() as session:
        extra = parse_schedule(
            b"date,start,end,title\n2021-09-10,08:00,09:00,Sesi Tambahan\n", cohorts["ANGKT1"]
        )
        session.add(
            Session(
                cohort_id=cohorts["ANGKT1"].id,
                starts_at=extra[0].starts_at,
                ends_at=extra[0].ends_at,
                title="Sesi Tambahan",
            )
        )
    answer = joined(await fasil.press("Ya, terapkan"))
    assert "berubah sejak pratinjau" in answer and "Dihapus (2)" in answer
    assert "Sesi Tambahan" in answer
    assert len(await rows(db, Session, cohorts["ANGKT1"])) == 4
    # No longer a facilitator when saying yes: refused, nothing changed.
    async with db.begin() as session:
        await session.execute(delete(Staff).where(Staff.person_id == person_of(FACILITATOR)))
    answer = joined(await fasil.press("Ya, terapkan"))
    assert "khusus untuk fasilitator" in answer
    assert len(await rows(db, Session, cohorts["ANGKT1"])) == 4


async def test_two_cohorts_need_the_code_in_the_caption(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], cohorts: dict[str, Cohort]
) -> None:
    both = bot.person(BOTH, "Dewi")
    answer = joined(await send_file(both, MATERIALS, name="materi.csv"))
    assert "beberapa angkatan" in answer and "ANGKT1" in answer and "ANGKT2" in answer
    assert bot.downloads() == 0 and await count_all(db) == (0, 0)
    answer = joined(await send_file(both, MATERIALS, name="materi.csv", caption="ANGKT2"))
    assert "Materi <b>ANGKT2</b>" in answer
    assert len(await rows(db, Material, cohorts["ANGKT2"])) == 3
    assert await rows(db, Material, cohorts["ANGKT1"]) == []
    # Two codes at once is as unclear as none.
    answer = joined(await send_file(both, MATERIALS, name="materi.csv", caption="ANGKT1 ANGKT2"))
    assert "beberapa angkatan" in answer
    assert await rows(db, Material, cohorts["ANGKT1"]) == []


async def test_a_code_they_do_not_manage_is_refused(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], cohorts: dict[str, Cohort]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")  # manages ANGKT1 only
    for caption in ("ANGKT2", "ANGKT2 ganti", "TIDAKADA"):
        answer = joined(await send_file(fasil, MATERIALS, name="materi.csv", caption=caption))
        assert "bukan kode angkatan yang Anda kelola (ANGKT1)" in answer, caption
    # Whether the other cohort exists or not, the answer is the same: nothing is revealed.
    one = texts(await send_file(fasil, MATERIALS, name="m.csv", caption="ANGKT2"))
    other = texts(await send_file(fasil, MATERIALS, name="m.csv", caption="ANGKT9"))
    assert one == [t.replace("ANGKT9", "ANGKT2") for t in other]
    assert bot.downloads() == 0 and await count_all(db) == (0, 0)


async def test_admin_imports_into_any_cohort_by_code(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], cohorts: dict[str, Cohort]
) -> None:
    admin = bot.person(ADMIN, "Admin")
    answer = joined(
        await send_file(admin, SCHEDULE.replace("2021-09", "2021-11"), caption="ANGKT2")
    )
    assert "Jadwal <b>ANGKT2</b>" in answer
    assert len(await rows(db, Session, cohorts["ANGKT2"])) == 3


async def test_oversize_file_is_refused_before_downloading(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")
    big = SCHEDULE + "#" * (1024 * 1024)
    answer = joined(await send_file(fasil, big))
    assert "terlalu besar" in answer and "1 MB" in answer
    assert bot.downloads() == 0 and await count_all(db) == (0, 0)


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("rekap.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("foto.jpg", "image/jpeg"),
        ("jadwal.pdf", "application/pdf"),
    ],
)
async def test_a_file_that_is_not_csv_is_refused(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], name: str, mime: str
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")
    answer = joined(await send_file(fasil, SCHEDULE, name=name, mime=mime))
    assert f"Berkas «{name}» bukan CSV" in answer and "CSV UTF-8" in answer
    assert bot.downloads() == 0 and await count_all(db) == (0, 0)


async def test_csv_name_with_an_odd_mime_type_is_accepted(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")  # Windows often calls .csv "application/vnd.ms-excel"
    answer = joined(await send_file(fasil, SCHEDULE, mime="application/vnd.ms-excel"))
    assert "Ditambah 3" in answer and (await count_all(db))[0] == 3


async def test_garbage_bytes_are_refused(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")
    answer = joined(await send_file(fasil, b"\x89PNG\r\n\x1a\n\xff\xfe\x00garbage\x80\x81"))
    assert "bukan teks UTF-8" in answer and "tidak ada yang disimpan" in answer
    # Latin-1 text below a good header: the line is named.
    latin = (SCHEDULE + "2021-09-10,08:30,12:00,Caf\u00e9,,\n").encode("latin-1")
    answer = joined(await send_file(fasil, latin))
    assert "baris 5: berkas bukan teks UTF-8" in answer
    assert await count_all(db) == (0, 0)


async def test_unknown_header_gets_the_upload_help(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")
    answer = joined(await send_file(fasil, "nama,unit\nBudi,Dinkes\n"))
    assert "tidak saya kenali" in answer and "<code>nama,unit</code>" in answer
    assert "Mengunggah jadwal atau materi" in answer and "<code>module,title,url</code>" in answer
    assert "ganti" in answer and await count_all(db) == (0, 0)
    answer = joined(await send_file(fasil, b""))
    assert "berkas kosong" in answer


async def test_participant_and_stranger_get_the_ordinary_answer(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = bot.person(PARTICIPANT, "Budi")
    await budi.send("/start ANGKT1")
    stranger = bot.person(STRANGER, "Tamu")
    answers = {}
    for person in (budi, stranger):
        # A participant's file is evidence (handlers.evidence): a CSV is not evidence, and
        # nothing says files import schedules. A stranger gets what any message gets.
        ordinary = texts(await person.send_sticker())
        for caption in (None, "ANGKT1 ganti"):
            answer = texts(await send_file(person, SCHEDULE, caption=caption))
            if person is stranger:
                assert answer == ordinary
            else:
                assert answer == [
                    "«jadwal.csv» tidak bisa disimpan sebagai bukti: kirim foto, "
                    "PDF, atau dokumen Word, Excel, PowerPoint (atau LibreOffice)."
                ]
        garbage = texts(await send_file(person, b"\xff\xfe garbage", name="x.bin"))
        assert garbage == ordinary if person is stranger else "x.bin" in garbage[0]
        answers[person.user_id] = joined(await send_file(person, MATERIALS, name="materi.csv"))
    assert "tidak bisa disimpan sebagai bukti" in answers[PARTICIPANT]
    for answer in answers.values():
        assert "jadwal" not in answer.lower() and "impor" not in answer.lower()
    assert "kode angkatan" in answers[STRANGER] and "ANGKT" not in answers[STRANGER]
    assert bot.downloads() == 0
    assert await count_all(db) == (0, 0)
