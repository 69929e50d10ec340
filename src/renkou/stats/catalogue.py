"""The indicator catalogue: indicators are data (``data/indicators.json``), not code.

Each indicator has a code, Chinese and English names, a group (人口规模, 出生与生育… — the catalogue's
``groups``, for choosing indicators on a page), a numerator and an optional denominator
*expression*, a factor (1, 100 for % and per-100 ratios, 1000 for ‰), decimals, disaggregations
and a description. A county extends the catalogue with a JSON file of the same shape
(``RENKOU_INDICATORS``): its entries are added, or replace the shipped ones with the same code.

Expressions are a small, safe subset of Python arithmetic over the measures of
renkou.stats.engine, e.g. ``births(sex='M') / births(sex='F')``, ``pop_avg(sex='F', age_min=15,
age_max=49)``, or a sum over single years ``sum(births(mother_age=a) / pop_avg(sex='F', age=a) for a
in range(15, 50))``. Names that are not measures are *variables*, bound by a disaggregation (e.g.
``births(sex=sex)``, where the dimension ``sex`` binds ``sex`` to 'M' or 'F'); an unbound variable
is None, which means "no filter". Rates are always computed from the (summed) counts of the unit.
"""

from __future__ import annotations

import ast
import itertools
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from renkou.errors import UserError
from renkou.stats.engine import MEASURE_AXES, check_filters

_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply}


@dataclass(frozen=True)
class Choice:
    key: str
    zh: str
    en: str
    bind: dict


@dataclass(frozen=True)
class Group:
    key: str
    zh: str
    en: str


OTHER = Group("", "其他指标", "Other indicators")  # the group of an indicator that names none


@dataclass(frozen=True, eq=False)
class Indicator:
    code: str
    zh: str
    en: str
    numerator: str
    denominator: str | None = None
    factor: float = 1
    unit: str = ""
    decimals: int = 0
    disaggregations: tuple[str, ...] = ()
    ci: str | None = None  # "ratio": binomial CI of numerator / denominator (sex ratio at birth)
    normal: tuple[float, float] | None = None  # flag only when the CI lies wholly outside this range
    stock: bool = False  # a figure on a day (the period end) rather than over the period
    defaults: dict = field(default_factory=dict)  # variable values of the undisaggregated figure
    description: str = ""
    description_en: str = ""
    group: str = ""  # a key of Catalogue.groups ("" : 其他指标)


@dataclass
class Catalogue:
    indicators: dict[str, Indicator]
    dimensions: dict[str, list[Choice]]
    groups: dict[str, Group] = field(default_factory=dict)
    _parsed: dict = field(default_factory=dict)

    def grouped(self) -> list[tuple[Group, list[Indicator]]]:
        """The indicators by group, in the catalogue's order (groups as listed, then 其他指标)."""
        out = [(g, [i for i in self.indicators.values() if i.group == k]) for k, g in self.groups.items()]
        out.append((OTHER, [i for i in self.indicators.values() if i.group not in self.groups]))
        return [(g, inds) for g, inds in out if inds]

    def get(self, code: str) -> Indicator:
        if code not in self.indicators:
            raise UserError(f"指标 {code} 不在指标目录中", f"indicator {code} is not in the catalogue")
        return self.indicators[code]

    def combos(self, ind: Indicator) -> list[tuple[tuple[tuple[str, str], ...], dict]]:
        """Every disaggregation of an indicator: the total, each dimension alone and their crossings,
        as ((dimension, key)...), bindings)."""
        out = [((), dict(ind.defaults))]
        dims = list(ind.disaggregations)
        for r in range(1, len(dims) + 1):
            for subset in itertools.combinations(dims, r):
                for picks in itertools.product(*(self.dimensions[d] for d in subset)):
                    bind: dict = dict(ind.defaults)
                    for c in picks:
                        bind.update(c.bind)
                    out.append((tuple((d, c.key) for d, c in zip(subset, picks, strict=True)), bind))
        return out

    def expr(self, text: str) -> ast.Expression:
        if text not in self._parsed:
            self._parsed[text] = ast.parse(text, mode="eval")
        return self._parsed[text]


def evaluate(expr: ast.Expression, counter, bind: dict) -> np.ndarray:
    """Value per unit of a parsed expression, with variables bound by ``bind``."""

    def ev(node, local: dict):
        if isinstance(node, ast.Expression):
            return ev(node.body, local)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in local:
                return local[node.id]
            return bind.get(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand, local)
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left, local), ev(node.right, local)
            if isinstance(node.op, ast.Div):
                return safe_div(a, b)
            return _BINOPS[type(node.op)](a, b)
        if isinstance(node, ast.Call) and node.func.id == "sum":
            gen = node.args[0]
            comp = gen.generators[0]
            lo, hi = (ev(a, local) for a in comp.iter.args)
            total = 0.0
            for v in range(int(lo), int(hi)):
                total = np.add(total, np.nan_to_num(ev(gen.elt, {**local, comp.target.id: v})))
            return total
        if isinstance(node, ast.Call):
            kw = {k.arg: ev(k.value, local) for k in node.keywords}
            return counter.value(node.func.id, **kw)
        raise ValueError(ast.dump(node))

    return np.asarray(ev(expr, {}), dtype=np.float64)


def safe_div(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    out = np.full(np.broadcast(a, b).shape, np.nan)
    np.divide(a, b, out=out, where=np.broadcast_to(b != 0, out.shape))
    return out


def validate(text: str, variables: set[str]) -> list[str]:
    """Problems with an expression: anything but arithmetic, measures with known filters, variables,
    and ``sum(... for x in range(a, b))``."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        return [f"syntax: {e.msg}"]
    problems: list[str] = []
    loop_vars: set[str] = set()

    def check(node) -> None:
        if isinstance(node, ast.Expression):
            return check(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
            return None
        if isinstance(node, ast.Name):
            if node.id in MEASURE_AXES:
                problems.append(f"measure {node.id} must be called, e.g. {node.id}()")
            elif node.id not in variables and node.id not in loop_vars:
                problems.append(f"unknown name {node.id}")
            return None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return check(node.operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            check(node.left)
            return check(node.right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "sum":
                ok = (
                    len(node.args) == 1
                    and not node.keywords
                    and isinstance(node.args[0], ast.GeneratorExp)
                    and len(node.args[0].generators) == 1
                )
                comp = node.args[0].generators[0] if ok else None
                if (
                    not ok
                    or comp.ifs
                    or not isinstance(comp.target, ast.Name)
                    or not (isinstance(comp.iter, ast.Call) and getattr(comp.iter.func, "id", "") == "range" and len(comp.iter.args) == 2)
                ):
                    problems.append("sum() takes one generator: sum(expr for x in range(a, b))")
                    return None
                loop_vars.add(comp.target.id)
                for a in comp.iter.args:
                    check(a)
                return check(node.args[0].elt)
            if node.func.id not in MEASURE_AXES:
                problems.append(f"unknown measure {node.func.id}")
                return None
            if node.args:
                problems.append(f"{node.func.id}() takes keyword filters only")
            bad = check_filters(node.func.id, {k.arg for k in node.keywords})
            if bad:
                problems.append(f"{node.func.id}() has no filter {', '.join(bad)}")
            for k in node.keywords:
                check(k.value)
            return None
        problems.append(f"not allowed: {type(node).__name__}")
        return None

    check(tree)
    return problems


def _load_json(data: dict, base: Catalogue | None = None) -> Catalogue:
    dims = dict(base.dimensions) if base else {}
    for name, choices in data.get("dimensions", {}).items():
        dims[name] = [Choice(str(c["key"]), c["zh"], c["en"], dict(c["bind"])) for c in choices]
    groups = dict(base.groups) if base else {}
    for g in data.get("groups", []):
        groups[str(g["key"])] = Group(str(g["key"]), g["zh"], g["en"])
    inds = dict(base.indicators) if base else {}
    for d in data.get("indicators", []):
        ind = Indicator(
            code=d["code"],
            zh=d["zh"],
            en=d["en"],
            numerator=d["numerator"],
            denominator=d.get("denominator"),
            factor=d.get("factor", 1),
            unit=d.get("unit", ""),
            decimals=d.get("decimals", 0),
            disaggregations=tuple(d.get("disaggregations", ())),
            ci=d.get("ci"),
            normal=tuple(d["normal"]) if d.get("normal") else None,
            stock=d.get("stock", False),
            defaults=dict(d.get("defaults", {})),
            description=d.get("description", ""),
            description_en=d.get("description_en", ""),
            group=d.get("group", ""),
        )
        inds[ind.code] = ind
    cat = Catalogue(inds, dims, groups)
    problems = check_catalogue(cat)
    if problems:
        raise UserError("指标目录有误：" + "；".join(problems), "the indicator catalogue is invalid: " + "; ".join(problems))
    return cat


def check_catalogue(cat: Catalogue) -> list[str]:
    out = []
    for ind in cat.indicators.values():
        if ind.group and ind.group not in cat.groups:
            out.append(f"{ind.code}: unknown group {ind.group}")
        unknown = [d for d in ind.disaggregations if d not in cat.dimensions]
        if unknown:
            out.append(f"{ind.code}: unknown dimension {', '.join(unknown)}")
            continue
        variables = {k for d in ind.disaggregations for c in cat.dimensions[d] for k in c.bind} | set(ind.defaults)
        for part in (ind.numerator, ind.denominator):
            if part:
                out += [f"{ind.code}: {p}" for p in validate(part, variables)]
        if ind.ci and not ind.denominator:
            out.append(f"{ind.code}: a confidence interval needs a denominator")
    return out


def load(extra: str | Path | None = None) -> Catalogue:
    """The shipped catalogue, extended by the file ``extra`` (Settings.indicators, RENKOU_INDICATORS)."""
    shipped = json.loads(resources.files("renkou.stats").joinpath("data/indicators.json").read_text(encoding="utf-8"))
    cat = _load_json(shipped)
    if extra:
        try:
            data = json.loads(Path(extra).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise UserError(f"无法读取指标目录文件 {extra}：{e}", f"cannot read the indicator file {extra}: {e}") from e
        cat = _load_json(data, cat)
    return cat
