"""From a simulated population to a county: names, ID numbers, household numbers, and the tables
of the import templates (orgs, households, persons, events) as Polars frames.

`generate(persons, seed)` is the one entry point; the same arguments give the same county, byte for
byte. The history ends on 31 December of ``end_year``, or on the day ``end`` (the demo: yesterday, so
that the dashboard's current month and year have figures): the years are then simulated through the
year before ``end`` and every date of the county is moved forward by the same number of days. ``persons`` is the approximate number of person records in the registry (everyone registered
since the start year, living or dead); the exact count depends on the simulated history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from renkou.core.dates import EPOCH, day
from renkou.core.idnumber import CHECK_CHARS, WEIGHTS
from renkou.synth import county as org
from renkou.synth import names
from renkou.synth.simulate import (
    EXTERNAL,
    HUKOU_TYPES,
    KINDS,
    NEVER,
    RELATIONS,
    SCOPES,
    SOURCES,
    Params,
    Population,
    Simulation,
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


def generate(
    persons: int,
    seed: int,
    *,
    start_year: int = 1950,
    end_year: int = 2025,
    end: dt.date | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> County:
    """The county of ``persons`` and ``seed``, its history from ``start_year`` to the end of ``end_year``
    — or, with ``end``, to that day (``end_year`` is then the last year that ends on or before ``end``,
    every date moved forward by the days from its 31 December to ``end``)."""
    if persons < 1000:
        raise ValueError("persons must be at least 1000")
    if end is not None:
        end_year = end.year if (end.month, end.day) == (12, 31) else end.year - 1
    if not 1900 <= start_year < end_year <= 2100:
        raise ValueError("start_year must be before end_year")
    rng = np.random.default_rng(seed)
    plan = org.build(persons, rng, start_year=start_year, end_year=end_year)
    sim = Simulation(Params(persons, seed, start_year, end_year), plan, rng)
    step = (lambda i, n: progress("simulate", i, n)) if progress else None
    pop = sim.run(max(200, round(persons / PERSONS_PER_START)), progress=step)
    shift = day(end) - pop.end_day if end is not None else 0
    if shift:
        move_history(pop, shift)
    if progress:
        progress("identities", 0, 1)
    P = pop.people
    surname = _surnames(rng, P.surname_of)
    birth_year = (1970 + np.floor(P.birth / 365.2425)).astype(np.int32)
    full = np.char.add(surname, names.given_names(rng, P.sex == 0, birth_year))
    idn = _id_numbers(rng, pop, shift)
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


def move_history(pop: Population, days: int) -> None:
    """Every date of a simulated county ``days`` later: births, deaths, events, households, the
    organisation's dates and the end. Ages, intervals and the order of everything stay as they were."""
    P = pop.people
    P.birth += days
    P.death[P.death != NEVER] += days
    pop.events["date"] = pop.events["date"] + days
    pop.household_created = pop.household_created + days
    pop.end_day += days
    later = dt.timedelta(days=days)
    plan = pop.plan
    for u in plan.units:
        u.valid_from += later
    plan.renames = [(u, name, d + later) for u, name, d in plan.renames]
    plan.merges = [(retired, into, d + later) for retired, into, d in plan.merges]


def _id_numbers(rng: np.random.Generator, pop: Population, shift: int = 0) -> np.ndarray:
    """Valid 18-character numbers: the county's code at birth (the retired one before the county
    became a city) or the code of the county an in-migrant came from; the birth date; a sequence
    unique within code, date and sex, odd for men; the check character."""
    P = pop.people
    recode = day(org.RECODE_DATE) + shift  # the county's code changed on that day of its (moved) history
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
# Columns are built as Polars (Arrow) string series by gathering from small lookup lists: a million
# rows of a numpy unicode array cost four bytes a character, and the event table has a dozen such.


def iso_dates(days: np.ndarray) -> pl.Series:
    """ISO dates from days since 1970-01-01."""
    return pl.Series(np.asarray(days, dtype=np.int32)).cast(pl.Date).dt.to_string("%Y-%m-%d")


def _pick(values, idx: np.ndarray) -> pl.Series:
    """values[idx] where idx >= 0, else ''."""
    lookup = pl.Series(list(values) + [""], dtype=pl.String)
    idx = np.asarray(idx, dtype=np.int64)
    return lookup.gather(np.where(idx >= 0, idx, len(lookup) - 1))


def _fill(n: int, positions: np.ndarray, values) -> pl.Series:
    """A column of n empty strings with ``values`` at ``positions``."""
    col = pl.Series([""] * 1, dtype=pl.String).gather(np.zeros(n, dtype=np.int64))
    if len(positions):
        col = col.scatter(positions, pl.Series(values, dtype=pl.String))
    return col


def org_rows(c: County) -> pl.DataFrame:
    plan = c.pop.plan
    rows = []
    for u in plan.units:
        rows.append(
            {
                "code": u.code,
                "name": u.name,
                "level": u.level,
                "parent_code": plan.units[u.parent].code if u.parent >= 0 else "",
                "valid_from": u.valid_from.isoformat(),
                "urban_rural": u.urban_rural or "",
                "unit_kind": u.unit_kind or "",
            }
        )
    return pl.DataFrame(rows)


def org_history_rows(c: County) -> pl.DataFrame:
    """The dated changes of the organisation (renames and merges): not part of the import templates;
    `renkou synth --db` applies them through the registry's own services."""
    plan = c.pop.plan
    rows = [{"date": d.isoformat(), "action": "rename", "code": plan.units[u].code, "value": name} for u, name, d in plan.renames]
    rows += [
        {"date": d.isoformat(), "action": "merge", "code": plan.units[r].code, "value": plan.units[into].code}
        for retired, into, d in plan.merges
        for r in retired
    ]
    return pl.DataFrame(rows, schema={"date": pl.String, "action": pl.String, "code": pl.String, "value": pl.String})


def household_rows(c: County) -> pl.DataFrame:
    n = len(c.household_number)
    return pl.DataFrame(
        {
            "number": pl.Series(c.household_number, dtype=pl.String),
            "unit_code": _pick(c.unit_code, c.pop.household_unit),
            "address": (pl.Series(np.arange(n) % 300 + 1).cast(pl.String) + "号"),
            "created_on": iso_dates(c.pop.household_created),
        }
    )


def person_key(c: County) -> np.ndarray:
    """How files refer to each person: the ID number, or the temporary key of a new baby."""
    return np.where(c.temp_key != "", c.temp_key, c.id_number)


def person_rows(c: County) -> pl.DataFrame:
    """One row per registered person; people on the register at the start carry their registration
    (units, household, relation, hukou type) in the row, everyone else arrives by an event."""
    P, ev = c.pop.people, c.pop.events
    reg = np.flatnonzero(P.registered)
    r = ev["kind"] == KINDS.index("register")
    who = ev["person"][r]
    cols = {}
    for name, src in (
        ("hukou", "hukou"),
        ("residence", "residence"),
        ("household", "household"),
        ("relation", "relation"),
        ("hukou_type", "hukou_type"),
        ("date", "date"),
    ):
        arr = np.full(P.n, -1, dtype=np.int64)
        arr[who] = ev[src][r]
        cols[name] = arr[reg]
    has_reg = np.zeros(P.n, dtype=bool)
    has_reg[who] = True
    has_reg = has_reg[reg]
    registered_on = _fill(len(reg), np.flatnonzero(has_reg), iso_dates(cols["date"][has_reg]))
    return _person_frame(c, reg, cols["hukou"], cols["residence"], cols["household"], cols["relation"], cols["hukou_type"], registered_on)


def _person_frame(
    c: County,
    rows: np.ndarray,
    hukou: np.ndarray,
    residence: np.ndarray,
    household: np.ndarray,
    relation: np.ndarray,
    hukou_type: np.ndarray,
    registered_on: pl.Series,
) -> pl.DataFrame:
    """The persons template's columns for the persons ``rows`` (the other arrays align with them)."""
    P = c.pop.people
    return pl.DataFrame(
        {
            "id_number": pl.Series(np.where(c.temp_key[rows] != "", "", c.file_id[rows]), dtype=pl.String),
            "temp_key": pl.Series(c.temp_key[rows], dtype=pl.String),
            "name": pl.Series(c.name[rows], dtype=pl.String),
            "sex": _pick(["男", "女"], P.sex[rows]),
            "birth_date": iso_dates(P.birth[rows]),
            "ethnicity": _pick(["01"], np.zeros(len(rows), dtype=np.int64)),
            "hukou_type": _pick(HUKOU_TYPES, hukou_type),
            "hukou_unit": _pick(c.unit_code, hukou),
            "residence_unit": _pick(c.unit_code, residence),
            "household": _pick(c.household_number, household),
            "relation": _pick(RELATIONS, relation),
            "registered_on": registered_on,
        }
    )


def snapshot_person_rows(c: County) -> pl.DataFrame:
    """The register as it stands at the end, as an existing system's export would give it: every
    living person with hukou in the county, with their units, household, relation and hukou type
    then, registered on the last day (for people living away, the residence column repeats the hukou
    village, as such exports do). A first import of a county that has kept records elsewhere."""
    P = c.pop.people
    end = c.pop.end_day
    rows = np.flatnonzero(P.registered & (P.death > end) & (P.birth <= end) & (P.hukou >= 0) & (P.hh >= 0))
    res = np.where(P.res[rows] >= 0, P.res[rows], P.hukou[rows])
    return _person_frame(c, rows, P.hukou[rows], res, P.hh[rows], P.rel[rows], P.htype[rows], iso_dates(np.full(len(rows), end)))


def places(c: County, ev: dict[str, np.ndarray]) -> pl.Series:
    """Place text of births and deaths: home, or for hospital births a county hospital or the
    township health centre (a stable choice per event, no random draws)."""
    plan = c.pop.plan
    P = c.pop.people
    hospitals = [plan.units[i].name for i in plan.work_units if plan.units[i].unit_kind == "hospital"]
    n = len(ev["kind"])
    home = np.flatnonzero(ev["place"] == 0)
    hosp = np.flatnonzero(ev["place"] == 1)
    pos = np.r_[home, hosp]
    values = ["家中"] * len(home)
    if len(hosp):
        h = (ev["person"][hosp].astype(np.int64) * 7919 + ev["date"][hosp]) % 10
        unit = np.where(ev["hukou"][hosp] >= 0, ev["hukou"][hosp], np.maximum(P.hukou[ev["person"][hosp]], 0))
        town = plan.township_of[unit]
        names = hospitals + [plan.units[t].name + "卫生院" for t in range(len(plan.units))]
        choice = np.where((h < 7) | (town == 0), h % len(hospitals), len(hospitals) + town)
        values += [names[i] for i in choice.tolist()]
    return _fill(n, pos, values)


def birth_certificate(person: np.ndarray) -> list[str]:
    """出生医学证明 numbers (fictitious): R and nine digits derived from the child."""
    return [f"R{v:09d}" for v in ((np.asarray(person, dtype=np.int64) * 104_729) % 1_000_000_000).tolist()]


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
    n = len(order)
    key = person_key(c)
    birth_cert = np.flatnonzero((e["kind"] == KINDS.index("birth")) & (e["place"] == 1) & (e["date"] >= day(dt.date(1996, 1, 1))))
    dis = np.flatnonzero(e["kind"] == KINDS.index("disability"))
    cert_pos = np.r_[birth_cert, dis]
    cert_val = birth_certificate(e["person"][birth_cert]) + [
        f"{i}1{g}" for i, g in zip(c.id_number[e["person"][dis]].tolist(), e["grade"][dis].tolist(), strict=True)
    ]
    vital = np.isin(e["kind"], (KINDS.index("birth"), KINDS.index("death")))
    place = places(c, e)
    place = pl.select(pl.when(pl.Series(vital)).then(place).otherwise(pl.lit(""))).to_series()
    return pl.DataFrame(
        {
            "kind": _pick(KINDS, e["kind"]),
            "person": _pick(key, e["person"]),
            "date": iso_dates(e["date"]),
            "source": _pick(SOURCES, e["source"]),
            "partner": _pick(key, e["partner"]),
            "mother": _pick(key, e["mother"]),
            "father": _pick(key, e["father"]),
            "hukou_unit": _pick(c.unit_code, e["hukou"]),
            "residence_unit": _pick(c.unit_code, e["residence"]),
            "work_unit": _pick(c.unit_code, e["work"]),
            "household": _pick(c.household_number, e["household"]),
            "relation": _pick(RELATIONS, e["relation"]),
            "hukou_type": _pick(HUKOU_TYPES, e["hukou_type"]),
            "scope": _pick(SCOPES, e["scope"]),
            "origin_code": _pick(EXTERNAL, e["origin"]),
            "destination_code": _pick(EXTERNAL, e["destination"]),
            "place": place.alias("place"),
            "certificate_no": _fill(n, cert_pos, cert_val),
            "grade": _fill(n, dis, [str(g) for g in e["grade"][dis].tolist()]),
        }
    )


def summary(c: County) -> dict[str, int]:
    P = c.pop.people
    end = c.pop.end_day
    reg = P.registered
    alive = reg & (P.death == NEVER) & (P.birth <= end)
    return {
        "persons": int(reg.sum()),
        "alive": int(alive.sum()),
        "households": len(c.household_number),
        "units": len(c.unit_code),
        "events": int(P.registered[c.pop.events["person"]].sum()),
    }
