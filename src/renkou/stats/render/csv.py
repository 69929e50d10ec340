"""CSV: UTF-8 with a BOM (so Excel reads the Chinese correctly), numbers unformatted."""

from __future__ import annotations

import csv
import io

from renkou.stats.render import common as c
from renkou.stats.table import Table


def to_csv(table: Table, lang: str = "zh") -> bytes:
    """Title line (title, unit, period), one header line (levels joined by "/": "出生/男"), the body
    rows including totals, then the notes after a blank line."""
    lang = c.check_lang(lang)
    buf = io.StringIO(newline="")
    w = csv.writer(buf)  # excel dialect: CRLF line ends, quotes only where needed
    w.writerow([c.title(table, lang), c.unit_text(table, lang), c.period_text(table, lang)])
    w.writerow([c.flat_header(col, lang) for col in table.columns])
    for row in table.rows:
        w.writerow([c.plain_value(col, v) for col, v in c.row_cells(table, row)])
    lines = c.note_lines(table, lang)
    if lines:
        w.writerow([])
        for line in lines:
            w.writerow([line])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
