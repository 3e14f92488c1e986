"""The schedule and materials from the chat: a facilitator sends the CSV file or types /sesi;
same checks as the CLI, every problem named in the reader's language, nothing partial written,
and participants and strangers see nothing new."""

from __future__ import annotations

import string
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn, Outgoing
from core.i18n import Catalogs
from core.imports import PROBLEM_ENGLISH, ImportRefused, parse_schedule
from core.staff import add_facilitator
from core.uploads import (
    Caption,
    CohortChoice,
    Kind,
    UnknownKind,
    choose_cohort,
    looks_like_csv,
    parse_session_line,
    read_caption,
    recognise,
)
from storage.models import Cohort, Material, Session, Staff
from tests.conftest import make_cohort
from tests.harness import (
    Clock,
    MemoryBot,
    Person,
    RunningBot,
    joined,
    settings_for,
    start_bot,
    texts,
)
from tests.people import new_person, person_of

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

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


@pytest.fixture
async def cohorts(db: async_sessionmaker[AsyncSession], chat_kind: str) -> dict[str, Cohort]:
    one = await make_cohort(db, code="ANGKT1", name="Angkatan I")
    two = await make_cohort(
        db, code="ANGKT2", name="Angkatan II", starts=date(2021, 11, 1), ends=date(2021, 12, 10)
    )
    async with db.begin() as session:
        sari = await new_person(session, FACILITATOR, channel=chat_kind)
        dewi = await new_person(session, BOTH, channel=chat_kind)
        await add_facilitator(session, one, sari)
        await add_facilitator(session, one, dewi)
        await add_facilitator(session, two, dewi)
    return {"ANGKT1": one, "ANGKT2": two}


@pytest.fixture
async def bot(
    standin: BotApiStandIn, db_url: str, cohorts: dict[str, Cohort], chat_kind: str
) -> AsyncIterator[RunningBot | MemoryBot]:
    settings = settings_for(standin, db_url, aksi_admin_ids=(ADMIN,))
    running = await start_bot(chat_kind, standin, settings, Clock(NOW))
    yield running
    await running.stop()


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
    assert "<code>date,start,end,title,speaker,link</code>" in answer
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
    async with db.begin() as session:
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
        ordinary = texts(await person.send_sticker())
        for caption in (None, "ANGKT1 ganti"):
            answer = texts(await send_file(person, SCHEDULE, caption=caption))
            assert answer == ordinary
        assert texts(await send_file(person, b"\xff\xfe garbage", name="x.bin")) == ordinary
        answers[person.user_id] = joined(await send_file(person, MATERIALS, name="materi.csv"))
    assert "/bantuan" in answers[PARTICIPANT]  # what any other file gets today
    assert "kode angkatan" in answers[STRANGER] and "ANGKT" not in answers[STRANGER]
    assert bot.downloads() == 0
    assert await count_all(db) == (0, 0)


# --- /sesi ---------------------------------------------------------------------------------


async def test_add_one_session(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], cohorts: dict[str, Cohort]
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")
    out = await fasil.send(
        "/sesi 2021-09-09 09:00-11:00 Judul sesi | Nama pemateri | https://zoom.us/j/123"
    )
    answer = joined(out)
    assert "Sesi ditambahkan ke jadwal <b>ANGKT1</b>" in answer
    assert "<b>Kamis, 9 September 2021</b>" in answer and "09.00–11.00 WITA" in answer
    assert "Judul sesi" in answer and "Nama pemateri" in answer
    assert 'href="https://zoom.us/j/123"' in answer
    [saved] = await rows(db, Session, cohorts["ANGKT1"])
    assert saved.starts_at == datetime(2021, 9, 9, 1, 0, tzinfo=UTC)
    assert saved.ends_at == datetime(2021, 9, 9, 3, 0, tzinfo=UTC)
    assert (saved.title, saved.speaker, saved.link) == (
        "Judul sesi",
        "Nama pemateri",
        "https://zoom.us/j/123",
    )
    # The same start again updates it; speaker and link may be left out, or only the link given.
    answer = joined(
        await fasil.send("/session 2021-09-09 09:00 - 12:00 Judul baru | https://x.example/j")
    )
    assert "sudah ada" in answer and "diperbarui" in answer
    [saved] = await rows(db, Session, cohorts["ANGKT1"])
    assert (saved.title, saved.speaker, saved.link) == ("Judul baru", None, "https://x.example/j")
    answer = joined(await fasil.send("/sesi 2021-09-10 13.30-15.30 Belajar mandiri"))
    assert "13.30–15.30 WITA" in answer
    assert len(await rows(db, Session, cohorts["ANGKT1"])) == 2


async def test_add_session_for_one_of_two_cohorts_by_code(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], cohorts: dict[str, Cohort]
) -> None:
    both = bot.person(BOTH, "Dewi")
    answer = joined(await both.send("/sesi ANGKT2 2021-11-02 09:00-10:00 Pembukaan II"))
    assert "<b>ANGKT2</b>" in answer
    assert len(await rows(db, Session, cohorts["ANGKT2"])) == 1
    assert await rows(db, Session, cohorts["ANGKT1"]) == []


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("2021-9-9 09:00-11:00 Judul", "tanggal «2021-9-9» tidak berformat YYYY-MM-DD"),
        ("2021-02-30 09:00-11:00 Judul", "tanggal «2021-02-30» tidak ada (bulan itu hanya sampai"),
        ("2021-13-01 09:00-11:00 Judul", "tanggal «2021-13-01» tidak ada (bulan hanya 01 sampai"),
        ("2021-12-01 09:00-11:00 Judul", "tanggal 2021-12-01 di luar periode angkatan"),
        ("2021-09-09 11:00-09:00 Judul", "jam selesai 09:00 tidak setelah jam mulai 11:00"),
        ("2021-09-09 25:00-26:00 Judul", "<code>start</code>: jam «25:00» tidak ada (00:00"),
        ("2021-09-09 9h-11h Judul", "kolom <code>start</code>: «9h» bukan jam HH:MM"),
        ("2021-09-09 09:00-11:00 Judul | Pemateri | zoom.us/j/1", "«zoom.us/j/1» bukan tautan"),
        ("2021-09-09 09:00-11:00 Judul | P | ftp://x.example", "«ftp://x.example» bukan tautan"),
        ("2021-09-09 Judul saja", "tulis tanggal, jam mulai-selesai, lalu judul"),
        ("2021-09-09 09:00-11:00 A | B | C | D", "tulis tanggal, jam mulai-selesai, lalu judul"),
        ("2021-09-09 09:00-11:00 " + "x" * 201, "kolom <code>title</code> lebih dari 200"),
    ],
)
async def test_bad_session_line_is_refused_with_usage(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], line: str, problem: str
) -> None:
    fasil = bot.person(FACILITATOR, "Sari")
    answer = joined(await fasil.send(f"/sesi {line}"))
    assert "Sesi tidak disimpan" in answer and problem in answer
    assert "baris" not in answer.split("Menambah")[0]  # no line number for a single line
    # The usage's example is tomorrow (Saturday 4 September), a day of the cohort's period.
    assert "<code>/sesi 2021-09-04 09:00-11:00 Judul sesi" in answer
    assert await count_all(db) == (0, 0)


@pytest.mark.parametrize(
    ("lang", "problem"),
    [
        ("id", "kolom <code>link</code> lebih dari 2.048 karakter"),
        ("en", "<code>link</code> is longer than 2,048 characters"),
    ],
)
async def test_a_limit_in_a_refused_line_is_written_the_readers_way(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], lang: str, problem: str
) -> None:
    fasil = bot.person(FACILITATOR, "Sari", language_code=lang)
    link = "https://x.example/" + "a" * 2040
    answer = joined(await fasil.send(f"/sesi 2021-09-09 09:00-11:00 Judul | P | {link}"))
    assert problem in answer
    assert await count_all(db) == (0, 0)


async def test_sesi_without_arguments_shows_the_usage_and_upload_help(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    answer = joined(await bot.person(FACILITATOR, "Sari").send("/sesi"))
    assert "Menambah satu sesi ke jadwal ANGKT1" in answer
    assert "(2021-09-02 s.d. 2021-10-25)" in answer and "(WITA)" in answer
    assert "Mengunggah jadwal atau materi" in answer
    answer = joined(await bot.person(FACILITATOR, "Sari", language_code="en").send("/session"))
    assert "Adding one session" in answer and "<code>/session 2021-09-04" in answer
    assert await count_all(db) == (0, 0)


async def test_sesi_is_refused_for_participant_and_stranger(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = bot.person(PARTICIPANT, "Budi")
    await budi.send("/start ANGKT1")
    for person in (budi, bot.person(STRANGER, "Tamu")):
        for command in ("/sesi 2021-09-09 09:00-11:00 Sesi palsu", "/session ANGKT1", "/sesi"):
            answer = joined(await person.send(command))
            assert "khusus untuk fasilitator" in answer and "ANGKT" not in answer
    assert await count_all(db) == (0, 0)


# --- The plain functions -------------------------------------------------------------------


def test_recognise_by_header() -> None:
    assert recognise(SCHEDULE.encode()) is Kind.SCHEDULE
    assert recognise(("\ufeff" + SCHEDULE.replace(",", ";")).encode()) is Kind.SCHEDULE
    assert recognise(b"Module,Title,URL\r\nM,T,https://x.example\r\n") is Kind.MATERIALS
    assert recognise(b"date,start,end,title,tittle\n") is Kind.SCHEDULE  # parse names the column
    for header in (b"title\n", b"nama,unit\n", b"date,url\n", b"\n\ndate,start\n"):
        with pytest.raises(UnknownKind):
            recognise(header)
    with pytest.raises(ImportRefused, match="not UTF-8"):
        recognise(b"\xff\xfe\x00\x01")


def test_looks_like_csv() -> None:
    assert looks_like_csv("Jadwal.CSV", "application/octet-stream")
    assert looks_like_csv("jadwal", "text/csv") and looks_like_csv(None, "text/plain")
    assert not looks_like_csv("jadwal.xlsx", "application/vnd.ms-excel")
    assert not looks_like_csv(None, None)


async def test_choose_cohort_from_caption(cohorts: dict[str, Cohort]) -> None:
    one, two = cohorts["ANGKT1"], cohorts["ANGKT2"]
    assert read_caption("  angkt1,  GANTI ") == Caption(True, ("angkt1",))
    assert choose_cohort([one], read_caption(None)) is one
    assert choose_cohort([one], read_caption("replace")) is one
    assert choose_cohort([one, two], read_caption("angkt2")) is two
    assert choose_cohort([one, two], read_caption("")) == (CohortChoice.SEVERAL, "")
    assert choose_cohort([one], read_caption("jadwal baru")) == (CohortChoice.NOT_MANAGED, "jadwal")
    assert choose_cohort([], read_caption("ANGKT1")) == (CohortChoice.NONE_MANAGED, "")


async def test_session_line_is_a_schedule_row(cohorts: dict[str, Cohort]) -> None:
    cohort = cohorts["ANGKT1"]
    row = parse_session_line('2021-09-09 09:00–11:00 Judul, "kutip" | Dr. A, M.Si.', cohort)
    csv_row = parse_schedule(
        b'date,start,end,title,speaker\n2021-09-09,09:00,11:00,"Judul, ""kutip""","Dr. A, M.Si."\n',
        cohort,
    )[0]
    assert (row.starts_at, row.ends_at, row.title, row.speaker, row.link) == (
        csv_row.starts_at,
        csv_row.ends_at,
        csv_row.title,
        csv_row.speaker,
        None,
    )
    with pytest.raises(ImportRefused) as refused:
        parse_session_line("2021-09-09 11:00-09:00 Judul", cohort)
    assert str(refused.value) == "end 09:00 is not after start 11:00"  # the CLI's English


def test_every_problem_has_its_catalog_text() -> None:
    """A problem added to core.imports needs `upload.problem.<key>` in both catalogs, using
    only values the problem carries."""
    catalogs = Catalogs()

    def names(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    for key, english in PROBLEM_ENGLISH.items():
        forms = english if isinstance(english, tuple) else (english,)
        carried = set().union(*(names(form) for form in forms))
        for lang in ("id", "en"):
            for count in (1, 2):  # either form of a problem that counts something
                template = catalogs.template(lang, f"upload.problem.{key}", count)
                assert names(template) <= carried, key


async def test_english_counts_one_session_one_material_and_one_field(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    """One of a thing reads "1 session", "1 material", "1 field" in English; a schedule of
    one session says "The next session"."""
    sari = bot.person(FACILITATOR, "Sari", language_code="en")
    one_session = "date,start,end,title,speaker,link\n2021-09-06,13:30,15:30,Integritas,,\n"
    answer = joined(await send_file(sari, one_session))
    assert "updated from «jadwal.csv» (1 session in the file)." in answer
    john = bot.person(PARTICIPANT, "John", language_code="en")
    await john.send("/start ANGKT1")
    schedule = texts(await john.send("/schedule"))[0]
    assert schedule.startswith("🗓 <b>Angkatan I schedule</b>\nThe next session · WITA time\n\n")
    one_material = "module,title,url\nModul 1,Bahan Ajar,https://elearning.example/m1.pdf\n"
    answer = joined(await send_file(sari, one_material, name="materi.csv"))
    assert "updated from «materi.csv» (1 material in the file)." in answer
    answer = joined(await send_file(sari, "date,start,end,title,speaker,link\nsatu\n"))
    assert "line 2: 1 field where the header has 6" in answer
    answer = joined(await send_file(sari, SCHEDULE))
    assert "(3 sessions in the file)." in answer
    assert await count_all(db) == (3, 1)
    schedule = texts(await john.send("/schedule"))[0]
    assert schedule.startswith("🗓 <b>Angkatan I schedule</b>\nThe next 2 sessions · WITA time")
