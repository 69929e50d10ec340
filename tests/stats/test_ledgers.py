"""Ledgers equal the reports by construction, on a generated county; the engine equals the registry's
own as-of population; snapshots start a process from disk and catch up from the change feed."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.auth.officer import Officer
from renkou.config import Settings
from renkou.registry.asof import population
from renkou.registry.orgs import Hierarchy
from renkou.stats import ledgers, reports
from renkou.stats import model as model_mod
from renkou.stats.service import Stats
from renkou.storage import migrate
from renkou.storage.db import Actor, Database
from renkou.synth import build, store
from renkou.synth.county import COUNTY_CODE

PERIODS = ("2024", "2024-03", "2023Q4", "2024S1")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    path = tmp_path_factory.mktemp("ledgers") / "county.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    store.to_database(build.generate(8_000, 11, start_year=1950, end_year=2025), db)
    yield db
    db.dispose()


def _units(st: Stats, q, level: str) -> list[str]:
    u = st.counter(q).u
    return [u.views[i].code for i in st.positions(u, COUNTY_CODE, level)]


@pytest.mark.parametrize("period", PERIODS)
def test_every_ledger_matches_the_report_of_every_township_and_village(county, period):
    st = Stats(county, snapshot=False)
    q = st.query(period)
    checked = 0
    for level in ("township", "village"):
        for code in _units(st, q, level)[:12]:
            rep = reports.report(st, "monthly", code, q)
            total = rep.rows[-1]
            cell = lambda key: total.values[rep.column(key)]  # noqa: E731, B023 (called in this iteration only)
            births = ledgers.ledger(st, "births", code, q)
            assert len(births.rows) == cell("births")
            for order, key in ((1, "births_1"), (2, "births_2")):
                assert sum(1 for r in births.rows if r.values[births.column("order")] == order) == cell(key)
            assert sum(1 for r in births.rows if r.values[births.column("sex")] == "男") == cell("births_m")
            assert len(ledgers.ledger(st, "deaths", code, q).rows) == cell("deaths")
            moves = ledgers.ledger(st, "moves", code, q)
            assert sum(1 for r in moves.rows if r.values[moves.column("direction")] == "迁入") == cell("moves_in")
            assert sum(1 for r in moves.rows if r.values[moves.column("direction")] == "迁出") == cell("moves_out")
            vals = {
                v.code: v.value
                for v in st.indicators(code, q, codes=["marriages", "divorces", "women_15_49", "pop_end"], disaggregate=False)
            }
            mar = ledgers.ledger(st, "marriages", code, q)
            assert len(mar.rows) == vals["marriages"] + vals["divorces"]
            assert len(ledgers.ledger(st, "wcba", code, q).rows) == vals["women_15_49"]
            checked += 1
    assert checked > 5


def test_household_roster_lists_living_members_of_the_unit(county):
    st = Stats(county, snapshot=False)
    q = st.query("2024")
    code = _units(st, q, "village")[0]
    roster = ledgers.ledger(st, "households", code, q)
    members = sum(r.values[roster.column("members")] for r in roster.rows)
    pop = next(v.value for v in st.indicators(code, q, codes=["pop_end"], disaggregate=False))
    assert 0 < members <= pop
    assert all(r.values[roster.column("members")] >= 1 for r in roster.rows)
    assert all("*" in r.values[roster.column("head_id")] for r in roster.rows if r.values[roster.column("head_id")])


def test_ledgers_mask_id_numbers_and_an_audited_reveal_shows_them(county):
    st = Stats(county, snapshot=False)
    q = st.query("2024")
    masked = ledgers.ledger(st, "births", COUNTY_CODE, q)
    assert masked.rows and all("*" in r.values[masked.column("mother_id")] for r in masked.rows if r.values[masked.column("mother_id")])
    with pytest.raises(Exception, match="acting user|操作人"):
        ledgers.ledger(st, "births", COUNTY_CODE, q, reveal_why="核对出生")
    shown = ledgers.ledger(st, "births", COUNTY_CODE, q, reveal_why="核对出生", actor=Actor("tester", "cli", "pytest"))
    assert any(len(r.values[shown.column("mother_id")]) == 18 and "*" not in r.values[shown.column("mother_id")] for r in shown.rows)
    from renkou.registry import audit

    with county.read() as s:
        rows = audit.since(s, dt.datetime(2000, 1, 1))
    assert any(r.action == "reveal" and r.table == "ledger:births" and r.reason == "核对出生" for r in rows)


@pytest.mark.parametrize("date", [dt.date(1990, 6, 30), dt.date(2019, 12, 31), dt.date(2020, 1, 1), dt.date(2025, 12, 31)])
def test_engine_population_equals_the_registry_for_every_unit(county, date):
    st = Stats(county, Settings(resident_threshold_months=0), snapshot=False)
    with county.read() as s:
        h = Hierarchy.as_of(s, date)
        for basis, reg in (("hukou", "hukou"), ("resident", "current")):
            c = st.counter(st.query(f"{date.isoformat()}/{date.isoformat()}", basis=basis))
            end = c.value("pop_end")
            for u in [u for _, u in h.walk(COUNTY_CODE) if u.level in ("county", "township", "village")]:
                assert population(s, u.code, date, reg, hierarchy=h).total == end[c.u.index(u.code)], (basis, u.code)


def test_a_snapshot_starts_the_model_and_catches_up(county, tmp_path, monkeypatch):
    where = tmp_path / "snap"
    first = Stats(county, snapshot=where)
    q = first.query("2024")
    before = {v.unit_code: v.value for v in first.indicators(COUNTY_CODE, q, codes=["pop_end"], level="township", disaggregate=False)}
    assert (where / "meta.json").exists()

    def no_full_load(*a, **k):
        raise AssertionError("loaded from the database instead of the snapshot")

    monkeypatch.setattr(model_mod.Model, "load", classmethod(no_full_load))
    second = Stats(county, snapshot=where)
    after = {v.unit_code: v.value for v in second.indicators(COUNTY_CODE, q, codes=["pop_end"], level="township", disaggregate=False)}
    assert after == before
    total = lambda st: next(v.value for v in st.indicators(COUNTY_CODE, q, codes=["deaths"], disaggregate=False))  # noqa: E731
    deaths = total(first)
    sp = first.model().derived.spells
    living = sp.filter((model_mod.pl.col("end") >= model_mod.FAR) & (model_mod.pl.col("h") != 0))["person"].min()
    officer = Officer.system(Actor("tester", "cli", "pytest"))
    with county.write(officer.actor) as s:  # a change after the snapshot: read from the change feed
        from renkou.registry import events
        from renkou.storage.schema import Person

        events.record(s, officer, "death", s.get(Person, living), dt.date(2024, 12, 31))
    third = Stats(county, snapshot=where)
    assert total(third) == deaths + 1
    assert third.model().seq == first.model().seq
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    migrate.upgrade(other)
    with pytest.raises(AssertionError, match="instead of the snapshot"):  # another database's snapshot is not used
        Stats(other, snapshot=where).model()
    other.dispose()


@pytest.mark.parametrize("date", [dt.date(2019, 12, 31), dt.date(2020, 1, 1), dt.date(2025, 12, 31)])
def test_the_model_places_people_in_an_area_as_the_event_log_does(county, date):
    """Stats.locate / Stats.members (the web pages' scope checks) against Scope.person_ids (SQL over the
    event log) for the county, every township and a sample of villages, across the 2020 village merge."""
    from sqlalchemy import select

    from renkou.auth.scope import Scope
    from renkou.storage.schema import OrgUnit, Person

    st = Stats(county, snapshot=False)
    with county.read() as s:
        everyone = list(s.scalars(select(Person.id)))
        h = Hierarchy.as_of(s, date)
        units = [u for _, u in h.walk(COUNTY_CODE) if u.level == "township"]
        units += [u for _, u in h.walk(COUNTY_CODE) if u.level == "village"][::7]
        where = st.locate(everyone, date)
        checked = 0
        for u in units:
            scope = Scope.for_unit(s, s.scalar(select(OrgUnit.id).where(OrgUnit.code == u.code)), date)
            by_sql = set(s.scalars(select(scope.person_ids(date).subquery().c[0])))
            assert set(scope.located(where)) == by_sql, u.code
            members = st.members(scope.unit_ids, date, at_most=len(everyone))
            assert set(members) == by_sql, u.code
            if by_sql:
                assert st.members(scope.unit_ids, date, at_most=len(by_sql) - 1) is None
                p = s.get(Person, min(by_sql))
                assert scope.has_person(s, p, date, locate=st.locate) and scope.has_person(s, p, date)
            checked += len(by_sql)
        assert checked > 1_000
