"""The limits of one import (renkou.exchange.readers.limit_rows, RENKOU_IMPORT_MAX_ROWS): more rows or
columns than allowed is a clean refusal in both languages — by the file's declared size at once, and
by counting the rows as they are read when the declared size is wrong — with nothing imported."""

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers import SYSTEM, V1, D, build_units, pid, run_cli
from renkou.config import Settings
from renkou.errors import UserError
from renkou.exchange import importer, readers, templates
from renkou.storage import migrate
from renkou.storage.db import Database
from renkou.storage.schema import Changeset, Person


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


def test_a_wrong_declared_size_is_caught_while_reading():
    """An XLSX may declare fewer rows than it has: the rows are counted as they are read."""
    rows = [["a", "b"]] * 5
    lying = readers.Table(["x", "y"], 1, lambda size: iter([rows[i:i + size] for i in range(0, len(rows), size)]))
    table = readers.limit_rows(lying, 3, "lying.xlsx")
    with pytest.raises(UserError, match="3 data rows"):
        list(table.chunks(2))
    assert sum(len(c) for c in readers.limit_rows(lying, 5, "lying.xlsx").chunks(2)) == 5


def test_too_many_columns_is_refused():
    wide = readers.Table([f"c{i}" for i in range(readers.MAX_COLUMNS + 1)], 1, lambda size: iter([]))
    with pytest.raises(UserError) as e:
        readers.limit_rows(wide, 10, "wide.csv")
    assert f"{readers.MAX_COLUMNS} 列" in e.value.zh and "columns" in e.value.en


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
