"""What the pickers of templates/pickers.html need: a period's view (its kind, year and part, the text the
box shows, the common periods a browser offers without JavaScript) and the search keys of a unit's name
(full pinyin and initials, so 枫桥镇 is found by ``fengqiao`` or ``fqz``).

``register(env)`` puts ``period_view`` and ``unit_keys`` in the templates' globals (renkou.web.app); the
macros call them. A period box holds the Chinese label in Chinese (2026年第4季度) and the code in English
(2026Q4): either reads back through renkou.stats.periods.parse, so the handlers parse one ``period`` field
as before. Unit pickers list the units the page gives them (the account's area, renkou.web.reports.unit_options
or unit_choices here): the visible text is the name indented by level, never the code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from jinja2 import Environment, pass_context
from pypinyin import Style, lazy_pinyin

from renkou.errors import UserError
from renkou.registry.orgs import Hierarchy
from renkou.stats.engine import POPULATION_LEVELS
from renkou.stats.periods import Period, month_end, parse

__all__ = ["KINDS", "YEARS_BACK", "period_text", "period_view", "register", "unit_choices", "unit_keys", "year_of"]

KINDS = ("month", "quarter", "half", "year", "statyear", "ytd")  # in the order of the kind select
YEARS_BACK = 15  # the year select runs from this many years ago to next year (and always holds the value's year)
KIND_NAMES = {
    "month": ("月", "Month"),
    "quarter": ("季度", "Quarter"),
    "half": ("半年", "Half-year"),
    "year": ("年", "Year"),
    "statyear": ("统计年度", "Statistical year"),
    "ytd": ("年初至今（累计）", "Year to date"),
}


def period_text(p: Period, lang: str) -> str:
    """What a period box holds: the Chinese label in Chinese, the code in English (both parse back)."""
    return p.id if lang == "en" else p.label


def _parts(lang: str) -> dict[str, list[tuple[int, str, str]]]:
    """The sub-selects' options: (number, shown text, text template with ``{y}`` for the year)."""
    en = lang == "en"
    months = [
        (m, f"{m}月" if not en else dt.date(2000, m, 1).strftime("%B"), f"{{y}}-{m:02d}" if en else f"{{y}}年{m}月") for m in range(1, 13)
    ]
    return {
        "month": months,
        "quarter": [(q, f"Q{q}" if en else f"第{q}季度", f"{{y}}Q{q}" if en else f"{{y}}年第{q}季度") for q in range(1, 5)],
        "half": [
            (
                h,
                ("First half", "Second half")[h - 1] if en else f"{'上下'[h - 1]}半年",
                f"{{y}}S{h}" if en else f"{{y}}年{'上下'[h - 1]}半年",
            )
            for h in (1, 2)
        ],
        "ytd": [
            (
                m,
                (f"January to {dt.date(2000, m, 1):%B}" if m > 1 else "January") if en else (f"1月至{m}月" if m > 1 else "1月"),
                f"{{y}}-{m:02d}YTD" if en else (f"{{y}}年1月至{m}月累计" if m > 1 else "{y}年1月累计"),
            )
            for m in range(1, 13)
        ],
    }


def _whole_templates(lang: str, stat_year_start: int) -> dict[str, str]:
    """Templates of the kinds without a sub-select; ``{p}`` is the year before ``{y}`` (the code 2024SY
    starts in 2024, while the statistical year the select calls 2025 ends in 2025)."""
    if lang != "en":
        return {"year": "{y}年", "statyear": "{y}统计年度"}
    return {"year": "{y}", "statyear": "{p}SY" if stat_year_start > 1 else "{y}SY"}


def _dates(p: Period, lang: str) -> str:
    if lang == "en":
        return f"{p.start.isoformat()} to {p.end.isoformat()}"
    return f"{p.start.year}年{p.start.month}月{p.start.day}日至{p.end.year}年{p.end.month}月{p.end.day}日"


def _part_of(p: Period, stat_year_start: int) -> tuple[str, int, int]:
    """(kind, year as the year select names it, number of the part) of a period the selects can show."""
    if p.kind == "month":
        return "month", p.start.year, p.start.month
    if p.kind == "quarter":
        return "quarter", p.start.year, (p.start.month + 2) // 3
    if p.kind == "half":
        return "half", p.start.year, (p.start.month + 5) // 6
    if p.kind == "statyear":
        return "statyear", p.end.year, 0  # named by the year it ends in (2025统计年度), as parse reads it
    if p.kind == "ytd" and p.end == month_end(p.end.year, p.end.month):
        return "ytd", p.start.year, p.end.month
    return p.kind, p.start.year, 0


def _common(today: dt.date, kinds: Iterable[str], stat_year_start: int) -> list[Period]:
    """The periods a browser offers in the box's list without JavaScript: this year's and last year's."""
    out: list[Period] = []
    last = month_end(today.year, today.month)
    for y in (today.year, today.year - 1):
        for k in kinds:
            if k == "year":
                out.append(parse(str(y)))
            elif k == "half":
                out += [parse(f"{y}S{h}") for h in (1, 2)]
            elif k == "quarter":
                out += [parse(f"{y}Q{q}") for q in range(1, 5)]
            elif k == "month":
                out += [parse(f"{y}-{m:02d}") for m in range(12, 0, -1) if dt.date(y, m, 1) <= last]
            elif k == "statyear":
                out.append(parse(f"{y}统计年度", stat_year_start=stat_year_start))
            elif k == "ytd":
                out += [parse(f"{y}-{m:02d}YTD") for m in range(12, 0, -1) if dt.date(y, m, 1) <= last]
    return out


def period_view(value: Period | str | None, kinds: Iterable[str] | None, *, lang: str, today: dt.date, stat_year_start: int) -> dict:
    """Everything the period macro draws for ``value`` (a Period, a text the user typed, or nothing)."""
    kinds = tuple(k for k in (kinds or KINDS) if k in KIND_NAMES) or KINDS
    p: Period | None = value if isinstance(value, Period) else None
    raw = "" if value is None or isinstance(value, Period) else str(value).strip()
    if p is None and raw:
        try:
            p = parse(raw, today=today, stat_year_start=stat_year_start)
        except UserError:
            p = None
    kind, year, part = _part_of(p, stat_year_start) if p is not None else (kinds[0], today.year, 0)
    if kind not in kinds:
        kind, part = kinds[0], 0
    chosen = {"month": today.month, "ytd": today.month, "quarter": (today.month + 2) // 3, "half": (today.month + 5) // 6}
    if part:
        chosen[kind] = part  # the other sub-selects show this month, quarter, half
    parts = _parts(lang)
    en = lang == "en"
    return {
        "text": period_text(p, lang) if p is not None else raw,
        "label": (p.label_en if en else p.label) if p is not None else "",
        "dates": _dates(p, lang) if p is not None else "",
        "kind": kind,
        "year": year,
        "part": chosen,
        "names": {k: KIND_NAMES[k][en] for k in kinds},
        "kinds": [(k, KIND_NAMES[k][en], _whole_templates(lang, stat_year_start).get(k, "")) for k in kinds],
        "years": [(y, str(y) if en else f"{y}年") for y in sorted({*range(today.year - YEARS_BACK, today.year + 2), year}, reverse=True)],
        "parts": {k: parts[k] for k in kinds if k in parts},
        "common": [(period_text(c, lang), c.label_en if en else c.label) for c in _common(today, kinds, stat_year_start)],
    }


def year_of(text: str) -> str:
    """A year field as the handlers take it (four digits) from what a year picker submits or a person
    types: 2026, 2026年, 2026年度, ２０２６, 二〇二六年 → "2026"; anything else unchanged (the handler refuses it)."""
    raw = (text or "").strip()
    try:
        p = parse(raw)
    except UserError:
        return raw
    return f"{p.start.year:04d}" if p.kind == "year" else raw


@lru_cache(maxsize=20000)
def unit_keys(name: str) -> str:
    """Search keys of a unit's name: full pinyin and initials, space-separated ("fengqiaozhen fqz").
    The name is read as a phrase (pypinyin's phrase readings suit place names: 长安 chang'an)."""
    syllables = [s for s in lazy_pinyin(name, style=Style.NORMAL, errors=lambda chars: list(chars)) if s.strip()]
    return f"{''.join(syllables)} {''.join(s[0] for s in syllables)}".lower()


def unit_choices(session, root_code: str, day: dt.date, levels: Iterable[str] = POPULATION_LEVELS) -> list[dict]:
    """The unit ``root_code`` and the units below it as of ``day`` at ``levels``, in tree order, for
    ``unit_picker``: code, name, depth (from the root) and the path of names above it."""
    h = Hierarchy.as_of(session, day)
    if root_code not in h.by_code:
        return []
    wanted = set(levels)
    out, names = [], []
    for d, u in h.walk(root_code):
        names[d:] = [u.name]
        if u.level in wanted:
            out.append({"code": u.code, "name": u.name, "depth": d, "indent": "\u3000" * d, "path": " › ".join(names)})
    return out


def register(env: Environment) -> None:
    """Put the pickers' helpers in the templates' globals (called once by renkou.web.app)."""

    @pass_context
    def view(ctx: Any, value: Period | str | None, kinds: Iterable[str] | None = None) -> dict:
        request = ctx.get("request")
        settings = getattr(getattr(getattr(request, "app", None), "state", None), "settings", None)
        start = getattr(settings, "stat_year_start", 10)
        return period_view(value, kinds, lang=ctx.get("lang", "zh"), today=dt.date.today(), stat_year_start=start)

    env.globals["period_view"] = view
    env.globals["unit_keys"] = unit_keys
