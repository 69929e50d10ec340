"""Settings from the environment (RENKOU_*), overridable by CLI flags. Provincial rules live here
until the rules catalogue exists: keep them as data, never as code branches."""

from __future__ import annotations

import ipaddress
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
    # reverse proxies (addresses or CIDR networks) whose X-Forwarded-For names the client; none by default
    trusted_proxies: tuple[str, ...] = ()
    # the largest request body the web application reads, in MB (uploads); larger is refused before it is read
    max_upload_mb: int = 50
    # the most data rows one import file may have
    import_max_rows: int = 1_000_000

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
                   benefit_posting_days=_int(e, "RENKOU_BENEFIT_POSTING_DAYS", cls.benefit_posting_days, 1, 60),
                   trusted_proxies=_networks(e, "RENKOU_TRUSTED_PROXIES"),
                   max_upload_mb=_int(e, "RENKOU_MAX_UPLOAD_MB", cls.max_upload_mb, 1, 4096),
                   import_max_rows=_int(e, "RENKOU_IMPORT_MAX_ROWS", cls.import_max_rows, 1, 100_000_000))


def _networks(env, name: str) -> tuple[str, ...]:
    """Comma-separated addresses or CIDR networks, each checked."""
    out = []
    for raw in (env.get(name) or "").split(","):
        if raw.strip():
            try:
                out.append(str(ipaddress.ip_network(raw.strip(), strict=False)))
            except ValueError:
                raise UserError(f"{name} 应为逗号分隔的 IP 地址或网段（如 10.0.0.5,10.1.0.0/24），而不是 {raw.strip()!r}",
                                f"{name} must be comma-separated IP addresses or networks (such as 10.0.0.5,10.1.0.0/24), not {raw.strip()!r}") from None
    return tuple(out)


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
