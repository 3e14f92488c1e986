"""One session from the chat with /sesi (/session): same checks as the schedule file, each
problem named in the reader's language, facilitators only; and the plain functions behind
the chat imports."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.i18n import Catalogs
from core.imports import PROBLEM_ENGLISH, ImportRefused, parse_schedule
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
from storage.models import Cohort, Session
from tests.chat_imports.importing import (
    BOTH,
    FACILITATOR,
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

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


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
