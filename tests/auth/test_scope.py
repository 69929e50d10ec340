"""The access matrix in the service layer: an account sees its unit's subtree — own unit yes,
parent and sibling units no — on SQLite and PostgreSQL."""

import datetime as dt

import pytest

from helpers import ACTOR, COUNTY, SYSTEM, T1, T2, V1, V2, V3, add_resident, build_units
from renkou.auth.scope import Scope
from renkou.errors import NotFound
from renkou.registry import asof, events, orgs, persons

D = dt.date


@pytest.fixture
def people(db):
    build_units(db)
    with db.write(ACTOR) as s:
        made = {
            v: add_resident(s, f"王{v[-1]}", "F", D(1990, 1, 1), v, i + 1, registered=D(2000, 1, 1)).id_number
            for i, v in enumerate((V1, V2, V3))
        }
    return made


def scope_of(db, code, date=None):
    with db.read() as s:
        return Scope.for_unit(s, orgs.get_unit(s, code).id, date)


MATRIX = [  # account unit, persons of which villages it sees
    (V1, {V1}),
    (V2, {V2}),
    (T1, {V1, V2}),
    (T2, {V3}),
    (COUNTY, {V1, V2, V3}),
]


@pytest.mark.parametrize("unit, sees", MATRIX)
def test_persons_visible_by_unit(db, people, unit, sees):
    sc = scope_of(db, unit)
    with db.read() as s:
        for village, key in people.items():
            if village in sees:
                assert persons.get_person(s, key, scope=sc).id_number == key
            else:
                with pytest.raises(NotFound) as e:
                    persons.get_person(s, key, scope=sc)
                assert key not in e.value.en  # the message does not echo the full number either
        found = {p.id_number for p in persons.search(s, "王", scope=sc)}
    assert found == {people[v] for v in sees}


@pytest.mark.parametrize(
    "unit, allowed, refused",
    [
        (V1, [V1], [T1, V2, COUNTY]),
        (T1, [T1, V1, V2], [COUNTY, T2, V3]),
        (COUNTY, [COUNTY, T1, V3], []),
    ],
)
def test_population_only_inside_the_scope(db, people, unit, allowed, refused):
    sc = scope_of(db, unit)
    with db.read() as s:
        for code in allowed:
            assert asof.population(s, code, D(2020, 1, 1), scope=sc).code == code
        for code in refused:
            with pytest.raises(NotFound):
                asof.population(s, code, D(2020, 1, 1), scope=sc)


def test_a_move_changes_who_sees_the_person_from_its_date(db, people):
    with db.write(ACTOR) as s:
        p = persons.get_person(s, people[V1])
        events.record(
            s, SYSTEM, "move", p, D(2022, 5, 1), scope="both", hukou_unit=orgs.get_unit(s, V3), residence_unit=orgs.get_unit(s, V3)
        )
    v1, v3 = scope_of(db, V1), scope_of(db, V3)
    with db.read() as s:
        p = persons.find_person(s, people[V1])
        assert v1.has_person(s, p, D(2022, 4, 30)) and not v1.has_person(s, p, D(2022, 5, 1))
        assert v3.has_person(s, p, D(2022, 5, 1)) and not v3.has_person(s, p, D(2022, 4, 30))


def test_people_of_a_merged_village_pass_to_the_village_it_joined(db, people):
    with db.write(ACTOR) as s:
        orgs.merge(s, [V2], V1, D(2021, 1, 1))
    sc = scope_of(db, V1, D(2022, 1, 1))
    with db.read() as s:
        assert persons.get_person(s, people[V2], scope=sc)
        with pytest.raises(NotFound):
            persons.get_person(s, people[V3], scope=sc)
