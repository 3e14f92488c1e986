"""`aksi participants` and `aksi facilitator`: clear answers, non-zero exits, nothing partial."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.standin import BotApiStandIn
from tests.sqlrows import fetch

ROSTER = (
    "name,unit,nip,telegram_username\n"
    "Budi Santoso,Dinas Kesehatan,198001012005011001,\n"
    "Siti Rahma,Bappeda,,@SitiRahma\n"
    "Andi Wijaya,,,\n"
)
LINK_RE = r"https://t\.me/{bot}\?start=r-[A-Za-z0-9]{{24}}"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for key in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE_URL",
        "DATABASE_URL",
        "AKSI_DEFAULT_TIMEZONE",
        "AKSI_BOT_USERNAME",
        "AKSI_ADMIN_IDS",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    return CliRunner()


def invoke(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args), catch_exceptions=False)


def rows(query: str) -> list[tuple[object, ...]]:
    return fetch(query)


# Each facilitator with their Telegram user id (`aksi facilitator add` gives the person a
# Telegram contact).
STAFF_USERS = (
    "SELECT staff.cohort_id, CAST(contacts.external_id AS INTEGER) FROM staff"
    " JOIN contacts ON contacts.person_id = staff.person_id AND contacts.channel = 'telegram'"
    " ORDER BY staff.id"
)


def create(cli: CliRunner, code: str = "REVMEN1") -> None:
    result = invoke(
        cli, "cohort", "create", "--code", code, "--name", "Angkatan I",
        "--timezone", "Asia/Makassar", "--starts", "2021-09-02", "--ends", "2021-10-25",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def import_roster(cli: CliRunner, tmp_path: Path, content: str, *extra: str) -> Result:
    path = tmp_path / "peserta.csv"
    path.write_bytes(b"\xef\xbb\xbf" + content.encode())
    return invoke(cli, "participants", "import", "--cohort", "revmen1", *extra, str(path))


def test_import_and_reimport(cli: CliRunner, tmp_path: Path) -> None:
    create(cli)
    first = import_roster(cli, tmp_path, ROSTER)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == (
        "peserta.csv imported into REVMEN1: roster rows 3 added, 0 updated, 0 unchanged, 0 removed"
    )
    tokens = rows("SELECT name, join_token FROM roster_entries ORDER BY position")
    only_siti = "name,unit,nip,telegram_username\nSiti Rahma,Bappeda,,SitiRahma\n"
    # Replacing removes rows: not without a "yes" (no terminal here: --yes).
    asked = import_roster(cli, tmp_path, only_siti, "--replace")
    assert asked.exit_code == 1
    assert asked.output.splitlines() == [
        "aksi: --replace with peserta.csv removes 2 of REVMEN1's roster rows; nothing was "
        "written. Run again with --yes to remove them:",
        "  Budi Santoso",
        "  Andi Wijaya",
    ]
    assert rows("SELECT name, join_token FROM roster_entries ORDER BY position") == tokens
    again = import_roster(cli, tmp_path, only_siti, "--replace", "--yes")
    assert "0 added, 0 updated, 1 unchanged, 2 removed" in again.output
    assert rows("SELECT name, join_token FROM roster_entries") == [tokens[1]]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name,nip\nBudi,1\n", "line 1: missing column unit"),
        (ROSTER + "Dewi,X,12345,\n", "line 5: NIP '12345' is not 18 digits"),
        (ROSTER + "Dewi,X,,@sitirahma\n", "line 5: @sitirahma is already on line 3"),
        (ROSTER + "budi santoso,X,,\n", "line 5: 'budi santoso' is already on line 2"),
        (ROSTER + ",X,,\n", "line 5: name is empty"),
    ],
)
def test_bad_roster_writes_nothing(
    cli: CliRunner, tmp_path: Path, content: str, expected: str
) -> None:
    create(cli)
    result = import_roster(cli, tmp_path, content)
    assert result.exit_code == 1
    assert "aksi: peserta.csv refused, nothing was written:" in result.output
    assert expected in result.output
    assert rows("SELECT * FROM roster_entries") == []


def test_links_need_a_bot_username(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(cli)
    import_roster(cli, tmp_path, ROSTER)
    missing = invoke(cli, "participants", "links", "--cohort", "REVMEN1")
    assert missing.exit_code == 2
    assert missing.output == "aksi: no bot username: pass --bot USERNAME or set AKSI_BOT_USERNAME\n"
    bad = invoke(cli, "participants", "links", "--cohort", "REVMEN1", "--bot", "budi santoso")
    assert bad.exit_code == 2
    assert bad.output.count("\n") == 1 and "is not a bot username" in bad.output
    printed = invoke(cli, "participants", "links", "--cohort", "REVMEN1", "--bot", "@aksi_bot")
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    assert len(lines) == 3
    assert re.fullmatch(
        r"Budi Santoso\tDinas Kesehatan\t" + LINK_RE.format(bot="aksi_bot"), lines[0]
    )
    assert re.fullmatch(r"Andi Wijaya\t\t" + LINK_RE.format(bot="aksi_bot"), lines[2])
    tokens = [t for (t,) in rows("SELECT join_token FROM roster_entries ORDER BY position")]
    assert [line.rsplit("=", 1)[1] for line in lines] == tokens
    # From the setting.
    monkeypatch.setenv("AKSI_BOT_USERNAME", "revmen_bot")
    from_setting = invoke(cli, "participants", "links", "--cohort", "REVMEN1")
    assert from_setting.exit_code == 0
    assert "https://t.me/revmen_bot?start=" in from_setting.output
    # A bad setting stops with the settings error.
    monkeypatch.setenv("AKSI_BOT_USERNAME", "not a bot")
    bad_setting = invoke(cli, "participants", "links", "--cohort", "REVMEN1")
    assert bad_setting.exit_code == 2
    assert "AKSI_BOT_USERNAME" in bad_setting.output


def test_links_that_open_whatsapp(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create(cli)
    import_roster(cli, tmp_path, ROSTER)
    args = ("participants", "links", "--cohort", "REVMEN1", "--whatsapp")
    missing = invoke(cli, *args)
    assert missing.exit_code == 2
    assert missing.output == "aksi: no WhatsApp number: set WHATSAPP_DISPLAY_NUMBER (digits, 62…)\n"
    assert invoke(cli, *args, "--bot", "aksi_bot").output == (
        "aksi: --bot is for Telegram links, not with --whatsapp\n"
    )
    monkeypatch.setenv("WHATSAPP_DISPLAY_NUMBER", "+6281100000000")
    printed = invoke(cli, *args)
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    tokens = [t for (t,) in rows("SELECT join_token FROM roster_entries ORDER BY position")]
    assert [line.split("\t")[2] for line in lines] == [
        f"https://wa.me/6281100000000?text=GABUNG%20{t}" for t in tokens
    ]


def test_links_csv_written_whole_or_not_at_all(cli: CliRunner, tmp_path: Path) -> None:
    create(cli)
    out = tmp_path / "tautan.csv"
    empty = invoke(cli, "participants", "links", "--cohort", "REVMEN1", "--bot", "aksi_bot",
                   "--out", str(out))  # fmt: skip
    assert empty.exit_code == 1
    assert "cohort REVMEN1 has no roster yet" in empty.output
    assert not out.exists()
    unknown = invoke(cli, "participants", "links", "--cohort", "NOPE", "--bot", "aksi_bot",
                     "--out", str(out))  # fmt: skip
    assert unknown.exit_code == 1 and "no cohort with code 'NOPE'" in unknown.output
    assert not out.exists()
    import_roster(cli, tmp_path, ROSTER)
    nowhere = invoke(cli, "participants", "links", "--cohort", "REVMEN1", "--bot", "aksi_bot",
                     "--out", str(tmp_path / "missing" / "x.csv"))  # fmt: skip
    assert nowhere.exit_code == 1 and "cannot write" in nowhere.output
    written = invoke(cli, "participants", "links", "--cohort", "REVMEN1", "--bot", "aksi_bot",
                     "--out", str(out))  # fmt: skip
    assert written.exit_code == 0, written.output
    assert written.output.strip() == f"wrote 3 personal links of REVMEN1 to {out}"
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    # AKSI_DEFAULT_LANGUAGE is Indonesian: separated by ';' as Excel set to Indonesian expects.
    assert lines[0] == "name;unit;nip;telegram_username;link;joined"
    assert lines[1].startswith("Budi Santoso;Dinas Kesehatan;19800101 200501 1 001;;https://t.me/")
    assert lines[2].startswith("Siti Rahma;Bappeda;;SitiRahma;https://t.me/aksi_bot?start=r-")
    assert all(line.endswith(";no") for line in lines[1:])
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_the_links_file_imports_back_unchanged(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Export → import round trip: the NIP (written in groups so spreadsheets keep it text)
    and everything else read back as they were, with either separator."""
    monkeypatch.setenv("AKSI_DEFAULT_LANGUAGE", "en")
    create(cli)
    import_roster(cli, tmp_path, ROSTER.replace("Andi Wijaya,,,", "=Andi Wijaya,-Bappeda,,"))
    before = rows("SELECT name, unit, nip, telegram_username, join_token "
                            "FROM roster_entries ORDER BY position")  # fmt: skip
    out = tmp_path / "tautan.csv"
    for extra, separator in (((), ","), (("--sep", ";"), ";")):
        written = invoke(cli, "participants", "links", "--cohort", "REVMEN1", "--bot", "aksi_bot",
                         "--out", str(out), *extra)  # fmt: skip
        assert written.exit_code == 0, written.output
        lines = out.read_bytes().decode("utf-8-sig").splitlines()
        assert lines[1].split(separator)[:3] == [
            "Budi Santoso", "Dinas Kesehatan", "19800101 200501 1 001"
        ]  # fmt: skip
        assert lines[3].split(separator)[:2] == ["'=Andi Wijaya", "'-Bappeda"]
        again = invoke(cli, "participants", "import", "--cohort", "REVMEN1", str(out))
        assert again.exit_code == 0, again.output
        assert "roster rows 0 added, 0 updated, 3 unchanged, 0 removed" in again.output
        after = rows("SELECT name, unit, nip, telegram_username, join_token "
                               "FROM roster_entries ORDER BY position")  # fmt: skip
        assert after == before
    assert before[0][2] == "198001012005011001"
    printing = invoke(cli, "participants", "links", "--cohort", "REVMEN1", "--bot", "aksi_bot",
                      "--sep", ";")  # fmt: skip
    assert printing.exit_code == 2
    assert "--sep is for the CSV file (--out FILE)" in printing.output


def test_a_facilitator_on_whatsapp(cli: CliRunner) -> None:
    """A facilitator who has no Telegram: added by their WhatsApp number, listed by it, and
    what they write on WhatsApp is a facilitator's (their contact is the person made here)."""
    create(cli)
    added = invoke(cli, "facilitator", "add", "--whatsapp", "--cohort", "REVMEN1",
                   "+62 812-3456-7890")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output.strip() == "6281234567890 is now a facilitator of REVMEN1"
    assert invoke(cli, "facilitator", "list").output.splitlines()[0] == (
        "REVMEN1      whatsapp:6281234567890"
    )
    assert rows("SELECT channel, external_id FROM contacts") == [("whatsapp", "6281234567890")]
    removed = invoke(cli, "facilitator", "remove", "--whatsapp", "--cohort", "REVMEN1",
                     "6281234567890")  # fmt: skip
    assert removed.output.strip() == "6281234567890 is no longer a facilitator of REVMEN1"
    assert rows("SELECT count(*) FROM staff") == [(0,)]


def test_facilitator_add_remove_list(cli: CliRunner, tmp_path: Path) -> None:
    create(cli)
    create(cli, "REVMEN2")
    added = invoke(cli, "facilitator", "add", "--cohort", "revmen1", "123456789")
    assert added.exit_code == 0
    assert added.output.strip() == "123456789 is now a facilitator of REVMEN1"
    again = invoke(cli, "facilitator", "add", "--cohort", "REVMEN1", "123456789")
    assert again.output.strip() == "123456789 was already a facilitator of REVMEN1"
    invoke(cli, "facilitator", "add", "--cohort", "REVMEN2", "555")
    listed = invoke(cli, "facilitator", "list")
    assert listed.output.splitlines() == [
        "REVMEN1      123456789",
        "REVMEN2      555",
        "admins (AKSI_ADMIN_IDS, every cohort): (none)",
    ]
    one = invoke(cli, "facilitator", "list", "--cohort", "REVMEN2")
    assert one.output.splitlines()[0] == "REVMEN2      555"
    removed = invoke(cli, "facilitator", "remove", "--cohort", "REVMEN1", "123456789")
    assert removed.output.strip() == "123456789 is no longer a facilitator of REVMEN1"
    not_one = invoke(cli, "facilitator", "remove", "--cohort", "REVMEN1", "123456789")
    assert not_one.exit_code == 0
    assert not_one.output.strip() == "123456789 was not a facilitator of REVMEN1"
    assert rows(STAFF_USERS) == [(2, 555)]
    assert rows("SELECT count(*) FROM staff") == [(1,)]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["add", "--cohort", "REVMEN1", "abc"], "aksi: 'abc' is not a Telegram user id"),
        (["add", "--cohort", "REVMEN1", "0"], "aksi: '0' is not a Telegram user id"),
        (["remove", "--cohort", "REVMEN1", "12a"], "aksi: '12a' is not a Telegram user id"),
        # More than Telegram's ids (52 bits) and the database's BIGINT: refused, no traceback.
        (
            ["add", "--cohort", "REVMEN1", "99999999999999999999"],
            "aksi: '99999999999999999999' is too large for a Telegram user id (at most "
            "4503599627370495)",
        ),
        (["add", "--cohort", "NOPE", "123"], "aksi: no cohort with code 'NOPE'"),
        (["remove", "--cohort", "NOPE", "123"], "aksi: no cohort with code 'NOPE'"),
        (["list", "--cohort", "NOPE"], "aksi: no cohort with code 'NOPE'"),
        (
            ["add", "--whatsapp", "--cohort", "REVMEN1", "0812345678"],
            "aksi: 0812345678 starts with 0: write it with the country code (62…)",
        ),
        (
            ["add", "--whatsapp", "--cohort", "REVMEN1", "62 abc"],
            "aksi: '62 abc' is not a WhatsApp number (digits with the country code",
        ),
        (
            ["remove", "--whatsapp", "--cohort", "REVMEN1", "1234567890123456"],
            "aksi: '1234567890123456' is not a WhatsApp number",
        ),
    ],
)
def test_facilitator_refuses_bad_values(
    cli: CliRunner, tmp_path: Path, args: list[str], expected: str
) -> None:
    create(cli)
    result = invoke(cli, "facilitator", *args)
    assert result.exit_code == 1
    assert result.output.startswith(expected) and result.output.count("\n") == 1
    assert rows("SELECT * FROM staff") == []


async def test_facilitator_menu_follows_when_a_token_is_set(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, standin: BotApiStandIn
) -> None:
    await asyncio.to_thread(create, cli)
    await asyncio.to_thread(create, cli, "REVMEN2")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", standin.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", standin.base_url)

    async def run(*args: str) -> Result:  # the CLI runs its own event loop: in a thread
        return await asyncio.to_thread(invoke, cli, "facilitator", *args)

    assert (await run("add", "--cohort", "REVMEN1", "7001")).exit_code == 0
    await run("add", "--cohort", "REVMEN2", "7001")
    menu = [c["command"] for c in standin.commands[("chat:7001", "")]]
    assert menu[:2] == ["umumkan", "status"] and "peserta" in menu and "lapor" in menu
    assert "participants" in [c["command"] for c in standin.commands[("chat:7001", "en")]]
    await run("remove", "--cohort", "REVMEN1", "7001")
    assert ("chat:7001", "") in standin.commands  # still a facilitator of REVMEN2
    await run("remove", "--cohort", "REVMEN2", "7001")
    assert [k for k in standin.commands if k[0] == "chat:7001"] == []
    # The Bot API failing does not undo the change: a warning line, exit 0.
    standin.fail("getMe", 401, "Unauthorized")
    warned = await run("add", "--cohort", "REVMEN1", "7002")
    assert warned.exit_code == 0
    assert "the command menu was not updated" in warned.output
    assert [user for _, user in rows(STAFF_USERS)] == [7002]
    assert rows("SELECT count(*) FROM staff") == [(1,)]


def test_help(cli: CliRunner) -> None:
    for args in (
        ["participants", "import"], ["participants", "links"], ["facilitator", "add"],
        ["facilitator", "remove"], ["facilitator", "list"],
    ):  # fmt: skip
        result = invoke(cli, *args, "--help")
        assert result.exit_code == 0 and "Usage: " in result.output
