"""Damaged XLSX files for tests: a workbook written by openpyxl, then its first sheet's XML rewritten
inside the zip — as other tools (or an attacker) write them. Not a test module."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"


def write_xlsx(path: Path, rows: Iterable[Iterable[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def rewrite_sheet(path: Path, change: Callable[[str], str]) -> Path:
    """Replace the first sheet's XML by ``change(xml)``, every other part of the zip kept as it is."""
    with zipfile.ZipFile(path) as z:
        parts = [(info, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            z.writestr(info, change(data.decode("utf-8")).encode("utf-8") if info.filename == SHEET else data)
    return path


def declare_dimension(ref: str) -> Callable[[str], str]:
    """The sheet claims the size ``ref`` (e.g. A1:L2), whatever it holds."""
    return lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml, count=1)


def cut_short(at: float = 0.6) -> Callable[[str], str]:
    """The sheet's XML cut off part-way (a download or a copy that stopped)."""
    return lambda xml: xml[: int(len(xml) * at)]


def missing_shared_string(cell: str = "A2", index: int = 99) -> Callable[[str], str]:
    """The cell ``cell`` points at shared string ``index``, which the workbook does not have."""
    return lambda xml: re.sub(rf'<c r="{cell}"[^>]*>.*?</c>', f'<c r="{cell}" t="s"><v>{index}</v></c>', xml, count=1)
