"""Scenario ``population_asof``: the population of every unit of the county on one date.

The database is the synthetic county of the size (``build.generate(N, seed)`` written by
``store.to_database`` into SQLite), built once and cached (see _synth.py); the measured runs only
read it. The date is 2025-06-30 (the county's history ends 2025-12-31); the basis is residence
(``--asof-basis hukou`` for the other one).

* Measured, in a fresh subprocess: ``Hierarchy.as_of(session, date)``, then
  ``renkou.registry.asof.counts_by_unit(session, date, basis)`` (living people by recorded unit and
  sex: one SQL query over the event log), then — as ``asof.population`` does for a unit and its
  children — each recorded unit resolved through merges (``Hierarchy.resolve``) and the counts added
  up the tree, here for every unit on that date (county, townships, villages, groups; work units
  hold staff, not residents, and are left out). This is ``population(session, "410185", date,
  basis)`` carried down to every level; calling ``population`` itself as well would only run the
  same query twice. The county's total is checked against ``population`` at 10k only (it costs a
  second full query).
* Baseline, in a fresh subprocess of its own: the naive way — load every person (id, sex, birth
  date) and every event (id, person, kind, date, units, scope, supersedes) into Python, drop
  retractions and superseded events, and replay each person's events in date order to find the
  unit on the date (latest residence-setting event on or before it) and whether they were born
  and not dead by then; then the same resolve-and-add-up over the same ``Hierarchy``. Its counts
  must equal the measured ones for every unit, or the scenario fails.

``ratio`` is baseline / measured: above 1, the SQL path is that many times faster than the replay.
The registry never runs ``ANALYZE``; ``--analyze`` measures a copy of the cached database on which
it ran (reported as ``analyzed: true``), to show what the query planner does with statistics.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import time
from collections import Counter, defaultdict
from typing import Any

from bench import harness
from bench.scenarios import _synth

NAME = "population_asof"
DESCRIPTION = (
    "as-of population of every unit of the synthetic county on 2025-06-30 (counts_by_unit + Hierarchy) vs replaying every event in Python"
)
DATE = "2025-06-30"
CHECK_POPULATION_UP_TO = 20_000  # sizes at which the county total is also checked against asof.population


def _rollup(h: Any, raw: dict[int | None, Counter]) -> dict[str, list[int]]:
    """{code: [male, female]} for every unit on the hierarchy's date (work units left out), from the
    counts by recorded unit: resolved through merges, then added up the tree (as asof.population)."""
    per_unit: dict[int, Counter] = defaultdict(Counter)
    for unit_id, c in raw.items():
        r = h.resolve(unit_id)
        if r is not None:
            per_unit[r].update(c)
    totals: dict[int, Counter] = {}
    order: list[int] = []
    stack = list(h.children.get(None, ()))
    while stack:  # pre-order; totals are filled in reverse, children before parents
        i = stack.pop()
        order.append(i)
        stack.extend(h.children.get(i, ()))
    for i in reversed(order):
        c = Counter(per_unit.get(i, Counter()))
        for kid in h.children.get(i, ()):
            c.update(totals[kid])
        totals[i] = c
    return {h.units[i].code: [totals[i]["M"], totals[i]["F"]] for i in order if h.units[i].level != "unit"}


# ------------------------------------------------------------------------- measured (in children)


def child_asof(db_path: str, date: str, basis: str, check_population: bool) -> dict[str, Any]:
    from sqlalchemy import event as sa_event

    from renkou.registry import asof
    from renkou.registry.orgs import Hierarchy
    from renkou.storage.db import Database
    from renkou.synth.county import COUNTY_CODE

    d = dt.date.fromisoformat(date)
    db = Database(f"sqlite:///{db_path}")
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        statements.append((statement, parameters))

    with db.read() as s:
        t0 = time.perf_counter()
        h = Hierarchy.as_of(s, d)
        t1 = time.perf_counter()
        sa_event.listen(db.engine, "before_cursor_execute", capture)
        raw = asof.counts_by_unit(s, d, basis)
        t2 = time.perf_counter()
        sa_event.remove(db.engine, "before_cursor_execute", capture)
        counts = _rollup(h, raw)
        t3 = time.perf_counter()
        plan = _plan(s, statements)
        if check_population:
            pc = asof.population(s, COUNTY_CODE, d, basis, hierarchy=h)
            expect = {pc.code: [pc.male, pc.female]} | {k.code: [k.male, k.female] for k in pc.children}
            got = {code: counts[code] for code in expect}
            if got != expect:
                raise AssertionError(f"asof.population disagrees with counts_by_unit + roll-up: {expect} vs {got}")
    db.dispose()
    return {"seconds": t3 - t0, "hierarchy_s": t1 - t0, "query_s": t2 - t1, "rollup_s": t3 - t2, "counts": counts, "plan": plan}


def _plan(session: Any, statements: list[tuple[str, Any]]) -> list[str]:
    """SQLite's plan (SCAN/SEARCH lines) of the statements counts_by_unit ran, after the timing."""
    conn = session.connection().connection.driver_connection
    out: list[str] = []
    for statement, params in statements:
        for row in conn.execute("EXPLAIN QUERY PLAN " + statement, params):
            if row[3].startswith(("SCAN", "SEARCH")):
                out.append(row[3])
    return out


def death_check_index(plan: list[str]) -> str | None:
    """The index the correlated 'not dead by then' subquery (asof.alive) searches: an aliased event
    table searched by a plain index. One led by person_id is linear in persons; ix_event_kind_date
    reads every death up to the date for each person, i.e. quadratic."""
    for line in plan:
        m = re.match(r"SEARCH (event_\d+) USING (?:COVERING )?INDEX (\w+)", line)
        if m and not m.group(2).startswith("sqlite_autoindex"):
            return m.group(2)
    return None


def child_replay(db_path: str, date: str, basis: str) -> dict[str, Any]:
    """Load every person and event into Python and replay the events person by person."""
    from sqlalchemy import select

    from renkou.registry.orgs import Hierarchy
    from renkou.storage.db import Database
    from renkou.storage.schema import Event, Person

    d = dt.date.fromisoformat(date)
    unit_col = Event.residence_unit_id if basis == "residence" else Event.hukou_unit_id
    scopes = (basis, "both")
    db = Database(f"sqlite:///{db_path}")
    with db.read() as s:
        t0 = time.perf_counter()
        h = Hierarchy.as_of(s, d)
        people = {pid: (sex, birth) for pid, sex, birth in s.execute(select(Person.id, Person.sex, Person.birth_date))}
        events = s.execute(
            select(Event.id, Event.person_id, Event.kind, Event.date, unit_col, Event.scope, Event.supersedes_id).order_by(
                Event.person_id, Event.date, Event.id
            )
        ).all()
        t1 = time.perf_counter()
        superseded = {e[6] for e in events if e[6] is not None}
        unit: dict[int, int | None] = {}  # person -> unit named by the latest setting event so far
        dead: set[int] = set()
        for ev_id, pid, kind, ev_date, ev_unit, scope, _ in events:  # in person, date, id order
            if ev_date > d or kind == "retraction" or ev_id in superseded:
                continue
            if kind in ("register", "birth") or (kind == "move" and scope in scopes):
                unit[pid] = ev_unit
            elif kind == "death":
                dead.add(pid)
        raw: dict[int | None, Counter] = defaultdict(Counter)
        for pid, u in unit.items():
            sex, birth = people[pid]
            if u is not None and birth <= d and pid not in dead:
                raw[u][sex] += 1
        counts = _rollup(h, raw)
        t2 = time.perf_counter()
    db.dispose()
    return {"seconds": t2 - t0, "load_s": t1 - t0, "replay_s": t2 - t1, "events": len(events), "counts": counts}


# ------------------------------------------------------------------------------------ the scenario


def add_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument("--asof-basis", choices=("residence", "hukou"), default="residence", help="basis of the counts (default residence)")
    g.add_argument(
        "--analyze",
        action="store_true",
        help="measure a copy of the cached county database on which ANALYZE ran (the registry never runs it)",
    )


def run(size_label: str, size: int, repeats: int, args: argparse.Namespace) -> dict[str, Any]:
    db_path, county = _synth.county_db(size, args.seed, regenerate=args.regenerate, analyze=args.analyze)
    basis = args.asof_basis
    base_repeats = 0 if args.no_baseline else (args.baseline_repeats or repeats)
    kw = {"db_path": str(db_path), "date": DATE, "basis": basis}
    runs: list[dict[str, Any]] = []
    baselines: list[dict[str, Any]] = []
    for i in range(max(repeats, base_repeats)):
        if i < repeats:
            r = harness.run_child(
                f"{__name__}:child_asof", kw | {"check_population": i == 0 and size <= CHECK_POPULATION_UP_TO}, label=f"as-of run {i + 1}"
            )
            runs.append(r)
            harness.log(
                f"as-of run {i + 1}/{repeats}: {r['seconds']:.3f} s (hierarchy {r['hierarchy_s']:.3f} s, "
                f"counts_by_unit {r['query_s']:.3f} s, roll-up {r['rollup_s']:.3f} s), peak {r['peak_mib']:.0f} MiB"
            )
            if i == 0 and death_check_index(r["plan"]) == "ix_event_kind_date":
                harness.log(
                    "WARNING: SQLite checks 'not dead by then' through ix_event_kind_date (all deaths up to the date, for "
                    "every person): quadratic. See 'The as-of query plan' in bench/README.md."
                )
        if i < base_repeats:
            b = harness.run_child(f"{__name__}:child_replay", kw, label=f"replay baseline run {i + 1}")
            baselines.append(b)
            harness.log(
                f"replay baseline run {i + 1}/{base_repeats}: {b['seconds']:.3f} s (load {b['load_s']:.3f} s, "
                f"replay {b['replay_s']:.3f} s) over {b['events']:,} events, peak {b['peak_mib']:.0f} MiB"
            )
    counts = runs[0]["counts"]
    for r in [*runs[1:], *baselines]:
        if r["counts"] != counts:
            diff = sorted(c for c in set(counts) | set(r["counts"]) if counts.get(c) != r["counts"].get(c))
            raise harness.BenchError(
                f"{NAME}: the runs disagree on {len(diff)} unit(s), e.g. "
                + ", ".join(f"{c}: {counts.get(c)} vs {r['counts'].get(c)}" for c in diff[:5])
            )
    from renkou.synth.county import COUNTY_CODE

    persons = county["persons"]
    out: dict[str, Any] = {"scenario": NAME, "size": size_label, "rows": persons, "repeats": repeats}
    out.update(harness.timing_fields(runs, baselines, rows=persons))
    med = lambda key, rs: round(harness.summary([r[key] for r in rs])["median"], 3)  # noqa: E731
    out.update(
        basis=basis,
        date=DATE,
        analyzed=args.analyze,
        death_check_index=death_check_index(runs[0]["plan"]),
        query_plan=runs[0]["plan"],
        query_median_s=med("query_s", runs),
        hierarchy_median_s=med("hierarchy_s", runs),
        rollup_median_s=med("rollup_s", runs),
        baseline_load_median_s=med("load_s", baselines) if baselines else None,
        units=len(counts),
        county_total=sum(counts[COUNTY_CODE]),
        persons=persons,
        events=county["events"],
        db_mib=county["mib"],
        county_digest=county["digest"],
    )
    out.update(harness.provenance_fields([*runs, *baselines], args.seed))
    return out
