"""Amount standards as dated tables, with provincial and county layers on top. Pure: values in, values out.

``data/amounts.json`` holds the national floors of each programme (rows from a date, one amount or
one per variant, e.g. ``died/urban``) and *layers*: a region (2-digit province, 4-digit city or
6-digit county code prefix) that adds to, multiplies or sets the amount of a programme, optionally
only for some variants and between dates. Layers apply broadest region first, then by start date.
A county's ``amounts.json`` in RENKOU_BENEFIT_RULES replaces a programme's national table, and adds
layers or replaces them by id (its list ``"inactive"`` names shipped layers to switch off).

Money is ``Decimal`` throughout; an entitlement is counted by month and each line is rounded half up
to the fen once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from importlib import resources
from typing import Any

from renkou.benefits.rules.programmes import VARIANT_TEXT
from renkou.config import Settings
from renkou.errors import UserError

OPS = ("add", "multiply", "set")
FEN = Decimal("0.01")


@dataclass(frozen=True)
class Row:
    start: dt.date
    amounts: tuple[tuple[str, Decimal], ...]  # (variant key, amount); key "" fits every variant


@dataclass(frozen=True)
class Layer:
    id: str
    region: str
    programme: str
    op: str
    value: Decimal
    zh: str
    en: str
    start: dt.date | None = None  # None: the start date is not pinned
    end: dt.date | None = None  # first day it no longer applies
    variants: tuple[str, ...] = ()  # keys it applies to; () = all

    def applies(self, county: str, on: dt.date, values: set[str]) -> bool:
        return (
            county.startswith(self.region)
            and (self.start is None or self.start <= on)
            and (self.end is None or on < self.end)
            and (not self.variants or any(_fits(k, values) for k in self.variants))
        )


@dataclass(frozen=True)
class Rate:
    """The amount on a date, in the programme's unit, and how it was reached."""

    amount: Decimal | None
    steps_zh: tuple[str, ...] = ()
    steps_en: tuple[str, ...] = ()

    def explain(self, lang: str = "zh") -> str:
        return " → ".join(self.steps_zh if lang == "zh" else self.steps_en)


@dataclass
class Amounts:
    national: dict[str, list[Row]]
    layers: list[Layer] = field(default_factory=list)

    def rate(self, programme: str, variant: Mapping[str, str], on: dt.date, county: str) -> Rate:
        values = {v for v in variant.values() if v}
        amount: Decimal | None = None
        zh: list[str] = []
        en: list[str] = []
        row = next((r for r in reversed(self.national.get(programme, [])) if r.start <= on), None)
        if row is not None:
            key, amount = _pick(row.amounts, values)
            if amount is not None:
                zh.append(f"国家标准{'（' + variant_text(key, 0) + '）' if key else ''} {yuan(amount)}（{row.start} 起）")
                en.append(f"national floor{' (' + variant_text(key, 1) + ')' if key else ''} {yuan(amount)} (from {row.start})")
        for layer in self.layers:
            if layer.programme != programme or not layer.applies(county, on, values):
                continue
            if layer.op == "set":
                amount = layer.value
                zh.append(f"{layer.zh}：定为 {yuan(layer.value)}")
                en.append(f"{layer.en}: set to {yuan(layer.value)}")
            elif amount is not None:
                amount = amount + layer.value if layer.op == "add" else amount * layer.value
                sign = "+" if layer.op == "add" else "×"
                zh.append(f"{layer.zh}：{sign}{yuan(layer.value)} = {yuan(amount)}")
                en.append(f"{layer.en}: {sign}{yuan(layer.value)} = {yuan(amount)}")
        return Rate(amount, tuple(zh), tuple(en))


def variant_text(key: str, lang: int = 0) -> str:
    """``died/urban`` as 子女死亡/城镇 (lang 0) or child died/urban (lang 1)."""
    return "/".join(VARIANT_TEXT.get(p, (p, p))[lang] for p in key.split("/") if p)


def _fits(key: str, values: set[str]) -> bool:
    return all(p in values for p in key.split("/") if p)


def _pick(amounts: tuple[tuple[str, Decimal], ...], values: set[str]) -> tuple[str, Decimal | None]:
    """The amount of the most specific key that fits the variant."""
    best: tuple[int, str, Decimal | None] = (-1, "", None)
    for key, amount in amounts:
        parts = [p for p in key.split("/") if p]
        if _fits(key, values) and len(parts) > best[0]:
            best = (len(parts), key, amount)
    return best[1], best[2]


def yuan(d: Decimal) -> str:
    """An amount as printed: whole yuan without decimals, otherwise two places."""
    return f"{d:.0f}" if d == d.to_integral_value() else f"{d.quantize(FEN, ROUND_HALF_UP)}"


# --- entitlement ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """One calendar month of a year: whether the beneficiary is entitled for it, and the variant."""

    first: dt.date
    eligible: bool
    variant: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Line:
    first: dt.date
    last: dt.date
    months: int
    rate: Rate
    amount: Decimal
    variant: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Entitlement:
    programme: str
    person_id: int
    year: int
    amount: Decimal
    months: int
    basis: str
    basis_en: str
    variant: dict
    lines: tuple[Line, ...] = ()
    unit: str = "year"

    def to_json(self) -> dict:
        return {
            "programme": self.programme,
            "person_id": self.person_id,
            "year": self.year,
            "amount": str(self.amount),
            "months": self.months,
            "basis": self.basis,
            "basis_en": self.basis_en,
            "variant": self.variant,
            "unit": self.unit,
        }


def entitlement(table: Amounts, programme: str, unit: str, county: str, year: int, months: list[Month], person_id: int) -> Entitlement:
    """The amount for one beneficiary and year: each entitled month at the rate of its first day
    (a yearly amount is twelfths of the year), runs of months at one rate and variant summed into
    lines, each rounded half up to the fen."""
    lines: list[Line] = []
    run: list[Month] = []

    def close() -> None:
        if not run:
            return
        rate = table.rate(programme, dict(run[0].variant), run[0].first, county)
        if rate.amount is None:
            v = "/".join(x for _, x in run[0].variant) or "-"
            raise UserError(
                f"福利项目 {programme} 在 {run[0].first}（{v}）没有适用于 {county} 的金额标准",
                f"benefit programme {programme} has no amount standard for {county} on {run[0].first} ({v})",
            )
        exact = Fraction(rate.amount) * len(run) / (12 if unit == "year" else 1)
        amount = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(FEN, ROUND_HALF_UP)
        lines.append(Line(run[0].first, run[-1].first, len(run), rate, amount, run[0].variant))
        run.clear()

    for m in months:
        if run and (
            not m.eligible
            or m.variant != run[0].variant
            or table.rate(programme, dict(m.variant), m.first, county) != table.rate(programme, dict(run[0].variant), run[0].first, county)
        ):
            close()
        if m.eligible:
            run.append(m)
    close()
    total = sum((ln.amount for ln in lines), Decimal("0.00")).quantize(FEN)
    n = sum(ln.months for ln in lines)
    zh = [_line(ln, unit, "zh") for ln in lines] or [f"{year}年：0 个月 = 0"]
    en = [_line(ln, unit, "en") for ln in lines] or [f"{year}: 0 months = 0"]
    last = dict(lines[-1].variant) if lines else {}
    return Entitlement(programme, person_id, year, total, n, "；".join(zh), "; ".join(en), last, tuple(lines), unit)


def _line(ln: Line, unit: str, lang: str) -> str:
    zh = lang == "zh"
    span = f"{ln.first:%Y-%m}" if ln.first == ln.last else f"{ln.first:%Y-%m}–{ln.last:%Y-%m}"
    if ln.months == 12:
        span = f"{ln.first.year}年" if zh else f"{ln.first.year}"
    per_month = ln.rate.amount / 12 if unit == "year" else ln.rate.amount
    if per_month == per_month.quantize(FEN):
        arith = f"{ln.months} {'个月' if zh else 'months'} × {yuan(per_month)} = {yuan(ln.amount)}"
    else:
        arith = f"{ln.months}/12 × {yuan(ln.rate.amount)} = {yuan(ln.amount)}"
    extra = ("；" if zh else "; ").join(
        x for x in (variant_text("/".join(v for _, v in ln.variant), 0 if zh else 1), ln.rate.explain(lang)) if x
    )
    return f"{span}{'：' if zh else ': '}{arith}" + ((f"（{extra}）" if zh else f" ({extra})") if extra else "")


# --- loading -------------------------------------------------------------------------------------


def load(settings: Settings | None = None) -> Amounts:
    """The shipped tables and layers, with a county's ``amounts.json`` (RENKOU_BENEFIT_RULES) over them."""
    from renkou.benefits.rules.programmes import read_json, rules_file

    settings = settings or Settings.from_env()
    shipped = json.loads(resources.files("renkou.benefits").joinpath("data/amounts.json").read_text(encoding="utf-8"))
    table = parse(shipped, "amounts.json")
    extra = rules_file(settings, "amounts.json")
    if extra is not None:
        data = read_json(extra)
        more = parse(data, str(extra))
        off = data.get("inactive") or []
        if not isinstance(off, list) or not all(isinstance(i, str) for i in off):
            raise _err(str(extra), "inactive", off, "应为层 id 的列表", "must be a list of layer ids")
        table.national.update(more.national)
        ids = {ly.id: ly for ly in more.layers}
        table.layers = [ids.pop(ly.id, ly) for ly in table.layers if ly.id not in off] + list(ids.values())
    table.layers.sort(key=lambda ly: (len(ly.region), ly.start or dt.date.min))
    return table


def _err(where: str, fld: str, value: Any, zh: str, en: str) -> UserError:
    return UserError(f"金额标准 {where} 的 {fld} 值 {value!r} 无效：{zh}", f"amount standards {where}: invalid {fld} {value!r}: {en}")


def _money(where: str, fld: str, v: Any) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise _err(
            where,
            fld,
            v,
            '金额应写成字符串或整数（如 "590"），不用小数浮点',
            'an amount is a string or a whole number (e.g. "590"), never a float',
        )
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        raise _err(where, fld, v, "不是数字", "not a number") from None
    if not d.is_finite() or d < 0:
        raise _err(where, fld, v, "应为非负数", "must be 0 or more")
    return d


def _date(where: str, fld: str, v: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(v)
    except (TypeError, ValueError):
        raise _err(where, fld, v, "应为 YYYY-MM-DD 日期", "must be a date YYYY-MM-DD") from None


def parse(data: Any, where: str) -> Amounts:
    if not isinstance(data, dict):
        raise _err(where, "file", type(data).__name__, "应为 JSON 对象", "must be a JSON object")
    national: dict[str, list[Row]] = {}
    for prog, rows in (data.get("national") or {}).items():
        if not isinstance(rows, list):
            raise _err(where, f"national.{prog}", rows, "应为列表", "must be a list")
        out = []
        for i, r in enumerate(rows):
            f = f"national.{prog}[{i}]"
            if not isinstance(r, dict) or ("amount" in r) == ("amounts" in r):
                raise _err(
                    where,
                    f,
                    r,
                    "每行须有 from 和 amount（或按类别的 amounts）之一",
                    "each row needs 'from' and either 'amount' or 'amounts'",
                )
            amounts = {"": r["amount"]} if "amount" in r else r["amounts"]
            if not isinstance(amounts, dict) or not amounts:
                raise _err(where, f"{f}.amounts", amounts, "应为非空对象", "must be a non-empty object")
            out.append(
                Row(
                    _date(where, f"{f}.from", r.get("from")),
                    tuple((k, _money(where, f"{f}.{k or 'amount'}", v)) for k, v in amounts.items()),
                )
            )
        starts = [r.start for r in out]
        if starts != sorted(set(starts)):
            raise _err(
                where, f"national.{prog}", [str(s) for s in starts], "各行的 from 日期应递增且不重复", "the rows' dates must increase"
            )
        national[prog] = out
    layers = []
    for i, ly in enumerate(data.get("layers") or []):
        f = f"layers[{i}]"
        if not isinstance(ly, dict):
            raise _err(where, f, ly, "应为 JSON 对象", "must be a JSON object")
        region = str(ly.get("region", ""))
        if not (region.isdigit() and len(region) in (2, 4, 6)):
            raise _err(
                where,
                f"{f}.region",
                ly.get("region"),
                "应为 2 位省、4 位市或 6 位县代码",
                "must be a 2-digit province, 4-digit city or 6-digit county code",
            )
        if ly.get("op") not in OPS:
            raise _err(where, f"{f}.op", ly.get("op"), f"应为 {' | '.join(OPS)}", f"must be one of {', '.join(OPS)}")
        for t in ("id", "programme", "zh", "en"):
            if not isinstance(ly.get(t), str) or not ly[t].strip():
                raise _err(where, f"{f}.{t}", ly.get(t), "必须填写（文字）", "is required (text)")
        variants = ly.get("variants", [])
        if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
            raise _err(where, f"{f}.variants", variants, '应为类别列表，如 ["died"]', 'must be a list of variant keys, e.g. ["died"]')
        layers.append(
            Layer(
                ly["id"],
                region,
                ly["programme"],
                ly["op"],
                _money(where, f"{f}.value", ly.get("value")),
                ly["zh"],
                ly["en"],
                _date(where, f"{f}.from", ly["from"]) if ly.get("from") else None,
                _date(where, f"{f}.to", ly["to"]) if ly.get("to") else None,
                tuple(variants),
            )
        )
    ids = [ly.id for ly in layers]
    if len(ids) != len(set(ids)):
        raise _err(where, "layers.id", sorted({i for i in ids if ids.count(i) > 1}), "层的 id 重复", "layer ids repeat")
    return Amounts(national, layers)
