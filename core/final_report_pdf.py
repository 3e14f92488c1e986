"""The final report per participant as a PDF (fpdf2), in the DejaVu Sans the charts use (shipped
inside matplotlib), so Indonesian text and the pictures read alike: the participant and their
cohort, the action plan with each habit's completion and streaks, the mentor's approval history,
the milestones, the consultations as the *form pengendalian* table, the heatmap, the evidence
list and the follow-up answers. Words come from `label` (a catalog key to text in the reader's
language); characters the font cannot draw (emoji) are left out rather than shown as boxes.

CPU-bound (the heatmap is drawn with matplotlib): call `pdf_bytes` from the renderer's thread
(`Services.renderer`) in async code. fpdf2 is imported on the first report, not at start-up."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import matplotlib
from babel.dates import format_date

from core.chart_text import drawable_text
from core.final_report import Dossier, schedule_words
from core.follow_up import Answer
from core.i18n import Catalogs
from core.numbers import number, percent
from core.pictures import heatmap_png
from core.progress_figure import heatmap_figure, streak_words
from core.timefmt import long_date

if TYPE_CHECKING:
    from fpdf import FPDF

Label = Callable[..., str]
FONT = "DejaVu"
_INK, _MUTED, _RULE = (33, 37, 41), (108, 117, 125), (200, 205, 210)


def _font_file(bold: bool) -> str:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return str(Path(matplotlib.get_data_path(), "fonts", "ttf", name))


# A table cell's text at most: a row must fit on a page (fpdf2 refuses one that does not), and
# a consultation's outcome may be 1000 characters in a 40 mm column. The whole text is in
# /dataku and the export.
CELL_MAX = 300


def _t(value: object, limit: int | None = None) -> str:
    """A value as text the font can draw (emoji and other undrawable characters left out),
    cut at `limit` characters with "…"."""
    if value in (None, ""):
        return "—"
    text = drawable_text(str(value))
    return text if limit is None or len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _day(day: date | None, lang: str) -> str:
    return long_date(day, lang) if day is not None else "—"


def _date(day: date | None, lang: str) -> str:
    """A date in a table's column: '5 Sep 2021'."""
    return format_date(day, "d MMM y", locale=lang) if day is not None else "—"


class _Writer:
    """The document being written: headings, paragraphs, key-value lines and tables."""

    def __init__(self, label: Label, lang: str, title: str) -> None:
        from fpdf import FPDF

        self.label, self.lang = label, lang
        pdf = FPDF(format="A4", unit="mm")
        pdf.set_margins(16, 16, 16)
        pdf.set_auto_page_break(auto=True, margin=16)
        pdf.add_font(FONT, "", _font_file(False))
        pdf.add_font(FONT, "B", _font_file(True))
        pdf.set_title(title)
        pdf.set_creator("Aksi")
        pdf.set_lang(lang)
        pdf.alias_nb_pages()
        pdf.add_page()
        self.pdf: FPDF = pdf

    def heading(self, text: str, size: float = 13) -> None:
        pdf = self.pdf
        if pdf.will_page_break(20):
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font(FONT, "B", size)
        pdf.set_text_color(*_INK)
        pdf.multi_cell(0, size * 0.5, _t(text), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_draw_color(*_RULE)
        pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
        pdf.ln(3)

    def paragraph(self, text: str, *, muted: bool = False, size: float = 10) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, "", size)
        pdf.set_text_color(*(_MUTED if muted else _INK))
        pdf.multi_cell(0, size * 0.5, _t(text), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_text_color(*_INK)

    def facts(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Key-value lines (the identity block)."""
        self.table([("", "")] + [(k, v) for k, v in pairs], (40, 138), header=False)

    def table(
        self,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        header: bool = True,
        size: float = 8.5,
    ) -> None:
        from fpdf.fonts import FontFace

        pdf = self.pdf
        pdf.set_font(FONT, "", size)
        pdf.set_text_color(*_INK)
        pdf.set_draw_color(*_RULE)
        body = rows if header else rows[1:]
        with pdf.table(
            col_widths=tuple(widths),
            text_align="LEFT",
            align="LEFT",
            width=sum(widths),
            line_height=size * 0.5,
            padding=1.2,
            first_row_as_headings=header,
            headings_style=FontFace(emphasis="BOLD", fill_color=(236, 239, 242)),
            borders_layout="HORIZONTAL_LINES" if header else "NONE",
        ) as table:
            for values in body:
                row = table.row()
                for value in values:
                    row.cell(_t(value, CELL_MAX))
        pdf.ln(2)

    def picture(self, png: bytes) -> None:
        """A PNG across the text width, made smaller when it would be taller than a page (a
        heatmap of five habits over the training and its follow-up is)."""
        pdf = self.pdf
        pixels_wide, pixels_high = struct.unpack(">II", png[16:24])  # the PNG's IHDR
        width = pdf.epw
        height = width * pixels_high / pixels_wide
        if height > pdf.eph:
            width, height = width * pdf.eph / height, pdf.eph
        if pdf.will_page_break(height):
            pdf.add_page()
        pdf.image(io.BytesIO(png), x=pdf.l_margin + (pdf.epw - width) / 2, w=width, h=height)
        pdf.ln(2)

    def footer_line(self, text: str) -> None:
        self.pdf.ln(4)
        self.paragraph(text, muted=True, size=8)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def pdf_bytes(dossier: Dossier, label: Label, lang: str) -> bytes:
    """The final report of one participant as a PDF."""
    d = dossier
    title = label("final.title")
    w = _Writer(label, lang, f"{title} — {d.name}")
    w.heading(title, 16)
    w.paragraph(f"{d.cohort_name} ({d.cohort_code})", muted=True)
    made = d.made_at.astimezone(ZoneInfo(d.timezone))
    w.facts(
        [
            (label("final.name"), d.name),
            (label("final.unit"), d.unit),
            (label("final.nip"), d.nip),
            (label("final.cohort"), f"{d.cohort_name} ({d.cohort_code})"),
            (label("final.period"), f"{_day(d.starts_on, lang)} – {_day(d.ends_on, lang)}"),
            (label("final.mentor"), d.mentor or label("final.no_mentor")),
            (label("final.made"), f"{_day(made.date(), lang)} {made:%H:%M} ({d.timezone})"),
        ]
    )
    _plan(w, d, label, lang)
    _approvals(w, d, label, lang)
    _milestones(w, d, label, lang)
    _consultations(w, d, label, lang)
    _attendance(w, d, label, lang)
    _heatmap(w, d, label, lang)
    _evidence(w, d, label, lang)
    _follow_up(w, d, label, lang)
    w.footer_line(label("final.footer", until=_day(d.counted_until, lang)))
    return w.output()


def _section(
    w: _Writer,
    label: Label,
    name: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
) -> None:
    """A heading (`final.NAME`), then the table of `rows` under the `final.col_*` headers of
    `columns`, or `final.no_NAME` when there is none."""
    w.heading(label(f"final.{name}"))
    if not rows:
        w.paragraph(label(f"final.no_{name}"), muted=True)
        return
    w.table([[label(f"final.col_{c}") for c in columns], *rows], widths)


def _plan(w: _Writer, d: Dossier, label: Label, lang: str) -> None:
    if d.plan_title is None:
        _section(w, label, "plan", (), [], ())
        return
    rows = []
    for item in d.progress:
        h, s = item.habit, item.stats
        name = h.name
        if h.target is not None:
            name += f" ({number(h.target, lang)} {h.unit or ''})".rstrip()
        if h.removed_at is not None:
            name += f" — {label('final.removed')}"
        streaks = [streak_words(label, item, n) for n in (s.current_streak, s.best_streak)]
        rows.append(
            [
                name,
                schedule_words(label, h.schedule),
                " / ".join(streaks),
                percent(s.completion_all, lang),
                percent(s.completion_30, lang),
                percent(s.strength, lang),
            ]
        )
    columns = ("habit", "schedule", "streak", "all", "30", "strength")
    w.heading(label("final.plan"))
    w.paragraph(d.plan_title, size=11)
    if rows:
        w.table([[label(f"final.col_{c}") for c in columns], *rows], (58, 30, 36, 20, 16, 18))
    else:
        w.paragraph(label("final.no_habits"), muted=True)


def _approvals(w: _Writer, d: Dossier, label: Label, lang: str) -> None:
    rows = [
        [
            _date(r.submitted_on, lang),
            label(f"csv.approval_{r.state}"),
            _date(r.decided_on, lang),
            r.mentor or "—",
            r.comment or "",
        ]
        for r in d.reviews
    ]
    columns = ("sent", "decision", "decided", "mentor", "comment")
    _section(w, label, "reviews", columns, rows, (24, 28, 24, 34, 68))


def _milestones(w: _Writer, d: Dossier, label: Label, lang: str) -> None:
    rows = []
    for m in d.milestones:
        if m.done_on is not None:
            state = label("final.milestone_done")
        elif m.due_on is not None and m.due_on < d.today:
            state = label("final.milestone_late")
        else:
            state = label("final.milestone_open")
        rows.append([m.title, _date(m.due_on, lang), _date(m.done_on, lang), state])
    columns = ("milestone", "due", "done", "state")
    _section(w, label, "milestones", columns, rows, (90, 28, 28, 32))


def _consultations(w: _Writer, d: Dossier, label: Label, lang: str) -> None:
    rows = [
        [
            str(n),
            _date(c.held_on, lang),
            c.topic,
            c.outcome,
            c.next_step or "—",
            label("final.by_mentor" if c.by_mentor else "final.by_participant"),
            label(f"csv.consultation_{c.state}"),
        ]
        for n, c in enumerate(d.consultations, 1)
    ]
    columns = ("no", "date", "topic", "outcome", "next", "by", "state")
    _section(w, label, "consultations", columns, rows, (8, 22, 36, 40, 30, 20, 22))


def _attendance(w: _Writer, d: Dossier, label: Label, lang: str) -> None:
    present = sum(1 for a in d.attendance if a.state == "present")
    rows = [
        [_date(a.day, lang), a.title, label(f"final.presence_{a.state or 'absent'}")]
        for a in d.attendance
    ]
    _section(w, label, "attendance", ("date", "session", "presence"), rows, (26, 112, 40))
    if rows:
        w.paragraph(label("final.attendance_total", present=present, held=len(rows)), muted=True)


def _heatmap(w: _Writer, d: Dossier, label: Label, lang: str) -> None:
    if not d.progress:
        return
    w.heading(label("final.heatmap"))
    end = max(d.ends_on, d.counted_until)
    figure = heatmap_figure(
        label, lang, d.cohort_name, d.progress, d.starts_on, end, d.counted_until
    )
    png = heatmap_png(
        figure.rows,
        start=figure.start,
        end=figure.end,
        today=figure.today,
        title=figure.title,
        labels=figure.labels,
        lang=lang,
        note=figure.note,
    )
    w.picture(png)


def _evidence(w: _Writer, d: Dossier, label: Label, lang: str) -> None:
    rows = [
        [
            _date(e.day, lang),
            e.name,
            f"{number(e.size / 1024, lang, decimals=0)} KB",
            e.caption,
            e.milestone,
            e.sha256[:12],
        ]
        for e in d.evidence
    ]
    columns = ("date", "file", "size", "caption", "milestone", "sha")
    _section(w, label, "evidence", columns, rows, (22, 40, 18, 44, 32, 22))


def _follow_up(w: _Writer, d: Dossier, label: Label, lang: str) -> None:
    if not d.follow_ups:
        return
    rows = []
    for q in d.follow_ups:
        if q.answer in Answer._value2member_map_:
            answer = label(f"follow_up.answer_{q.answer}")
        else:
            missing = "unreachable" if q.status == "unreachable" else "open"
            answer = label(f"report.follow_up_{missing}")
        rows.append([label("final.after", days=q.offset), answer, q.note or ""])
    _section(w, label, "follow_up", ("after", "answer", "note"), rows, (26, 40, 112))


def bundle_bytes(files: Sequence[tuple[str, bytes]]) -> bytes:
    """One zip of PDFs (the cohort's bundle for the organiser)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, blob in files:
            archive.writestr(name, blob)
    return buffer.getvalue()


_CATALOGS: list[Catalogs] = []


def pdf_in(dossier: Dossier, lang: str) -> bytes:
    """`pdf_bytes` with the words of the shipped catalogs in `lang`: plain data in, bytes out,
    so it can run in the renderer's worker process (`core.rendering`)."""
    if not _CATALOGS:
        _CATALOGS.append(Catalogs())
    catalogs = _CATALOGS[0]

    def label(key: str, /, **values: object) -> str:
        return catalogs.plain(lang, key, **values)

    return pdf_bytes(dossier, label, lang)
