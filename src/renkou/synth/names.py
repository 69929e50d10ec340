"""Invented Chinese personal names for the synthetic county: surname + given name, by sex and era.

Nothing here is a real person's name record; names are drawn at random from two frequency tables
in ``data/``:

* ``surnames.csv`` (``surname,share_permille``): the top 100 surnames with approximate shares
  after the Ministry of Public Security's 2020 surname report and earlier published rankings
  (王 ~71.5‰, 李 ~70‰, 张 ~67‰, 刘 ~51‰, 陈 ~46‰, ...), followed by a long tail of rarer real
  single-character surnames with small, decreasing shares and a few two-character surnames
  (欧阳, 司马, 诸葛, ...). Shares need not sum to 1000; they are normalised here.
* ``given_names.csv`` (``chars,sex,era,weight``): era-typical given names by decade of birth
  (1900 stands for births before 1930) and sex (``M``, ``F``, ``U`` = either). Rows of two
  characters are whole given names (建国, 秀英, 子涵); rows of one character serve both as
  one-character given names and as the parts of composed two-character names. Weights are
  Zipf-like within each (era, sex, length) list, so the popular names of a decade are common and
  same-name people occur as in reality.

A person's era is the table decade nearest to the decade of birth. About 30% of given names are
one character overall: most in the 1970s-1990s, few after 2010. Two-character names are whole
table names or two single characters of the person's era and sex, each drawn with a preference
for the place (first or second) it takes in the whole names (子涵, 晓东 but 秀英, 浩轩).

Everything is vectorised numpy and deterministic for a given ``np.random.Generator`` state: the
draws happen in a fixed order (no Python ``random``, no set or hash ordering).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"

ERAS: tuple[int, ...] = (1900, 1950, 1960, 1970, 1980, 1990, 2000, 2010, 2020)
# share of one-character given names by era (same order as ERAS)
SINGLE_SHARE: tuple[float, ...] = (0.22, 0.20, 0.26, 0.36, 0.45, 0.40, 0.24, 0.10, 0.07)
# of the two-character names: share that are whole table names (the rest are composed)
WHOLE_SHARE = 0.6

SURNAME_DTYPE = "<U2"
GIVEN_DTYPE = "<U2"
FULL_DTYPE = "<U4"


@dataclass(frozen=True)
class _Pool:
    """Names of one kind with their cumulative weights (for inverse-CDF draws)."""

    names: np.ndarray
    cdf: np.ndarray  # float64, cumulative weights, last = total

    def draw(self, rng: np.random.Generator, k: int) -> np.ndarray:
        """Indices into ``names``, drawn by weight."""
        return np.searchsorted(self.cdf, rng.random(k) * self.cdf[-1], side="right")


def _pool(names: list[str], weights: list[float], dtype: str) -> _Pool:
    w = np.asarray(weights, dtype=np.float64)
    if len(names) == 0 or (w <= 0).any():
        raise ValueError("a name pool needs names with positive weights")
    return _Pool(np.asarray(names, dtype=dtype), np.cumsum(w))


@functools.cache
def _surname_pool() -> _Pool:
    with open(DATA / "surnames.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return _pool([r["surname"] for r in rows], [float(r["share_permille"]) for r in rows], SURNAME_DTYPE)


@functools.cache
def _given_rows() -> tuple[tuple[str, str, int, int], ...]:
    with open(DATA / "given_names.csv", encoding="utf-8", newline="") as f:
        return tuple((r["chars"], r["sex"], int(r["era"]), int(r["weight"])) for r in csv.DictReader(f))


# characters that begin names (子涵, 一诺, 晓东) but are no one-character name on their own
NOT_ALONE = frozenset("子一小晓亚")


@dataclass(frozen=True)
class _GivenPools:
    """The pools of one era and sex."""

    whole: _Pool  # whole two-character names
    single: _Pool  # one-character names
    first: _Pool  # first character of a composed name
    second: _Pool  # second character of a composed name (same names as ``first``)


@functools.cache
def _position_affinity(sex: str) -> dict[str, float]:
    """For each character: how much it prefers the first place of a two-character name (0..1).

    Counted over the whole names of this sex in all eras, with one pseudo-count per place, so that
    composed names put 子, 建, 晓 first and 涵, 轩, 英 second as the real names do.
    """
    first: dict[str, int] = {}
    second: dict[str, int] = {}
    for chars, s, _era, _w in _given_rows():
        if len(chars) == 2 and s in (sex, "U"):
            first[chars[0]] = first.get(chars[0], 0) + 1
            second[chars[1]] = second.get(chars[1], 0) + 1
    return {c: (first.get(c, 0) + 1) / (first.get(c, 0) + second.get(c, 0) + 2) for c in sorted(first.keys() | second.keys())}


@functools.cache
def _given_pools() -> tuple[tuple[_GivenPools, _GivenPools], ...]:
    """``[era index][0 = male, 1 = female]`` -> the pools of that era and sex."""
    rows = _given_rows()
    out = []
    for era in ERAS:
        per_sex = []
        for sex in ("M", "F"):
            mine = [r for r in rows if r[2] == era and r[1] in (sex, "U")]
            whole = [r for r in mine if len(r[0]) == 2]
            chars = [r[0] for r in mine if len(r[0]) == 1]
            weights = [r[3] for r in mine if len(r[0]) == 1]
            alone = [i for i, c in enumerate(chars) if c not in NOT_ALONE]
            aff = _position_affinity(sex)
            p1 = [aff.get(c, 0.5) for c in chars]
            per_sex.append(
                _GivenPools(
                    whole=_pool([r[0] for r in whole], [r[3] for r in whole], GIVEN_DTYPE),
                    single=_pool([chars[i] for i in alone], [weights[i] for i in alone], "<U1"),
                    first=_pool(chars, [w * p for w, p in zip(weights, p1, strict=True)], "<U1"),
                    second=_pool(chars, [w * (1 - p) for w, p in zip(weights, p1, strict=True)], "<U1"),
                )
            )
        out.append(tuple(per_sex))
    return tuple(out)


@functools.cache
def surname_list() -> tuple[str, ...]:
    """All surnames in the table, most common first."""
    return tuple(str(s) for s in _surname_pool().names)


@functools.cache
def compound_surnames() -> frozenset[str]:
    """The two-character surnames in the table (欧阳, 司马, ...)."""
    return frozenset(s for s in surname_list() if len(s) == 2)


@functools.cache
def character_weights() -> dict[str, float]:
    """Every single character of the name tables with a rough popularity weight.

    Given-name characters weigh by their table weights (summed over eras, sexes and the whole names
    they occur in); surname characters by their share in per mille. The dict is in table order.
    """
    weights: dict[str, float] = {}
    for chars, _sex, _era, w in _given_rows():
        for c in chars:
            weights[c] = weights.get(c, 0.0) + w
    pool = _surname_pool()
    shares = np.diff(pool.cdf, prepend=0.0)
    for s, share in zip(pool.names, shares, strict=True):
        for c in str(s):
            weights[c] = weights.get(c, 0.0) + float(share)
    return weights


@functools.cache
def given_characters() -> frozenset[str]:
    """Every character that occurs in the given-name table."""
    return frozenset(c for chars, _sex, _era, _w in _given_rows() for c in chars)


def era_index(birth_year: np.ndarray) -> np.ndarray:
    """Index into ``ERAS`` of the era nearest to each birth year's decade (ties go to the later)."""
    decade = (np.asarray(birth_year, dtype=np.int64) // 10) * 10
    eras = np.asarray(ERAS)
    midpoints = (eras[:-1] + eras[1:]) / 2
    return np.searchsorted(midpoints, decade, side="right")


def surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` surnames drawn by their population share (dtype ``<U2``)."""
    pool = _surname_pool()
    return pool.names[pool.draw(rng, int(n))]


def _draw_given(rng: np.random.Generator, pools: _GivenPools, k: int, single_share: float) -> np.ndarray:
    out = np.empty(k, dtype=GIVEN_DTYPE)
    u = rng.random(k)
    is_single = u < single_share
    is_whole = ~is_single & (u < single_share + (1.0 - single_share) * WHOLE_SHARE)
    is_composed = ~is_single & ~is_whole

    i = np.flatnonzero(is_single)
    out[i] = pools.single.names[pools.single.draw(rng, i.size)]
    i = np.flatnonzero(is_whole)
    out[i] = pools.whole.names[pools.whole.draw(rng, i.size)]
    i = np.flatnonzero(is_composed)
    a = pools.first.draw(rng, i.size)
    b = pools.second.draw(rng, i.size)
    same = np.flatnonzero(a == b)  # draw the second character once more; a few doubled ones (婷婷) stay
    b[same] = pools.second.draw(rng, same.size)
    names = pools.first.names
    out[i] = np.strings.add(names[a], names[b])
    return out


def given_names(rng: np.random.Generator, male: np.ndarray, birth_year: np.ndarray) -> np.ndarray:
    """Given names (one or two characters, dtype ``<U2``) for people of the given sex and birth year.

    ``male`` is a bool array, ``birth_year`` an int array of the same length.
    """
    male = np.asarray(male, dtype=bool)
    birth_year = np.asarray(birth_year)
    if male.shape != birth_year.shape or male.ndim != 1:
        raise ValueError("male and birth_year must be 1-d arrays of the same length")
    pools = _given_pools()
    # group key: era * 2 + (0 male, 1 female); groups are filled in key order
    key = era_index(birth_year) * 2 + (~male).astype(np.int64)
    order = np.argsort(key, kind="stable")
    bounds = np.searchsorted(key[order], np.arange(len(ERAS) * 2 + 1))
    out = np.empty(male.size, dtype=GIVEN_DTYPE)
    for g in range(len(ERAS) * 2):
        lo, hi = bounds[g], bounds[g + 1]
        if hi == lo:
            continue
        era, sex = divmod(g, 2)
        out[order[lo:hi]] = _draw_given(rng, pools[era][sex], int(hi - lo), SINGLE_SHARE[era])
    return out


def full_names(
    rng: np.random.Generator,
    male: np.ndarray,
    birth_year: np.ndarray,
    surname: np.ndarray | None = None,
) -> np.ndarray:
    """Surname + given name (dtype ``<U4``).

    ``surname`` (an array of the same length, or one string for everyone) passes surnames in, for
    example children's inherited ones; without it surnames are drawn first, then given names.
    """
    male = np.asarray(male, dtype=bool)
    if surname is None:
        surname = surnames(rng, male.size)
    else:
        surname = np.broadcast_to(np.asarray(surname, dtype=str), male.shape)
        if surname.size and np.strings.str_len(surname).max() > 2:
            raise ValueError("surnames have one or two characters")
    given = given_names(rng, male, birth_year)
    return np.strings.add(surname, given).astype(FULL_DTYPE)
