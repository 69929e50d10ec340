"""Scenarios ``synth_generate`` and ``synth_to_sqlite``: what a synthetic county of N persons costs.

* ``synth_generate`` times, in a fresh subprocess, ``renkou.synth.build.generate(N, seed)`` (the
  vectorised microsimulation of 1950-2025: births, deaths, marriages, divorces, moves, adoptions,
  work, disability, organisational changes; names, ID numbers, households) followed by
  ``store.to_files(county, tmp, fmt="parquet")`` — the full history to import files (orgs,
  households, persons, events, org_history). It then checks that persons.parquet holds one row per
  registered person and events.parquet every event (outside the timing).
* ``synth_to_sqlite`` times ``build.generate(N, seed)`` followed by ``store.to_database`` into a
  fresh SQLite file (migrated before the timing starts), then checks the person and event counts.

Both report the generate part and the writing part separately (``generate_median_s``,
``write_median_s``) besides the total.

The baseline, measured in the same run and also in fresh subprocesses, is a naive snapshot
generator (bench/scenarios/_naive.py, the generator this benchmark suite used before): a per-person
pure-Python loop with the ``random`` module that makes the same number of persons — names, valid
unique ID numbers, birth dates, households, hukou and residence villages, i.e. one registration each
— and writes orgs.csv, households.csv and persons.csv with the ``csv`` module. No history at all.

* For ``synth_generate`` the baseline is that generator writing its three files.
* For ``synth_to_sqlite`` it is that generator followed by the ordinary import of its files
  (``run_import`` of orgs, households, persons: full validation, one ``register`` event per person)
  into a fresh migrated SQLite file — the way to a snapshot database without the synthetic county.

``ratio`` is baseline / measured as everywhere: below 1 means the simulation with full history
costs more than the naive snapshot (by 1/ratio). Above ``--baseline-rows`` persons (default
100,000) the baseline makes that many and its time is scaled linearly to the county's person count
(``baseline_extrapolated``); the naive loop is linear in N.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

from bench import harness

NAME = "synth_generate"
DESCRIPTION = (
    "synthetic county of ~N persons with full history to Parquet files (build.generate + store.to_files) vs a naive snapshot generator"
)
DEST = {"synth_generate": "files", "synth_to_sqlite": "sqlite"}


# ------------------------------------------------------------------------- measured (in children)


def child_synth(persons: int, seed: int, work: str, dest: str) -> dict[str, Any]:
    """generate + to_files(parquet) or generate + to_database(fresh SQLite), timed; then verified."""
    from renkou.synth import build, store

    work_dir = Path(work)
    db = None
    if dest == "sqlite":
        from renkou.storage import migrate
        from renkou.storage.db import Database

        db = Database(f"sqlite:///{work_dir / 'county.db'}")
        migrate.upgrade(db)  # an empty registry: not part of the timing
    t0 = time.perf_counter()
    c = build.generate(persons, seed)
    t1 = time.perf_counter()
    if dest == "files":
        paths = store.to_files(c, work_dir, fmt="parquet")
    else:
        store.to_database(c, db)
    t2 = time.perf_counter()
    s = build.summary(c)
    s["events"] = len(build.event_order(c, with_register=True))  # the events the registry holds (those of registered persons)
    if dest == "files":
        import polars as pl

        n_persons = pl.scan_parquet(paths["persons"]).select(pl.len()).collect().item()
        n_events = pl.scan_parquet(paths["events"]).select(pl.len()).collect().item()
        # the events file leaves out the start registrations, which the persons file carries
        n_events += int((pl.read_parquet(paths["persons"], columns=["hukou_unit"])["hukou_unit"] != "").sum())
    else:
        from sqlalchemy import func, select

        from renkou.storage.schema import Event, Person

        with db.read() as session:
            n_persons = session.scalar(select(func.count()).select_from(Person))
            n_events = session.scalar(select(func.count()).select_from(Event))
        db.dispose()
    if n_persons != s["persons"] or n_events != s["events"]:
        raise AssertionError(f"{dest}: expected {s['persons']} persons and {s['events']} events, found {n_persons} and {n_events}")
    return {"seconds": t2 - t0, "generate_s": t1 - t0, "write_s": t2 - t1, **s}


def child_naive(persons: int, seed: int, work: str, dest: str) -> dict[str, Any]:
    """The naive snapshot generator writing its CSV files (and, for sqlite, importing them), timed."""
    from bench.scenarios import _naive

    work_dir = Path(work)
    db = None
    if dest == "sqlite":
        from renkou.storage import migrate
        from renkou.storage.db import Database

        db = Database(f"sqlite:///{work_dir / 'naive.db'}")
        migrate.upgrade(db)  # not part of the timing, as for the measured run
    t0 = time.perf_counter()
    info = _naive.generate(work_dir, persons, seed)
    t1 = time.perf_counter()
    if db is not None:
        from renkou.auth.officer import Officer
        from renkou.exchange.importer import run_import
        from renkou.storage.db import Actor

        officer = Officer.system(Actor("bench", "import", ""))
        created = [run_import(db, kind, work_dir / f"{kind}.csv", officer).created for kind in ("orgs", "households", "persons")]
        db.dispose()
        if created[2] != persons:
            raise AssertionError(f"naive baseline: imported {created[2]} persons, expected {persons}")
    t2 = time.perf_counter()
    if info["rows"] != persons:
        raise AssertionError(f"naive baseline: wrote {info['rows']} persons, expected {persons}")
    return {"seconds": t2 - t0, "generate_s": t1 - t0, "write_s": t2 - t1}


# ------------------------------------------------------------------------------------ the scenario


def _work_dir(name: str) -> Path:
    d = harness.run_dir() / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def run_scenario(name: str, size_label: str, size: int, repeats: int, args: argparse.Namespace) -> dict[str, Any]:
    dest = DEST[name]
    runs: list[dict[str, Any]] = []
    baselines: list[dict[str, Any]] = []
    base_rows = base_repeats = 0
    try:
        for i in range(repeats):  # the county's size is known after the first run; then the baseline can match it
            work = _work_dir(f"{name}-{size}-run")
            r = harness.run_child(
                f"{__name__}:child_synth",
                {"persons": size, "seed": args.seed, "work": str(work), "dest": dest},
                label=f"{name} run {i + 1}",
            )
            shutil.rmtree(work)
            runs.append(r)
            harness.log(
                f"{name} run {i + 1}/{repeats}: {r['seconds']:.2f} s (generate {r['generate_s']:.2f} s, write {r['write_s']:.2f} s) "
                f"for {r['persons']:,} persons and {r['events']:,} events, peak {r['peak_mib']:.0f} MiB"
            )
            if i == 0:
                base_rows, base_repeats = harness.baseline_plan(args, r["persons"])
            if base_rows and i < base_repeats:
                baselines.append(_baseline(name, size, base_rows, args.seed, dest, i, base_repeats))
        for i in range(repeats, base_repeats if base_rows else 0):
            baselines.append(_baseline(name, size, base_rows, args.seed, dest, i, base_repeats))
    finally:
        for d in harness.run_dir().glob(f"{name}-{size}-*"):
            shutil.rmtree(d, ignore_errors=True)

    persons = runs[0]["persons"]
    out: dict[str, Any] = {"scenario": name, "size": size_label, "rows": persons, "repeats": repeats}
    out.update(harness.timing_fields(runs, baselines, rows=persons, base_rows=base_rows or None))
    out.update(
        generate_median_s=round(harness.summary([r["generate_s"] for r in runs])["median"], 3),
        write_median_s=round(harness.summary([r["write_s"] for r in runs])["median"], 3),
        persons_per_s=round(persons / out["median_s"]),
        persons=persons,
        alive=runs[0]["alive"],
        households=runs[0]["households"],
        events=runs[0]["events"],
        units=runs[0]["units"],
        format="parquet" if dest == "files" else "sqlite",
        baseline="naive snapshot generator -> CSV" + (" -> run_import" if dest == "sqlite" else ""),
        baseline_generate_median_s=round(harness.summary([b["generate_s"] for b in baselines])["median"], 3) if baselines else None,
    )
    out.update(harness.provenance_fields([*runs, *baselines], args.seed))
    return out


def _baseline(name: str, size: int, base_rows: int, seed: int, dest: str, i: int, n: int) -> dict[str, Any]:
    work = _work_dir(f"{name}-{size}-baseline")
    b = harness.run_child(
        f"{__name__}:child_naive",
        {"persons": base_rows, "seed": seed, "work": str(work), "dest": dest},
        label=f"{name} baseline run {i + 1}",
    )
    shutil.rmtree(work)
    harness.log(
        f"{name} baseline run {i + 1}/{n}: {b['seconds']:.2f} s (generate {b['generate_s']:.2f} s, write {b['write_s']:.2f} s) "
        f"for {base_rows:,} persons, peak {b['peak_mib']:.0f} MiB"
    )
    return b


def run(size_label: str, size: int, repeats: int, args: argparse.Namespace) -> dict[str, Any]:
    return run_scenario(NAME, size_label, size, repeats, args)
