"""Cells of the CSV and XLSX files the system writes, made safe to open in a spreadsheet.

A value such as a person's name or a village's name comes from users and imports; if it begins with
``=``, ``+``, ``-`` or ``@`` (or a tab or a carriage return), a spreadsheet opening the file may run
it as a formula (CSV or formula injection: ``=HYPERLINK(...)``, DDE commands). Every writer of a CSV
or XLSX file passes its cells through here (OWASP "CSV Injection"):

* CSV: such text gets a leading single quote ``'``, which the spreadsheet shows as text;
* XLSX: such text is written as a string cell (openpyxl would write a ``str`` beginning with ``=`` as
  a formula); a string cell is never evaluated.

Numbers stay numbers: ``-5`` as an int is a number, the text ``"-5 (补报)"`` is neutralised. A writer
whose text columns hold numbers a program must read (a bank file's amounts) neutralises only its
other columns. This module does not import openpyxl: it works on the cells openpyxl gives it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Any) -> Any:
    """A CSV cell: text a spreadsheet would take for a formula, with a leading ``'``; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A CSV row, each cell through `csv_text`."""
    return [csv_text(v) for v in values]


def xlsx_text(cell: Any) -> Any:
    """An openpyxl cell (also a write-only one): text that openpyxl took for a formula is written as text."""
    if getattr(cell, "data_type", None) == "f" and isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def xlsx_workbook_text(workbook: Any) -> None:
    """Every cell of every sheet of an openpyxl workbook (not write-only) through `xlsx_text`; call before saving."""
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                xlsx_text(cell)
