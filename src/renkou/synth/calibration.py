"""Measure a generated county against the calibration targets in ``data/targets.json``.

Everything here is computed from what the registry will hold — the registered persons' birth dates
and sexes and their events — never from the simulation's internal state, so a check passes only
when the written data show the pattern. Population on a date: alive and with hukou or residence in
the county (the latest event that set each, on or before the date).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from renkou.core.dates import day
from renkou.synth import demography as dem
from renkou.synth.simulate import NEVER, K, Population


@dataclass(frozen=True)
class Result:
    name: str
    statistic: str
    value: float
    target: float
    tolerance: float
    at_least: float | None = None

    @property
    def ok(self) -> bool:
        if self.at_least is not None and self.value < self.at_least:
            return False
        return abs(self.value - self.target) <= self.tolerance


class Measure:
    def __init__(self, pop: Population) -> None:
        P, ev = pop.people, pop.events
        reg = P.registered
        keep = reg[ev["person"]]
        self.ev = {c: v[keep] for c, v in ev.items()}
        self.birth = P.birth
        self.sex = P.sex
        self.registered = reg
        e = self.ev
        self.death = np.full(len(P.birth), NEVER, dtype=np.int64)
        d = e["kind"] == K["death"]
        self.death[e["person"][d]] = e["date"][d]
        order = np.lexsort((e["date"], e["person"]))
        self._sorted = {c: v[order] for c, v in e.items()}

    def _latest(self, sets: np.ndarray, column: str, date: int) -> np.ndarray:
        """Per person, the ``column`` value of the latest event (in ``sets``) on or before ``date``; -1 if none."""
        s = self._sorted
        m = sets & (s["date"] <= date)
        persons, vals = s["person"][m], s[column][m]
        out = np.full(len(self.birth), -1, dtype=np.int64)
        out[persons] = vals  # sorted by person then date: the last write per person wins
        return out

    def present(self, date: int, basis: str = "any") -> np.ndarray:
        """Boolean per person: registered, alive at the end of ``date`` and in the county: with
        hukou there (basis 'hukou'), living there ('residence'), or either ('any')."""
        s = self._sorted
        k = s["kind"]
        base = (k == K["register"]) | (k == K["birth"])
        mv = k == K["move"]
        hukou = self._latest(base | (mv & np.isin(s["scope"], (1, 2))), "hukou", date)
        res = self._latest(base | (mv & np.isin(s["scope"], (0, 2))), "residence", date)
        here = {"hukou": hukou >= 0, "residence": res >= 0, "any": (hukou >= 0) | (res >= 0)}[basis]
        return self.registered & (self.birth <= date) & (self.death > date) & here

    # --------------------------------------------------------------------------------- statistics

    def tfr(self, year: int) -> float:
        e = self.ev
        d0, d1 = day(dt.date(year, 1, 1)), day(dt.date(year + 1, 1, 1))
        b = (e["kind"] == K["birth"]) & (e["date"] >= d0) & (e["date"] < d1) & (e["mother"] >= 0)
        m_age = ((e["date"][b] - self.birth[e["mother"][b]]) // 365.25).astype(int)
        births = np.bincount(np.clip(m_age, 0, 60), minlength=61)
        mid = day(dt.date(year, 7, 1))
        women = self.present(mid) & (self.sex == 1)
        w_age = ((mid - self.birth[women]) // 365.25).astype(int)
        exposure = np.bincount(np.clip(w_age, 0, 60), minlength=61)
        ages = np.arange(15, 50)
        return float(np.sum(births[ages] / np.maximum(exposure[ages], 1)))

    def birth_orders(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(date, sex, order) of every birth; order by the mother rule: her children born alive
        before and living at this birth, plus one."""
        e = self.ev
        b = np.flatnonzero((e["kind"] == K["birth"]) & (e["mother"] >= 0))
        o = b[np.lexsort((e["date"][b], e["mother"][b]))]
        mother, date, child = e["mother"][o], e["date"][o], e["person"][o]
        order = np.ones(len(o), dtype=np.int64)
        for lag in range(1, 16):
            same = np.zeros(len(o), dtype=bool)
            same[lag:] = mother[lag:] == mother[:-lag]
            alive = np.zeros(len(o), dtype=bool)
            alive[lag:] = self.death[child[:-lag]] > date[lag:]
            order += same & alive
        return date, self.sex[child], order

    def srb(self, years: tuple[int, int], order: int | None = None) -> float:
        date, sex, orders = self.birth_orders()
        d0, d1 = day(dt.date(years[0], 1, 1)), day(dt.date(years[1] + 1, 1, 1))
        m = (date >= d0) & (date < d1)
        if order is not None:
            m &= (orders == order) if order < 3 else (orders >= 3)
        boys, girls = int((sex[m] == 0).sum()), int((sex[m] == 1).sum())
        return 100.0 * boys / max(girls, 1)

    def e0(self, year: int) -> float:
        """Period life expectancy at birth, both sexes, from the year's deaths and its mid-year population."""
        d0, d1 = day(dt.date(year, 1, 1)), day(dt.date(year + 1, 1, 1))
        died = self.registered & (self.death >= d0) & (self.death < d1)
        age_d = np.clip(((self.death[died] - self.birth[died]) // 365.25).astype(int), 0, 100)
        deaths = np.bincount(age_d, minlength=101).astype(float)
        mid = day(dt.date(year, 7, 1))
        pres = self.present(mid)
        age_p = np.clip(((mid - self.birth[pres]) // 365.25).astype(int), 0, 100)
        expo = np.bincount(age_p, minlength=101).astype(float)
        m = deaths / np.maximum(expo, 1)
        q = np.clip(m / (1 + 0.5 * m), 0, 1)
        q[100] = 1.0
        lx = np.r_[1.0, np.cumprod(1 - q)[:-1]]
        big_l = lx - 0.5 * lx * q
        big_l[100] = lx[100] * min(1 / max(m[100], 1e-9), 3.0)  # the open interval 100+: at most 3 years
        return float(big_l.sum())

    def mean_age_first_marriage(self, years: tuple[int, int]) -> float:
        e = self.ev
        mar = np.flatnonzero(e["kind"] == K["marriage"])
        o = mar[np.argsort(e["date"][mar], kind="stable")]
        ages = []
        seen = np.zeros(len(self.birth), dtype=bool)
        d0, d1 = day(dt.date(years[0], 1, 1)), day(dt.date(years[1] + 1, 1, 1))
        h, w, d = e["person"][o], e["partner"][o], e["date"][o]
        first_h, first_w = ~seen[h], ~seen[w]
        # a person's first marriage is the earliest marriage event naming them
        _, ih = np.unique(h, return_index=True)
        _, iw = np.unique(w, return_index=True)
        first_h = np.zeros(len(o), dtype=bool)
        first_h[ih] = True
        first_w = np.zeros(len(o), dtype=bool)
        first_w[iw] = True
        inside = (d >= d0) & (d < d1)
        ages = np.r_[(d - self.birth[h])[inside & first_h], (d - self.birth[w])[inside & first_w]] / 365.25
        return float(ages.mean()) if len(ages) else float("nan")

    def age_sex_shares(self, date: int) -> np.ndarray:
        """Percent of the hukou population (each person counted once, as a census does; residents
        from elsewhere are counted by their own hukou place) in 5-year groups (0-4 ... 85+) by sex:
        shape (18, 2)."""
        pres = self.present(date, "hukou")
        age = ((date - self.birth[pres]) // 365.25).astype(int)
        grp = np.minimum(age // 5, 17)
        out = np.zeros((18, 2))
        np.add.at(out, (grp, self.sex[pres].astype(int)), 1)
        return 100 * out / out.sum()

    def sex_ratio(self, date: int) -> float:
        pres = self.present(date, "hukou")
        return 100.0 * int((self.sex[pres] == 0).sum()) / max(int((self.sex[pres] == 1).sum()), 1)


def census_shares() -> np.ndarray:
    shares = dem.targets()["age_2020"]["shares_percent"]
    arr = np.array(list(shares.values()), dtype=float)
    return 100 * arr / arr.sum()


def check(pop: Population) -> list[Result]:
    """Every calibration check of targets.json, measured on ``pop``."""
    m = Measure(pop)
    census = day(dt.date.fromisoformat(dem.targets()["age_2020"]["census_date"]))
    shares = None
    out = []
    for c in dem.targets()["checks"]:
        st = c["statistic"]
        years = tuple(c.get("years", (0, 0)))
        if st == "tfr":
            v = float(np.mean([m.tfr(y) for y in range(years[0], years[1] + 1)]))
        elif st.startswith("srb"):
            v = m.srb(years, int(st[-1]) if st != "srb" else None)
        elif st == "e0":
            v = float(np.mean([m.e0(y) for y in range(years[0], years[1] + 1)]))
        elif st == "mean_age_first_marriage":
            v = m.mean_age_first_marriage(years)
        elif st in ("age_share", "age_sex_distance"):
            if shares is None:
                shares = m.age_sex_shares(census)
            if st == "age_share":
                lo, hi = c["ages"]
                v = float(shares[lo // 5 : min(hi // 5, 17) + 1].sum())
            else:
                v = float(0.5 * np.abs(shares - census_shares()).sum() / 100)
        elif st == "sex_ratio":
            v = m.sex_ratio(census)
        else:
            raise ValueError(f"unknown statistic {st}")
        out.append(Result(c["name"], st, round(v, 3), c["target"], c["tolerance"], c.get("at_least")))
    return out
