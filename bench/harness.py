"""Shared machinery: sizes, the cache folder, statistics and measured runs in fresh subprocesses.

A measured run is ``python -m bench._child MODULE:FUNCTION KWARGS_JSON RESULT_PATH`` started from
the repository root. The parent waits for it with ``os.wait4`` so that it gets that child's own
``ru_maxrss`` (peak resident memory of exactly that process); the child also records its
``VmHWM`` from /proc/self/status. The child's stdout is sent to our stderr so that stdout carries
only the JSON result lines.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CACHE = BENCH / ".cache"  # git-ignored

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
DEFAULT_SEED = 20261122  # of the synthetic county (--seed)
DEFAULT_BASELINE_CAP = 100_000  # persons a generating/inserting baseline handles at most by default (then extrapolated)


_RUN_DIR: Path | None = None


def run_dir() -> Path:
    """This invocation's own folder for databases (bench/.cache/runs/<time>-<pid>/), so that two
    invocations never touch each other's files."""
    global _RUN_DIR
    if _RUN_DIR is None:
        _RUN_DIR = CACHE / "runs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        _RUN_DIR.mkdir(parents=True, exist_ok=True)
    return _RUN_DIR


def cleanup_run_dir() -> None:
    """Remove this invocation's folder if nothing was kept in it."""
    if _RUN_DIR is not None:
        try:
            _RUN_DIR.rmdir()
        except OSError:
            pass


@contextmanager
def exclusive() -> Iterator[None]:
    """Hold bench/.cache/bench.lock while benchmarking: on a 2-core machine two benchmarks at once
    would spoil each other's timings, so a second invocation waits for the first."""
    import fcntl

    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "bench.lock").open("a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            log(f"another benchmark is running ({f.read().strip() or 'unknown'}); waiting for it to finish …")
            fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()} since {time.strftime('%H:%M:%S')}")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


class BenchError(RuntimeError):
    """A measured run failed or produced a wrong result."""


def parse_size(label: str) -> tuple[str, int]:
    """'10k', '100k', '1m' (or any integer, or e.g. '250k') -> (label, rows)."""
    s = label.strip().lower()
    if s in SIZES:
        return s, SIZES[s]
    mult = 1
    if s.endswith("k"):
        s, mult = s[:-1], 1_000
    elif s.endswith("m"):
        s, mult = s[:-1], 1_000_000
    try:
        n = int(float(s) * mult)
    except ValueError as exc:
        raise SystemExit(f"bad size {label!r}: use 10k, 100k, 1m or a number of rows") from exc
    if n <= 0:
        raise SystemExit(f"bad size {label!r}: must be positive")
    return label.strip().lower(), n


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def src_hashes() -> dict[str, str]:
    """SHA-256 of each source file of the package (src/renkou/**/*.py), by path relative to src/renkou."""
    import hashlib

    src = ROOT / "src" / "renkou"
    return {str(f.relative_to(src)): hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(src.rglob("*.py"))}


def src_digest(hashes: dict[str, str] | None = None, only: set[str] | None = None) -> str:
    """A digest of the package's source (of the files in ``only``, if given), so that results name
    the code they measured even without git, and runs made while the code changed can be told apart."""
    import hashlib

    hashes = src_hashes() if hashes is None else hashes
    h = hashlib.sha256()
    for path, digest in sorted(hashes.items()):
        if only is None or path in only:
            h.update(f"{path}\0{digest}\n".encode())
    return h.hexdigest()[:12]


def baseline_plan(args: Any, rows: int) -> tuple[int, int]:
    """(persons the baseline handles, baseline runs) from the shared baseline options; (0, 0) with
    --no-baseline. A baseline that handles fewer than ``rows`` is scaled linearly (see timing_fields)."""
    if args.no_baseline:
        return 0, 0
    base_rows = min(args.baseline_rows, rows) if args.baseline_rows else min(rows, DEFAULT_BASELINE_CAP)
    return base_rows, args.baseline_repeats or args.repeats


def parts_digest(parts: Sequence[str]) -> str:
    """A digest of every file (not only .py: data files too) under the given paths of src/renkou
    (folders or files), for cache keys: a generated artefact is rebuilt when the code that makes it
    changes."""
    import hashlib

    src = ROOT / "src" / "renkou"
    h = hashlib.sha256()
    for part in parts:
        base = src / part
        files = sorted(f for f in base.rglob("*") if f.is_file()) if base.is_dir() else [base]
        for f in files:
            if "__pycache__" in f.parts or f.suffix in (".pyc", ".pyo"):
                continue
            h.update(f"{f.relative_to(src)}\0{hashlib.sha256(f.read_bytes()).hexdigest()}\n".encode())
    return h.hexdigest()[:12]


def timing_fields(
    runs: list[dict[str, Any]], baselines: list[dict[str, Any]], *, rows: int, base_rows: int | None = None
) -> dict[str, Any]:
    """The fields every scenario reports: median/min/max seconds and peak memory of the measured
    runs, and the baseline's median (scaled linearly from ``base_rows`` to ``rows`` when it handled
    fewer) with the ratio baseline / measured."""
    t = summary([r["seconds"] for r in runs])
    out: dict[str, Any] = {
        "median_s": round(t["median"], 3),
        "min_s": round(t["min"], 3),
        "max_s": round(t["max"], 3),
        "peak_mib": max(r["peak_mib"] for r in runs),
    }
    if baselines:
        b = summary([r["seconds"] for r in baselines])
        base_rows = base_rows or rows
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
    out.update(runs_s=[round(r["seconds"], 3) for r in runs], peaks_mib=[r["peak_mib"] for r in runs])
    return out


def provenance_fields(runs: list[dict[str, Any]], seed: int) -> dict[str, Any]:
    """What every result line says about what it measured: the county's seed, the code (and whether
    it changed during the runs) and the machine."""
    src_digest, src_changed = code_check(runs)
    return {"seed": seed, "src_digest": src_digest, "src_changed": src_changed, "env": environment()}


def code_check(runs: list[dict[str, Any]]) -> tuple[str | list[str], bool]:
    """(digest of the code the runs measured, whether it changed between or during them). Each run
    reports the files it imported; a file seen with two contents, or edited during a run, is a change."""
    seen: dict[str, set[str]] = {}
    for r in runs:
        for f, h in r.get("src_files", {}).items():
            seen.setdefault(f, set()).add(h)
    changed = any(len(hs) > 1 for hs in seen.values()) or any(r.get("src_changed") for r in runs)
    if changed:
        digests = sorted({r["src_digest"] for r in runs})
        log(
            "WARNING: src/renkou changed during this benchmark: the runs did not all measure the same code "
            f"({', '.join(sorted(f for f, hs in seen.items() if len(hs) > 1)) or 'edited during a run'})"
        )
        return digests, True
    return src_digest({f: next(iter(hs)) for f, hs in seen.items()}), False


def loaded_src_files() -> set[str]:
    """The package's source files this process has imported (relative to src/renkou)."""
    src = (ROOT / "src" / "renkou").resolve()
    out = set()
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if f:
            try:
                out.add(str(Path(f).resolve().relative_to(src)))
            except ValueError:
                pass
    return out


def environment() -> dict[str, Any]:
    import sqlite3

    import sqlalchemy

    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }


TIMEOUT_S: float | None = None  # set from --timeout by the runner: the longest any measured process may take


def run_child(target: str, kwargs: dict[str, Any], *, label: str = "", timeout: float | None = None) -> dict[str, Any]:
    """Run ``target`` ('bench.scenarios.x:function') with ``kwargs`` in a fresh Python process.

    Returns the function's result dict plus ``peak_mib`` (the child's own ru_maxrss from wait4),
    ``vmhwm_mib`` (the child's VmHWM, read by itself) and ``wall_s`` (whole process, incl. start-up).
    A child still running after ``timeout`` seconds (default: ``TIMEOUT_S``) is killed and the run
    fails with BenchError, so that a pathological slow path cannot hold the benchmark for hours.
    """
    CACHE.mkdir(parents=True, exist_ok=True)
    fd, result_path = tempfile.mkstemp(prefix="result-", suffix=".json", dir=CACHE)
    os.close(fd)
    cmd = [sys.executable, "-m", "bench._child", target, json.dumps(kwargs), result_path]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    limit = TIMEOUT_S if timeout is None else timeout
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=sys.stderr.fileno(), env=env)
    timed_out = False
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG if limit else 0)
            if pid:
                break
            if time.perf_counter() - t0 > limit:
                proc.kill()  # this child only (we started it); reaped by the next wait4
                timed_out = True
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)  # we reaped it ourselves
    wall = time.perf_counter() - t0
    try:
        if timed_out:
            raise BenchError(f"{label or target}: killed after {limit:g} s (--timeout)")
        if proc.returncode != 0:
            raise BenchError(f"{label or target}: child exited with status {proc.returncode}")
        text = Path(result_path).read_text(encoding="utf-8")
        if not text:
            raise BenchError(f"{label or target}: child wrote no result")
        out = json.loads(text)
    finally:
        Path(result_path).unlink(missing_ok=True)
    out["peak_mib"] = round(usage.ru_maxrss / 1024, 1)  # Linux: KiB
    out["wall_s"] = wall
    return out
