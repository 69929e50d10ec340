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

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        rule = e.get("RENKOU_BIRTH_ORDER_RULE", cls.birth_order_rule)
        if rule not in BIRTH_ORDER_RULES:
            raise UserError(f"RENKOU_BIRTH_ORDER_RULE 应为 {' 或 '.join(BIRTH_ORDER_RULES)}，而不是 {rule!r}",
                            f"RENKOU_BIRTH_ORDER_RULE must be one of {', '.join(BIRTH_ORDER_RULES)}, not {rule!r}")
        return cls(database_url=e.get("RENKOU_DATABASE_URL", cls.database_url), birth_order_rule=rule)
