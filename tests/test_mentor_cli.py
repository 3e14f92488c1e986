"""`aksi mentor assign|list|end`: by NIP or participant number, replacing only after a yes,
one clear line and a non-zero exit for anything wrong, nothing partial."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from storage.db import create_engine, sessionmaker, upgrade
from storage.models import Participant, RosterEntry
from tests.conftest import NOW, make_cohort
from tests.people import new_person
from tests.sqlrows import fetch

NIP = "198001012005011001"
STATES = "SELECT participant_id, state, mentor_name FROM mentorships ORDER BY id"


@pytest.fixture
def cohort(db_url: str) -> dict[str, int]:
    """REVMEN1 with Budi (on the roster with his NIP) and Ani; OTHER with Eko."""
    ids: dict[str, int] = {}

    async def populate() -> None:
        engine = create_engine(db_url)
        try:
            await upgrade(engine)
            db = sessionmaker(engine)
            revmen, other = await make_cohort(db), await make_cohort(db, code="OTHER", name="Lain")
            async with db.begin() as session:
                for user_id, name, cohort_id in (
                    (1001, "Budi", revmen.id), (1002, "Ani", revmen.id), (1003, "Eko", other.id)
                ):  # fmt: skip
                    person = await new_person(session, user_id)
                    participant = Participant(
                        cohort_id=cohort_id, person_id=person, first_name=name, full_name=name,
                        joined_at=NOW,
                    )  # fmt: skip
                    session.add(participant)
                    await session.flush()
                    ids[name] = participant.id
                session.add(
                    RosterEntry(
                        cohort_id=revmen.id, name="Budi", nip=NIP, participant_id=ids["Budi"],
                        join_token="r-" + "b" * 24,
                    )
                )  # fmt: skip
        finally:
            await engine.dispose()

    asyncio.run(populate())
    return ids


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for key in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "AKSI_ADMIN_IDS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    return CliRunner()


def invoke(cli: CliRunner, *args: str, given: str | None = None) -> Result:
    return cli.invoke(main, list(args), input=given, catch_exceptions=False)


def assign(cli: CliRunner, who: str, mentor: str, *extra: str) -> Result:
    return invoke(
        cli, "mentor", "assign", "--cohort", "revmen1", "--participant", who, "--mentor", mentor,
        *extra,
    )  # fmt: skip


def test_assign_by_nip_or_number_and_list(cli: CliRunner, cohort: dict[str, int]) -> None:
    result = assign(cli, "1980 0101 2005 01 1 001", "5001", "--name", "Dr. Siti")
    assert result.exit_code == 0, result.output
    assert result.output == "5001 (Dr. Siti) is now Budi's mentor in REVMEN1\n"
    result = assign(cli, str(cohort["Ani"]), "5001")
    assert result.output == "5001 is now Ani's mentor in REVMEN1\n"
    again = assign(cli, NIP, "5001")
    assert again.exit_code == 0 and "was already Budi's mentor" in again.output
    listing = invoke(cli, "mentor", "list", "--cohort", "REVMEN1")
    assert listing.exit_code == 0
    assert "REVMEN1: 2 of 2 with a mentor" in listing.output
    assert "Budi: Dr. Siti, since" in listing.output
    assert fetch(STATES) == [
        (cohort["Budi"], "active", "Dr. Siti"),
        (cohort["Ani"], "active", None),
    ]


def test_replacing_or_ending_asks_first(cli: CliRunner, cohort: dict[str, int]) -> None:
    assert assign(cli, NIP, "5001", "--name", "Siti").exit_code == 0
    # Not at a terminal, no --yes: refused, with how to go ahead; nothing written.
    refused = assign(cli, NIP, "5002", "--name", "Agus")
    assert refused.exit_code == 1
    assert refused.output == (
        "aksi: Budi's mentor is Siti: assigning ends that; nothing was written."
        " Run again with --yes to go ahead\n"
    )
    assert fetch(STATES) == [(cohort["Budi"], "active", "Siti")]
    done = assign(cli, NIP, "5002", "--name", "Agus", "--yes")
    assert done.exit_code == 0, done.output
    assert fetch(STATES) == [(cohort["Budi"], "ended", "Siti"), (cohort["Budi"], "active", "Agus")]
    end = invoke(cli, "mentor", "end", "--cohort", "REVMEN1", "--participant", NIP)
    assert end.exit_code == 1 and "nothing was written" in end.output
    end = invoke(cli, "mentor", "end", "--cohort", "REVMEN1", "--participant", NIP, "--yes")
    assert end.exit_code == 0 and end.output == "Agus is no longer Budi's mentor\n"
    assert [state for _, state, _ in fetch(STATES)] == ["ended", "ended"]
    again = invoke(cli, "mentor", "end", "--cohort", "REVMEN1", "--participant", NIP, "--yes")
    assert (
        again.exit_code == 1 and again.output == "aksi: Budi has no mentor; nothing was written\n"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--participant", "12x", "--mentor", "5001"], "aksi: participant '12x': give a NIP"),
        (["--participant", "999999", "--mentor", "5001"], "aksi: no participant '999999' in"),
        (["--participant", "199901012020011001", "--mentor", "5001"], "aksi: no participant"),
        (["--participant", NIP, "--mentor", "abc"], "aksi: --mentor: "),
        (["--participant", NIP, "--mentor", "0"], "aksi: --mentor: "),
        (["--participant", NIP, "--mentor", "5001", "--name", "  "], "aksi: --name: give"),
        (["--participant", NIP, "--mentor", "5001", "--name", "x" * 129], "aksi: --name: at most"),
        (["--participant", NIP, "--mentor", "1001"], "aksi: a participant cannot be their own"),
    ],
)
def test_bad_values_get_one_line_and_write_nothing(
    cli: CliRunner, cohort: dict[str, int], args: list[str], expected: str
) -> None:
    result = invoke(cli, "mentor", "assign", "--cohort", "REVMEN1", *args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(expected), result.output
    assert result.output.count("\n") == 1
    assert fetch(STATES) == []


def test_another_cohorts_participant_is_not_found(cli: CliRunner, cohort: dict[str, int]) -> None:
    """Eko is in OTHER: his number under REVMEN1 finds nobody."""
    result = assign(cli, str(cohort["Eko"]), "5001")
    assert result.exit_code == 1
    assert result.output == f"aksi: no participant '{cohort['Eko']}' in cohort REVMEN1\n"
    unknown = invoke(cli, "mentor", "list", "--cohort", "NOPE")
    assert unknown.exit_code == 1 and unknown.output.startswith("aksi: no cohort with code 'NOPE'")
    assert fetch(STATES) == []
