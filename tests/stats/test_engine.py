"""Every indicator on the hand-built county of fixture.py, worked out by hand, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest

from renkou.config import Settings
from renkou.core.dates import day
from renkou.errors import UserError
from renkou.registry import events, persons
from renkou.stats.service import Stats
from tests.stats import fixture as fx
from tests.stats.fixture import COUNTY, SYSTEM, T1, T2, V1, V2, V3, V4

D = dt.date


@pytest.fixture
def county(db):
    ids = fx.build(db)
    return db, ids


def stats(db, **settings) -> Stats:
    return Stats(db, Settings(**settings), snapshot=False)


def figures(st: Stats, period: str, org: str = COUNTY, *, basis: str = "hukou", units_as_of=None, level=None) -> dict:
    q = st.query(period, basis=basis, units_as_of=units_as_of)
    out = {}
    for v in st.indicators(org, q, level=level):
        out[(v.code, v.unit_code, v.disaggregation)] = v
    return out


def val(figs: dict, code: str, unit: str = COUNTY, **dis) -> float | None:
    return figs[(code, unit, tuple(dis.items()))].value


def test_the_year_2024_by_hand(county):
    db, _ = county
    f = figures(stats(db), "2024", level=None)
    # start: V1 A B C K0 + V4 F G (merged into V1 by the year end) | V2 D E | V3 H N
    assert val(f, "pop_start") == 10 and val(f, "pop_start", sex="F") == 6
    # end: V1 A B C K0 F G K2 K1 | V2 nobody | V3 H N D (M arrived and died)
    assert val(f, "pop_end") == 11 and val(f, "pop_avg") == 10.5
    assert (
        val(f, "births") == 2 and val(f, "births", sex="M") == 1 and val(f, "births", order="1") == 1 and val(f, "births", order="2") == 1
    )
    assert val(f, "births", order="3+") == 0
    assert val(f, "deaths") == 2 and val(f, "deaths", age_group="80-84") == 1 and val(f, "deaths", age_group="35-39") == 1
    assert val(f, "cbr") == 190.48 and val(f, "cdr") == 190.48 and val(f, "ngr") == 0  # 2 / 10.5 × 1000
    assert val(f, "srb") == 100.0 and val(f, "birth_share", order="1") == 50.0
    assert val(f, "sex_ratio") == 57.14  # men B G N K1, women A C K0 F K2 H D at the end: 4 / 7 × 100
    # women 15-49 at the end: A 34, D 44, F 29, H 24 (born 2000-12-31: 24 on the last day); married: A F H
    assert val(f, "women_15_49") == 4 and val(f, "married_women_15_49") == 3
    assert val(f, "gfr") == 500.0  # 2 births / ((4 + 4) / 2) women
    # TFR: F was 28 at her birth (women aged 28: F at the start, nobody at the end -> 0.5), A was 34 (0.5 likewise)
    assert val(f, "tfr") == 4.0
    assert val(f, "asfr", mother_age5="25-29") == 1000.0  # K2 to F; women 25-29: F (28 at the start, 29 at the end)
    assert val(f, "asfr", mother_age5="30-34") == 1000.0  # K1 to A; women 30-34: A (33 at the start, 34 at the end)
    assert val(f, "asfr", mother_age5="20-24") == 0.0 and val(f, "asfr", mother_age5="15-19") is None  # no women 15-19: undefined

    exact = (D(2024, 3, 15) - D(1995, 7, 1)).days / 365.2425
    assert val(f, "mean_age_first_birth") == round(exact, 1)
    assert val(f, "marriages") == 1 and val(f, "divorces") == 0
    assert val(f, "moves_in") == 2 and val(f, "moves_in", origin="outside") == 1 and val(f, "moves_out") == 1
    assert val(f, "registered") == 0
    assert val(f, "away_out") == 1 and val(f, "away_in") == 0  # B works outside, hukou in V1
    assert val(f, "pop_60_plus") == 1 and val(f, "share_60_plus") == 9.09 and val(f, "children_under_3") == 2
    assert val(f, "old_age_dependency") == 14.29  # C / (A B D F G H N)
    assert val(f, "pop_65_plus") == 1 and val(f, "share_65_plus") == 9.09
    assert (
        val(f, "pop_by_age", age5="70-74") == 1 and val(f, "pop_by_age", age5="0-4") == 2 and val(f, "pop_by_age", sex="M", age5="0-4") == 1
    )
    assert val(f, "pop_age_share", age5="30-34") == 18.18  # A (34) and G (30) of 11
    assert val(f, "age_sex_ratio", age5="0-4") == 100.0 and val(f, "age_sex_ratio", age5="70-74") == 0.0


def test_rows_roll_up_and_rates_are_recomputed_not_averaged(county):
    db, _ = county
    st = stats(db)
    f = figures(st, "2024", level="village")
    t = figures(st, "2024", level="township")
    c = figures(st, "2024")
    for code in ("pop_start", "pop_end", "births", "deaths", "moves_in", "moves_out", "marriages"):
        assert val(t, code, T1) + val(t, code, T2) == val(c, code)
        assert val(f, code, V1) + val(f, code, V2) == val(t, code, T1)
    # T2 has no births, T1 2 on an average of 8 (start A B C K0 F G D E, end A B C K0 F G K2 K1): the county is 2/10.5, not their mean
    assert val(t, "cbr", T2) == 0 and val(t, "cbr", T1) == 250.0 and val(c, "cbr") == 190.48
    assert COUNTY and ("pop_end", V4, ()) not in f  # merged away by the year end


def test_balance_holds_on_every_row_and_basis(county):
    db, _ = county
    for basis in ("hukou", "resident"):
        st = stats(db)
        for period in ("2024", "2024Q2", "2024Q3", "2024-06", "2024-12", "2023Oct"):
            f = figures(st, period, basis=basis, level="village")
            units = {k[1] for k in f}
            for u in units:
                lhs = val(f, "pop_end", u)
                rhs = (
                    val(f, "pop_start", u)
                    + val(f, "births", u)
                    - val(f, "deaths", u)
                    + val(f, "moves_in", u)
                    - val(f, "moves_out", u)
                    + val(f, "registered", u)
                )
                assert lhs == rhs, (basis, period, u)


def test_a_period_that_crosses_the_village_merge(county):
    db, _ = county
    st = stats(db)
    q2 = figures(st, "2024Q2", level="village")  # units as they stood on 2024-06-30: V4 still exists
    assert val(q2, "pop_end", V4) == 3 and val(q2, "pop_end", V1) == 4  # F G K2 | A B C K0
    assert val(q2, "births", V4) == 0 and ("births", V4, ()) in q2
    today = figures(st, "2024Q2", level="village", units_as_of="today")  # history mapped onto today's units
    assert ("pop_end", V4, ()) not in today and val(today, "pop_end", V1) == 7
    q1 = figures(st, "2024Q1", level="village", units_as_of="2024-12-31")
    assert val(q1, "births", V1) == 1  # K2 was born in V4, now part of V1
    q3 = figures(st, "2024Q3", level="village")
    assert val(q3, "pop_start", V1) == 7 and val(q3, "moves_in", V1) == 0  # the merge itself moves nobody


def test_a_birth_on_the_last_day_counts_in_that_period_only(county):
    db, _ = county
    st = stats(db)
    dec = figures(st, "2024-12")
    assert val(dec, "births") == 1 and val(dec, "pop_end") == 11
    jan = figures(st, "2025-01")
    assert val(jan, "births") == 0 and val(jan, "pop_start") == 11


def test_moved_in_and_died_in_the_same_month(county):
    db, _ = county
    f = figures(stats(db), "2024-06", level="village")
    assert val(f, "moves_in", V3) == 1 and val(f, "deaths", V3) == 1
    assert val(f, "pop_start", V3) == val(f, "pop_end", V3) == 2


def test_resident_basis_waits_three_months_configurably(county):
    db, _ = county
    # B left on 2024-08-01: still counted in V1 until 2024-11-01 on the resident basis
    oct_ = figures(stats(db), "2024-10", basis="resident", level="village")
    assert val(oct_, "pop_end", V1) == 7 and val(oct_, "moves_out", V1) == 0  # A B C K0 F G K2 (K1 is born in December)
    nov = figures(stats(db), "2024-11", basis="resident", level="village")
    assert val(nov, "pop_end", V1) == 6 and val(nov, "moves_out", V1) == 1 and val(nov, "moves_out", V1, destination="outside") == 1
    at_once = figures(stats(db, resident_threshold_months=0), "2024-08", basis="resident", level="village")
    assert val(at_once, "moves_out", V1) == 1
    hukou = figures(stats(db), "2024-11", level="village")
    assert val(hukou, "pop_end", V1) == 7  # the hukou stays


def test_birth_order_rule_couple(county):
    db, _ = county
    f = figures(stats(db, birth_order_rule="couple"), "2024")
    assert val(f, "births", order="1") == 2  # K0's father is not K1's (unknown), so K1 is the couple's first


def test_sex_ratio_at_birth_interval_flags_only_significant(county):
    db, _ = county
    v = next(x for x in stats(db).indicators(COUNTY, stats(db).query("2024"), codes=["srb"]) if not x.disaggregation)
    assert v.value == 100.0 and v.low < 20 and (v.high is None or v.high > 500) and v.flag is None


def test_a_saved_change_is_in_the_next_answer(county):
    db, ids = county
    st = stats(db)
    assert val(figures(st, "2024"), "deaths") == 2
    with db.write(fx.ACTOR) as s:
        c = s.get(persons.Person, ids["C"])
        ev = events.record(s, SYSTEM, "death", c, D(2024, 12, 30))
    f = figures(st, "2024")
    assert val(f, "deaths") == 3 and val(f, "pop_end") == 10 and val(f, "pop_60_plus") == 0
    with db.write(fx.ACTOR) as s:
        events.retract(s, SYSTEM, ev.id, reason="登记错误")
    f = figures(st, "2024")
    assert val(f, "deaths") == 2 and val(f, "pop_end") == 11
    with db.write(fx.ACTOR) as s:  # a correction moves E's death into 2023: the year's figures follow
        e_death = next(e for e in events.timeline(s, s.get(persons.Person, ids["E"])) if e.kind == "death")
        events.correct(s, SYSTEM, e_death.id, reason="日期有误", date=D(2023, 12, 20))
    f = figures(st, "2024")
    assert val(f, "deaths") == 1 and val(f, "pop_start") == 9 and val(f, "pop_end") == 11
    assert val(figures(st, "2023-12"), "deaths") == 1


def test_unknown_unit_and_level_are_user_errors(county):
    db, _ = county
    st = stats(db)
    with pytest.raises(UserError, match="410999"):
        st.indicators("410999", st.query("2024"))
    with pytest.raises(UserError):
        st.indicators(V1, st.query("2024"), level="township")
    with pytest.raises(UserError, match="basis"):
        st.counter(st.query("2024", basis="census"))


def test_rows_read_twice_from_the_change_feed_are_not_counted_twice(county):
    db, _ = county
    st = stats(db)
    before = figures(st, "2024")
    m = st.model()
    n = m.events.height
    m.seq -= 10  # as if the last changes had not been seen: they are read again
    st.model()
    assert m.events.height == n
    after = figures(st, "2024")
    assert {k: v.value for k, v in after.items()} == {k: v.value for k, v in before.items()}


@pytest.mark.parametrize(
    "mother,child,age",
    [
        ("1996-06-26", "2024-01-27", 27),
        ("1993-03-25", "2024-12-18", 31),
        ("1990-12-31", "2024-12-30", 33),
        ("1990-12-31", "2024-12-31", 34),
        ("1992-02-29", "2024-02-28", 31),
        ("1992-02-29", "2024-02-29", 32),
    ],
)
def test_mothers_age_at_birth_in_completed_years(mother, child, age):
    """Found by the pandas baseline of the benchmark: month * 100 overflowed Polars' Int8 months."""
    import polars as pl

    from renkou.stats import model as m

    dm, dc = day(dt.date.fromisoformat(mother)), day(dt.date.fromisoformat(child))
    persons = pl.DataFrame({"id": [1, 2], "male": [0, 1], "birth": [dm, dc]}, schema=m.PERSON_SCHEMA)
    events = pl.DataFrame(
        {
            "id": [1, 2],
            "kind": ["register", "birth"],
            "person": [1, 2],
            "date": [dm, dc],
            "partner": [None, None],
            "mother": [None, 1],
            "father": [None, None],
            "hukou": [5, 5],
            "residence": [5, 5],
            "scope": [None, None],
            "supersedes": [None, None],
        },
        schema=m.EVENT_SCHEMA,
    )
    d = m.derive(events, persons, 3)
    assert d.births["mother_age"].to_list() == [age]
    exact = (dt.date.fromisoformat(child) - dt.date.fromisoformat(mother)).days / 365.2425
    assert abs(d.births["mother_age_exact"][0] - exact) < 1e-9


def test_a_birth_without_a_recorded_mother_is_counted_without_an_age():
    """Found by the benchmark: a null mother's age made the births cube fail."""
    import polars as pl

    from renkou.stats import model as m

    d0 = day(dt.date(2024, 3, 1))
    persons = pl.DataFrame({"id": [1], "male": [1], "birth": [d0]}, schema=m.PERSON_SCHEMA)
    events = pl.DataFrame(
        {
            "id": [1],
            "kind": ["birth"],
            "person": [1],
            "date": [d0],
            "partner": [None],
            "mother": [None],
            "father": [None],
            "hukou": [5],
            "residence": [5],
            "scope": [None],
            "supersedes": [None],
        },
        schema=m.EVENT_SCHEMA,
    )
    b = m.derive(events, persons, 3).births
    assert b["mother_age"].to_list() == [m.MOTHER_AGE_UNKNOWN] and b["mother_age_exact"].to_list() == [0.0]
