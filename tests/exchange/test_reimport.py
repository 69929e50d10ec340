"""Re-importing is idempotent in every case an office meets, and a real difference is refused, not merged."""

import pytest
from sqlalchemy import func, select, text

from renkou.errors import ValidationFailed
from renkou.exchange import importer, templates
from renkou.registry import events, orgs
from renkou.storage.schema import Event, Person
from tests.exchange.test_import import TODAY, prow, write_csv
from tests.helpers import ACTOR, COUNTY, SYSTEM, T1, V2, D, build_units, pid

EV_COLS = [c.key for c in templates.columns("events")]


def ev(**kw):
    return [kw.get(c, "") for c in EV_COLS]


def n_events(db):
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Event))


def test_a_file_with_a_death_imports_twice(db, tmp_path):
    build_units(db)
    a = pid(D(1940, 1, 1), "M", 1)
    importer.run_import(db, "persons", write_csv(tmp_path / "p.csv", "persons", [prow(a, birth="1940-01-01")]), SYSTEM, today=TODAY)
    path = write_csv(tmp_path / "e.csv", "events", [ev(kind="death", person=a, date="2023-12-30")])
    assert importer.run_import(db, "events", path, SYSTEM, today=TODAY).created == 1
    again = importer.run_import(db, "events", path, SYSTEM, today=TODAY)
    assert (again.created, again.unchanged) == (0, 1)


def test_importing_what_was_corrected_adds_nothing(db, tmp_path):
    build_units(db)
    a, b = pid(D(1990, 1, 1), "F", 1), pid(D(1989, 1, 1), "M", 2)
    importer.run_import(
        db,
        "persons",
        write_csv(tmp_path / "p.csv", "persons", [prow(a, sex="女", birth="1990-01-01"), prow(b, birth="1989-01-01")]),
        SYSTEM,
        today=TODAY,
    )
    path = write_csv(tmp_path / "e.csv", "events", [ev(kind="marriage", person=a, partner=b, date="2015-10-01")])
    importer.run_import(db, "events", path, SYSTEM, today=TODAY)
    with db.write(ACTOR) as s:
        first = s.scalar(select(Event.id).where(Event.kind == "marriage"))
        events.correct(s, SYSTEM, first, reason="日期有误", date=D(2015, 10, 2))
    before = n_events(db)
    # both the original file and a file with the corrected date are already known
    assert importer.run_import(db, "events", path, SYSTEM, today=TODAY).unchanged == 1
    fixed = write_csv(tmp_path / "e2.csv", "events", [ev(kind="marriage", person=a, partner=b, date="2015-10-02")])
    assert importer.run_import(db, "events", fixed, SYSTEM, today=TODAY).unchanged == 1
    assert n_events(db) == before


def test_orgs_file_reimports_after_a_rename_but_a_different_file_is_refused(db, tmp_path):
    rows = [[COUNTY, "测试县", "county", "", "1980-01-01", "", ""], [T1, "甲镇", "township", COUNTY, "1980-01-01", "121", ""]]
    path = write_csv(tmp_path / "o.csv", "orgs", rows)
    importer.run_import(db, "orgs", path, SYSTEM, today=TODAY)
    with db.write(ACTOR) as s:
        orgs.rename(s, T1, "甲街道", D(2020, 1, 1))
    assert importer.run_import(db, "orgs", path, SYSTEM, today=TODAY).unchanged == 2
    rows[1][5] = "111"  # a different urban-rural class is a real difference
    with pytest.raises(ValidationFailed) as e:
        importer.run_import(db, "orgs", write_csv(tmp_path / "o2.csv", "orgs", rows), SYSTEM, today=TODAY)
    assert [(p.row, p.rule) for p in e.value.result.problems] == [(3, "conflicts_existing")]


def test_giving_an_id_number_to_a_temp_key_person_is_refused_not_crashed(db, tmp_path):
    build_units(db)
    importer.run_import(
        db,
        "persons",
        write_csv(tmp_path / "a.csv", "persons", [prow(temp="T-9", name="婴", birth="2024-01-01", hu="", ru="", ht="")]),
        SYSTEM,
        today=TODAY,
    )
    idn = pid(D(2024, 1, 1), "M", 9)
    with pytest.raises(ValidationFailed) as e:
        importer.run_import(
            db,
            "persons",
            write_csv(tmp_path / "b.csv", "persons", [prow(idn, temp="T-9", name="婴", birth="2024-01-01", hu="", ru="", ht="")]),
            SYSTEM,
            today=TODAY,
        )
    p = e.value.result.problems[0]
    assert (p.row, p.rule) == (2, "conflicts_existing") and "id_number" in p.params["fields"]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1


def test_a_person_row_with_another_village_is_a_conflict_not_unchanged(db, tmp_path):
    build_units(db)
    a = pid(D(1980, 1, 1), "M", 1)
    importer.run_import(db, "persons", write_csv(tmp_path / "a.csv", "persons", [prow(a)]), SYSTEM, today=TODAY)
    with pytest.raises(ValidationFailed) as e:
        importer.run_import(db, "persons", write_csv(tmp_path / "b.csv", "persons", [prow(a, hu=V2, ru=V2)]), SYSTEM, today=TODAY)
    assert "hukou_unit" in e.value.result.problems[0].params["fields"]


def test_truncate_is_refused_on_postgresql(db):
    if db.dialect != "postgresql":
        assert db.dialect == "sqlite"  # SQLite has no TRUNCATE statement; DELETE is refused by triggers
        return
    with pytest.raises(Exception, match="not allowed"):
        with db.engine.begin() as c:
            c.execute(text("TRUNCATE audit_entry"))
