"""The baseline of ``benefits_determination``: the same determination written row by row in plain
Python over the same frames (renkou.benefits.eligibility.facts.Sources), interpreting the same programme data.

It turns the frames into per-person Python lists (the index), then for each potential beneficiary
of each programme gathers the facts with loops and ``bisect`` and evaluates every condition of the
programme's data. It is a second, independent reading of the conditions, kept here only to time
against and to cross-check the vectorised determination: the candidates it finds must be the
measured ones, person for person.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import time
from collections import defaultdict
from typing import Any

NOT_MET, MET, ATTEST = 0, 1, 2


def _index(src: Any) -> dict[str, Any]:
    def by_person(frame: Any, cols: tuple[str, ...], key: str = "person") -> dict[int, list[tuple]]:
        out: dict[int, list[tuple]] = defaultdict(list)
        for row in frame.select(key, *cols).iter_rows():
            out[row[0]].append(row[1:])
        return out

    return {
        "persons": {p: (m, b) for p, m, b in src.persons.iter_rows()},
        "deaths": {p: (d, e) for p, d, e in src.deaths.iter_rows()},
        "hukou": by_person(src.hukou, ("date", "h")),  # sorted by person, date, event
        "htype": by_person(src.htype, ("date", "htype")),
        "grades": by_person(src.grades, ("date", "grade")),
        "links": by_person(src.links, ("date", "child", "adopted", "male", "child_birth"), key="parent"),
        "married": by_person(src.married, ("start", "end", "spouse")),
    }


def _last(rows: list[tuple] | None, d: int) -> Any:
    if not rows:
        return None
    i = bisect.bisect_right([r[0] for r in rows], d)
    return rows[i - 1][1] if i else None


def _facts(ix: dict, p: int, d: int, adopted: str, cls: Any) -> dict[str, Any]:
    male, birth = ix["persons"].get(p, (None, None))
    death = ix["deaths"].get(p, (None, None))[0]

    def person(q: int) -> dict[str, Any]:
        h = _last(ix["hukou"].get(q), d)
        ht = _last(ix["htype"].get(q), d)
        c = int(cls[min(h, len(cls) - 1)]) if h is not None else 0
        return {
            "h": h,
            "rural": ht == "agricultural" or (ht == "resident" and c == 2),
            "area": 1 if ht == "non_agricultural" else 2 if ht == "agricultural" else (c or None),
        }

    f = {"birth": birth, "death": death, **person(p)}
    spouse = None
    for start, end, sp in sorted(ix["married"].get(p, [])):
        if start <= d < end:
            spouse = sp
    f["spouse"] = spouse
    if spouse is not None:
        s = person(spouse)
        f.update(s_h=s["h"], s_rural=s["rural"])
    f["wife_birth"] = ix["persons"][spouse][1] if (male == 1 and spouse is not None) else birth
    kids = [k for k in ix["links"].get(p, []) if k[0] <= d and (adopted == "count" or not k[2])]
    dead = [k for k in kids if (ix["deaths"].get(k[1], (None,))[0] or 10**9) <= d]
    living = [k for k in kids if k not in dead]
    f.update(
        ever=len(kids), living=len(living), sons=sum(k[3] == 1 for k in living), daughters=sum(k[3] == 0 for k in living), died=len(dead)
    )
    if len(kids) == 1:
        child = kids[0][1]
        f.update(child_birth=kids[0][4], child_death=ix["deaths"].get(child, (None,))[0], child_grade=_last(ix["grades"].get(child), d))
    return f


def _ok(x: bool) -> int:
    return MET if x else NOT_MET


def _status(c: Any, f: dict, on: dt.date, start: dt.date, d: int) -> int:
    from renkou.benefits.eligibility.conditions import years_before
    from renkou.core.dates import date_of, day

    t, p = c.test, c.params
    if t == "attestation":
        return ATTEST
    if t == "is_parent":
        return _ok(f["ever"] >= 1)
    if t == "alive":
        return _ok(f["death"] is None or f["death"] > d)
    if t == "born_on_or_after":
        return _ok(f["birth"] is not None and f["birth"] >= day(p["date"]))
    if t == "age_at_least":
        return _ok(f["birth"] is not None and f["birth"] <= years_before(on, p["years"]))
    if t == "wife_age_at_least":
        return _ok(f["wife_birth"] is not None and f["wife_birth"] <= years_before(on, p["years"]))
    if t == "hukou_in_county":
        if p["who"] == "spouse":
            return _ok(f["spouse"] is None or (f.get("s_h") or 0) != 0)
        return _ok((f["h"] or 0) != 0)
    if t == "hukou_rural":
        return _ok(f["spouse"] is None or bool(f.get("s_rural"))) if p["who"] == "spouse" else _ok(f["rural"])
    if t == "children":
        return _ok(any(all(_fits(f, k, n) for k, n in pat) for pat in p["any_of"]))
    if t == "only_child_died_or_disabled":
        cd, g = f.get("child_death"), f.get("child_grade")
        return _ok(f["ever"] == 1 and ((cd is not None and cd <= d) or (g is not None and g <= p["max_grade"])))
    if t == "only_child_under":
        return _ok(f["ever"] == 1 and f["child_birth"] > years_before(on, p["years"]))
    if t == "months_after_birth":
        b = date_of(f["birth"])
        bm = b.year * 12 + b.month - 1
        return _ok(bm + 1 <= on.year * 12 + on.month - 1 and bm + p["months"] >= start.year * 12 + start.month - 1)
    if t == "on_or_after":
        return _ok(on >= p["date"])
    raise ValueError(t)


def _fits(f: dict, key: str, n: int) -> bool:
    name, _, bound = key.partition("_")
    v = f[name]
    return v >= n if bound == "min" else v <= n if bound == "max" else v == n


def child_rowwise(db_path: str, year: int, county: str, max_persons: int, seed: int) -> dict[str, Any]:
    from renkou.benefits.eligibility.service import Eligibility
    from renkou.core.dates import day
    from renkou.stats.service import Stats
    from renkou.storage.db import Database

    db = Database(f"sqlite:///{db_path}")
    b = Eligibility(db, stats=Stats(db, snapshot=False))
    src = b.sources()  # the same frames as the measured run (not timed)
    t0 = time.perf_counter()
    ix = _index(src)
    t1 = time.perf_counter()
    out: dict[str, Any] = {"index_s": t1 - t0, "programmes": {}}
    rng = random.Random(seed)
    total = t1 - t0
    for key, prog in b.programmes.items():
        on = prog.determination(year)
        start = dt.date(year, 1, 1)
        d = day(on)
        units = b.stats.units(on)
        cls = b.unit_class(units)
        inside = set(units.subtree(county))
        if prog.beneficiary == "child":
            universe = sorted(ix["persons"])
        else:
            universe = sorted(
                p for p, ks in ix["links"].items() if any(k[0] <= d and (prog.adopted_children == "count" or not k[2]) for k in ks)
            )
        sample = sorted(rng.sample(universe, max_persons)) if max_persons < len(universe) else universe
        t = time.perf_counter()
        found = []
        for p in sample:
            f = _facts(ix, p, d, prog.adopted_children, cls)
            statuses = [_status(c, f, on, start, d) for c in prog.conditions]
            if NOT_MET in statuses:
                continue
            pos = int(units.base([f["h"] or 0])[0])
            if pos in inside:
                found.append(p)
        spent = time.perf_counter() - t
        scale = len(universe) / max(1, len(sample))
        total += spent * scale
        out["programmes"][key] = {
            "universe": len(universe),
            "evaluated": len(sample),
            "eval_s": spent,
            "scaled_s": spent * scale,
            "sample": sample if len(sample) < len(universe) else None,
            "candidates": found,
        }
    out["seconds"] = total
    out["measured_s"] = time.perf_counter() - t0
    return out
