import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from renkou.core import idnumber
from renkou.core.idnumber import check_char
from renkou.errors import UserError, ValidationFailed
from renkou.exchange import importer, templates
from renkou.registry import asof, persons
from renkou.storage.schema import Changeset, Event, ImportBatch, Person
from tests.helpers import ACTOR, COUNTY, SYSTEM, T1, V1, V2, D, build_units, pid
from tests.xlsx_kit import cut_short, declare_dimension, missing_shared_string, rewrite_sheet, write_xlsx

TODAY = dt.date(2026, 11, 1)
HEAD = [c.zh for c in templates.columns("persons")]


def write_csv(path: Path, kind: str, rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow([c.zh for c in templates.columns(kind)])
        w.writerows(rows)
    return path


def prow(idn="", name="张三", sex="男", birth="1980-01-01", eth="汉族", ht="农业", hu=V1, ru=V1, hh="", rel="", temp="", reg=""):
    return [idn, temp, name, sex, birth, eth, ht, hu, ru, hh, rel, reg]


def count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_ten_kinds_of_error_refuse_the_whole_file(db, tmp_path):
    build_units(db)
    good = pid(D(1980, 1, 1), "M", 1)
    rows = [
        prow(good),  # row 2: fine
        prow(good[:-1] + ("0" if good[-1] != "0" else "1")),  # 3: wrong check character
        prow("41010219800230001" + check_char("41010219800230001")),  # 4: 30 February inside the number
        prow("41010219800101001"),  # 5: 17 characters
        prow(pid(D(1980, 1, 2), "M", 2), name=""),  # 6: no name
        prow(pid(D(1980, 1, 3), "M", 3), sex="未知"),  # 7: bad sex
        prow(pid(D(1980, 1, 4), "M", 4), birth="1980-13-01"),  # 8: bad date
        prow(pid(D(1980, 1, 5), "M", 5), birth="2999-01-01"),  # 9: future date
        prow(pid(D(1980, 1, 6), "M", 6), hu="410102999999", ru="410102999999"),  # 10: unknown unit
        prow(good),  # 11: duplicate of row 2
        prow(pid(D(1980, 1, 7), "M", 7), hh="NOPE"),  # 12: unknown household
        prow(pid(D(1980, 1, 8), "M", 8), eth="火星族"),  # 13: bad ethnicity
        prow(""),  # 14: neither ID nor temporary key
    ]
    path = write_csv(tmp_path / "persons.csv", "persons", rows)
    with pytest.raises(ValidationFailed) as e:
        importer.run_import(db, "persons", path, SYSTEM, today=TODAY)
    res = e.value.result
    got = {(p.row, p.field, p.rule) for p in res.problems}
    assert got == {
        (3, "id_number", "id_check"),
        (4, "id_number", "id_date"),
        (5, "id_number", "id_length"),
        (6, "name", "required"),
        (7, "sex", "bad_choice"),
        (8, "birth_date", "bad_date"),
        (9, "birth_date", "future_date"),
        (10, "hukou_unit", "unknown_org"),
        (10, "residence_unit", "unknown_org"),
        (11, "id_number", "duplicate_in_file"),
        (12, "household", "unknown_household"),
        (13, "ethnicity", "bad_choice"),
        (14, "id_number", "id_or_temp_key"),
    }
    for p in res.problems:
        assert p.zh and p.en and "{" not in p.zh + p.en
    assert next(p for p in res.problems if p.rule == "bad_choice" and p.field == "sex").value == "未知"
    assert count(db, Person) == 0 and count(db, Event) == 0 and count(db, ImportBatch) == 0  # nothing changed
    report = tmp_path / "errors.xlsx"
    importer.write_report(res, report)
    ws = load_workbook(report).active
    lines = list(ws.iter_rows(values_only=True))
    assert lines[0][:4] == ("行 Row", "列 Column", "值 Value", "规则 Rule")
    assert ("3", "id_number") == lines[1][:2] and lines[1][3] == "id_check" and "校验码" in lines[1][4] and "check character" in lines[1][5]
    assert len([x for x in lines[1:] if x[6] == "错误 error"]) == len(res.problems)
    # ID numbers whose birth date differs from the recorded one are findings, listed but not errors
    assert {x[3] for x in lines[1:] if x[6] == "提示 warning"} == {"id_birth_mismatch"}


def test_reimport_creates_no_duplicates_and_conflicts_are_refused(db, tmp_path):
    build_units(db)
    rows = [prow(pid(D(1980, 1, i), "M", i), name=f"人{i}") for i in range(1, 6)]
    path = write_csv(tmp_path / "p.csv", "persons", rows)
    first = importer.run_import(db, "persons", path, SYSTEM, today=TODAY)
    assert (first.rows, first.created, first.unchanged, first.previously_imported) == (5, 5, 0, False)
    again = importer.run_import(db, "persons", path, SYSTEM, today=TODAY)
    assert (again.created, again.unchanged, again.previously_imported) == (0, 5, True)
    assert count(db, Person) == 5 and count(db, Event) == 5
    rows[2][2] = "改名"
    with pytest.raises(ValidationFailed) as e:
        importer.run_import(db, "persons", write_csv(tmp_path / "p2.csv", "persons", rows), SYSTEM, today=TODAY)
    assert [(p.row, p.rule) for p in e.value.result.problems] == [(4, "conflicts_existing")]
    with db.read() as s:
        assert asof.population(s, COUNTY, TODAY).total == 5


def test_xlsx_and_gb18030_csv_import_with_english_headers(db, tmp_path):
    build_units(db)
    wb = Workbook()
    ws = wb.active
    ws.append([c.key for c in templates.columns("persons")])
    ws.append(prow(pid(D(1990, 5, 6), "F", 1), name="李梅", sex="女", birth="1990-05-06")[:4] + [dt.datetime(1990, 5, 6)] + prow()[5:])
    ws.append(prow(pid(D(1991, 5, 6), "F", 2), name="李兰", sex="F", birth="19910506"))
    wb.save(tmp_path / "p.xlsx")
    res = importer.run_import(db, "persons", tmp_path / "p.xlsx", SYSTEM, today=TODAY)
    assert res.created == 2
    gbk = write_csv(tmp_path / "gbk.csv", "persons", [prow(pid(D(1970, 2, 2), "M", 3), name="欧阳锋")], encoding="gb18030")
    assert importer.run_import(db, "persons", gbk, SYSTEM, today=TODAY).created == 1
    with db.read() as s:
        assert sorted(s.scalars(select(Person.name))) == sorted(["李梅", "李兰", "欧阳锋"])


def test_missing_and_unknown_columns_are_reported_on_row_1(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("姓名,鞋码\n张三,42\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as e:
        importer.run_import(db, "persons", path, SYSTEM, today=TODAY)
    rules = {p.rule for p in e.value.result.problems}
    assert rules == {"no_columns", "unknown_columns"} and all(p.row == 1 for p in e.value.result.problems)


def test_orgs_households_and_events_import(db, tmp_path):
    orgs_rows = [
        [COUNTY, "测试县", "county", "", "1980-01-01", "", ""],
        [T1, "甲镇", "乡镇街道", COUNTY, "1980-01-01", "121", ""],
        [V1, "一村", "village", T1, "1980-01-01", "220", ""],
        [V2, "二村", "村居", T1, "1980-01-01", "220", ""],
    ]
    assert importer.run_import(db, "orgs", write_csv(tmp_path / "o.csv", "orgs", orgs_rows), SYSTEM, today=TODAY).created == 4
    assert importer.run_import(db, "orgs", write_csv(tmp_path / "o.csv", "orgs", orgs_rows), SYSTEM, today=TODAY).unchanged == 4
    hh = importer.run_import(
        db, "households", write_csv(tmp_path / "h.csv", "households", [["H1", V1, "1号", "2000-01-01"]]), SYSTEM, today=TODAY
    )
    assert hh.created == 1
    mum, dad = pid(D(1990, 1, 1), "F", 1), pid(D(1988, 1, 1), "M", 2)
    people = [
        prow(mum, name="母", sex="女", birth="1990-01-01", hh="H1", rel="配偶"),
        prow(dad, name="父", birth="1988-01-01", hh="H1", rel="户主"),
        prow(temp="T-1", name="婴", sex="女", birth="2024-03-03", hu="", ru="", ht=""),
    ]
    assert importer.run_import(db, "persons", write_csv(tmp_path / "p.csv", "persons", people), SYSTEM, today=TODAY).created == 3
    cols = [c.key for c in templates.columns("events")]

    def ev(**kw):
        return [kw.get(c, "") for c in cols]

    evs = [
        ev(kind="结婚", person=dad, date="2015-05-01", partner=mum),
        ev(
            kind="birth",
            person="T-1",
            date="2024-03-03",
            mother=mum,
            father=dad,
            hukou_unit=V1,
            residence_unit=V1,
            household="H1",
            relation="子女",
        ),
        ev(kind="move", person=dad, date="2025-01-01", scope="residence", residence_unit=V2),
    ]
    path = write_csv(tmp_path / "e.csv", "events", evs)
    assert importer.run_import(db, "events", path, SYSTEM, today=TODAY).created == 3
    assert importer.run_import(db, "events", path, SYSTEM, today=TODAY).unchanged == 3
    bad = [
        ev(kind="death", person=dad, date="2020-01-01"),
        ev(kind="move", person=dad, date="2021-01-01", scope="residence", residence_unit=V1),
        ev(kind="marriage", person="NOBODY", date="2020-01-01", partner=mum),
        ev(kind="disability", person=mum, date="2020-01-01", grade="七"),
    ]
    with pytest.raises(ValidationFailed) as e:
        importer.run_import(db, "events", write_csv(tmp_path / "bad.csv", "events", bad), SYSTEM, today=TODAY)
    assert {(p.row, p.rule) for p in e.value.result.problems} == {(3, "after_death"), (4, "unknown_person"), (5, "bad_int")}
    with db.read() as s:
        pc = asof.population(s, T1, D(2025, 1, 1), "current")  # where they live: the move to V1 counts at once
        assert {c.code: c.total for c in pc.children} == {V1: 2, V2: 1}
        assert asof.person_state(s, s.scalar(select(Person).where(Person.temp_key == "T-1")), TODAY).household == "H1"


def test_progress_is_reported(db, tmp_path):
    build_units(db)
    rows = [prow(pid(D(1980, 1, 1) + dt.timedelta(days=i), "M", i), name=f"人{i}") for i in range(30)]
    seen: list[tuple[int, int]] = []
    importer.run_import(
        db, "persons", write_csv(tmp_path / "p.csv", "persons", rows), SYSTEM, today=TODAY, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (30, 30)


def test_bulk_path_rebuilds_indexes_and_rolls_back_whole(db, tmp_path, monkeypatch):
    """Large files load with SQLite's plain indexes rebuilt afterwards; the schema is the same after a
    successful load and after a refused one."""
    from renkou.storage import migrate

    build_units(db)
    monkeypatch.setattr(importer, "BULK_ROWS", 2)
    rows = [
        prow(
            pid(D(1980, 1, 1) + dt.timedelta(days=i), "F", i),
            name=f"人{i}",
            sex="女",
            birth=(D(1980, 1, 1) + dt.timedelta(days=i)).isoformat(),
        )
        for i in range(20)
    ]
    bad = rows + [prow("123")]
    with pytest.raises(ValidationFailed):
        importer.run_import(db, "persons", write_csv(tmp_path / "bad.csv", "persons", bad), SYSTEM, today=TODAY)
    assert migrate.drift(db) == [] and count(db, Person) == 0
    assert importer.run_import(db, "persons", write_csv(tmp_path / "ok.csv", "persons", rows), SYSTEM, today=TODAY).created == 20
    assert migrate.drift(db) == []
    with db.read() as s:
        assert asof.population(s, COUNTY, TODAY).female == 20


# ---------------------------------------------------------------------- hostile and malformed files


def test_an_xlsx_declaring_fewer_rows_than_it_holds_imports_every_row(db, tmp_path):
    build_units(db)
    rows = [HEAD, *[prow(pid(D(1980, 1, i), "F", i), name=f"人{i}") for i in range(1, 6)]]
    path = rewrite_sheet(write_xlsx(tmp_path / "p.xlsx", rows), declare_dimension("A1:L2"))
    res = importer.run_import(db, "persons", path, SYSTEM, today=TODAY)
    assert (res.rows, res.created) == (5, 5)
    assert count(db, Person) == 5


@pytest.mark.parametrize("damage", [cut_short(0.7), missing_shared_string("C4")], ids=["cut-short", "missing-shared-string"])
def test_a_damaged_xlsx_is_refused_and_changes_nothing(db, tmp_path, damage):
    build_units(db)
    rows = [HEAD, *[prow(pid(D(1980, 1, i), "F", i), name=f"人{i}") for i in range(1, 6)]]
    path = rewrite_sheet(write_xlsx(tmp_path / "p.xlsx", rows), damage)
    with pytest.raises(UserError) as e:
        importer.run_import(db, "persons", path, SYSTEM, today=TODAY)
    assert "无法读取该 Excel 文件" in e.value.zh and "cannot read the Excel file" in e.value.en
    assert count(db, Person) == 0 and count(db, Event) == 0 and count(db, ImportBatch) == 0


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_header_only_file_is_nothing_to_import(db, tmp_path, suffix):
    build_units(db)
    path = write_csv(tmp_path / "p.csv", "persons", []) if suffix == "csv" else write_xlsx(tmp_path / "p.xlsx", [HEAD])
    changesets = count(db, Changeset)
    with pytest.raises(UserError) as e:
        importer.run_import(db, "persons", path, SYSTEM, today=TODAY)
    assert "没有可导入的内容" in e.value.zh and "nothing to import" in e.value.en
    assert count(db, ImportBatch) == 0 and count(db, Changeset) == changesets  # no empty batch, no change at all


HUGE = "4" * 5_000_000
GOOD = pid(D(1980, 1, 1), "F", 1)


@pytest.mark.parametrize(
    ("kind", "row", "field", "rule"),
    [
        # text longer than the column that would hold it
        ("households", ["H" + HUGE, V1, "", "2000-01-01"], "number", "too_long"),
        ("households", ["H1", V1, "路" * 201, "2000-01-01"], "address", "too_long"),
        ("persons", prow(GOOD, name="张" * 51), "name", "too_long"),
        ("persons", prow(temp="T" * 33), "temp_key", "too_long"),
        ("persons", prow(GOOD, eth="汉" * 65), "ethnicity", "too_long"),
        ("orgs", ["410102300000" + HUGE, "丙镇", "township", COUNTY, "2000-01-01", "", ""], "code", "too_long"),
        (
            "events",
            ["death", GOOD, "2020-01-01", "", "", "", "", "", "", "", "", "", "", "", "", "", "院" * 201, "", ""],
            "place",
            "too_long",
        ),
        # NUL, text-direction controls, a byte-order mark inside a value
        ("persons", prow(GOOD, name="张\x00三"), "name", "hidden_chars"),
        ("persons", prow(GOOD, name="张\u202e三"), "name", "hidden_chars"),
        ("persons", prow(GOOD, name="\u2066张三\u2069"), "name", "hidden_chars"),
        ("persons", prow(GOOD, name="张三\ufeff"), "name", "hidden_chars"),
        ("persons", prow(temp="\ufeffT1"), "temp_key", "hidden_chars"),
        ("persons", prow(GOOD, hu=V1 + "\u202d", ru=V1), "hukou_unit", "hidden_chars"),
        ("households", ["H\ufeff1", V1, "", "2000-01-01"], "number", "hidden_chars"),
        ("households", ["H1", V1, "一\u202a号", "2000-01-01"], "address", "hidden_chars"),
        ("orgs", ["410102300000", "丙\u202e镇", "township", COUNTY, "2000-01-01", "", ""], "name", "hidden_chars"),
        (
            "events",
            ["death", GOOD, "2020-01-01", "", "", "", "", "", "", "", "", "", "", "", "", "", "医\x00院", "", ""],
            "place",
            "hidden_chars",
        ),
        # an ID number of no place (000000), its check character right
        ("persons", prow(idnumber.make("000000", D(1980, 1, 1), 2)), "id_number", "id_address"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None,
)
def test_values_that_cannot_be_stored_as_given_are_refused(db, tmp_path, kind, row, field, rule):
    build_units(db)
    with db.write(ACTOR) as s:
        persons.add_person(s, SYSTEM, name="张三", sex="F", birth_date=D(1980, 1, 1), id_number=GOOD)
    before = (count(db, Person), count(db, Event), count(db, ImportBatch))
    path = write_csv(tmp_path / f"{kind}.csv", kind, [row])
    with pytest.raises(ValidationFailed) as e:
        importer.run_import(db, kind, path, SYSTEM, today=TODAY)
    found = [p for p in e.value.result.problems if (p.row, p.field, p.rule) == (2, field, rule)]
    assert found, e.value.result.problems
    p = found[0]
    assert p.zh and p.en and "{" not in p.zh + p.en
    assert len(p.value) < 300  # a report quotes a long value cut short, never megabytes
    if rule == "hidden_chars":
        assert "U+" in p.params["chars"] and "⟨U+" in p.value  # the invisible made visible
    assert (count(db, Person), count(db, Event), count(db, ImportBatch)) == before


def test_a_byte_order_mark_at_the_start_of_a_csv_file_is_fine(db, tmp_path):
    build_units(db)
    path = write_csv(tmp_path / "p.csv", "persons", [prow(GOOD)], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert importer.run_import(db, "persons", path, SYSTEM, today=TODAY).created == 1


@pytest.mark.parametrize(
    ("raw", "date"),
    [
        ("2023-02-03", D(2023, 2, 3)),
        ("2023/2/3", D(2023, 2, 3)),
        ("2023/02/03", D(2023, 2, 3)),
        ("2023.2.13", D(2023, 2, 13)),
        ("20230203", D(2023, 2, 3)),
        ("2023-2-3", D(2023, 2, 3)),
        (" 2023/12/31 ", D(2023, 12, 31)),
        ("2023/2/30", None),
        ("2023/13/1", None),
        ("23/2/3", None),
        ("2023/2/3/4", None),
        ("2023/002/3", None),
        ("2023/２/3", None),
        ("2023/+2/3", None),
        ("", None),
        ("二〇二三年", None),
    ],
)
def test_parse_date_takes_the_forms_the_docs_promise(raw, date):
    assert importer.parse_date(raw) == date


def test_a_slash_date_with_one_digit_month_and_day_imports(db, tmp_path):
    build_units(db)
    path = write_csv(tmp_path / "p.csv", "persons", [prow(pid(D(2023, 2, 3), "F", 1), birth="2023/2/3")])
    importer.run_import(db, "persons", path, SYSTEM, today=TODAY)
    with db.read() as s:
        assert s.scalar(select(Person.birth_date)) == D(2023, 2, 3)
