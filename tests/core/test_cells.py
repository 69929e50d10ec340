"""Formula injection: every CSV and XLSX file the system writes holds a hostile name as text, never as
a formula — statistics tables, ledgers and posting notices (renkou.stats.render), exports and snapshots,
bank files, import error reports (CLI and web), indicator lists — and numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from renkou.benefits.payments import bankfile
from renkou.core.cells import csv_row, csv_text, xlsx_text
from renkou.core.problems import Problem
from renkou.exchange import exporter, importer
from renkou.registry import orgs
from renkou.stats import render
from renkou.stats.table import Column, Row, Table
from renkou.storage import migrate
from renkou.storage.db import Database
from renkou.web.imports import area as imports_area
from renkou.web.imports import jobs as imports_jobs
from tests.helpers import run_cli
from tests.stats import fixture as fx

HOSTILE = ['=HYPERLINK("http://x","y")', "@SUM(A1)", "+1+1", "-2+3", "=cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+86 138", "'+86 138"),
        ("-5 (补报)", "'-5 (补报)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("张三", "张三"),
        ("", ""),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("'=1", "'=1"),
        (-5, -5),
        (-5.5, -5.5),
        (Decimal("-3.00"), Decimal("-3.00")),
        (None, None),
        (dt.date(2020, 1, 1), dt.date(2020, 1, 1)),
    ],
)
def test_csv_text_quotes_what_a_spreadsheet_would_run_and_nothing_else(value, written):
    assert csv_text(value) == written


def test_a_csv_row_and_an_xlsx_cell():
    assert csv_row(["=1", 2, "x"]) == ["'=1", 2, "x"]
    from openpyxl import Workbook

    ws = Workbook().active
    cell = ws.cell(1, 1, "=1+1")
    assert cell.data_type == "f"  # what openpyxl does on its own
    assert xlsx_text(cell).data_type == "s" and cell.value == "=1+1"
    number = ws.cell(1, 2, -5)
    assert xlsx_text(number).data_type == "n" and number.value == -5


# ---------------------------------------------------------------------------------- every writer


def csv_cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for c in row]


def xlsx_cells(data: bytes) -> list:
    """Every cell of every sheet; a formula fails the test at once."""
    wb = load_workbook(io.BytesIO(data))
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                out.append(cell.value)
    return out


def table_of(name: str) -> Table:
    cols = (
        Column("unit", ("单位",), ("Unit",), kind="text"),
        Column("n", ("人数",), ("People",)),
        Column("change", ("增减",), ("Change",)),
    )
    return Table(
        key="t",
        title="表",
        title_en="Table",
        unit_code="410102",
        unit_name=name,
        period_label="2026年",
        period_label_en="2026",
        prepared_by=name,
        prepared_on=dt.date(2026, 6, 3),
        columns=cols,
        rows=(Row((name, 12, -5), code="410102100201"),),
        notes=(name,),
        notes_en=(name,),
    )


def stats_table(fmt: str, name: str, tmp: Path) -> bytes:
    return render.to_csv(table_of(name)) if fmt == "csv" else render.to_xlsx(table_of(name))


def export(fmt: str, name: str, tmp: Path) -> bytes:
    path = tmp / f"e.{fmt}"
    exporter.write(["name", "change", "note"], [[name, -5, "-5 (补报)"]], path, fmt)
    return path.read_bytes()


def bank(fmt: str, name: str, tmp: Path) -> bytes:
    layout = bankfile.load_layout(None, None)
    row = {
        "ref": "RK1",
        "name": name,
        "id_number": "11010519491231002X",
        "account": "6222000000000001",
        "bank": name,
        "amount": Decimal("-3.00"),
        "programme": name,
        "programme_code": "reward",
        "period": "2026",
        "months": 12,
        "village": name,
        "beneficiary_name": name,
        "beneficiary_id": "110105********002X",
    }
    return bankfile.render(layout, [row], fmt)


def report(fmt: str, name: str, tmp: Path) -> bytes:
    res = importer.ImportResult("persons", "p.csv")
    res.add(Problem("required", "name", name, 2))
    res.warnings.append(Problem("required", "name", "-5 (补报)", 3))
    path = tmp / f"errors.{fmt}"
    importer.write_report(res, path)
    return path.read_bytes()


def web_report(fmt: str, name: str, tmp: Path) -> bytes:
    path = tmp / "errors.xlsx"
    found = [imports_area.Finding(2, "name", name, "required", "必填", "required")]
    imports_jobs.write_report(found, [imports_area.Finding(3, "name", "-5 (补报)", "required", "必填", "required")], "persons", path)
    return path.read_bytes()


WRITERS = [
    ("stats table / ledger / posting notice", stats_table, ("csv", "xlsx")),
    ("export and snapshot", export, ("csv", "xlsx")),
    ("bank file", bank, ("csv", "xlsx")),
    ("import error report", report, ("csv", "xlsx")),
    ("web import error report", web_report, ("xlsx",)),
]
CASES = [
    pytest.param(w, fmt, name, id=f"{label}-{fmt}-{i}") for label, w, fmts in WRITERS for fmt in fmts for i, name in enumerate(HOSTILE)
]


@pytest.mark.parametrize(("writer", "fmt", "name"), CASES)
def test_every_writer_writes_a_hostile_name_as_text(tmp_path, writer, fmt, name):
    data = writer(fmt, name, tmp_path)
    if fmt == "csv":
        cells = csv_cells(data)
        assert "'" + name in cells or any(c.endswith("'" + name) for c in cells)  # quoted where it stands alone
        assert name not in cells  # never bare
        for c in cells:
            assert not c.startswith(("=", "+", "@", "\t", "\r")) and not (c.startswith("-") and not _number(c))
    else:
        cells = [c.replace("\r", "\n") if isinstance(c, str) else c for c in xlsx_cells(data)]  # XML reads a CR as a line feed
        assert name.replace("\r", "\n") in cells  # as text, as given (a string cell is never run)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_numbers_stay_numbers(tmp_path):
    cells = csv_cells(export("csv", "张三", tmp_path))
    assert "-5" in cells and "'-5 (补报)" in cells
    assert -5 in xlsx_cells(export("xlsx", "张三", tmp_path))
    assert "-3.00" in csv_cells(bank("csv", "张三", tmp_path))  # a bank reads the amount as a number: never quoted
    assert Decimal("-3.00") in [Decimal(str(v)) for v in xlsx_cells(bank("xlsx", "张三", tmp_path)) if isinstance(v, (int, float))]
    assert "-5" in csv_cells(stats_table("csv", "张三", tmp_path)) and -5 in xlsx_cells(stats_table("xlsx", "张三", tmp_path))


# ------------------------------------------- the CLI's own writers, from a register holding hostile names


@pytest.fixture(scope="module")
def hostile_county(tmp_path_factory):
    """The statistics test county with two villages renamed to formulas; every stats snapshot off."""
    path = tmp_path_factory.mktemp("cells") / "county.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    fx.build(db)
    with db.write(fx.ACTOR) as s:
        orgs.rename(s, fx.V1, HOSTILE[0], dt.date(2001, 1, 1))
        orgs.rename(s, fx.V3, HOSTILE[1], dt.date(2001, 1, 1))
    db.dispose()
    return f"sqlite:///{path}"


@pytest.mark.parametrize(
    ("command", "fmt"),
    [
        (("indicators", "--level", "village", "--codes", "births"), "csv"),
        (("indicators", "--level", "village", "--codes", "births"), "xlsx"),
        (("ledger", "births"), "csv"),
        (("ledger", "births"), "xlsx"),
    ],
)
def test_cli_files_write_hostile_unit_names_as_text(hostile_county, capsys, tmp_path, monkeypatch, command, fmt):
    monkeypatch.setenv("RENKOU_STATS_SNAPSHOT", "off")
    out = tmp_path / f"out.{fmt}"
    code, _, err = run_cli(
        capsys, "--db", hostile_county, *command, "--org", fx.COUNTY, "--period", "2024", "--format", fmt, "-o", str(out)
    )
    assert code == 0, err
    if fmt == "csv":
        cells = csv_cells(out.read_bytes())
        assert "'" + HOSTILE[0] in cells and HOSTILE[0] not in cells
    else:
        assert HOSTILE[0] in xlsx_cells(out.read_bytes())
