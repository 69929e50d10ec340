import polars as pl
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from renkou.errors import NotFound, UserError
from renkou.exchange import exporter, importer
from renkou.storage.db import Actor
from renkou.storage.schema import AuditEntry
from tests.helpers import ACTOR, COUNTY, SYSTEM, T1, V1, D, add_resident, build_units


@pytest.fixture
def filled(db):
    build_units(db)
    with db.write(ACTOR) as s:
        add_resident(s, "甲", "M", D(1970, 1, 1), V1, 1)
        add_resident(s, "乙", "F", D(1972, 2, 2), V1, 2)
    return db


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_persons_export_is_masked_by_default(filled, tmp_path, fmt):
    out = tmp_path / f"persons.{fmt}"
    with filled.read() as s:
        assert exporter.export(s, "persons", out, fmt) == 2
    if fmt == "xlsx":
        rows = list(load_workbook(out).active.iter_rows(values_only=True))
        header, data = rows[0], rows[1:]
    else:
        df = pl.read_csv(out, infer_schema=False) if fmt == "csv" else pl.read_parquet(out)
        header, data = tuple(df.columns), df.rows()
    assert header[:3] == ("id_number", "temp_key", "name")
    assert [r[2] for r in data] == ["甲", "乙"]
    assert all("********" in r[0] for r in data)


def test_revealed_export_is_audited_and_reimports_as_unchanged(filled, tmp_path):
    out = tmp_path / "persons.csv"
    with filled.write(Actor("admin")) as s:
        exporter.export(s, "persons", out, "csv", reveal_why="迁移到新服务器")
    with filled.read() as s:
        a = s.scalars(select(AuditEntry).where(AuditEntry.action == "reveal")).one()
        assert a.reason == "迁移到新服务器" and a.after["rows"] == 2
    res = importer.run_import(filled, "persons", out, SYSTEM)
    assert (res.created, res.unchanged) == (0, 2)


def test_snapshot_of_a_unit_on_a_date(filled, tmp_path):
    out = tmp_path / "snap.csv"
    with filled.read() as s:
        assert exporter.export(s, "snapshot", out, "csv", code=T1, date=D(1981, 6, 1)) == 2
        with pytest.raises(NotFound):
            exporter.export(s, "snapshot", out, "csv", code="410102999999", date=D(1971, 6, 1))
        with pytest.raises(UserError):
            exporter.export(s, "snapshot", out, "csv", date=D(1971, 6, 1))
    df = pl.read_csv(out, infer_schema=False)
    r = df.row(0, named=True)
    assert (r["name"], r["age"], r["residence_unit"], r["marital_status"]) == ("甲", "11", V1, "never")


def test_every_table_exports(filled, tmp_path):
    with filled.read() as s:
        for table in ("orgs", "households", "events"):
            n = exporter.export(s, table, tmp_path / f"{table}.xlsx", "xlsx")
            assert n == exporter.count_rows(s, table)
    orgs = list(load_workbook(tmp_path / "orgs.xlsx").active.iter_rows(values_only=True))
    assert (COUNTY, "测试县") == orgs[1][:2]
