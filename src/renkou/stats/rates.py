"""Rounding, rates and their confidence intervals: how every figure of the statistics is printed.

* :func:`round_half_up` — 四舍五入 as statistical tables print it (not Python's round-half-to-even);
* :func:`rate` / :func:`rates` — num / den × factor (1 a count or ratio, 100 a percent, 1000 per mille),
  rounded half up, exact for whole counts; ``rates`` over arrays;
* :func:`wilson` / :func:`ratio_ci` — 95 % intervals of a proportion and of a ratio such as the sex
  ratio at birth;
* :func:`funnel_limits` — the 95 % limits of a ratio around a target for a number of cases (a funnel plot);
* :data:`SMALL_SAMPLE` — what a ratio computed from too few cases reads instead of a number (样本过少).

Used by the indicator service, the reports, the benefit reports and the dashboard's charts; pure
arithmetic, no data access. Money (yuan and fen, ``Decimal``) is rounded in renkou.benefits.rules.amounts.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np

__all__ = ["SMALL_SAMPLE", "Z95", "funnel_limits", "ratio_ci", "rate", "rates", "round_half_up", "small_text", "wilson"]

Z95 = 1.959963984540054  # the two-sided 95 % normal quantile
SMALL_SAMPLE = {"zh": "样本过少", "en": "too few births"}  # a sex ratio at birth of fewer births than Settings.srb_min_births


def small_text(lang: str) -> str:
    """The words shown instead of a sex ratio at birth computed from too few births."""
    return SMALL_SAMPLE["en" if lang == "en" else "zh"]


def round_half_up(x: float | Fraction, decimals: int) -> float:
    """四舍五入 as statistical tables print it (Python's round() rounds half to even)."""
    q = Decimal(1).scaleb(-decimals)
    d = Decimal(x.numerator) / Decimal(x.denominator) if isinstance(x, Fraction) else Decimal(repr(float(x)))
    return float(d.quantize(q, rounding=ROUND_HALF_UP))


def rate(num: float, den: float | None, factor: float = 1, decimals: int = 2) -> float | None:
    """num / den × factor, rounded half up; exact when the counts are whole (no binary-float drift)."""
    if den is None:
        return round_half_up(num * factor, decimals) if not math.isnan(num) else None
    if den == 0 or math.isnan(num) or math.isnan(den):
        return None
    if float(num).is_integer() and float(den * 2).is_integer():
        return round_half_up(Fraction(int(num)) * Fraction(factor) / Fraction(den), decimals)
    return round_half_up(num / den * factor, decimals)


def rates(num: np.ndarray, den: np.ndarray | None, factor: float, decimals: int) -> np.ndarray:
    """``rate`` over arrays (NaN where undefined): exact integer half-up rounding when the counts
    are whole, as they are for every count-based rate."""
    num = np.asarray(num, dtype=np.float64)
    scale = 10**decimals
    if den is None and float(factor).is_integer() and np.all(np.mod(num, 1) == 0):
        return num * factor  # whole counts: nothing to round
    whole = den is not None and float(factor).is_integer() and np.all(np.mod(num, 1) == 0) and np.all(np.mod(np.asarray(den) * 2, 1) == 0)
    if whole:
        d2 = np.rint(np.asarray(den) * 2).astype(np.int64)
        n = np.rint(num).astype(np.int64) * int(factor) * scale
        ok = d2 > 0
        q = (4 * np.abs(n) + d2) // np.where(ok, 2 * d2, 1)
        return np.where(ok, np.sign(n) * q / scale, np.nan)
    out = np.full(num.shape, np.nan)
    for k in range(len(num)):
        r = rate(float(num[k]), None if den is None else float(den[k]), factor, decimals)
        out[k] = np.nan if r is None else r
    return out


def wilson(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion k/n."""
    if n <= 0:
        return (math.nan, math.nan)
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, mid - half), min(1.0, mid + half))


def ratio_ci(num: float, den: float, factor: float) -> tuple[float | None, float | None]:
    """95% CI of num/den × factor (e.g. a sex ratio at birth) from the binomial share num/(num+den)."""
    lo, hi = wilson(num, num + den)
    if math.isnan(lo):
        return (None, None)
    conv = lambda p: (p / (1 - p) * factor) if p < 1 else math.inf  # noqa: E731
    return (conv(lo), conv(hi))


def funnel_limits(target: float, n: float, factor: float = 100, z: float = Z95) -> tuple[float, float] | None:
    """The 95 % limits of a ratio such as the sex ratio at birth (boys per ``factor`` girls) around
    ``target`` for ``n`` births: the binomial share p0 = target / (factor + target) ± z·√(p0(1 − p0)/n),
    turned back into ratios. None where a limit would leave (0, ∞) — too few births for a funnel."""
    if n <= 0:
        return None
    p0 = target / (factor + target)
    half = z * math.sqrt(p0 * (1 - p0) / n)
    lo, hi = p0 - half, p0 + half
    if lo <= 0 or hi >= 1:
        return None
    return (lo / (1 - lo) * factor, hi / (1 - hi) * factor)
