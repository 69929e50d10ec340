"""The area rule of imports (renkou.exchange.area), applied by the importer itself: an officer bound to a
township imports nothing outside it, and a row outside it is refused with the same words whatever the
register holds — whether the person exists elsewhere, whether a guessed name is right, when they died."""

import re

import pytest
from sqlalchemy import func, select

from renkou.auth.officer import Forbidden, Officer
from renkou.auth.roles import Role
from renkou.auth.scope import Scope
from renkou.errors import ValidationFailed
from renkou.exchange import importer, templates
from renkou.registry import events
from renkou.storage.schema import Event, OrgUnit, Person
from tests.exchange.test_import import TODAY, prow, write_csv
from tests.helpers import ACTOR, SYSTEM, T1, V1, V3, D, add_resident, build_units, pid

EV_COLS = [c.key for c in templates.columns("events")]


def ev(**kw):
    return [kw.get(c, "") for c in EV_COLS]


def officer(db, role: Role, unit: str) -> Officer:
    with db.read() as s:
        uid = s.scalar(select(OrgUnit.id).where(OrgUnit.code == unit))
        return Officer("xiang1", role, uid, Scope.for_unit(s, uid))


@pytest.fixture
def county(db):
    """Two townships; 赵二 lives in the other one (V3), 钱老 lived there and died in 2020."""
    build_units(db)
    with db.write(ACTOR) as s:
        add_resident(s, "赵一", "F", D(1985, 3, 1), V1, 1)
        far = add_resident(s, "赵二", "M", D(1986, 3, 1), V3, 2)
        dead = add_resident(s, "钱老", "M", D(1930, 1, 1), V3, 3)
        events.record(s, SYSTEM, "death", dead, D(2020, 5, 1))
        keys = {"far": far.id_number, "dead": dead.id_number}
    return db, keys, officer(db, Role.TOWNSHIP_OFFICER, T1)


def refused(db, kind, path, who) -> dict[int, list[tuple[str, str, str]]]:
    """Each refused row's problems: (field, rule, Chinese message with any masked key as KEY)."""
    with pytest.raises(ValidationFailed) as e:
        importer.run_import(db, kind, path, who, today=TODAY)
    out: dict[int, list[tuple[str, str, str]]] = {}
    for p in e.value.problems:
        out.setdefault(p.row, []).append((p.field, p.rule, re.sub(r"\S*\*+\S*", "KEY", p.zh)))
    return out


def test_a_row_outside_the_area_says_the_same_whatever_the_register_holds(county, tmp_path):
    db, keys, xiang1 = county
    new_far = pid(D(1987, 4, 4), "M", 9)  # nobody has it
    rows = [
        prow(keys["far"], name="赵二", birth="1986-03-01", hu=V3, ru=V3, ht="农业"),  # 2: exactly the record of another township
        prow(new_far, name="孙某", birth="1987-04-04", hu=V3, ru=V3),  # 3: an unregistered ID number, placed outside the area
        prow(keys["far"], name="赵二", birth="1986-03-01", hu=V3, ru=V3),  # 4: the right name guessed for a number
        prow(keys["far"], name="赵三", birth="1986-03-01", hu=V3, ru=V3),
    ]  # 5: a wrong name guessed for it
    said = refused(db, "persons", write_csv(tmp_path / "p.csv", "persons", rows), xiang1)
    expected = [("hukou_unit", "outside_area", said[2][0][2]), ("residence_unit", "outside_area", said[2][1][2])]
    assert "不在您的管辖范围内" in expected[0][2]
    assert [said[n] for n in (2, 3, 4, 5)] == [expected] * 4 and set(said) == {2, 3, 4, 5}


def test_an_area_row_with_somebody_elses_number_says_only_that_it_exists_elsewhere(county, tmp_path):
    db, keys, xiang1 = county
    rows = [
        prow(keys["far"], name="赵二", birth="1986-03-01"),  # the right name, placed in the area
        prow(keys["far"], name="错名", birth="1999-09-09", sex="女"),
    ]  # everything else wrong
    with pytest.raises(ValidationFailed) as e:
        importer.run_import(db, "persons", write_csv(tmp_path / "p.csv", "persons", rows), xiang1, today=TODAY)
    problems = [(p.row, p.field, p.value, p.rule, p.zh) for p in e.value.problems]
    first = problems[0]
    assert first[3] == "registered_elsewhere" and keys["far"] not in first[2] and "*" in first[2]
    assert problems == [first, (3, *first[1:])]  # row 3: no duplicate, no other problem: the same words
    assert e.value.result.unchanged == 0


def test_an_event_of_somebody_elsewhere_reveals_neither_them_nor_their_death(county, tmp_path):
    db, keys, xiang1 = county
    nobody = pid(D(1931, 2, 2), "M", 8)
    rows = [
        ev(kind="death", person=keys["dead"], date="2024-01-01"),  # died in 2020, in another township
        ev(kind="death", person=nobody, date="2024-01-01"),  # does not exist
        ev(kind="death", person=keys["dead"], date="2024-13-01"),  # and a bad date: still only "not found"
        ev(kind="death", person=nobody, date="2024-13-01"),
    ]
    said = refused(db, "events", write_csv(tmp_path / "e.csv", "events", rows), xiang1)
    assert said[2] == said[3] == said[4] == said[5] == [("person", "unknown_person", "找不到身份证号或临时编号为 KEY 的人员")]
    assert not any("2020" in m for row in said.values() for _, _, m in row)
    # the system (the command line) has no area: the same death is refused for what it is
    with pytest.raises(ValidationFailed) as e:
        importer.run_import(db, "events", write_csv(tmp_path / "e1.csv", "events", rows[:1]), SYSTEM, today=TODAY)
    assert {p.rule for p in e.value.problems} == {"after_death"} and "2020-05-01" in e.value.problems[0].zh


def test_rows_in_the_area_import_and_only_an_import_permission_imports(county, tmp_path):
    db, keys, xiang1 = county
    path = write_csv(tmp_path / "p.csv", "persons", [prow(pid(D(1990, 1, 1), "F", 11), name="王芳", sex="女", birth="1990-01-01")])
    with db.read() as s:
        v1 = s.scalar(select(OrgUnit.id).where(OrgUnit.code == V1))
        worker = Officer("cun1", Role.VILLAGE_WORKER, v1, Scope.for_unit(s, v1))
    with pytest.raises(Forbidden):
        importer.run_import(db, "persons", path, worker, today=TODAY)
    res = importer.run_import(db, "persons", path, xiang1, today=TODAY)
    assert res.created == 1
    with db.read() as s:
        assert s.scalar(select(func.count(Person.id))) == 4 and s.scalar(select(func.count(Event.id))) == 5
