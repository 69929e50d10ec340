"""External department files for a synthetic county: what the hospitals, the police and civil
affairs would send the registry, with the mistakes such records have, and a separate answer file.

`write_external(county, kind, folder, seed=...)` writes two files:

* ``{kind}.csv`` (UTF-8 with BOM, Chinese headers; ``{kind}.parquet`` with ``fmt="parquet"``): the
  department's records as the registry would receive them. They carry no truth: no person index,
  no registry flag, no list of errors.
* ``{kind}.truth.csv`` (UTF-8 with BOM, English headers): per ``record_id`` the registry's key of
  the person (ID number or temporary key; '' when the registry does not hold the person),
  ``in_registry`` (1/0), ``errors`` (``error:column`` items joined by ``;``) and the registry keys
  of the other people the record names (parents; the wife of a marriage).

Kinds (`KINDS`): ``hospital-births`` (出生医学证明, hospital births since 1996, including the births
the registry never heard of), ``police-hukou`` (出生户口登记, every birth since ``since``, also the
unregistered ones), ``police-deaths`` (死亡注销户口, deaths of people with a hukou in the county)
and ``civil-marriages`` (婚姻登记: marriages and divorces). Deaths and marriages also get a small
share of records of outside people the registry does not have (fresh fictitious names and ID
numbers from migrants' home counties).

Errors (`ErrorRates`) are drawn per field: a name gets at most one of typo, homophone, traditional
characters; an ID number at most one of missing, one wrong digit, the old 15-digit form (people born
1900-1999 only); a date whose day and month can be swapped is swapped at ``swap_day_month``; police
registrations and cancellations are late (months to years) at ``late_registration``.

Deterministic: one ``np.random.default_rng([seed, kind index])`` per file, drawn in a fixed order;
the same county, seed and rates give byte-identical files. Vectorised: Python loops run only over
the records that get an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
import polars as pl

from renkou.core import idnumber
from renkou.core.dates import date_of, day
from renkou.core.vocab import RELATIONS as RELATION_NAMES
from renkou.synth import build, names, noise
from renkou.synth.county import COUNTY_CODE
from renkou.synth.simulate import KINDS as EVENT_KINDS
from renkou.synth.simulate import ORIGINS, RELATIONS

KINDS = ("hospital-births", "police-hukou", "police-deaths", "civil-marriages")
PREFIX = {"hospital-births": "HB", "police-hukou": "PH", "police-deaths": "PD", "civil-marriages": "CM"}
FORMATS = ("csv", "parquet")

# the columns of each records file: (key, Chinese header); error lists name the keys
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "hospital-births": (
        ("record_id", "记录号"),
        ("certificate_no", "出生医学证明编号"),
        ("child_name", "新生儿姓名"),
        ("child_sex", "新生儿性别"),
        ("birth_date", "出生日期"),
        ("birth_place", "出生地点"),
        ("mother_name", "母亲姓名"),
        ("mother_id_number", "母亲身份证号码"),
        ("father_name", "父亲姓名"),
        ("father_id_number", "父亲身份证号码"),
        ("issued_on", "签发日期"),
    ),
    "police-hukou": (
        ("record_id", "记录号"),
        ("name", "姓名"),
        ("sex", "性别"),
        ("birth_date", "出生日期"),
        ("id_number", "公民身份号码"),
        ("hukou_address_code", "户籍地代码"),
        ("relation", "与户主关系"),
        ("mother_name", "母亲姓名"),
        ("father_name", "父亲姓名"),
        ("registered_on", "登记日期"),
    ),
    "police-deaths": (
        ("record_id", "记录号"),
        ("name", "姓名"),
        ("sex", "性别"),
        ("id_number", "公民身份号码"),
        ("hukou_address_code", "户籍地代码"),
        ("death_date", "死亡日期"),
        ("cancelled_on", "注销日期"),
    ),
    "civil-marriages": (
        ("record_id", "记录号"),
        ("kind", "登记类型"),
        ("date", "登记日期"),
        ("husband_name", "男方姓名"),
        ("husband_id_number", "男方身份证号码"),
        ("wife_name", "女方姓名"),
        ("wife_id_number", "女方身份证号码"),
    ),
}
# the truth file's columns after record_id, person_key, in_registry, errors
TRUTH_EXTRA = {
    "hospital-births": ("mother_key", "father_key"),
    "police-hukou": ("mother_key", "father_key"),
    "police-deaths": (),
    "civil-marriages": ("partner_key",),
}
NAME_FIELDS = {
    "hospital-births": ("child_name", "mother_name", "father_name"),
    "police-hukou": ("name", "mother_name", "father_name"),
    "police-deaths": ("name",),
    "civil-marriages": ("husband_name", "wife_name"),
}
ID_FIELDS = {
    "hospital-births": ("mother_id_number", "father_id_number"),
    "police-hukou": ("id_number",),
    "police-deaths": ("id_number",),
    "civil-marriages": ("husband_id_number", "wife_id_number"),
}
SWAP_FIELD = {"hospital-births": "birth_date", "police-hukou": "birth_date", "police-deaths": "death_date", "civil-marriages": "date"}
LATE_FIELD = {"police-hukou": "registered_on", "police-deaths": "cancelled_on"}
ORDER_FIELD = {"hospital-births": "issued_on", "police-hukou": "registered_on", "police-deaths": "cancelled_on", "civil-marriages": "date"}

HOSPITAL_SINCE = dt.date(1996, 1, 1)  # the 出生医学证明 exists since 1996
DEFAULT_SINCE = dt.date(2010, 1, 1)
RECENT_DAYS = 180  # births this close to the county's end: the certificate's name is often still blank
NO_HUKOU_DAYS = 30  # babies dying this young never had a hukou to cancel
LATE_DAYS = {"police-hukou": (90, 6 * 365), "police-deaths": (90, 4 * 365)}  # range of late delays (log-uniform)
ON_TIME_DAYS = {"police-hukou": (3, 45), "police-deaths": (1, 45), "hospital-births": (0, 8)}  # usual delays (uniform, end excluded)
OUTSIDE_SEQ = 600  # fictitious outsiders' ID sequences start here (the county's own stay far below)
ISSUED_SEQ = 800  # numbers the police issued to newborns the registry still holds by temporary key


@dataclass(frozen=True)
class ErrorRates:
    """Chances of each mistake. Names, ID numbers and dates draw per field (see the module doc)."""

    typo: float = 0.02  # one given-name character replaced by a look-alike or another common one
    homophone: float = 0.03  # one character replaced by another read the same (王芳 -> 王方)
    traditional: float = 0.01  # the name in traditional characters (陈 -> 陳)
    swap_day_month: float = 0.01  # of the dates where swapping gives another valid date
    wrong_id_digit: float = 0.02  # one wrong digit or two adjacent ones transposed
    missing_id: float = 0.05  # the ID number left blank
    id_15_digit: float = 0.03  # of people born 1900-1999: the old 15-digit number
    late_registration: float = 0.05  # police: registered or cancelled months to years late
    missing_from_source: float = 0.03  # registry people the department has no record of
    unknown_to_registry: float = 0.01  # deaths and marriages: share of records of outside people
    blank_child_name: float = 0.05  # birth certificates without the child's name (older births)
    blank_child_name_recent: float = 0.6  # the same for births in the last RECENT_DAYS days

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{f.name} must be between 0 and 1")
        if self.typo + self.homophone + self.traditional > 1 or self.missing_id + self.wrong_id_digit + self.id_15_digit > 1:
            raise ValueError("the name error rates, and the ID error rates, must each sum to at most 1")
        if self.unknown_to_registry >= 1:
            raise ValueError("unknown_to_registry must be below 1")

    @classmethod
    def none(cls, **overrides: float) -> ErrorRates:
        """No mistakes, nothing missing, no outsiders, every child named (then ``overrides``)."""
        return replace(cls(**{f.name: 0.0 for f in fields(cls)}), **overrides)


def write_all(
    c: build.County, folder: Path, *, seed: int, rates: ErrorRates | None = None, fmt: str = "csv", since: dt.date | None = None
) -> dict[str, dict[str, Path]]:
    """All four kinds into ``folder``: kind -> the paths `write_external` returns."""
    return {k: write_external(c, k, folder, seed=seed, rates=rates, fmt=fmt, since=since) for k in KINDS}


def write_external(
    c: build.County, kind: str, folder: Path, *, seed: int, rates: ErrorRates | None = None, fmt: str = "csv", since: dt.date | None = None
) -> dict[str, Path]:
    """Write ``{kind}.csv`` (or ``.parquet``) and ``{kind}.truth.csv`` into ``folder``; returns
    ``{"records": path, "truth": path}``. ``since`` is the first event date (default 2010-01-01;
    hospital births never before 1996-01-01); events run to the county's end."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r} (one of: {', '.join(KINDS)})")
    if fmt not in FORMATS:
        raise ValueError(f"unsupported format {fmt!r} (one of: {', '.join(FORMATS)})")
    rates = rates or ErrorRates()
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    if kind == "hospital-births":
        start = max(since or HOSPITAL_SINCE, HOSPITAL_SINCE)
    else:
        start = since or DEFAULT_SINCE
    if day(start) > c.pop.end_day:
        raise ValueError(f"since {start} is after the county's end {c.end}")
    recs = _RECORDS[kind](c, rng, rates, day(start))
    records, truth = _finish(kind, recs, rng, rates)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rec_path = folder / f"{kind}.{fmt}"
    truth_path = folder / f"{kind}.truth.csv"
    if fmt == "csv":
        _write_csv(records, rec_path)
    else:
        records.write_parquet(rec_path)
    _write_csv(truth, truth_path)
    return {"records": rec_path, "truth": truth_path}


# ------------------------------------------------------------------------------------------ records


@dataclass
class _Records:
    """Columns by key: strings, or int day numbers for dates (``dates``); ``truth`` holds
    person_key, in_registry, the extra truth columns and, for the police, ``_late`` (bool: which
    delays are late registrations)."""

    cols: dict[str, np.ndarray]
    dates: tuple[str, ...]
    truth: dict[str, np.ndarray]

    def take(self, idx: np.ndarray) -> _Records:
        return _Records({k: v[idx] for k, v in self.cols.items()}, self.dates, {k: v[idx] for k, v in self.truth.items()})

    @staticmethod
    def concat(a: _Records, b: _Records) -> _Records:
        return _Records(
            {k: np.concatenate([a.cols[k], b.cols[k]]) for k in a.cols},
            a.dates,
            {k: np.concatenate([a.truth[k], b.truth[k]]) for k in a.truth},
        )

    def __len__(self) -> int:
        return len(next(iter(self.truth.values())))


def _key(c: build.County) -> np.ndarray:
    """The registry's key per person, '' for the people it does not hold."""
    return np.where(c.registered, build.person_key(c), "")


def _pick(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """values[idx], '' where idx < 0."""
    out = values[np.maximum(idx, 0)]
    return np.where(idx >= 0, out, "")


def _zfill(numbers: np.ndarray, width: int) -> np.ndarray:
    if len(numbers) == 0:
        return np.zeros(0, dtype=f"<U{width}")
    return np.char.zfill(numbers.astype(str), width)


def _sex(sex: np.ndarray) -> np.ndarray:
    return np.where(sex == 0, "男", "女")


def _issued_ids(c: build.County) -> np.ndarray:
    """Per person the ID number a department knows: the true one, and for the newborns the registry
    still holds by temporary key a number the police issued meanwhile (county code, birth date,
    sequence from 800 up: no clash with the county's own numbers)."""
    ids = c.id_number.astype("<U18")
    new = np.flatnonzero(c.temp_key != "")
    if len(new) == 0:
        return ids
    P = c.pop.people
    male = (P.sex[new] == 0).astype(np.int64)
    order = np.lexsort((new, male, P.birth[new]))
    new, male = new[order], male[order]
    key = P.birth[new].astype(np.int64) * 2 + male
    starts = np.r_[0, np.flatnonzero(np.diff(key)) + 1]
    rank = np.arange(len(new)) - np.repeat(starts, np.diff(np.r_[starts, len(new)]))
    seq = ISSUED_SEQ + 2 * rank + male
    if seq.max() > 999:
        raise RuntimeError("too many newborns on one day to issue ID numbers")
    ids[new] = [idnumber.make(COUNTY_CODE, date_of(b), int(s)) for b, s in zip(P.birth[new].tolist(), seq.tolist(), strict=True)]
    return ids


def _events(c: build.County, kinds: tuple[str, ...], since: int) -> np.ndarray:
    ev = c.pop.events
    sel = np.isin(ev["kind"], [EVENT_KINDS.index(k) for k in kinds]) & (ev["date"] >= since) & (ev["date"] <= c.pop.end_day)
    idx = np.flatnonzero(sel)
    return idx[np.lexsort((ev["person"][idx], ev["date"][idx]))]


def _drop_missing(c: build.County, rng: np.random.Generator, rates: ErrorRates, person: np.ndarray) -> np.ndarray:
    """Positions kept: the department lacks a ``missing_from_source`` share of the registry's people."""
    u = rng.random(len(person))
    return np.flatnonzero(~(c.registered[person] & (u < rates.missing_from_source)))


def _delays(rng: np.random.Generator, kind: str, n: int, late_rate: float) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = ON_TIME_DAYS[kind]
    d = rng.integers(lo, hi, n)
    late = rng.random(n) < late_rate
    if kind in LATE_DAYS:
        a, b = LATE_DAYS[kind]
        long = np.exp(rng.uniform(np.log(a), np.log(b), n)).astype(np.int64)
        d = np.where(late, long, d)
    else:
        late[:] = False
    return d, late


def _hospital_births(c: build.County, rng: np.random.Generator, rates: ErrorRates, since: int) -> _Records:
    ev, P = c.pop.events, c.pop.people
    idx = _events(c, ("birth",), since)
    idx = idx[ev["place"][idx] == 1]
    idx = idx[_drop_missing(c, rng, rates, ev["person"][idx])]
    child, mother, father = ev["person"][idx], ev["mother"][idx], ev["father"][idx]
    birth = ev["date"][idx].astype(np.int64)
    key, ids = _key(c), c.id_number
    delay, _ = _delays(rng, "hospital-births", len(idx), 0.0)
    end = c.pop.end_day
    blank_p = np.where(birth > end - RECENT_DAYS, rates.blank_child_name_recent, rates.blank_child_name)
    blank = rng.random(len(idx)) < blank_p
    sub = {k: ev[k][idx] for k in ("kind", "place", "person", "date", "hukou")}
    cols = {
        # the same number the registry's own birth events carry (build.event_rows)
        "certificate_no": np.array(build.birth_certificate(child), dtype="<U10"),
        "child_name": np.where(blank, "", c.name[child]).astype("<U8"),
        "child_sex": _sex(P.sex[child]),
        "birth_date": birth,
        "birth_place": build.places(c, sub).to_numpy().astype("<U20"),
        "mother_name": _pick(c.name, mother).astype("<U8"),
        "mother_id_number": _pick(ids, mother).astype("<U18"),
        "father_name": _pick(c.name, father).astype("<U8"),
        "father_id_number": _pick(ids, father).astype("<U18"),
        "issued_on": np.minimum(birth + delay, end),
    }
    truth = {
        "person_key": key[child],
        "in_registry": c.registered[child].astype(np.int8),
        "mother_key": _pick(key, mother),
        "father_key": _pick(key, father),
    }
    return _Records(cols, ("birth_date", "issued_on"), truth)


def _police_hukou(c: build.County, rng: np.random.Generator, rates: ErrorRates, since: int) -> _Records:
    ev, P = c.pop.events, c.pop.people
    idx = _events(c, ("birth",), since)
    idx = idx[_drop_missing(c, rng, rates, ev["person"][idx])]
    birth = ev["date"][idx].astype(np.int64)
    delay, late = _delays(rng, "police-hukou", len(idx), rates.late_registration)
    reg_on = birth + delay
    child = ev["person"][idx]
    keep = np.flatnonzero((reg_on <= c.pop.end_day) & (P.death[child] >= reg_on))  # not yet registered; died before
    idx, birth, reg_on, late, child = idx[keep], birth[keep], reg_on[keep], late[keep], child[keep]
    mother, father = ev["mother"][idx], ev["father"][idx]
    unit = np.where(ev["hukou"][idx] >= 0, ev["hukou"][idx], ev["residence"][idx])
    key = _key(c)
    relation_zh = np.array([RELATION_NAMES[r][0] for r in RELATIONS])
    cols = {
        "name": c.name[child].astype("<U8"),
        "sex": _sex(P.sex[child]),
        "birth_date": birth,
        "id_number": _issued_ids(c)[child],
        "hukou_address_code": _pick(np.array(c.unit_code), unit),
        "relation": _pick(relation_zh, ev["relation"][idx].astype(np.int64)),
        "mother_name": _pick(c.name, mother).astype("<U8"),
        "father_name": _pick(c.name, father).astype("<U8"),
        "registered_on": reg_on,
    }
    truth = {
        "person_key": key[child],
        "in_registry": c.registered[child].astype(np.int8),
        "mother_key": _pick(key, mother),
        "father_key": _pick(key, father),
        "_late": late,
    }
    return _Records(cols, ("birth_date", "registered_on"), truth)


def _outsiders(rng: np.random.Generator, male: np.ndarray, birth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fictitious people from migrants' home counties: (names, valid ID numbers)."""
    n = len(male)
    year = (1970 + np.floor(birth / 365.2425)).astype(np.int64)
    full = names.full_names(rng, male, year).astype("<U8")
    code = rng.integers(0, len(ORIGINS), n)
    seq = OUTSIDE_SEQ + 2 * rng.integers(0, 200, n) + male.astype(np.int64)
    ids = np.array(
        [idnumber.make(ORIGINS[k], date_of(b), s) for k, b, s in zip(code.tolist(), birth.tolist(), seq.tolist(), strict=True)],
        dtype="<U18",
    )
    return full, ids


def _years(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return (rng.uniform(lo, hi, n) * 365.25).astype(np.int64)


def _extra_count(rng: np.random.Generator, n: int, rate: float) -> int:
    """How many outside records make about ``rate`` of all records."""
    return int(rng.binomial(n, rate / (1 - rate))) if n and rate > 0 else 0


def _police_deaths(c: build.County, rng: np.random.Generator, rates: ErrorRates, since: int) -> _Records:
    ev, P = c.pop.events, c.pop.people
    idx = _events(c, ("death",), since)
    who = ev["person"][idx]
    idx = idx[(P.hukou[who] >= 0) & (ev["date"][idx] - P.birth[who] >= NO_HUKOU_DAYS)]  # a hukou to cancel
    idx = idx[_drop_missing(c, rng, rates, ev["person"][idx])]
    who = ev["person"][idx]
    key = _key(c)
    codes = np.array(c.unit_code)
    base = _Records(
        {
            "name": c.name[who].astype("<U8"),
            "sex": _sex(P.sex[who]),
            "id_number": _issued_ids(c)[who],
            "hukou_address_code": codes[P.hukou[who]],
            "death_date": ev["date"][idx].astype(np.int64),
        },
        ("death_date", "cancelled_on"),
        {"person_key": key[who], "in_registry": c.registered[who].astype(np.int8)},
    )
    n = _extra_count(rng, len(base), rates.unknown_to_registry)
    when = rng.integers(since, c.pop.end_day + 1, n)
    male = rng.random(n) < 0.5
    full, ids = _outsiders(rng, male, when - _years(rng, 45, 95, n))
    retired = [r for gone, _into, _date in c.pop.plan.merges for r in gone]
    villages = np.setdiff1d(c.pop.plan.villages, retired)  # today's villages
    extra = _Records(
        {
            "name": full,
            "sex": np.where(male, "男", "女"),
            "id_number": ids,
            "hukou_address_code": codes[villages[rng.integers(0, len(villages), n)]],
            "death_date": when.astype(np.int64),
        },
        base.dates,
        {"person_key": np.full(n, "", dtype=key.dtype), "in_registry": np.zeros(n, dtype=np.int8)},
    )
    recs = _Records.concat(base, extra)
    delay, late = _delays(rng, "police-deaths", len(recs), rates.late_registration)
    recs.cols["cancelled_on"] = recs.cols["death_date"] + delay
    recs.truth["_late"] = late
    return recs.take(np.flatnonzero(recs.cols["cancelled_on"] <= c.pop.end_day))


def _civil_marriages(c: build.County, rng: np.random.Generator, rates: ErrorRates, since: int) -> _Records:
    ev = c.pop.events
    idx = _events(c, ("marriage", "divorce"), since)
    idx = idx[_drop_missing(c, rng, rates, ev["person"][idx])]
    h, w = ev["person"][idx], ev["partner"][idx]
    key, ids = _key(c), _issued_ids(c)
    base = _Records(
        {
            "kind": np.where(ev["kind"][idx] == EVENT_KINDS.index("marriage"), "结婚", "离婚"),
            "date": ev["date"][idx].astype(np.int64),
            "husband_name": c.name[h].astype("<U8"),
            "husband_id_number": ids[h],
            "wife_name": _pick(c.name, w).astype("<U8"),
            "wife_id_number": _pick(ids, w),
        },
        ("date",),
        {"person_key": key[h], "in_registry": c.registered[h].astype(np.int8), "partner_key": _pick(key, w)},
    )
    n = _extra_count(rng, len(base), rates.unknown_to_registry)
    when = rng.integers(since, c.pop.end_day + 1, n)
    h_age = _years(rng, 22, 45, n)
    w_age = np.clip(h_age - (rng.normal(2.0, 2.5, n) * 365.25).astype(np.int64), 20 * 365, 60 * 365)
    hname, hid = _outsiders(rng, np.ones(n, dtype=bool), when - h_age)
    wname, wid = _outsiders(rng, np.zeros(n, dtype=bool), when - w_age)
    divorce = rng.random(n) < 0.1
    extra = _Records(
        {
            "kind": np.where(divorce, "离婚", "结婚"),
            "date": when.astype(np.int64),
            "husband_name": hname,
            "husband_id_number": hid,
            "wife_name": wname,
            "wife_id_number": wid,
        },
        base.dates,
        {
            "person_key": np.full(n, "", dtype=key.dtype),
            "in_registry": np.zeros(n, dtype=np.int8),
            "partner_key": np.full(n, "", dtype=key.dtype),
        },
    )
    return _Records.concat(base, extra)


_RECORDS = {
    "hospital-births": _hospital_births,
    "police-hukou": _police_hukou,
    "police-deaths": _police_deaths,
    "civil-marriages": _civil_marriages,
}


# ------------------------------------------------------------------------------------------ errors


def _note(errs: dict[int, list[str]], i: int, what: str) -> None:
    errs.setdefault(i, []).append(what)


def _exclusive_errors(
    rng: np.random.Generator,
    col: str,
    values: np.ndarray,
    errs: dict[int, list[str]],
    choices: list[tuple[str, float, Callable[[str], str | None]]],
) -> None:
    """At most one of ``choices`` (name, rate, change) per non-empty value, drawn with one uniform
    number; a change returning None or the value itself leaves the value alone and unrecorded."""
    u = rng.random(len(values))
    bounds = np.cumsum([rate for _, rate, _ in choices])
    for i in np.flatnonzero((u < bounds[-1]) & (values != "")).tolist():
        old = str(values[i])
        what, _, change = choices[int(np.searchsorted(bounds, u[i], side="right"))]
        new = change(old)
        if new is not None and new != old:
            values[i] = new
            _note(errs, i, f"{what}:{col}")


def _name_errors(rng: np.random.Generator, col: str, values: np.ndarray, rates: ErrorRates, errs: dict[int, list[str]]) -> None:
    _exclusive_errors(
        rng,
        col,
        values,
        errs,
        [
            ("typo", rates.typo, lambda v: noise.typo(v, rng)),
            ("homophone", rates.homophone, lambda v: noise.homophone(v, rng)),
            ("traditional", rates.traditional, noise.traditional),
        ],
    )


def _id_errors(rng: np.random.Generator, col: str, values: np.ndarray, rates: ErrorRates, errs: dict[int, list[str]]) -> None:
    _exclusive_errors(
        rng,
        col,
        values,
        errs,
        [
            ("missing_id", rates.missing_id, lambda v: ""),
            ("wrong_id_digit", rates.wrong_id_digit, lambda v: noise.id_digit_error(v, rng)),
            ("id_15_digit", rates.id_15_digit, lambda v: idnumber.to_15(v) if len(v) == 18 and v[6:8] == "19" else None),
        ],
    )


def _swap_errors(rng: np.random.Generator, col: str, days: np.ndarray, rate: float, errs: dict[int, list[str]]) -> None:
    """Swap day and month of ``rate`` of the dates where that gives another valid date."""
    d = days.astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    m = months.astype(np.int64) % 12 + 1
    dd = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    can = (dd <= 12) & (dd != m)
    hit = np.flatnonzero(can & (rng.random(len(days)) < rate))
    if len(hit) == 0:
        return
    ym = months[hit].astype(np.int64) - (m[hit] - 1) + (dd[hit] - 1)  # same year, month = old day
    swapped = ym.astype("datetime64[M]").astype("datetime64[D]") + (m[hit] - 1)
    days[hit] = swapped.astype(np.int64)
    for i in hit.tolist():
        _note(errs, i, f"swap_day_month:{col}")


def _iso(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype(str)


def _finish(kind: str, recs: _Records, rng: np.random.Generator, rates: ErrorRates) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply the errors, order the records, number them; the records and the truth frames."""
    errs: dict[int, list[str]] = {}
    for col in NAME_FIELDS[kind]:
        _name_errors(rng, col, recs.cols[col], rates, errs)
    for col in ID_FIELDS[kind]:
        _id_errors(rng, col, recs.cols[col], rates, errs)
    _swap_errors(rng, SWAP_FIELD[kind], recs.cols[SWAP_FIELD[kind]], rates.swap_day_month, errs)
    late = recs.truth.pop("_late", None)
    if late is not None:
        for i in np.flatnonzero(late).tolist():
            _note(errs, i, f"late_registration:{LATE_FIELD[kind]}")
    n = len(recs)
    # the department's own order: by the date it recorded, ties at random (no hint of the truth)
    order = np.lexsort((rng.random(n), recs.cols[ORDER_FIELD[kind]]))
    width = max(6, len(str(n)))
    record_id = np.char.add(PREFIX[kind], _zfill(np.arange(1, n + 1), width))
    error_text = np.array([";".join(errs.get(i, ())) for i in order.tolist()], dtype=object) if n else np.zeros(0, dtype=object)
    cols: dict[str, np.ndarray] = {"record_id": record_id}
    for key, _zh in COLUMNS[kind][1:]:
        v = recs.cols[key][order]
        cols[key] = _iso(v) if key in recs.dates else v
    records = pl.DataFrame({zh: pl.Series(zh, cols[key].tolist(), dtype=pl.String) for key, zh in COLUMNS[kind]})
    truth_cols = {
        "record_id": record_id,
        "person_key": recs.truth["person_key"][order],
        "in_registry": recs.truth["in_registry"][order].astype(str),
        "errors": error_text,
    }
    for k in TRUTH_EXTRA[kind]:
        truth_cols[k] = recs.truth[k][order]
    truth = pl.DataFrame({k: pl.Series(k, v.tolist(), dtype=pl.String) for k, v in truth_cols.items()})
    return records, truth


def _write_csv(df: pl.DataFrame, path: Path) -> None:
    with path.open("wb") as f:
        f.write(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
        df.write_csv(f)
