"""Cutting long Telegram HTML into messages: every part valid for Telegram (the stand-in's own
checker), within the limit, never cut inside an entity or a tag, and nothing lost or added."""

from __future__ import annotations

import html
import random
import re

import pytest

from bot.standin.wire import _HtmlChecker
from core.htmlsplit import split_message, visible_length

ENTITIES = ["&lt;", "&gt;", "&amp;", "&quot;", "&#39;", "&#128512;", "&#x1F44D;"]
WORDS = [
    "Pengumuman",
    "sesi",
    "besok",
    "pukul",
    "08.00",
    "WITA",
    "é",
    "e\u0301",  # e and a combining accent: one letter on screen
    "🙂",
    "👨‍👩‍👧",  # joined by zero-width joiners
    "❤️",  # with a variation selector
    "ok",
]
SPACES = [" ", " ", " ", "\n", "\n\n", "  "]
OPENERS = [
    ("b", "<b>"),
    ("i", "<i>"),
    ("u", "<u>"),
    ("s", "<s>"),
    ("code", "<code>"),
    ("a", '<a href="https://elearning.lan.go.id/?modul=2&amp;sesi=3">'),
    ("span", '<span class="tg-spoiler">'),
    ("blockquote", "<blockquote expandable>"),
    ("tg-spoiler", "<tg-spoiler>"),
]


def random_html(rng: random.Random, size: int, depth: int = 0) -> str:
    """Telegram HTML as PTB's `text_html` and the catalogs write it: escaped text, words,
    entities, emoji, line breaks, nested formatting, links, a custom emoji, a code block."""
    out: list[str] = []
    while sum(len(piece) for piece in out) < size:
        roll = rng.random()
        if roll < 0.45:
            out.append(rng.choice(WORDS))
        elif roll < 0.6:
            out.append(rng.choice(ENTITIES))
        elif roll < 0.82:
            out.append(rng.choice(SPACES))
        elif roll < 0.95 and depth < 3:
            name, opener = rng.choice(OPENERS)
            inner = random_html(rng, rng.randint(1, max(1, size // 4)), depth + 1)
            out.append(f"{opener}{inner}</{name}>")
        elif roll < 0.97:
            out.append('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>')
        elif depth == 0:
            code = html.escape("if a < b and c > d:\n    print('&')\n")
            out.append(f'<pre><code class="language-python">{code}</code></pre>')
    return "".join(out)


def shown(part: str) -> str:
    """What Telegram shows: the stand-in checks the markup, entities decoded."""
    _HtmlChecker(part).check()  # raises like Telegram's "can't parse entities"
    return html.unescape(re.sub(r"<[^>]*>", "", part))


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def assert_good_split(body: str, limit: int) -> list[str]:
    """Split `body`; check each part and that, put together, they are the whole of it."""
    parts = split_message(body, limit)
    for part in parts:
        text = shown(part)
        assert utf16(text) <= limit, (limit, part)
        assert text.strip(), part  # Telegram refuses an empty message
        # Every "&" begins a whole entity: none was cut in two.
        assert not re.search(r"&(?!(#\d+|#x[0-9A-Fa-f]+|[a-z]+);)", part), part
    # Put together, the text is the original's: every character kept, in order, none added.
    # Telegram shows no whitespace at either end of a message, so only there (at a cut) may
    # whitespace be missing, when it does not fit beside the text it stands between.
    pieces = [re.escape(shown(part).strip()) for part in parts]
    assert re.fullmatch(r"\s*" + r"\s*".join(pieces) + r"\s*", shown(body))
    return parts


@pytest.mark.parametrize("seed", range(300))
def test_random_html_splits_into_valid_parts_that_add_up(seed: int) -> None:
    rng = random.Random(seed)
    body = random_html(rng, rng.randint(50, 3000))
    limit = rng.choice([8, 20, 64, 200, 1000])
    parts = assert_good_split(body, limit)
    if visible_length(body) <= limit:
        assert parts == [body]


@pytest.mark.parametrize("seed", range(20))
def test_long_texts_fit_telegrams_limit(seed: int) -> None:
    rng = random.Random(1000 + seed)
    body = random_html(rng, rng.randint(8000, 30000))
    parts = assert_good_split(body, 4096)
    assert len(parts) >= -(-visible_length(body) // 4096)


def test_text_full_of_escaped_characters_is_one_message_when_it_fits() -> None:
    """`<` is `&lt;` in HTML: four characters written, one shown. 3,000 of them fit one
    message, although the HTML is over 12,000 characters long."""
    body = "&lt;" * 3000 + "\n\n" + "a &amp; b " * 150
    assert visible_length(body) == 3000 + 2 + 6 * 150
    assert split_message(body) == [body]


def test_entities_are_never_cut() -> None:
    body = "&lt;&amp;" * 3000  # 6,000 shown characters, no space anywhere
    parts = assert_good_split(body, 4096)
    assert [visible_length(p) for p in parts] == [4096, 6000 - 4096]
    assert "lt;&" not in parts[1][:4] and parts[1].startswith("&")


def test_cuts_prefer_blank_lines_then_line_breaks_then_spaces() -> None:
    para = "kata " * 30  # 150 shown characters
    body = f"{para}\n\n{para}\n{para}"
    assert split_message(body, 320) == [f"{para}\n\n", f"{para}\n{para}"]
    assert split_message(f"{para}\n{para}", 200) == [f"{para}\n", para]
    assert split_message("satu dua tiga", 10) == ["satu dua ", "tiga"]


def test_formatting_open_at_a_cut_is_closed_and_opened_again() -> None:
    link = '<a href="https://zoom.us/j/1?a=1&amp;b=2">'
    body = f"<b>Penting: {link}tautan sesi\n\nbesok</a> pukul 08.00</b>"
    parts = assert_good_split(body, 24)
    assert parts == [
        f"<b>Penting: {link}tautan sesi\n\n</a></b>",
        f"<b>{link}besok</a> pukul 08.00</b>",
    ]


def test_a_custom_emoji_and_joined_characters_stay_whole() -> None:
    emoji = '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    parts = assert_good_split(f"ab{emoji}cd", 3)
    assert all(p.count("<tg-emoji") == p.count("</tg-emoji>") for p in parts)
    assert [shown(p) for p in assert_good_split("e\u0301e\u0301e\u0301", 3)] == [
        "e\u0301",
        "e\u0301",
        "e\u0301",
    ]
    family = "👨‍👩‍👧"
    assert assert_good_split(f"{family} {family}", 10) == [f"{family} ", family]
