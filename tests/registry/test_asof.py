"""The as-of population changes exactly with each birth, death and move; person state is derived."""

from renkou.registry import asof, events, orgs, persons
from tests.helpers import ACTOR, COUNTY, SYSTEM, T1, T2, V1, V3, D, add_resident, build_units, pid


def totals(s, date, basis="residence"):
    pc = asof.population(s, COUNTY, date, basis)
    return pc.total, {c.code: c.total for c in pc.children}


def test_population_follows_births_deaths_and_moves(db):
    build_units(db)
    with db.write(ACTOR) as s:
        mother = add_resident(s, "母", "F", D(1990, 3, 1), V1, 1)
        father = add_resident(s, "父", "M", D(1988, 7, 9), V1, 2)
        grandpa = add_resident(s, "祖", "M", D(1940, 1, 1), V3, 3)
        events.record(s, SYSTEM, "marriage", father, D(2012, 5, 1), partner=mother, source="civil_affairs")
    with db.read() as s:
        assert totals(s, D(2020, 1, 1)) == (3, {T1: 2, T2: 1})
    with db.write(ACTOR) as s:
        baby = persons.add_person(s, SYSTEM, name="婴", sex="F", birth_date=D(2020, 12, 31), temp_key="T-BABY-1")
        v1 = orgs.get_unit(s, V1)
        events.record(
            s, SYSTEM, "birth", baby, D(2020, 12, 31), source="hospital", mother=mother, father=father, hukou_unit=v1, residence_unit=v1
        )
        events.record(s, SYSTEM, "death", grandpa, D(2021, 3, 15), source="police")
        events.record(s, SYSTEM, "move", father, D(2021, 8, 1), scope="residence", residence_unit=orgs.get_unit(s, V3))
        events.record(s, SYSTEM, "move", mother, D(2022, 2, 1), scope="both", destination_code="440305")
    with db.read() as s:
        assert totals(s, D(2020, 12, 30)) == (3, {T1: 2, T2: 1})
        assert totals(s, D(2020, 12, 31)) == (4, {T1: 3, T2: 1})  # born on the last day: counted at its end
        assert totals(s, D(2021, 3, 14)) == (4, {T1: 3, T2: 1})
        assert totals(s, D(2021, 3, 15)) == (3, {T1: 3, T2: 0})  # died that day
        assert totals(s, D(2021, 8, 1)) == (3, {T1: 2, T2: 1})  # moved within the county
        assert totals(s, D(2022, 2, 1)) == (2, {T1: 1, T2: 1})  # moved out of the county
        # hukou basis: the residence move changed nothing; the 'both' move took the mother's hukou away
        assert totals(s, D(2021, 8, 1), "hukou") == (3, {T1: 3, T2: 0})
        assert totals(s, D(2022, 2, 1), "hukou") == (2, {T1: 2, T2: 0})
        by_sex = asof.population(s, COUNTY, D(2021, 1, 1))
        assert (by_sex.male, by_sex.female) == (2, 2)


def test_person_state_age_marriage_children_household(db):
    build_units(db)
    with db.write(ACTOR) as s:
        mother = add_resident(s, "母", "F", D(1990, 3, 1), V1, 1)
        father = add_resident(s, "父", "M", D(1988, 7, 9), V1, 2)
        events.record(s, SYSTEM, "marriage", father, D(2012, 5, 1), partner=mother)
        v1 = orgs.get_unit(s, V1)
        hh = persons.create_household(s, SYSTEM, number="H1", unit=v1, created_on=D(2012, 5, 1))
        events.record(s, SYSTEM, "household", father, D(2012, 5, 1), household=hh, relation="head")
        kids = []
        for i, (b, sex) in enumerate(((D(2013, 4, 1), "M"), (D(2016, 9, 9), "F"))):
            k = persons.add_person(s, SYSTEM, name=f"子{i}", sex=sex, birth_date=b, id_number=pid(b, sex, 20 + i))
            events.record(
                s, SYSTEM, "birth", k, b, mother=mother, father=father, hukou_unit=v1, residence_unit=v1, household=hh, relation="child"
            )
            kids.append(k)
        events.record(s, SYSTEM, "death", kids[0], D(2019, 1, 1))
        events.record(s, SYSTEM, "divorce", father, D(2023, 1, 1), partner=mother)
    with db.read() as s:
        st = asof.person_state(s, mother, D(2017, 1, 1))
        assert (st.age, st.marital_status, st.spouse_id, st.living_children) == (26, "married", father.id, 2)
        assert asof.person_state(s, mother, D(2019, 1, 1)).living_children == 1
        assert asof.person_state(s, mother, D(2011, 1, 1)).marital_status == "never"
        assert asof.person_state(s, father, D(2024, 1, 1)).marital_status == "divorced"
        fst = asof.person_state(s, father, D(2013, 1, 1))
        assert (fst.household, fst.relation, fst.residence_unit, fst.hukou_type) == ("H1", "head", V1, "agricultural")
        k = asof.person_state(s, kids[1], D(2016, 9, 8))
        assert k.alive is False and k.age is None
        members = asof.household_members(s, persons.get_household(s, "H1"), D(2017, 1, 1))
        assert [(m.name, rel) for m, rel in members] == [("父", "head"), ("子0", "child"), ("子1", "child")]
        assert [m.name for m, _ in asof.household_members(s, persons.get_household(s, "H1"), D(2019, 1, 1))] == ["父", "子1"]
        births = [e for e in events.timeline(s, mother) if e.kind == "birth"]
        assert [asof.birth_order(s, e) for e in births] == [1, 2]  # the first child was alive at the second birth
