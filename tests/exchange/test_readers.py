"""Reading CSV and XLSX files: every row of a sheet whatever size it declares; damaged files refused
with a bilingual message, never a traceback."""

from __future__ import annotations

import pytest

from renkou.errors import UserError
from renkou.exchange import readers
from tests.xlsx_kit import cut_short, declare_dimension, missing_shared_string, rewrite_sheet, write_xlsx

ROWS = [["姓名", "性别"], *[[f"人{i}", "男"] for i in range(1, 6)]]


def all_rows(table: readers.Table) -> list[list[str]]:
    return [row for chunk in table.chunks(2) for row in chunk]


@pytest.mark.parametrize("ref", ["A1:L2", "A1:B1", "A1", "B2:C3", "A1:XFD1048576"])
def test_every_row_of_a_sheet_is_read_whatever_size_it_declares(tmp_path, ref):
    path = rewrite_sheet(write_xlsx(tmp_path / "p.xlsx", ROWS), declare_dimension(ref))
    table = readers.open_table(path)
    assert table.headers == ["姓名", "性别"]
    assert all_rows(table) == [r for r in ROWS[1:]]


def test_a_sheet_without_a_dimension_is_read_whole(tmp_path):
    path = rewrite_sheet(write_xlsx(tmp_path / "p.xlsx", ROWS), lambda xml: xml.replace('<dimension ref="A1:B6" />', ""))
    assert len(all_rows(readers.open_table(path))) == 5


@pytest.mark.parametrize(
    "damage",
    [cut_short(0.6), cut_short(0.95), missing_shared_string("A4"), missing_shared_string("A2"), missing_shared_string("A1")],
    ids=["cut-60", "cut-95", "string-row-4", "string-row-2", "string-header"],
)
def test_a_damaged_sheet_is_refused_as_unreadable(tmp_path, damage):
    path = rewrite_sheet(write_xlsx(tmp_path / "p.xlsx", ROWS), damage)
    with pytest.raises(UserError) as e:
        all_rows(readers.open_table(path))  # the damage may show when opening, or only at the row it touches
    assert "无法读取该 Excel 文件" in e.value.zh and "cannot read the Excel file" in e.value.en
    assert "p.xlsx" in e.value.zh


def test_a_header_only_sheet_has_no_rows(tmp_path):
    table = readers.open_table(write_xlsx(tmp_path / "h.xlsx", ROWS[:1]))
    assert table.n_rows == 0 and all_rows(table) == []


def test_a_csv_may_start_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes("\ufeff姓名,性别\n张三,男\n".encode())
    table = readers.open_table(path)
    assert table.headers == ["姓名", "性别"] and all_rows(table) == [["张三", "男"]]
