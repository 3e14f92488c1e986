"""The roster: parsing and importing it, personal links, and joining with them."""

from __future__ import annotations

import re
from functools import partial

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.cohorts import CODE_RE, normalise_code
from core.errors import InvalidInput
from core.imports import ImportRefused
from core.participants import Writer, join_cohort
from core.roster import (
    TOKEN_RE,
    apply_roster,
    join_by_token,
    link_for,
    links_csv,
    looks_like_token,
    match,
    not_joined,
    parse_roster,
    roster_status,
)
from storage.models import Cohort, Participant, RosterEntry
from tests.conftest import make_cohort
from tests.people import new_person, user_of

pytestmark = pytest.mark.databases("sqlite", "postgresql")

ROSTER = (
    "name,unit,nip,telegram_username\n"
    "Budi Santoso,Dinas Kesehatan,198001012005011001,\n"
    "Siti Rahma,Bappeda,,@SitiRahma\n"
    "Andi Wijaya,,,\n"
)


def refused(data: str | bytes) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        parse_roster(data.encode() if isinstance(data, str) else data)
    return [str(p) for p in caught.value.problems]


async def writer(
    session: AsyncSession, user_id: int, first_name: str, username: str | None = None
) -> Writer:
    """Telegram user `user_id` writing, with their person (and contact) made."""
    person_id = await new_person(session, user_id, username=username)
    return Writer(person_id, first_name, username=username)


async def entries(db: async_sessionmaker[AsyncSession]) -> list[RosterEntry]:
    async with db() as session:
        result = await session.scalars(select(RosterEntry).order_by(RosterEntry.position))
        return list(result)


async def load(
    db: async_sessionmaker[AsyncSession], cohort: Cohort, data: str, replace: bool = False
) -> str:
    async with db.begin() as session:
        return str(
            await apply_roster(session, cohort, parse_roster(data.encode()), replace=replace)
        )


# --- parsing ------------------------------------------------------------------------------


def test_parse_reads_excel_files_and_cleans_values() -> None:
    data = (
        "\ufeffName;Unit;NIP;Telegram_Username\r\n"
        "  Budi   Santoso ;Dinas  Kesehatan;19800101 200501 1 001;@budi_s\r\n"
        ";;;\r\n"
        "Siti Rahma;;;\r\n"
    ).encode()
    rows = parse_roster(data)
    assert [(r.line, r.name, r.unit, r.nip, r.telegram_username) for r in rows] == [
        (2, "Budi Santoso", "Dinas Kesehatan", "198001012005011001", "budi_s"),
        (4, "Siti Rahma", None, None, None),
    ]
    # nip and telegram_username are optional columns.
    [only] = parse_roster(b"name,unit\nAndi Wijaya,Bappeda\n")
    assert (only.name, only.unit, only.nip, only.telegram_username) == (
        "Andi Wijaya",
        "Bappeda",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name,nip\nBudi,\n", "line 1: missing column unit"),
        ("name,unit,email\nBudi,X,b@x\n", "unknown column 'email'"),
        ("name,unit\n", "the file has a header but no rows"),
        ("", "the file is empty"),
        ("name,unit\n,Bappeda\n", "line 2: name is empty"),
        ("name,unit\n" + "B" * 129 + ",X\n", "line 2: name is longer than 128 characters"),
        ("name,unit\nBudi," + "U" * 161 + "\n", "line 2: unit is longer than 160 characters"),
        ("name,unit,nip\nBudi,X,1980010120050110\n", "line 2: NIP '1980010120050110' is not 18"),
        ("name,unit,nip\nBudi,X,19800101200501100A\n", "is not 18 digits"),
        ("name,unit,nip\nBudi,X,1.98001E+17\n", "format the column as Text"),
        ("name,unit,nip\nBudi,X,１９８００１０１２００５０１１００１\n", "is not 18 digits"),
        ("name,unit,telegram_username\nBudi,X,@bud\n", "line 2: telegram_username '@bud' is not"),
        ("name,unit,telegram_username\nBudi,X,budi santoso\n", "is not a Telegram username"),
        ("name,unit,telegram_username\nBudi,X," + "b" * 33 + "\n", "is not a Telegram username"),
        ("name,unit\nBudi,X,extra\n", "line 2: 3 fields where the header has 2"),
    ],
)
def test_parse_refuses_bad_values(content: str, expected: str) -> None:
    problems = refused(content)
    assert any(expected in p for p in problems), problems


def test_parse_refuses_duplicates_and_lists_every_problem() -> None:
    problems = refused(
        "name,unit,nip,telegram_username\n"
        "Budi Santoso,A,198001012005011001,budi_s\n"  # 2
        "Budi Lain,B,198001012005011001,\n"  # 3: same NIP
        "Siti Rahma,C,,@Budi_S\n"  # 4: same username, other case
        "Andi Wijaya,D,,\n"  # 5
        "andi  WIJAYA,E,,\n"  # 6: same name without a NIP
        "Dewi,F,123,\n"  # 7: bad NIP
    )
    assert problems == [
        "line 3: NIP 198001012005011001 is already on line 2",
        "line 4: @Budi_S is already on line 2",
        "line 6: 'andi WIJAYA' is already on line 5 "
        "(give each a NIP to tell people with the same name apart)",
        "line 7: NIP '123' is not 18 digits",
    ]


def test_same_name_is_fine_with_a_nip_each() -> None:
    rows = parse_roster(b"name,unit,nip\nBudi,A,198001012005011001\nBudi,B,198001012005011002\n")
    assert [r.nip for r in rows] == ["198001012005011001", "198001012005011002"]
    problems = refused("name,unit,nip\nBudi,A,\nBudi,B,198001012005011002\n")
    assert problems == [
        "line 3: 'Budi' is already on line 2 "
        "(give each a NIP to tell people with the same name apart)"
    ]


def test_not_utf8_is_refused() -> None:
    assert refused("name,unit\nBudi,Dinas Pendidikan\nJosé,X\n".encode("latin-1")) == [
        "line 3: the file is not UTF-8 text (save it as 'CSV UTF-8')"
    ]


# --- tokens and links ---------------------------------------------------------------------


def test_tokens_are_deep_link_payloads_never_codes() -> None:
    from core.roster import new_token

    taken: set[str] = set()
    tokens = [new_token(taken) for _ in range(500)]
    assert len(set(tokens)) == 500
    for token in tokens:
        assert TOKEN_RE.match(token) and looks_like_token(token)
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", token)  # Telegram payload, the column's size
        # A code is stored upper-case; a token always has a lower-case letter: never equal.
        assert normalise_code(token) != token and CODE_RE.match(normalise_code(token))
    assert not looks_like_token("REVMEN1") and not looks_like_token(tokens[0].upper())
    assert link_for("@aksi_bot", tokens[0]) == f"https://t.me/aksi_bot?start={tokens[0]}"


# --- importing ----------------------------------------------------------------------------


async def test_import_then_reimport_keeps_tokens(db: async_sessionmaker[AsyncSession]) -> None:
    cohort = await make_cohort(db)
    assert await load(db, cohort, ROSTER) == "3 added, 0 updated, 0 unchanged, 0 removed"
    first = {e.name: e.join_token for e in await entries(db)}
    assert len(set(first.values())) == 3
    # Budi renamed (matched by NIP), Siti's unit changed (matched by name, case ignored),
    # Andi gets a NIP (matched by name among rows without one), and a newcomer.
    changed = (
        "name,unit,nip,telegram_username\n"
        "Dewi Lestari,Dinas Sosial,,\n"
        "Budi Santoso S.Kom,Dinas Kesehatan,198001012005011001,\n"
        "SITI RAHMA,Bappeda Kota,,SitiRahma\n"
        "Andi Wijaya,,198505052010011002,\n"
    )
    assert await load(db, cohort, changed) == "1 added, 3 updated, 0 unchanged, 0 removed"
    after = await entries(db)
    assert [e.name for e in after] == [
        "Dewi Lestari",
        "Budi Santoso S.Kom",
        "SITI RAHMA",
        "Andi Wijaya",
    ]
    assert after[1].join_token == first["Budi Santoso"]
    assert after[2].join_token == first["Siti Rahma"] and after[2].unit == "Bappeda Kota"
    assert after[3].join_token == first["Andi Wijaya"] and after[3].nip == "198505052010011002"
    assert await load(db, cohort, changed) == "0 added, 0 updated, 4 unchanged, 0 removed"


async def test_replace_removes_rows_not_in_file_but_keeps_joined_ones(
    db: async_sessionmaker[AsyncSession],
) -> None:
    cohort = await make_cohort(db)
    await load(db, cohort, ROSTER)
    budi_token = (await entries(db))[0].join_token
    async with db.begin() as session:
        linked = await join_by_token(session, await writer(session, 2001, "Budi"), budi_token)
        assert linked is not None and linked.joined is not None
    only_siti = "name,unit,nip,telegram_username\nSiti Rahma,Bappeda,,@SitiRahma\n"
    summary = await load(db, cohort, only_siti, replace=True)
    assert summary == (
        "0 added, 0 updated, 1 unchanged, 1 removed, 1 kept (not in the file but already joined)"
    )
    assert sorted(e.name for e in await entries(db)) == ["Budi Santoso", "Siti Rahma"]
    # Without --replace nothing is removed.
    assert (await load(db, cohort, only_siti)).endswith("0 removed")


async def test_bad_file_writes_nothing(db: async_sessionmaker[AsyncSession]) -> None:
    cohort = await make_cohort(db)
    with pytest.raises(ImportRefused):
        await load(db, cohort, ROSTER + "Dewi,X,12,\n")
    assert await entries(db) == []


async def test_import_ties_members_by_telegram_username(
    db: async_sessionmaker[AsyncSession],
) -> None:
    cohort = await make_cohort(db)
    other = await make_cohort(db, code="REVMEN2")
    async with db.begin() as session:
        siti = await writer(session, 3001, "Siti", username="sitirahma")
        joined = await join_cohort(session, siti, "REVMEN1")
        # Same username in another cohort: never tied to this cohort's roster.
        await join_cohort(session, await writer(session, 3002, "X", username="andi_w"), "REVMEN2")
        assert joined is not None
    summary = await load(db, cohort, ROSTER.replace("Andi Wijaya,,,", "Andi Wijaya,,,andi_w"))
    assert summary.endswith("1 matched to members by Telegram username")
    async with db() as session:
        member = await session.get(Participant, joined.participant.id)
        assert member is not None
        assert (member.full_name, member.unit, member.awaiting) == ("Siti Rahma", "Bappeda", None)
        assert [e.name for e in await not_joined(session, cohort.id)] == [
            "Budi Santoso",
            "Andi Wijaya",
        ]
        assert await not_joined(session, other.id) == []


async def test_match_checks_every_id(db: async_sessionmaker[AsyncSession]) -> None:
    cohort = await make_cohort(db)
    other = await make_cohort(db, code="REVMEN2")
    await load(db, cohort, ROSTER)
    await load(db, other, "name,unit\nEko Prasetyo,Bappeda\n")
    async with db.begin() as session:
        nur = await join_cohort(session, await writer(session, 4001, "Nur"), "REVMEN1")
        eko = await join_cohort(session, await writer(session, 4002, "Eko"), "REVMEN2")
        assert nur is not None and eko is not None
    rows = await entries(db)
    budi = next(e for e in rows if e.name == "Budi Santoso")
    eko_row = next(e for e in rows if e.name == "Eko Prasetyo")
    for roster_id, participant_id, cohort_id in [
        (eko_row.id, nur.participant.id, cohort.id),  # the row is another cohort's
        (budi.id, eko.participant.id, cohort.id),  # the member is another cohort's
        (budi.id, nur.participant.id, other.id),  # the cohort is not theirs
        (999, nur.participant.id, cohort.id),
    ]:
        with pytest.raises(InvalidInput):
            async with db.begin() as session:
                await match(session, cohort_id, roster_id, participant_id)
    async with db.begin() as session:
        await match(session, cohort.id, budi.id, nur.participant.id)
    with pytest.raises(InvalidInput):  # matched already: a second press is stale
        async with db.begin() as session:
            await match(session, cohort.id, budi.id, nur.participant.id)
    async with db() as session:
        status = await roster_status(session, cohort.id)
        assert (status.total, status.joined, status.untied) == (3, 1, [])
        member = await session.get(Participant, nur.participant.id)
        assert member is not None and member.full_name == "Budi Santoso"


def test_links_csv_is_excel_friendly() -> None:
    rows = [
        RosterEntry(name="=HYPERLINK(1)", unit="Bappeda", nip=None, join_token="r-" + "a" * 24),
        RosterEntry(
            name="Budi", unit=None, nip="198001012005011001", telegram_username="budi_s",
            join_token="r-" + "b" * 24, participant_id=5,
        ),
    ]  # fmt: skip
    data = links_csv(rows, partial(link_for, "aksi_bot"))
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines() == [
        "name,unit,nip,telegram_username,link,joined",
        f"'=HYPERLINK(1),Bappeda,,,https://t.me/aksi_bot?start=r-{'a' * 24},no",
        f"Budi,,19800101 200501 1 001,budi_s,https://t.me/aksi_bot?start=r-{'b' * 24},yes",
    ]


@pytest.mark.parametrize("separator", [",", ";"])
def test_the_links_file_reads_back_as_the_same_roster(separator: str) -> None:
    """The links file is written for spreadsheets (NIPs in groups, typed formulas kept text)
    and reads back as a roster, unchanged: link and joined are ignored."""
    entries = [
        RosterEntry(
            name="Budi Santoso", unit="Dinas Kesehatan", nip="198001012005011001",
            telegram_username="budi_s", join_token="r-" + "b" * 24, participant_id=5,
        ),
        RosterEntry(
            name="=HYPERLINK(1)", unit="-Bappeda; Bidang 2", nip="199002022015022002",
            join_token="r-" + "a" * 24,
        ),
        RosterEntry(name="Siti Rahma, S.E.", unit=None, nip=None, join_token="r-" + "c" * 24),
    ]  # fmt: skip
    data = links_csv(entries, partial(link_for, "aksi_bot"), separator=separator)
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == separator.join(
        ("name", "unit", "nip", "telegram_username", "link", "joined")
    )
    assert lines[1].startswith(
        separator.join(("Budi Santoso", "Dinas Kesehatan", "19800101 200501 1 001"))
    )
    rows = parse_roster(data)
    assert [(r.name, r.unit, r.nip, r.telegram_username) for r in rows] == [
        ("Budi Santoso", "Dinas Kesehatan", "198001012005011001", "budi_s"),
        ("=HYPERLINK(1)", "-Bappeda; Bidang 2", "199002022015022002", None),
        ("Siti Rahma, S.E.", None, None, None),
    ]


@pytest.mark.parametrize(
    "nip",
    [
        "19800101 200501 1 001",  # as Aksi writes it, and Excel saves it back
        "198001012005011001",  # saved back from ="…", or typed into a Text column
        "'198001012005011001",
        '"=""198001012005011001"""',  # ="198001012005011001"
        '"19800101\u00a0200501\u00a01\u00a0001"',
    ],
)
def test_a_nip_kept_as_text_any_usual_way_is_read(nip: str) -> None:
    """What Excel with Indonesian regional settings saves as CSV UTF-8: `;`, CRLF, a BOM."""
    resaved = (
        "\ufeffname;unit;nip;telegram_username;link;joined\r\n"
        f"Budi Santoso;Dinas Kesehatan;{nip};budi_s;"
        f"https://t.me/aksi_bot?start=r-{'b' * 24};yes\r\n"
    )
    [row] = parse_roster(resaved.encode())
    assert row.nip == "198001012005011001"


async def test_join_by_token_core(db: async_sessionmaker[AsyncSession]) -> None:
    cohort = await make_cohort(db)
    await load(db, cohort, ROSTER)
    andi = next(e for e in await entries(db) if e.name == "Andi Wijaya")
    async with db.begin() as session:
        wrong_case = andi.join_token[:2] + andi.join_token[2:].swapcase()
        assert await join_by_token(session, await writer(session, 1, "X"), wrong_case) is None
        linked = await join_by_token(session, await writer(session, 5001, "Andi"), andi.join_token)
        assert linked is not None and linked.joined is not None
        # No unit on the roster: the unit is still asked, the name is not.
        assert (linked.joined.participant.full_name, linked.joined.participant.awaiting) == (
            "Andi Wijaya",
            "unit",
        )
    async with db.begin() as session:
        taken = await join_by_token(session, await writer(session, 5002, "Eve"), andi.join_token)
        assert taken is not None and taken.joined is None
        members = await session.scalars(select(user_of(Participant.person_id)))
        assert members.all() == ["5001"]
