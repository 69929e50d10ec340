"""The synthetic county every scenario works on, built once per size and seed and cached in
bench/.cache/synth/ (git-ignored).

* ``county_files(persons, seed)``: the import files of ``renkou.synth.build.generate(persons, seed)``
  written by ``renkou.synth.store.to_files(fmt="csv")`` (orgs.csv, households.csv, persons.csv; the
  events and org_history files are dropped, nothing here reads them), and register.csv: the register
  as it stands at the end (``build.snapshot_person_rows``), every living person with hukou in the
  county and their units — what a first import of an existing register looks like.
* ``county_db(persons, seed)``: a SQLite registry database — ``migrate.upgrade`` then
  ``store.to_database`` — checkpointed and closed, so that the .db file alone is complete.

Each is built in a subprocess (generating a million persons takes a few GiB that the runner need
not hold) and keyed by size, seed and a digest of the code that makes it (``src/renkou/synth`` and
the modules the files or the database depend on), so a changed generator or schema rebuilds it; an
older entry of the same size and seed is removed then. A ``meta.json`` (or ``.json`` beside the
database) written last marks an entry complete.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench import harness

VERSION = 1  # of the layout below
SYNTH = harness.CACHE / "synth"
FILES_PARTS = ("synth", "core", "exchange/templates.py")
DB_PARTS = ("synth", "core", "storage", "registry/orgs.py", "registry/events.py")
KEEP_FILES = ("orgs.csv", "households.csv", "persons.csv", "register.csv")
REGISTER_SHARE = 0.585  # rows of register.csv per person record of the county (measured over seeds)


def _prune(pattern: str, keep: Path) -> None:
    for old in SYNTH.glob(pattern):
        if not old.name.startswith(keep.name):  # the entry itself and its companions (.json, -analyzed.db, -wal)
            harness.log(f"removing stale cache entry {old.relative_to(harness.ROOT)}")
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink(missing_ok=True)


def county_files(persons: int, seed: int, *, regenerate: bool = False) -> tuple[Path, dict[str, Any]]:
    """(folder with orgs.csv, households.csv, persons.csv; their meta)."""
    digest = harness.parts_digest(FILES_PARTS)
    stem = f"files-v{VERSION}-{persons}-seed{seed}"
    folder = SYNTH / f"{stem}-{digest}"
    meta = folder / "meta.json"
    if meta.exists() and not regenerate:
        harness.log(f"using cached county files {folder.relative_to(harness.ROOT)}")
        return folder, json.loads(meta.read_text(encoding="utf-8"))
    _prune(f"{stem}-*", folder)
    if folder.exists():
        shutil.rmtree(folder)
    harness.log(f"generating the synthetic county ({persons:,} persons, seed {seed}) into {folder.relative_to(harness.ROOT)} …")
    info = harness.run_child(f"{__name__}:child_files", {"folder": str(folder), "persons": persons, "seed": seed}, label="county files")
    info = {
        k: info[k] for k in ("persons", "alive", "households", "units", "events", "rows", "registered_rows", "register_rows", "build_s")
    }
    info.update(seed=seed, digest=digest)
    meta.write_text(json.dumps(info, indent=1), encoding="utf-8")  # written last: marks the set complete
    harness.log(f"county files ready in {info['build_s']:.1f} s: {info}")
    return folder, info


def county_db(persons: int, seed: int, *, regenerate: bool = False, analyze: bool = False) -> tuple[Path, dict[str, Any]]:
    """(SQLite file holding the county; its meta). With ``analyze``, a copy on which ``ANALYZE`` ran
    (the registry itself never runs it), kept beside the plain one."""
    digest = harness.parts_digest(DB_PARTS)
    stem = f"db-v{VERSION}-{persons}-seed{seed}"
    SYNTH.mkdir(parents=True, exist_ok=True)  # a fresh checkout has no cache folder yet
    path = SYNTH / f"{stem}-{digest}.db"
    meta = Path(str(path) + ".json")
    if meta.exists() and path.exists() and not regenerate:
        harness.log(f"using cached county database {path.relative_to(harness.ROOT)}")
        info = json.loads(meta.read_text(encoding="utf-8"))
    else:
        _prune(f"{stem}-*", path)
        for suffix in ("", "-wal", "-shm", ".json", "-analyzed.db", "-analyzed.db-wal", "-analyzed.db-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        harness.log(f"building the synthetic county database ({persons:,} persons, seed {seed}) in {path.relative_to(harness.ROOT)} …")
        info = harness.run_child(f"{__name__}:child_db", {"db_path": str(path), "persons": persons, "seed": seed}, label="county database")
        info = {k: info[k] for k in ("persons", "alive", "households", "units", "events", "build_s")}
        info.update(seed=seed, digest=digest, mib=round(path.stat().st_size / 2**20, 1))
        meta.write_text(json.dumps(info, indent=1), encoding="utf-8")  # written last
        harness.log(f"county database ready in {info['build_s']:.1f} s: {info}")
    if not analyze:
        return path, info
    analyzed = Path(str(path) + "-analyzed.db")
    if not analyzed.exists():
        harness.log("copying it and running ANALYZE on the copy …")
        tmp = Path(str(analyzed) + ".tmp")
        shutil.copyfile(path, tmp)
        con = sqlite3.connect(tmp)
        con.execute("ANALYZE")
        con.commit()
        con.close()
        tmp.rename(analyzed)
    return analyzed, info


# --------------------------------------------------------------------------------- (in children)


def child_files(folder: str, persons: int, seed: int) -> dict[str, Any]:
    from renkou.exchange import templates
    from renkou.synth import build, store

    t0 = time.perf_counter()
    c = build.generate(persons, seed)
    paths = store.to_files(c, Path(folder), fmt="csv")
    for p in paths.values():
        if p.name not in KEEP_FILES:
            p.unlink()
    register = build.snapshot_person_rows(c)  # the register at the end: every row registers a person
    register.rename({col.key: col.zh for col in templates.columns("persons")}).write_csv(Path(folder) / "register.csv")
    rows = build.person_rows(c)
    out = build.summary(c) | {
        "rows": rows.height,
        "registered_rows": int((rows["hukou_unit"] != "").sum()),
        "register_rows": register.height,
    }
    out["build_s"] = time.perf_counter() - t0
    return out


def child_db(db_path: str, persons: int, seed: int) -> dict[str, Any]:
    from sqlalchemy import text

    from renkou.storage import migrate
    from renkou.storage.db import Database
    from renkou.synth import build, store

    t0 = time.perf_counter()
    db = Database(f"sqlite:///{db_path}")
    migrate.upgrade(db)
    c = build.generate(persons, seed)
    out = store.to_database(c, db)
    with db.engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    db.dispose()
    out["build_s"] = time.perf_counter() - t0
    return out
