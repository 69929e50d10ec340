"""Counts per unit and period, from the analytical layer's columns (renkou.stats.model).

For one period, one basis (``hukou`` or ``resident``) and one organisation tree (the units as they
stood on a chosen date), ``measure`` builds each *measure* once as a dense numpy cube: the first
axis is the unit, the others its disaggregations (sex, age, birth order...). A person or event is
counted at its *base unit*: its recorded unit carried through merges to the chosen date, and a
村民小组 folded into its village. The cube is then rolled up the tree by one matrix product, so every
unit's figure is the sum of its children's, and a rate is computed afterwards from summed counts,
never averaged (renkou.stats.catalogue).

Measures and their axes:

============== =========================================== ===============================================
measure        what                                        axes (filters)
============== =========================================== ===============================================
pop_start      living people at the end of the day before  sex, age, married
pop_end        living people at the end of the last day    sex, age, married
pop_avg        (pop_start + pop_end) / 2                    sex, age, married
births         live births in the period                   sex, order, mother_age
mother_age_sum sum of the mothers' exact ages at birth     sex, order, mother_age
deaths         deaths in the period                        sex, age (at death)
moves_in       arrivals (from another base unit or outside) sex, origin (0 in the county, 1 outside)
moves_out      departures                                  sex, destination (0 in the county, 1 outside)
registered     first entries on the register               sex
marriages      marriages (the woman's unit, else the man's)
divorces       divorces (likewise)
away_out       hukou here, living in another base unit      sex   (at the end; 人户分离, 外出)
away_in        living here, hukou in another base unit      sex   (at the end; 人户分离, 外来)
============== =========================================== ===============================================

The stocks and flows balance for every unit: pop_end = pop_start + births - deaths + moves_in -
moves_out + registered (tested).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

import numpy as np

from renkou.core import basis as basis_mod
from renkou.core.dates import day
from renkou.errors import NotFound
from renkou.registry.orgs import Hierarchy, UnitView
from renkou.stats.model import OUT, Model

BASES = basis_mod.STATISTICS  # see renkou.core.basis
MAX_AGE = 110
MOTHER_AGES = (10, 60)
MAX_ORDER = 10
SEX = {"M": 1, "F": 0, 1: 1, 0: 0}
POPULATION_LEVELS = ("province", "city", "county", "township", "village")


@dataclass(frozen=True)
class Axis:
    name: str
    first: int  # value at index 0
    size: int


@dataclass
class Cube:
    axes: tuple[Axis, ...]
    data: np.ndarray  # (units, *axis sizes), rolled up

    def select(self, filters: dict) -> np.ndarray:
        """Sum over every axis after applying ``filters``: ``axis=value``, ``axis_min=v``, ``axis_max=v``
        (None = no filter). Returns one figure per unit."""
        idx: list = [slice(None)]
        for ax in self.axes:
            lo, hi = 0, ax.size - 1
            v = filters.get(ax.name)
            if v is not None:
                i = (SEX[v] if ax.name == "sex" else int(v)) - ax.first
                lo = hi = i
            if filters.get(f"{ax.name}_min") is not None:
                lo = max(lo, int(filters[f"{ax.name}_min"]) - ax.first)
            if filters.get(f"{ax.name}_max") is not None:
                hi = min(hi, int(filters[f"{ax.name}_max"]) - ax.first)
            lo, hi = max(lo, 0), min(hi, ax.size - 1)
            idx.append(slice(lo, hi + 1) if lo <= hi else slice(0, 0))
        part = self.data[tuple(idx)]
        return part.reshape(part.shape[0], -1).sum(axis=1)

    def filter_names(self) -> set[str]:
        return {n for ax in self.axes for n in (ax.name, f"{ax.name}_min", f"{ax.name}_max")}


AXES: dict[str, tuple[Axis, ...]] = {
    "pop": (Axis("sex", 0, 2), Axis("age", 0, MAX_AGE + 1), Axis("married", 0, 2)),
    "births": (Axis("sex", 0, 2), Axis("order", 1, MAX_ORDER), Axis("mother_age", MOTHER_AGES[0], MOTHER_AGES[1] - MOTHER_AGES[0] + 1)),
    "deaths": (Axis("sex", 0, 2), Axis("age", 0, MAX_AGE + 1)),
    "moves_in": (Axis("sex", 0, 2), Axis("origin", 0, 2)),
    "moves_out": (Axis("sex", 0, 2), Axis("destination", 0, 2)),
    "sex": (Axis("sex", 0, 2),),
    "none": (),
}
MEASURE_AXES = {
    "pop_start": "pop",
    "pop_end": "pop",
    "pop_avg": "pop",
    "births": "births",
    "mother_age_sum": "births",
    "deaths": "deaths",
    "moves_in": "moves_in",
    "moves_out": "moves_out",
    "registered": "sex",
    "marriages": "none",
    "divorces": "none",
    "away_out": "sex",
    "away_in": "sex",
}


@dataclass
class Units:
    """The population units of one tree (as of a date), how raw unit ids map onto them, and the
    roll-up matrix (``rollup[i, j]`` = 1 when unit j is unit i or below it)."""

    date: dt.date
    views: list[UnitView]
    pos: dict[str, int]
    base_of_raw: np.ndarray
    rollup: np.ndarray
    depth: list[int] = field(default_factory=list)
    pos_id: dict[int, int] = field(default_factory=dict)
    _levels: list | None = None
    cache: dict = field(default_factory=dict)  # per-tree arrays derived from the model (see Counter._stock)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def of(cls, h: Hierarchy, raw_ids: list[int]) -> Units:
        order: list[tuple[int, UnitView]] = []
        for root in h.roots():
            order += [(d, u) for d, u in h.walk(root.code) if u.level in POPULATION_LEVELS]
        views = [u for _, u in order]
        pos_id = {u.id: i for i, u in enumerate(views)}
        base = np.full(max([0, *raw_ids]) + 2, -1, dtype=np.int64)
        for rid in raw_ids:
            r = h.resolve(rid)
            while r is not None and r not in pos_id and r in h.units:  # a group folds into its village
                r = h.units[r].parent_id if h.units[r].level == "group" else None
            if r is not None and r in pos_id:
                base[rid] = pos_id[r]
        base[OUT] = -1
        n = len(views)
        roll = np.eye(n)
        for j, u in enumerate(views):
            p = u.parent_id
            while p is not None and p in pos_id:
                roll[pos_id[p], j] = 1.0
                p = h.units[p].parent_id
        return cls(h.date, views, {u.code: i for i, u in enumerate(views)}, base, roll, [d for d, _ in order], pos_id)

    def roll(self, raw: np.ndarray) -> np.ndarray:
        """Add each unit's rows into all its ancestors' (deepest level first)."""
        out = raw.copy()
        for rows, parents in self.levels:
            np.add.at(out, parents, out[rows])
        return out

    @property
    def levels(self) -> list[tuple[np.ndarray, np.ndarray]]:
        if self._levels is None:
            parent = np.array([self.pos_id.get(u.parent_id, -1) for u in self.views], dtype=np.int64)
            depth = np.asarray(self.depth)
            self._levels = [
                (np.flatnonzero((depth == d) & (parent >= 0)), parent[(depth == d) & (parent >= 0)])
                for d in range(int(depth.max(initial=0)), 0, -1)
            ]
        return self._levels

    def base(self, raw: np.ndarray) -> np.ndarray:
        # the last entry is -1 and catches any id beyond the table (negative ids never occur)
        return self.base_of_raw.take(np.asarray(raw), mode="clip")

    def index(self, code: str) -> int:
        if code not in self.pos:
            raise NotFound(
                f"单位 {code} 在 {self.date} 不是人口统计单位（不存在、已撤并或为工作单位）",
                f"unit {code} is not a population unit on {self.date} (unknown, merged away, or a work unit)",
            )
        return self.pos[code]

    def subtree(self, code: str) -> list[int]:
        i = self.index(code)
        return [int(j) for j in np.flatnonzero(self.roll_row(i))]

    def roll_row(self, i: int) -> np.ndarray:
        return self.rollup[i] > 0


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(year, month*100+day) of int days since 1970-01-01."""
    d = np.asarray(days, dtype="datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return y, m * 100 + dd


def ages(birth: np.ndarray, on: np.ndarray | int) -> np.ndarray:
    """Completed years on ``on`` (days, scalar or array) of people born on ``birth`` (days)."""
    by, bmd = _ymd(birth)
    oy, omd = _ymd(np.broadcast_to(np.asarray(on), np.shape(birth)))
    return oy - by - (omd < bmd)


def age_from(by: np.ndarray, bmd: np.ndarray, on: int) -> np.ndarray:
    """Completed years on day ``on`` from birth years and month*100+day (precomputed)."""
    oy, omd = _ymd(np.array([on]))
    return int(oy[0]) - by - (bmd > int(omd[0]))


class Counter:
    """Measures of one model for one period, basis and tree. Cubes are built on first use."""

    def __init__(self, model: Model, units: Units, start: dt.date, end: dt.date, basis: str, birth_order_rule: str = "mother") -> None:
        basis = basis_mod.check(basis, BASES)
        self.m, self.u = model, units
        self.a, self.b = day(start), day(end)
        self.basis, self.rule = basis, birth_order_rule
        self.col = "h" if basis == basis_mod.HUKOU else "res"
        self._cubes: dict[str, Cube] = {}
        self._lock = threading.RLock()  # concurrent requests wait for a cube being built instead of building it again

    # -- cube construction -------------------------------------------------------------------------------
    def _cube(self, kind: str, unit: np.ndarray, coords: list[np.ndarray], weights: np.ndarray | None = None) -> Cube:
        """Count (or sum ``weights``) by unit and the axes of ``kind``; unit -1 (not counted here) goes
        to a discarded extra row. Values beyond an axis are clipped into its last cell (e.g. 3+)."""
        axes = AXES[kind]
        n = len(self.u.views)
        unit = np.where(unit < 0, n, unit)
        shape = (n + 1, *[ax.size for ax in axes])
        idx = [unit] + [np.asarray(c) - ax.first if ax.first else np.asarray(c) for ax, c in zip(axes, coords, strict=True)]
        flat = np.ravel_multi_index(idx, shape, mode="clip") if axes else unit
        size = int(np.prod(shape, dtype=np.int64))
        raw = np.bincount(flat, weights=weights, minlength=size).astype(np.float64).reshape(n + 1, -1)[:n]
        return Cube(axes, self.u.roll(raw).reshape((n, *shape[1:])))

    def _stock(self, d: int) -> Cube:
        """Living people at the end of day ``d`` by unit, sex, age and married — shared by every
        query on the same tree and basis (a month's start is the previous month's end)."""
        opened = self.m.layout()[0]
        key = ("stock", self.col, d)
        with self.u.lock:
            return self._stock_cached(key, opened, d)

    def _stock_cached(self, key: tuple, opened: dict, d: int) -> Cube:
        hit = self.u.cache.get(key)
        if hit is None or hit[0] is not opened:
            hit = self.u.cache[key] = (opened, self._stock_at(d))
            stocks = [k for k in self.u.cache if k[0] == "stock"]
            stale = [k for k in stocks if self.u.cache[k][0] is not opened] + stocks[: max(0, len(stocks) - 64)]
            for k in set(stale):
                del self.u.cache[k]
        return hit[1]

    def _stock_at(self, d: int) -> Cube:
        """The unit-and-sex part of each open spell's cell is computed once per tree and kept."""
        n = len(self.u.views)
        ages_n = MAX_AGE + 1
        opened, closed = self.m.layout()
        k = int(np.searchsorted(opened["start"], d, side="right"))
        key = ("pre", self.col)
        hit = self.u.cache.get(key)
        if hit is None or hit[0] is not opened:
            unit = self.u.base(opened[self.col])
            hit = self.u.cache[key] = (opened, np.where(unit < 0, n, unit) * 2 + opened["male"])
        j = int(np.searchsorted(closed["end"], d, side="right"))
        keep = j + np.flatnonzero(closed["start"][j:] <= d)
        cunit = self.u.base(closed[self.col][keep])
        pre = np.concatenate([hit[1][:k], np.where(cunit < 0, n, cunit) * 2 + closed["male"][keep]])
        by = np.concatenate([opened["by"][:k], closed["by"][keep]])
        bmd = np.concatenate([opened["bmd"][:k], closed["bmd"][keep]])
        person = np.concatenate([opened["person"][:k], closed["person"][keep]])
        flat = (pre * ages_n + np.minimum(age_from(by, bmd, d), MAX_AGE)) * 2 + self._married_on(d, person)
        raw = np.bincount(flat, minlength=(n + 1) * 2 * ages_n * 2).astype(np.float64).reshape(n + 1, -1)[:n]
        return Cube(AXES["pop"], self.u.roll(raw).reshape((n, 2, ages_n, 2)))

    def _married_on(self, d: int, person: np.ndarray) -> np.ndarray:
        m = self.m
        ms, me, mp = m.array("married", "start"), m.array("married", "end"), m.array("married", "person")
        who = mp[(ms <= d) & (me > d)]
        if len(who) == 0 or len(person) == 0:
            return np.zeros(len(person), dtype=np.int64)
        top = int(max(person.max(), who.max())) + 1
        flag = np.zeros(top, dtype=np.int64)
        flag[who] = 1
        return flag[person]

    def _in_period(self, frame: str) -> np.ndarray:
        d = self.m.array(frame, "date")
        return (d >= self.a) & (d <= self.b)

    def _build(self, name: str) -> Cube:
        m, sel = self.m, None
        if name in ("pop_start", "pop_end"):
            return self._stock(self.a - 1 if name == "pop_start" else self.b)
        if name == "pop_avg":
            s, e = self.cube("pop_start"), self.cube("pop_end")
            return Cube(s.axes, (s.data + e.data) / 2)
        if name in ("births", "mother_age_sum"):
            sel = self._in_period("births")
            order = m.array("births", "order_mother" if self.rule == "mother" else "order_couple")[sel]
            w = m.array("births", "mother_age_exact")[sel] if name == "mother_age_sum" else None
            return self._cube(
                "births",
                self.u.base(m.array("births", self.col)[sel]),
                [m.array("births", "male")[sel], order, m.array("births", "mother_age")[sel]],
                w,
            )
        if name == "deaths":
            sel = self._in_period("deaths")
            age = ages(m.array("deaths", "birth")[sel], m.array("deaths", "date")[sel])
            return self._cube("deaths", self.u.base(m.array("deaths", self.col)[sel]), [m.array("deaths", "male")[sel], age])
        if name in ("moves_in", "moves_out"):
            sel = self._in_period("moves")
            f = self.u.base(m.array("moves", f"{self.col}_from")[sel])
            t = self.u.base(m.array("moves", f"{self.col}_to")[sel])
            male = m.array("moves", "male")[sel]
            moved = f != t
            if name == "moves_in":
                return self._cube("moves_in", np.where(moved, t, -1), [male, (f < 0).astype(np.int64)])
            return self._cube("moves_out", np.where(moved, f, -1), [male, (t < 0).astype(np.int64)])
        if name == "registered":
            sel = self._in_period("registrations")
            return self._cube("sex", self.u.base(m.array("registrations", self.col)[sel]), [m.array("registrations", "male")[sel]])
        if name in ("marriages", "divorces"):
            kind = m.array("unions", "kind")
            sel = self._in_period("unions") & (kind == ("marriage" if name == "marriages" else "divorce"))
            return self._cube("none", self.u.base(m.array("unions", self.col)[sel]), [])
        if name in ("away_out", "away_in"):
            parts = []
            for part in m.live_spells(self.b):
                h, r = self.u.base(part["h"]), self.u.base(part["residence"])
                parts.append(self._cube("sex", np.where(h != r, h if name == "away_out" else r, -1), [part["male"]]).data)
            return Cube(AXES["sex"], sum(parts))
        raise KeyError(name)

    def cube(self, name: str) -> Cube:
        hit = self._cubes.get(name)
        if hit is None:
            with self._lock:
                hit = self._cubes.get(name)
                if hit is None:
                    hit = self._cubes[name] = self._build(name)
        return hit

    def value(self, name: str, **filters) -> np.ndarray:
        """One figure per unit (rolled up), for a measure and its filters."""
        if name not in MEASURE_AXES:
            raise KeyError(name)
        return self.cube(name).select(filters)


def check_filters(name: str, filters: set[str]) -> list[str]:
    """Filter names a measure does not have (for validating the catalogue)."""
    if name not in MEASURE_AXES:
        return [name]
    allowed = {n for ax in AXES[MEASURE_AXES[name]] for n in (ax.name, f"{ax.name}_min", f"{ax.name}_max")}
    return sorted(filters - allowed)
