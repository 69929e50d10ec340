"""Scenario ``web_load``: 20 concurrent users of the web application on loopback, for 60 s, and then
80 on the same server (reported beside the 20-user figures under ``more_users``).

The county is the cached synthetic county of the size (``_synth.county_db``), copied into the run
folder (the accounts are written into the copy, never into the cache). ``renkou serve`` runs in a
process of its own on 127.0.0.1 with the statistics snapshot of that copy, exactly as `make demo`
serves; the load comes from another process (``child_load``: asyncio + httpx2, one connection per
user).

* Users: ``--web-users`` (default ``20,80``: one measured load per count, one after the other on the
  same server; the first count is the one the goal applies to) accounts, village workers and township officers spread over
  the county's townships and villages (the county roles need a second factor, which a load test
  cannot type), each signed in once before the clock starts (argon2id at production cost).
* Each user loops, with a think time drawn uniformly from 0.5-1.5 s between requests (people read
  pages), over: the dashboard ``/``; a person search ``/persons?q=NAME`` for a name of someone in
  the user's area (half by characters, half by pinyin initials); that person's page
  ``/persons/{id}``; and the monthly report of the user's unit for a month of 2025 on screen
  (``/reports?t=report:monthly``). Every response must be 200 and carry the page's marker text;
  anything else is an error.
* Not timed: the server start, the statistics model load (from its snapshot, built once before),
  one warm-up round of every page per user.

Reported: requests and errors, p50/p95/p99 latency over all requests and per page (the issue's goal:
p95 <= 150 ms with zero errors), throughput, and the server's peak memory (VmHWM). There is no
baseline (``ratio`` is null): the goal is absolute.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import harness
from bench.scenarios import _synth

NAME = "web_load"
DESCRIPTION = (
    "20, then 80, concurrent users (think time 0.5-1.5 s) for 60 s each on loopback: dashboard, search, person page, monthly report"
)
PASSWORD = "Load.renkou-2026"
PAGES = ("dashboard", "search", "person", "report")


def add_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--web-users",
        type=_user_counts,
        default=(20, 80),
        help="(web_load) concurrent users, comma-separated for several loads one after the other (default 20,80; the goal applies to the first)",
    )
    g.add_argument("--web-seconds", type=float, default=60.0, help="(web_load) measured seconds (default 60)")


def _user_counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of user counts: {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"user counts must be positive: {text!r}")
    return counts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_setup(db_path: str, users: int, seed: int) -> dict[str, Any]:
    """Accounts in the copy, the snapshot, and for each user a unit code, search names and a month."""
    import datetime as dt

    from sqlalchemy import select

    from renkou.auth import accounts
    from renkou.registry.orgs import Hierarchy
    from renkou.stats.service import Stats
    from renkou.storage import migrate
    from renkou.storage.db import Actor, Database
    from renkou.storage.schema import Person

    db = Database(f"sqlite:///{db_path}")
    migrate.upgrade(db)
    rng = random.Random(seed)
    today = dt.date.today()
    with db.read() as s:
        h = Hierarchy.as_of(s, today)
        towns = [u for u in h.units.values() if u.level == "township"]
        villages = [u for u in h.units.values() if u.level == "village"]
        sample = list(s.execute(select(Person.id, Person.name, Person.name_initials).where(Person.id % 37 == 0)))
    st = Stats(db)
    where = st.locate([p for p, _, _ in sample])
    plan = []
    with db.write(Actor("bench", "system", "web_load")) as s:
        for i in range(users):
            town = i % 3 == 0
            unit = towns[i % len(towns)] if town else villages[rng.randrange(len(villages))]
            area = h.subtree(unit.code)
            mine = [(pid, name, ini) for pid, name, ini in sample if pid in where and any(h.resolve(x) in area for x in where[pid] if x)]
            if not mine:
                continue
            user = f"load{i:02d}"
            accounts.create_account(
                s,
                username=user,
                display_name=f"压测{i:02d}",
                role="township_officer" if town else "village_worker",
                unit_code=unit.code,
                password=PASSWORD,
            )
            picks = [mine[rng.randrange(len(mine))] for _ in range(40)]
            plan.append(
                {
                    "user": user,
                    "unit": unit.code,
                    "people": [{"id": p, "q": n if k % 2 == 0 else ini} for k, (p, n, ini) in enumerate(picks)],
                }
            )
    st.model()  # writes the snapshot next to the copy
    return {"seconds": 0.0, "plan": plan}


def child_load(port: int, plan: list[dict], seconds: float, seed: int) -> dict[str, Any]:
    import asyncio
    import re

    import httpx2

    base = f"http://127.0.0.1:{port}"
    marks = {"dashboard": "key-figures", "search": 'id="results"', "person": "id-number", "report": "<table"}

    async def sign_in(c, user: str) -> None:
        r = await c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
        r = await c.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token, "totp": ""})
        if r.status_code not in (200, 303) or "renkou_session" not in c.cookies:
            raise RuntimeError(f"sign-in of {user} failed: {r.status_code}")

    def url(page: str, u: dict, k: int) -> str:
        p = u["people"][k % len(u["people"])]
        if page == "dashboard":
            return "/"
        if page == "search":
            return f"/persons?q={p['q']}"
        if page == "person":
            return f"/persons/{p['id']}"
        return f"/reports?t=report:monthly&org={u['unit']}&period=2025-{1 + k % 12:02d}&basis=hukou"

    results: list[tuple[str, float, bool]] = []
    errors: list[str] = []

    async def user_loop(u: dict, c, rng: random.Random, until: float | None, record: bool) -> None:
        k = 0
        while True:
            for page in PAGES:
                if until is not None and time.perf_counter() >= until:
                    return
                t0 = time.perf_counter()
                ok = False
                try:
                    r = await c.get(url(page, u, k))
                    ok = r.status_code == 200 and marks[page] in r.text
                    if not ok and record:
                        errors.append(f"{page} {r.status_code}")
                except Exception as e:  # a refused or dropped connection is an error too
                    if record:
                        errors.append(f"{page} {type(e).__name__}")
                if record:
                    results.append((page, time.perf_counter() - t0, ok))
                if until is None:
                    continue
                await asyncio.sleep(rng.uniform(0.5, 1.5))
            k += 1
            if until is None:
                return

    async def main() -> float:
        clients = [httpx2.AsyncClient(base_url=base, timeout=30.0, follow_redirects=False) for _ in plan]
        try:
            for c, u in zip(clients, plan, strict=True):
                await sign_in(c, u["user"])
            await asyncio.gather(
                *(user_loop(u, c, random.Random(seed), None, False) for c, u in zip(clients, plan, strict=True))
            )  # warm-up
            t0 = time.perf_counter()
            until = t0 + seconds
            await asyncio.gather(
                *(user_loop(u, c, random.Random(seed + i), until, True) for i, (c, u) in enumerate(zip(clients, plan, strict=True)))
            )
            return time.perf_counter() - t0
        finally:
            for c in clients:
                await c.aclose()

    elapsed = asyncio.run(main())
    lat = sorted(t for _, t, _ in results)

    def pct(xs: list[float], q: float) -> float | None:
        return round(xs[min(len(xs) - 1, int(q * len(xs)))] * 1000, 1) if xs else None

    per = {}
    for page in PAGES:
        xs = sorted(t for p, t, _ in results if p == page)
        per[page] = {"requests": len(xs), "p50_ms": pct(xs, 0.5), "p95_ms": pct(xs, 0.95), "p99_ms": pct(xs, 0.99)}
    return {
        "seconds": elapsed,
        "requests": len(results),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:10],
        "p50_ms": pct(lat, 0.5),
        "p95_ms": pct(lat, 0.95),
        "p99_ms": pct(lat, 0.99),
        "max_ms": pct(lat, 1.0),
        "per_page": per,
        "throughput_rps": round(len(results) / elapsed, 1) if elapsed else None,
    }


def _vmhwm(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def run(size_label: str, size: int, repeats: int, args: argparse.Namespace) -> dict[str, Any]:
    seed = getattr(args, "seed", 1)
    cached, info = _synth.county_db(size, seed)
    runs_by: dict[int, list[dict[str, Any]]] = {}
    for i in range(repeats):
        code = harness.src_hashes()  # the server runs the working tree's package: all of it is what is measured
        work = harness.run_dir() / f"web_load_{i}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        db = work / "county.db"
        shutil.copyfile(cached, db)
        counts = args.web_users
        setup = harness.run_child(f"{__name__}:child_setup", {"db_path": str(db), "users": max(counts), "seed": seed}, label="accounts")
        port = _free_port()
        env = dict(os.environ, RENKOU_STATS_SNAPSHOT=str(db) + ".stats")
        server = subprocess.Popen(
            [sys.executable, "-m", "renkou", "--db", f"sqlite:///{db}", "serve", "--port", str(port)],
            cwd=harness.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sys.stderr.fileno(),
        )
        try:
            deadline = time.time() + 120
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if time.time() > deadline or server.poll() is not None:
                        raise harness.BenchError("the server did not start") from None
                    time.sleep(0.3)
            for n in counts:  # the first count's load is the measured run; the others are reported beside it
                r = harness.run_child(
                    f"{__name__}:child_load",
                    {"port": port, "plan": setup["plan"][:n], "seconds": args.web_seconds, "seed": seed + i},
                    label=f"load run {i + 1}, {n} users",
                )
                r["users"] = min(n, len(setup["plan"]))
                r["server_peak_mib"] = _vmhwm(server.pid)
                r["src_files"], r["src_digest"], r["src_changed"] = code, harness.src_digest(code), harness.src_hashes() != code
                runs_by.setdefault(n, []).append(r)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    runs = runs_by[args.web_users[0]]
    return {
        "scenario": NAME,
        "size": size_label,
        "rows": size,
        "repeats": repeats,
        "seconds_each": args.web_seconds,
        **harness.timing_fields(runs, [], rows=size),
        **_load_summary(runs),
        "goal_p95_ms": 150,
        "persons": info.get("persons"),
        "more_users": [_load_summary(rs) for n, rs in runs_by.items() if n != args.web_users[0]],
        **harness.provenance_fields([r for rs in runs_by.values() for r in rs], seed),
    }


def _load_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of the runs of one user count (the median run by p95): the main line's, and each
    further count's under ``more_users``; the goal (p95 <= 150 ms, no errors) met by every run."""
    med = sorted(runs, key=lambda r: r["p95_ms"] or 0)[len(runs) // 2]
    return {
        "users": runs[0]["users"],
        "requests": [r["requests"] for r in runs],
        "errors": [r["errors"] for r in runs],
        "p50_ms": med["p50_ms"],
        "p95_ms": med["p95_ms"],
        "p99_ms": med["p99_ms"],
        "max_ms": med["max_ms"],
        "p95_runs_ms": [r["p95_ms"] for r in runs],
        "per_page": med["per_page"],
        "throughput_rps": med["throughput_rps"],
        "error_kinds": sorted({e for r in runs for e in r["error_kinds"]}),
        "server_peak_mib": max(r["server_peak_mib"] or 0 for r in runs),
        "meets_goal": all((r["p95_ms"] or 1e9) <= 150 and r["errors"] == 0 for r in runs),
    }
