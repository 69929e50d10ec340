"""The statistics service: one per process and database, shared by the CLI and the web application.

It keeps the analytical model (renkou.stats.model) and brings it up to the registry's last saved
change before every answer, so a report never shows data older than the last change; with a
snapshot directory it starts from the snapshot and reads only what changed since.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from renkou.auth.scope import Scope
from renkou.config import Settings
from renkou.core import basis as basis_mod
from renkou.core import numbers
from renkou.core.dates import day
from renkou.errors import UserError
from renkou.registry import asof
from renkou.registry.asof import PopulationCount
from renkou.registry.orgs import Hierarchy, OrgRows
from renkou.stats import catalogue as cat_mod
from renkou.stats.catalogue import Catalogue, Indicator, evaluate
from renkou.stats.engine import Counter, Units
from renkou.stats.model import Model
from renkou.stats.periods import Period, parse
from renkou.stats.rates import rates, ratio_ci, round_half_up, small_text
from renkou.stats.snapshot import load_snapshot, save_snapshot, snapshot_dir
from renkou.storage.db import Database

COUNTERS_KEPT = 48  # queries whose cubes are kept until the next change (a dashboard asks ~30)


@dataclass(frozen=True)
class IndicatorValue:
    code: str
    unit_code: str
    unit_name: str
    level: str
    disaggregation: tuple[tuple[str, str], ...]
    value: float | None
    numerator: float
    denominator: float | None
    low: float | None = None
    high: float | None = None
    flag: str | None = None  # "high" | "low": the CI lies wholly outside the normal range
    small: bool = False  # a ratio of too few cases (Settings.srb_min_births): shown as 样本过少, not as a number

    def to_json(self) -> dict:
        return {
            "indicator": self.code,
            "unit": self.unit_code,
            "unit_name": self.unit_name,
            "level": self.level,
            "disaggregation": dict(self.disaggregation),
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "ci_low": self.low,
            "ci_high": self.high,
            "flag": self.flag,
            "small_sample": self.small,
        }

    def text(self, ind: Indicator, lang: str = "zh") -> str:
        """The value as a page prints it: 样本过少 for a ratio of too few cases, — for none, else the number
        with its decimals (thousands separated) and its unit (‰, %)."""
        if self.small:
            return small_text(lang)
        if self.value is None:
            return "—"
        return numbers.rate(self.value, ind.decimals, ind.unit if ind.unit in ("‰", "%") else "")


@dataclass
class Query:
    """What a figure is computed over: a period, a basis, and the tree as of a date."""

    period: Period
    basis: str
    units_as_of: dt.date


class Stats:
    def __init__(
        self, db: Database, settings: Settings | None = None, *, catalogue: Catalogue | None = None, snapshot: Path | None | bool = None
    ) -> None:
        self.db = db
        self.settings = settings or Settings.from_env()
        self.catalogue = catalogue or cat_mod.load(self.settings.indicators)
        self._model: Model | None = None
        self._units: dict[dt.date, Units] = {}
        self._counters: dict[tuple, Counter] = {}
        self._org: tuple | None = None
        self._counter_lock = threading.RLock()
        self._lock = threading.Lock()
        self._locate_lock = threading.Lock()
        self._snapshot = snapshot_dir(db.url, self.settings.stats_snapshot) if snapshot is None or snapshot is True else (snapshot or None)

    # -- the model ------------------------------------------------------------------------------------
    def model(self) -> Model:
        """The model, brought up to the registry's last saved change."""
        with self._lock, self.db.read() as s:
            if self._model is None:
                thr = self.settings.resident_threshold_months
                self._model = load_snapshot(self._snapshot, s, thr) if self._snapshot else None
                if self._model is None:
                    self._model = Model.load(s, threshold_months=thr)
                    if self._snapshot:
                        save_snapshot(self._model, self._snapshot, s)
            else:
                changed = self._model.refresh(s)
                if changed > 50_000 and self._snapshot:
                    save_snapshot(self._model, self._snapshot, s)
            return self._model

    def locate(self, person_ids: list[int], date: dt.date | None = None) -> dict[int, tuple[int, int]]:
        """(hukou unit id, residence unit id) of each person on ``date`` (default today) by the rule of
        the registry's scope (the latest event in force on or before the date that sets each), so the
        dead keep their last units; 0 = outside the county. From the fresh model: a scope check for a
        search's matches without touching the event log (tests hold the two to the same answers)."""
        h, r = self._located(date)
        out = {}
        for p in person_ids:
            if 0 <= p < len(h) and (h[p] >= 0 or r[p] >= 0):  # -1: never set (an in-migrant's hukou is elsewhere)
                out[p] = (max(int(h[p]), 0), max(int(r[p]), 0))
        return out

    def _located(self, date: dt.date | None) -> tuple[np.ndarray, np.ndarray]:
        """Hukou and residence unit id of every person on ``date`` by person id (-1: never set)."""
        model = self.model()
        d = day(date or dt.date.today())
        key = ("locate", d)
        hit = model.arrays.get(key)
        if hit is None:
            with self._locate_lock:  # concurrent requests wait for the arrays being built instead of building them again
                hit = model.arrays.get(key) or self._locate_arrays(model, d, key)
        return hit

    @staticmethod
    def _locate_arrays(model: Model, d: int, key: tuple) -> tuple[np.ndarray, np.ndarray]:
        """The rule of renkou.registry.asof.latest: the last event in force on or before the date."""
        ev = model.events.filter(pl.col("date") <= d)
        size = int(model.persons["id"].max() or 0) + 1
        hit = []
        for col, scopes in (("hukou", ("hukou", "both")), ("residence", ("residence", "both"))):
            sets = pl.col("kind").is_in(("register", "birth")) | ((pl.col("kind") == "move") & pl.col("scope").is_in(scopes))
            last = ev.filter(sets).sort("person", "date", "id").group_by("person", maintain_order=True).last()
            arr = np.full(size, -1, dtype=np.int64)
            arr[last["person"].to_numpy()] = last[col].fill_null(0).to_numpy()
            hit.append(arr)
        hit = model.arrays[key] = tuple(hit)
        return hit

    def members(self, unit_ids: Iterable[int], date: dt.date | None = None, *, at_most: int) -> list[int] | None:
        """Ids of the persons whose latest hukou or residence unit on ``date`` (as ``locate``) is one of
        ``unit_ids`` — the dead and the departed included, as in a scope check — or None when there are
        more than ``at_most`` (a search then filters its matches instead)."""
        h, r = self._located(date)
        wanted = np.fromiter(unit_ids, dtype=np.int64)
        found = np.flatnonzero(np.isin(h, wanted) | np.isin(r, wanted))
        return None if len(found) > at_most else found.tolist()

    def units(self, date: dt.date) -> Units:
        """The population units as they stood on ``date`` (shared by every date with the same tree)."""
        model = self.model()
        if self._org is None or self._org[0] != model.seq:
            with self.db.read() as s:
                rows = OrgRows.read(s)
            changes = sorted(
                {
                    d
                    for d in [
                        *(u.valid_from for u in rows.units),
                        *(u.retired_on for u in rows.units if u.retired_on),
                        *(v.valid_from for v in rows.versions),
                        *(x.date for x in rows.successions),
                    ]
                }
            )
            if self._org is None or self._org[1] != rows:
                self._units = {}
            self._org = (model.seq, rows, changes)
        _, rows, changes = self._org
        k = bisect.bisect_right(changes, date)
        key = changes[k - 1] if k else dt.date.min
        if key not in self._units:
            self._units[key] = Units.of(Hierarchy.from_rows(rows, date), [u.id for u in rows.units])
        return self._units[key]

    # -- queries --------------------------------------------------------------------------------------
    def query(
        self,
        period: str | Period,
        *,
        basis: str = basis_mod.DEFAULT,
        units_as_of: str | dt.date | None = None,
        today: dt.date | None = None,
    ) -> Query:
        today = today or dt.date.today()
        p = period if isinstance(period, Period) else parse(period, today=today, stat_year_start=self.settings.stat_year_start)
        if units_as_of in (None, "", "end"):
            uas = p.end
        elif units_as_of == "today":
            uas = today
        elif isinstance(units_as_of, dt.date):
            uas = units_as_of
        else:
            try:
                uas = dt.date.fromisoformat(str(units_as_of))
            except ValueError:
                raise UserError(
                    f"单位日期 {units_as_of} 应为 YYYY-MM-DD、end 或 today", f"units-as-of {units_as_of} must be YYYY-MM-DD, end or today"
                ) from None
        return Query(p, basis_mod.check(basis, basis_mod.STATISTICS), uas)

    def counter(self, q: Query) -> Counter:
        """The counter of a query, kept while nothing changes (its cubes are built once)."""
        model = self.model()
        key = (q.period.start, q.period.end, q.basis, q.units_as_of, model.seq, id(model.derived))
        with self._counter_lock:
            return self._counter(q, model, key)

    def _counter(self, q: Query, model: Model, key: tuple) -> Counter:
        c = self._counters.get(key)
        if c is None:
            c = Counter(model, self.units(q.units_as_of), q.period.start, q.period.end, q.basis, self.settings.birth_order_rule)
            self._counters = {k: v for k, v in list(self._counters.items())[-(COUNTERS_KEPT - 1) :] if k[4] == model.seq}
            self._counters[key] = c
        return c

    def values(self, counter: Counter, ind: Indicator, positions: list[int], bind: dict, disagg: tuple = ()) -> list[IndicatorValue]:
        """One indicator (one disaggregation) for the units at ``positions``."""
        idx = np.asarray(positions, dtype=np.int64)
        num = evaluate(self.catalogue.expr(ind.numerator), counter, bind)[idx]
        den = evaluate(self.catalogue.expr(ind.denominator), counter, bind)[idx] if ind.denominator else None
        vals = rates(num, den, ind.factor, ind.decimals)
        out = []
        for k, i in enumerate(positions):
            u = counter.u.views[i]
            n = float(num[k])
            d = None if den is None else float(den[k])
            low = high = flag = None
            small = False
            if ind.ci == "ratio" and d is not None:
                small = n + d < self.settings.srb_min_births  # the sample of a ratio of two counts is their sum (births)
                lo, hi = ratio_ci(n, d, ind.factor)
                if lo is not None:
                    low, high = round_half_up(lo, ind.decimals), (None if math.isinf(hi) else round_half_up(hi, ind.decimals))
                    if ind.normal:
                        flag = "high" if lo > ind.normal[1] else "low" if hi < ind.normal[0] else None
            v = vals[k]
            out.append(
                IndicatorValue(ind.code, u.code, u.name, u.level, disagg, None if math.isnan(v) else float(v), n, d, low, high, flag, small)
            )
        return out

    def indicators(
        self, org: str, q: Query, *, level: str | None = None, codes: list[str] | None = None, scope=None, disaggregate: bool = True
    ) -> list[IndicatorValue]:
        """Every indicator (or ``codes``) for the unit ``org`` and the units below it (at ``level``,
        or the unit alone), with every disaggregation."""
        self.check_scope(org, scope)  # before any work
        counter = self.counter(q)
        positions = self.positions(counter.u, org, level)
        inds = [self.catalogue.get(c) for c in codes] if codes else list(self.catalogue.indicators.values())
        out: list[IndicatorValue] = []
        for ind in inds:
            for disagg, bind in self.catalogue.combos(ind) if disaggregate else [((), dict(ind.defaults))]:
                out += self.values(counter, ind, positions, bind, disagg)
        return out

    def population(self, org: str, date: dt.date, basis: str = basis_mod.DEFAULT, *, scope: Scope | None = None) -> PopulationCount:
        """The population of ``org`` and of each population unit directly below it at the end of
        ``date``, by sex: the one count behind ``renkou population``, ``/api/v1/population`` and the
        statistics' ``pop_end``. The ``current`` basis is counted from the registry (renkou.registry.asof)."""
        basis = basis_mod.check(basis)
        if basis not in basis_mod.STATISTICS:
            with self.db.read() as s:
                return asof.population(s, org, date, basis, scope=scope)
        self.check_scope(org, scope)
        counter = self.counter(Query(Period(date, date, "range"), basis, date))
        u = counter.u
        root = u.index(org)
        kids = [i for i, v in enumerate(u.views) if v.parent_id == u.views[root].id]
        by_sex = {sex: counter.value("pop_end", sex=sex) for sex in ("M", "F")}

        def count(i: int) -> PopulationCount:
            v = u.views[i]
            return PopulationCount(v.code, v.name, date, basis, int(by_sex["M"][i]), int(by_sex["F"][i]))

        out = count(root)
        out.children = [count(i) for i in kids]
        return out

    def check_scope(self, org: str, scope: Scope | None) -> None:
        """NotFound unless ``org`` is inside the scope (None: no restriction)."""
        if scope is not None:
            with self.db.read() as s:
                scope.require_unit(s, org)

    def positions(self, units: Units, org: str, level: str | None, scope: Scope | None = None) -> list[int]:
        self.check_scope(org, scope)
        root = units.index(org)
        if level is None:
            return [root]
        sub = units.subtree(org)
        picked = [i for i in sub if units.views[i].level == level]
        if not picked:
            raise UserError(f"单位 {org} 之下没有 {level} 级单位", f"there are no {level} units under {org}")
        return picked
