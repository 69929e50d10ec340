"""Baseline of ``stats_all_indicators_warm``: the annual report (``renkou/stats/data/reports/annual.json``)
computed the straightforward pandas way, straight from the registry tables.

Hukou basis, one calendar year, rows = the townships directly below the county then the county's
total row, units as they stood on the year's last day: the same table as
``reports.report(stats, "annual", county, stats.query(year))``, cell for cell. Nothing here uses
renkou; the rules below are the ones documented in renkou.stats.model and renkou.stats.engine,
re-implemented with plain pandas operations:

* the tables are read with ``pandas.read_sql`` (person, event, org_unit, org_version,
  org_succession); events superseded by a correction or retraction, and retractions, are dropped;
* a person's hukou unit at the end of day D is the unit of their last hukou-setting event
  (register, birth, or a move of scope hukou/both; no unit = outside the county) on or before D,
  by (date, id): events sorted, then ``groupby().last()``; they are counted on D when they had such
  an event and had not died on or before D (a birth on D counts, a death on D does not);
* a recorded unit is carried to the tree as it stood on the as-of date through the primary
  successors of the succession table (merges), and a 村民小组 is folded into its village; the
  figures of a unit are those of every unit below it (ancestor pairs joined on the hierarchy);
* births count at the child's unit at the end of the birth day; the birth order is 1 + the
  mother's earlier live-born children (earlier birth date, or the same date and a smaller person
  id) who had not died by the birth (a self-merge of the births on the mother); the mother's age
  is her completed years on the birth day;
* a death counts at the person's unit the day before (their first death event);
* marriages and divorces count once each, at the woman's unit on the day, else the man's when she
  has none in the county;
* moves: every change of hukou unit between two consecutive states of a person (several events on
  one day: the day's last state), and arrivals from outside when their first state came from a move;
  a move counts in and out only between different (folded, merged) units;
* married = inside an interval from a marriage to the couple's divorce, either spouse's death or the
  next marriage of either;
* rates are recomputed from the summed counts and rounded half up (exactly, with fractions); the
  total fertility rate is the sum of the single-year rates 15-49 in that order, rounded half up.
"""

from __future__ import annotations

import math
import sqlite3
import time
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from renkou.config import Settings

POPULATION_LEVELS = ("province", "city", "county", "township", "village")
SRB_MIN_BIRTHS = Settings.from_env().srb_min_births  # fewer births: the report prints 样本过少 instead of the ratio
COLUMNS = (
    "pop_start",
    "pop_end",
    "pop_avg",
    "births",
    "births_m",
    "births_f",
    "births_1",
    "births_2",
    "births_3",
    "srb",
    "share_1",
    "share_2",
    "share_3",
    "cbr",
    "deaths",
    "cdr",
    "ngr",
    "women",
    "married_women",
    "gfr",
    "tfr",
    "marriages",
    "divorces",
    "moves_in",
    "moves_out",
    "share_60",
    "share_65",
)
TFR_AGES = range(15, 50)


# ------------------------------------------------------------------------------------ reading


def read_tables(db_path: str) -> dict[str, pd.DataFrame]:
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        t = {
            "person": pd.read_sql("SELECT id, sex, birth_date FROM person", con),
            "event": pd.read_sql(
                "SELECT id, kind, person_id, date, partner_id, mother_id, hukou_unit_id, scope, supersedes_id FROM event", con
            ),
            "org_unit": pd.read_sql("SELECT id, code, level, valid_from, retired_on FROM org_unit", con),
            "org_version": pd.read_sql("SELECT id, unit_id, valid_from, name, parent_id FROM org_version", con),
            "org_succession": pd.read_sql("SELECT id, predecessor_id, successor_id, date, is_primary FROM org_succession", con),
        }
    finally:
        con.close()
    for name, cols in (
        ("person", ["birth_date"]),
        ("event", ["date"]),
        ("org_unit", ["valid_from", "retired_on"]),
        ("org_version", ["valid_from"]),
        ("org_succession", ["date"]),
    ):
        for c in cols:
            t[name][c] = pd.to_datetime(t[name][c], format="%Y-%m-%d")
    return t


# ------------------------------------------------------------------------------------ the tree


def org_tree(t: dict[str, pd.DataFrame], on: pd.Timestamp) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
    """(base unit of every recorded unit id, the population units on ``on`` with code/name/parent,
    (unit, ancestor) pairs including (unit, unit))."""
    units = t["org_unit"]
    ver = t["org_version"][t["org_version"]["valid_from"] <= on].sort_values(["valid_from", "id"])
    ver = ver.drop_duplicates("unit_id", keep="last")[["unit_id", "name", "parent_id"]]
    active = units[(units["valid_from"] <= on) & (units["retired_on"].isna() | (on < units["retired_on"]))]
    active = active.merge(ver, left_on="id", right_on="unit_id")[["id", "code", "level", "name", "parent_id"]].set_index("id")
    succ = t["org_succession"]
    succ = succ[succ["is_primary"].astype(bool) & (succ["date"] <= on)].drop_duplicates("predecessor_id", keep="last")
    successor = succ.set_index("predecessor_id")["successor_id"]

    # resolve every recorded unit through merges to the unit that held its people on the date
    r = pd.Series(units["id"].to_numpy(dtype=float), index=units["id"].to_numpy())
    for _ in range(100):
        todo = r.notna() & ~r.isin(active.index)
        if not todo.any():
            break
        r[todo] = r[todo].map(successor)
    r[r.notna() & ~r.isin(active.index)] = np.nan  # a cycle
    # fold groups into their village; other non-population units (work units) count nowhere
    pop = active[active["level"].isin(POPULATION_LEVELS)]
    for _ in range(100):
        todo = r.notna() & ~r.isin(pop.index)
        if not todo.any():
            break
        lvl = r[todo].map(active["level"])
        r[todo] = np.where(lvl == "group", r[todo].map(active["parent_id"]), np.nan)
    base = r.dropna().astype(np.int64)

    # ancestors through population units only (as the engine's roll-up)
    pairs = pd.DataFrame({"unit": pop.index, "ancestor": pop.index})
    step = pairs.copy()
    parent = pop["parent_id"]
    while True:
        step = step.assign(ancestor=step["ancestor"].map(parent))
        step = step[step["ancestor"].isin(pop.index)]
        if step.empty:
            break
        step = step.assign(ancestor=step["ancestor"].astype(np.int64))
        pairs = pd.concat([pairs, step], ignore_index=True)
    return base, pop, pairs


# ------------------------------------------------------------------------------------ helpers


def hukou_events(ev: pd.DataFrame) -> pd.DataFrame:
    """Events that set the hukou unit, with ``h`` (0 = outside the county), sorted by person, date, id."""
    sets = ev["kind"].isin(["register", "birth"]) | ((ev["kind"] == "move") & ev["scope"].isin(["hukou", "both"]))
    h = ev.loc[sets, ["id", "person_id", "date", "hukou_unit_id"]]
    h = h.assign(h=h["hukou_unit_id"].fillna(0).astype(np.int64)).drop(columns="hukou_unit_id")
    return h.sort_values(["person_id", "date", "id"])


def unit_on(hev: pd.DataFrame, death: pd.Series, on: pd.Timestamp) -> pd.Series:
    """Hukou unit of every person counted at the end of ``on`` (persons with none are left out)."""
    h = hev[hev["date"] <= on].groupby("person_id")["h"].last()
    d = death.reindex(h.index)
    h = h[d.isna() | (d > on)]
    return h[h != 0]


def unit_at_rows(rows: pd.DataFrame, who: str, when: str, hev: pd.DataFrame, death: pd.Series) -> pd.Series:
    """Hukou unit (0 = none) of the person ``rows[who]`` at the end of the day ``rows[when]``, per row."""
    m = rows[["_row", who, when]].merge(hev.rename(columns={"date": "h_date", "id": "h_id"}), left_on=who, right_on="person_id")
    m = m[m["h_date"] <= m[when]].sort_values(["_row", "h_date", "h_id"])
    h = rows["_row"].map(m.groupby("_row")["h"].last()).fillna(0).astype(np.int64)
    dead = rows[who].map(death) <= rows[when]
    return h.where(~dead.fillna(False).astype(bool), 0)


def ages(birth: pd.Series, on: pd.Series | pd.Timestamp) -> pd.Series:
    """Completed years on ``on``."""
    if isinstance(on, pd.Timestamp):
        oy, om, od = on.year, on.month, on.day
    else:
        oy, om, od = on.dt.year, on.dt.month, on.dt.day
    before = (om * 100 + od) < (birth.dt.month * 100 + birth.dt.day)
    return oy - birth.dt.year - before.astype(np.int64)


def married_on(ev: pd.DataFrame, death: pd.Series, on: pd.Timestamp) -> set:
    """Persons inside a married interval at the end of ``on``."""
    u = ev[ev["kind"].isin(["marriage", "divorce"]) & ev["partner_id"].notna()]
    u = pd.DataFrame(
        {
            "id": u["id"],
            "kind": u["kind"],
            "date": u["date"],
            "a": np.minimum(u["person_id"], u["partner_id"]).astype(np.int64),
            "b": np.maximum(u["person_id"], u["partner_id"]).astype(np.int64),
        }
    )
    mar = u[u["kind"] == "marriage"].rename(columns={"id": "m", "date": "start"})[["m", "start", "a", "b"]]
    div = u[u["kind"] == "divorce"].rename(columns={"date": "div"})[["div", "a", "b"]]
    ends = mar.merge(div, on=["a", "b"], how="left")
    ends = ends[ends["div"].isna() | (ends["div"] >= ends["start"])].groupby("m")["div"].min()
    mar = mar.assign(div=mar["m"].map(ends), d_a=mar["a"].map(death), d_b=mar["b"].map(death))
    both = pd.concat([mar[["a", "start", "m"]].rename(columns={"a": "person"}), mar[["b", "start", "m"]].rename(columns={"b": "person"})])
    both = both.sort_values(["person", "start", "m"])
    both["next"] = both.groupby("person")["start"].shift(-1)
    mar = mar.assign(next=mar["m"].map(both.groupby("m")["next"].min()))
    mar["end"] = mar[["div", "d_a", "d_b", "next"]].min(axis=1)  # NaT = still open
    now = mar[(mar["start"] <= on) & (mar["end"].isna() | (mar["end"] > on)) & (mar["start"] < mar["end"].fillna(pd.Timestamp.max))]
    return set(now["a"]) | set(now["b"])


def half_up(num: float, den: float, factor: int, decimals: int) -> float | None:
    """num / den × factor rounded half up (away from zero), exactly: the counts are whole or halves."""
    if den == 0:
        return None
    q = Fraction(num) * factor * 10**decimals / Fraction(den)
    r = math.floor(abs(q) + Fraction(1, 2))
    return (r if q >= 0 else -r) / 10**decimals


def round_float(x: float, decimals: int) -> float:
    return float(Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


# ------------------------------------------------------------------------------------ the report


def annual_report(t: dict[str, pd.DataFrame], county: str, year: int) -> dict[str, Any]:
    start, end = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    before = start - pd.Timedelta(days=1)
    base, pop_units, pairs = org_tree(t, end)

    person = t["person"].set_index("id")
    male = person["sex"] == "M"
    ev = t["event"]
    ev = ev[~ev["id"].isin(ev["supersedes_id"].dropna()) & (ev["kind"] != "retraction")]
    death = ev[ev["kind"] == "death"].groupby("person_id")["date"].min()
    hev = hukou_events(ev)
    raw: dict[str, pd.Series] = {}  # measure -> counts by base unit

    def count(name: str, units: pd.Series) -> None:
        b = units.map(base).dropna().astype(np.int64)
        raw[name] = b.value_counts()

    # stocks: start (end of the day before) and end of the year
    for tag, day in (("start", before), ("end", end)):
        h = unit_on(hev, death, day)
        s = pd.DataFrame({"unit": h.map(base)}).dropna()
        s["unit"] = s["unit"].astype(np.int64)
        s["male"] = s.index.map(male)
        s["age"] = ages(person["birth_date"].reindex(s.index), day).clip(upper=110)
        s["married"] = s.index.isin(married_on(ev, death, day)) if tag == "end" else False
        women = s[~s["male"]]
        raw[f"pop_{tag}"] = s["unit"].value_counts()
        raw[f"women_{tag}"] = women.loc[women["age"].between(15, 49), "unit"].value_counts()
        for a, g in women[women["age"].between(15, 49)].groupby("age"):
            raw[f"women_{tag}_{a}"] = g["unit"].value_counts()
        if tag == "end":
            raw["married_women"] = women.loc[women["age"].between(15, 49) & women["married"], "unit"].value_counts()
            raw["pop_60"] = s.loc[s["age"] >= 60, "unit"].value_counts()
            raw["pop_65"] = s.loc[s["age"] >= 65, "unit"].value_counts()

    # births of the year, with the birth order and the mother's age
    births = ev.loc[ev["kind"] == "birth", ["id", "person_id", "date", "mother_id"]].rename(columns={"person_id": "child"})
    year_births = births[(births["date"] >= start) & (births["date"] <= end)].copy()
    year_births["_row"] = np.arange(len(year_births))
    year_births["h"] = unit_at_rows(year_births, "child", "date", hev, death).to_numpy()
    year_births = year_births[year_births["h"] != 0]
    sibs = births[births["mother_id"].notna()].rename(columns={"child": "sib", "date": "sib_date"})[["mother_id", "sib", "sib_date"]]
    sibs["sib_death"] = sibs["sib"].map(death)
    pairs_m = year_births[["id", "child", "date", "mother_id"]].merge(sibs, on="mother_id")
    earlier = (pairs_m["sib_date"] < pairs_m["date"]) | ((pairs_m["sib_date"] == pairs_m["date"]) & (pairs_m["sib"] < pairs_m["child"]))
    living = pairs_m["sib_death"].isna() | (pairs_m["sib_death"] > pairs_m["date"])
    pairs_m = pairs_m[(pairs_m["sib"] != pairs_m["child"]) & earlier & living]
    year_births["order"] = year_births["id"].map(pairs_m.groupby("id").size()).fillna(0).astype(np.int64) + 1
    year_births["male"] = year_births["child"].map(male)
    mb = year_births["mother_id"].map(person["birth_date"])
    year_births["mother_age"] = ages(mb, year_births["date"])
    b = year_births
    count("births", b["h"])
    count("births_m", b.loc[b["male"] == True, "h"])  # noqa: E712 (object column: unknown sex is NaN)
    count("births_f", b.loc[b["male"] == False, "h"])  # noqa: E712
    count("births_1", b.loc[b["order"] == 1, "h"])
    count("births_2", b.loc[b["order"] == 2, "h"])
    count("births_3", b.loc[b["order"] >= 3, "h"])
    for a in TFR_AGES:
        count(f"births_age_{a}", b.loc[b["mother_age"] == a, "h"])

    # deaths of the year, at the unit of the day before
    d = death[(death >= start) & (death <= end)].rename("date").reset_index()
    d["_row"] = np.arange(len(d))
    d["day_before"] = d["date"] - pd.Timedelta(days=1)
    count("deaths", unit_at_rows(d, "person_id", "day_before", hev, death))

    # marriages and divorces, at the woman's unit (the man's when she has none here)
    u = ev[ev["kind"].isin(["marriage", "divorce"]) & ev["partner_id"].notna() & (ev["date"] >= start) & (ev["date"] <= end)].copy()
    pm = u["person_id"].map(male) == True  # noqa: E712
    u["woman"] = np.where(pm, u["partner_id"], u["person_id"]).astype(np.int64)
    u["man"] = np.where(pm, u["person_id"], u["partner_id"]).astype(np.int64)
    u["_row"] = np.arange(len(u))
    wh = unit_at_rows(u, "woman", "date", hev, death)
    mh = unit_at_rows(u, "man", "date", hev, death)
    u["h"] = np.where(wh != 0, wh, mh)
    count("marriages", u.loc[u["kind"] == "marriage", "h"])
    count("divorces", u.loc[u["kind"] == "divorce", "h"])

    # moves: changes of hukou unit between consecutive daily states
    st = hev.drop_duplicates(["person_id", "date"], keep="last")
    st = st[st["date"] < st["person_id"].map(death).fillna(pd.Timestamp.max)]
    st = st.assign(prev=st.groupby("person_id")["h"].shift(1))
    state_kinds = ev[ev["kind"].isin(["register", "birth", "move"])].sort_values(["person_id", "date", "id"])
    first_kind = state_kinds.groupby("person_id")["kind"].first()
    first = st["prev"].isna()
    st.loc[first & (st["person_id"].map(first_kind) == "move"), "prev"] = 0  # arrived from outside
    mv = st[st["prev"].notna() & (st["date"] >= start) & (st["date"] <= end)]
    f = mv["prev"].astype(np.int64).map(base).fillna(-1).astype(np.int64)
    to = mv["h"].map(base).fillna(-1).astype(np.int64)
    moved = f != to
    raw["moves_in"] = to[moved & (to >= 0)].value_counts()
    raw["moves_out"] = f[moved & (f >= 0)].value_counts()

    # roll up: every unit's figure is the sum over the units below it
    counts = pd.DataFrame(raw).fillna(0)
    counts.index.name = "unit"
    rolled = pairs.merge(counts, left_on="unit", right_index=True, how="left").fillna(0).groupby("ancestor").sum(numeric_only=True)
    rolled = rolled.drop(columns="unit", errors="ignore").reindex(pop_units.index, fill_value=0)
    for name in [
        "pop_start",
        "pop_end",
        "women_start",
        "women_end",
        "married_women",
        "pop_60",
        "pop_65",
        "births",
        "births_m",
        "births_f",
        "births_1",
        "births_2",
        "births_3",
        "deaths",
        "marriages",
        "divorces",
        "moves_in",
        "moves_out",
        *(f"women_{tag}_{a}" for tag in ("start", "end") for a in TFR_AGES),
        *(f"births_age_{a}" for a in TFR_AGES),
    ]:
        if name not in rolled:
            rolled[name] = 0.0

    # the rows: townships directly below the county (by code), then the county itself
    root = pop_units.index[pop_units["code"] == county][0]
    kids = pop_units[pop_units["parent_id"] == root].sort_values("code")
    rows = [(pop_units.at[i, "code"], pop_units.at[i, "name"], False, i) for i in kids.index] + [(county, "合计", True, root)]

    out_rows = []
    for code, label, total, i in rows:
        c = rolled.loc[i]
        n = {k: int(v) for k, v in c.items()}
        avg = (c["pop_start"] + c["pop_end"]) / 2
        women_avg = (c["women_start"] + c["women_end"]) / 2
        tfr = 0.0
        for a in TFR_AGES:
            w = (c[f"women_start_{a}"] + c[f"women_end_{a}"]) / 2
            tfr = tfr + (c[f"births_age_{a}"] / w if w else 0.0)
        values = [
            n["pop_start"],
            n["pop_end"],
            round_float(avg, 1),
            n["births"],
            n["births_m"],
            n["births_f"],
            n["births_1"],
            n["births_2"],
            n["births_3"],
            "样本过少" if n["births_m"] + n["births_f"] < SRB_MIN_BIRTHS else half_up(n["births_m"], n["births_f"], 100, 2),
            half_up(n["births_1"], n["births"], 100, 2),
            half_up(n["births_2"], n["births"], 100, 2),
            half_up(n["births_3"], n["births"], 100, 2),
            half_up(n["births"], avg, 1000, 2),
            n["deaths"],
            half_up(n["deaths"], avg, 1000, 2),
            half_up(n["births"] - n["deaths"], avg, 1000, 2),
            n["women_end"],
            n["married_women"],
            half_up(n["births"], women_avg, 1000, 2),
            round_float(tfr, 2),
            n["marriages"],
            n["divorces"],
            n["moves_in"],
            n["moves_out"],
            half_up(n["pop_60"], n["pop_end"], 100, 2),
            half_up(n["pop_65"], n["pop_end"], 100, 2),
        ]
        out_rows.append({"code": code, "label": label, "total": total, "values": values})
    return {"columns": list(COLUMNS), "rows": out_rows}


def child_pandas(db_path: str, county: str, year: int) -> dict[str, Any]:
    """The whole baseline, timed from reading the tables to the filled report."""
    t0 = time.perf_counter()
    tables = read_tables(db_path)
    t1 = time.perf_counter()
    report = annual_report(tables, county, year)
    t2 = time.perf_counter()
    return {
        "seconds": t2 - t0,
        "read_s": t1 - t0,
        "compute_s": t2 - t1,
        "events": len(tables["event"]),
        "persons": len(tables["person"]),
        "report": report,
        "pandas": pd.__version__,
    }
