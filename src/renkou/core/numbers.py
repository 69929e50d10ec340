"""How numbers are printed — one rule for every page and report: counts with thousands separators,
averages and rates with a fixed number of decimals (and their ‰ or % sign), money in yuan with two
decimals and thousands separators, and amounts in 万 (ten thousands) where a table's unit says 万.

Pure functions, values in and text out; rounding is half up (as in the statistical tables,
renkou.stats.rates), never Python's banker's rounding. ``None`` prints as the empty text, so a missing
value never reads as 0.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["average", "count", "money", "rate", "wan"]

Number = int | float | Decimal


def _decimal(value: Number | str) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        d = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return d if d.is_finite() else None


def _fixed(d: Decimal, decimals: int, *, grouped: bool) -> str:
    q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)  # no "-0.00"
    return f"{q:,.{decimals}f}" if grouped else f"{q:.{decimals}f}"


def count(value: Number | str | None) -> str:
    """A count: a whole number with thousands separators (12,345); a non-number is printed as it is."""
    if value is None:
        return ""
    d = _decimal(value)
    if d is None:
        return str(value)
    return _fixed(d, 0, grouped=True)


def average(value: Number | str | None, decimals: int = 2) -> str:
    """An average or any measured quantity: ``decimals`` fixed decimals, thousands separators."""
    if value is None:
        return ""
    d = _decimal(value)
    if d is None:
        return str(value)
    return _fixed(d, decimals, grouped=True)


def rate(value: Number | str | None, decimals: int = 2, unit: str = "") -> str:
    """A rate already expressed in its unit (12.34 per thousand → "12.34‰"): fixed decimals and the
    unit sign ("‰", "%" or none)."""
    if value is None:
        return ""
    d = _decimal(value)
    if d is None:
        return str(value)
    return _fixed(d, decimals, grouped=True) + unit


def money(value: Number | str | None, *, sign: bool = True) -> str:
    """Yuan: two decimals, thousands separators, with "¥" (``sign=False`` where the column header
    already says 元)."""
    if value is None:
        return ""
    d = _decimal(value)
    if d is None:
        return str(value)
    text = _fixed(d, 2, grouped=True)
    if not sign:
        return text
    return "-¥" + text[1:] if text.startswith("-") else "¥" + text


def wan(value: Number | str | None, decimals: int | None = None) -> str:
    """An amount in 万 (ten thousands), for a table whose unit says 万: 123456 → "12.35" (two
    decimals unless told; whole 万 print without decimals only when asked with ``decimals=0``)."""
    if value is None:
        return ""
    d = _decimal(value)
    if d is None:
        return str(value)
    return _fixed(d / 10000, 2 if decimals is None else decimals, grouped=True)
