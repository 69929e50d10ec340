"""The benchmark runner: ``python -m bench [--scenario NAME] [--size 10k|100k|1m] [--repeats N]``.

Discovers the scenario modules in bench/scenarios/ (one file per capability; modules whose name
starts with ``_`` are shared helpers). A scenario module defines ``NAME``, ``DESCRIPTION``,
``run(size_label, rows, repeats, args) -> dict`` and optionally ``add_arguments(parser)`` for options
of its own — or, for several scenarios in one module, ``SCENARIOS``: a sequence of objects with
those same attributes (scenarios sharing one ``add_arguments`` get it once); the options every
scenario shares (``--seed``, ``--regenerate``, ``--timeout`` and the
baseline options) are defined here. Each result is printed as one JSON line on stdout (and appended
to ``--out`` if given); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

from bench import harness
from bench.harness import DEFAULT_BASELINE_CAP, DEFAULT_SEED


def discover() -> dict[str, Any]:
    """{name: scenario}: a scenario module, or one of the ``SCENARIOS`` of a module that has several."""
    import bench.scenarios as pkg

    found: dict[str, Any] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"bench.scenarios.{info.name}")
        for sc in getattr(mod, "SCENARIOS", (mod,)):
            if hasattr(sc, "run"):
                found[getattr(sc, "NAME", info.name)] = sc
    return dict(sorted(found.items()))


def main(argv: list[str] | None = None) -> int:
    scenarios = discover()
    p = argparse.ArgumentParser(prog="python -m bench", description="renkou benchmarks (JSON lines on stdout, progress on stderr)")
    p.add_argument("--scenario", action="append", choices=sorted(scenarios), help="scenario to run (repeatable; default: all)")
    p.add_argument("--size", default="10k", help="10k, 100k or 1m (comma-separated for several; default 10k)")
    p.add_argument("--repeats", type=int, default=3, help="measured runs per size (default 3); medians are reported")
    p.add_argument("--out", type=Path, help="also append the JSON lines to this file (bench/results/ is git-ignored)")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"seed of the synthetic county every scenario uses (default {DEFAULT_SEED})"
    )
    p.add_argument(
        "--regenerate", action="store_true", help="rebuild the cached synthetic counties (files and databases) in bench/.cache/synth/"
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        metavar="S",
        help="kill any measured process still running after S seconds and report the scenario as failed (default 3600)",
    )
    g = p.add_argument_group("baselines (all scenarios)")
    g.add_argument(
        "--baseline-rows",
        type=int,
        metavar="K",
        help=f"persons handled by a generating or inserting baseline (import_persons, synth_*) when N is larger: "
        f"default all up to {DEFAULT_BASELINE_CAP:,}, else {DEFAULT_BASELINE_CAP:,}, scaled linearly to N and marked "
        "baseline_extrapolated (population_asof's baseline always reads the whole database)",
    )
    g.add_argument("--baseline-repeats", type=int, metavar="R", help="baseline runs (default: --repeats)")
    g.add_argument("--no-baseline", action="store_true", help="skip the baselines")
    sharing: dict[Any, list[str]] = {}  # add_arguments -> the scenarios that use it (added once)
    for name, mod in scenarios.items():
        if hasattr(mod, "add_arguments"):
            sharing.setdefault(mod.add_arguments, []).append(name)
    for add, names in sharing.items():
        add(p.add_argument_group(f"scenario{'s' if len(names) > 1 else ''} {', '.join(names)}"))
    args = p.parse_args(argv)
    if args.list:
        for name, mod in scenarios.items():
            print(f"{name}: {getattr(mod, 'DESCRIPTION', '')}")
        return 0
    if args.repeats < 1:
        p.error("--repeats must be at least 1")
    if args.timeout <= 0:
        p.error("--timeout must be positive")
    harness.TIMEOUT_S = args.timeout
    sizes = [harness.parse_size(s) for s in args.size.split(",") if s.strip()]
    with harness.exclusive():
        try:
            return _run_all(scenarios, args, sizes)
        finally:
            harness.cleanup_run_dir()


def _run_all(scenarios: dict[str, Any], args: argparse.Namespace, sizes: list[tuple[str, int]]) -> int:
    failed = False
    for name in args.scenario or sorted(scenarios):
        for label, rows in sizes:
            harness.log(f"scenario {name}, size {label} ({rows:,} rows), {args.repeats} repeat(s)")
            try:
                result = scenarios[name].run(label, rows, args.repeats, args)
            except harness.BenchError as exc:
                harness.log(f"FAILED: {exc}")
                failed = True
                continue
            line = json.dumps(result, ensure_ascii=False)
            print(line, flush=True)
            if args.out:
                args.out.parent.mkdir(parents=True, exist_ok=True)
                with args.out.open("a", encoding="utf-8") as f:
                    f.write(line + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
