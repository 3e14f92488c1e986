"""Aksi's markup (core.markup): what a channel hands in is kept to the subset every channel
can render; rendered for channels without HTML. Hostile: scripts, unknown tags, links to
nowhere, tags left open, and entities are never let through as markup."""

from __future__ import annotations

import pytest

from core.markup import clean, to_plain, to_whatsapp


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("<b>Rapat</b> besok <i>pukul</i> 08.00", "<b>Rapat</b> besok <i>pukul</i> 08.00"),
        (
            "<strong>a</strong><em>b</em><ins>c</ins><del>d</del>",
            "<b>a</b><i>b</i><u>c</u><s>d</s>",
        ),
        (
            '<a href="https://zoom.example/j/1">Zoom</a>',
            '<a href="https://zoom.example/j/1">Zoom</a>',
        ),
        ('<span class="tg-spoiler">rahasia</span>', "rahasia"),
        ("<tg-spoiler>rahasia</tg-spoiler>", "rahasia"),
        ("<blockquote>kutipan</blockquote>", "kutipan"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ("<script>alert(1)</script>", "alert(1)"),
        ('<a href="javascript:alert(1)">klik</a>', "klik"),
        ("<b>terbuka", "<b>terbuka</b>"),
        ("a &lt;b&gt; &amp; c", "a &lt;b&gt; &amp; c"),
        ("baris 1\nbaris 2", "baris 1\nbaris 2"),
        ("<pre>kode</pre> <code>x</code>", "<pre>kode</pre> <code>x</code>"),
    ],
)
def test_clean_keeps_the_subset_and_reduces_the_rest(given: str, kept: str) -> None:
    assert clean(given) == kept
    assert clean(kept) == kept  # cleaning is stable


def test_plain_and_whatsapp_renderings() -> None:
    markup = (
        "<b>Rapat</b> <i>penting</i> <s>batal</s> <u>garis</u> <code>x</code> "
        '<a href="https://zoom.example/j/1">Zoom</a> '
        '<a href="https://zoom.example/j/2">https://zoom.example/j/2</a> a &amp; b'
    )
    assert to_plain(markup) == (
        "Rapat penting batal garis x Zoom (https://zoom.example/j/1) https://zoom.example/j/2 a & b"
    )
    assert to_whatsapp(markup) == (
        "*Rapat* _penting_ ~batal~ garis ```x``` Zoom (https://zoom.example/j/1) "
        "https://zoom.example/j/2 a & b"
    )


@pytest.mark.parametrize(
    ("markup", "shown"),
    [
        ("<b>Jadwal </b>hari ini", "*Jadwal* hari ini"),  # WhatsApp shows "*Jadwal *" as typed
        ("<i>\nkata</i>", "\n_kata_"),
        ("<b>a <i>b </i></b>c", "*a _b_* c"),
        ("<b> </b>x", " x"),  # marks around nothing are dropped
        ("<b></b>", ""),
        ('<b><a href="https://e.id/x">materi</a></b>', "*materi (https://e.id/x)*"),
    ],
)
def test_whatsapp_marks_hold_text_with_no_space_at_its_ends(markup: str, shown: str) -> None:
    assert to_whatsapp(markup) == shown
    assert to_plain(markup) == shown.replace("*", "").replace("_", "")
