"""Text catalogs: every user-facing message, by key, in Indonesian (first) and English.

The catalogs are gettext `.po` files in `bot/locales/`, read with Babel, so translators can
use their usual tools. Messages are Telegram HTML; values are escaped unless wrapped in `Html`.
"""

from __future__ import annotations

import html
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
FALLBACK = "id"


class Html(str):
    """A value that is already Telegram HTML and must not be escaped again."""


class Catalogs:
    """Looks a key up in the reader's language, falling back to Indonesian."""

    def __init__(self, directory: Path = LOCALES) -> None:
        self.messages: dict[str, dict[str, str]] = {}
        for path in sorted(directory.glob("*.po")):
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=path.stem)
            self.messages[path.stem] = {
                str(m.id): str(m.string) for m in catalog if m.id and m.string
            }
        if FALLBACK not in self.messages:
            raise RuntimeError(f"no {FALLBACK}.po catalog in {directory}")

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.messages)

    def template(self, lang: str, key: str) -> str:
        found = self.messages.get(lang, {}).get(key) or self.messages[FALLBACK].get(key)
        if found is None:
            raise KeyError(f"no message {key!r} in the catalogs")
        return found

    def text(self, lang: str, key: str, /, **values: object) -> str:
        """A Telegram HTML message; values are escaped unless they are `Html`."""
        safe = {
            k: v if isinstance(v, Html) else html.escape(str(v), quote=False)
            for k, v in values.items()
        }
        return self.template(lang, key).format(**safe)

    def plain(self, lang: str, key: str, /, **values: object) -> str:
        """Plain text (button labels, pop-up answers, command descriptions): nothing escaped."""
        return self.template(lang, key).format(**values)


def escape(value: str) -> Html:
    return Html(html.escape(value, quote=False))


def link(url: str, label: str) -> Html:
    return Html(f'<a href="{html.escape(url, quote=True)}">{html.escape(label, quote=False)}</a>')
