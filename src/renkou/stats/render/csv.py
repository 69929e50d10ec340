"""CSV: UTF-8 with a BOM (so Excel reads the Chinese correctly), numbers unformatted, text that a
spreadsheet would take for a formula neutralised (renkou.core.cells)."""

from __future__ import annotations

import csv
import io

from renkou.core.cells import csv_row, csv_text
from renkou.stats.render import common as c
from renkou.stats.table import Table


def to_csv(table: Table, lang: str = "zh") -> bytes:
    """Title line (title, unit, period), one header line (levels joined by "/": "出生/男"), the body
    rows including totals, then the notes after a blank line."""
    lang = c.check_lang(lang)
    buf = io.StringIO(newline="")
    w = csv.writer(buf)  # excel dialect: CRLF line ends, quotes only where needed
    w.writerow(csv_row([c.title(table, lang), c.unit_text(table, lang), c.period_text(table, lang)]))
    w.writerow(csv_row(c.flat_header(col, lang) for col in table.columns))
    for row in table.rows:
        w.writerow([_cell(col, v) for col, v in c.row_cells(table, row)])
    lines = c.note_lines(table, lang)
    if lines:
        w.writerow([])
        for line in lines:
            w.writerow(csv_row([line]))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _cell(col, v) -> str:
    """A body cell: a number (-5 included) as it is, text neutralised if a spreadsheet would run it."""
    text = c.plain_value(col, v)
    return text if c.is_numeric(col) and isinstance(v, (int, float)) else csv_text(text)
