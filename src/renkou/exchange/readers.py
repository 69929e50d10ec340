"""Read CSV (UTF-8, with or without BOM, or GB18030 as Excel saves it in China) and XLSX files as
rows of text. A file is read once — its bytes hashed and parsed into a column store (a Polars frame)
with the limits on rows and columns applied while reading — and its rows are then handed out in
chunks, as often as asked, so that a million-row file never sits in memory as Python objects at once.
This module reads files; it does not know what their columns mean (renkou.exchange.templates)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from renkou.errors import UserError

if TYPE_CHECKING:
    import polars as pl


@dataclass
class Table:
    """A file's header row and data rows, read whole by ``open_table`` (once: ``chunks`` may be walked
    any number of times without reading the file again) with the SHA-256 of the bytes read."""

    headers: list[str]
    n_rows: int
    _chunks: object  # callable(size) -> Iterator[list[list[str]]]
    sha256: str = ""

    def chunks(self, size: int = 50_000) -> Iterator[list[list[str]]]:
        return self._chunks(size)  # type: ignore[operator]


def _frame_table(headers: list[str], df: pl.DataFrame, digest: str) -> Table:
    """A table whose rows are those of ``df`` (every column text), sliced into chunks on demand."""

    def chunks(size: int) -> Iterator[list[list[str]]]:
        for start in range(0, df.height, size):
            part = df.slice(start, size)
            cols = [[v.strip() for v in part.get_column(c).to_list()] for c in part.columns]
            yield [list(r) for r in zip(*cols, strict=True)]

    return Table(headers, df.height, chunks, digest)


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


MAX_COLUMNS = 200  # far more than any import template has; with the row limit, it bounds the cells of one import
XLSX_MAX_ROWS = 1_048_576  # an Excel sheet's own limit: a file claiming more rows is not one Excel wrote
BLOCK = 50_000  # XLSX rows gathered as Python lists before they join the table's frame


def too_many_rows(name: str, most: int) -> UserError:
    return UserError(
        f"文件 {name} 的数据超过 {most:,} 行，超出单次导入的上限；请分成几个文件导入",
        f"the file {name} has more than {most:,} data rows, the limit of one import; split it into several files",
    )


def _check_width(name: str, n: int) -> None:
    if n > MAX_COLUMNS:
        raise UserError(
            f"文件 {name} 有 {n:,} 列，超过 {MAX_COLUMNS} 列的上限",
            f"the file {name} has {n:,} columns, more than the limit of {MAX_COLUMNS}",
        )


def _read_csv(path: Path, data: bytes, digest: str, most: int | None) -> Table:
    import polars as pl

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data = data.decode("gb18030").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise UserError(
                f"无法识别文件编码：{path.name}（应为 UTF-8 或 GB18030）",
                f"cannot read the encoding of {path.name} (UTF-8 or GB18030 expected)",
            ) from exc
    if not data.strip():
        raise UserError(f"文件为空：{path.name}", f"the file is empty: {path.name}")
    try:  # one row past the limit is enough to know the file is over it
        df = pl.read_csv(io.BytesIO(data), infer_schema=False, truncate_ragged_lines=False, n_rows=None if most is None else most + 1)
    except Exception as exc:  # polars raises several kinds for malformed CSV
        raise UserError(
            f"无法解析 CSV 文件 {path.name}：{str(exc).splitlines()[0]}",
            f"cannot parse the CSV file {path.name}: {str(exc).splitlines()[0]}",
        ) from exc
    del data
    _check_width(path.name, df.width)
    if most is not None and df.height > most:
        raise too_many_rows(path.name, most)
    df = df.fill_null("")
    return _frame_table([h.strip() for h in df.columns], df, digest)


def _unreadable(path: Path) -> UserError:
    return UserError(
        f"无法读取该 Excel 文件：{path.name}（文件已损坏或不是 Excel 保存的格式）",
        f"cannot read the Excel file {path.name} (it is damaged or not in the format Excel saves)",
    )


def _read_xlsx(path: Path, data: bytes, digest: str, most: int | None) -> Table:
    """The first sheet, every row of it: other tools write its declared size wrong (``<dimension>``)
    and Excel ignores it. A damaged sheet (cut short, a cell pointing at a shared string that is not
    there) is refused as unreadable, wherever the damage is met. The rows are counted as they are read
    and the reading stops at the first row past the limit."""
    import polars as pl
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise UserError(f"无法打开 Excel 文件 {path.name}", f"cannot open the Excel file {path.name}") from exc
    rows = None
    try:
        try:
            ws = wb.worksheets[0]
            ws.reset_dimensions()  # read to the end of the sheet's data, whatever it claims
            rows = ws.iter_rows(min_row=1, min_col=1, values_only=True)
            first = next(rows, None)
        except Exception as exc:  # openpyxl, zipfile and the XML parser raise many kinds for damaged files
            raise _unreadable(path) from exc
        if first is None:
            raise UserError(f"文件为空：{path.name}", f"the file is empty: {path.name}")
        headers = [_cell(v) for v in first]
        while headers and headers[-1] == "":
            headers.pop()
        _check_width(path.name, len(headers))
        width, limit = len(headers), min(most, XLSX_MAX_ROWS - 1) if most is not None else XLSX_MAX_ROWS - 1
        names = {f"c{i}": pl.String for i in range(width)}
        frames: list[pl.DataFrame] = []
        block: list[list[str]] = []
        count = 0
        while True:
            try:
                r = next(rows, None)
            except Exception as exc:
                raise _unreadable(path) from exc
            if r is None:
                break
            count += 1
            if count > limit:
                raise too_many_rows(path.name, most) if most is not None and count > most else _unreadable(path)
            cells = [_cell(v) for v in r[:width]]
            cells += [""] * (width - len(cells))
            block.append(cells)
            if len(block) >= BLOCK:
                frames.append(pl.DataFrame(block, schema=names, orient="row"))
                block = []
        if block or not frames:
            frames.append(pl.DataFrame(block, schema=names, orient="row"))
    finally:
        if rows is not None:
            rows.close()  # the sheet's XML stream
        wb.close()
    return _frame_table(headers, pl.concat(frames) if len(frames) > 1 else frames[0], digest)


def open_table(path: Path, *, max_rows: int | None = None) -> Table:
    """The file at ``path`` (CSV or XLSX), read once, whole, and hashed from the same bytes. With
    ``max_rows`` (setting RENKOU_IMPORT_MAX_ROWS), more data rows than that is refused (UserError) as
    soon as the reading meets one row too many; more than ``MAX_COLUMNS`` columns always is."""
    if not path.exists():
        raise UserError(f"文件不存在：{path}", f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise UserError(f"不支持的文件类型 {suffix}（应为 .csv 或 .xlsx）", f"unsupported file type {suffix} (.csv or .xlsx expected)")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if suffix == ".csv":
        return _read_csv(path, data, digest, max_rows)
    return _read_xlsx(path, data, digest, max_rows)
