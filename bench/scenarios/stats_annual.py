"""Scenarios of the statistics engine (renkou.stats) on the synthetic county: every indicator at every
level warm and from the snapshot, the annual report against pandas, and township monthly reports.

The database is the synthetic county of the size (``build.generate(N, seed)`` written by
``store.to_database`` into SQLite), built once and cached (see _synth.py); nothing here writes to
it. Hukou basis, units as they stood on the period's last day (``Stats.query`` defaults), the
settings' defaults (birth order by the mother, resident threshold 3 months). "All levels" means
``st.indicators(COUNTY, q, level=L)`` for L in (None, "township", "village"): every indicator of
the catalogue, every disaggregation, for the county, each township and each village.

* ``stats_all_indicators_warm`` — measured, in a fresh subprocess: ``Stats(db, snapshot=False)``,
  ``st.model()`` (reads the registry), all levels for 2023 once (builds the model's per-spell
  layout and the tree), none of it timed; then **timed**: all levels for 2024 (goal <= 1 s). The
  same process then drops its cached counters and times the annual report for 2024 alone
  (``report_warm_s``: a cold counter on a warm model). A second fresh subprocess times the engine
  with its own first load: ``Stats(db, snapshot=False).model()`` + ``reports.report(st, "annual",
  COUNTY, st.query("2024"))`` (``first_report_s``; the imports are done before the clock starts, as
  for pandas).
  Baseline, in a fresh subprocess of its own: the annual report computed the straightforward
  pandas way from the registry tables (_pandas_annual.py), timed from ``pandas.read_sql`` to the
  filled table. Every cell must equal the engine's report (each measured run's), or the scenario
  fails listing the differing cells. ``ratio`` is, as everywhere, baseline / ``median_s``: the pandas
  annual report against the engine's whole all-level computation; the like-for-like ratios are
  ``ratio_report_warm`` (pandas / the engine's annual report on a warm model) and
  ``ratio_report_with_load`` (pandas / the engine's first load + the annual report).
* ``stats_all_indicators_cold`` — first, not timed, a subprocess builds the model's snapshot in
  this invocation's run folder (``Stats(db, snapshot=DIR).model()``). Measured, in a fresh
  subprocess: everything from ``import renkou.stats.service`` through ``Stats(db,
  snapshot=DIR).model()`` (reads the snapshot, then asks the change feed for anything newer:
  nothing, the database does not change) and all levels for 2024 (goal <= 3 s). Checks that the
  snapshot was used (not rebuilt) and that every value equals those of a first build without a
  snapshot (``snapshot=False``), which is measured once the same way and reported as
  ``first_build_s`` (informative only).
* ``stats_township_monthly`` — measured, in a fresh subprocess: the model loaded and the monthly
  report of the township TOWNSHIP for 2023-12 computed (not timed), then **timed**, each on a
  counter the process has not built before: ``reports.report(st, "monthly", TOWNSHIP,
  st.query(P))`` for P = 2024-01 ... 2024-MM (``--stats-months``, default 6). ``median_s`` and
  ``p95_s`` (nearest rank) are over every timed report of every run (goal <= 0.1 s). Checks: the
  runs agree cell for cell; each row balances (end = start + births - deaths + moves in - moves out
  + registered); each month's start equals the previous month's end, row by row.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import shutil
import statistics
import time
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench import harness
from bench.scenarios import _synth

YEAR = 2024
WARM_YEAR = 2023  # computed once before the timing (builds the layout)
LEVELS = (None, "township", "village")
WARM_GOAL_S = 1.0
COLD_GOAL_S = 3.0
MONTHLY_GOAL_S = 0.1
WARM_MONTH = "2023-12"
TOWNSHIP_SUFFIX = "101000"  # the county's first 镇 (renkou.synth.county: always there, with communities and villages)


# ------------------------------------------------------------------------- measured (in children)


def _stats(db_path: str, snapshot: str | None) -> Any:
    from renkou.stats.service import Stats
    from renkou.storage.db import Database

    return Stats(Database(f"sqlite:///{db_path}"), snapshot=Path(snapshot) if snapshot else False)


def _all_levels(st: Any, county: str, year: int) -> list[Any]:
    q = st.query(str(year))
    out: list[Any] = []
    for level in LEVELS:
        out += st.indicators(county, q, level=level)
    return out


def _digests(values: list[Any]) -> dict[str, str]:
    """A digest of every value, per indicator (so that a difference names the indicators)."""
    by: dict[str, Any] = {}
    for v in values:
        by.setdefault(v.code, hashlib.sha256()).update(json.dumps(v.to_json(), sort_keys=True, ensure_ascii=False).encode() + b"\n")
    return {code: h.hexdigest()[:16] for code, h in sorted(by.items())}


def _levels(values: list[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v.level] = out.get(v.level, 0) + 1
    return out


def _cells(table: Any) -> dict[str, Any]:
    """A report's body as plain data: column keys, then per row its code, label, total flag, values."""
    return {
        "columns": [c.key for c in table.columns[1:]],
        "rows": [{"code": r.code, "label": r.values[0], "total": r.is_total, "values": list(r.values[1:])} for r in table.rows],
    }


def child_warm(db_path: str, county: str, year: int, warm_year: int) -> dict[str, Any]:
    from renkou.stats import reports

    st = _stats(db_path, None)
    t0 = time.perf_counter()
    model = st.model()
    t1 = time.perf_counter()
    _all_levels(st, county, warm_year)
    t2 = time.perf_counter()
    values = _all_levels(st, county, year)
    t3 = time.perf_counter()
    st._counters.clear()  # the cubes of the year were just built: drop them, so that the report builds its own counter
    t4 = time.perf_counter()
    table = reports.report(st, "annual", county, st.query(str(year)))
    t5 = time.perf_counter()
    units = st.counter(st.query(str(year))).u
    return {
        "seconds": t3 - t2,
        "load_s": t1 - t0,
        "warmup_s": t2 - t1,
        "report_warm_s": t5 - t4,
        "values": len(values),
        "values_by_level": _levels(values),
        "digests": _digests(values),
        "indicators": len(st.catalogue.indicators),
        "units_by_level": {lv: sum(1 for u in units.views if u.level == lv) for lv in ("county", "township", "village")},
        "model_persons": model.persons.height,
        "model_events": model.events.height,
        "report": _cells(table),
    }


def child_first_report(db_path: str, county: str, year: int) -> dict[str, Any]:
    """The engine's like-for-like of the pandas baseline: first load from the database + the report."""
    from renkou.stats import reports

    st = _stats(db_path, None)
    t0 = time.perf_counter()
    st.model()
    t1 = time.perf_counter()
    table = reports.report(st, "annual", county, st.query(str(year)))
    t2 = time.perf_counter()
    return {"seconds": t2 - t0, "load_s": t1 - t0, "report_s": t2 - t1, "report": _cells(table)}


def child_snapshot(db_path: str, snapshot: str) -> dict[str, Any]:
    """Make sure the snapshot exists (built from the database when it does not)."""
    existed = (Path(snapshot) / "meta.json").exists()
    t0 = time.perf_counter()
    _stats(db_path, snapshot).model()
    return {
        "seconds": time.perf_counter() - t0,
        "existed": existed,
        "snapshot_mib": round(sum(f.stat().st_size for f in Path(snapshot).iterdir()) / 2**20, 1),
    }


def child_cold(db_path: str, snapshot: str | None, county: str, year: int) -> dict[str, Any]:
    """From the import of the statistics service to every value of the year: with a snapshot, or
    (``snapshot`` None) a first build from the database."""
    meta = Path(snapshot) / "meta.json" if snapshot else None
    stamp = meta.stat().st_mtime_ns if meta else None
    t0 = time.perf_counter()
    import renkou.stats.service  # noqa: F401  (timed: polars, numpy, SQLAlchemy and the engine)

    t1 = time.perf_counter()
    st = _stats(db_path, snapshot)
    st.model()
    t2 = time.perf_counter()
    values = _all_levels(st, county, year)
    t3 = time.perf_counter()
    return {
        "seconds": t3 - t0,
        "import_s": t1 - t0,
        "model_s": t2 - t1,
        "compute_s": t3 - t2,
        "values": len(values),
        "digests": _digests(values),
        "snapshot_rewritten": bool(meta and meta.stat().st_mtime_ns != stamp),
    }


def child_monthly(db_path: str, township: str, warm_month: str, months: list[str]) -> dict[str, Any]:
    from renkou.stats import reports

    st = _stats(db_path, None)
    t0 = time.perf_counter()
    st.model()
    t1 = time.perf_counter()
    reports.report(st, "monthly", township, st.query(warm_month))
    t2 = time.perf_counter()
    times, tables = [], []
    for p in months:
        t = time.perf_counter()
        table = reports.report(st, "monthly", township, st.query(p))
        times.append(time.perf_counter() - t)
        tables.append(_cells(table))
    return {"seconds": statistics.median(times), "times": times, "load_s": t1 - t0, "warm_report_s": t2 - t1, "tables": tables}


# ------------------------------------------------------------------------------------ checks


def _cell_diffs(engine: dict[str, Any], other: dict[str, Any]) -> list[tuple[str, str, Any, Any]]:
    """(row code, column, engine's value, other's value) for every cell that differs (value or type)."""
    if engine["columns"] != other["columns"]:
        return [("columns", "", engine["columns"], other["columns"])]
    heads = lambda t: [(r["code"], r["label"], r["total"]) for r in t["rows"]]  # noqa: E731
    if heads(engine) != heads(other):
        return [("rows", "", heads(engine), heads(other))]
    out = []
    for er, orow in zip(engine["rows"], other["rows"], strict=True):
        for col, a, b in zip(engine["columns"], er["values"], orow["values"], strict=True):
            if type(a) is not type(b) or a != b:
                out.append((er["code"], col, a, b))
    return out


def _fmt(diffs: list[tuple[str, str, Any, Any]], limit: int = 40) -> str:
    return "; ".join(f"{code}/{col}: {a!r} vs {b!r}" for code, col, a, b in diffs[:limit]) + (
        f"; … ({len(diffs) - limit} more)" if len(diffs) > limit else ""
    )


def _digest_diffs(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def _med(key: str, rs: list[dict[str, Any]]) -> float | None:
    return round(statistics.median(r[key] for r in rs), 3) if rs else None


def _p95(values: list[float]) -> float:
    s = sorted(values)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def _county_db(size: int, args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    _synth.SYNTH.mkdir(parents=True, exist_ok=True)  # county_db does not make its folder (the files' child does)
    return _synth.county_db(size, args.seed, regenerate=args.regenerate)


def _county() -> str:
    from renkou.synth.county import COUNTY_CODE

    return COUNTY_CODE


# ------------------------------------------------------------------------------------ the scenarios


def add_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--stats-months",
        type=int,
        default=6,
        metavar="M",
        help="(stats_township_monthly) months of 2024 timed in each run, 2024-01 on (default 6)",
    )
    g.add_argument(
        "--stats-allow-diff",
        default="",
        metavar="COLS",
        help="(stats_all_indicators_warm) comma-separated annual-report columns (e.g. tfr) whose differences from "
        "pandas are listed in the result (identical: false) instead of failing the scenario",
    )


def run_warm(size_label: str, size: int, repeats: int, args: argparse.Namespace) -> dict[str, Any]:
    name = "stats_all_indicators_warm"
    db_path, county_info = _county_db(size, args)
    county = _county()
    base_repeats = 0 if args.no_baseline else (args.baseline_repeats or repeats)
    kw = {"db_path": str(db_path), "county": county, "year": YEAR}
    runs: list[dict[str, Any]] = []
    firsts: list[dict[str, Any]] = []
    baselines: list[dict[str, Any]] = []
    for i in range(max(repeats, base_repeats)):
        if i < repeats:
            r = harness.run_child(f"{__name__}:child_warm", kw | {"warm_year": WARM_YEAR}, label=f"warm run {i + 1}")
            runs.append(r)
            harness.log(
                f"warm run {i + 1}/{repeats}: all levels {YEAR} {r['seconds']:.3f} s ({r['values']:,} values; model load "
                f"{r['load_s']:.1f} s, {WARM_YEAR} first {r['warmup_s']:.3f} s), annual report alone {r['report_warm_s']:.3f} s, "
                f"peak {r['peak_mib']:.0f} MiB"
            )
            f = harness.run_child(f"{__name__}:child_first_report", kw, label=f"first-load report run {i + 1}")
            firsts.append(f)
            harness.log(
                f"load + annual report run {i + 1}/{repeats}: {f['seconds']:.3f} s (load {f['load_s']:.3f} s, "
                f"report {f['report_s']:.3f} s), peak {f['peak_mib']:.0f} MiB"
            )
        if i < base_repeats:
            b = harness.run_child("bench.scenarios._pandas_annual:child_pandas", kw, label=f"pandas baseline run {i + 1}")
            baselines.append(b)
            harness.log(
                f"pandas baseline run {i + 1}/{base_repeats}: {b['seconds']:.3f} s (read_sql {b['read_s']:.3f} s, "
                f"compute {b['compute_s']:.3f} s) over {b['events']:,} events, peak {b['peak_mib']:.0f} MiB"
            )
    ref = runs[0]
    for r in runs[1:]:
        bad = _digest_diffs(ref["digests"], r["digests"])
        if bad:
            raise harness.BenchError(f"{name}: the runs disagree on indicator(s) {', '.join(bad)}")
    for r in [*runs[1:], *firsts]:
        diffs = _cell_diffs(ref["report"], r["report"])
        if diffs:
            raise harness.BenchError(f"{name}: the engine's annual reports disagree between runs: {_fmt(diffs)}")
    allowed = {c.strip() for c in args.stats_allow_diff.split(",") if c.strip()}
    tolerated: list[tuple[str, str, Any, Any]] = []
    for b in baselines:
        diffs = _cell_diffs(ref["report"], b["report"])
        hard = [d for d in diffs if d[1] not in allowed]
        if hard:
            raise harness.BenchError(
                f"{name}: pandas and the engine differ in {len(diffs)} cell(s) of the annual report "
                f"(row/column: engine vs pandas): {_fmt(diffs)}"
            )
        if diffs and not tolerated:
            tolerated = diffs
            harness.log(f"WARNING: {len(diffs)} cell(s) differ in the allowed column(s) {', '.join(sorted(allowed))}: {_fmt(diffs, 10)}")

    persons = county_info["persons"]
    out: dict[str, Any] = {"scenario": name, "size": size_label, "rows": persons, "repeats": repeats}
    out.update(harness.timing_fields(runs, baselines, rows=persons))
    report_warm = statistics.median(r["report_warm_s"] for r in runs)
    first = statistics.median(r["seconds"] for r in firsts)
    base = statistics.median(b["seconds"] for b in baselines) if baselines else None
    out.update(
        year=YEAR,
        basis="hukou",
        goal_s=WARM_GOAL_S,
        meets_goal=out["median_s"] <= WARM_GOAL_S,
        values=ref["values"],
        values_by_level=ref["values_by_level"],
        indicators=ref["indicators"],
        units_by_level=ref["units_by_level"],
        load_median_s=_med("load_s", runs),
        warmup_median_s=_med("warmup_s", runs),
        report_warm_median_s=round(report_warm, 3),
        report_warm_runs_s=[round(r["report_warm_s"], 3) for r in runs],
        first_report_median_s=round(first, 3),
        first_report_load_median_s=_med("load_s", firsts),
        first_report_runs_s=[round(r["seconds"], 3) for r in firsts],
        first_report_peak_mib=max(r["peak_mib"] for r in firsts),
        ratio_report_warm=round(base / report_warm, 1) if base else None,
        ratio_report_with_load=round(base / first, 2) if base else None,
        baseline="pandas annual report (read_sql of person, event, org_unit, org_version, org_succession + pandas)",
        baseline_read_median_s=_med("read_s", baselines),
        baseline_compute_median_s=_med("compute_s", baselines),
        pandas=baselines[0]["pandas"] if baselines else None,
        report_rows=len(ref["report"]["rows"]),
        report_columns=len(ref["report"]["columns"]),
        identical=(not tolerated) if baselines else None,
        differences=[f"{code}/{col}: {a!r} vs {b!r}" for code, col, a, b in tolerated[:100]],
        persons=persons,
        events=county_info["events"],
        db_mib=county_info["mib"],
        county_digest=county_info["digest"],
    )
    out.update(harness.provenance_fields([*runs, *firsts, *baselines], args.seed))
    return out


def run_cold(size_label: str, size: int, repeats: int, args: argparse.Namespace) -> dict[str, Any]:
    name = "stats_all_indicators_cold"
    db_path, county_info = _county_db(size, args)
    county = _county()
    snapshot = harness.run_dir() / f"stats-snapshot-{size}"
    try:
        s = harness.run_child(f"{__name__}:child_snapshot", {"db_path": str(db_path), "snapshot": str(snapshot)}, label="snapshot")
        harness.log(f"snapshot {'already there' if s['existed'] else 'built'} in {s['seconds']:.1f} s ({s['snapshot_mib']} MiB)")
        kw = {"db_path": str(db_path), "county": county, "year": YEAR}
        runs: list[dict[str, Any]] = []
        for i in range(repeats):
            r = harness.run_child(f"{__name__}:child_cold", kw | {"snapshot": str(snapshot)}, label=f"cold run {i + 1}")
            runs.append(r)
            harness.log(
                f"cold run {i + 1}/{repeats}: {r['seconds']:.3f} s (import {r['import_s']:.3f} s, snapshot + refresh "
                f"{r['model_s']:.3f} s, all levels {r['compute_s']:.3f} s; {r['values']:,} values), peak {r['peak_mib']:.0f} MiB"
            )
            if r["snapshot_rewritten"]:
                raise harness.BenchError(f"{name}: the snapshot was not used (the model was rebuilt and the snapshot rewritten)")
        fb = harness.run_child(f"{__name__}:child_cold", kw | {"snapshot": None}, label="first build")
        harness.log(
            f"first build without a snapshot: {fb['seconds']:.3f} s (import {fb['import_s']:.3f} s, model "
            f"{fb['model_s']:.3f} s, all levels {fb['compute_s']:.3f} s), peak {fb['peak_mib']:.0f} MiB"
        )
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)
    for r in runs:
        bad = _digest_diffs(fb["digests"], r["digests"])
        if bad:
            raise harness.BenchError(f"{name}: the values from the snapshot differ from a first build's for indicator(s) {', '.join(bad)}")
    persons = county_info["persons"]
    out: dict[str, Any] = {"scenario": name, "size": size_label, "rows": persons, "repeats": repeats}
    out.update(harness.timing_fields(runs, [], rows=persons))
    out.update(
        year=YEAR,
        basis="hukou",
        goal_s=COLD_GOAL_S,
        meets_goal=out["median_s"] <= COLD_GOAL_S,
        import_median_s=_med("import_s", runs),
        model_median_s=_med("model_s", runs),
        compute_median_s=_med("compute_s", runs),
        values=runs[0]["values"],
        snapshot_build_s=round(s["seconds"], 3) if not s["existed"] else None,
        snapshot_mib=s["snapshot_mib"],
        first_build_s=round(fb["seconds"], 3),
        first_build_import_s=round(fb["import_s"], 3),
        first_build_model_s=round(fb["model_s"], 3),
        first_build_compute_s=round(fb["compute_s"], 3),
        first_build_peak_mib=fb["peak_mib"],
        persons=persons,
        events=county_info["events"],
        db_mib=county_info["mib"],
        county_digest=county_info["digest"],
    )
    out.update(harness.provenance_fields([*runs, fb], args.seed))
    return out


def _balance(name: str, months: list[str], tables: list[dict[str, Any]]) -> None:
    """Each row balances, and each month starts where the previous one ended (row by row)."""
    for p, t in zip(months, tables, strict=True):
        col = {c: j for j, c in enumerate(t["columns"])}
        for r in t["rows"]:
            v = lambda c: r["values"][col[c]] or 0  # noqa: E731, B023 (called in this iteration only)
            if v("pop_end") != v("pop_start") + v("births") - v("deaths") + v("moves_in") - v("moves_out") + v("registered"):
                raise harness.BenchError(
                    f"{name}: {p} row {r['code']} does not balance: {dict(zip(t['columns'], r['values'], strict=True))}"
                )
    for (p0, t0), (p1, t1) in pairwise(zip(months, tables, strict=True)):
        end = {r["code"]: r["values"][t0["columns"].index("pop_end")] for r in t0["rows"]}
        for r in t1["rows"]:
            if r["code"] in end and end[r["code"]] != r["values"][t1["columns"].index("pop_start")]:
                raise harness.BenchError(
                    f"{name}: {r['code']} ends {p0} with {end[r['code']]} but starts {p1} with "
                    f"{r['values'][t1['columns'].index('pop_start')]}"
                )


def run_monthly(size_label: str, size: int, repeats: int, args: argparse.Namespace) -> dict[str, Any]:
    name = "stats_township_monthly"
    if not 1 <= args.stats_months <= 12:
        raise harness.BenchError(f"{name}: --stats-months must be 1 to 12")
    db_path, county_info = _county_db(size, args)
    township = _county() + TOWNSHIP_SUFFIX
    months = [f"{YEAR}-{m:02d}" for m in range(1, args.stats_months + 1)]
    kw = {"db_path": str(db_path), "township": township, "warm_month": WARM_MONTH, "months": months}
    runs: list[dict[str, Any]] = []
    for i in range(repeats):
        r = harness.run_child(f"{__name__}:child_monthly", kw, label=f"monthly run {i + 1}")
        runs.append(r)
        harness.log(
            f"monthly run {i + 1}/{repeats}: "
            + ", ".join(f"{p} {t * 1000:.0f} ms" for p, t in zip(months, r["times"], strict=True))
            + f" (model load {r['load_s']:.1f} s, {WARM_MONTH} first {r['warm_report_s'] * 1000:.0f} ms), peak {r['peak_mib']:.0f} MiB"
        )
    for r in runs[1:]:
        for p, a, b in zip(months, runs[0]["tables"], r["tables"], strict=True):
            diffs = _cell_diffs(a, b)
            if diffs:
                raise harness.BenchError(f"{name}: the runs disagree on {p}: {_fmt(diffs)}")
    _balance(name, months, runs[0]["tables"])
    reports = [{"seconds": t, "peak_mib": r["peak_mib"]} for r in runs for t in r["times"]]
    persons = county_info["persons"]
    out: dict[str, Any] = {"scenario": name, "size": size_label, "rows": persons, "repeats": repeats}
    out.update(harness.timing_fields(reports, [], rows=persons))
    times = [x["seconds"] for x in reports]
    out.update(
        p95_s=round(_p95(times), 3),
        reports=len(times),
        township=township,
        months=months,
        warm_month=WARM_MONTH,
        basis="hukou",
        goal_s=MONTHLY_GOAL_S,
        meets_goal=out["median_s"] <= MONTHLY_GOAL_S,
        report_rows=len(runs[0]["tables"][0]["rows"]),
        load_median_s=_med("load_s", runs),
        warm_report_median_s=_med("warm_report_s", runs),
        persons=persons,
        events=county_info["events"],
        db_mib=county_info["mib"],
        county_digest=county_info["digest"],
    )
    out.update(harness.provenance_fields(runs, args.seed))
    return out


SCENARIOS = (
    SimpleNamespace(
        NAME="stats_all_indicators_warm",
        run=run_warm,
        add_arguments=add_arguments,
        DESCRIPTION=f"every indicator × disaggregation × unit (county, townships, villages) for {YEAR} on a warm model "
        "(renkou.stats) vs the annual report computed with pandas from the registry tables",
    ),
    SimpleNamespace(
        NAME="stats_all_indicators_cold",
        run=run_cold,
        add_arguments=add_arguments,
        DESCRIPTION=f"a fresh process from import through the model's snapshot (+ change feed) to every indicator at "
        f"every level for {YEAR}; a first build without a snapshot reported once",
    ),
    SimpleNamespace(
        NAME="stats_township_monthly",
        run=run_monthly,
        add_arguments=add_arguments,
        DESCRIPTION="the monthly report of one township for months not computed before in a warm process (median, p95)",
    ),
)
