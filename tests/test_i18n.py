"""The catalogs: both languages complete, placeholders matching, HTML well-formed."""

from __future__ import annotations

import string
from html.parser import HTMLParser

import pytest

from bot.i18n import Catalogs, Html

CATALOGS = Catalogs()


class TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.unbalanced: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.unbalanced.append(tag)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_is_in_both_languages() -> None:
    assert set(CATALOGS.messages) == {"id", "en"}
    assert set(CATALOGS.messages["id"]) == set(CATALOGS.messages["en"])
    assert len(CATALOGS.messages["id"]) > 40


@pytest.mark.parametrize("key", sorted(CATALOGS.messages["id"]))
def test_placeholders_match_and_html_balances(key: str) -> None:
    id_text, en_text = CATALOGS.messages["id"][key], CATALOGS.messages["en"][key]
    assert placeholders(id_text) == placeholders(en_text)
    for template in (id_text, en_text):
        checker = TagBalance()
        checker.feed(template)
        assert checker.unbalanced == [], key
        assert checker.stack == [], key


def test_values_are_escaped_unless_html() -> None:
    out = CATALOGS.text("id", "join.unknown_code", code="<script>&")
    assert "&lt;script&gt;&amp;" in out
    assert CATALOGS.text("id", "schedule.link", link=Html("<a href='x'>x</a>")).endswith("</a>")
    assert CATALOGS.plain("en", "button.use_telegram_name", name="A & B") == "Use «A & B»"


def test_missing_language_falls_back_to_indonesian() -> None:
    assert CATALOGS.text("fr", "profile.saved") == CATALOGS.text("id", "profile.saved")
    with pytest.raises(KeyError):
        CATALOGS.text("id", "no.such.key")
