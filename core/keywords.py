"""Commands typed as words, on a channel without a command menu (WhatsApp, issue 15): `jadwal`,
`Lapor`, `progress` are the commands /jadwal, /lapor, /progress; `GABUNG KODE` (`JOIN CODE`)
joins a cohort as `/start KODE` does, `TAUTKAN KODE` (`LINK CODE`) ties this contact to a person
as `/tautkan KODE` does; a message starting with `/` is a command as on Telegram.

Only a message that is nothing but the word (a full stop or an exclamation mark after it
allowed) is taken as a command: a typed answer that starts with one ("rencana kerja harian"
for a plan's step, "menu makan siang") stays text. The command names come from the caller
(the engine's tables in `handlers`), both languages."""

from __future__ import annotations

from collections.abc import Collection

from core.channel import Command, Sender, Text

JOIN_WORDS = frozenset({"gabung", "join"})
LINK_WORDS = frozenset({"tautkan", "link"})  # with a code: this contact tied to its person
_TRAILING = ".!?,;:"


def read_typed(sender: Sender, text: str, markup: str, commands: Collection[str]) -> Command | Text:
    """What a typed message asks for: a command (see the module's docstring) or text."""
    words = text.split()
    if not words:
        return Text(sender, text, markup)
    if words[0].startswith("/") and len(words[0]) > 1:
        return Command.of(sender, text.strip(), markup)
    first = words[0].rstrip(_TRAILING).lower()
    if first in JOIN_WORDS and len(words) == 2:
        return Command(sender, "start", (words[1].rstrip(_TRAILING),), text, markup)
    if first in LINK_WORDS and len(words) == 2:
        return Command(sender, "tautkan", (words[1].rstrip(_TRAILING),), text, markup)
    if len(words) == 1 and first in commands:
        return Command(sender, first, (), text, markup)
    return Text(sender, text, markup)
