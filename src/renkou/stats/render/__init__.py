"""Renderers: a ``Table`` (renkou.stats.table) as CSV, XLSX and PDF, and its population pyramid as PNG.

``lang`` is "zh" (default: Chinese title, headers and labels) or "en" (the English ones). The heavy
libraries (openpyxl, fpdf2, matplotlib) are imported only when their format is asked for.

* ``to_csv`` — UTF-8 with BOM, one flattened header line ("出生/男"), numbers unformatted;
* ``to_xlsx`` — the printed form: merged title and header, borders, number formats, print setup,
  and a "人口金字塔" sheet with the pyramid when the table has one;
* ``to_pdf`` — A4 with an embedded CJK font (fonts.find_cjk_font), header repeated on every page;
* ``pyramid_png`` — the population pyramid (matplotlib, Agg).

Modules: ``csv``, ``xlsx``, ``pdf``, ``chart`` (the pyramid), ``fonts`` (the CJK font),
``common`` (labels and number formats the formats share).
"""

from __future__ import annotations

from renkou.stats.render.csv import to_csv
from renkou.stats.render.fonts import CjkFont, FontFace, find_cjk_font
from renkou.stats.table import Chart, Table

__all__ = ["CjkFont", "FontFace", "find_cjk_font", "pyramid_png", "to_csv", "to_pdf", "to_xlsx"]


def to_xlsx(table: Table, lang: str = "zh") -> bytes:
    """The table as a formatted XLSX workbook (see renkou.stats.render.xlsx)."""
    from renkou.stats.render import xlsx

    return xlsx.to_xlsx(table, lang)


def to_pdf(table: Table, lang: str = "zh") -> bytes:
    """The table as an A4 PDF with an embedded CJK font (see renkou.stats.render.pdf)."""
    from renkou.stats.render import pdf

    return pdf.to_pdf(table, lang)


def pyramid_png(chart: Chart, lang: str = "zh", *, title: str | None = None) -> bytes:
    """The population pyramid as a PNG (see renkou.stats.render.chart)."""
    from renkou.stats.render import chart as chart_module

    return chart_module.pyramid_png(chart, lang, title=title)
