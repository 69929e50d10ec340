"""Export tables, or the as-of snapshot of a unit, to CSV, XLSX or Parquet.

ID numbers are masked unless the caller reveals them, and a reveal is written to the audit trail.
Exported column names are the import templates' keys, so an export (revealed) imports again. Text
that a spreadsheet would take for a formula is neutralised in CSV and XLSX (renkou.core.cells);
Parquet is not a spreadsheet format and keeps the values as they are.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from renkou.core import basis as basis_mod
from renkou.core.cells import csv_row, xlsx_text
from renkou.core.idnumber import mask
from renkou.errors import UserError
from renkou.registry import asof
from renkou.registry.orgs import Hierarchy
from renkou.storage.db import changeset_of
from renkou.storage.schema import AuditEntry, Event, Household, OrgUnit, OrgVersion, Person

TABLES = ("orgs", "households", "persons", "events", "snapshot")
FORMATS = ("csv", "xlsx", "parquet")


def _key(idn: str | None, tk: str | None, reveal: bool) -> str:
    if idn:
        return idn if reveal else mask(idn)
    return tk or ""


def rows_orgs(session: Session, date: dt.date) -> tuple[list[str], list[list]]:
    units = {u.id: u for u in session.scalars(select(OrgUnit).order_by(OrgUnit.code))}
    versions: dict[int, OrgVersion] = {}
    for v in session.scalars(select(OrgVersion).where(OrgVersion.valid_from <= date).order_by(OrgVersion.valid_from)):
        versions[v.unit_id] = v
    cols = ["code", "name", "level", "parent_code", "valid_from", "retired_on", "urban_rural", "unit_kind"]
    out = []
    for u in units.values():
        v = versions.get(u.id)
        parent = units[v.parent_id].code if v and v.parent_id in units else ""
        out.append([u.code, v.name if v else "", u.level, parent, u.valid_from, u.retired_on, v.urban_rural if v else None, u.unit_kind])
    return cols, out


def rows_households(session: Session) -> tuple[list[str], list[list]]:
    q = (
        select(Household.number, OrgUnit.code, Household.address, Household.created_on)
        .join(OrgUnit, OrgUnit.id == Household.unit_id)
        .order_by(Household.number)
    )
    return ["number", "unit_code", "address", "created_on"], [list(r) for r in session.execute(q)]


def rows_persons(session: Session, reveal: bool) -> tuple[list[str], list[list]]:
    q = select(Person.id_number, Person.temp_key, Person.name, Person.sex, Person.birth_date, Person.ethnicity).order_by(Person.id)
    return (
        ["id_number", "temp_key", "name", "sex", "birth_date", "ethnicity"],
        [[(r[0] if reveal else mask(r[0])) if r[0] else "", r[1] or "", *r[2:]] for r in session.execute(q)],
    )


def rows_events(session: Session, reveal: bool) -> tuple[list[str], list[list]]:
    P = {n: aliased(Person) for n in ("person", "partner", "mother", "father")}
    U = {n: aliased(OrgUnit) for n in ("hukou_unit", "residence_unit", "work_unit")}
    q = select(
        Event.id,
        Event.kind,
        P["person"].id_number,
        P["person"].temp_key,
        Event.date,
        Event.source,
        P["partner"].id_number,
        P["partner"].temp_key,
        P["mother"].id_number,
        P["mother"].temp_key,
        P["father"].id_number,
        P["father"].temp_key,
        U["hukou_unit"].code,
        U["residence_unit"].code,
        U["work_unit"].code,
        Household.number,
        Event.relation,
        Event.hukou_type,
        Event.scope,
        Event.origin_code,
        Event.destination_code,
        Event.place,
        Event.certificate_no,
        Event.grade,
        Event.supersedes_id,
        Event.reason,
    )
    q = q.join(P["person"], P["person"].id == Event.person_id)
    for n in ("partner", "mother", "father"):
        q = q.outerjoin(P[n], P[n].id == getattr(Event, f"{n}_id"))
    for n in ("hukou_unit", "residence_unit", "work_unit"):
        q = q.outerjoin(U[n], U[n].id == getattr(Event, f"{n}_id"))
    q = q.outerjoin(Household, Household.id == Event.household_id).order_by(Event.id)
    cols = [
        "event_id",
        "kind",
        "person",
        "date",
        "source",
        "partner",
        "mother",
        "father",
        "hukou_unit",
        "residence_unit",
        "work_unit",
        "household",
        "relation",
        "hukou_type",
        "scope",
        "origin_code",
        "destination_code",
        "place",
        "certificate_no",
        "grade",
        "supersedes",
        "reason",
    ]
    out = []
    for r in session.execute(q):
        out.append(
            [
                r[0],
                r[1],
                _key(r[2], r[3], reveal),
                r[4],
                r[5],
                _key(r[6], r[7], reveal),
                _key(r[8], r[9], reveal),
                _key(r[10], r[11], reveal),
                *r[12:],
            ]
        )
    return cols, out


def rows_snapshot(session: Session, code: str, date: dt.date, basis: str, reveal: bool) -> tuple[list[str], list[list]]:
    people = asof.members(session, code, date, basis)
    cols = [
        "id_number",
        "temp_key",
        "name",
        "sex",
        "birth_date",
        "age",
        "ethnicity",
        "hukou_type",
        "hukou_unit",
        "residence_unit",
        "household",
        "relation",
        "marital_status",
        "living_children",
    ]
    out = []
    for i in range(0, len(people), 2_000):
        part = people[i : i + 2_000]
        st = asof.states(session, part, date)
        for p in part:
            s = st[p.id]
            out.append(
                [
                    (p.id_number if reveal else mask(p.id_number)) if p.id_number else "",
                    p.temp_key or "",
                    p.name,
                    p.sex,
                    p.birth_date,
                    s.age,
                    p.ethnicity,
                    s.hukou_type,
                    s.hukou_unit,
                    s.residence_unit,
                    s.household,
                    s.relation,
                    s.marital_status,
                    s.living_children,
                ]
            )
    return cols, out


def write(cols: list[str], rows: list[list], path: Path, fmt: str) -> None:
    if fmt not in FORMATS:
        raise UserError(f"不支持的格式 {fmt}（可选：{', '.join(FORMATS)}）", f"unsupported format {fmt} (one of: {', '.join(FORMATS)})")
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("data")
        ws.append(cols)
        for r in rows:
            ws.append([xlsx_text(WriteOnlyCell(ws, v)) if isinstance(v, str) else v for v in r])
        wb.save(path)
        return
    import polars as pl

    if fmt == "csv":
        rows = [csv_row(r) for r in rows]
    data = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    df = pl.DataFrame(data, strict=False, infer_schema_length=None)
    if fmt == "csv":
        with path.open("wb") as f:
            f.write(b"\xef\xbb\xbf")
            df.write_csv(f)
    else:
        df.write_parquet(path)


def export(
    session: Session,
    table: str,
    path: Path,
    fmt: str,
    *,
    code: str | None = None,
    date: dt.date | None = None,
    basis: str = basis_mod.DEFAULT,
    reveal_why: str | None = None,
) -> int:
    """Write one table (or a snapshot) and return the number of rows. ``reveal_why`` un-masks ID
    numbers and records the reveal, with its reason, in the audit trail."""
    date = date or dt.date.today()
    reveal = bool(reveal_why and reveal_why.strip())
    if table == "orgs":
        cols, rows = rows_orgs(session, date)
    elif table == "households":
        cols, rows = rows_households(session)
    elif table == "persons":
        cols, rows = rows_persons(session, reveal)
    elif table == "events":
        cols, rows = rows_events(session, reveal)
    elif table == "snapshot":
        if not code:
            raise UserError("导出快照需要 --org 单位代码", "a snapshot export needs --org CODE")
        Hierarchy.as_of(session, date).unit(code)
        cols, rows = rows_snapshot(session, code, date, basis, reveal)
    else:
        raise UserError(f"未知的表 {table}（可选：{', '.join(TABLES)}）", f"unknown table {table} (one of: {', '.join(TABLES)})")
    if reveal:
        cs = changeset_of(session)
        session.add(
            AuditEntry(
                changeset_id=cs.id,
                action="reveal",
                table_name=table,
                row_id=0,
                person_id=None,
                before=None,
                after={"field": "id_number", "export": path.name, "rows": len(rows)},
                reason=reveal_why.strip(),
            )
        )  # type: ignore[union-attr]
        session.flush()
    write(cols, rows, path, fmt)
    return len(rows)


def count_rows(session: Session, table: str) -> int:
    model = {"orgs": OrgUnit, "households": Household, "persons": Person, "events": Event}[table]
    return session.scalar(select(func.count()).select_from(model)) or 0
