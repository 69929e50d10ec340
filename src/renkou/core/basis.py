"""The population bases (人口口径): whom a unit's population counts. Defined once, used everywhere.

* ``hukou`` — 户籍人口, registered population: people whose hukou is in the unit.
* ``resident`` — 常住人口, resident population: people whose hukou is in the unit and who have not
  lived elsewhere for ``Settings.resident_threshold_months`` months (default 3), plus people living
  in the unit who have been away from their hukou place that long. The statistics (indicators,
  reports, ledgers, the dashboard) and ``renkou population`` count it with renkou.stats.
* ``current`` — 现住人口, current-residence population: people living in the unit on the day,
  however recently they came (the resident basis with no waiting time). Counted from the registry
  (renkou.registry.asof): population counts and exports, not the statistics.

The default everywhere is :data:`DEFAULT` (``hukou``), as the statistical reports use. The old
spelling ``residence`` (which meant ``current``) is accepted for one release by :func:`check`.
This module is vocabulary only; counting lives in renkou.registry.asof and renkou.stats.
"""

from __future__ import annotations

from dataclasses import dataclass

from renkou.errors import UserError

__all__ = ["BASES", "CURRENT", "DEFAULT", "HUKOU", "OLD_NAMES", "REGISTRY", "RESIDENT", "STATISTICS", "Basis", "check", "help_text"]

HUKOU, RESIDENT, CURRENT = "hukou", "resident", "current"


@dataclass(frozen=True)
class Basis:
    key: str
    zh: str
    en: str


BASES: dict[str, Basis] = {
    HUKOU: Basis(HUKOU, "户籍人口", "registered (hukou) population"),
    RESIDENT: Basis(RESIDENT, "常住人口", "resident population"),
    CURRENT: Basis(CURRENT, "现住人口", "current-residence population"),
}
DEFAULT = HUKOU
STATISTICS = (HUKOU, RESIDENT)  # what renkou.stats counts
REGISTRY = (HUKOU, CURRENT)  # what renkou.registry.asof counts from the events directly
OLD_NAMES = {"residence": CURRENT}  # accepted for one release; say `current`


def check(basis: str, allowed: tuple[str, ...] = tuple(BASES)) -> str:
    """``basis`` by its current name (an old name translated), or a UserError listing ``allowed``."""
    key = OLD_NAMES.get(basis, basis)
    if key not in allowed:
        raise UserError(
            f"口径应为 {'、'.join(f'{k}（{BASES[k].zh}）' for k in allowed)}，而不是 {basis}",
            f"basis must be one of {', '.join(f'{k} ({BASES[k].en})' for k in allowed)}, not {basis}",
        )
    return key


def help_text(allowed: tuple[str, ...] = tuple(BASES)) -> str:
    """``hukou 户籍人口 | resident 常住人口 | …`` for a command's help."""
    return "口径 basis: " + " | ".join(f"{k} {BASES[k].zh}" for k in allowed) + f"；默认 default {DEFAULT}"
