"""Dated amount tables and their provincial and county layers; the entitlement arithmetic (Decimal,
month by month), including properties of the childcare months."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from renkou.benefits.eligibility.conditions import NOT_MET, When, evaluate
from renkou.benefits.rules import amounts, programmes
from renkou.benefits.rules.amounts import Amounts, Layer, Month, Row
from renkou.config import Settings
from renkou.core.dates import day
from renkou.errors import UserError

D = dt.date
HENAN, BEIJING, SHANDONG = "410185", "110101", "370102"
DIED_U, DIED_R, DIS_U, DIS_R = ({"child": c, "area": a} for c in ("died", "disabled") for a in ("urban", "rural"))

# (programme, variant, date, county, amount or None)
RATES = [
    ("reward", {}, D(2003, 12, 31), BEIJING, None),
    ("reward", {}, D(2004, 1, 1), BEIJING, "600"),
    ("reward", {}, D(2008, 12, 31), BEIJING, "600"),
    ("reward", {}, D(2009, 1, 1), BEIJING, "720"),
    ("reward", {}, D(2011, 12, 31), BEIJING, "720"),
    ("reward", {}, D(2012, 1, 1), BEIJING, "960"),
    ("reward", {}, D(2025, 6, 1), HENAN, "960"),
    ("reward", {}, D(2025, 6, 1), SHANDONG, "1200"),  # the Shandong example layer: not for a Henan county
    ("special", DIED_R, D(2007, 12, 31), BEIJING, None),
    ("special", DIED_R, D(2008, 1, 1), BEIJING, "100"),
    ("special", DIS_U, D(2008, 1, 1), BEIJING, "80"),
    ("special", DIED_U, D(2012, 1, 1), BEIJING, "135"),
    ("special", DIS_R, D(2013, 12, 31), BEIJING, "110"),
    ("special", DIED_U, D(2014, 1, 1), BEIJING, "340"),
    ("special", DIED_R, D(2014, 1, 1), BEIJING, "170"),
    ("special", DIS_U, D(2014, 1, 1), BEIJING, "270"),
    ("special", DIS_R, D(2022, 6, 30), BEIJING, "150"),
    ("special", DIED_R, D(2022, 7, 1), BEIJING, "590"),
    ("special", DIS_U, D(2022, 7, 1), BEIJING, "460"),
    ("special", DIED_R, D(2008, 1, 1), HENAN, "200"),  # Henan doubles
    ("special", DIED_U, D(2020, 1, 1), HENAN, "680"),
    ("special", DIS_R, D(2025, 1, 1), HENAN, "920"),
    ("onechild", {}, D(2025, 1, 1), HENAN, "20"),
    ("onechild", {}, D(2025, 1, 1), BEIJING, None),  # no national floor
    ("childcare", {}, D(2024, 12, 31), HENAN, None),
    ("childcare", {}, D(2025, 1, 1), HENAN, "3600"),
]


@pytest.mark.parametrize(
    "programme, variant, on, county, amount", RATES, ids=[f"{r[0]}-{'/'.join(r[1].values())}-{r[2]}-{r[3]}" for r in RATES]
)
def test_shipped_rates(programme, variant, on, county, amount):
    got = amounts.load(Settings()).rate(programme, variant, on, county)
    assert got.amount == (None if amount is None else Decimal(amount))
    if amount is not None:
        assert got.steps_zh and got.steps_en


def test_the_undated_450_350_row_is_not_shipped():
    t = amounts.load(Settings())
    assert {a for r in t.national["special"] for _, a in r.amounts}.isdisjoint({Decimal("450"), Decimal("350")})


def _table(*layers: Layer) -> Amounts:
    return Amounts(
        {"special": [Row(D(2022, 7, 1), (("died", Decimal("590")), ("disabled", Decimal("460"))))]},
        sorted(layers, key=lambda ly: (len(ly.region), ly.start or D.min)),
    )


def L(id_, region, op, value, **kw) -> Layer:  # noqa: N802
    return Layer(id_, region, "special", op, Decimal(value), id_, id_, **kw)


# (layers, variant, date, expected)
LAYERS = [
    ((L("p", "41", "multiply", "2"),), DIED_R, D(2025, 1, 1), "1180"),
    ((L("p", "41", "multiply", "2"), L("c", "410185", "add", "100")), DIED_R, D(2025, 1, 1), "1280"),
    ((L("c", "410185", "add", "100"), L("p", "41", "multiply", "2")), DIED_R, D(2025, 1, 1), "1280"),  # province first whatever the order
    ((L("p", "41", "multiply", "2"), L("c", "410185", "set", "1500")), DIED_R, D(2025, 1, 1), "1500"),
    ((L("c", "410185", "add", "50", variants=("died",)),), DIS_R, D(2025, 1, 1), "460"),
    ((L("c", "410185", "add", "50", variants=("died",)),), DIED_R, D(2025, 1, 1), "640"),
    ((L("c", "410185", "add", "50", start=D(2025, 7, 1)),), DIED_R, D(2025, 6, 30), "590"),
    ((L("c", "410185", "add", "50", start=D(2025, 7, 1)),), DIED_R, D(2025, 7, 1), "640"),
    ((L("c", "410185", "add", "50", end=D(2025, 7, 1)),), DIED_R, D(2025, 7, 1), "590"),
    ((L("c", "410102", "add", "50"),), DIED_R, D(2025, 7, 1), "590"),  # another county's layer
    ((L("x", "4101", "add", "10"), L("p", "41", "multiply", "2")), DIED_R, D(2025, 1, 1), "1190"),  # province, then city
]


@pytest.mark.parametrize("layers, variant, on, expected", LAYERS)
def test_layers_add_multiply_or_set_broadest_region_first(layers, variant, on, expected):
    assert _table(*layers).rate("special", variant, on, "410185").amount == Decimal(expected)


def test_a_county_folder_adds_replaces_and_switches_off_layers(tmp_path):
    rules = {
        "national": {
            "special": [
                {"from": "2008-01-01", "amounts": {"died": "100", "disabled": "80"}},
                {"from": "2018-01-01", "amounts": {"died": "450", "disabled": "350"}},
                {"from": "2022-07-01", "amounts": {"died": "590", "disabled": "460"}},
            ]
        },
        "layers": [
            {"id": "henan-onechild", "region": "41", "programme": "onechild", "op": "set", "value": "30", "zh": "三十", "en": "thirty"},
            {
                "id": "dengfeng",
                "region": "410185",
                "programme": "childcare",
                "op": "add",
                "value": "600",
                "zh": "县加发",
                "en": "county adds",
            },
        ],
        "inactive": ["henan-special-double"],
    }
    (tmp_path / "amounts.json").write_text(json.dumps(rules), encoding="utf-8")
    t = amounts.load(Settings(benefit_rules=str(tmp_path)))
    assert t.rate("special", DIED_R, D(2019, 1, 1), HENAN).amount == Decimal("450")
    assert t.rate("onechild", {}, D(2025, 1, 1), HENAN).amount == Decimal("30")
    assert t.rate("childcare", {}, D(2025, 1, 1), HENAN).amount == Decimal("4200")
    assert t.rate("childcare", {}, D(2025, 1, 1), "410102").amount == Decimal("3600")
    assert t.rate("reward", {}, D(2025, 1, 1), SHANDONG).amount == Decimal("1200")


# (a mistake in amounts.json, what the message names)
BAD = [
    ({"national": {"reward": [{"from": "2004-01-01", "amount": 600.0}]}}, "national.reward[0].amount"),
    ({"national": {"reward": [{"from": "2004-01-01", "amount": "six hundred"}]}}, "'six hundred'"),
    ({"national": {"reward": [{"from": "2004-01-01", "amount": "-1"}]}}, "'-1'"),
    ({"national": {"reward": [{"from": "2004-13-01", "amount": "600"}]}}, "national.reward[0].from"),
    ({"national": {"reward": [{"from": "2009-01-01", "amount": "1"}, {"from": "2004-01-01", "amount": "2"}]}}, "national.reward"),
    ({"national": {"reward": [{"from": "2004-01-01"}]}}, "national.reward[0]"),
    ({"layers": [{"id": "a", "region": "4", "programme": "reward", "op": "add", "value": "1", "zh": "甲", "en": "a"}]}, "layers[0].region"),
    ({"layers": [{"id": "a", "region": "41", "programme": "reward", "op": "double", "value": "1", "zh": "甲", "en": "a"}]}, "'double'"),
    ({"layers": [{"id": "a", "region": "41", "programme": "reward", "op": "add", "value": "1", "zh": "", "en": "a"}]}, "layers[0].zh"),
    ({"layers": [{"id": "a", "region": "41", "programme": "reward", "op": "add", "value": "1", "zh": "甲", "en": "a"}] * 2}, "layers.id"),
]


@pytest.mark.parametrize("data, named", BAD, ids=[b[1] for b in BAD])
def test_a_mistake_in_the_amounts_is_a_bilingual_error(data, named):
    with pytest.raises(UserError) as e:
        amounts.parse(data, "amounts.json")
    assert named in e.value.zh and named in e.value.en and "amounts.json" in e.value.zh


# --- the entitlement arithmetic -------------------------------------------------------------------


def _months(year: int, pattern: list[bool], variant=()) -> list[Month]:
    return [Month(D(year, m, 1), ok, variant if ok else ()) for m, ok in zip(range(1, 13), pattern, strict=True)]


def test_a_year_in_twelfths_rounded_half_up_per_line():
    t = Amounts({"x": [Row(D(2000, 1, 1), (("", Decimal("1000")),))]})
    e = amounts.entitlement(t, "x", "year", HENAN, 2025, _months(2025, [False] * 7 + [True] * 5), 7)
    assert (e.amount, e.months) == (Decimal("416.67"), 5)
    assert e.basis.startswith("2025-08–2025-12：5/12 × 1000 = 416.67")
    full = amounts.entitlement(t, "x", "year", HENAN, 2025, _months(2025, [True] * 12), 7)
    assert full.amount == Decimal("1000.00") and full.basis.startswith("2025年：12/12 × 1000 = 1000")
    none = amounts.entitlement(t, "x", "year", HENAN, 2025, _months(2025, [False] * 12), 7)
    assert (none.amount, none.months, none.lines, none.basis) == (Decimal("0.00"), 0, (), "2025年：0 个月 = 0")


def test_no_standard_for_the_county_is_an_error_naming_it():
    with pytest.raises(UserError, match="no amount standard for 110101") as e:
        amounts.entitlement(amounts.load(Settings()), "onechild", "month", BEIJING, 2025, _months(2025, [True] * 12), 1)
    assert "onechild" in e.value.zh


@given(
    rate=st.decimals(min_value=0, max_value=100_000, places=2),
    pattern=st.lists(st.booleans(), min_size=12, max_size=12),
    unit=st.sampled_from(["year", "month"]),
)
def test_the_total_is_the_sum_of_the_lines_and_months_times_the_monthly_rate(rate, pattern, unit):
    t = Amounts({"x": [Row(D(2000, 1, 1), (("", rate),))]})
    e = amounts.entitlement(t, "x", unit, HENAN, 2025, _months(2025, pattern), 1)
    assert e.months == sum(pattern)
    assert e.amount == sum((ln.amount for ln in e.lines), Decimal("0.00"))
    assert all(isinstance(ln.amount, Decimal) and ln.amount == ln.amount.quantize(Decimal("0.01")) for ln in e.lines)
    if unit == "month":
        assert e.amount == rate * e.months
    else:
        assert abs(e.amount - rate * e.months / 12) <= Decimal("0.005") * len(e.lines)
        if all(pattern):
            assert e.amount == rate


CHILDCARE = programmes.load(Settings())["childcare"]
TABLE = amounts.load(Settings())


def _childcare_months(births: list[dt.date], years: range) -> dict[int, dict[int, int]]:
    """person -> year -> months entitled, through the childcare programme's own conditions."""
    facts = pl.LazyFrame(
        {"person": list(range(len(births))), "birth": [day(b) for b in births], "death": [None] * len(births), "h": [7] * len(births)},
        schema_overrides={"death": pl.Int32},
    )
    out: dict[int, dict[int, list[bool]]] = {p: {y: [] for y in years} for p in range(len(births))}
    for y in years:
        for m in range(1, 13):
            ok = evaluate(CHILDCARE, facts, When.day(D(y, m, 1))).collect()["eligible"].to_list()
            for p, e in enumerate(ok):
                out[p][y].append(e != NOT_MET)
    return {
        p: {y: amounts.entitlement(TABLE, "childcare", "year", HENAN, y, _months(y, flags), p) for y, flags in ys.items()}
        for p, ys in out.items()
    }


@settings(max_examples=25, deadline=None)
@given(st.lists(st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)), min_size=1, max_size=8))
@example([D(2023, 12, 15), D(2023, 12, 1), D(2023, 12, 31), D(2025, 3, 10), D(2021, 12, 31), D(2022, 1, 1)])
def test_childcare_months_never_exceed_36_and_cost_300_each(births):
    ents = _childcare_months(births, range(2024, 2035))
    for p, b in enumerate(births):
        total = sum(e.months for e in ents[p].values())
        assert total <= 36
        assert sum(e.amount for e in ents[p].values()) == Decimal(300) * total
        assert ents[p][2024].months == 0  # nothing before 2025
        first = b.year * 12 + b.month  # the month after the birth month, as a month index
        assert total == max(0, min(36, first - 1 + 36 - (2025 * 12) + 1))
        if b.year == 2023 and b.month == 12:
            assert total == 24 and sum(e.amount for e in ents[p].values()) == Decimal("7200.00")
        if b >= D(2024, 12, 1):
            assert total == 36
