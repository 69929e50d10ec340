"""The pure core of eligibility: each condition of a programme as one Polars expression over the
family-facts table (renkou.benefits.eligibility.facts), and the ``Decision`` read back from the evaluated rows.

There is one implementation of every rule: ``evaluate`` computes a status per condition for all the
rows it is given — a whole county, or one person's row — and ``decisions`` only reads those statuses
back, adding for each condition the record it was decided from. Statuses: ``met``, ``not_met`` and
``needs_attestation`` (a fact declared at application: recorded, never inferred). A decision is
eligible (True) when every condition is met, not eligible (False) when any is not met, and None when
only attestations are missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from functools import partial

import polars as pl

from renkou.benefits.eligibility.decision import ConditionResult, Decision, Record, When
from renkou.benefits.eligibility.records import records_for
from renkou.benefits.rules.programmes import Condition, Programme
from renkou.core.dates import day
from renkou.stats.model import OUT

NOT_MET, MET, ATTEST = 0, 1, 2
STATUS = {MET: "met", NOT_MET: "not_met", ATTEST: "needs_attestation"}
# tests that read only the person's own birth date (or nothing): a whole-county run may apply them first
BASE_TESTS = {"born_on_or_after", "age_at_least", "months_after_birth", "on_or_after"}


def years_before(on: dt.date, n: int) -> int:
    """Day number of the latest birth date at which someone is ``n`` or older on ``on`` (29 February
    falls back to the 28th in a common year)."""
    y = on.year - n
    try:
        return day(on.replace(year=y))
    except ValueError:
        return day(dt.date(y, 2, 28))


def _month_index(days: pl.Expr) -> pl.Expr:
    d = days.cast(pl.Date)
    return d.dt.year().cast(pl.Int32) * 12 + d.dt.month().cast(pl.Int32) - 1


def _ok(cond: pl.Expr) -> pl.Expr:
    return pl.when(cond.fill_null(False)).then(pl.lit(MET, pl.Int8)).otherwise(pl.lit(NOT_MET, pl.Int8))


def _hukou(who: str) -> pl.Expr:
    p = "s_" if who == "spouse" else ""
    here = pl.col(f"{p}h").is_not_null() & (pl.col(f"{p}h") != OUT)
    return pl.col("spouse").is_null() | here if who == "spouse" else here


def _pattern(p: tuple[tuple[str, int], ...]) -> pl.Expr:
    e = pl.lit(True)
    for k, n in p:
        name, _, bound = k.partition("_")
        col = pl.col(name)
        e = e & (col >= n if bound == "min" else col <= n if bound == "max" else col == n)
    return e


def condition_expr(c: Condition, w: When, attested: Iterable[int] | None = None) -> pl.Expr:
    """The status (0 not met, 1 met, 2 needs attestation) of one condition, as a Polars expression."""
    d = day(w.on)
    p = c.params
    t = c.test
    if t == "attestation":
        ids = list(attested or ())
        return pl.when(pl.col("person").is_in(ids)).then(pl.lit(MET, pl.Int8)).otherwise(pl.lit(ATTEST, pl.Int8))
    if t == "is_parent":
        e = pl.col("ever") >= 1
    elif t == "alive":
        e = pl.col("death").is_null() | (pl.col("death") > d)
    elif t == "born_on_or_after":
        e = pl.col("birth") >= day(p["date"])
    elif t == "age_at_least":
        e = pl.col("birth") <= years_before(w.on, p["years"])
    elif t == "wife_age_at_least":
        e = pl.col("wife_birth") <= years_before(w.on, p["years"])
    elif t == "hukou_in_county":
        e = _hukou(p["who"])
    elif t == "hukou_rural":
        e = pl.col("spouse").is_null() | pl.col("s_rural") if p["who"] == "spouse" else pl.col("rural")
    elif t == "children":
        e = pl.lit(False)
        for pat in p["any_of"]:
            e = e | _pattern(pat)
    elif t == "only_child_died_or_disabled":
        e = (pl.col("ever") == 1) & ((pl.col("child_death") <= d) | (pl.col("child_grade") <= p["max_grade"]).fill_null(False))
    elif t == "only_child_under":
        e = (pl.col("ever") == 1) & (pl.col("child_birth") > years_before(w.on, p["years"]))
    elif t == "months_after_birth":
        bm = _month_index(pl.col("birth"))
        first, last = w.period_start.year * 12 + w.period_start.month - 1, w.on.year * 12 + w.on.month - 1
        e = (bm + 1 <= last) & (bm + p["months"] >= first)
    elif t == "on_or_after":
        e = pl.lit(w.on >= p["date"])
    else:  # programmes.load refuses unknown tests; this guards a hand-made Programme
        raise ValueError(f"no expression for the test {t!r}")
    return _ok(e)


def variant_exprs(prog: Programme, w: When) -> list[pl.Expr]:
    out = []
    if "child" in prog.variants:
        died = pl.col("child_death").is_not_null() & (pl.col("child_death") <= day(w.on))
        out.append(pl.when(died).then(pl.lit("died")).otherwise(pl.lit("disabled")).alias("v_child"))
    if "area" in prog.variants:  # an unknown area is paid at the rural rate (the lower floor)
        out.append(pl.when(pl.col("area") == 1).then(pl.lit("urban")).otherwise(pl.lit("rural")).alias("v_area"))
    return out


def evaluate(prog: Programme, facts: pl.LazyFrame, w: When, attested: Mapping[str, Iterable[int]] | None = None) -> pl.LazyFrame:
    """``facts`` with a status column ``c_<key>`` per condition, ``eligible`` (0 no, 1 yes, 2 only
    attestations missing) and the variant columns ``v_<dimension>``."""
    attested = attested or {}
    cols = [condition_expr(c, w, attested.get(c.key)).alias(f"c_{c.key}") for c in prog.conditions]
    out = facts.with_columns(*cols, *variant_exprs(prog, w))
    st = [pl.col(f"c_{c.key}") for c in prog.conditions]
    return out.with_columns(
        pl.when(pl.min_horizontal(st) == NOT_MET)
        .then(pl.lit(NOT_MET, pl.Int8))
        .when(pl.max_horizontal(st) == ATTEST)
        .then(pl.lit(ATTEST, pl.Int8))
        .otherwise(pl.lit(MET, pl.Int8))
        .alias("eligible")
    )


def prefilter(prog: Programme, persons: pl.LazyFrame, w: When) -> pl.LazyFrame:
    """The persons not already excluded by a condition on their own birth date (the same expressions)."""
    base = [condition_expr(c, w) for c in prog.conditions if c.test in BASE_TESTS]
    return persons.filter(*(e != NOT_MET for e in base)) if base else persons


def decisions(
    prog: Programme,
    rows: pl.DataFrame,
    w: When,
    unit: Callable[[int | None], tuple[str | None, str | None]],
    attested: Mapping[str, str] | None = None,
    links: Mapping[int, list[dict]] | None = None,
) -> list[Decision]:
    """The evaluated rows read back as decisions. Each decision's conditions (status, records, the fact
    as found: renkou.benefits.eligibility.records) are read from its row when first asked for; ``links``: each
    parent's children (renkou.benefits.eligibility.facts.links_by_parent), the records of the child conditions."""
    explain = Explainer(prog, rows, w, unit, attested or {}, links or {})
    child = pl.col("person") if prog.beneficiary == "child" else pl.when(pl.col("ever") == 1).then(pl.col("child"))
    cols = rows.select("person", "eligible", "h", child.alias("_child"), *(f"v_{v}" for v in prog.variants)).to_dict(as_series=False)
    elig = {MET: True, NOT_MET: False, ATTEST: None}
    out = []
    for i, pid in enumerate(cols["person"]):
        code, name = unit(cols["h"][i])
        out.append(
            Decision(
                prog.key,
                pid,
                w.on,
                elig[cols["eligible"][i]],
                cols["_child"][i],
                {v: cols[f"v_{v}"][i] for v in prog.variants},
                code,
                name,
                explain=partial(explain, i),
            )
        )
    return out


class Explainer:
    """Reads the conditions of row ``i`` of the evaluated rows (shared by the decisions of one answer)."""

    CHUNK = 2_000  # rows read back at once (decisions are usually explained in order)

    def __init__(
        self, prog: Programme, rows: pl.DataFrame, w: When, unit: Callable, attested: Mapping[str, str], links: Mapping[int, list[dict]]
    ) -> None:
        self.prog, self.rows, self.w, self.unit, self.attested, self.links = prog, rows, w, unit, attested, links
        self._chunk: tuple[int, list[dict]] = (-1, [])

    def _row(self, i: int) -> dict:
        start = i - i % self.CHUNK
        chunk = self._chunk  # one read: another thread may replace it meanwhile
        if chunk[0] != start:
            chunk = self._chunk = (start, self.rows.slice(start, self.CHUNK).to_dicts())
        return dict(chunk[1][i - start])

    def __call__(self, i: int) -> tuple[ConditionResult, ...]:
        r = self._row(i)
        r["links"] = self.links.get(r["person"], [])
        out = []
        for c in self.prog.conditions:
            recs, value = records_for(c, r, self.w, self.unit, self.attested.get(c.key))
            out.append(ConditionResult(c.key, STATUS[r[f"c_{c.key}"]], c.zh, c.en, recs, value))
        return tuple(out)


__all__ = ["ConditionResult", "Decision", "Record", "When", "condition_expr", "decisions", "evaluate", "prefilter"]
