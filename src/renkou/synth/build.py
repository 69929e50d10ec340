"""From a simulated population to a county: names, ID numbers, household numbers, and the tables
of the import templates (orgs, households, persons, events) as Polars frames.

`generate(persons, seed)` is the one entry point; the same arguments give the same county, byte for
byte. ``persons`` is the approximate number of person records in the registry (everyone registered
since the start year, living or dead); the exact count depends on the simulated history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from renkou.core.idnumber import CHECK_CHARS, WEIGHTS
from renkou.synth import county as org, names
from renkou.synth.simulate import (
    EPOCH, EXTERNAL, HUKOU_TYPES, KINDS, NEVER, RELATIONS, SCOPES, SOURCES, Params, Population, Simulation, day,
)

PERSONS_PER_START = 4.3  # person records per person alive at the start (measured over seeds)
TEMP_KEY_DAYS = 90  # babies born this close to the end have no ID number yet
FIFTEEN_DIGIT_SHARE = 0.08  # of people born before 1960, in the import files only


@dataclass
class County:
    pop: Population
    name: np.ndarray  # per person
    id_number: np.ndarray  # per person: the true 18-character number ('' for babies without one yet)
    temp_key: np.ndarray  # per person: '' or the temporary key of a baby without an ID number
    file_id: np.ndarray  # per person: the number as the import file shows it (15 digits for a few old people)
    household_number: np.ndarray  # per household
    unit_code: list[str]  # per unit index

    @property
    def registered(self) -> np.ndarray:
        return self.pop.people.registered

    @property
    def end(self) -> dt.date:
        return EPOCH + dt.timedelta(days=int(self.pop.end_day))


def generate(persons: int, seed: int, *, start_year: int = 1950, end_year: int = 2025,
             progress: Callable[[str, int, int], None] | None = None) -> County:
    if persons < 1000:
        raise ValueError("persons must be at least 1000")
    if not 1900 <= start_year < end_year <= 2100:
        raise ValueError("start_year must be before end_year")
    rng = np.random.default_rng(seed)
    plan = org.build(persons, rng, start_year=start_year, end_year=end_year)
    sim = Simulation(Params(persons, seed, start_year, end_year), plan, rng)
    step = (lambda i, n: progress("simulate", i, n)) if progress else None
    pop = sim.run(max(200, round(persons / PERSONS_PER_START)), progress=step)
    if progress:
        progress("identities", 0, 1)
    P = pop.people
    surname = _surnames(rng, P.surname_of)
    birth_year = (1970 + np.floor(P.birth / 365.2425)).astype(np.int32)
    full = np.char.add(surname, names.given_names(rng, P.sex == 0, birth_year))
    idn = _id_numbers(rng, pop)
    newborn = P.registered & (P.birth > pop.end_day - TEMP_KEY_DAYS)
    temp = np.where(newborn, np.char.add("L" + org.COUNTY_CODE, np.char.zfill(np.arange(P.n).astype(str), 8)), "")
    idn = np.where(newborn, "", idn)
    old = (birth_year >= 1900) & (birth_year < 1960) & (rng.random(P.n) < FIFTEEN_DIGIT_SHARE)
    file_id = idn.copy()
    sel = np.flatnonzero(old & (idn != ""))
    file_id[sel] = [s[:6] + s[8:17] for s in idn[sel].tolist()]  # the old 15-digit form
    hh_numbers = _household_numbers(pop, plan)
    if progress:
        progress("identities", 1, 1)
    return County(pop, full, idn, temp, file_id, hh_numbers, [u.code for u in plan.units])


def _surnames(rng: np.random.Generator, surname_of: np.ndarray) -> np.ndarray:
    """Everyone without a parent in the county draws a surname; children take their father's (or
    mother's) — parents always come before their children in the arrays."""
    s = names.surnames(rng, len(surname_of))
    has = np.flatnonzero(surname_of >= 0)
    for _ in range(20):
        new = s[surname_of[has]]
        if np.array_equal(new, s[has]):
            break
        s[has] = new
    return s


def _id_numbers(rng: np.random.Generator, pop: Population) -> np.ndarray:
    """Valid 18-character numbers: the county's code at birth (the retired one before the county
    became a city) or the code of the county an in-migrant came from; the birth date; a sequence
    unique within code, date and sex, odd for men; the check character."""
    P = pop.people
    recode = day(org.RECODE_DATE)
    codes = np.array(list(EXTERNAL) + [org.OLD_COUNTY_CODE, org.COUNTY_CODE])
    code_idx = np.where(P.origin >= 0, P.origin, np.where(P.birth < recode, len(EXTERNAL), len(EXTERNAL) + 1))
    male = (P.sex == 0).astype(np.int64)
    key = (code_idx.astype(np.int64) * 200_000 + (P.birth.astype(np.int64) + 100_000)) * 2 + male
    order = np.argsort(key, kind="stable")
    k_sorted = key[order]
    starts = np.r_[0, np.flatnonzero(np.diff(k_sorted)) + 1]
    group = np.zeros(len(key), dtype=np.int64)
    group[starts] = 1
    group = np.cumsum(group) - 1
    rank = np.arange(len(key)) - starts[group]
    base = 2 * rng.integers(0, 150, len(starts))
    seq_sorted = base[group] + 2 * rank + male[order]
    if len(seq_sorted) and seq_sorted.max() > 999:
        raise RuntimeError("too many people born on one day for one address code")
    seq = np.empty(len(key), dtype=np.int64)
    seq[order] = seq_sorted
    dates = (np.datetime64("1970-01-01") + P.birth.astype("timedelta64[D]")).astype("datetime64[D]").astype(str)
    ymd = np.char.replace(dates, "-", "")
    first17 = np.char.add(np.char.add(codes[code_idx], ymd), np.char.zfill(seq.astype(str), 3))
    digits = np.frombuffer("".join(first17.tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 17).astype(np.int64) - 48
    check = np.array(list(CHECK_CHARS))[(digits @ np.array(WEIGHTS)) % 11]
    return np.char.add(first17, check)


def _household_numbers(pop: Population, plan: org.OrgPlan) -> np.ndarray:
    """户编号: the village code and a five-digit running number in order of creation."""
    units = pop.household_unit
    village = np.array([u.parent if u.level == "group" else i for i, u in enumerate(plan.units)], dtype=np.int64)[units]
    order = np.argsort(village, kind="stable")
    v_sorted = village[order]
    starts = np.r_[0, np.flatnonzero(np.diff(v_sorted)) + 1] if len(v_sorted) else np.zeros(0, dtype=np.int64)
    first = np.zeros(len(v_sorted), dtype=np.int64)
    first[starts] = starts
    first = np.maximum.accumulate(first) if len(first) else first
    running = np.empty(len(units), dtype=np.int64)
    running[order] = np.arange(len(v_sorted)) - first + 1
    codes = np.array([u.code for u in plan.units])
    return np.char.add(codes[village], np.char.zfill(running.astype(str), 5))


# ------------------------------------------------------------------------------------------ tables

def _iso(days: np.ndarray) -> np.ndarray:
    return (np.datetime64("1970-01-01") + days.astype("timedelta64[D]")).astype("datetime64[D]").astype(str)


def _pick(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """values[idx] where idx >= 0, else ''."""
    out = np.full(len(idx), "", dtype=values.dtype if len(values) else "<U1")
    ok = idx >= 0
    if ok.any():
        out[ok] = values[idx[ok]]
    return out


def org_rows(c: County) -> pl.DataFrame:
    plan = c.pop.plan
    rows = []
    for u in plan.units:
        rows.append({"code": u.code, "name": u.name, "level": u.level, "parent_code": plan.units[u.parent].code if u.parent >= 0 else "",
                     "valid_from": u.valid_from.isoformat(), "urban_rural": u.urban_rural or "", "unit_kind": u.unit_kind or ""})
    return pl.DataFrame(rows)


def org_history_rows(c: County) -> pl.DataFrame:
    """The dated changes of the organisation (renames and merges): not part of the import templates;
    `renkou synth --db` applies them through the registry's own services."""
    plan = c.pop.plan
    rows = [{"date": d.isoformat(), "action": "rename", "code": plan.units[u].code, "value": name} for u, name, d in plan.renames]
    rows += [{"date": d.isoformat(), "action": "merge", "code": plan.units[r].code, "value": plan.units[into].code}
             for retired, into, d in plan.merges for r in retired]
    return pl.DataFrame(rows, schema={"date": pl.String, "action": pl.String, "code": pl.String, "value": pl.String})


def household_rows(c: County) -> pl.DataFrame:
    codes = np.array(c.unit_code)
    return pl.DataFrame({"number": c.household_number, "unit_code": codes[c.pop.household_unit],
                         "address": np.char.add(np.char.zfill((np.arange(len(c.household_number)) % 300 + 1).astype(str), 1), "号"),
                         "created_on": _iso(c.pop.household_created)})


def person_key(c: County) -> np.ndarray:
    """How files refer to each person: the ID number, or the temporary key of a new baby."""
    return np.where(c.temp_key != "", c.temp_key, c.id_number)


def person_rows(c: County) -> pl.DataFrame:
    """One row per registered person; people on the register at the start carry their registration
    (units, household, relation, hukou type) in the row, everyone else arrives by an event."""
    P, ev = c.pop.people, c.pop.events
    reg = np.flatnonzero(P.registered)
    r = ev["kind"] == KINDS.index("register")
    codes = np.array(c.unit_code)
    who = ev["person"][r]
    unit_h = np.full(P.n, -1, dtype=np.int64)
    unit_r = unit_h.copy()
    hh = unit_h.copy()
    rel = unit_h.copy()
    ht = unit_h.copy()
    regd = np.zeros(P.n, dtype=np.int64)
    has_reg = np.zeros(P.n, dtype=bool)
    has_reg[who] = True
    unit_h[who], unit_r[who], hh[who], rel[who], ht[who], regd[who] = (ev["hukou"][r], ev["residence"][r], ev["household"][r],
                                                                      ev["relation"][r], ev["hukou_type"][r], ev["date"][r])
    return pl.DataFrame({
        "id_number": np.where(c.temp_key[reg] != "", "", c.file_id[reg]),
        "temp_key": c.temp_key[reg],
        "name": c.name[reg],
        "sex": np.where(P.sex[reg] == 0, "男", "女"),
        "birth_date": _iso(P.birth[reg]),
        "ethnicity": np.full(len(reg), "01"),
        "hukou_type": _pick(np.array(HUKOU_TYPES), ht[reg]),
        "hukou_unit": _pick(codes, unit_h[reg]),
        "residence_unit": _pick(codes, unit_r[reg]),
        "household": _pick(c.household_number, hh[reg]),
        "relation": _pick(np.array(RELATIONS), rel[reg]),
        "registered_on": np.where(has_reg[reg], _iso(regd[reg]), ""),
    })


def _places(c: County, ev: dict[str, np.ndarray]) -> np.ndarray:
    """Place text: hospital births in a county hospital or the township health centre, home, ..."""
    plan = c.pop.plan
    P = c.pop.people
    hospitals = np.array([plan.units[i].name for i in plan.work_units if plan.units[i].unit_kind == "hospital"])
    n = len(ev["kind"])
    out = np.full(n, "", dtype="<U20")
    home = ev["place"] == 0
    out[home] = "家中"
    hosp = np.flatnonzero(ev["place"] == 1)
    if len(hosp):
        # a stable choice per event (no extra random draws): county hospital or township health centre
        h = (ev["person"][hosp].astype(np.int64) * 7919 + ev["date"][hosp]) % 10
        county_hosp = hospitals[h % len(hospitals)]
        unit = np.where(ev["hukou"][hosp] >= 0, ev["hukou"][hosp], np.maximum(P.hukou[ev["person"][hosp]], 0))
        town_names = np.array([plan.units[plan.township_of[u]].name for u in range(len(plan.units))])
        centre = np.char.add(town_names[unit], "卫生院")
        out[hosp] = np.where((h < 7) | (plan.township_of[unit] == 0), county_hosp, centre)
    return out


def event_order(c: County, *, with_register: bool = False) -> np.ndarray:
    """Positions in the event log of the registry's events (registered persons only), in date order."""
    P = c.pop.people
    ev = c.pop.events
    keep = P.registered[ev["person"]]
    if not with_register:
        keep &= ev["kind"] != KINDS.index("register")
    for ref in ("partner", "mother", "father"):
        keep &= (ev[ref] < 0) | P.registered[np.maximum(ev[ref], 0)]
    order = np.flatnonzero(keep)
    return order[np.lexsort((ev["person"][order], ev["date"][order]))]


def event_rows(c: County, *, with_register: bool = False) -> pl.DataFrame:
    """Every event of registered persons — except the start registrations, which the persons file
    carries, unless ``with_register`` — in date order."""
    ev = c.pop.events
    order = event_order(c, with_register=with_register)
    e = {k: v[order] for k, v in ev.items()}
    key = person_key(c)
    codes = np.array(c.unit_code)
    ext = np.array(EXTERNAL)
    kinds = np.array(KINDS)[e["kind"]]
    places = _places(c, e)
    birth_cert = (kinds == "birth") & (e["place"] == 1) & (e["date"] >= day(dt.date(1996, 1, 1)))
    cert = np.where(birth_cert, np.char.add("R", np.char.zfill(((e["person"].astype(np.int64) * 104_729) % 1_000_000_000).astype(str), 9)), "")
    dis = kinds == "disability"
    cert = np.where(dis, np.char.add(np.char.add(c.id_number[e["person"]], "1"), e["grade"].astype(str)), cert)
    return pl.DataFrame({
        "kind": kinds,
        "person": key[e["person"]],
        "date": _iso(e["date"]),
        "source": np.array(SOURCES)[e["source"]],
        "partner": _pick(key, e["partner"]),
        "mother": _pick(key, e["mother"]),
        "father": _pick(key, e["father"]),
        "hukou_unit": _pick(codes, e["hukou"]),
        "residence_unit": _pick(codes, e["residence"]),
        "work_unit": _pick(codes, e["work"]),
        "household": _pick(c.household_number, e["household"]),
        "relation": _pick(np.array(RELATIONS), e["relation"].astype(np.int64)),
        "hukou_type": _pick(np.array(HUKOU_TYPES), e["hukou_type"].astype(np.int64)),
        "scope": _pick(np.array(SCOPES), e["scope"].astype(np.int64)),
        "origin_code": _pick(ext, e["origin"].astype(np.int64)),
        "destination_code": _pick(ext, e["destination"].astype(np.int64)),
        "place": np.where(np.isin(kinds, ("birth", "death")), places, ""),
        "certificate_no": cert,
        "grade": np.where(dis, e["grade"].astype(str), ""),
    })


def summary(c: County) -> dict[str, int]:
    P = c.pop.people
    end = c.pop.end_day
    reg = P.registered
    alive = reg & (P.death == NEVER) & (P.birth <= end)
    return {"persons": int(reg.sum()), "alive": int(alive.sum()), "households": len(c.household_number),
            "units": len(c.unit_code), "events": int(P.registered[c.pop.events["person"]].sum())}
