"""Settings from the environment (RENKOU_*), overridable by CLI flags. Provincial rules live here
until the rules catalogue exists: keep them as data, never as code branches."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

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
    # the server's own folder for its work files (uploaded imports waiting for a check or a commit);
    # None: next to a SQLite file, else one folder per database under the user's data directory (data_dir)
    data_dir: str | None = None

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
                   data_dir=e.get("RENKOU_DATA_DIR") or None)


def data_dir(settings: Settings, database_url: str) -> Path:
    """The folder of this instance's work files: ``RENKOU_DATA_DIR``, else ``<file>.data`` next to a
    SQLite database file, else ``renkou/data-<digest of the database URL>`` in the user's data
    directory — never a folder shared by every program on the machine, like /tmp. Not created here."""
    if settings.data_dir:
        return Path(settings.data_dir)
    u = make_url(database_url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        return Path(u.database).with_name(Path(u.database).name + ".data")
    digest = hashlib.sha256(u.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "renkou" / f"data-{digest}"


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
