"""Cutting markup (`core.channel`: the HTML subset Aksi writes, which Telegram takes as it is)
into messages that fit a channel's limit, without breaking the markup.

Telegram counts a message's length on the text it shows (after entities are parsed), so
`&lt;` is one character and `<b>` none. A cut never falls inside a tag or an entity (`&lt;`),
nor between a character and what joins onto it (an accent, a variation selector, a zero-width
joiner); formatting open at a cut is closed before it and opened again, with the same tag and
attributes, after it. Cuts fall at a blank line if the part has one, else at a line break,
else at a space, else between two characters. The whitespace at a cut ends the part before it
if it fits there (Telegram trims it from a message anyway), so the parts' text put together
is the original's.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from dataclasses import dataclass

_TOKEN = re.compile(
    r"(?P<tag><[^<>]*>)|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
)
_TAG_NAME = re.compile(r"^<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)")
TELEGRAM_MAX_TEXT = 4096  # characters in one message (telegram.constants.MessageLimit)
_ATOMIC = frozenset({"tg-emoji"})  # never cut inside: its text is one custom emoji
_JOINERS = frozenset({"\u200d", "\ufe0e", "\ufe0f"})

# How good a cut is, best last. Whitespace at a cut ends the part before it when it fits.
_ANYWHERE, _BEFORE_SPACE, _SPACE, _LINE, _BLANK_LINE = 1, 2, 3, 4, 5


@dataclass(frozen=True, slots=True)
class _Token:
    source: str  # as written in the HTML
    width: int  # characters shown, as Telegram counts them (UTF-16 code units)
    shown: str  # the text shown ("" for a tag)
    opens: str | None = None  # a start tag: its name
    closes: str | None = None  # an end tag: its name


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@functools.lru_cache(maxsize=4096)
def _char(ch: str) -> _Token:
    return _Token(ch, _utf16(ch), ch)


def _tokens(body: str) -> list[_Token]:
    """Tags and entities whole, every other character on its own."""
    tokens: list[_Token] = []
    position = 0
    for match in _TOKEN.finditer(body):
        tokens.extend(map(_char, body[position : match.start()]))
        source = match.group()
        if match.group("tag") is not None:
            name = _TAG_NAME.match(source)
            if name is None:  # "<>" or "< 3>": not markup, shown as written
                tokens.extend(map(_char, source))
            elif name.group(1):
                tokens.append(_Token(source, 0, "", closes=name.group(2).lower()))
            else:
                tokens.append(_Token(source, 0, "", opens=name.group(2).lower()))
        else:
            shown = html.unescape(source)
            tokens.append(_Token(source, _utf16(shown), shown))
        position = match.end()
    tokens.extend(map(_char, body[position:]))
    return tokens


def visible_length(body: str) -> int:
    """How long Telegram counts `body` (Telegram HTML) to be."""
    return sum(token.width for token in _tokens(body))


def _cut_quality(tokens: list[_Token]) -> list[int]:
    """How good a cut before each token is (0: never there). Tags are looked through: the
    characters either side decide; a cut never leaves a start tag at the end of a part or an
    end tag at the start of one."""
    first_after = [""] * (len(tokens) + 1)  # the first character shown from each token on
    for i in range(len(tokens) - 1, -1, -1):
        first_after[i] = tokens[i].shown[:1] or first_after[i + 1]
    quality = [0] * (len(tokens) + 1)
    shown_before: list[str] = []  # the last two characters shown before the boundary
    for i, token in enumerate(tokens):
        if i > 0 and tokens[i - 1].opens is None and token.closes is None:
            quality[i] = _quality_between(shown_before, first_after[i])
        if token.shown:
            shown_before = [*shown_before[-1:], token.shown[-1]]
    return quality


def _quality_between(before: list[str], after: str) -> int:
    last = before[-1] if before else ""
    if not last or not after:
        return 0
    if after in _JOINERS or last == "\u200d" or unicodedata.category(after).startswith("M"):
        return 0
    if after.isspace():
        return 0 if last.isspace() else _BEFORE_SPACE
    if last == "\n":
        return _BLANK_LINE if before[0] == "\n" and len(before) == 2 else _LINE
    return _SPACE if last.isspace() else _ANYWHERE


def _shows_something(token: _Token) -> bool:
    return bool(token.shown) and not token.shown.isspace()


def split_message(body: str, limit: int = TELEGRAM_MAX_TEXT) -> list[str]:
    """`body` (Telegram HTML) as messages of at most `limit` shown characters each, every one
    valid HTML on its own. Whitespace longer than a whole message is left out."""
    if _utf16(body) <= limit:  # the usual case: markup and entities only ever shorten it
        return [body] if body.strip() else []
    tokens = _tokens(body)
    # The tags open before each token: (name, start tag as written), outermost first.
    open_before: list[tuple[tuple[str, str], ...]] = []
    stack: tuple[tuple[str, str], ...] = ()
    for token in tokens:
        open_before.append(stack)
        if token.opens is not None:
            stack = (*stack, (token.opens, token.source))
        elif token.closes is not None and stack and stack[-1][0] == token.closes:
            stack = stack[:-1]
    open_before.append(stack)

    quality = _cut_quality(tokens)
    parts: list[str] = []
    start = 0
    while start < len(tokens):
        width, end, best, best_quality = 0, start, len(tokens), 0
        while end < len(tokens) and width + tokens[end].width <= limit:
            width += tokens[end].width
            end += 1
        if end < len(tokens):  # it does not all fit: the best cut within (start, end]
            best = end
            content = next((i for i in range(start, end) if _shows_something(tokens[i])), end)
            for i in range(end, content, -1):  # a part never shows only whitespace
                inside = any(name in _ATOMIC for name, _ in open_before[i])
                if not inside and quality[i] > best_quality:
                    best, best_quality = i, quality[i]
                if best_quality == _BLANK_LINE:
                    break
            if best_quality == 0:  # nowhere good (e.g. one long run of joined characters)
                best = max(end, start + 1)
        part = "".join(name_and_tag[1] for name_and_tag in open_before[start])
        part += "".join(token.source for token in tokens[start:best])
        part += "".join(f"</{name}>" for name, _ in reversed(open_before[best]))
        if any(_shows_something(token) for token in tokens[start:best]):
            parts.append(part)
        start = best
    return parts
