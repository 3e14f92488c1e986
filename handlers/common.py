"""Small helpers shared by the features: what a feature answers, and catalog texts. Who is
writing is the turn's (`Turn.identify`), and so is answering (reply, edit_or_reply, …)."""

from __future__ import annotations

from core.channel import Rows
from handlers.turn import HasServices

# What a handler answers: messages, each with its buttons (if any), sent in order.
Answer = list[tuple[str, Rows | None]]


def text(context: HasServices, lang: str, key: str, /, **values: object) -> str:
    return context.services.i18n.text(lang, key, **values)


def plain(context: HasServices, lang: str, key: str, /, **values: object) -> str:
    return context.services.i18n.plain(lang, key, **values)


def shorten(label: str, limit: int) -> str:
    """`label` within `limit` characters (for a button): cut, with "…", when longer."""
    return label if len(label) <= limit else label[: limit - 1] + "…"
