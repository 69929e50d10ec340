"""The benefits service over the registry: ``check`` one person, list the ``candidates`` of a unit,
compute an ``entitlement``. Shared by the CLI and (later) the web application.

Every answer goes through one path: the statistics model brought up to the registry's last change
(renkou.stats.service.Stats), the hukou types and disability grades read up to the same change
(renkou.benefits.eligibility.details), the family-facts table for the date (renkou.benefits.eligibility.facts) — for a whole
county, or filtered to the persons asked about — and the conditions evaluated on it as Polars
expressions (renkou.benefits.eligibility.conditions). ``check`` is the whole-county determination on one row.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from renkou.auth.scope import Scope
from renkou.benefits.eligibility import facts
from renkou.benefits.eligibility.conditions import NOT_MET, Decision, When, decisions, evaluate, prefilter
from renkou.benefits.eligibility.details import Details
from renkou.benefits.rules import amounts as amounts_mod
from renkou.benefits.rules import programmes as programmes_mod
from renkou.benefits.rules.amounts import Amounts, Entitlement, Month
from renkou.benefits.rules.programmes import Programme
from renkou.config import Settings
from renkou.core.dates import day
from renkou.core.idnumber import mask
from renkou.errors import NotFound, UserError
from renkou.stats.engine import Units
from renkou.stats.model import OUT, Model
from renkou.stats.service import Stats
from renkou.storage.db import Database
from renkou.storage.schema import BenefitRecipient, Person

FACTS_KEPT = 4  # whole-county fact tables kept until the next change (reward, special, onechild share one)


def current_recipients(session: Session, programme: str, year: int) -> set[int]:
    """Person ids receiving ``programme`` at some time in ``year``: confirmed before the year ended
    and not exited before it began (recipients awaiting the year's re-confirmation included)."""
    q = select(BenefitRecipient.person_id).where(
        BenefitRecipient.programme == programme,
        BenefitRecipient.since <= dt.date(year, 12, 31),
        (BenefitRecipient.ended_on.is_(None)) | (BenefitRecipient.ended_on >= dt.date(year, 1, 1)),
    )
    return set(session.scalars(q))


class Eligibility:
    def __init__(
        self,
        db: Database,
        settings: Settings | None = None,
        *,
        stats: Stats | None = None,
        programmes: dict[str, Programme] | None = None,
        amounts: Amounts | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or Settings.from_env()
        self.stats = stats or Stats(db, self.settings)
        self.programmes = programmes if programmes is not None else programmes_mod.load(self.settings)
        self.amounts = amounts if amounts is not None else amounts_mod.load(self.settings)
        self._details = Details()
        self._sources: tuple[tuple, facts.Sources] | None = None
        self._facts: dict[tuple, pl.DataFrame] = {}
        self._lock = threading.RLock()

    def programme(self, key: str) -> Programme:
        if key not in self.programmes:
            raise UserError(
                f"没有福利项目 {key}（可选：{', '.join(self.programmes)}）",
                f"no benefit programme {key} (one of: {', '.join(self.programmes)})",
            )
        return self.programmes[key]

    # -- the one path -----------------------------------------------------------------------------------
    def refresh(self) -> Model:
        """Bring the model and the hukou types and grades up to the registry's last change (reads only)."""
        with self._lock:
            model = self.stats.model()
            with self.db.read() as s:
                self._details.bring_to(s, model.seq)
            return model

    def sources(self) -> facts.Sources:
        """The model's columns rearranged for the facts, as of the registry's last change."""
        with self._lock:
            model = self.refresh()
            key = (model.seq, id(model.derived), id(model.events), self._details.seq, id(self._details.frame))
            if self._sources is None or self._sources[0] != key:
                self._sources = (key, facts.Sources.of(model, self._details.in_force(model.events)))
                self._facts.clear()
            return self._sources[1]

    def facts(self, prog: Programme, w: When, ids: pl.DataFrame | None = None) -> pl.LazyFrame:
        """The family-facts table of the programme's beneficiaries on ``w.on`` (a lazy query): everyone
        (``ids`` None) or the persons in ``ids`` (a frame with a ``person`` column)."""
        src = self.sources()
        d = day(w.on)
        classes = facts.class_frame(self.unit_class(self.stats.units(w.on)))
        who = None if ids is None else ids["person"].cast(pl.Int64)
        if prog.beneficiary == "child":
            universe = None if who is not None else prefilter(prog, src.persons.lazy(), w)  # drop whom the birth date excludes
            return facts.children(src, who, d, classes, universe)
        if who is not None:
            return facts.parents(src, who, d, classes, adopted=prog.adopted_children)
        key = (self._sources[0] if self._sources else None, d, prog.adopted_children)
        with self._lock:  # reward, special and onechild share one table of every parent
            hit = self._facts.get(key)
            if hit is None:
                hit = facts.parents(src, None, d, classes, adopted=prog.adopted_children).collect()
                while len(self._facts) >= FACTS_KEPT:
                    self._facts.pop(next(iter(self._facts)))
                self._facts[key] = hit
            return hit.lazy()

    def determine(
        self, programme: str | Programme, w: When, ids: pl.DataFrame | None = None, attested: Mapping[str, Iterable[int]] | None = None
    ) -> pl.DataFrame:
        """Every condition evaluated, as columns, for the whole county or for ``ids``."""
        prog = programme if isinstance(programme, Programme) else self.programme(programme)
        return evaluate(prog, self.facts(prog, w, ids), w, attested).collect()

    # -- units ---------------------------------------------------------------------------------------------
    @staticmethod
    def unit_class(units: Units) -> np.ndarray:
        """1 urban / 2 rural / 0 unknown per raw unit id (the unit's urban-rural code), for a tree."""
        hit = units.cache.get("benefits.unit_class")
        if hit is None:
            by_pos = np.array([{"1": 1, "2": 2}.get((v.urban_rural or " ")[0], 0) for v in units.views] + [0], dtype=np.int8)
            hit = units.cache["benefits.unit_class"] = by_pos[units.base_of_raw]  # -1 (no unit) picks the trailing 0
        return hit

    @staticmethod
    def unit_of(units: Units) -> Callable[[int | None], tuple[str | None, str | None]]:
        @functools.cache
        def unit(h: int | None) -> tuple[str | None, str | None]:
            if h is None or h == OUT:
                return None, None
            pos = int(units.base(np.array([h]))[0])
            return (units.views[pos].code, units.views[pos].name) if pos >= 0 else (None, None)

        return unit

    @staticmethod
    def county_of(units: Units, h: int | None = None) -> str:
        """The code of the county holding raw unit ``h`` (else the tree's first county): whose layers apply."""
        pos = int(units.base(np.array([h]))[0]) if h else -1
        while pos >= 0:
            v = units.views[pos]
            if v.level == "county":
                return v.code
            pos = units.pos_id.get(v.parent_id, -1)
        for v in units.views:
            if v.level == "county":
                return v.code
        raise UserError(
            "组织机构树中没有县级单位，无法确定适用的金额标准", "the organisation tree has no county: cannot tell which amounts apply"
        )

    # -- the public questions ---------------------------------------------------------------------------
    def check(
        self,
        programme: str,
        person_id: int,
        on: dt.date,
        *,
        period_start: dt.date | None = None,
        scope: Scope | None = None,
        attested: Mapping[str, str] | None = None,
    ) -> Decision:
        """One person's decision on ``on``, condition by condition. ``period_start``: the first day of the
        period month-based conditions look at (default: the month of ``on``; ``candidates`` uses 1 January).
        ``attested``: condition key -> where the declaration is recorded (an application)."""
        with self.db.read() as s:
            p = s.get(Person, person_id)
            if p is None:
                raise NotFound(f"人员 #{person_id} 不存在", f"no person #{person_id}")
            if scope is not None:
                scope.require_person(s, p, p.id_number or p.temp_key or str(person_id), on)
        return self.check_all(programme, [person_id], on, period_start=period_start, attested=attested)[person_id]

    def check_all(
        self,
        programme: str,
        person_ids: Iterable[int],
        on: dt.date,
        *,
        period_start: dt.date | None = None,
        attested: Mapping[str, str] | None = None,
    ) -> dict[int, Decision]:
        """The decisions of several persons at once (e.g. every recipient at the annual re-confirmation):
        the whole-county determination filtered to them. ``attested`` applies to each of them."""
        prog = self.programme(programme)
        ids = sorted(set(person_ids))
        w = When(on, period_start or on.replace(day=1))
        rows = self.determine(prog, w, pl.DataFrame({"person": ids}, schema={"person": pl.Int64}), {k: ids for k in attested or {}})
        out = decisions(prog, rows, w, self.unit_of(self.stats.units(on)), attested, self._links(prog, rows, w))
        return {d.person_id: d for d in self._named(out)}

    def candidates(self, programme: str, year: int, org_code: str, scope: Scope | None = None) -> list[Decision]:
        """Who newly qualifies in ``year`` under ``org_code`` (by hukou unit): no condition not met on
        the programme's determination date, and not already a recipient. Refuses an org outside ``scope``."""
        prog = self.programme(programme)
        self.stats.check_scope(org_code, scope)
        on = prog.determination(year)
        w = When(on, dt.date(year, 1, 1))
        units = self.stats.units(on)
        inside = np.asarray(units.subtree(org_code), dtype=np.int64)
        rows = self.determine(prog, w).filter(pl.col("eligible") != NOT_MET)
        pos = units.base(rows["h"].fill_null(OUT).to_numpy())
        codes = np.array([v.code for v in units.views] + [""])  # position -1 (no unit) picks ""
        rows = rows.with_columns(pl.Series("_unit", codes[pos])).filter(pl.Series(np.isin(pos, inside)))
        with self.db.read() as s:
            already = current_recipients(s, prog.key, year)
        if already:
            rows = rows.filter(~pl.col("person").is_in(list(already)))
        rows = rows.sort("_unit", "person")  # the list's order: explanations are then read in order
        return self._named(decisions(prog, rows, w, self.unit_of(units), links=self._links(prog, rows, w)))

    def entitlement(self, programme: str, person_id: int, year: int) -> Entitlement:
        return self.entitlements(programme, [person_id], year)[person_id]

    def entitlements(self, programme: str, person_ids: Iterable[int], year: int) -> dict[int, Entitlement]:
        """The amount each person is entitled to for ``year`` (renkou.benefits.rules.amounts.entitlement):
        month by month, a month counting when no condition is not met on its first day (attestations
        are taken as made: they are recorded at application); ``whole_year`` programmes are judged on
        the determination date."""
        prog = self.programme(programme)
        ids = pl.DataFrame({"person": sorted(set(person_ids))}, schema={"person": pl.Int64})
        firsts = [dt.date(year, m, 1) for m in range(1, 13)]
        whens = [When(prog.determination(year), dt.date(year, 1, 1))] if prog.proration == "whole_year" else [When.day(f) for f in firsts]
        state: dict[int, list[tuple[bool, tuple]]] = {p: [] for p in ids["person"]}
        county: dict[int, str] = {}
        for w in whens:
            units = self.stats.units(w.on)
            rows = self.determine(prog, w, ids)
            for r in rows.select("person", "eligible", "h", *(f"v_{v}" for v in prog.variants)).iter_rows(named=True):
                ok = r["eligible"] != NOT_MET
                state[r["person"]].append((ok, tuple((v, r[f"v_{v}"]) for v in prog.variants)))
                if ok or r["person"] not in county:
                    county[r["person"]] = self.county_of(units, r["h"])
        out = {}
        for p, st in state.items():
            if prog.proration == "whole_year":
                st = st * 12
            months = [Month(f, ok, v if ok else ()) for f, (ok, v) in zip(firsts, st, strict=True)]
            out[p] = amounts_mod.entitlement(self.amounts, prog.key, prog.unit, county[p], year, months, p)
        return out

    def _links(self, prog: Programme, rows: pl.DataFrame, w: When) -> dict[int, list[dict]]:
        if prog.beneficiary != "each_parent":
            return {}
        return facts.links_by_parent(self.sources(), rows["person"], day(w.on), prog.adopted_children)

    def _named(self, out: list[Decision]) -> list[Decision]:
        ids = [d.person_id for d in out]
        names: dict[int, tuple[str, str]] = {}
        with self.db.read() as s:
            for i in range(0, len(ids), 5000):
                for pid, name, idn, tk in s.execute(
                    select(Person.id, Person.name, Person.id_number, Person.temp_key).where(Person.id.in_(ids[i : i + 5000]))
                ):
                    names[pid] = (name, mask(idn) if idn else (tk or ""))
        for d in out:
            d.name, d.id_masked = names.get(d.person_id, (None, None))
        return out
