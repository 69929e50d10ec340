"""PDF with fpdf2: A4 (landscape when wide), the title block, the table with its merged header repeated on
every page, bold totals, notes, preparer line, the pyramid under the table, "第 n 页 / 共 m 页".

The CJK font (see fonts.py) is embedded as a subset, so readers need no Chinese font of their own.
The table is laid out by hand (not fpdf2's table()) to control merged headers and page breaks exactly.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct

from fpdf import FPDF

from renkou.stats.render import common as c
from renkou.stats.render.fonts import CjkFont, find_cjk_font
from renkou.stats.table import Table

MARGIN = 12.0  # mm
BOTTOM = 15.0  # mm kept free at the foot of each page for the page number
LANDSCAPE_FROM = 9  # columns
BODY_PT, MIN_PT = 9.0, 6.0
PT_MM = 25.4 / 72
HEADER_FILL = (237, 237, 237)
_TOKENS = re.compile(r"[A-Za-z0-9_.,:;%‰()'+\-]+\s*|\s+|.")


class _Doc(FPDF):
    def __init__(self, lang: str, font: CjkFont) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.out_lang = lang  # (FPDF.lang is the document language tag)
        self.add_font("cjk", "", str(font.regular.path), collection_font_number=font.regular.index)
        self.fake_bold = font.bold is None
        if font.bold is not None:
            self.add_font("cjk", "B", str(font.bold.path), collection_font_number=font.bold.index)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)
        self.set_line_width(0.2)
        self.bold = False

    def use(self, size: float, bold: bool = False) -> None:
        self.set_font("cjk", "B" if bold and not self.fake_bold else "", size)
        self.bold = bold

    def footer(self) -> None:
        self.use(8)
        self.set_xy(self.l_margin, self.h - 10)
        self.cell(self.epw, 4, c.label(self.out_lang, "page", n=self.page_no(), m="{nb}"), align="C")

    def line_h(self) -> float:
        return self.font_size_pt * PT_MM * 1.3

    def wrap(self, text: str, width: float) -> list[str]:
        """Lines of ``text`` fitting ``width``: breaks between CJK characters and between Latin words."""
        lines: list[str] = []
        for para in str(text).split("\n"):
            cur = ""
            for tok in _TOKENS.findall(para):
                if self.get_string_width(cur + tok.rstrip()) <= width:
                    cur += tok
                    continue
                if cur.strip():
                    lines.append(cur.rstrip())
                    cur, tok = "", tok.lstrip()
                    if self.get_string_width(tok.rstrip()) <= width:
                        cur = tok
                        continue
                for ch in tok:  # a token wider than a whole line: break inside it
                    if cur and self.get_string_width(cur + ch) > width:
                        lines.append(cur.rstrip())
                        cur = ""
                    cur += ch
            lines.append(cur.rstrip())
        return lines or [""]

    def text_lines(self, x: float, y: float, w: float, h: float, lines: list[str], align: str) -> None:
        """Lines vertically centred in the box (x, y, w, h)."""
        lh = self.line_h()
        top = y + (h - lh * len(lines)) / 2
        for i, line in enumerate(lines):
            self.set_xy(x, top + i * lh)
            if self.bold and self.fake_bold:
                with self.local_context(text_mode="FILL_STROKE", line_width=0.12):
                    self.cell(w, lh, line, align=align)
            else:
                self.cell(w, lh, line, align=align)


def _orientation_and_widths(doc: _Doc, table: Table, lang: str) -> tuple[str, list[float], float]:
    """Page orientation, column widths (mm, filling the page width) and the table's font size."""
    pad = 2 * doc.c_margin + 0.5
    natural = []
    for i, col in enumerate(table.columns):
        doc.use(BODY_PT)
        value_w = max(
            (doc.get_string_width(c.display_value(col, r.values[i] if i < len(r.values) else None)) for r in table.rows), default=0
        )
        doc.use(BODY_PT, bold=True)
        value_w = max(
            value_w,
            *(doc.get_string_width(c.display_value(col, r.values[i] if i < len(r.values) else None)) for r in table.rows if r.is_total),
            0,
        )
        label_w = doc.get_string_width(c.column_path(col, lang)[-1])
        natural.append(max(value_w, min(label_w, max(value_w, 14.0)), 8.0) + pad)
    total = sum(natural) or 1.0
    landscape = len(table.columns) >= LANDSCAPE_FROM or total > 210 - 2 * MARGIN
    avail = (297 if landscape else 210) - 2 * MARGIN
    size = BODY_PT if total <= avail else max(MIN_PT, BODY_PT * avail / total)
    return ("L" if landscape else "P"), [w * avail / total for w in natural], size


def to_pdf(table: Table, lang: str = "zh") -> bytes:
    lang = c.check_lang(lang)
    doc = _Doc(lang, find_cjk_font())
    title = c.title(table, lang)
    doc.set_title(title)
    doc.set_author(table.prepared_by)
    doc.set_creator("renkou")
    doc.set_lang("zh-CN" if lang == "zh" else "en")
    doc.set_creation_date(dt.datetime.combine(table.prepared_on, dt.time(), tzinfo=dt.UTC))
    orientation, widths, size = _orientation_and_widths(doc, table, lang)
    doc.add_page(orientation=orientation)
    limit = doc.h - BOTTOM
    xs = [MARGIN + sum(widths[:i]) for i in range(len(widths) + 1)]

    # Title block.
    doc.use(16, bold=True)
    lines = doc.wrap(title, doc.epw)
    doc.text_lines(MARGIN, doc.t_margin, doc.epw, doc.line_h() * len(lines), lines, "C")
    y = doc.t_margin + doc.line_h() * len(lines) + 2
    doc.use(10)
    doc.text_lines(MARGIN, y, doc.epw, doc.line_h(), [c.unit_text(table, lang)], "L")
    doc.text_lines(MARGIN, y, doc.epw, doc.line_h(), [c.period_text(table, lang)], "R")
    y += doc.line_h() + 2

    # Header layout: wrapped labels, row heights grown so every (merged) cell fits.
    doc.use(size, bold=True)
    lh, vpad = doc.line_h(), 1.2
    depth = c.header_depth(table, lang)
    cells = c.header_cells(table, lang)
    wrapped = {hc: doc.wrap(hc.text, xs[hc.col + hc.colspan] - xs[hc.col] - 2 * doc.c_margin) for hc in cells}
    heights = [lh + 2 * vpad] * depth
    for hc in sorted(cells, key=lambda h: h.rowspan):
        need = lh * len(wrapped[hc]) + 2 * vpad
        have = sum(heights[hc.row : hc.row + hc.rowspan])
        if need > have:
            heights[hc.row + hc.rowspan - 1] += need - have
    tops = [sum(heights[:r]) for r in range(depth + 1)]

    def draw_header(y0: float) -> float:
        doc.use(size, bold=True)
        doc.set_fill_color(*HEADER_FILL)
        for hc in cells:
            x, w = xs[hc.col], xs[hc.col + hc.colspan] - xs[hc.col]
            yy, h = y0 + tops[hc.row], tops[hc.row + hc.rowspan] - tops[hc.row]
            doc.rect(x, yy, w, h, style="DF")
            doc.text_lines(x, yy, w, h, wrapped[hc], "C")
        return y0 + tops[-1]

    y = draw_header(y)
    for row in table.rows:
        doc.use(size, bold=row.is_total)
        rcells = c.row_cells(table, row)
        texts = [
            doc.wrap(c.display_value(col, v), xs[i + 1] - xs[i] - 2 * doc.c_margin) if col.kind == "text" else [c.display_value(col, v)]
            for i, (col, v) in enumerate(rcells)
        ]
        h = max([len(t) for t in texts] + [1]) * lh + 2 * vpad
        if y + h > limit:
            doc.add_page(orientation=orientation)
            y = draw_header(doc.t_margin)
            doc.use(size, bold=row.is_total)
        for i, ((col, _v), lines) in enumerate(zip(rcells, texts, strict=True)):
            doc.rect(xs[i], y, xs[i + 1] - xs[i], h)
            align = "R" if c.is_numeric(col) else ("C" if col.kind == "date" else "L")
            doc.text_lines(xs[i], y, xs[i + 1] - xs[i], h, lines, align)
        y += h

    # Notes and the preparer's line.
    doc.use(9)
    lh = doc.line_h()
    y += 2
    for note in c.note_lines(table, lang):
        for line in doc.wrap(note, doc.epw):
            if y + lh > limit:
                doc.add_page(orientation=orientation)
                y = doc.t_margin
            doc.text_lines(MARGIN, y, doc.epw, lh, [line], "L")
            y += lh
    y += lh * 0.5
    if y + lh > limit:
        doc.add_page(orientation=orientation)
        y = doc.t_margin
    doc.text_lines(MARGIN, y, doc.epw, lh, [c.preparer_line(table, lang)], "L")
    y += lh + 4

    if table.chart is not None and table.chart.kind == "pyramid":
        from renkou.stats.render.chart import pyramid_png

        png = pyramid_png(table.chart, lang, title=c.pyramid_title(table, lang))
        px_w, px_h = struct.unpack(">II", png[16:24])  # the PNG's IHDR
        ratio = px_h / px_w
        w = min(doc.epw, 180.0)
        h = w * ratio
        if h > limit - doc.t_margin:
            h = limit - doc.t_margin
            w = h / ratio
        if y + h > limit:
            doc.add_page(orientation=orientation)
            y = doc.t_margin
        doc.image(io.BytesIO(png), x=MARGIN + (doc.epw - w) / 2, y=y, w=w, h=h)
    return bytes(doc.output())
