"""XLSX: the form as a county office prints it — title, reporting unit and period, the merged multi-row
header, bordered body with number formats, bold totals, notes, preparer line and print setup."""

from __future__ import annotations

import datetime as dt
import io
import math

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from renkou.core.cells import xlsx_workbook_text
from renkou.stats.render import common as c
from renkou.stats.table import Chart, Table

LANDSCAPE_FROM = 9  # columns: A4 landscape from this many
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="EDEDED")
CENTRE_WRAP = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center")
LEFT_WRAP = Alignment(horizontal="left", vertical="top", wrap_text=True)
FONT_NAME = "宋体"  # what Chinese office Excel shows by default; only a display name (nothing is embedded)
FIRST_HEADER_ROW = 3  # row 1 title, row 2 unit and period
POINTS_PER_LINE = 15.0


def _font(*, bold: bool = False, size: float = 11) -> Font:
    return Font(name=FONT_NAME, bold=bold, size=size)


def _merge_row(ws: Worksheet, row: int, ncols: int, value: str, *, font: Font, align: Alignment) -> None:
    cell = ws.cell(row, 1, value)
    cell.font, cell.alignment = font, align
    if ncols > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)


def _column_widths(table: Table, lang: str) -> list[float]:
    """Characters, CJK counting double: the widest value or (wrapped, up to 16) the column's own label."""
    widths = []
    for i, col in enumerate(table.columns):
        vals = [c.display_value(col, r.values[i] if i < len(r.values) else None) for r in table.rows]
        value_w = max((c.text_width(v) for v in vals), default=0)
        label_w = c.text_width(c.column_path(col, lang)[-1])
        widths.append(float(max(8, min(40, max(value_w, min(label_w, 16)) + 2))))
    return widths or [12.0]


def _lines(text: str, width: float) -> int:
    return max(1, math.ceil(c.text_width(text) / max(width - 1, 1)))


def to_xlsx(table: Table, lang: str = "zh") -> bytes:
    lang = c.check_lang(lang)
    wb = Workbook()
    ws = wb.active
    title = c.title(table, lang)
    ws.title = c.sheet_title(title, "报表" if lang == "zh" else "Report")
    ncols = max(1, len(table.columns))
    widths = _column_widths(table, lang)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    total_width = sum(widths)

    _merge_row(ws, 1, ncols, title, font=_font(bold=True, size=16), align=CENTRE_WRAP)
    ws.row_dimensions[1].height = 30 * _lines(title, total_width / 16 * 11)
    _merge_row(ws, 2, ncols, c.info_line(table, lang), font=_font(), align=LEFT)
    ws.row_dimensions[2].height = 20

    # Header: style each top-left cell first (merge_cells copies its borders to the merged edges).
    depth = c.header_depth(table, lang)
    header_lines = [1] * depth
    for hc in c.header_cells(table, lang):
        cell = ws.cell(FIRST_HEADER_ROW + hc.row, hc.col + 1, hc.text)
        cell.font, cell.alignment, cell.border, cell.fill = _font(bold=True), CENTRE_WRAP, BORDER, HEADER_FILL
        if hc.rowspan > 1 or hc.colspan > 1:
            ws.merge_cells(
                start_row=FIRST_HEADER_ROW + hc.row,
                start_column=hc.col + 1,
                end_row=FIRST_HEADER_ROW + hc.row + hc.rowspan - 1,
                end_column=hc.col + hc.colspan,
            )
        span_w = sum(widths[hc.col : hc.col + hc.colspan])
        need = _lines(hc.text, span_w)
        last = hc.row + hc.rowspan - 1
        have = sum(header_lines[hc.row : last + 1])
        if need > have:
            header_lines[last] += need - have
    for r in range(depth):
        ws.row_dimensions[FIRST_HEADER_ROW + r].height = POINTS_PER_LINE * header_lines[r] + 6
    first_body = FIRST_HEADER_ROW + depth

    for r, row in enumerate(table.rows):
        excel_row = first_body + r
        font = _font(bold=row.is_total)
        for i, (col, v) in enumerate(c.row_cells(table, row), start=1):
            cell = ws.cell(excel_row, i, c.cell_value(col, v))
            cell.font, cell.border = font, BORDER
            fmt = c.number_format(col)
            if fmt and isinstance(cell.value, (int, float)):
                cell.number_format = fmt
            elif col.kind in ("text", "date"):
                cell.number_format = "@"
                cell.alignment = Alignment(horizontal="left" if col.kind == "text" else "center", vertical="center")
    end = first_body + len(table.rows)
    ws.freeze_panes = ws.cell(first_body, 1).coordinate

    row = end
    for line in c.note_lines(table, lang):
        _merge_row(ws, row, ncols, line, font=_font(size=10), align=LEFT_WRAP)
        ws.row_dimensions[row].height = POINTS_PER_LINE * _lines(line, total_width * 1.1)
        row += 1
    row += 1  # a blank line before the preparer's line
    _merge_row(ws, row, ncols, c.preparer_line(table, lang), font=_font(size=10), align=LEFT)

    _print_setup(ws, ncols, lang, f"{FIRST_HEADER_ROW}:{first_body - 1}")
    if table.chart is not None and table.chart.kind == "pyramid":
        _pyramid_sheet(wb, table.chart, lang, c.pyramid_title(table, lang))

    xlsx_workbook_text(wb)  # names and labels are text, never formulas (renkou.core.cells)
    stamp = dt.datetime.combine(table.prepared_on, dt.time())
    wb.properties.creator = "renkou"
    wb.properties.title = title
    wb.properties.created = stamp
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _print_setup(ws: Worksheet, ncols: int, lang: str, title_rows: str) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if ncols >= LANDSCAPE_FROM else ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows  # the header repeats on every printed page
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top, ws.page_margins.bottom = 0.6, 0.7
    ws.oddFooter.center.text = c.label(lang, "page", n="&P", m="&N")
    ws.oddFooter.center.size = 9


def _pyramid_sheet(wb: Workbook, chart: Chart, lang: str, title: str) -> None:
    from openpyxl.drawing.image import Image

    from renkou.stats.render.chart import pyramid_png

    L = c.LABELS[lang]
    ws = wb.create_sheet(c.sheet_title(L["pyramid_sheet"]))
    heads = (L["age_group"], L["male"], L["female"])
    for i, h in enumerate(heads, start=1):
        cell = ws.cell(1, i, h)
        cell.font, cell.alignment, cell.border, cell.fill = _font(bold=True), CENTRE_WRAP, BORDER, HEADER_FILL
    for r, (lab, m, f) in enumerate(zip(chart.labels, chart.male, chart.female, strict=True), start=2):
        for i, v in enumerate((lab, m, f), start=1):
            cell = ws.cell(r, i, v)
            cell.font, cell.border = _font(), BORDER
            if i > 1:
                cell.number_format = "#,##0"
    tr = len(chart.labels) + 2
    for i, v in enumerate((L["total"], sum(chart.male), sum(chart.female)), start=1):
        cell = ws.cell(tr, i, v)
        cell.font, cell.border = _font(bold=True), BORDER
        if i > 1:
            cell.number_format = "#,##0"
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = ws.column_dimensions["C"].width = 10
    ws.freeze_panes = "A2"

    img = Image(io.BytesIO(pyramid_png(chart, lang, title=title)))
    scale = 640 / img.width
    img.width, img.height = 640, round(img.height * scale)
    ws.add_image(img, "E2")
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
