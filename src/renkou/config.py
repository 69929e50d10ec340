"""Settings from the environment (RENKOU_*), overridable by CLI flags. Provincial rules live here
until the rules catalogue exists: keep them as data, never as code branches."""

from __future__ import annotations

import os
from dataclasses import dataclass

from renkou.core.birthorder import RULES as BIRTH_ORDER_RULES
from renkou.errors import UserError


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///renkou.db"
    birth_order_rule: str = "mother"
    # resident basis (常住): someone away from the hukou place counts where they live after this long
    resident_threshold_months: int = 3
    # the statistical year (period form 2023SY) starts in this month; 10 = the family-planning year
    stat_year_start: int = 10
    # a folder of county benefit rules (programmes.json, amounts.json) over the shipped ones (renkou.benefits)
    benefit_rules: str | None = None
    # public posting (公示) of benefit applications: how many days before it may end
    benefit_posting_days: int = 7

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        rule = e.get("RENKOU_BIRTH_ORDER_RULE", cls.birth_order_rule)
        if rule not in BIRTH_ORDER_RULES:
            raise UserError(f"RENKOU_BIRTH_ORDER_RULE 应为 {' 或 '.join(BIRTH_ORDER_RULES)}，而不是 {rule!r}",
                            f"RENKOU_BIRTH_ORDER_RULE must be one of {', '.join(BIRTH_ORDER_RULES)}, not {rule!r}")
        return cls(database_url=e.get("RENKOU_DATABASE_URL", cls.database_url), birth_order_rule=rule,
                   resident_threshold_months=_int(e, "RENKOU_RESIDENT_THRESHOLD_MONTHS", cls.resident_threshold_months, 0, 24),
                   stat_year_start=_int(e, "RENKOU_STAT_YEAR_START", cls.stat_year_start, 1, 12),
                   benefit_rules=e.get("RENKOU_BENEFIT_RULES") or None,
                   benefit_posting_days=_int(e, "RENKOU_BENEFIT_POSTING_DAYS", cls.benefit_posting_days, 1, 60))


def _int(env, name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        v = int(raw)
    except ValueError:
        v = lo - 1
    if not lo <= v <= hi:
        raise UserError(f"{name} 应为 {lo} 到 {hi} 之间的整数，而不是 {raw!r}", f"{name} must be a whole number from {lo} to {hi}, not {raw!r}")
    return v
