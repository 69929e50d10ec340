"""SQLite and PostgreSQL give the same answers: the demo county loaded into both, every unit's
population on several dates, and every person's derived state, compared value for value."""

import datetime as dt

import pytest
from sqlalchemy import select

from renkou.demo import fixture
from renkou.registry import asof
from renkou.registry.orgs import Hierarchy
from renkou.storage import migrate
from renkou.storage.schema import Person
from tests.conftest import BACKENDS, make_db

DATES = [dt.date(1990, 1, 1), dt.date(2015, 1, 1), dt.date(2021, 6, 29), dt.date(2021, 6, 30), dt.date(2026, 11, 1)]


def answers(db) -> dict:
    out = {}
    with db.read() as s:
        for d in DATES:
            h = Hierarchy.as_of(s, d)
            for basis in ("hukou", "current"):
                for _depth, u in h.walk():
                    pc = asof.population(s, u.code, d, basis, hierarchy=h)
                    out[(d, basis, u.code)] = (u.name, pc.male, pc.female)
        people = list(s.scalars(select(Person).order_by(Person.id_number, Person.temp_key)))
        st = asof.states(s, people, dt.date(2026, 11, 1))
        for p in people:
            x = st[p.id]
            out[("person", p.id_number or p.temp_key)] = (
                x.alive,
                x.age,
                x.hukou_unit,
                x.residence_unit,
                x.household,
                x.relation,
                x.marital_status,
                x.living_children,
            )
    return out


@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs PostgreSQL; CI always has it (conftest refuses to run without)")
def test_sqlite_and_postgresql_agree_on_the_demo_county(tmp_path):
    results = []
    for backend in ("sqlite", "postgresql"):
        db, cleanup = make_db(backend, tmp_path)
        try:
            migrate.upgrade(db)
            fixture.load(db, households_per_village=8)
            results.append(answers(db))
        finally:
            cleanup()
    lite, pg = results
    assert len(lite) > 100
    assert lite == pg
