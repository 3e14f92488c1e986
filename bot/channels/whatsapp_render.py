"""A message of the channel contract (`core.channel.Outbound`) as WhatsApp Cloud API messages,
within WhatsApp's limits, never losing an option (issue 15: rendering).

The text is Aksi's markup (`core.markup`) written the WhatsApp way (`*bold*`, `_italic_`, a
link as its text and address). The buttons, all rows together in order (two doing the same
thing as one), become:
- up to 3 reply buttons, when every label fits a button's title (20 characters);
- up to 10 rows of a list message (title 24 characters; a longer label is cut there and given
  whole in the row's description, up to 72);
- else a numbered menu under the text, answered by typing the number: `menu` maps each number
  to its action data, for the adapter to keep for the contact until their next message.
An interactive message's body holds 1024 characters: a longer text goes first as text
messages (4096 characters each) and the choice follows with a short prompt. `problems` checks a
rendering against these limits and that every action can still be reached; the in-memory
channel of the tests runs it on every message the features send."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.channel import Action, Outbound
from core.htmlsplit import split_message
from core.markup import to_whatsapp

BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
LIST_ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
LIST_BUTTON_MAX = 20  # the label of the button that opens a list
BODY_MAX = 1024  # an interactive message's body
PARAM_MAX = 700  # a template's parameter: its body holds 1024 characters, its own words too
TEXT_MAX = 4096
ID_MAX = 256

Payload = dict[str, Any]
# The words a rendering needs, in the reader's language: `whatsapp.list_button` (opens a list),
# `whatsapp.choose` (the prompt above a choice whose text went before it), `whatsapp.menu_hint`
# (under a numbered menu).
Words = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Rendered:
    """The messages to send, in order, and a numbered menu's number → action data."""

    payloads: tuple[Payload, ...]
    menu: dict[int, str]


def _text(body: str, previews: bool) -> Payload:
    return {"type": "text", "text": {"body": body, "preview_url": previews}}


def _texts(markup: str, previews: bool) -> list[Payload]:
    return [_text(to_whatsapp(part), previews) for part in split_message(markup, TEXT_MAX) if part]


def _cut(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _fits_list(actions: Sequence[Action]) -> bool:
    return len(actions) <= LIST_ROWS_MAX and all(
        len(a.label) <= ROW_DESCRIPTION_MAX for a in actions
    )


def _choice(actions: Sequence[Action], words: Words) -> Payload:
    """Reply buttons or a list (the caller has checked they fit), its body filled in later."""
    if len(actions) <= BUTTONS_MAX and all(len(a.label) <= BUTTON_TITLE_MAX for a in actions):
        buttons = [{"type": "reply", "reply": {"id": a.data, "title": a.label}} for a in actions]
        interactive = {"type": "button", "action": {"buttons": buttons}}
        return {"type": "interactive", "interactive": interactive}
    rows = []
    for a in actions:
        row = {"id": a.data, "title": _cut(a.label, ROW_TITLE_MAX)}
        if len(a.label) > ROW_TITLE_MAX:
            row["description"] = a.label
        rows.append(row)
    action = {"button": _cut(words("whatsapp.list_button"), LIST_BUTTON_MAX),
              "sections": [{"rows": rows}]}  # fmt: skip
    return {"type": "interactive", "interactive": {"type": "list", "action": action}}


def _in_context(row: Sequence[Action]) -> list[Action]:
    """A row's buttons as options of their own: one that is only a sign (❌ ⏸ beside
    "✅ Apel pagi") says what it is for once the row is gone — "❌ Apel pagi"."""
    named = next((a.label for a in row if any(ch.isalnum() for ch in a.label)), "")
    subject = re.sub(r"^\W+", "", named)  # "✅ Apel pagi" → "Apel pagi"
    return [
        a if any(ch.isalnum() for ch in a.label) or not subject
        else Action(f"{a.label} {subject}", a.data)
        for a in row
    ]  # fmt: skip


def render(message: Outbound, words: Words) -> Rendered:
    """`message` (text and buttons; attachments and polls are the adapter's) as Cloud API
    messages."""
    # Two buttons doing the same (a day and "back" to it): one option, as WhatsApp wants ids
    # unique; the first label is kept.
    first: dict[str, Action] = {}
    for row in message.rows:
        for a in _in_context(row):
            first.setdefault(a.data, a)
    actions = list(first.values())
    previews = message.link_previews
    if not actions:
        return Rendered(tuple(_texts(message.text, previews)), {})
    if not _fits_list(actions):
        lines = [f"{n}. {a.label}" for n, a in enumerate(actions, 1)]
        menu = "\n".join([*lines, "", words("whatsapp.menu_hint")])
        body = [*_texts(message.text, previews), _text(menu, False)]
        return Rendered(tuple(body), {n: a.data for n, a in enumerate(actions, 1)})
    choice = _choice(actions, words)
    shown = to_whatsapp(message.text)
    if shown and len(shown) <= BODY_MAX:
        before: list[Payload] = []
    else:  # the text on its own first; the choice under a short prompt
        before, shown = _texts(message.text, previews), words("whatsapp.choose")
    choice["interactive"]["body"] = {"text": shown}
    return Rendered((*before, choice), {})


def template_param(markup: str, tail: str = "") -> str:
    """A message as a template's one parameter: WhatsApp's formatting on one line (Meta refuses
    a parameter with a line break, a tab or more than four spaces in a row), lines joined by a
    dot, cut to PARAM_MAX — with `tail` (plain words) kept whole at its end."""
    lines = (" ".join(line.split()) for line in to_whatsapp(markup).splitlines())
    one = " · ".join(line for line in lines if line)
    end = f" · {' '.join(tail.split())}" if tail.strip() else ""
    room = PARAM_MAX - len(end)
    return (one if len(one) <= room else one[: room - 1].rstrip() + "…") + end


def problems(message: Outbound, rendered: Rendered) -> list[str]:
    """What breaks WhatsApp's limits in `rendered`, or loses one of `message`'s actions: [] when
    it can be sent as it is."""
    found: list[str] = []
    reachable = set(rendered.menu.values())
    for payload in rendered.payloads:
        if payload["type"] == "text":
            if len(payload["text"]["body"]) > TEXT_MAX:
                found.append(f"a text of {len(payload['text']['body'])} characters")
            continue
        interactive = payload["interactive"]
        body = interactive["body"]["text"]
        if not body or len(body) > BODY_MAX:
            found.append(f"an interactive body of {len(body)} characters")
        if interactive["type"] == "button":
            buttons = [b["reply"] for b in interactive["action"]["buttons"]]
            if len(buttons) > BUTTONS_MAX:
                found.append(f"{len(buttons)} reply buttons")
            found += [f"button title {b['title']!r}" for b in buttons
                      if not 0 < len(b["title"]) <= BUTTON_TITLE_MAX]  # fmt: skip
            choices = buttons
        else:
            rows = [r for s in interactive["action"]["sections"] for r in s["rows"]]
            if len(rows) > LIST_ROWS_MAX:
                found.append(f"{len(rows)} list rows")
            if not 0 < len(interactive["action"]["button"]) <= LIST_BUTTON_MAX:
                found.append("the list's button label")
            found += [f"row title {r['title']!r}" for r in rows
                      if not 0 < len(r["title"]) <= ROW_TITLE_MAX]  # fmt: skip
            found += [f"row description {r['description']!r}" for r in rows
                      if len(r.get("description", "")) > ROW_DESCRIPTION_MAX]  # fmt: skip
            choices = rows
        found += [f"id {c['id']!r}" for c in choices if not 0 < len(c["id"]) <= ID_MAX]
        ids = [c["id"] for c in choices]
        if len(set(ids)) != len(ids):
            found.append("two options with one id")
        reachable |= {c["id"] for c in choices}
    lost = [a.label for row in message.rows for a in row if a.data not in reachable]
    if lost:
        found.append(f"options lost: {lost}")
    if message.text.strip() and not rendered.payloads:
        found.append("the text lost")
    return found
