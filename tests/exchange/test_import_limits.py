"""The limits of one import (renkou.exchange.readers.open_table, RENKOU_IMPORT_MAX_ROWS): more rows or
columns than allowed is a clean refusal in both languages — counting the rows as they are read, whatever
size a sheet declares — with nothing imported; and one import reads its file once."""

import builtins
import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers import SYSTEM, T1, V1, D, build_units, pid, run_cli
from renkou.auth.officer import Officer
from renkou.auth.roles import Role
from renkou.auth.scope import Scope
from renkou.config import Settings
from renkou.errors import UserError
from renkou.exchange import area, importer, readers, templates
from renkou.storage import migrate
from renkou.storage.db import Database
from renkou.storage.schema import Changeset, OrgUnit, Person
from tests.xlsx_kit import declare_dimension, rewrite_sheet, write_xlsx


def persons_csv(path: Path, n: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([c.zh for c in templates.columns("persons")])
        for i in range(n):
            w.writerow([pid(D(1980, 1, 1 + i), "M", i + 1), "", f"张{i}", "男", f"1980-01-{1 + i:02d}", "汉族", "农业", V1, V1, "", "", ""])
    return path


def counts(db) -> tuple[int, int]:
    with db.read() as s:
        return s.scalar(select(func.count(Person.id))), s.scalar(select(func.count(Changeset.id)))


@pytest.mark.parametrize("rows, most, refused", [(3, 3, False), (4, 3, True), (1, 1, False), (2, 1, True)])
def test_the_row_limit_of_one_import(db, tmp_path, rows, most, refused):
    build_units(db)
    path = persons_csv(tmp_path / "persons.csv", rows)
    before = counts(db)
    if refused:
        with pytest.raises(UserError) as e:
            importer.run_import(db, "persons", path, SYSTEM, max_rows=most)
        assert f"超过 {most:,} 行" in e.value.zh and f"more than {most:,} data rows" in e.value.en
        assert counts(db) == before
    else:
        assert importer.run_import(db, "persons", path, SYSTEM, max_rows=most).created == rows


@pytest.mark.parametrize("most, refused", [(3, True), (4, True), (5, False)])
def test_a_wrong_declared_size_is_caught_while_reading(tmp_path, most, refused):
    """An XLSX may declare fewer rows than it has: the rows are counted as they are read."""
    path = rewrite_sheet(write_xlsx(tmp_path / "lying.xlsx", [["x", "y"], *[["a", "b"]] * 5]), declare_dimension("A1:B2"))
    if refused:
        with pytest.raises(UserError, match=f"{most} data rows"):
            readers.open_table(path, max_rows=most)
    else:
        table = readers.open_table(path, max_rows=most)
        assert table.n_rows == 5 and sum(len(c) for c in table.chunks(2)) == 5


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("width, refused", [(readers.MAX_COLUMNS, False), (readers.MAX_COLUMNS + 1, True)])
def test_too_many_columns_is_refused(tmp_path, suffix, width, refused):
    rows = [[f"c{i}" for i in range(width)], ["v"] * width]
    path = tmp_path / f"wide{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    else:
        write_xlsx(path, rows)
    if refused:
        with pytest.raises(UserError) as e:
            readers.open_table(path, max_rows=10)
        assert f"{readers.MAX_COLUMNS} 列" in e.value.zh and "columns" in e.value.en
    else:
        assert len(readers.open_table(path, max_rows=10).headers) == width


def count_reads(monkeypatch, path: Path) -> dict[str, int]:
    """Counts, from now on, the tables opened (readers.open_table) and the times the file at ``path`` is
    opened by anyone (io.open and open: pathlib, zipfile and openpyxl all open files through them)."""
    n = {"tables": 0, "opened": 0}
    real_table, real_open = readers.open_table, io.open
    target = path.resolve()

    def open_table(*a, **kw):
        n["tables"] += 1
        return real_table(*a, **kw)

    def opening(file, *a, **kw):
        if isinstance(file, (str, Path)) and Path(file).resolve() == target:
            n["opened"] += 1
        return real_open(file, *a, **kw)

    monkeypatch.setattr(readers, "open_table", open_table)
    monkeypatch.setattr(io, "open", opening)
    monkeypatch.setattr(builtins, "open", opening)
    return n


def township_officer(db) -> Officer:
    with db.read() as s:
        uid = s.scalar(select(OrgUnit.id).where(OrgUnit.code == T1))
        return Officer("xiang1", Role.TOWNSHIP_OFFICER, uid, Scope.for_unit(s, uid))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("who", ["township", "system"])
def test_one_import_reads_its_file_once(db, tmp_path, monkeypatch, suffix, who):
    """The area rule (for an officer bound to a township) and the rows' own checks share one reading of
    the file, which also gives its SHA-256: a checked import and a committed one each read it once."""
    build_units(db)
    path = persons_csv(tmp_path / "persons.csv", 3)
    if suffix == ".xlsx":
        with path.open(encoding="utf-8") as f:
            path = write_xlsx(tmp_path / "persons.xlsx", list(csv.reader(f)))
    officer = township_officer(db) if who == "township" else SYSTEM
    checked: list[int] = []
    real_check = area.check

    def check(session, kind, table, scope, **kw):
        refusals = real_check(session, kind, table, scope, **kw)
        checked.append(sum(len(c) for c in table.chunks(2)))  # the rows the area rule was given
        return refusals

    monkeypatch.setattr(area, "check", check)
    n = count_reads(monkeypatch, path)
    res = importer.run_import(db, "persons", path, officer)
    assert res.created == 3 and checked == [3]
    assert n == {"tables": 1, "opened": 1}
    res = importer.run_import(db, "persons", path, officer)  # again: all unchanged, read once more
    assert res.unchanged == 3 and res.previously_imported
    assert n == {"tables": 2, "opened": 2}


def test_the_command_line_takes_the_setting_and_exits_1(tmp_path, capsys, monkeypatch):
    db = Database(f"sqlite:///{tmp_path / 'cli.db'}")  # a file the command opens by its URL
    migrate.upgrade(db)
    build_units(db)
    path = persons_csv(tmp_path / "persons.csv", 3)
    before = counts(db)
    monkeypatch.setenv("RENKOU_IMPORT_MAX_ROWS", "2")
    code, _out, err = run_cli(capsys, "--db", f"sqlite:///{tmp_path / 'cli.db'}", "import", "persons", str(path))
    assert code == 1 and "超过 2 行" in err and "Traceback" not in err
    assert counts(db) == before
    monkeypatch.setenv("RENKOU_IMPORT_MAX_ROWS", "3")
    code, _out, err = run_cli(capsys, "--db", f"sqlite:///{tmp_path / 'cli.db'}", "import", "persons", str(path))
    assert code == 0, err
    assert counts(db)[0] == before[0] + 3
    db.dispose()


@pytest.mark.parametrize("raw, most", [(None, 1_000_000), ("500", 500)])
def test_the_import_row_setting(raw, most):
    assert Settings.from_env({} if raw is None else {"RENKOU_IMPORT_MAX_ROWS": raw}).import_max_rows == most
