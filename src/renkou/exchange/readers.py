"""Read CSV (UTF-8, with or without BOM, or GB18030 as Excel saves it in China) and XLSX files as
rows of text, in chunks, so that a million-row file never sits in memory as Python objects at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from renkou.errors import UserError


@dataclass
class Table:
    headers: list[str]
    n_rows: int
    _chunks: object  # callable(size) -> Iterator[list[list[str]]]

    def chunks(self, size: int = 50_000) -> Iterator[list[list[str]]]:
        return self._chunks(size)  # type: ignore[operator]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


def _read_csv(path: Path) -> Table:
    import polars as pl

    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data = data.decode("gb18030").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise UserError(f"无法识别文件编码：{path.name}（应为 UTF-8 或 GB18030）",
                            f"cannot read the encoding of {path.name} (UTF-8 or GB18030 expected)") from exc
    if not data.strip():
        raise UserError(f"文件为空：{path.name}", f"the file is empty: {path.name}")
    try:
        df = pl.read_csv(io.BytesIO(data), infer_schema=False, truncate_ragged_lines=False)
    except Exception as exc:  # polars raises several kinds for malformed CSV
        raise UserError(f"无法解析 CSV 文件 {path.name}：{str(exc).splitlines()[0]}",
                        f"cannot parse the CSV file {path.name}: {str(exc).splitlines()[0]}") from exc
    del data
    df = df.fill_null("")
    headers = [h.strip() for h in df.columns]

    def chunks(size: int) -> Iterator[list[list[str]]]:
        for start in range(0, df.height, size):
            part = df.slice(start, size)
            cols = [[s.strip() for s in part.get_column(c).to_list()] for c in part.columns]
            yield [list(r) for r in zip(*cols, strict=True)]

    return Table(headers, df.height, chunks)


XLSX_MAX_ROWS = 1_048_576  # an Excel sheet's own limit: a file claiming more rows is not one Excel wrote


def _unreadable(path: Path) -> UserError:
    return UserError(f"无法读取该 Excel 文件：{path.name}（文件已损坏或不是 Excel 保存的格式）",
                     f"cannot read the Excel file {path.name} (it is damaged or not in the format Excel saves)")


class _Sheet:
    """The first sheet of a workbook, open for reading from ``first_row`` on, every row of it: the size
    the sheet declares (``<dimension>``) is not trusted. The file is opened here and closed by
    ``close`` (openpyxl leaves it open when it fails part-way)."""

    def __init__(self, path: Path, first_row: int) -> None:
        from openpyxl import load_workbook

        self.file = path.open("rb")
        self.wb = self.rows = None
        try:
            self.wb = load_workbook(self.file, read_only=True, data_only=True)
        except Exception as exc:
            self.close()
            raise UserError(f"无法打开 Excel 文件 {path.name}", f"cannot open the Excel file {path.name}") from exc
        try:
            ws = self.wb.worksheets[0]
            self.declared = ws.max_row or 0
            ws.reset_dimensions()  # read to the end of the sheet's data, whatever it claims
            self.rows = ws.iter_rows(min_row=first_row, min_col=1, values_only=True)
        except Exception as exc:
            self.close()
            raise _unreadable(path) from exc

    def close(self) -> None:
        if self.rows is not None:
            self.rows.close()  # the sheet's XML stream
        if self.wb is not None:
            self.wb.close()
        self.file.close()


def _read_xlsx(path: Path) -> Table:
    """The first sheet, every row of it: other tools write its declared size wrong and Excel ignores
    it. A damaged sheet (cut short, a cell pointing at a shared string that is not there) is refused
    as unreadable, whenever the damage is met. The file is read once for the header (and to see
    whether any row follows), then again by ``chunks``, which closes it at its end or when abandoned."""
    sheet = _Sheet(path, 1)
    try:
        first = next(sheet.rows, None)
        second = next(sheet.rows, None) if first is not None else None
    except Exception as exc:  # openpyxl, zipfile and the XML parser raise many kinds for damaged files
        raise _unreadable(path) from exc
    finally:
        sheet.close()
    if first is None:
        raise UserError(f"文件为空：{path.name}", f"the file is empty: {path.name}")
    headers = [_cell(v) for v in first]
    while headers and headers[-1] == "":
        headers.pop()
    # the declared size is only an estimate, for progress; 0 only when there is no second row at all
    n = 0 if second is None else max(1, sheet.declared - 1)

    def chunks(size: int) -> Iterator[list[list[str]]]:
        if second is None:
            return
        rest = _Sheet(path, 2)
        buf: list[list[str]] = []
        count = 1
        try:
            while True:
                try:
                    r = next(rest.rows, None)
                except Exception as exc:
                    raise _unreadable(path) from exc
                if r is None:
                    break
                count += 1
                if count > XLSX_MAX_ROWS:
                    raise _unreadable(path)
                cells = [_cell(v) for v in r[: len(headers)]]
                cells += [""] * (len(headers) - len(cells))
                buf.append(cells)
                if len(buf) >= size:
                    yield buf
                    buf = []
            if buf:
                yield buf
        finally:
            rest.close()

    return Table(headers, n, chunks)


def open_table(path: Path) -> Table:
    if not path.exists():
        raise UserError(f"文件不存在：{path}", f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raise UserError(f"不支持的文件类型 {suffix}（应为 .csv 或 .xlsx）", f"unsupported file type {suffix} (.csv or .xlsx expected)")


MAX_COLUMNS = 200  # far more than any import template has; with the row limit, it bounds the cells of one import


def limit_rows(table: Table, most: int, name: str) -> Table:
    """``table``, refused (UserError) when it has more than ``most`` data rows (setting
    RENKOU_IMPORT_MAX_ROWS) or more than ``MAX_COLUMNS`` columns: by its declared size at once, and
    by counting while its rows are read (a declared size may be wrong)."""
    def too_many() -> UserError:
        return UserError(f"文件 {name} 的数据超过 {most:,} 行，超出单次导入的上限；请分成几个文件导入",
                         f"the file {name} has more than {most:,} data rows, the limit of one import; split it into several files")

    if len(table.headers) > MAX_COLUMNS:
        raise UserError(f"文件 {name} 有 {len(table.headers):,} 列，超过 {MAX_COLUMNS} 列的上限",
                        f"the file {name} has {len(table.headers):,} columns, more than the limit of {MAX_COLUMNS}")
    if table.n_rows > most:
        raise too_many()

    def chunks(size: int) -> Iterator[list[list[str]]]:
        seen = 0
        for chunk in table.chunks(size):
            seen += len(chunk)
            if seen > most:
                raise too_many()
            yield chunk

    return Table(table.headers, table.n_rows, chunks)
