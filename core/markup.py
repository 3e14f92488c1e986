"""Aksi's markup, what every text is written in (catalogs, announcements): a small HTML subset —
`<b> <i> <u> <s> <code> <pre> <a href>` and the entities `&lt; &gt; &amp; &quot;` — that each
channel renders its own way.

`clean` turns what a channel hands in (Telegram's HTML of a message, with its spoilers, quotes
and custom emoji) into that subset, so an announcement is stored channel-neutrally: the
writer's bold, italic, links and line breaks kept, anything else reduced to its text.
`to_plain` and `to_whatsapp` render it for a channel without HTML (WhatsApp writes `*bold*`,
`_italic_`, `~struck~`, ```` ```code``` ````, and a link as its text and address)."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

KEPT = ("b", "i", "u", "s", "code", "pre", "a")
# Other names for the kept tags (what Telegram and browsers also write).
_SAME = {"strong": "b", "em": "i", "ins": "u", "strike": "s", "del": "s"}
_WHATSAPP = {"b": "*", "i": "_", "s": "~", "code": "```", "pre": "```"}


class _Reader(HTMLParser):
    """Walks markup: text and the kept tags, in order; everything else is reduced to its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, str, str]] = []  # (kind, tag or text, href)
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = _SAME.get(tag, tag)
        if name == "br":
            self.items.append(("text", "\n", ""))
            return
        if name not in KEPT:
            self._open.append(None)
            return
        href = next((v or "" for k, v in attrs if k == "href"), "") if name == "a" else ""
        if name == "a" and not href.startswith(("http://", "https://", "tg://", "mailto:")):
            self._open.append(None)  # a link to nowhere useful: its text only
            return
        self._open.append(name)
        self.items.append(("open", name, href))

    def handle_endtag(self, tag: str) -> None:
        if _SAME.get(tag, tag) == "br":
            return
        if self._open:
            name = self._open.pop()
            if name is not None:
                self.items.append(("close", name, ""))

    def handle_data(self, data: str) -> None:
        self.items.append(("text", data, ""))

    def read(self, markup: str) -> list[tuple[str, str, str]]:
        self.feed(markup)
        self.close()
        while self._open:  # close what the writer left open
            name = self._open.pop()
            if name is not None:
                self.items.append(("close", name, ""))
        return self.items


def clean(markup: str) -> str:
    """`markup` in Aksi's subset: kept tags as they are (links only to web, Telegram or mail
    addresses), everything else reduced to its text, every text escaped."""
    out: list[str] = []
    for kind, value, href in _Reader().read(markup):
        if kind == "text":
            out.append(escape(value, quote=False))
        elif kind == "open":
            out.append(f'<a href="{escape(href)}">' if value == "a" else f"<{value}>")
        else:
            out.append(f"</{value}>")
    return "".join(out)


def _written_out(markup: str, marks: dict[str, str]) -> str:
    """The text with each kept tag replaced by its mark in `marks` (none when absent) and a
    link's address after its text when they differ. A mark only works around text that starts
    and ends with no space (WhatsApp shows `*Jadwal *` as written): spaces at the ends of a
    marked part go outside its marks, and a part with no text loses them."""
    out: list[str] = []
    links: list[tuple[str, int]] = []
    opened: list[int] = []  # where each open mark is in `out`
    for kind, value, href in _Reader().read(markup):
        if kind == "text":
            out.append(value)
        elif value != "a":
            mark = marks.get(value, "")
            if kind == "open":
                opened.append(len(out))
                out.append(mark)
            elif opened:
                start = opened.pop()
                inner = "".join(out[start + 1 :])
                core = inner.strip()
                lead, trail = (
                    inner[: len(inner) - len(inner.lstrip())],
                    inner[len(inner.rstrip()) :],
                )
                out[start:] = [lead, mark, core, mark, trail] if core else [inner]
        elif kind == "open":
            links.append((href, len(out)))
        elif links:
            href, start = links.pop()
            if "".join(out[start:]).strip() != href:
                out.append(f" ({href})")
    return "".join(out)


def to_plain(markup: str) -> str:
    """The text alone; a link's address follows its text when they differ."""
    return _written_out(markup, {})


def to_whatsapp(markup: str) -> str:
    """WhatsApp's own formatting: `*bold*`, `_italic_`, `~struck~`, ```` ``` ```` for code; no
    underline; a link as its text and address."""
    return _written_out(markup, _WHATSAPP)


# WhatsApp's own marks as people type them: around text that starts and ends with no space,
# not inside a word (2*3*4 and file_name stay as they are), on one line.
_TYPED = [
    (re.compile(r"```(?=\S)([^\n]+?)(?<=\S)```"), "code"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])([^\n*]+?)(?<=[^\s*])\*(?![\w*])"), "b"),
    (re.compile(r"(?<![\w_])_(?=[^\s_])([^\n_]+?)(?<=[^\s_])_(?![\w_])"), "i"),
    (re.compile(r"(?<![\w~])~(?=[^\s~])([^\n~]+?)(?<=[^\s~])~(?![\w~])"), "s"),
]


def from_whatsapp(text: str) -> str:
    """What someone typed on WhatsApp as Aksi's markup: `*bold*`, `_italic_`, `~struck~` and
    ```` ```code``` ```` become their tags (so a facilitator's announcement keeps them on every
    channel); everything else is escaped text."""
    markup = escape(text, quote=False)
    for pattern, tag in _TYPED:
        markup = pattern.sub(rf"<{tag}>\1</{tag}>", markup)
    return markup
