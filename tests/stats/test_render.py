"""Renderers: a Table as CSV, XLSX and PDF, and the population pyramid as PNG.

XLSX layout is checked against golden files in tests/stats/golden/: the workbook is dumped to JSON
(cell values by coordinate, merged ranges, number formats, bold cells, frozen pane, print settings,
column widths, images per sheet) rather than compared as bytes (the zip holds timestamps). After an
intended layout change, regenerate them with

    RENKOU_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/stats/test_render.py

and review the JSON diff. Without that variable a golden is only read, never written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import struct
import warnings
from pathlib import Path

import openpyxl
import pypdf
import pytest
from openpyxl.cell.cell import MergedCell

from renkou.errors import UserError
from renkou.stats import render
from renkou.stats.render import common, fonts
from renkou.stats.table import Chart, Column, Row, Table

GOLDEN = Path(__file__).parent / "golden"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

MONTHLY_COLUMNS = (
    Column("unit", ("单位",), ("Unit",), kind="text"),
    Column("pop_start", ("期初人口",), ("Population at start",)),
    Column("births", ("出生", "合计"), ("Births", "Total")),
    Column("births_m", ("出生", "男"), ("Births", "Male")),
    Column("births_f", ("出生", "女"), ("Births", "Female")),
    Column("cbr", ("出生率",), ("Birth rate",), kind="rate", decimals=2, unit="‰"),
)
# Ten columns, a three-level header: landscape.
WIDE_COLUMNS = (
    *MONTHLY_COLUMNS[:5],
    Column("in_prov", ("迁移", "迁入", "省内"), ("Migration", "In", "Same province")),
    Column("in_other", ("迁移", "迁入", "省外"), ("Migration", "In", "Other provinces")),
    Column("out", ("迁移", "迁出"), ("Migration", "Out")),
    MONTHLY_COLUMNS[5],
    Column("growth", ("自然增长率",), ("Natural growth rate",), kind="rate", decimals=1, unit="%"),
)
PYRAMID = Chart(
    "pyramid",
    ("0-14岁", "15-29岁", "30-44岁", "45-59岁", "60-74岁", "75岁及以上"),
    (1200, 1100, 1300, 1250, 800, 300),
    (1150, 1080, 1290, 1270, 860, 420),
)


def _table(columns, rows, *, chart=None, key="monthly", title="城关镇人口月报表") -> Table:
    return Table(
        key=key,
        title=title,
        title_en="Monthly population report",
        unit_code="330102001",
        unit_name="城关镇",
        period_label="2026年5月",
        period_label_en="May 2026",
        prepared_by="张三",
        prepared_on=dt.date(2026, 6, 3),
        columns=columns,
        rows=rows,
        notes=("出生率按年化计算。", "本表数据截至月末。"),
        notes_en=("Birth rate annualised.", "Data as of month end."),
        chart=chart,
    )


def monthly(chart: Chart | None = None) -> Table:
    rows = (
        Row(("东风村", 12345, 12, 7, 5, 0.97), code="330102001201"),
        Row(("红旗村", 2345, 3, 1, 2, 1.28), code="330102001202"),
        Row(("向阳村", 845, 0, 0, 0, 0.0), code="330102001203"),
        Row(("合计", 15535, 15, 8, 7, 0.97), is_total=True),
    )
    return _table(MONTHLY_COLUMNS, rows, chart=chart)


def wide(n: int, chart: Chart | None = None) -> Table:
    rows = tuple(
        Row((f"第{i:03d}村", 1000 + i, i % 7, i % 3, i % 7 - i % 3, i % 4, i % 2, i % 5, round((i % 7) / (1000 + i) * 12000, 2), 0.5))
        for i in range(n)
    )
    total = Row(("合计", sum(1000 + i for i in range(n)), 0, 0, 0, 0, 0, 0, 1.25, 0.5), is_total=True)
    return _table(WIDE_COLUMNS, (*rows, total), chart=chart, key="wide", title="城关镇人口变动情况表")


# ---- header grid -------------------------------------------------------------------------------------------


def test_header_cells_merge_shared_prefixes_and_span_short_paths_down():
    cells = {(h.row, h.col): (h.rowspan, h.colspan, h.text) for h in common.header_cells(wide(1), "zh")}
    assert cells[(0, 0)] == (3, 1, "单位")  # one label in a three-row header: spans all three rows
    assert cells[(0, 2)] == (1, 3, "出生")
    assert cells[(1, 2)] == (2, 1, "合计")
    assert cells[(0, 5)] == (1, 3, "迁移")
    assert cells[(1, 5)] == (1, 2, "迁入")
    assert cells[(2, 5)] == (1, 1, "省内")
    assert cells[(1, 7)] == (2, 1, "迁出")
    assert cells[(0, 8)] == (3, 1, "出生率(‰)")
    # Every grid position is covered exactly once.
    covered = [
        (r, c) for h in common.header_cells(wide(1), "zh") for r in range(h.row, h.row + h.rowspan) for c in range(h.col, h.col + h.colspan)
    ]
    assert sorted(covered) == [(r, c) for r in range(3) for c in range(10)]


# ---- CSV ---------------------------------------------------------------------------------------------------


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_has_bom_title_line_flat_header_raw_numbers_totals_and_notes():
    data = render.to_csv(monthly())
    assert data.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    rows = _csv_rows(data)
    assert rows[0] == ["城关镇人口月报表", "填报单位：城关镇（330102001）", "统计期：2026年5月"]
    assert rows[1] == ["单位", "期初人口", "出生/合计", "出生/男", "出生/女", "出生率(‰)"]
    assert rows[2] == ["东风村", "12345", "12", "7", "5", "0.97"]  # no thousands separator
    assert rows[4] == ["向阳村", "845", "0", "0", "0", "0.00"]  # a rate keeps its decimals
    assert rows[5] == ["合计", "15535", "15", "8", "7", "0.97"]
    assert rows[6] == []
    assert rows[7] == ["注：1. 出生率按年化计算。"]
    assert rows[8][0].endswith("2. 本表数据截至月末。")
    assert len(rows) == 9


def test_csv_english_uses_english_title_headers_and_notes():
    rows = _csv_rows(render.to_csv(monthly(), lang="en"))
    assert rows[0] == ["Monthly population report", "Reporting unit: 城关镇 (330102001)", "Period: May 2026"]
    assert rows[1] == ["Unit", "Population at start", "Births/Total", "Births/Male", "Births/Female", "Birth rate (‰)"]
    assert rows[-2:] == [["Notes: 1. Birth rate annualised."], ["       2. Data as of month end."]]


def test_csv_three_level_header_and_unknown_language():
    rows = _csv_rows(render.to_csv(wide(2)))
    assert rows[1][5:8] == ["迁移/迁入/省内", "迁移/迁入/省外", "迁移/迁出"]
    assert rows[1][9] == "自然增长率(%)"
    assert rows[2][9] == "0.5"
    with pytest.raises(UserError):
        render.to_csv(monthly(), lang="fr")


# ---- XLSX --------------------------------------------------------------------------------------------------


def dump_xlsx(data: bytes) -> dict:
    """Everything that makes the printed form, as JSON-comparable data."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    sheets = []
    for ws in wb.worksheets:
        cells, formats, bold = {}, {}, []
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell, MergedCell) or cell.value is None:
                    continue
                cells[cell.coordinate] = cell.value
                if cell.number_format != "General":
                    formats[cell.coordinate] = cell.number_format
                if cell.font is not None and cell.font.b:
                    bold.append(cell.coordinate)
        ps = ws.page_setup
        sheets.append(
            {
                "title": ws.title,
                "cells": cells,
                "merged": sorted(str(r) for r in ws.merged_cells.ranges),
                "number_formats": formats,
                "bold": bold,
                "freeze_panes": ws.freeze_panes,
                "column_widths": {k: v.width for k, v in sorted(ws.column_dimensions.items())},
                "print": {
                    "paper_size": ps.paperSize,
                    "orientation": ps.orientation,
                    "fit_to_page": ws.sheet_properties.pageSetUpPr.fitToPage,
                    "fit_to_width": ps.fitToWidth,
                    "fit_to_height": ps.fitToHeight,
                    "title_rows": ws.print_title_rows,
                    "footer": ws.oddFooter.center.text,
                },
                "images": len(ws._images),
            }
        )
    return {"sheets": sheets}


def check_golden(name: str, dump: dict) -> None:
    path = GOLDEN / name
    text = json.dumps(dump, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if os.environ.get("RENKOU_UPDATE_GOLDEN") == "1":  # only then are goldens (re)written
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden {path}: run once with RENKOU_UPDATE_GOLDEN=1 and review it"
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text), f"XLSX layout differs from {path}"


def test_xlsx_monthly_layout_matches_golden():
    d = dump_xlsx(render.to_xlsx(monthly()))
    check_golden("monthly.zh.xlsx.json", d)
    (s,) = d["sheets"]
    assert s["title"] == "城关镇人口月报表"
    assert s["cells"]["A1"] == "城关镇人口月报表" and "A1:F1" in s["merged"] and "A1" in s["bold"]
    assert s["cells"]["A2"] == "填报单位：城关镇（330102001）  统计期：2026年5月"
    # Header: horizontal merge for the shared prefix, vertical merges for the one-level columns.
    assert {"A3:A4", "B3:B4", "C3:E3", "F3:F4"} <= set(s["merged"])
    assert s["cells"]["F3"] == "出生率(‰)" and s["cells"]["D4"] == "男"
    assert s["number_formats"]["B5"] == "#,##0" and s["number_formats"]["F5"] == "0.00"
    assert s["cells"]["B5"] == 12345 and s["cells"]["F6"] == 1.28
    assert {"A8", "B8", "F8"} <= set(s["bold"]) and "B5" not in s["bold"]  # the total row only
    assert s["freeze_panes"] == "A5"
    assert s["print"]["orientation"] == "portrait" and s["print"]["title_rows"] == "$3:$4"
    assert s["print"]["fit_to_width"] == 1 and s["print"]["fit_to_height"] == 0 and s["print"]["fit_to_page"]
    texts = list(s["cells"].values())
    assert (
        "注：1. 出生率按年化计算。" in texts
        and "单位负责人：\u3000\u3000\u3000\u3000  审核人：\u3000\u3000\u3000\u3000  填表人：张三  填报日期：2026年6月3日" in texts
    )


def test_xlsx_wide_english_with_pyramid_sheet_matches_golden():
    d = dump_xlsx(render.to_xlsx(wide(3, chart=PYRAMID), lang="en"))
    check_golden("wide-pyramid.en.xlsx.json", d)
    table, chart = d["sheets"]
    assert table["title"] == "Monthly population report"
    assert {"A3:A5", "C3:E3", "F3:H3", "F4:G4", "H4:H5", "I3:I5"} <= set(table["merged"])
    assert table["cells"]["I3"] == "Birth rate (‰)" and table["number_formats"]["J6"] == "0.0"
    assert table["print"]["orientation"] == "landscape" and table["print"]["title_rows"] == "$3:$5"
    assert table["freeze_panes"] == "A6"
    assert chart["title"] == "Population pyramid" and chart["images"] == 1
    assert chart["cells"]["A8"] == "Total" and chart["cells"]["B8"] == sum(PYRAMID.male)


def test_xlsx_borders_on_whole_table_and_wrapped_centred_header():
    ws = openpyxl.load_workbook(io.BytesIO(render.to_xlsx(monthly()))).active
    for row in ws.iter_rows(min_row=3, max_row=8, max_col=6):
        for cell in row:
            if isinstance(cell, MergedCell):
                continue
            b = cell.border
            assert (b.left.style, b.right.style, b.top.style, b.bottom.style) == ("thin",) * 4, cell.coordinate
    assert ws["C3"].alignment.horizontal == "center" and ws["C3"].alignment.wrap_text
    assert ws["A9"].border.left.style is None  # notes are outside the table


def test_sheet_title_is_valid_for_excel():
    assert common.sheet_title("2026年[1]月:人口/出生*死亡?统计\\表") == "2026年1月人口出生死亡统计表"
    assert len(common.sheet_title("很长" * 40)) == 31
    assert common.sheet_title("[]:*") == "Sheet"


# ---- PDF ---------------------------------------------------------------------------------------------------


def _flat(text: str) -> str:
    """Text without whitespace (pypdf's spacing between CJK glyphs varies). NULs are dropped too: with a
    CFF font (Noto CJK, the fallback) fpdf2 writes an embedded encoding CMap that pypdf reads byte-wise."""
    return "".join(text.replace("\x00", "").split())


def _fonts(page) -> list:
    return [f.get_object() for f in page["/Resources"]["/Font"].values()]


def _embedded(font) -> bool:
    fonts_ = [d.get_object() for d in font.get("/DescendantFonts", [])] if font["/Subtype"] == "/Type0" else [font]
    return any(
        ("/FontFile2" in f["/FontDescriptor"].get_object() or "/FontFile3" in f["/FontDescriptor"].get_object())
        for f in fonts_
        if "/FontDescriptor" in f
    )


def _image_count(page) -> int:
    xobjects = page["/Resources"].get("/XObject", {})
    return sum(1 for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image")


@pytest.fixture(scope="module")
def monthly_pdf() -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(render.to_pdf(monthly(chart=PYRAMID))))


@pytest.fixture(scope="module")
def long_pdf() -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(render.to_pdf(wide(200))))


def test_pdf_monthly_one_portrait_page_with_title_unit_numbers_and_pyramid(monthly_pdf):
    assert len(monthly_pdf.pages) == 1
    page = monthly_pdf.pages[0]
    assert page.mediabox.width < page.mediabox.height  # six columns: portrait A4
    assert round(float(page.mediabox.width)) == 595 and round(float(page.mediabox.height)) == 842
    text = _flat(page.extract_text())
    for s in (
        "城关镇人口月报表",
        "填报单位：城关镇（330102001）",
        "统计期：2026年5月",
        "出生率(‰)",
        "12,345",
        "15,535",
        "1.28",
        "注：1.出生率按年化计算。",
        "单位负责人：",
        "审核人：",
        "填表人：张三",
        "第1页/共1页",
    ):
        assert s in text, s
    assert _image_count(page) == 1  # the pyramid


def test_pdf_embeds_the_cjk_font(monthly_pdf):
    fonts_ = _fonts(monthly_pdf.pages[0])
    assert fonts_ and all(_embedded(f) for f in fonts_)
    assert all(f["/Subtype"] == "/Type0" for f in fonts_)  # no unembedded core font (Helvetica...) anywhere
    family = fonts.find_cjk_font().regular.family.replace(" ", "")
    assert all(family in str(f["/BaseFont"]) for f in fonts_)


def test_pdf_long_table_spans_pages_repeating_the_header(long_pdf):
    pages = long_pdf.pages
    n = len(pages)
    assert n >= 4
    assert all(p.mediabox.width > p.mediabox.height for p in pages)  # ten columns: landscape
    texts = [_flat(p.extract_text()) for p in pages]
    for i, t in enumerate(texts, start=1):
        assert "期初人口" in t and "省内" in t and "出生率(‰)" in t, f"no header on page {i}"
        assert f"第{i}页/共{n}页" in t
    assert "城关镇人口变动情况表" in texts[0] and "城关镇人口变动情况表" not in texts[1]
    every = "".join(texts)
    assert all(every.count(f"第{i:03d}村") == 1 for i in range(200))  # each row once, none lost
    assert "填表人：张三" in texts[-1] and "合计" in texts[-1]


def test_pdf_english():
    reader = pypdf.PdfReader(io.BytesIO(render.to_pdf(monthly(), lang="en")))
    text = _flat(reader.pages[0].extract_text())
    assert "Monthlypopulationreport" in text and "Reportingunit:城关镇(330102001)" in text and "Page1of1" in text


# ---- pyramid PNG -------------------------------------------------------------------------------------------


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    return struct.unpack(">II", png[16:24])


def test_pyramid_png_has_sensible_size_and_no_missing_glyphs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font" for tofu
        png = render.pyramid_png(PYRAMID)
        png_en = render.pyramid_png(PYRAMID, lang="en")
    w, h = _png_size(png)
    assert w == 800 and 400 <= h <= 1200
    assert png != png_en


def test_pyramid_png_all_zero_counts_still_renders():
    zero = Chart("pyramid", ("0-4岁", "5-9岁"), (0, 0), (0, 0))
    w, h = _png_size(render.pyramid_png(zero))
    assert w > 0 and h > 0
    with pytest.raises(ValueError):
        render.pyramid_png(Chart("pyramid", ("0-4岁",), (1, 2), (3,)))


# ---- font lookup -------------------------------------------------------------------------------------------


def test_font_lookup_rejects_missing_override(monkeypatch, tmp_path):
    missing = tmp_path / "nope.ttf"
    monkeypatch.setenv(fonts.ENV, str(missing))
    with pytest.raises(UserError) as exc:
        fonts.find_cjk_font()
    assert str(missing) in exc.value.zh and fonts.DEBIAN_PACKAGE in exc.value.en
    with pytest.raises(UserError):
        render.to_pdf(monthly())


def test_font_lookup_without_any_font_names_the_debian_package(monkeypatch):
    monkeypatch.delenv(fonts.ENV, raising=False)
    monkeypatch.setattr(fonts, "KNOWN_FONTS", [])
    monkeypatch.setattr(fonts, "_fontconfig_candidates", lambda: [])
    fonts._find.cache_clear()
    try:
        with pytest.raises(UserError) as exc:
            fonts.find_cjk_font()
    finally:
        fonts._find.cache_clear()
    assert "fonts-wqy-microhei" in exc.value.zh and "RENKOU_CJK_FONT" in exc.value.en


def test_font_lookup_honours_override(monkeypatch):
    found = fonts.find_cjk_font().regular
    monkeypatch.setenv(fonts.ENV, str(found.path))
    assert fonts.find_cjk_font().regular == found
    assert "SC" in found.family or found.index == 0  # the simplified-Chinese face of a collection


def test_money_and_wan_columns_print_by_the_one_number_rule():
    """Money (Decimal) with thousands separators and two decimals; a column whose unit is 万 holds the
    amount divided by 10,000 — printed, in the CSV and in the workbook alike (renkou.core.numbers)."""
    from decimal import Decimal

    t = Table(
        key="money",
        title="资金表",
        title_en="Money",
        unit_code="330102",
        unit_name="城关镇",
        period_label="2026年",
        period_label_en="2026",
        prepared_by="张三",
        prepared_on=dt.date(2026, 6, 3),
        columns=(
            Column("unit", ("单位",), ("Unit",), kind="text"),
            Column("yuan", ("金额（元）",), ("Amount (yuan)",), decimals=2),
            Column("wan", ("金额",), ("Amount",), decimals=2, unit="万"),
        ),
        rows=(Row(("甲村", Decimal("1234567.5"), Decimal("1234567.5"))), Row(("合计", 3600, 123456), is_total=True)),
    )
    yuan, wan = t.columns[1], t.columns[2]
    assert common.display_value(yuan, Decimal("1234567.5")) == "1,234,567.50" and common.display_value(yuan, 3600) == "3,600.00"
    assert common.display_value(wan, Decimal("1234567.5")) == "123.46" and common.display_value(wan, 123456) == "12.35"
    assert common.column_path(wan, "zh") == ("金额(万)",)
    lines = render.to_csv(t).decode("utf-8-sig").splitlines()
    assert lines[-2].endswith("1234567.50,123.46") and lines[-1].endswith("3600.00,12.35")
    ws = openpyxl.load_workbook(io.BytesIO(render.to_xlsx(t))).active
    values = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, (int, float))]
    assert any(abs(v - 123.45675) < 1e-9 for v in values) and any(abs(v - 12.3456) < 1e-9 for v in values) and 1234567.5 in values
