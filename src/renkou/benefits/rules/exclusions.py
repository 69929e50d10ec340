"""The pairs of programmes one person may not receive together, as data (data/exclusions.json, or
exclusions.json in the county's RENKOU_BENEFIT_RULES folder). Read by the checks before a payment
(renkou.benefits.payments.checks); nothing here looks at a person."""

from __future__ import annotations

import json
from importlib import resources

from renkou.benefits.rules.programmes import read_json, rules_file
from renkou.config import Settings
from renkou.errors import UserError


def pairs(settings: Settings | None = None) -> set[frozenset[str]]:
    """The pairs of programmes one person may not receive together."""
    settings = settings or Settings.from_env()
    county = rules_file(settings, "exclusions.json")
    data = (
        read_json(county)
        if county is not None
        else json.loads(resources.files("renkou.benefits").joinpath("data/exclusions.json").read_text(encoding="utf-8"))
    )
    pairs = data.get("pairs") if isinstance(data, dict) else None
    if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs):
        raise UserError(
            '互斥项目文件 exclusions.json 应为 {"pairs": [[项目, 项目], …]}',
            'exclusions.json must be {"pairs": [[programme, programme], …]}',
        )
    return {frozenset(p) for p in pairs}


__all__ = ["pairs"]
