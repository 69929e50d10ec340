"""Birth order (孩次): which live birth of the mother (or of the couple) a birth is.

The rule is configurable by province (DOMAIN.md §4):

* ``mother`` — the mother's children living at the time of this birth, plus this one;
* ``couple`` — the couple's joint children living at the time of this birth, plus this one
  (a spouse's children from an earlier marriage and adopted children do not count).

Only live births count; adopted children never do. A sibling counts as living at the birth when they
had not died on or before the birth date. Twins: the one recorded first is the earlier birth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

RULES = ("mother", "couple")


@dataclass(frozen=True)
class Child:
    """A live-born child of the mother: identity, birth date, death date and father (None = unknown)."""

    key: int
    birth_date: dt.date
    death_date: dt.date | None = None
    father: int | None = None


def birth_order(this: Child, siblings: list[Child], rule: str = "mother") -> int:
    """The birth order of ``this`` among the mother's live-born ``siblings`` (``this`` may be among them)."""
    if rule not in RULES:
        raise ValueError(f"unknown birth-order rule {rule!r}; expected one of {RULES}")
    n = 1
    for s in siblings:
        if s.key == this.key:
            continue
        earlier = (s.birth_date, s.key) < (this.birth_date, this.key)
        living = s.death_date is None or s.death_date > this.birth_date
        if not (earlier and living):
            continue
        if rule == "couple" and (this.father is None or s.father != this.father):
            continue
        n += 1
    return n
