"""The generated county: deterministic, well-formed codes, IDs and names, a full history, and data
the registry accepts — through its importer and written directly, with the same populations."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter

import numpy as np
import pytest
from sqlalchemy import func, select

from renkou.auth.officer import Officer
from renkou.core import codes, idnumber
from renkou.core.dates import EPOCH, day
from renkou.errors import UserError
from renkou.exchange import importer
from renkou.registry import asof
from renkou.storage import migrate
from renkou.storage.db import Actor, Database
from renkou.storage.schema import OrgSuccession, OrgUnit, Person
from renkou.synth import build, calibration, store
from renkou.synth import county as org
from renkou.synth.simulate import KINDS, NEVER, ORIGINS


@pytest.fixture(scope="module")
def small() -> build.County:
    return build.generate(6_000, 11)


@pytest.fixture(scope="module")
def files(small, tmp_path_factory):
    return store.to_files(small, tmp_path_factory.mktemp("county"))


def _digests(paths: dict) -> dict:
    return {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in paths.items()}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_byte_identical_files(tmp_path, fmt):
    a = store.to_files(build.generate(3_000, 5), tmp_path / "a", fmt=fmt)
    b = store.to_files(build.generate(3_000, 5), tmp_path / "b", fmt=fmt)
    c = store.to_files(build.generate(3_000, 6), tmp_path / "c", fmt=fmt)
    assert _digests(a) == _digests(b)
    assert _digests(a)["persons"] != _digests(c)["persons"]


def test_organisation_codes_levels_and_history(small):
    plan = small.pop.plan
    for u in plan.units:
        parent = plan.units[u.parent].code if u.parent >= 0 else None
        assert codes.check_code(u.level, u.code, parent if u.level != "county" else None) == [], u
        if u.urban_rural:
            assert u.urban_rural in codes.URBAN_RURAL_CLASSES
    levels = Counter(u.level for u in plan.units)
    n_town, per = org.sizes(6_000)
    assert levels["township"] == n_town and levels["village"] >= n_town * 3 and levels["group"] > levels["village"]
    assert {plan.units[i].unit_kind for i in plan.work_units} >= {"school", "hospital", "bureau", "enterprise"}
    kinds = {codes.township_kind(u.code) for u in plan.units if u.level == "township"}
    assert kinds == {"street", "town", "township"}
    assert plan.renames and plan.merges
    assert len({u.code for u in plan.units}) == len(plan.units)


def test_id_numbers_are_valid_unique_and_agree_with_the_person(small):
    P = small.pop.people
    has = small.id_number != ""
    nums = small.id_number[has]
    assert len(set(nums.tolist())) == len(nums)
    births = (np.datetime64("1970-01-01") + P.birth[has].astype("timedelta64[D]")).astype("datetime64[D]").astype(str)
    for n, b, sex in zip(nums.tolist(), births.tolist(), P.sex[has].tolist(), strict=True):
        num = idnumber.parse(n)
        assert num.birth_date.isoformat() == b and (num.sex == "M") == (sex == 0)
    address = Counter(n[:6] for n in nums.tolist())
    assert address[org.COUNTY_CODE] and address[org.OLD_COUNTY_CODE]  # a retired county code is carried by older people
    assert sum(address[c] for c in ORIGINS) > 0  # and in-migrants carry their own county's code
    old = np.array([n[:6] == org.OLD_COUNTY_CODE for n in nums.tolist()])
    assert (P.birth[has][old] < day(org.RECODE_DATE)).all()
    assert (small.temp_key[P.registered] != "").sum() > 0  # the newest babies have no ID number yet


def test_fifteen_digit_numbers_appear_in_the_files_for_some_old_people(files):
    import polars as pl

    ids = pl.read_csv(files["persons"], infer_schema=False)["身份证号码"].fill_null("")
    fifteen = ids.filter(ids.str.len_chars() == 15).to_list()
    assert fifteen and all(idnumber.is_valid(n) for n in fifteen[:200])


def test_names_have_a_real_surname_distribution_and_namesakes():
    c = build.generate(20_000, 2)
    names = c.name[c.registered].tolist()
    surnames = Counter(n[0] for n in names)
    assert {s for s, _ in surnames.most_common(8)} & {"王", "李", "张", "刘", "陈"}
    assert all(2 <= len(n) <= 4 for n in names)
    assert Counter(names).most_common(1)[0][1] >= 3  # people share names, as they do


def test_children_take_their_fathers_surname_mostly(small):
    P = small.pop.people
    kids = np.flatnonzero((P.father >= 0) & P.registered & (small.pop.people.origin < 0))
    same = np.array([small.name[k][0] == small.name[f][0] for k, f in zip(kids.tolist(), P.father[kids].tolist(), strict=True)])
    assert 0.85 < same.mean() < 0.99


def test_the_history_has_every_kind_of_event_and_the_families_benefits_need(small):
    ev = small.pop.events
    kinds = Counter(KINDS[k] for k in ev["kind"][small.registered[ev["person"]]])
    assert set(kinds) == set(KINDS)
    scopes = Counter(ev["scope"][ev["kind"] == KINDS.index("move")].tolist())
    assert all(scopes[s] > 0 for s in (0, 1, 2)) or all(scopes[s] > 0 for s in (0, 2))
    P = small.pop.people
    end = small.pop.end_day
    alive = P.registered & (P.death > end)
    under3 = alive & (P.birth > end - 3 * 365)
    assert under3.sum() > 50
    # parents now 60 or over whose children were born 1973-2001
    b = (ev["kind"] == KINDS.index("birth")) & (ev["date"] >= day(dt.date(1973, 1, 1))) & (ev["date"] <= day(dt.date(2001, 12, 31)))
    mothers = np.unique(ev["mother"][b])
    old_mothers = mothers[(P.birth[mothers] <= end - 60 * 365) & alive[mothers]]
    assert len(old_mothers) > 200


def test_generated_files_pass_the_importer_and_match_the_direct_write(small, files, tmp_path, actor):
    via_import = Database(f"sqlite:///{tmp_path / 'import.db'}")
    migrate.upgrade(via_import)
    for kind in ("orgs", "households", "persons", "events"):
        res = importer.run_import(via_import, kind, files[kind], Officer.system(actor))
        assert res.n_problems == 0 and res.created == res.rows
    direct = Database(f"sqlite:///{tmp_path / 'direct.db'}")
    migrate.upgrade(direct)
    store.to_database(small, direct)
    date = dt.date(2010, 6, 30)  # before the merges and renames the import files do not carry
    for basis in ("hukou", "residence"):
        with via_import.read() as a, direct.read() as b:
            pa, pb = asof.population(a, org.COUNTY_CODE, date, basis), asof.population(b, org.COUNTY_CODE, date, basis)
        assert (pa.male, pa.female) == (pb.male, pb.female)
        assert [(k.code, k.total) for k in pa.children] == [(k.code, k.total) for k in pb.children]
    with via_import.read() as a, direct.read() as b:
        assert a.scalar(select(func.count()).select_from(Person)) == b.scalar(select(func.count()).select_from(Person))


def test_direct_write_agrees_with_the_generators_own_measure(small, db):
    """The registry's as-of population (SQL, through merges) equals the count the calibration
    measures from the same events — on SQLite and PostgreSQL."""
    store.to_database(small, db)
    m = calibration.Measure(small.pop)
    for date in (dt.date(1980, 12, 31), dt.date(2024, 12, 31)):
        for basis in ("hukou", "residence"):
            with db.read() as s:
                pc = asof.population(s, org.COUNTY_CODE, date, basis)
            assert pc.total == int(m.present(day(date), basis).sum()), (date, basis)
    with db.read() as s:
        merged = s.scalars(select(OrgSuccession)).all()
        assert len(merged) == len(small.pop.plan.merges)
        assert s.scalar(select(func.count()).select_from(OrgUnit)) == len(small.unit_code)


def test_direct_write_refuses_a_database_with_data_and_changes_nothing(small, db):
    store.to_database(small, db)
    with db.read() as s:
        before = s.scalar(select(func.count()).select_from(Person))
    with pytest.raises(UserError) as e:
        store.to_database(small, db)
    assert "empty" in e.value.en
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == before


@pytest.fixture
def actor() -> Actor:
    return Actor("tester", "import", "pytest")


def test_direct_write_stores_the_registrys_own_fingerprints(small, db):
    """So that importing the same events later finds them unchanged rather than new."""
    from renkou.registry.events import CONTENT, fingerprint
    from renkou.storage.schema import Event

    store.to_database(small, db)
    with db.read() as s:
        sample = s.scalars(select(Event).where(Event.id % 23 == 0)).all()
    assert {e.kind for e in sample} >= {"register", "birth", "death"}
    for e in sample:
        assert e.fingerprint == fingerprint({c: getattr(e, c) for c in CONTENT}), e.id


@pytest.mark.parametrize("end", [dt.date(2025, 12, 31), dt.date(2026, 1, 1), dt.date(2026, 6, 15)])
def test_a_history_that_ends_on_a_day_is_the_years_history_moved_to_end_there(end):
    """``end`` (the demo: yesterday): the years through the one before it, every date moved forward by
    the same days, so the county ends on ``end`` — and with ``end`` on 31 December nothing moves."""
    last = end.year if (end.month, end.day) == (12, 31) else end.year - 1
    years = build.generate(3_000, 5, end_year=last)
    moved = build.generate(3_000, 5, end=end)
    shift = (end - dt.date(last, 12, 31)).days
    assert (
        moved.end == end and years.end == dt.date(last, 12, 31) and shift == {2025: 0, 2026: (end - dt.date(2025, 12, 31)).days}[end.year]
    )
    a, b = years.pop, moved.pop
    assert np.array_equal(b.events["date"], a.events["date"] + shift) and b.events["date"].max() <= day(end)
    assert np.array_equal(b.people.birth, a.people.birth + shift)
    assert np.array_equal(b.people.death == NEVER, a.people.death == NEVER)
    assert np.array_equal(b.people.death[b.people.death != NEVER], a.people.death[a.people.death != NEVER] + shift)
    assert np.array_equal(b.household_created, a.household_created + shift)
    assert [d for *_, d in b.plan.merges] == [d + dt.timedelta(days=shift) for *_, d in a.plan.merges]
    assert [u.valid_from for u in b.plan.units] == [u.valid_from + dt.timedelta(days=shift) for u in a.plan.units]
    assert np.array_equal(b.people.sex, a.people.sex) and b.people.n == a.people.n  # the same people
    for k in np.flatnonzero(moved.id_number != "")[:500]:  # ID numbers carry the moved birth dates
        assert moved.id_number[k][6:14] == (EPOCH + dt.timedelta(days=int(b.people.birth[k]))).strftime("%Y%m%d")
    assert moved.temp_key.tolist().count("") < len(moved.temp_key)  # the newest babies, counted back from the end
