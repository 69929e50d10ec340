"""Eligibility and entitlements of the hand-built families (tests/benefits/families.py) on SQLite and
PostgreSQL; the registry's changes reach the next decision; the whole-county determination and the
per-person check agree for every person of a generated county."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from decimal import Decimal

import pytest

from renkou.auth.scope import Scope
from renkou.benefits.eligibility import service as service_mod
from renkou.benefits.eligibility.conditions import NOT_MET, When
from renkou.benefits.eligibility.service import Eligibility
from renkou.errors import NotFound
from renkou.registry import orgs
from renkou.stats.service import Stats
from renkou.storage import migrate
from renkou.storage.db import Database
from tests.benefits import families
from tests.benefits.families import COMMUNITY, COUNTY, SYSTEM, TOWN, VILLAGE
from tests.conftest import BACKENDS, make_db

D = dt.date
M, N, A = "met", "not_met", "needs_attestation"


@pytest.fixture(scope="module", params=BACKENDS)
def county(request, tmp_path_factory):
    """The standard families, once per backend: (builder, service)."""
    db, cleanup = make_db(request.param, tmp_path_factory.mktemp(request.param))
    migrate.upgrade(db)
    fam = families.standard(db)
    yield fam, Eligibility(db, stats=Stats(db, snapshot=False))
    cleanup()


# (programme, person, date, eligible, {condition: status}) — each row one decision on that date
CHECKS = [
    ("reward", "b1933_m", D(2025, 12, 31), None, {"born": M, "age": M, "children": M, "declaration": A}),
    ("reward", "b1932_m", D(2025, 12, 31), False, {"born": N, "age": M, "declaration": A}),
    ("reward", "t60_f", D(2025, 7, 14), False, {"age": N, "children": M, "rural": M, "spouse_rural": M}),
    ("reward", "t60_f", D(2025, 7, 15), None, {"age": M}),
    ("reward", "t60_m", D(2025, 12, 31), False, {"age": N}),
    ("reward", "d2_f", D(2025, 12, 31), None, {"children": M}),
    ("reward", "d2_m", D(2025, 12, 31), None, {"children": M}),
    ("reward", "sd_f", D(2025, 12, 31), False, {"children": N, "age": M}),
    ("reward", "cd_m", D(2025, 12, 31), None, {"children": M}),
    ("reward", "ad_m", D(2025, 12, 31), None, {"parent": M, "children": M}),
    ("reward", "ac_m", D(2025, 12, 31), None, {"children": M}),
    ("reward", "rm_f", D(2025, 12, 31), False, {"children": M, "spouse_hukou": M, "spouse_rural": N}),
    ("reward", "rm_f", D(2010, 6, 6), False, {"age": N, "spouse_rural": M}),
    ("reward", "mv_f", D(2025, 12, 31), False, {"hukou": N}),
    ("reward", "mv_m", D(2025, 12, 31), False, {"hukou": M, "spouse_hukou": N}),
    ("reward", "g3_f", D(2025, 12, 31), False, {"rural": N, "age": M}),
    ("reward", "dm_f", D(2025, 6, 14), None, {"alive": M}),
    ("reward", "dm_f", D(2025, 6, 15), False, {"alive": N}),
    ("reward", "dm_m", D(2025, 12, 31), None, {"spouse_hukou": M, "spouse_rural": M}),
    ("reward", "t60_s", D(2025, 12, 31), False, {"parent": N, "children": N}),
    ("special", "cd_m", D(2025, 12, 31), True, {"child_died_or_disabled": M, "wife_age": M}),
    ("special", "cd_f", D(2025, 12, 31), True, {"child_died_or_disabled": M}),
    ("special", "cd_m", D(2009, 12, 31), False, {"child_died_or_disabled": N, "one_child": M}),
    ("special", "w49_f", D(2025, 8, 19), False, {"wife_age": N, "child_died_or_disabled": M}),
    ("special", "w49_m", D(2025, 8, 19), False, {"wife_age": N}),
    ("special", "w49_f", D(2025, 8, 20), True, {"wife_age": M}),
    ("special", "w49_m", D(2025, 8, 20), True, {"wife_age": M}),
    ("special", "sp_m", D(2024, 3, 9), False, {"wife_age": N, "child_died_or_disabled": M}),
    ("special", "sp_m", D(2024, 3, 10), True, {"wife_age": M}),
    ("special", "rm_f", D(2025, 12, 31), False, {"wife_age": N, "one_child": M, "child_died_or_disabled": M}),
    ("special", "rm_f", D(2010, 6, 6), True, {"wife_age": M}),
    ("special", "rm_w2", D(2025, 12, 31), False, {"parent": N, "one_child": N}),
    ("special", "g3_f", D(2025, 12, 31), True, {"child_died_or_disabled": M}),
    ("special", "g4_f", D(2025, 12, 31), False, {"child_died_or_disabled": N, "one_child": M}),
    ("special", "ac_m", D(2019, 6, 1), True, {"one_child": M}),
    ("special", "ac_m", D(2020, 3, 1), False, {"one_child": N, "child_died_or_disabled": N}),
    ("special", "d2_f", D(2025, 12, 31), False, {"one_child": N}),
    ("special", "dm_m", D(2025, 6, 15), True, {"wife_age": M}),
    ("special", "dm_f", D(2025, 6, 15), False, {"alive": N}),
    ("special", "ad_m", D(2025, 12, 31), False, {"one_child": M, "child_died_or_disabled": N}),
    ("onechild", "t18_f", D(2025, 5, 19), True, {"child_under_18": M}),
    ("onechild", "t18_f", D(2025, 5, 20), False, {"child_under_18": N, "one_child": M}),
    ("onechild", "b5_m", D(2025, 3, 9), False, {"parent": N}),
    ("onechild", "b5_m", D(2025, 3, 10), True, {"parent": M, "one_child": M}),
    ("onechild", "d2_f", D(2025, 12, 31), False, {"one_child": N}),
    ("childcare", "dc_c", D(2024, 12, 31), False, {"in_force": N, "under_3": M}),
    ("childcare", "dc_c", D(2025, 1, 1), True, {"in_force": M, "under_3": M, "hukou": M}),
    ("childcare", "dc_c", D(2026, 12, 31), True, {"under_3": M}),
    ("childcare", "dc_c", D(2027, 1, 1), False, {"under_3": N}),
    ("childcare", "b5_c", D(2025, 3, 10), False, {"under_3": N, "alive": M}),
    ("childcare", "b5_c", D(2025, 4, 1), True, {"under_3": M}),
    ("childcare", "t60_s", D(2025, 6, 1), False, {"under_3": N}),
]


@pytest.mark.parametrize("programme, who, on, eligible, statuses", CHECKS, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CHECKS])
def test_check_decides_each_condition(county, programme, who, on, eligible, statuses):
    fam, svc = county
    d = svc.check(programme, fam.ids[who], on)
    assert d.eligible is eligible
    assert {k: d.condition(k).status for k in statuses} == statuses
    assert [c.key for c in d.conditions] == [c.key for c in svc.programme(programme).conditions]
    assert d.name == f"测{who}" and "*" in d.id_masked


def test_each_condition_names_the_record_it_was_decided_from(county):
    fam, svc = county
    ev = fam.events
    d = svc.check("special", fam.ids["cd_m"], D(2025, 12, 31))
    [death] = d.condition("child_died_or_disabled").records
    assert (death.kind, death.event_id, death.date, death.person_id) == ("death", ev[("death", "cd_s")], D(2010, 5, 1), fam.ids["cd_s"])
    [birth] = d.condition("one_child").records
    assert (birth.kind, birth.event_id, birth.person_id) == ("birth", ev[("birth", "cd_s")], fam.ids["cd_s"])
    wife = d.condition("wife_age").records
    assert wife[0].person_id == fam.ids["cd_m"] and wife[1].kind == "marriage" and wife[1].event_id == ev[("marriage", "cd_f")]
    g3 = svc.check("special", fam.ids["g3_f"], D(2025, 12, 31)).condition("child_died_or_disabled")
    assert [(r.kind, r.event_id, r.date) for r in g3.records] == [("disability", ev[("disability", "g3_c")], D(2010, 4, 1))]
    assert "grade 3" in g3.records[0].note
    ad = svc.check("reward", fam.ids["ad_m"], D(2025, 12, 31))
    assert [(r.kind, r.event_id) for r in ad.condition("parent").records] == [("adoption", ev[("adoption", "ad_c")])]
    mv = svc.check("reward", fam.ids["mv_f"], D(2025, 12, 31)).condition("hukou")
    assert mv.records[0].kind == "move" and mv.records[0].event_id == ev[("move", "mv_f")]
    dead = svc.check("reward", fam.ids["dm_f"], D(2025, 12, 31)).condition("alive")
    assert [(r.kind, r.event_id, r.date) for r in dead.records] == [("death", ev[("death", "dm_f")], D(2025, 6, 15))]
    rural = svc.check("reward", fam.ids["b1933_m"], D(2025, 12, 31))
    assert rural.condition("rural").records[0].event_id == ev[("register", "b1933_m")]
    assert rural.condition("declaration").records == () and "never inferred" in rural.condition("declaration").value
    assert (rural.unit_code, rural.unit_name) == (VILLAGE, "王庄村")


def test_a_recorded_attestation_is_met_and_says_where_it_is_recorded(county):
    fam, svc = county
    d = svc.check("reward", fam.ids["d2_f"], D(2025, 12, 31), attested={"declaration": "申请 application #12"})
    assert d.eligible is True and d.condition("declaration").status == M
    assert d.condition("declaration").records[0].note == "申请 application #12"


# (programme, person, year, amount, months)
ENTITLEMENTS = [
    ("childcare", "dc_c", 2025, "3600.00", 12),
    ("childcare", "dc_c", 2026, "3600.00", 12),
    ("childcare", "dc_c", 2027, "0.00", 0),
    ("childcare", "b5_c", 2025, "2700.00", 9),
    ("childcare", "b5_c", 2026, "3600.00", 12),
    ("childcare", "b5_c", 2028, "900.00", 3),
    ("special", "cd_m", 2025, "14160.00", 12),  # 590 × 2 (Henan) × 12
    ("special", "cd_m", 2022, "9120.00", 12),  # 6 × 170 × 2 (rural, child died) + 6 × 590 × 2
    ("special", "cd_m", 2013, "3240.00", 12),  # 135 × 2 × 12
    ("special", "g3_f", 2021, "6480.00", 12),  # urban, disabled: 270 × 2 × 12
    ("special", "g3_f", 2022, "8760.00", 12),  # 6 × 540 + 6 × 920
    ("special", "w49_f", 2025, "4720.00", 4),  # September to December: she turned 49 on 20 August
    ("special", "dm_f", 2025, "7080.00", 6),  # January to June: he died on 15 June
    ("special", "dm_m", 2025, "14160.00", 12),
    ("special", "rm_f", 2025, "0.00", 0),
    ("reward", "t60_f", 2025, "400.00", 5),  # 60 on 15 July: August to December
    ("reward", "t60_f", 2026, "960.00", 12),
    ("reward", "dm_f", 2025, "480.00", 6),
    ("onechild", "t18_f", 2025, "100.00", 5),  # the son is 18 on 20 May
    ("onechild", "b5_f", 2025, "180.00", 9),
]


@pytest.mark.parametrize("programme, who, year, amount, months", ENTITLEMENTS, ids=[f"{e[0]}-{e[1]}-{e[2]}" for e in ENTITLEMENTS])
def test_entitlement(county, programme, who, year, amount, months):
    fam, svc = county
    e = svc.entitlement(programme, fam.ids[who], year)
    assert (e.amount, e.months) == (Decimal(amount), months)
    assert e.amount == sum((ln.amount for ln in e.lines), Decimal("0.00"))


def test_childcare_for_a_child_born_in_december_2023_is_24_months_and_7200(county):
    fam, svc = county
    es = [svc.entitlement("childcare", fam.ids["dc_c"], y) for y in range(2024, 2028)]
    assert sum(e.months for e in es) == 24 and sum(e.amount for e in es) == Decimal("7200.00")
    assert es[1].basis.startswith("2025年：12 个月 × 300 = 3600")
    b5 = [svc.entitlement("childcare", fam.ids["b5_c"], y) for y in range(2025, 2030)]
    assert sum(e.months for e in b5) == 36 and sum(e.amount for e in b5) == Decimal("10800.00")


def test_the_entitlement_names_the_variant_and_the_layer(county):
    fam, svc = county
    e = svc.entitlement("special", fam.ids["g3_f"], 2022)
    assert e.variant == {"child": "disabled", "area": "urban"}
    assert [(ln.months, ln.rate.amount) for ln in e.lines] == [(6, Decimal("540")), (6, Decimal("920"))]
    assert "河南" in e.basis and "Henan" in e.basis_en
    assert svc.entitlement("special", fam.ids["cd_m"], 2025).variant == {"child": "died", "area": "rural"}


# programme -> who newly qualifies in 2025 in the whole county
CANDIDATES_2025 = {
    "reward": {"b1933_m", "t60_f", "d2_f", "d2_m", "cd_f", "cd_m", "ad_f", "ad_m", "ac_f", "ac_m", "dm_m"},
    "special": {"cd_f", "cd_m", "w49_f", "w49_m", "sp_m", "g3_f", "g3_m", "dm_m"},
    "onechild": {"dc_f", "dc_m", "b5_f", "b5_m"},
    "childcare": {"dc_c", "b5_c"},
}


@pytest.mark.parametrize("programme", sorted(CANDIDATES_2025))
def test_candidates_of_the_county(county, programme):
    fam, svc = county
    got = svc.candidates(programme, 2025, COUNTY)
    assert {fam.key_of(d.person_id) for d in got} == CANDIDATES_2025[programme]
    assert all(d.eligible is not False for d in got)
    assert all(d.eligible is None for d in got) == (programme == "reward")  # the declaration is never inferred


def test_candidates_only_of_the_unit_and_not_outside_the_scope(county):
    fam, svc = county
    assert {fam.key_of(d.person_id) for d in svc.candidates("special", 2025, TOWN)} == {"g3_f", "g3_m"}
    assert all(d.unit_code == COMMUNITY for d in svc.candidates("special", 2025, COMMUNITY))
    with svc.db.read() as s:
        village = Scope.for_unit(s, orgs.get_unit(s, VILLAGE).id, D(2025, 12, 31))
    assert {fam.key_of(d.person_id) for d in svc.candidates("special", 2025, VILLAGE, scope=village)} == {
        "cd_f",
        "cd_m",
        "w49_f",
        "w49_m",
        "sp_m",
        "dm_m",
    }
    with pytest.raises(NotFound, match="outside your area"):
        svc.candidates("special", 2025, TOWN, scope=village)
    with pytest.raises(NotFound):
        svc.check("special", fam.ids["g3_f"], D(2025, 12, 31), scope=village)


def test_current_recipients_are_not_candidates(county, monkeypatch):
    fam, svc = county
    monkeypatch.setattr(service_mod, "current_recipients", lambda s, p, y: {fam.ids["cd_m"]} if (p, y) == ("special", 2025) else set())
    assert "cd_m" not in {fam.key_of(d.person_id) for d in svc.candidates("special", 2025, COUNTY)}
    assert "cd_m" in {fam.key_of(d.person_id) for d in svc.candidates("special", 2024, COUNTY)}


def test_county_rules_change_the_adoption_rule_and_the_proration(county):
    fam, svc = county
    shipped = svc.programmes
    try:
        svc.programmes = dict(shipped, reward=dataclasses.replace(shipped["reward"], adopted_children="ignore"))
        d = svc.check("reward", fam.ids["ad_m"], D(2025, 12, 31))
        assert d.eligible is False and d.condition("parent").status == N
        assert svc.check("reward", fam.ids["d2_m"], D(2025, 12, 31)).eligible is None
        svc.programmes = dict(shipped, reward=dataclasses.replace(shipped["reward"], proration="whole_year"))
        assert svc.entitlement("reward", fam.ids["t60_f"], 2025).amount == Decimal("960.00")
        assert svc.entitlement("reward", fam.ids["dm_f"], 2025).amount == Decimal("0.00")
    finally:
        svc.programmes = shipped


def test_the_next_decision_sees_the_registrys_changes(db):
    fam = families.Builder(db).units()
    fam.couple("x", D(1955, 1, 1), D(1957, 1, 1), D(1978, 1, 1))
    fam.child("x_c", "M", D(1980, 1, 1), mother="x_m", father="x_f")
    fam.disability("x_c", D(2010, 1, 1), 4)
    svc = Eligibility(db, stats=Stats(db, snapshot=False))
    on = D(2025, 12, 31)
    assert svc.check("special", fam.ids["x_f"], on).eligible is False
    assert svc.candidates("special", 2025, COUNTY) == []
    from renkou.registry import events

    with db.write(families.ACTOR) as s:  # the certificate was re-assessed: a correction supersedes it
        events.correct(s, SYSTEM, fam.events[("disability", "x_c")], reason="复核为三级", grade=3)
    assert svc.check("special", fam.ids["x_f"], on).eligible is True
    assert [fam.key_of(d.person_id) for d in svc.candidates("special", 2025, COUNTY)] == ["x_f", "x_m"]
    assert svc.check("reward", fam.ids["x_f"], on).eligible is None
    fam.event("hukou_type", "x_f", D(2024, 6, 1), hukou_type="non_agricultural")
    d = svc.check("reward", fam.ids["x_f"], on)
    assert d.eligible is False and d.condition("rural").status == N
    assert d.condition("rural").records[0].event_id == fam.events[("hukou_type", "x_f")]
    assert svc.check("reward", fam.ids["x_m"], on).condition("spouse_rural").status == N
    fam.die("x_f", D(2025, 3, 3))
    assert [fam.key_of(d.person_id) for d in svc.candidates("special", 2025, COUNTY)] == ["x_m"]


# --- the whole-county determination and the per-person check agree ------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from renkou.synth import build, store

    db = Database(f"sqlite:///{tmp_path_factory.mktemp('benefits') / 'county.db'}")
    migrate.upgrade(db)
    store.to_database(build.generate(8_000, 11, start_year=1950, end_year=2025), db)
    yield Eligibility(db, stats=Stats(db, snapshot=False))
    db.dispose()


@pytest.mark.parametrize("programme", ["reward", "special", "onechild", "childcare"])
def test_candidates_and_check_agree_for_every_person(generated, programme):
    """Every person's decision through the per-person path (the facts filtered to them, in batches)
    equals the whole-county determination; a sample also through ``check`` one at a time."""
    from renkou.synth.county import COUNTY_CODE

    svc = generated
    year = 2025
    on = svc.programme(programme).determination(year)
    w = When(on, D(year, 1, 1))
    whole = svc.determine(programme, w)
    everyone = svc.sources().persons["person"].to_list()
    per_person = svc.check_all(programme, everyone, on, period_start=w.period_start)
    statuses = [f"c_{c.key}" for c in svc.programme(programme).conditions]
    expect = {r["person"]: tuple(r[c] for c in statuses) for r in whole.select("person", *statuses).iter_rows(named=True)}
    code = {"met": 1, "not_met": 0, "needs_attestation": 2}
    eligible = set()
    for pid, d in per_person.items():
        got = tuple(code[c.status] for c in d.conditions)
        if pid in expect:
            assert got == expect[pid], pid
        else:  # outside the universe (not a parent; a child the birth-date conditions exclude): never eligible
            assert d.eligible is False, pid
        if d.eligible is not False and d.unit_code is not None:
            eligible.add(pid)
    listed = {d.person_id for d in svc.candidates(programme, year, COUNTY_CODE)}
    assert listed == eligible and len(listed) > 5
    assert not any(expect[p][0] == NOT_MET for p in listed) or programme == "childcare"
    rng = random.Random(programme)
    sample = rng.sample(sorted(listed), min(40, len(listed))) + rng.sample(everyone, 40)
    for pid in sample:
        assert svc.check(programme, pid, on, period_start=w.period_start) == per_person[pid], pid
