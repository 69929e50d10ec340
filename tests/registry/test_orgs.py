import pytest

from renkou.errors import NotFound, UserError, ValidationFailed
from renkou.registry import asof, orgs
from tests.helpers import ACTOR, COUNTY, T1, T2, V1, V2, V3, D, add_resident, build_units


def test_tree_as_of_a_date_and_renames(db):
    build_units(db)
    with db.write(ACTOR) as s:
        orgs.rename(s, T2, "乙镇", D(2015, 1, 1))
    with db.read() as s:
        before, after = orgs.Hierarchy.as_of(s, D(2014, 12, 31)), orgs.Hierarchy.as_of(s, D(2015, 1, 1))
        assert before.unit(T2).name == "乙乡" and after.unit(T2).name == "乙镇"
        assert [u.code for _, u in after.walk(COUNTY)] == [COUNTY, T1, V1, V2, T2, V3]
        assert after.subtree(T1) == {after.unit(c).id for c in (T1, V1, V2)}
        with pytest.raises(NotFound):
            orgs.Hierarchy.as_of(s, D(1979, 12, 31)).unit(COUNTY)
        assert [r["what"] for r in orgs.history(s, T2)] == ["version", "version"]


def test_village_merge_keeps_both_populations_countable(db):
    build_units(db)
    with db.write(ACTOR) as s:
        for i in range(3):
            add_resident(s, f"甲{i}", "M", D(1980, 1, 1 + i), V1, i)
        for i in range(2):
            add_resident(s, f"乙{i}", "F", D(1981, 1, 1 + i), V2, 10 + i)
        orgs.merge(s, [V2], V1, D(2021, 6, 30))
    with db.read() as s:
        before = asof.population(s, T1, D(2021, 6, 29))
        assert {c.code: c.total for c in before.children} == {V1: 3, V2: 2}
        after = asof.population(s, T1, D(2021, 6, 30))
        assert {c.code: c.total for c in after.children} == {V1: 5}
        assert before.total == after.total == 5
        # the retired village cannot be asked for after the merge, and says so
        with pytest.raises(NotFound):
            asof.population(s, V2, D(2022, 1, 1))
        assert asof.population(s, V2, D(2020, 1, 1)).total == 2
        assert orgs.history(s, V2)[-1] == {"date": D(2021, 6, 30), "what": "merge", "role": "predecessor", "other": V1}


def test_split_passes_people_to_the_primary_successor(db):
    build_units(db)
    with db.write(ACTOR) as s:
        add_resident(s, "丙", "M", D(1990, 5, 5), V3, 1)
        orgs.create_unit(s, code="410102200202", name="新四村", level="village", parent_code=T2, valid_from=D(2020, 1, 1))
        orgs.create_unit(s, code="410102200203", name="新五村", level="village", parent_code=T2, valid_from=D(2020, 1, 1))
        orgs.split(s, V3, ["410102200203", "410102200202"], D(2020, 1, 1))
    with db.read() as s:
        pc = asof.population(s, T2, D(2020, 1, 1))
        assert {c.code: c.total for c in pc.children} == {"410102200202": 0, "410102200203": 1}


def test_bad_units_are_refused_with_reasons(db):
    build_units(db)
    with db.write(ACTOR) as s:
        with pytest.raises(ValidationFailed) as e:
            orgs.create_unit(s, code="410199100201", name="错村", level="village", parent_code=T1, valid_from=D(2000, 1, 1))
        assert [p.rule for p in e.value.problems] == ["code_format"]
        with pytest.raises(ValidationFailed) as e:
            orgs.create_unit(s, code="410102100203", name="x", level="village", parent_code=COUNTY, valid_from=D(2000, 1, 1))
        assert "bad_parent_level" in [p.rule for p in e.value.problems]
        with pytest.raises(ValidationFailed) as e:
            orgs.create_unit(s, code=V1, name="重复", level="village", parent_code=T1, valid_from=D(2000, 1, 1))
        assert "conflicts_existing" in [p.rule for p in e.value.problems]
        with pytest.raises(UserError):
            orgs.merge(s, [V1], T1, D(2021, 1, 1))  # different levels
