"""Scenario ``import_persons``: N persons from CSV into SQLite with full validation.

Target (issue): 1,000,000 persons in <= 60 s on the 2-core machine, peak memory <= 2 GiB, with the
same rows inserted one by one through the ORM timed in the same run as the baseline.

What happens, per size:

1. Generate (once, cached under bench/.cache/) a fictitious county's import files: orgs.csv (county
   410102, 15 townships, 20 villages each), households.csv and persons.csv with N rows of valid,
   unique ID numbers. Deterministic (seeded).
2. Build a template database in a subprocess: a fresh SQLite file, ``migrate.upgrade``, then the
   orgs and households imported through ``run_import`` (timed separately as ``setup_s``).
3. Each measured run copies the template to a fresh file and, in a fresh subprocess, times
   ``run_import(db, "persons", persons.csv, Actor("bench", "import", ""))`` — reading, full
   validation, inserting persons and their registration events, commit — then checks that the
   database holds exactly N persons and N registration events (failing loudly otherwise).
4. Each baseline run copies the template and, in a fresh subprocess, inserts the first K rows one
   by one through the ORM: a ``Person`` with ``session.add`` and a ``flush`` per row (to get its id),
   then its registration ``Event`` (flushed with the next row), all inside ``db.write(actor)``. The
   baseline only converts values (no validation), so the ratio understates what validation costs.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import shutil
import time
from pathlib import Path
from typing import Any

from bench import harness

NAME = "import_persons"
DESCRIPTION = "N persons from CSV into SQLite via run_import (full validation) vs one-by-one ORM inserts"
GEN_VERSION = 2
DEFAULT_SEED = 20261122
TARGET_S = {1_000_000: 60.0}  # rows -> seconds allowed
TARGET_PEAK_MIB = {1_000_000: 2048.0}
DEFAULT_BASELINE_CAP = 100_000  # rows measured for the baseline when N is larger (then extrapolated)

COUNTY = "410102"
OTHER_ADDRESS_CODES = ("410103", "410104", "410105", "410122", "410181", "410182", "411023", "411102")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_M = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林国建志文博"
GIVEN_F = "芳娜敏静丽艳娟霞秀玲桂英慧颖琳晶欣雪倩婷红梅兰萍燕丹蓉洁瑶佳怡"
PLACE_A = "东西南北前后上下大小新老高李王张刘赵陈杨黄周吴马孙朱胡郭"
PLACE_B = "庄营屯寨店桥集湾岗坡河沟园楼湖"
TOWNSHIP_NAMES = ("城关", "东城", "西城", "南关", "北关", "金水", "柳林", "古城", "白沙", "黄河", "双桥", "石佛", "花园", "青龙", "杏花")

# ------------------------------------------------------------------------------------ generation


def _org_rows(rng: random.Random) -> tuple[list[list[str]], list[str]]:
    """orgs.csv rows (county, 15 townships, 300 villages) and the village codes."""
    rows = [[COUNTY, "示例县", "county", "", "1980-01-01", "", ""]]
    villages: list[str] = []
    plan = ([(f"{COUNTY}{t:03d}000", "街道", "111") for t in range(1, 6)]
            + [(f"{COUNTY}{t:03d}000", "镇", "121") for t in range(100, 105)]
            + [(f"{COUNTY}{t:03d}000", "乡", "210") for t in range(200, 205)])
    for (t_code, suffix, t_ur), t_name in zip(plan, TOWNSHIP_NAMES, strict=True):
        rows.append([t_code, t_name + suffix, "township", COUNTY, "1980-01-01", t_ur, ""])
        if suffix == "街道":  # streets: residents' committees 001-020
            digits = [(f"{v:03d}", "社区", "111" if v <= 12 else "112") for v in range(1, 21)]
        elif suffix == "镇":  # towns: a few residents' committees, the rest villages
            digits = [(f"{v:03d}", "社区", "121") for v in range(1, 5)] + [(f"{v:03d}", "村", "220") for v in range(201, 217)]
        else:
            digits = [(f"{v:03d}", "村", "220" if v > 201 else "210") for v in range(201, 221)]
        for v_digits, v_suffix, v_ur in digits:
            code = t_code[:9] + v_digits
            rows.append([code, rng.choice(PLACE_A) + rng.choice(PLACE_B) + v_suffix, "village", t_code, "1980-01-01", v_ur, ""])
            villages.append(code)
    return rows, villages


class _Ids:
    """Unique valid ID numbers: a counter per (address code, birth date, sex) gives the sequence
    (odd for men, even for women, from a start that varies with the date); when all 500 are used,
    the next address code takes over."""

    def __init__(self) -> None:
        from renkou.core import idnumber

        self.make = idnumber.make
        self.used: dict[tuple[str, int, int], int] = {}

    def __call__(self, addr_i: int, birth: dt.date, male: bool) -> str:
        codes = (COUNTY, *OTHER_ADDRESS_CODES)
        sex = 1 if male else 0
        for step in range(len(codes)):
            addr = codes[(addr_i + step) % len(codes)]
            key = (addr, birth.toordinal(), sex)
            k = self.used.get(key, 0)
            if k < 500:
                self.used[key] = k + 1
                start = (key[1] * 37 + step * 101) % 500  # spread the sequences like police-station prefixes do
                return self.make(addr, birth, (2 * (start + k) + sex) % 1000)
        raise RuntimeError(f"no ID numbers left for {birth}")


def generate(folder: Path, rows: int, seed: int) -> dict[str, Any]:
    """Write orgs.csv, households.csv and persons.csv (``rows`` persons) into ``folder``."""
    from renkou.exchange import templates

    rng = random.Random(seed)
    org_rows, villages = _org_rows(rng)
    ids = _Ids()
    lo_head, hi_head = dt.date(1935, 1, 1).toordinal(), dt.date(2002, 12, 31).toordinal()
    latest = dt.date(2026, 10, 31).toordinal()  # nobody born in the future, whenever this runs
    earliest = dt.date(1905, 1, 1).toordinal()
    per_village: dict[str, int] = dict.fromkeys(villages, 0)
    sizes, cum_weights = (1, 2, 3, 4, 5, 6), (10, 30, 55, 80, 92, 100)
    n_addr = 1 + len(OTHER_ADDRESS_CODES)
    written = households = 0
    folder.mkdir(parents=True, exist_ok=True)
    heads = [[c.zh for c in templates.columns(k)] for k in ("orgs", "households", "persons")]
    with (folder / "orgs.csv").open("w", newline="", encoding="utf-8") as fo:
        w = csv.writer(fo)
        w.writerow(heads[0])
        w.writerows(org_rows)
    with (folder / "households.csv").open("w", newline="", encoding="utf-8") as fh, \
         (folder / "persons.csv").open("w", newline="", encoding="utf-8") as fp:
        wh, wp = csv.writer(fh), csv.writer(fp)
        wh.writerow(heads[1])
        wp.writerow(heads[2])
        rand, randrange, choice = rng.random, rng.randrange, rng.choice
        buf: list[list[str]] = []

        def person(village: str, hh: str, relation: str, male: bool, born: int, surname: str) -> None:
            if born > latest:  # would be born in the future: a recent birth instead
                born = latest - randrange(3650)
            elif born < earliest:
                born = earliest + randrange(3650)
            birth = dt.date.fromordinal(born)
            addr_i = 0 if rand() < 0.8 else 1 + randrange(n_addr - 1)  # most were born in the county
            pool = GIVEN_M if male else GIVEN_F
            name = surname + choice(pool) + (choice(pool) if rand() < 0.6 else "")
            buf.append([ids(addr_i, birth, male), "", name, "男" if male else "女", birth.isoformat(), "汉族", "农业",
                        village, village, hh, relation, ""])

        while written < rows:
            size = min(rng.choices(sizes, cum_weights=cum_weights)[0], rows - written)
            village = choice(villages)
            per_village[village] += 1
            number = f"{village}{per_village[village]:04d}"
            if per_village[village] > 9999:
                raise RuntimeError("more than 9999 households in a village: add villages")
            head_born = randrange(lo_head, hi_head)
            founded = dt.date.fromordinal(min(latest, head_born + 365 * 20 + randrange(3650)))
            wh.writerow([number, village, f"{randrange(1, 300)}号", founded.isoformat()])
            households += 1
            head_male = rand() < 0.85
            surname = choice(SURNAMES)
            person(village, number, "户主", head_male, head_born, surname)
            members = 1
            if size >= 2:
                person(village, number, "配偶", not head_male, head_born + randrange(-5 * 365, 5 * 365), choice(SURNAMES))
                members += 1
            if size >= 5:
                person(village, number, "父母", rand() < 0.5, head_born - randrange(20 * 365, 35 * 365), surname)
                members += 1
            child_born = head_born + randrange(20 * 365, 30 * 365)
            while members < size:
                person(village, number, "子女", rand() < 0.52, child_born, surname)
                child_born += randrange(400, 2500)
                members += 1
            written += size
            if len(buf) >= 20_000:
                wp.writerows(buf)
                buf.clear()
        wp.writerows(buf)
    return {"rows": written, "households": households, "villages": len(villages), "orgs": len(org_rows), "seed": seed,
            "gen_version": GEN_VERSION}


def ensure_files(rows: int, seed: int, *, regenerate: bool = False) -> Path:
    import json

    folder = harness.CACHE / NAME / f"v{GEN_VERSION}-seed{seed}-{rows}"
    meta = folder / "meta.json"
    if meta.exists() and not regenerate:
        harness.log(f"using cached files in {folder.relative_to(harness.ROOT)}")
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    harness.log(f"generating {rows:,} persons into {folder.relative_to(harness.ROOT)} …")
    t0 = time.perf_counter()
    info = generate(folder, rows, seed)
    info["generate_s"] = round(time.perf_counter() - t0, 2)
    meta.write_text(json.dumps(info, indent=1), encoding="utf-8")  # written last: marks the set complete
    harness.log(f"generated in {info['generate_s']} s: {info}")
    return folder


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
    from renkou.exchange.importer import run_import
    from renkou.storage import migrate
    from renkou.storage.db import Actor, Database

    for suffix in ("", "-wal", "-shm"):
        Path(db_path + suffix).unlink(missing_ok=True)
    actor = Actor("bench", "import", "")
    db = Database(_url(db_path))
    t0 = time.perf_counter()
    migrate.upgrade(db)
    t1 = time.perf_counter()
    orgs = run_import(db, "orgs", Path(folder) / "orgs.csv", actor)
    t2 = time.perf_counter()
    hh = run_import(db, "households", Path(folder) / "households.csv", actor)
    t3 = time.perf_counter()
    _close(db)
    return {"migrate_s": t1 - t0, "orgs_s": t2 - t1, "households_s": t3 - t2, "orgs": orgs.created, "households": hh.created}


def _counts(db: Any) -> tuple[int, int]:
    from sqlalchemy import func, select

    from renkou.storage.schema import Event, Person

    with db.read() as s:
        return (s.scalar(select(func.count()).select_from(Person)),
                s.scalar(select(func.count()).select_from(Event).where(Event.kind == "register")))


def child_import(persons_csv: str, db_path: str, rows: int, profile: str | None = None) -> dict[str, Any]:
    """Time run_import of the persons file into a copy of the template, then verify the counts."""
    from renkou.exchange.importer import run_import
    from renkou.storage.db import Actor, Database

    db = Database(_url(db_path))
    actor = Actor("bench", "import", "")
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    res = run_import(db, "persons", Path(persons_csv), actor)
    seconds = time.perf_counter() - t0
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)
    persons, events = _counts(db)
    db.dispose()
    if res.n_problems or res.created != rows or persons != rows or events != rows:
        raise AssertionError(f"import_persons: expected {rows} persons and registrations, got created={res.created} "
                             f"persons={persons} register events={events} problems={res.n_problems}")
    return {"seconds": seconds, "created": res.created, "warnings": len(res.warnings)}


def child_baseline(persons_csv: str, db_path: str, limit: int) -> dict[str, Any]:
    """Insert the first ``limit`` rows one by one through the ORM: Person + flush, then its Event."""
    from sqlalchemy import select

    from renkou.core.vocab import ETHNICITIES, HUKOU_TYPES, RELATIONS, lookup
    from renkou.registry.events import fingerprint
    from renkou.storage.db import Actor, Database
    from renkou.storage.schema import Event, Household, OrgUnit, Person

    db = Database(_url(db_path))
    actor = Actor("bench", "orm-baseline", "")
    sexes = {"男": "M", "女": "F", "M": "M", "F": "F"}
    t0 = time.perf_counter()
    done = 0
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
                p = Person(id_number=idn or None, temp_key=temp_key or None, name=name, sex=sexes[sex], birth_date=birth_date,
                           ethnicity=lookup(ETHNICITIES, eth) or "01")
                s.add(p)
                s.flush()  # one flush per row: inserts the person (and the previous row's event), gives p.id
                values = dict(kind="register", person_id=p.id, date=dt.date.fromisoformat(reg) if reg else birth_date,
                              hukou_unit_id=units[hu], residence_unit_id=units[ru], household_id=households.get(hh),
                              relation=lookup(RELATIONS, relation), hukou_type=lookup(HUKOU_TYPES, hukou_type))
                s.add(Event(source="import", fingerprint=fingerprint(values), **values))
                done += 1
        s.flush()
    seconds = time.perf_counter() - t0
    persons, events = _counts(db)
    db.dispose()
    if done != limit or persons != limit or events != limit:
        raise AssertionError(f"baseline: expected {limit} persons, inserted {done}, found persons={persons} events={events}")
    return {"seconds": seconds, "rows": done}


# ------------------------------------------------------------------------------------ the scenario

def add_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument("--baseline-rows", type=int, metavar="K",
                   help=f"rows for the ORM baseline (default: all up to {DEFAULT_BASELINE_CAP:,}, else {DEFAULT_BASELINE_CAP:,} "
                        "scaled linearly to N and marked baseline_extrapolated)")
    g.add_argument("--baseline-repeats", type=int, metavar="R", help="baseline runs (default: --repeats)")
    g.add_argument("--no-baseline", action="store_true", help="skip the ORM baseline")
    g.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"generator seed (default {DEFAULT_SEED})")
    g.add_argument("--regenerate", action="store_true", help="rewrite the cached import files")
    g.add_argument("--keep-db", action="store_true", help="keep the databases of the measured runs in bench/.cache/runs/<invocation>/")
    g.add_argument("--profile", type=Path, metavar="FILE",
                   help="cProfile the first measured import into FILE (its time is then not counted; an extra run)")


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


def run(size_label: str, rows: int, repeats: int, args: argparse.Namespace) -> dict[str, Any]:
    folder = ensure_files(rows, args.seed, regenerate=args.regenerate)
    persons_csv = folder / "persons.csv"
    template = harness.run_dir() / f"{NAME}-{rows}-template.db"
    harness.log("building the template database (migrate, orgs, households) …")
    setup = harness.run_child(f"{__name__}:child_setup", {"folder": str(folder), "db_path": str(template)}, label="setup")
    harness.log(f"template ready: {setup['orgs']} orgs, {setup['households']:,} households in {setup['wall_s']:.1f} s")

    if args.no_baseline:
        base_rows = 0
    elif args.baseline_rows:
        base_rows = min(args.baseline_rows, rows)
    else:
        base_rows = min(rows, DEFAULT_BASELINE_CAP)
    base_repeats = args.baseline_repeats or repeats

    imports: list[dict[str, Any]] = []
    baselines: list[dict[str, Any]] = []
    try:
        if args.profile:
            db = _fresh_copy(template, f"{NAME}-{rows}-profile.db")
            harness.log(f"profiling one import into {args.profile} …")
            r = harness.run_child(f"{__name__}:child_import", {"persons_csv": str(persons_csv), "db_path": str(db), "rows": rows,
                                                                "profile": str(args.profile.resolve())}, label="profile")
            harness.log(f"profiled run: {r['seconds']:.2f} s (with profiler overhead)")
            _drop(db, args.keep_db)

        for i in range(max(repeats, base_repeats if base_rows else 0)):
            if i < repeats:
                db = _fresh_copy(template, f"{NAME}-{rows}-import-{i + 1}.db")
                r = harness.run_child(f"{__name__}:child_import", {"persons_csv": str(persons_csv), "db_path": str(db), "rows": rows},
                                      label=f"import run {i + 1}")
                _drop(db, args.keep_db)
                imports.append(r)
                harness.log(f"import run {i + 1}/{repeats}: {r['seconds']:.2f} s, peak {r['peak_mib']:.0f} MiB "
                            f"({rows / r['seconds']:,.0f} rows/s)")
            if base_rows and i < base_repeats:
                db = _fresh_copy(template, f"{NAME}-{rows}-baseline-{i + 1}.db")
                b = harness.run_child(f"{__name__}:child_baseline", {"persons_csv": str(persons_csv), "db_path": str(db), "limit": base_rows},
                                      label=f"baseline run {i + 1}")
                _drop(db, args.keep_db)
                baselines.append(b)
                harness.log(f"baseline run {i + 1}/{base_repeats}: {b['seconds']:.2f} s for {base_rows:,} rows, peak {b['peak_mib']:.0f} MiB "
                            f"({base_rows / b['seconds']:,.0f} rows/s)")
    finally:  # the template, and any database a failed run left behind
        if not args.keep_db:
            for f in template.parent.glob(f"{NAME}-{rows}-*"):
                f.unlink(missing_ok=True)

    src_digest, src_changed = harness.code_check([setup, *imports, *baselines])
    t = harness.summary([r["seconds"] for r in imports])
    peak = max(r["peak_mib"] for r in imports)
    out: dict[str, Any] = {
        "scenario": NAME,
        "size": size_label,
        "rows": rows,
        "repeats": repeats,
        "median_s": round(t["median"], 3),
        "min_s": round(t["min"], 3),
        "max_s": round(t["max"], 3),
        "peak_mib": peak,
        "rows_per_s": round(rows / t["median"]),
    }
    if baselines:
        b = harness.summary([r["seconds"] for r in baselines])
        scale = rows / base_rows
        out.update(
            baseline_median_s=round(b["median"] * scale, 3),
            baseline_rows=base_rows,
            baseline_extrapolated=base_rows < rows,
            baseline_measured_median_s=round(b["median"], 3),
            baseline_measured_min_s=round(b["min"], 3),
            baseline_measured_max_s=round(b["max"], 3),
            baseline_repeats=len(baselines),
            baseline_peak_mib=max(r["peak_mib"] for r in baselines),
            ratio=round(b["median"] * scale / t["median"], 2),
        )
    else:
        out.update(baseline_median_s=None, baseline_rows=0, baseline_extrapolated=False, ratio=None)
    target_s, target_mib = TARGET_S.get(rows), TARGET_PEAK_MIB.get(rows)
    out.update(
        target_s=target_s,
        target_peak_mib=target_mib,
        meets_target=None if target_s is None else bool(t["median"] <= target_s and peak <= target_mib),
        runs_s=[round(r["seconds"], 3) for r in imports],
        peaks_mib=[r["peak_mib"] for r in imports],
        setup_s=round(setup["wall_s"], 2),
        households=setup["households"],
        warnings=imports[0]["warnings"],
        src_digest=src_digest,
        src_changed=src_changed,
        env=harness.environment(),
    )
    return out
