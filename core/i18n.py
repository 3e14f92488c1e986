"""Text catalogs: every user-facing message, by key, in Indonesian (first) and English.

The catalogs are gettext `.po` files in `core/locales/`, read with Babel, so translators can
use their usual tools. Messages are Aksi's markup (`core.channel`: the HTML subset Telegram
takes as it is, rendered per channel); values are escaped unless wrapped in `Html`.

A text that shows a number of things is a gettext plural entry (`msgid_plural` with the same
key, one `msgstr[i]` per form of the catalog's `Plural-Forms`: English "1 day" / "2 days",
Indonesian one form). Its form is chosen by the value named `count`. A message with several
numbers takes counted phrases as values, each looked up the same way (`count.day`, ...).
"""

from __future__ import annotations

import gettext
import html
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
FALLBACK = "id"


class Html(str):
    """A value that is already markup and must not be escaped again."""


class Catalogs:
    """Looks a key up in the reader's language, falling back to Indonesian."""

    def __init__(self, directory: Path = LOCALES) -> None:
        # Every key's template; for a plural entry, its last form (the one for most numbers).
        self.messages: dict[str, dict[str, str]] = {}
        # The plural entries: every form, in the order of the catalog's Plural-Forms.
        self.plurals: dict[str, dict[str, tuple[str, ...]]] = {}
        self.plural_forms: dict[str, int] = {}
        self._plural_index: dict[str, Callable[[int], int]] = {}
        for path in sorted(directory.glob("*.po")):
            lang = path.stem
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=lang)
            messages: dict[str, str] = {}
            plurals: dict[str, tuple[str, ...]] = {}
            for m in catalog:
                if not m.id or not m.string:
                    continue
                if isinstance(m.id, tuple):
                    key, forms = str(m.id[0]), tuple(str(form) for form in m.string)
                    if len(forms) != catalog.num_plurals or not all(forms):
                        raise RuntimeError(
                            f"{path.name}: {key} needs {catalog.num_plurals} plural form(s)"
                        )
                    plurals[key] = forms
                    messages[key] = forms[-1]
                else:
                    messages[str(m.id)] = str(m.string)
            self.messages[lang], self.plurals[lang] = messages, plurals
            self.plural_forms[lang] = catalog.num_plurals
            self._plural_index[lang] = gettext.c2py(catalog.plural_expr)
        if FALLBACK not in self.messages:
            raise RuntimeError(f"no {FALLBACK}.po catalog in {directory}")

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.messages)

    def template(self, lang: str, key: str, count: object = None) -> str:
        """The template of `key`; for a plural entry, the form for the number `count`."""
        if key not in self.messages.get(lang, {}):
            lang = FALLBACK
        found = self.messages[lang].get(key)
        if found is None:
            raise KeyError(f"no message {key!r} in the catalogs")
        forms = self.plurals[lang].get(key)
        if forms is None:
            return found
        if isinstance(count, bool) or not isinstance(count, int | float | Decimal | Fraction):
            raise TypeError(f"{key!r} counts something: give it a number as `count`")
        if count != int(count):
            return forms[-1]  # 1.5 days, 0.5 messages: the general form
        return forms[min(self._plural_index[lang](int(count)), len(forms) - 1)]

    def text(self, lang: str, key: str, /, **values: object) -> str:
        """A Telegram HTML message; values are escaped unless they are `Html`."""
        safe = {
            k: v if isinstance(v, Html) else html.escape(str(v), quote=False)
            for k, v in values.items()
        }
        return self.template(lang, key, values.get("count")).format(**safe)

    def plain(self, lang: str, key: str, /, **values: object) -> str:
        """Plain text (button labels, pop-up answers, command descriptions): nothing escaped."""
        return self.template(lang, key, values.get("count")).format(**values)


def escape(value: str) -> Html:
    return Html(html.escape(value, quote=False))


def link(url: str, label: str) -> Html:
    return Html(f'<a href="{html.escape(url, quote=True)}">{html.escape(label, quote=False)}</a>')
