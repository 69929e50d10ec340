"""Dates as people write them, ages, and days since 1970: the one date parser and the one age rule.

* :func:`parse_date` — the written forms every import file, form and command accepts:
  ``YYYY-MM-DD``, ``YYYY/M/D``, ``YYYY.M.D`` (month and day with one or two digits, one separator
  throughout), ``YYYYMMDD`` and ``YYYY年M月D日``; ``None`` for anything else (never an ISO week or
  ordinal date, never a time).
* :func:`age` — age in completed years (周岁) on a day; someone born on 29 February turns a year
  older on 1 March in a common year.
* :func:`day` / :func:`date_of` — a date as whole days since 1970-01-01 and back, the integer form
  the statistics model and the synthetic county keep dates in.

Vectorised versions over arrays (numpy, Polars) live with the arrays that use them
(renkou.stats.engine, renkou.stats.model) and follow the same rule; this module is scalar and pure.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["DATE_FORMATS", "EPOCH", "age", "date_of", "day", "parse_date"]

EPOCH = dt.date(1970, 1, 1)
# what the documentation promises (docs/import-templates.md is generated with this text)
DATE_FORMATS = ("YYYY-MM-DD", "YYYY/M/D", "YYYY.M.D", "YYYYMMDD", "YYYY年M月D日")

_SEPARATED = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")
_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_CHINESE = re.compile(r"([0-9]{4}) ?年 ?([0-9]{1,2}) ?月 ?([0-9]{1,2}) ?日")


def parse_date(text: str) -> dt.date | None:
    """The date ``text`` names in one of :data:`DATE_FORMATS` (surrounding spaces ignored), else None."""
    s = text.strip()
    m = _SEPARATED.fullmatch(s)
    if m:
        y, mo, d = m.group(1), m.group(3), m.group(4)
    else:
        m = _COMPACT.fullmatch(s) or _CHINESE.fullmatch(s)
        if m is None:
            return None
        y, mo, d = m.groups()
    try:
        return dt.date(int(y), int(mo), int(d))
    except ValueError:
        return None


def age(birth: dt.date, on: dt.date) -> int:
    """Completed years (周岁) from ``birth`` to ``on`` (negative before the birth year's anniversary
    when ``on`` is before ``birth``: callers check that the person was born)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def day(d: dt.date) -> int:
    """Days since 1970-01-01."""
    return (d - EPOCH).days


def date_of(days: int) -> dt.date:
    """The date ``days`` days after 1970-01-01."""
    return EPOCH + dt.timedelta(days=int(days))
