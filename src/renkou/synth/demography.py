"""Demographic schedules for the simulation, read from ``data/targets.json``: pure functions of a
year and an age. Mortality follows a Brass relational logit model whose level is solved so that
each year's life expectancy equals the target; fertility is a gamma-shaped age schedule scaled to
the year's total fertility; first marriage a normal age schedule around the year's mean age.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"
MAX_AGE = 110


@cache
def targets() -> dict:
    return json.loads((DATA / "targets.json").read_text(encoding="utf-8"))


def schedule(name: str, year: float, *, sub: str | None = None) -> float:
    """The input schedule ``name`` (e.g. 'tfr') at ``year``, interpolated linearly between the
    listed years and held flat beyond the ends."""
    table = targets()["inputs"][name]
    if sub is not None:
        table = table[sub]
    xs, ys = _points(name, sub)
    return float(np.interp(year, xs, ys)) if table else 0.0


@cache
def _points(name: str, sub: str | None) -> tuple[np.ndarray, np.ndarray]:
    table = targets()["inputs"][name]
    if sub is not None:
        table = table[sub]
    items = sorted((int(k), v) for k, v in table.items())
    return np.array([k for k, _ in items], dtype=float), np.array([v for _, v in items], dtype=float)


def parity_weights(year: float) -> np.ndarray:
    """Relative chance of a further birth for a woman with 0, 1, 2, 3+ living children."""
    table = targets()["inputs"]["parity_weight"]
    items = sorted((int(k), v) for k, v in table.items())
    xs = [k for k, _ in items]
    return np.array([np.interp(year, xs, [v[i] for _, v in items]) for i in range(4)])


# ---------------------------------------------------------------------------------------- mortality


def _standard_logit() -> np.ndarray:
    """Brass logit Y_s(x) = 0.5 ln((1 - l(x)) / l(x)) of a standard life table (Siler hazard, an
    e0 near 75), for exact ages 1..MAX_AGE+1."""
    x = np.arange(0, MAX_AGE + 2, dtype=float)
    # cumulative Siler hazard: infant/child + constant + Gompertz senescence
    a1, b1, a2, a3, b3 = 0.012, 1.6, 0.0004, 0.00004, 0.093
    cum = a1 / b1 * (1 - np.exp(-b1 * x)) + a2 * x + a3 / b3 * (np.exp(b3 * x) - 1)
    lx = np.exp(-cum)
    return 0.5 * np.log((1 - lx[1:]) / lx[1:])


_YS = _standard_logit()


def _lx(alpha: float, beta: float = 1.0) -> np.ndarray:
    """Survivorship l(0..MAX_AGE+1) for logit level ``alpha`` and slope ``beta``."""
    return np.concatenate(([1.0], 1.0 / (1.0 + np.exp(2.0 * (alpha + beta * _YS)))))


def beta_of(year: int) -> float:
    """Brass slope: below 1 in the high-mortality years, when children died relatively more and
    the old relatively less than in the standard."""
    return float(np.interp(year, [1950, 1990, 2010], [0.7, 0.85, 0.95]))


def e0_of(alpha: float, beta: float = 1.0) -> float:
    lx = _lx(alpha, beta)
    # person-years: half a year for deaths within each age (a third for infants)
    d = lx[:-1] - lx[1:]
    big_l = lx[1:] + d * np.r_[0.3, np.full(len(d) - 1, 0.5)]
    return float(big_l.sum())


def sex_offset(year: int) -> float:
    """Men's logit level above the common one, women's below: the women's advantage grew from
    almost none (1950) to about five years of life expectancy (2010 on)."""
    return float(np.interp(year, [1950, 1980, 2000, 2010], [0.02, 0.07, 0.11, 0.13]))


@cache
def _alpha_for(e0: float, offset: float, beta: float) -> float:
    """The logit level whose two sexes' life expectancies average ``e0`` (bisection)."""
    lo, hi = -3.0, 3.0
    for _ in range(60):
        mid = (lo + hi) / 2
        v = (e0_of(mid + offset, beta) + e0_of(mid - offset, beta)) / 2
        if v > e0:  # too healthy: raise mortality
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@cache
def death_probabilities(year: int) -> np.ndarray:
    """q[sex, age]: probability of dying within a year for someone of exact age ``age`` at the
    start of ``year``; sex 0 = men, 1 = women; ages 0..MAX_AGE (the last one is 1)."""
    gap = sex_offset(year)
    beta = beta_of(year)
    alpha = _alpha_for(round(schedule("e0", year), 2), gap, beta)
    out = np.empty((2, MAX_AGE + 1))
    for s, off in ((0, gap), (1, -gap)):
        lx = _lx(alpha + off, beta)
        out[s] = 1.0 - lx[1:] / lx[:-1]
    out[:, MAX_AGE] = 1.0
    return out


# ---------------------------------------------------------------------------------------- fertility


@cache
def fertility_shape(year: int) -> np.ndarray:
    """Share of a year's total fertility at each age 0..MAX_AGE (zero outside 15-49), a gamma
    density with the year's mean age at childbearing."""
    mean = schedule("mean_age_birth", year)
    ages = np.arange(MAX_AGE + 1, dtype=float) + 0.5
    sd = 5.5
    k = ((mean - 14.0) / sd) ** 2  # gamma shape and scale for that mean and standard deviation
    theta = sd**2 / (mean - 14.0)
    x = np.clip(ages - 14.0, 1e-9, None)
    dens = np.exp((k - 1) * np.log(x) - x / theta)
    dens[(ages < 15) | (ages > 50)] = 0.0
    return dens / dens.sum()


def p_male(srb: np.ndarray | float) -> np.ndarray | float:
    """The probability that a birth is a boy, for a sex ratio at birth (boys per 100 girls)."""
    return srb / (100.0 + srb)


# ---------------------------------------------------------------------------------------- marriage


@cache
def first_marriage_hazard(year: int, sex: int) -> np.ndarray:
    """Annual hazard of first marriage at each age 0..MAX_AGE for the never married (sex 0 men,
    1 women): a normal age-at-marriage distribution (sd 3.2 years, legal minimum ages) among the
    share who ever marry, turned into a hazard."""
    t = targets()["inputs"]
    mean = schedule("first_marriage_women", year) + (t["husband_older_years"] if sex == 0 else 0.0)
    ever = t["ever_marry"]["men" if sex == 0 else "women"]
    minimum = (20 if sex == 0 else 18) if year < 1981 else (22 if sex == 0 else 20)
    ages = np.arange(MAX_AGE + 1, dtype=float)
    sd = 3.2
    cdf = np.array([0.5 * (1 + math.erf((a + 1 - mean) / (sd * math.sqrt(2)))) for a in ages])
    cdf_lo = np.r_[0.0, cdf[:-1]]
    f = ever * (cdf - cdf_lo)
    surv = 1.0 - ever * cdf_lo
    h = np.where(surv > 1e-9, f / np.maximum(surv, 1e-9), 0.0)
    h[ages < minimum] = 0.0
    h[ages > 60] = 0.0
    return np.clip(h, 0.0, 0.95)


def remarriage_hazard(age: np.ndarray) -> np.ndarray:
    """Annual hazard of marrying again after divorce or widowhood."""
    return np.where(age < 40, 0.12, np.where(age < 55, 0.05, np.where(age < 70, 0.015, 0.0)))
