"""`renkou import` with malformed and hostile files: exit 0 with every row, or exit 1 with a bilingual
message and nothing changed — never a traceback (exit 2). The generated files (hypothesis) live in
tests/exchange/test_importer_fuzz.py; these are the cases a hostile probe found."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.exchange import templates
from tests.helpers import V1, cli_county, pid, run_cli, table_state
from tests.xlsx_kit import cut_short, declare_dimension, missing_shared_string, rewrite_sheet, write_xlsx

D = dt.date
HEAD = [c.zh for c in templates.columns("persons")]


def person(i: int) -> list[str]:
    return [pid(D(1980, 1, i), "F", i), "", f"人{i}", "女", f"1980-01-{i:02d}", "汉族", "农业", V1, V1, "", "", ""]


@pytest.fixture
def county(tmp_path, capsys):
    return cli_county(tmp_path, capsys)


state = table_state


def test_an_xlsx_declaring_two_rows_imports_all_five(county, tmp_path, capsys):
    path = rewrite_sheet(write_xlsx(tmp_path / "人员.xlsx", [HEAD, *[person(i) for i in range(1, 6)]]), declare_dimension("A1:L2"))
    code, out, err = run_cli(capsys, "--db", county, "import", "persons", str(path))
    assert code == 0, err
    assert "5 行，新增 5" in out and "5 rows, 5 new" in out
    assert state(county)["person"] == 5


@pytest.mark.parametrize(
    "damage",
    [cut_short(0.5), cut_short(0.9), missing_shared_string("C2"), missing_shared_string("C5")],
    ids=["cut-half", "cut-late", "string-first-row", "string-last-row"],
)
def test_a_damaged_xlsx_exits_1_cannot_read_and_changes_nothing(county, tmp_path, capsys, damage):
    path = rewrite_sheet(write_xlsx(tmp_path / "人员.xlsx", [HEAD, *[person(i) for i in range(1, 6)]]), damage)
    before = state(county)
    code, _, err = run_cli(capsys, "--db", county, "import", "persons", str(path))
    assert code == 1, err
    assert "无法读取该 Excel 文件" in err and "cannot read the Excel file" in err and "Traceback" not in err
    assert state(county) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_header_only_file_exits_1_nothing_to_import(county, tmp_path, capsys, fmt):
    path = tmp_path / f"人员.{fmt}"
    if fmt == "csv":
        path.write_text(",".join(HEAD) + "\n", encoding="utf-8-sig")
    else:
        write_xlsx(path, [HEAD])
    before = state(county)
    code, _, err = run_cli(capsys, "--db", county, "import", "persons", str(path))
    assert code == 1 and "没有可导入的内容" in err and "nothing to import" in err
    assert state(county) == before  # no empty import batch, no changeset


def test_a_five_million_character_household_number_is_refused(county, tmp_path, capsys):
    path = tmp_path / "户.csv"
    path.write_text("户编号,所在单位代码,住址,立户日期\n" + "1" * 5_000_000 + f",{V1},,2000-01-01\n", encoding="utf-8")
    before = state(county)
    code, _, err = run_cli(capsys, "--db", county, "import", "households", str(path))
    assert code == 1 and "too_long" in err and "Traceback" not in err
    assert state(county) == before
