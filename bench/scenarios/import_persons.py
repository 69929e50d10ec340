"""Scenario ``import_persons``: N persons from CSV into SQLite with full validation.

Target (issue): 1,000,000 persons in <= 60 s on the 2-core machine, peak memory <= 2 GiB, with the
same rows inserted one by one through the ORM timed in the same run as the baseline.

What happens, per size:

1. The register of a synthetic county (``renkou.synth``) as it stands at the end: register.csv
   from ``build.snapshot_person_rows`` — every living person with hukou in the county, each row with
   hukou and residence units, household and relation, so each becomes a person and a ``register``
   event, as in the first import of a county that kept its records elsewhere. The county is
   generated large enough (size / 0.585 person records) that the register has about N rows; it is
   cached (see _synth.py). The file has real-world quirks the importer must handle: 15-digit ID
   numbers of old people, temporary keys of new babies without an ID number, households of many
   villages and groups.
2. Build a template database in a subprocess: a fresh SQLite file, ``migrate.upgrade``, then the
   orgs and households imported through ``run_import`` (timed separately as ``setup_s``).
3. Each measured run copies the template to a fresh file and, in a fresh subprocess, times
   ``run_import(db, "persons", persons.csv, Officer.system(Actor("bench", "import", "")))`` — reading, full
   validation, inserting persons and their registration events, commit — then checks that the
   database holds exactly one person per row and one registration event per row with units
   (failing loudly otherwise).
4. Each baseline run copies the template and, in a fresh subprocess, inserts the first K rows one
   by one through the ORM: a ``Person`` with ``session.add`` and a ``flush`` per row (to get its id),
   then — for a row with units, as the importer does — its registration ``Event`` (flushed with the
   next row), all inside ``db.write(actor)``. The baseline only converts values (no validation; a
   15-digit number is stored as it stands), so the ratio understates what validation costs.

As before the synthetic county, every row carries a registration, so results are comparable with
the registry issue's measurements (one person and one register event per row).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import shutil
import time
from pathlib import Path
from typing import Any

from bench import harness
from bench.scenarios import _synth

NAME = "import_persons"
DESCRIPTION = "the synthetic county's persons.csv (~N rows) into SQLite via run_import (full validation) vs one-by-one ORM inserts"
TARGET_S = {1_000_000: 60.0}  # size (persons asked of the generator) -> seconds allowed
TARGET_PEAK_MIB = {1_000_000: 2048.0}


# ------------------------------------------------------------------------- measured (in children)


def _url(path: str) -> str:
    return f"sqlite:///{path}"


def _close(db: Any) -> None:
    """Checkpoint the WAL into the main file and close, so the .db file alone is complete."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    db.dispose()


def child_setup(folder: str, db_path: str) -> dict[str, Any]:
    """A fresh database: migrate, then import orgs and households (the template for every run)."""
    from renkou.auth.officer import Officer
    from renkou.exchange.importer import run_import
    from renkou.storage import migrate
    from renkou.storage.db import Actor, Database

    for suffix in ("", "-wal", "-shm"):
        Path(db_path + suffix).unlink(missing_ok=True)
    officer = Officer.system(Actor("bench", "import", ""))
    db = Database(_url(db_path))
    t0 = time.perf_counter()
    migrate.upgrade(db)
    t1 = time.perf_counter()
    orgs = run_import(db, "orgs", Path(folder) / "orgs.csv", officer)
    t2 = time.perf_counter()
    hh = run_import(db, "households", Path(folder) / "households.csv", officer)
    t3 = time.perf_counter()
    _close(db)
    return {"migrate_s": t1 - t0, "orgs_s": t2 - t1, "households_s": t3 - t2, "orgs": orgs.created, "households": hh.created}


def _counts(db: Any) -> tuple[int, int]:
    from sqlalchemy import func, select

    from renkou.storage.schema import Event, Person

    with db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Person)),
            s.scalar(select(func.count()).select_from(Event).where(Event.kind == "register")),
        )


def child_import(persons_csv: str, db_path: str, rows: int, registered: int, profile: str | None = None) -> dict[str, Any]:
    """Time run_import of the persons file into a copy of the template, then verify the counts."""
    from renkou.auth.officer import Officer
    from renkou.exchange.importer import run_import
    from renkou.storage.db import Actor, Database

    db = Database(_url(db_path))
    officer = Officer.system(Actor("bench", "import", ""))
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    res = run_import(db, "persons", Path(persons_csv), officer)
    seconds = time.perf_counter() - t0
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)
    persons, events = _counts(db)
    db.dispose()
    if res.n_problems or res.created != rows or persons != rows or events != registered:
        raise AssertionError(
            f"import_persons: expected {rows} persons and {registered} registrations, got created={res.created} "
            f"persons={persons} register events={events} problems={res.n_problems}"
        )
    return {"seconds": seconds, "created": res.created, "warnings": len(res.warnings)}


def child_baseline(persons_csv: str, db_path: str, limit: int) -> dict[str, Any]:
    """Insert the first ``limit`` rows one by one through the ORM: Person + flush, then its Event
    (for a row that names units, as the importer does)."""
    from sqlalchemy import select

    from renkou.core.vocab import ETHNICITIES, HUKOU_TYPES, RELATIONS, lookup
    from renkou.registry.events import fingerprint
    from renkou.storage.db import Actor, Database
    from renkou.storage.schema import Event, Household, OrgUnit, Person

    db = Database(_url(db_path))
    actor = Actor("bench", "orm-baseline", "")
    sexes = {"男": "M", "女": "F", "M": "M", "F": "F"}
    t0 = time.perf_counter()
    done = registered = 0
    with db.write(actor, note="orm baseline") as s:
        units = dict(s.execute(select(OrgUnit.code, OrgUnit.id)).all())
        households = dict(s.execute(select(Household.number, Household.id)).all())
        with open(persons_csv, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            next(reader)
            for row in reader:
                if done >= limit:
                    break
                idn, temp_key, name, sex, birth, eth, hukou_type, hu, ru, hh, relation, reg = row
                birth_date = dt.date.fromisoformat(birth)
                p = Person(
                    id_number=idn or None,
                    temp_key=temp_key or None,
                    name=name,
                    sex=sexes[sex],
                    birth_date=birth_date,
                    ethnicity=lookup(ETHNICITIES, eth) or "01",
                )
                s.add(p)
                s.flush()  # one flush per row: inserts the person (and the previous row's event), gives p.id
                if hu:
                    values = dict(
                        kind="register",
                        person_id=p.id,
                        date=dt.date.fromisoformat(reg) if reg else birth_date,
                        hukou_unit_id=units[hu],
                        residence_unit_id=units[ru],
                        household_id=households.get(hh),
                        relation=lookup(RELATIONS, relation),
                        hukou_type=lookup(HUKOU_TYPES, hukou_type),
                    )
                    s.add(Event(source="import", fingerprint=fingerprint(values), **values))
                    registered += 1
                done += 1
        s.flush()
    seconds = time.perf_counter() - t0
    persons, events = _counts(db)
    db.dispose()
    if done != limit or persons != limit or events != registered:
        raise AssertionError(
            f"baseline: expected {limit} persons and {registered} registrations, inserted {done}, found persons={persons} events={events}"
        )
    return {"seconds": seconds, "rows": done}


# ------------------------------------------------------------------------------------ the scenario


def add_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument("--keep-db", action="store_true", help="keep the databases of the measured runs in bench/.cache/runs/<invocation>/")
    g.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="cProfile the first measured import into FILE (its time is then not counted; an extra run)",
    )


def _fresh_copy(template: Path, name: str) -> Path:
    dst = template.parent / name  # this invocation's own folder (harness.run_dir)
    for suffix in ("", "-wal", "-shm"):
        Path(str(dst) + suffix).unlink(missing_ok=True)
    shutil.copyfile(template, dst)
    return dst


def _drop(path: Path, keep: bool) -> None:
    if keep:
        return
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def run(size_label: str, size: int, repeats: int, args: argparse.Namespace) -> dict[str, Any]:
    # a county large enough that its register at the end has about ``size`` rows
    folder, county = _synth.county_files(round(size / _synth.REGISTER_SHARE), args.seed, regenerate=args.regenerate)
    rows = registered = county["register_rows"]
    persons_csv = folder / "register.csv"
    template = harness.run_dir() / f"{NAME}-{size}-template.db"
    harness.log("building the template database (migrate, orgs, households) …")
    setup = harness.run_child(f"{__name__}:child_setup", {"folder": str(folder), "db_path": str(template)}, label="setup")
    harness.log(
        f"template ready: {setup['orgs']} orgs, {setup['households']:,} households in {setup['wall_s']:.1f} s; "
        f"{rows:,} persons to import, {registered:,} of them with a registration"
    )

    base_rows, base_repeats = harness.baseline_plan(args, rows)

    imports: list[dict[str, Any]] = []
    baselines: list[dict[str, Any]] = []
    kw = {"persons_csv": str(persons_csv), "rows": rows, "registered": registered}
    try:
        if args.profile:
            db = _fresh_copy(template, f"{NAME}-{size}-profile.db")
            harness.log(f"profiling one import into {args.profile} …")
            r = harness.run_child(
                f"{__name__}:child_import", kw | {"db_path": str(db), "profile": str(args.profile.resolve())}, label="profile"
            )
            harness.log(f"profiled run: {r['seconds']:.2f} s (with profiler overhead)")
            _drop(db, args.keep_db)

        for i in range(max(repeats, base_repeats)):
            if i < repeats:
                db = _fresh_copy(template, f"{NAME}-{size}-import-{i + 1}.db")
                r = harness.run_child(f"{__name__}:child_import", kw | {"db_path": str(db)}, label=f"import run {i + 1}")
                _drop(db, args.keep_db)
                imports.append(r)
                harness.log(
                    f"import run {i + 1}/{repeats}: {r['seconds']:.2f} s, peak {r['peak_mib']:.0f} MiB ({rows / r['seconds']:,.0f} rows/s)"
                )
            if base_rows and i < base_repeats:
                db = _fresh_copy(template, f"{NAME}-{size}-baseline-{i + 1}.db")
                b = harness.run_child(
                    f"{__name__}:child_baseline",
                    {"persons_csv": str(persons_csv), "db_path": str(db), "limit": base_rows},
                    label=f"baseline run {i + 1}",
                )
                _drop(db, args.keep_db)
                baselines.append(b)
                harness.log(
                    f"baseline run {i + 1}/{base_repeats}: {b['seconds']:.2f} s for {base_rows:,} rows, peak {b['peak_mib']:.0f} MiB "
                    f"({base_rows / b['seconds']:,.0f} rows/s)"
                )
    finally:  # the template, and any database a failed run left behind
        if not args.keep_db:
            for f in template.parent.glob(f"{NAME}-{size}-*"):
                f.unlink(missing_ok=True)

    fields = harness.timing_fields(imports, baselines, rows=rows, base_rows=base_rows)
    runs_s, peaks = fields.pop("runs_s"), fields.pop("peaks_mib")
    out: dict[str, Any] = {"scenario": NAME, "size": size_label, "rows": rows, "repeats": repeats}
    out.update({k: fields.pop(k) for k in ("median_s", "min_s", "max_s", "peak_mib")})
    out["rows_per_s"] = round(rows / out["median_s"])
    out.update(fields)
    target_s, target_mib = TARGET_S.get(size), TARGET_PEAK_MIB.get(size)
    out.update(
        target_s=target_s,
        target_peak_mib=target_mib,
        meets_target=None if target_s is None else bool(out["median_s"] <= target_s and out["peak_mib"] <= target_mib),
        runs_s=runs_s,
        peaks_mib=peaks,
        setup_s=round(setup["wall_s"], 2),
        households=setup["households"],
        register_events=registered,
        warnings=imports[0]["warnings"],
        county_digest=county["digest"],
    )
    out.update(harness.provenance_fields([setup, *imports, *baselines], args.seed))
    return out
