"""Rendering for WhatsApp (issue 15, item 3: `bot.channels.whatsapp_render`): the markup written
WhatsApp's way; up to 3 short options as reply buttons, up to 10 as a list (a long label cut
in the title, whole in the description), more (or labels too long for a list) as a numbered
menu answered by number; a text too long for an interactive body sent first. `problems` finds
what breaks the limits or loses an option (and every message the features send in the memory
channel's tests is checked with it: tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.whatsapp_render import (
    BODY_MAX,
    Rendered,
    problems,
    render,
)
from core.channel import Action, Outbound
from core.i18n import Catalogs


def words(key: str) -> str:
    return Catalogs().plain("id", key)


def options(*labels: str) -> list[list[Action]]:
    return [[Action(label, f"x:{n}")] for n, label in enumerate(labels)]


def test_text_alone_is_written_the_whatsapp_way_and_cut_at_4096() -> None:
    shown = render(
        Outbound('<b>Jadwal</b> <i>hari ini</i>: <a href="https://e.id/x">materi</a>'), words
    )
    assert shown.payloads == (
        {"type": "text", "text": {"body": "*Jadwal* _hari ini_: materi (https://e.id/x)",
                                  "preview_url": False}},
    )  # fmt: skip
    long = render(Outbound("kata " * 2000), words)
    assert [len(p["text"]["body"]) <= 4096 for p in long.payloads] == [True, True, True]
    assert "".join(p["text"]["body"] for p in long.payloads).split() == ["kata"] * 2000


def test_up_to_three_short_options_are_reply_buttons() -> None:
    asked = Outbound("Sudah dilakukan?", options("✅ Selesai", "❌ Tidak"))
    shown = render(asked, words)
    [payload] = shown.payloads
    assert payload["interactive"] == {
        "type": "button",
        "body": {"text": "Sudah dilakukan?"},
        "action": {"buttons": [
            {"type": "reply", "reply": {"id": "x:0", "title": "✅ Selesai"}},
            {"type": "reply", "reply": {"id": "x:1", "title": "❌ Tidak"}},
        ]},
    }  # fmt: skip
    assert shown.menu == {} and problems(asked, shown) == []


@pytest.mark.parametrize(
    "labels",
    [
        ("1", "2", "3", "4", "5"),  # more than three
        ("Ya", "Isi: Evaluasi penyelenggaraan"),  # a label over 20 characters
    ],
)
def test_more_options_or_longer_labels_are_a_list(labels: tuple[str, ...]) -> None:
    message = Outbound("Pilih nilai", options(*labels))
    shown = render(message, words)
    [payload] = shown.payloads
    interactive = payload["interactive"]
    assert interactive["type"] == "list" and interactive["action"]["button"] == "Pilih"
    rows = interactive["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [f"x:{n}" for n in range(len(labels))]
    for row, label in zip(rows, labels, strict=True):
        assert len(row["title"]) <= 24
        assert row.get("description", row["title"]) == label  # whole, where it was cut
    assert problems(message, shown) == []


def test_over_ten_options_or_a_label_over_72_are_a_numbered_menu() -> None:
    for labels in (
        [f"Angkatan {n}" for n in range(12)],
        ["Ya", "x" * 73],
    ):
        message = Outbound("Untuk angkatan mana?", options(*labels))
        shown = render(message, words)
        *text, menu = shown.payloads
        assert [p["text"]["body"] for p in text] == ["Untuk angkatan mana?"]
        lines = menu["text"]["body"].split("\n")
        assert lines[: len(labels)] == [f"{n}. {label}" for n, label in enumerate(labels, 1)]
        assert lines[-1] == "Balas dengan nomor pilihan Anda."
        assert shown.menu == {n: f"x:{n - 1}" for n in range(1, len(labels) + 1)}
        assert problems(message, shown) == []


def test_a_text_too_long_for_a_choice_goes_first() -> None:
    message = Outbound("a" * (BODY_MAX + 1), options("Ya", "Tidak"))
    shown = render(message, words)
    first, choice = shown.payloads
    assert first["text"]["body"] == "a" * (BODY_MAX + 1)
    assert choice["interactive"]["body"] == {"text": "Pilih salah satu:"}
    assert problems(message, shown) == []
    # Buttons without any text still carry a body (WhatsApp requires one).
    [alone] = render(Outbound("", options("Ya")), words).payloads
    assert alone["interactive"]["body"] == {"text": "Pilih salah satu:"}


def broken(shown: Rendered, change: Any) -> Rendered:
    payloads = [dict(p) for p in shown.payloads]
    change(payloads)
    return Rendered(tuple(payloads), shown.menu)


def test_problems_finds_what_breaks_the_limits_or_loses_an_option() -> None:
    message = Outbound("Pilih", options("a", "b", "c"))
    shown = render(message, words)

    def four(payloads: list[dict[str, Any]]) -> None:
        buttons = payloads[0]["interactive"]["action"]["buttons"]
        buttons.append({"type": "reply", "reply": {"id": "x:3", "title": "d" * 21}})

    found = problems(message, broken(render(message, words), four))
    assert found == ["4 reply buttons", "button title 'ddddddddddddddddddddd'"]

    def drop(payloads: list[dict[str, Any]]) -> None:
        payloads[0]["interactive"]["action"]["buttons"].pop()

    assert problems(message, broken(shown, drop)) == ["options lost: ['c']"]
    twice = Outbound("Pilih", [[Action("a", "same"), Action("b", "x:1")], [Action("c", "same")]])
    shown = render(twice, words)
    [payload] = shown.payloads
    assert [b["reply"] for b in payload["interactive"]["action"]["buttons"]] == [
        {"id": "same", "title": "a"}, {"id": "x:1", "title": "b"},
    ]  # fmt: skip
    assert problems(twice, shown) == []

    def same(payloads: list[dict[str, Any]]) -> None:
        payloads[0]["interactive"]["action"]["buttons"][1]["reply"]["id"] = "same"

    assert problems(twice, broken(shown, same)) == [
        "two options with one id", "options lost: ['b']",
    ]  # fmt: skip
    assert problems(Outbound("Halo"), Rendered((), {})) == ["the text lost"]


def test_the_words_of_a_choice_fit_in_both_languages() -> None:
    catalogs = Catalogs()
    for lang in ("id", "en"):
        assert 0 < len(catalogs.plain(lang, "whatsapp.list_button")) <= 20
        assert 0 < len(catalogs.plain(lang, "whatsapp.choose")) <= BODY_MAX
