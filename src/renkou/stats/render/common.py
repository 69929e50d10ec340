"""What every renderer shares: the language's labels, the header grid (merged cells), value formats and
text widths in which a CJK character counts double."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from renkou.core import numbers
from renkou.errors import UserError
from renkou.stats.table import Column, Table, Value

LANGS = ("zh", "en")

LABELS = {
    "zh": {
        "unit": "填报单位：{name}（{code}）",
        "period": "统计期：{period}",
        "sep": "  ",
        "prepared": "单位负责人：{blank}  审核人：{blank}  填表人：{by}  填报日期：{on}",
        "form": "表号：{no}  制定机关：{authority}",
        "notice_period": "公示期：{period}",
        "notice_foot": "公示单位（盖章）：{unit}  监督电话：{blank}  公示日期：{on}",
        "notes": "注：",
        "pyramid_sheet": "人口金字塔",
        "pyramid_title": "人口金字塔",
        "male": "男",
        "female": "女",
        "persons": "人数",
        "age_group": "年龄组",
        "total": "合计",
        "page": "第 {n} 页 / 共 {m} 页",
    },
    "en": {
        "unit": "Reporting unit: {name} ({code})",
        "period": "Period: {period}",
        "sep": "  ",
        "prepared": "Head of unit: {blank}  Reviewed by: {blank}  Prepared by: {by}  Date: {on}",
        "form": "Form {no}  Drawn up by: {authority}",
        "notice_period": "Posted: {period}",
        "notice_foot": "Posted by (seal): {unit}  Supervision telephone: {blank}  Date: {on}",
        "notes": "Notes: ",
        "pyramid_sheet": "Population pyramid",
        "pyramid_title": "Population pyramid",
        "male": "Male",
        "female": "Female",
        "persons": "Persons",
        "age_group": "Age group",
        "total": "Total",
        "page": "Page {n} of {m}",
    },
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise UserError(f"不支持的语言：{lang!r}（可用：zh、en）。", f"Unsupported language: {lang!r} (use zh or en).", code="bad_lang")
    return lang


def label(lang: str, key: str, **kw: object) -> str:
    return LABELS[lang][key].format(**kw)


def title(table: Table, lang: str) -> str:
    return table.title_en if lang == "en" and table.title_en else table.title


def period(table: Table, lang: str) -> str:
    return table.period_label_en if lang == "en" and table.period_label_en else table.period_label


def notes(table: Table, lang: str) -> tuple[str, ...]:
    return table.notes_en if lang == "en" and table.notes_en else table.notes


def unit_text(table: Table, lang: str) -> str:
    return label(lang, "unit", name=table.unit_name, code=table.unit_code)


def period_text(table: Table, lang: str) -> str:
    return label(lang, "notice_period" if table.notice else "period", period=period(table, lang))


def info_line(table: Table, lang: str) -> str:
    """ "填报单位：城关镇（330102）  统计期：2026年5月", and the form's number and authority when it has them
    ("  表号：人口月1表  制定机关：县卫生健康委员会")."""
    line = unit_text(table, lang) + LABELS[lang]["sep"] + period_text(table, lang)
    if table.form_no or table.authority:
        line += LABELS[lang]["sep"] + label(lang, "form", no=table.form_no, authority=table.authority)
    return line


def date_text(d, lang: str) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else d.isoformat()


def preparer_line(table: Table, lang: str) -> str:
    """The form's foot: who heads the unit and who reviewed it (signed on paper: blanks), who filled it in, the date."""
    if table.notice:
        blank = "\u3000" * 6 if lang == "zh" else "________"
        return label(lang, "notice_foot", unit=table.unit_name, blank=blank, on=date_text(table.prepared_on, lang))
    return label(
        lang, "prepared", by=table.prepared_by, on=date_text(table.prepared_on, lang), blank="\u3000" * 4 if lang == "zh" else "____"
    )


def pyramid_title(table: Table, lang: str) -> str:
    """ "城关镇人口金字塔（2026年末）" / "Population pyramid: 城关镇, end of 2026"."""
    if lang == "zh":
        return f"{table.unit_name}人口金字塔（{period(table, lang)}）"
    return f"Population pyramid: {table.unit_name}, {period(table, lang)}"


def note_lines(table: Table, lang: str) -> list[str]:
    """One line per note: "注：…" for a single note, "注：1. …" then "    2. …" for several."""
    ns = notes(table, lang)
    head = LABELS[lang]["notes"]
    if len(ns) == 1:
        return [head + ns[0]]
    pad = "\u3000" * 2 if lang == "zh" else " " * len(head)
    return [(head if i == 0 else pad) + f"{i + 1}. {n}" for i, n in enumerate(ns)]


# ---- header -----------------------------------------------------------------------------------------------


def column_path(col: Column, lang: str) -> tuple[str, ...]:
    """The column's header path in ``lang``, the unit added to its last label: ("出生率(‰)",)."""
    path = col.header_en if lang == "en" and col.header_en else col.header
    path = tuple(path) or (col.key,)
    if col.unit and col.unit not in path[-1]:
        path = (*path[:-1], f"{path[-1]}({col.unit})" if lang == "zh" else f"{path[-1]} ({col.unit})")
    return path


def flat_header(col: Column, lang: str) -> str:
    """A multi-level header on one line: "出生/男"."""
    return "/".join(column_path(col, lang))


def header_depth(table: Table, lang: str) -> int:
    """Header rows (at least one, even for columns without a header path)."""
    return max((len(column_path(col, lang)) for col in table.columns), default=1)


@dataclass(frozen=True)
class HeaderCell:
    row: int  # 0-based header row
    col: int  # 0-based column
    rowspan: int
    colspan: int
    text: str
    leaf: bool  # the column's own (last) label rather than a group label


def header_cells(table: Table, lang: str) -> list[HeaderCell]:
    """The header grid: a group label spans the consecutive columns sharing its prefix (horizontal merge);
    a column's last label spans down to the last header row (vertical merge)."""
    paths = [column_path(c, lang) for c in table.columns]
    depth = header_depth(table, lang)
    cells: list[HeaderCell] = []
    for level in range(depth):
        i = 0
        while i < len(paths):
            p = paths[i]
            if level >= len(p):
                i += 1
                continue
            if level == len(p) - 1:  # the leaf: spans down to the bottom header row
                cells.append(HeaderCell(level, i, depth - level, 1, p[level], True))
                i += 1
                continue
            j = i + 1
            while j < len(paths) and len(paths[j]) > level + 1 and paths[j][: level + 1] == p[: level + 1]:
                j += 1
            cells.append(HeaderCell(level, i, 1, j - i, p[level], False))
            i = j
    return sorted(cells, key=lambda c: (c.row, c.col))


# ---- values -----------------------------------------------------------------------------------------------


def is_numeric(col: Column) -> bool:
    return col.kind in ("count", "rate")


def number_format(col: Column) -> str | None:
    """Excel number format of a body cell: counts "#,##0", rates with their decimals ("0.00")."""
    frac = "." + "0" * col.decimals if col.decimals > 0 else ""
    if col.kind == "count":
        return "#,##0" + frac
    if col.kind == "rate":
        return "0" + frac
    return None


def _number(col: Column, v: Value) -> int | float | Decimal | None:
    """The cell's number (money comes as Decimal), in the column's unit: a column whose unit is 万 holds
    the value divided by 10,000; None for what is not a finite number."""
    if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)) or (isinstance(v, float) and not math.isfinite(v)):
        return None
    if isinstance(v, Decimal) and not v.is_finite():
        return None
    if col.unit == "万":
        return (v if isinstance(v, Decimal) else Decimal(str(v))) / 10000
    if col.kind == "count" and col.decimals == 0 and isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def plain_value(col: Column, v: Value) -> str:
    """Unformatted, as in a CSV: no thousands separators, rates with exactly their decimals."""
    if v is None:
        return ""
    n = _number(col, v) if is_numeric(col) else None
    if n is None:
        return str(v)
    if isinstance(n, (float, Decimal)) or col.decimals:
        return f"{n:.{col.decimals}f}"
    return str(n)


def display_value(col: Column, v: Value) -> str:
    """As printed: counts with thousands separators, rates with their decimals."""
    if v is None:
        return ""
    n = _number(col, v) if is_numeric(col) else None
    if n is None:
        return str(v)
    if col.kind == "count":
        return numbers.average(n, col.decimals)
    return numbers.rate(n, col.decimals)


def cell_value(col: Column, v: Value) -> Value:
    """The value written to a spreadsheet cell: a number for numeric columns, else the text."""
    if v is None:
        return None
    n = _number(col, v) if is_numeric(col) else None
    return v if n is None else n


def row_cells(table: Table, row) -> list[tuple[Column, Value]]:
    """(column, value) for every column; a short row is padded with None."""
    vals = tuple(row.values)
    return [(col, vals[i] if i < len(vals) else None) for i, col in enumerate(table.columns)]


# ---- widths -----------------------------------------------------------------------------------------------


def text_width(s: str) -> int:
    """Display width in Latin character cells: wide and full-width (CJK) characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def sheet_title(s: str, fallback: str = "Sheet") -> str:
    """A valid Excel sheet name: at most 31 characters, none of []:*?/\\, no leading/trailing apostrophe."""
    name = _BAD_SHEET.sub("", s).strip().strip("'").strip()
    return name[:31].rstrip() or fallback
