"""The organisers' CLI: clear answers, non-zero exits on bad input, and nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import counted, main
from tests.sqlrows import fetch

SCHEDULE = (
    "date,start,end,title,speaker,link\n"
    "2021-09-02,08:30,12:00,Pembukaan,Dr. Andi,https://zoom.example/j/1\n"
    "2021-09-03,08:30,12:00,Integritas,,\n"
)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for key in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "AKSI_DEFAULT_TIMEZONE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    return CliRunner()


def invoke(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args), catch_exceptions=False)


def rows(table: str) -> list[tuple[object, ...]]:
    return fetch(f"SELECT * FROM {table} ORDER BY id")


def create(cli: CliRunner) -> Result:
    return invoke(
        cli, "cohort", "create", "--code", "REVMEN1", "--name", "Angkatan I",
        "--timezone", "Asia/Makassar", "--starts", "2021-09-02", "--ends", "2021-10-25",
    )  # fmt: skip


def test_create_and_list(cli: CliRunner, tmp_path: Path) -> None:
    result = create(cli)
    assert result.exit_code == 0, result.output
    assert "created cohort REVMEN1" in result.output
    assert "/start REVMEN1" in result.output
    listed = invoke(cli, "cohort", "list")
    assert "REVMEN1" in listed.output and "Asia/Makassar" in listed.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--code", "REV MEN"], "cohort code 'REV MEN' must be 2-32 letters"),
        (["--timezone", "Mars/Base"], "'Mars/Base' is not a known time zone"),
        (["--starts", "2021-10-26"], "the cohort ends (2021-10-25) before it starts (2021-10-26)"),
        (["--channels", "telegram,fax"], "unknown channel 'fax' (channels: telegram, whatsapp)"),
        (["--channels", " , "], "name at least one channel (telegram, whatsapp)"),
    ],
)
def test_create_refuses_bad_values(
    cli: CliRunner, tmp_path: Path, args: list[str], expected: str
) -> None:
    base = {
        "--code": "REVMEN1",
        "--name": "Angkatan I",
        "--timezone": "Asia/Makassar",
        "--starts": "2021-09-02",
        "--ends": "2021-10-25",
    }
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = invoke(cli, "cohort", "create", *[x for kv in base.items() for x in kv])
    assert result.exit_code == 1
    assert expected in result.output
    assert rows("cohorts") == []


def test_a_cohort_on_whatsapp_only(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_DISPLAY_NUMBER", "6281100000000")
    result = invoke(cli, "cohort", "create", "--code", "WA1", "--name", "Angkatan WA",
                    "--starts", "2021-09-02", "--ends", "2021-10-25",
                    "--channels", "WhatsApp")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "on whatsapp)" in result.output.splitlines()[0]
    assert "on WhatsApp: GABUNG WA1  (link: https://wa.me/6281100000000?text=GABUNG%20WA1)" in (
        result.output
    )
    assert "Telegram" not in result.output
    both = create(cli)
    assert "on Telegram: /start REVMEN1" in both.output and "on WhatsApp: GABUNG" in both.output
    listed = invoke(cli, "cohort", "list").output.splitlines()
    assert listed[0].endswith("CHANNELS")
    assert listed[1].startswith("REVMEN1") and listed[1].endswith("telegram,whatsapp")
    assert listed[2].startswith("WA1") and listed[2].endswith(" whatsapp")


def test_duplicate_code_and_bad_date(cli: CliRunner) -> None:
    create(cli)
    again = create(cli)
    assert again.exit_code == 1
    assert "cohort REVMEN1 exists already" in again.output
    bad = invoke(cli, "cohort", "create", "--code", "X2", "--name", "n", "--starts", "2-9-2021",
                 "--ends", "2021-10-25")  # fmt: skip
    assert bad.exit_code == 2
    assert "'2-9-2021' is not a date written YYYY-MM-DD" in bad.output
    impossible = invoke(cli, "cohort", "create", "--code", "X2", "--name", "n",
                        "--starts", "2021-02-30", "--ends", "2021-10-25")  # fmt: skip
    assert impossible.exit_code == 2
    assert "2021-02-30 is not a date that exists" in impossible.output
    assert "YYYY-MM-DD" not in impossible.output.split("Error:")[-1]


def test_schedule_import_then_reimport_updates(cli: CliRunner, tmp_path: Path) -> None:
    create(cli)
    path = tmp_path / "jadwal.csv"
    path.write_bytes(b"\xef\xbb\xbf" + SCHEDULE.encode())  # Excel's BOM
    first = invoke(cli, "schedule", "import", "--cohort", "revmen1", str(path))
    assert first.exit_code == 0, first.output
    assert "sessions 2 added, 0 updated, 0 unchanged, 0 removed" in first.output
    path.write_text(SCHEDULE.replace("Integritas", "Integritas dan Etos Kerja"))
    second = invoke(cli, "schedule", "import", "--cohort", "REVMEN1", str(path))
    assert "0 added, 1 updated, 1 unchanged" in second.output
    assert [r[4] for r in rows("sessions")] == ["Pembukaan", "Integritas dan Etos Kerja"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("date,start,title\n2021-09-02,08:30,T\n", "line 1: missing column end"),
        (SCHEDULE + "2021-9-01,08:30,12:00,T,,\n", "line 4: date '2021-9-01' is not YYYY-MM-DD"),
        (
            SCHEDULE + "2021-02-30,08:30,12:00,T,,\n",
            "line 4: 2021-02-30 is not a date that exists (that month has 28 days)",
        ),
        (
            SCHEDULE + "2021-13-01,08:30,12:00,T,,\n",
            "line 4: 2021-13-01 is not a date that exists (months run from 01 to 12)",
        ),
        (
            SCHEDULE + "2021-09-06,08:30,25:00,T,,\n",
            "line 4: end 25:00 is not a time that exists (00:00 to 23:59)",
        ),
        (SCHEDULE + "2021-09-06,8h30,12:00,T,,\n", "line 4: start '8h30' is not HH:MM"),
        (SCHEDULE + "2021-09-06,12:00,08:00,T,,\n", "line 4: end 08:00 is not after start 12:00"),
        (SCHEDULE + "2021-09-06,08:00,09:00,T,,zoom\n", "line 4: link 'zoom' is not an http(s)"),
    ],
)
def test_bad_schedule_file_writes_nothing(
    cli: CliRunner, tmp_path: Path, content: str, expected: str
) -> None:
    create(cli)
    path = tmp_path / "jadwal.csv"
    path.write_text(content)
    result = invoke(cli, "schedule", "import", "--cohort", "REVMEN1", str(path))
    assert result.exit_code == 1
    assert "aksi: jadwal.csv refused, nothing was written:" in result.output
    assert expected in result.output
    assert rows("sessions") == []


def test_unknown_cohort_and_missing_file(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "jadwal.csv"
    path.write_text(SCHEDULE)
    result = invoke(cli, "schedule", "import", "--cohort", "NOPE", str(path))
    assert result.exit_code == 1
    assert "no cohort with code 'NOPE'" in result.output
    missing = invoke(cli, "schedule", "import", "--cohort", "NOPE", str(tmp_path / "x.csv"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.output


def test_materials_import_and_bad_url(cli: CliRunner, tmp_path: Path) -> None:
    create(cli)
    path = tmp_path / "materi.csv"
    path.write_text("module,title,url\nModul 1,Bahan Ajar,https://elearning.example/1.pdf\n")
    ok = invoke(cli, "materials", "import", "--cohort", "REVMEN1", str(path))
    assert "materials 1 added" in ok.output
    path.write_text(
        "module,title,url\nModul 1,Bahan Ajar,https://e.example/2\nModul 2,X,file:///etc/passwd\n"
    )
    bad = invoke(cli, "materials", "import", "--cohort", "REVMEN1", str(path))
    assert bad.exit_code == 1
    assert "line 3: url 'file:///etc/passwd' is not an http(s) link" in bad.output
    assert [r[4] for r in rows("materials")] == ["https://elearning.example/1.pdf"]


def test_help_on_every_command(cli: CliRunner) -> None:
    for args in (
        [], ["run"], ["chat"], ["db", "upgrade"], ["cohort", "create"], ["cohort", "list"],
        ["schedule", "import"], ["materials", "import"],
    ):  # fmt: skip
        result = invoke(cli, *args, "--help")
        assert result.exit_code == 0
        assert "Usage: " in result.output


def test_db_upgrade(cli: CliRunner) -> None:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    result = invoke(cli, "db", "upgrade")
    assert result.output.strip() == f"database is at revision {head}"
    assert head is not None


def test_cohort_reminder_defaults(cli: CliRunner, tmp_path: Path) -> None:
    create(cli)
    shown = invoke(cli, "cohort", "reminders", "--code", "REVMEN1")
    assert shown.output.strip().startswith(
        "REVMEN1: daily 07:00, evening 19:00, morning summary 06:00, sessions 30 min before"
    )
    changed = invoke(cli, "cohort", "reminders", "--code", "REVMEN1", "--reminder-time", "6.30",
                     "--evening-time", "off", "--session-lead", "15")  # fmt: skip
    assert "daily 06:30, evening off, morning summary 06:00, sessions 15 min before" in (
        changed.output
    )
    impossible = invoke(cli, "cohort", "reminders", "--code", "REVMEN1", "--evening-time", "25:00")
    assert impossible.exit_code == 1
    assert "aksi: 25:00 is not a time that exists (hours 00-23, minutes 00-59)" in impossible.output
    bad = invoke(cli, "cohort", "reminders", "--code", "REVMEN1", "--evening-time", "malam")
    assert bad.exit_code == 1
    assert "times are HH:MM" in bad.output
    assert rows("cohorts")[0][7:11] == ("06:30", None, "06:00", 15)


def test_cohort_follow_up(cli: CliRunner) -> None:
    create(cli)
    shown = invoke(cli, "cohort", "follow-up", "--code", "revmen1")
    assert shown.exit_code == 0
    assert shown.output == (
        "REVMEN1: follow-up 90 days after 2021-10-25 (until 2022-01-23), reminders on "
        "mon,wed,fri, a question every 30 days\n"
    )
    changed = invoke(cli, "cohort", "follow-up", "--code", "REVMEN1", "--days", "180",
                     "--weekdays", "sen, kam")  # fmt: skip
    assert "follow-up 180 days after 2021-10-25 (until 2022-04-23), reminders on mon,thu" in (
        changed.output
    )
    for args, said in (
        (("--weekdays", "mon,someday"), "aksi: 'someday' is not a weekday"),
        (("--days", "400"), "400 is not in the range 0<=x<=365"),
        (("--days", "many"), "'many' is not a valid integer"),
    ):
        bad = invoke(cli, "cohort", "follow-up", "--code", "REVMEN1", *args)
        assert bad.exit_code != 0 and said in bad.output, bad.output
    missing = invoke(cli, "cohort", "follow-up", "--code", "NOPE")
    assert missing.exit_code == 1 and "NOPE" in missing.output
    # Nothing partial: a bad weekday with good days changes neither.
    invoke(cli, "cohort", "follow-up", "--code", "REVMEN1", "--days", "30", "--weekdays", "xyz")
    kept = invoke(cli, "cohort", "follow-up", "--code", "REVMEN1")
    assert "follow-up 180 days" in kept.output and "reminders on mon,thu" in kept.output
    off = invoke(cli, "cohort", "follow-up", "--code", "REVMEN1", "--days", "0")
    assert off.output == "REVMEN1: no follow-up after 2021-10-25\n"
    again = invoke(cli, "cohort", "follow-up", "--code", "REVMEN1", "--days", "90")
    assert "reminders on mon,thu" in again.output


def test_cohort_attendance_window_and_a_sessions_own(cli: CliRunner, tmp_path: Path) -> None:
    create(cli)
    shown = invoke(cli, "cohort", "attendance", "--code", "REVMEN1")
    assert shown.output == (
        "REVMEN1: attendance opens 15 min before each session's start and closes 30 min after it\n"
    )
    changed = invoke(cli, "cohort", "attendance", "--code", "REVMEN1", "--after", "45")
    assert "opens 15 min before" in changed.output and "closes 45 min after" in changed.output
    bad = invoke(cli, "cohort", "attendance", "--code", "REVMEN1", "--before", "999")
    assert bad.exit_code == 2 and "999 is not in the range 0<=x<=240" in bad.output
    path = tmp_path / "jadwal.csv"
    path.write_text(
        "date,start,end,title,speaker,link,attendance_before,attendance_after\n"
        "2021-09-06,08:30,12:00,Sesi 1,,,5,\n"
        "2021-09-07,08:30,12:00,Sesi 2,,,lima,20\n"
    )
    refused = invoke(cli, "schedule", "import", "--cohort", "REVMEN1", str(path))
    assert refused.exit_code == 1
    assert "line 3: attendance_before 'lima' is not a number of minutes from 0 to 240" in (
        refused.output
    )
    assert rows("sessions") == []  # nothing partial
    path.write_text(
        "date,start,end,title,speaker,link,attendance_before,attendance_after\n"
        "2021-09-06,08:30,12:00,Sesi 1,,,5,\n"
    )
    assert invoke(cli, "schedule", "import", "--cohort", "REVMEN1", str(path)).exit_code == 0
    assert fetch("SELECT attendance_before, attendance_after FROM sessions") == [(5, None)]


def test_schedule_replace_keeps_past_sessions_and_asks_before_removing(
    cli: CliRunner, tmp_path: Path
) -> None:
    create(cli)  # a cohort of 2021: every session is past by now
    path = tmp_path / "jadwal.csv"
    path.write_text(SCHEDULE)
    invoke(cli, "schedule", "import", "--cohort", "REVMEN1", str(path))
    path.write_text("".join(SCHEDULE.splitlines(keepends=True)[:2]))
    kept = invoke(cli, "schedule", "import", "--cohort", "REVMEN1", "--replace", str(path))
    assert kept.exit_code == 0, kept.output
    assert "1 unchanged, 0 removed, 1 kept (already past; --include-past removes them)" in (
        kept.output
    )
    assert len(rows("sessions")) == 2
    asked = invoke(
        cli, "schedule", "import", "--cohort", "REVMEN1", "--replace", "--include-past", str(path)
    )
    assert asked.exit_code == 1
    assert "removes 1 of REVMEN1's sessions; nothing was written" in asked.output
    assert "2021-09-03 08:30 WITA  Integritas" in asked.output
    assert len(rows("sessions")) == 2
    done = invoke(
        cli, "schedule", "import", "--cohort", "REVMEN1", "--replace", "--include-past", "--yes",
        str(path),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "1 unchanged, 1 removed" in done.output
    assert [r[4] for r in rows("sessions")] == ["Pembukaan"]


def test_counts_in_the_command_lines_english() -> None:
    """The command line says "wrote 1 row", "1 personal link", never "1 rows"."""
    assert [counted(n, "row") for n in (0, 1, 2)] == ["0 rows", "1 row", "2 rows"]
    assert counted(1, "personal link") == "1 personal link"
    assert counted(25, "participant") == "25 participants"
