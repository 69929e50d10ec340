"""The family-support programmes as data (``data/programmes.json``), loaded and checked.

A programme is who benefits (each parent, or the child), how it is paid (a yearly or monthly amount,
pro-rated by month or paid for the whole year), the day of the year its annual determination is
made on, how adopted children count, and a list of *conditions*, each one test of the small
vocabulary ``TESTS`` below (implemented once, as Polars expressions, in renkou.benefits.eligibility.conditions).
A condition of the test ``attestation`` is a fact declared at application: the system records it and
never infers it.

A county adds or replaces programmes (by key) with ``programmes.json`` in the folder named by
``RENKOU_BENEFIT_RULES`` (renkou.config.Settings.benefit_rules).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from renkou.config import Settings
from renkou.errors import UserError

BENEFICIARIES = ("each_parent", "child")
UNITS = ("year", "month")
PRORATIONS = ("months", "whole_year")
ADOPTION_RULES = ("count", "ignore")
VARIANT_DIMENSIONS = {"child": ("died", "disabled"), "area": ("urban", "rural")}
VARIANT_TEXT = {
    "died": ("子女死亡", "child died"),
    "disabled": ("子女伤残", "child disabled"),
    "urban": ("城镇", "urban"),
    "rural": ("农村", "rural"),
}
WHO = ("self", "spouse")
CHILDREN_KEYS = ("ever", "ever_min", "ever_max", "living", "living_min", "living_max", "sons", "daughters", "died_min")

# test -> {parameter: kind}; every parameter is required. Kinds: date (YYYY-MM-DD), years / months / grade
# (whole numbers), who (self | spouse), patterns (a list of {fact: whole number} over CHILDREN_KEYS).
TESTS: dict[str, dict[str, str]] = {
    "is_parent": {},
    "alive": {},
    "born_on_or_after": {"date": "date"},
    "age_at_least": {"years": "years"},
    "wife_age_at_least": {"years": "years"},
    "hukou_in_county": {"who": "who"},
    "hukou_rural": {"who": "who"},
    "children": {"any_of": "patterns"},
    "only_child_died_or_disabled": {"max_grade": "grade"},
    "only_child_under": {"years": "years"},
    "months_after_birth": {"months": "months"},
    "on_or_after": {"date": "date"},
    "attestation": {},
}
PARENT_ONLY = {"is_parent", "wife_age_at_least", "children", "only_child_died_or_disabled", "only_child_under"}


@dataclass(frozen=True)
class Condition:
    key: str
    test: str
    zh: str
    en: str
    params: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Programme:
    key: str
    zh: str
    short_zh: str
    en: str
    beneficiary: str  # each_parent | child (the child's subsidy is paid to one applicant)
    unit: str  # year | month: the unit the amounts are in
    proration: str  # months: counted month by month | whole_year: the year's amount when eligible on the determination date
    determination_date: tuple[int, int]  # (month, day) of the annual determination
    adopted_children: str  # count | ignore
    variants: tuple[str, ...]
    conditions: tuple[Condition, ...]
    starts: dt.date | None = None  # the day the programme began: no application is dated before it

    @property
    def attestations(self) -> tuple[Condition, ...]:
        """The facts declared at application (recorded, never inferred)."""
        return tuple(c for c in self.conditions if c.test == "attestation")

    @property
    def paid_to(self) -> str:
        return "one_applicant" if self.beneficiary == "child" else "each_parent"

    def determination(self, year: int) -> dt.date:
        m, d = self.determination_date
        if (m, d) == (2, 29) and not _leap(year):
            d = 28
        return dt.date(year, m, d)

    def condition(self, key: str) -> Condition:
        for c in self.conditions:
            if c.key == key:
                return c
        raise UserError(f"福利项目 {self.key} 没有条件 {key}", f"benefit programme {self.key} has no condition {key}")


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def load(settings: Settings | None = None) -> dict[str, Programme]:
    """The shipped programmes, with a county's ``programmes.json`` (RENKOU_BENEFIT_RULES) over them."""
    settings = settings or Settings.from_env()
    shipped = json.loads(resources.files("renkou.benefits").joinpath("data/programmes.json").read_text(encoding="utf-8"))
    raw: dict[str, Any] = dict(_programmes_of(shipped, "programmes.json"))
    extra = rules_file(settings, "programmes.json")
    if extra is not None:
        raw.update(_programmes_of(read_json(extra), str(extra)))
    return {key: parse(key, value) for key, value in raw.items()}


def rules_file(settings: Settings, name: str) -> Path | None:
    """``name`` in the county's rules folder, if the folder is set and holds it."""
    if not settings.benefit_rules:
        return None
    folder = Path(settings.benefit_rules)
    if not folder.is_dir():
        raise UserError(
            f"RENKOU_BENEFIT_RULES 应为一个文件夹，而 {folder} 不存在或不是文件夹",
            f"RENKOU_BENEFIT_RULES must name a folder; {folder} does not exist or is not a folder",
        )
    f = folder / name
    return f if f.exists() else None


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"无法读取福利规则文件 {path}：{e}", f"cannot read the benefit rules file {path}: {e}") from e


def _programmes_of(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("programmes"), dict):
        raise UserError(
            f"福利规则文件 {where} 应为含 programmes 对象的 JSON", f"the benefit rules file {where} must be JSON with a 'programmes' object"
        )
    return data["programmes"]


def _bad(key: str, fld: str, value: Any, zh: str, en: str) -> UserError:
    return UserError(f"福利项目 {key} 的 {fld} 值 {value!r} 无效：{zh}", f"benefit programme {key}: invalid {fld} {value!r}: {en}")


def _choice(key: str, d: dict, fld: str, choices: tuple[str, ...], default: str | None = None) -> str:
    v = d.get(fld, default)
    if v not in choices:
        raise _bad(key, fld, v, f"应为 {' | '.join(choices)}", f"must be one of {', '.join(choices)}")
    return v


def _text(key: str, d: dict, fld: str, where: str = "") -> str:
    v = d.get(fld)
    if not isinstance(v, str) or not v.strip():
        raise _bad(key, f"{where}.{fld}" if where else fld, v, "必须填写（文字）", "is required (text)")
    return v


def parse(key: str, d: Any) -> Programme:
    """One programme from its JSON object; every mistake is a UserError naming the field and value."""
    if not isinstance(d, dict):
        raise _bad(key, "programme", d, "应为 JSON 对象", "must be a JSON object")
    beneficiary = _choice(key, d, "beneficiary", BENEFICIARIES)
    md = d.get("determination_date", "12-31")
    try:
        m, dd = (int(x) for x in str(md).split("-"))
        dt.date(2000, m, dd)
    except ValueError:
        raise _bad(key, "determination_date", md, "应为 MM-DD，如 12-31", "must be MM-DD, e.g. 12-31") from None
    variants = d.get("variants", [])
    if not isinstance(variants, list) or any(v not in VARIANT_DIMENSIONS for v in variants):
        raise _bad(key, "variants", variants, f"可选 {', '.join(VARIANT_DIMENSIONS)}", f"allowed: {', '.join(VARIANT_DIMENSIONS)}")
    conds = d.get("conditions")
    if not isinstance(conds, list) or not conds:
        raise _bad(key, "conditions", conds, "应为非空列表", "must be a non-empty list")
    parsed = tuple(_condition(key, beneficiary, c) for c in conds)
    keys = [c.key for c in parsed]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise _bad(key, "conditions.key", ", ".join(dup), "条件代码重复", "condition keys repeat")
    if beneficiary == "each_parent" and not any(c.test == "is_parent" for c in parsed):
        raise _bad(
            key, "conditions", "is_parent", "以父母为对象的项目须有 is_parent 条件", "a programme for parents needs an is_parent condition"
        )
    if "child" in variants and not any(c.test == "only_child_died_or_disabled" for c in parsed):
        raise _bad(
            key,
            "variants",
            "child",
            "按子女情况分档须有 only_child_died_or_disabled 条件",
            "the 'child' variant needs an only_child_died_or_disabled condition",
        )
    starts = None
    if d.get("starts") is not None:
        try:
            starts = dt.date.fromisoformat(str(d["starts"]))
        except ValueError:
            raise _bad(key, "starts", d["starts"], "应为 YYYY-MM-DD 日期", "must be a date YYYY-MM-DD") from None
    return Programme(
        key=key,
        zh=_text(key, d, "zh"),
        short_zh=d.get("short_zh") or d["zh"],
        en=_text(key, d, "en"),
        beneficiary=beneficiary,
        unit=_choice(key, d, "unit", UNITS),
        proration=_choice(key, d, "proration", PRORATIONS, "months"),
        determination_date=(m, dd),
        adopted_children=_choice(key, d, "adopted_children", ADOPTION_RULES, "count"),
        variants=tuple(variants),
        conditions=parsed,
        starts=starts,
    )


def _condition(key: str, beneficiary: str, c: Any) -> Condition:
    if not isinstance(c, dict):
        raise _bad(key, "conditions[]", c, "每个条件应为 JSON 对象", "each condition must be a JSON object")
    ck = c.get("key")
    if not isinstance(ck, str) or not ck.isidentifier():
        raise _bad(key, "conditions[].key", ck, "应为字母、数字、下划线组成的代码", "must be a code of letters, digits and underscores")
    test = c.get("test")
    if test not in TESTS:
        raise _bad(key, f"conditions.{ck}.test", test, f"可选：{', '.join(TESTS)}", f"one of: {', '.join(TESTS)}")
    if beneficiary == "child" and (test in PARENT_ONLY or c.get("who") == "spouse"):
        raise _bad(key, f"conditions.{ck}.test", test, "只适用于以父母为对象的项目", "applies only to programmes for parents")
    params = {}
    for name, kind in TESTS[test].items():
        params[name] = _param(key, ck, name, kind, c.get(name))
    unknown = sorted(set(c) - set(TESTS[test]) - {"key", "test", "zh", "en"})
    if unknown:
        raise _bad(key, f"conditions.{ck}.{unknown[0]}", c[unknown[0]], f"判定 {test} 没有这个字段", f"the test {test} has no such field")
    where = f"conditions.{ck}"
    return Condition(ck, test, _text(key, c, "zh", where), _text(key, c, "en", where), params)


def _param(key: str, ck: str, name: str, kind: str, v: Any) -> Any:
    fld = f"conditions.{ck}.{name}"
    if kind == "date":
        try:
            return dt.date.fromisoformat(v)
        except (TypeError, ValueError):
            raise _bad(key, fld, v, "应为 YYYY-MM-DD 日期", "must be a date YYYY-MM-DD") from None
    if kind in ("years", "months", "grade"):
        hi = {"years": 150, "months": 600, "grade": 4}[kind]
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= hi:
            raise _bad(key, fld, v, f"应为 1 到 {hi} 的整数", f"must be a whole number from 1 to {hi}")
        return v
    if kind == "who":
        if v not in WHO:
            raise _bad(key, fld, v, f"应为 {' | '.join(WHO)}", f"must be one of {', '.join(WHO)}")
        return v
    # patterns
    if not isinstance(v, list) or not v or not all(isinstance(p, dict) and p for p in v):
        raise _bad(key, fld, v, '应为非空的条件组合列表，如 [{"living": 1}]', 'must be a non-empty list of patterns, e.g. [{"living": 1}]')
    for p in v:
        for k, n in p.items():
            if k not in CHILDREN_KEYS:
                raise _bad(key, fld, k, f"可用：{', '.join(CHILDREN_KEYS)}", f"allowed: {', '.join(CHILDREN_KEYS)}")
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise _bad(key, f"{fld}.{k}", n, "应为非负整数", "must be a whole number, 0 or more")
    return tuple(tuple(sorted(p.items())) for p in v)
