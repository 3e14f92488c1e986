"""Cells for spreadsheet programs (`core.spreadsheet`) and numbers in each language
(`core.numbers`), and reading numbers back as people type them."""

from __future__ import annotations

import csv
import io

import pytest

from core.errors import InvalidInput
from core.numbers import number, percent
from core.plans import parse_amount
from core.spreadsheet import (
    COMMA,
    SEMICOLON,
    csv_file,
    from_text_cell,
    nip_cell,
    nip_digits,
    number_cell,
    separator_for,
    separator_named,
    text_cell,
)

NIP = "198001012005011001"


@pytest.mark.parametrize(
    ("typed", "cell"),
    [
        ('=HYPERLINK("http://x.example","klik")', '\'=HYPERLINK("http://x.example","klik")'),
        ("+62 812 3456", "'+62 812 3456"),
        ("-hari ini berat", "'-hari ini berat"),
        ("@budi", "'@budi"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Budi Santoso", "Budi Santoso"),
        ("Refleksi: -hari ini berat", "Refleksi: -hari ini berat"),
        ("'kutipan", "'kutipan"),
        ("", ""),
    ],
)
def test_typed_text_that_looks_like_a_formula_stays_text(typed: str, cell: str) -> None:
    assert text_cell(typed) == cell
    assert from_text_cell(cell) == typed


def test_a_nip_is_written_in_groups_and_read_back_in_every_usual_form() -> None:
    assert nip_cell(NIP) == "19800101 200501 1 001"
    assert nip_cell(None) == nip_cell("") == ""
    for written in (
        "19800101 200501 1 001",
        NIP,
        "'" + NIP,
        f'="{NIP}"',
        "19800101\u00a0200501\u00a01\u00a0001",
        "\t" + NIP,
    ):
        assert nip_digits(written) == NIP, written
    assert nip_digits("1,98001E+17") == "1,98001E+17"  # the import refuses it with a hint


def test_the_separator_follows_the_language_or_the_word() -> None:
    assert separator_for("id") == SEMICOLON
    assert separator_for("en") == COMMA
    for word in (";", "titikkoma", "Titik-Koma", "semicolon"):
        assert separator_named(word) == SEMICOLON
    for word in (",", "koma", "COMMA"):
        assert separator_named(word) == COMMA
    assert separator_named("tab") is None


def test_number_cells_use_the_decimal_mark_of_the_separator() -> None:
    assert number_cell(2.5, SEMICOLON) == "2,5"
    assert number_cell(2.5, COMMA) == "2.5"
    assert number_cell(10.0, SEMICOLON) == "10"
    assert number_cell(12345.25, SEMICOLON) == "12345,25"  # no grouping in a file
    assert number_cell(12345.25, COMMA) == "12345.25"
    assert number_cell(None, COMMA) == ""


def test_csv_file_is_excel_utf8_with_either_separator() -> None:
    rows = [["Siti Rahmawati", "Dinas, Kesehatan", "2,5"]]
    semicolon = csv_file(["nama", "unit", "nilai"], rows, separator=SEMICOLON)
    assert semicolon == "\ufeffnama;unit;nilai\r\nSiti Rahmawati;Dinas, Kesehatan;2,5\r\n".encode()
    comma = csv_file(["name", "unit", "value"], [["Siti", "Dinas, Kesehatan", "2.5"]])
    assert comma == '\ufeffname,unit,value\r\nSiti,"Dinas, Kesehatan",2.5\r\n'.encode()
    parsed = list(csv.reader(io.StringIO(semicolon.decode("utf-8-sig")), delimiter=";"))
    assert parsed[1] == rows[0]
    with pytest.raises(ValueError, match="separator must be"):
        csv_file(["a"], [], separator="\t")


@pytest.mark.parametrize(
    ("value", "indonesian", "english"),
    [
        (2.5, "2,5", "2.5"),
        (1.25, "1,25", "1.25"),
        (10.0, "10", "10"),
        (10000.0, "10.000", "10,000"),
        (1234.5, "1.234,5", "1,234.5"),
        (0.333333, "0,33", "0.33"),
    ],
)
def test_numbers_are_shown_in_the_readers_language(
    value: float, indonesian: str, english: str
) -> None:
    assert number(value, "id") == indonesian
    assert number(value, "en") == english


def test_percentages_are_whole_in_both_languages() -> None:
    assert percent(0.85, "id") == percent(0.85, "en") == "85%"
    assert percent(1.0, "id") == "100%"
    assert percent(None, "en") == "—"
    assert number(34.56, "id", decimals=1) == "34,6"
    assert number(34.56, "en", decimals=1) == "34.6"


@pytest.mark.parametrize(
    ("typed", "lang", "value"),
    [
        ("10", "id", 10.0),
        ("2,5", "id", 2.5),
        ("2.5", "id", 2.5),  # a phone's English keyboard: a point before one or two digits
        ("1,25", "id", 1.25),
        ("10.000", "id", 10000.0),  # as Aksi shows it in Indonesian
        ("100.000", "id", 100000.0),
        ("1.234,5", "id", 1234.5),
        ("10 000", "id", 10000.0),
        ("2,5", "en", 2.5),  # a decimal comma before one or two digits
        ("2.5", "en", 2.5),
        ("10,000", "en", 10000.0),  # as Aksi shows it in English
        ("2,555", "en", 2555.0),
        ("1,234.5", "en", 1234.5),
        ("1.000,000", "en", 1000.0),  # both marks: the last is the decimal one (and echoed back)
    ],
)
def test_numbers_are_read_as_people_type_them(typed: str, lang: str, value: float) -> None:
    assert parse_amount(typed, None, lang).value == value


@pytest.mark.parametrize("value", [2.5, 1.25, 10.0, 10000.0, 1234.5, 100000.0, 0.33])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_number_as_aksi_shows_it_is_read_back_as_the_same(value: float, lang: str) -> None:
    assert parse_amount(number(value, lang), None, lang).value == value


@pytest.mark.parametrize(
    ("typed", "lang"),
    [
        (typed, lang)
        for lang in ("id", "en")
        for typed in ("1.2.3", "1,234,5", "12.3456", "100.001", "1.000.000", "0,00", "-2,5")
    ]
    + [("2,555", "id"), ("1,250", "id"), ("10,000", "id"), ("2.555", "en"), ("10.000", "en")],
)
def test_unclear_numbers_are_refused(typed: str, lang: str) -> None:
    with pytest.raises(InvalidInput):
        parse_amount(typed, None, lang)
