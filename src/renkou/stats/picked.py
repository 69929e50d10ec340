"""Indicators picked from the catalogue as one table: a row per unit (one unit, or every unit of a level
below it, then the total), a column per indicator — what the indicators page shows and downloads.

The figures are the statistics service's own (``Stats.indicators``, undisaggregated), so a cell equals
the API's value for the same unit, period and basis; a sex ratio at birth of too few births reads
样本过少 (``IndicatorValue.small``). The definitions of the chosen indicators become the table's notes.
"""

from __future__ import annotations

import datetime as dt

from renkou.stats.catalogue import Indicator
from renkou.stats.rates import SMALL_SAMPLE
from renkou.stats.service import IndicatorValue, Query, Stats
from renkou.stats.table import Column, Row, Table

TITLE = ("人口指标", "Population indicators")
MOST = 40  # indicators in one table (the catalogue has 33)


def column(ind: Indicator) -> Column:
    """An indicator as a table column: its Chinese and English names, its decimals and its unit (‰, %)."""
    kind = "count" if ind.decimals == 0 and not ind.denominator else "rate"
    return Column(ind.code, (ind.zh,), (ind.en,), kind=kind, decimals=ind.decimals, unit=ind.unit if ind.unit in ("‰", "%") else "")


def cell(v: IndicatorValue, ind: Indicator) -> int | float | str | None:
    """A value as the table holds it: 样本过少 for a ratio of too few births, a whole number for a count."""
    if v.small:
        return SMALL_SAMPLE["zh"]
    if v.value is None:
        return None
    return int(v.value) if ind.decimals == 0 and float(v.value).is_integer() else v.value


def table(
    stats: Stats,
    codes: list[str],
    org: str,
    q: Query,
    *,
    level: str | None = None,
    scope=None,
    prepared_by: str = "",
    prepared_on: dt.date | None = None,
) -> Table:
    """The indicators ``codes`` for ``org`` alone, or for every unit of ``level`` below it then ``org`` as
    the total row; every unit within ``scope`` (NotFound otherwise)."""
    inds = [stats.catalogue.get(c) for c in dict.fromkeys(codes)][:MOST]
    wanted = [i.code for i in inds]
    total = stats.indicators(org, q, codes=wanted, scope=scope, disaggregate=False)
    rows_of: dict[str, dict[str, IndicatorValue]] = {}
    if level:
        for v in stats.indicators(org, q, level=level, codes=wanted, scope=scope, disaggregate=False):
            rows_of.setdefault(v.unit_code, {})[v.code] = v
    by_code = {v.code: v for v in total}
    root = total[0]
    rows = [Row((vals[wanted[0]].unit_name, code, *(cell(vals[i.code], i) for i in inds)), code=code) for code, vals in rows_of.items()]
    rows.append(
        Row(
            ("合计" if level else root.unit_name, root.unit_code, *(cell(by_code[i.code], i) for i in inds)),
            code=root.unit_code,
            is_total=bool(level),
        )
    )
    cols = (
        Column("unit", ("单位",), ("Unit",), kind="text"),
        Column("code", ("单位代码",), ("Unit code",), kind="text"),
        *(column(i) for i in inds),
    )
    p = q.period
    return Table(
        key="indicators",
        title=TITLE[0],
        title_en=TITLE[1],
        unit_code=root.unit_code,
        unit_name=root.unit_name,
        period_label=p.label,
        period_label_en=p.label_en,
        prepared_by=prepared_by,
        prepared_on=prepared_on or dt.date.today(),
        columns=cols,
        rows=tuple(rows),
        notes=tuple(f"{i.zh}：{i.description}" for i in inds if i.description),
        notes_en=tuple(f"{i.en}: {i.description_en}" for i in inds if i.description_en),
        meta={
            "period": {"id": p.id, "start": p.start.isoformat(), "end": p.end.isoformat()},
            "basis": q.basis,
            "level": level or "",
            "indicators": wanted,
            "units_as_of": q.units_as_of.isoformat(),
        },
    )
