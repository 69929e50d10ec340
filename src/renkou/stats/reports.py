"""Standard reports: templates kept as data (``data/reports/*.json``, or a province's own files in
``RENKOU_REPORTS_DIR``), filled from the indicator catalogue.

A template names its rows — ``units`` (one row per unit directly below the chosen unit, or at a
chosen level, then a total row: the chosen unit itself, computed from its own summed counts) or a
``dimension`` of the catalogue (e.g. 5-year age groups, then a total row) — and its columns: each
an indicator of the catalogue with an optional fixed disaggregation (``where``), a header path
(merged cells) in Chinese and English. Notes and an optional chart (the population pyramid) follow.
A sex ratio at birth of fewer births than Settings.srb_min_births reads 样本过少 instead of a number
(the exchange files of ``data_values`` keep the number: a receiving system has the counts too).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from renkou.errors import UserError
from renkou.stats.catalogue import evaluate
from renkou.stats.exchange import DataValue
from renkou.stats.rates import SMALL_SAMPLE, rates
from renkou.stats.service import Query, Stats
from renkou.stats.table import Chart, Column, Row, Table

UNIT_COL = Column("unit", ("单位",), ("Unit",), kind="text")


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    title_en: str
    rows: dict
    columns: list[dict]
    notes: tuple[str, ...]
    notes_en: tuple[str, ...]
    chart: dict | None
    form_no: str = ""  # 表号, printed in the form's head
    authority: str = ""  # 制定机关


def templates(extra_dir: str | Path | None = None) -> dict[str, Template]:
    """The shipped templates, with those in ``extra_dir`` (Settings.reports_dir) added or replacing them."""
    found: dict[str, dict] = {}
    for f in resources.files("renkou.stats").joinpath("data/reports").iterdir():
        if f.name.endswith(".json"):
            found[f.name[:-5]] = json.loads(f.read_text(encoding="utf-8"))
    if extra_dir:
        for f in sorted(Path(extra_dir).glob("*.json")):
            try:
                found[f.stem] = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as e:
                raise UserError(f"无法读取报表模板 {f}：{e}", f"cannot read the report template {f}: {e}") from e
    return {
        k: Template(
            d.get("key", k),
            d["title"],
            d["title_en"],
            d["rows"],
            d["columns"],
            tuple(d.get("notes", ())),
            tuple(d.get("notes_en", ())),
            d.get("chart"),
            d.get("form_no", ""),
            d.get("authority", ""),
        )
        for k, d in found.items()
    }


def check_template(stats: Stats, t: Template) -> list[str]:
    """Problems with a template against the catalogue (unknown indicators or disaggregations)."""
    out = []
    cat = stats.catalogue
    if t.rows.get("kind") not in ("units", "dimension"):
        out.append(f"{t.key}: rows.kind must be units or dimension")
    if t.rows.get("kind") == "dimension" and t.rows.get("dimension") not in cat.dimensions:
        out.append(f"{t.key}: unknown dimension {t.rows.get('dimension')}")
    for c in t.columns:
        ind = cat.indicators.get(c["indicator"])
        if ind is None:
            out.append(f"{t.key}.{c['key']}: unknown indicator {c['indicator']}")
            continue
        for dim, key in c.get("where", {}).items():
            if dim not in ind.disaggregations or key not in {x.key for x in cat.dimensions[dim]}:
                out.append(f"{t.key}.{c['key']}: {c['indicator']} has no disaggregation {dim}={key}")
        if t.rows.get("kind") == "dimension" and t.rows.get("dimension") not in ind.disaggregations:
            out.append(f"{t.key}.{c['key']}: {c['indicator']} is not disaggregated by {t.rows.get('dimension')}")
    return out


def _bind(stats: Stats, ind, where: dict) -> dict:
    bind = dict(ind.defaults)
    for dim, key in where.items():
        choice = next((c for c in stats.catalogue.dimensions[dim] if c.key == key), None)
        if choice is None:
            raise UserError(f"维度 {dim} 没有取值 {key}", f"dimension {dim} has no value {key}")
        bind.update(choice.bind)
    return bind


@dataclass
class Cells:
    """The filled cells of a report before formatting, with what each cell is (for exchange)."""

    labels: list[tuple[str, str | None, bool]]  # (label, unit code, is total)
    values: list[list[float | None]]
    keys: list[tuple[str, str, tuple]]  # per row × column: (indicator, unit code, disaggregation)
    small: set[tuple[int, int]] = field(default_factory=set)  # (row, column) of ratios of too few births (样本过少)


def fill(stats: Stats, key: str, org: str, q: Query, *, level: str | None = None, scope=None) -> tuple[Template, Cells]:
    tmpls = templates(stats.settings.reports_dir)
    if key not in tmpls:
        raise UserError(f"没有报表 {key}（可用：{'、'.join(sorted(tmpls))}）", f"no report {key} (available: {', '.join(sorted(tmpls))})")
    t = tmpls[key]
    problems = check_template(stats, t)
    if problems:
        raise UserError("报表模板有误：" + "；".join(problems), "the report template is invalid: " + "; ".join(problems))
    stats.check_scope(org, scope)  # before any work
    counter = stats.counter(q)
    u = counter.u
    root = stats.positions(u, org, None)[0]
    if t.rows["kind"] == "units":
        if level:
            rows = stats.positions(u, org, level)
        else:
            rows = [i for i in u.subtree(org) if u.views[i].parent_id == u.views[root].id]
        row_binds = [(u.views[i].name, u.views[i].code, False, i, {}, ()) for i in rows] + [
            (u.views[root].name, u.views[root].code, True, root, {}, ())
        ]
    else:
        dim = t.rows["dimension"]
        row_binds = [(c.zh, None, False, root, c.bind, ((dim, c.key),)) for c in stats.catalogue.dimensions[dim]]
        row_binds.append(("合计", None, True, root, {}, ()))
    values = [[None] * len(t.columns) for _ in row_binds]
    keys: list = [[None] * len(t.columns) for _ in row_binds]
    cache: dict = {}
    small: set[tuple[int, int]] = set()
    for j, col in enumerate(t.columns):
        ind = stats.catalogue.get(col["indicator"])
        base = _bind(stats, ind, col.get("where", {}))
        col_dis = tuple(sorted(col.get("where", {}).items()))
        for r, (_, _, _, pos, rbind, rdis) in enumerate(row_binds):
            bind = {**base, **rbind}
            ck = (ind.code, tuple(sorted(bind.items())))
            if ck not in cache:
                num = evaluate(stats.catalogue.expr(ind.numerator), counter, bind)
                den = evaluate(stats.catalogue.expr(ind.denominator), counter, bind) if ind.denominator else None
                few = (num + den) < stats.settings.srb_min_births if ind.ci == "ratio" and den is not None else None
                cache[ck] = (rates(num, den, ind.factor, ind.decimals), few)
            vals, few = cache[ck]
            v = vals[pos]
            if few is not None and few[pos]:
                small.add((r, j))
            values[r][j] = None if v != v else (int(v) if ind.decimals == 0 and float(v).is_integer() else float(v))
            keys[r][j] = (ind.code, u.views[pos].code, tuple(sorted(col_dis + rdis)))
    labels = [(lab, code, tot) for lab, code, tot, *_ in row_binds]
    return t, Cells(labels, values, keys, small)


# the rule in force, said as it is in a report's notes (the layouts write "{birth_order}")
BIRTH_ORDER_NOTES = {
    "mother": ("孩次按生母存活子女数计算。", "Birth order counts the mother's living children."),
    "couple": ("孩次按夫妇共同存活子女数计算。", "Birth order counts the couple's living children."),
}


def report(
    stats: Stats,
    key: str,
    org: str,
    q: Query,
    *,
    level: str | None = None,
    prepared_by: str = "",
    prepared_on: dt.date | None = None,
    scope=None,
) -> Table:
    t, cells = fill(stats, key, org, q, level=level, scope=scope)
    counter = stats.counter(q)
    unit = counter.u.views[counter.u.index(org)]
    cols = [UNIT_COL if t.rows["kind"] == "units" else Column("group", ("组别",), ("Group",), kind="text")]
    for c in t.columns:
        ind = stats.catalogue.get(c["indicator"])
        cols.append(
            Column(
                c["key"],
                tuple(c["header"]),
                tuple(c.get("header_en", c["header"])),
                kind="count" if ind.decimals == 0 and not ind.denominator else "rate",
                decimals=ind.decimals,
                unit=ind.unit,
            )
        )
    shown = [[SMALL_SAMPLE["zh"] if (r, j) in cells.small else v for j, v in enumerate(vals)] for r, vals in enumerate(cells.values)]
    rows = [
        Row((("合计" if tot and t.rows["kind"] == "units" else lab), *vals), code=code, is_total=tot)
        for (lab, code, tot), vals in zip(cells.labels, shown, strict=True)
    ]
    chart = None
    if t.chart and t.chart.get("kind") == "pyramid":
        dim = t.chart["dimension"]
        choices = stats.catalogue.dimensions[dim]
        ind = stats.catalogue.get(t.chart["indicator"])
        root = counter.u.index(org)
        male, female = [], []
        for c in choices:
            for sex, acc in (("M", male), ("F", female)):
                v = evaluate(stats.catalogue.expr(ind.numerator), counter, {**ind.defaults, **c.bind, "sex": sex})[root]
                acc.append(int(v))
        chart = Chart("pyramid", tuple(c.key for c in choices), tuple(male), tuple(female))
    p = q.period
    return Table(
        key=t.key,
        title=t.title,
        title_en=t.title_en,
        unit_code=unit.code,
        unit_name=unit.name,
        period_label=p.label,
        period_label_en=p.label_en,
        prepared_by=prepared_by,
        prepared_on=prepared_on or dt.date.today(),
        columns=tuple(cols),
        rows=tuple(rows),
        form_no=t.form_no,
        authority=t.authority,
        notes=tuple(n.replace("{birth_order}", BIRTH_ORDER_NOTES[stats.settings.birth_order_rule][0]) for n in t.notes),
        notes_en=tuple(n.replace("{birth_order}", BIRTH_ORDER_NOTES[stats.settings.birth_order_rule][1]) for n in t.notes_en),
        chart=chart,
        meta={
            "period": {"id": p.id, "start": p.start.isoformat(), "end": p.end.isoformat()},
            "basis": q.basis,
            "units_as_of": q.units_as_of.isoformat(),
            "data_as_of_change": counter.m.seq,
        },
    )


def data_values(stats: Stats, key: str, org: str, q: Query, *, level: str | None = None, scope=None) -> list[DataValue]:
    """Every cell of a report as an aggregate data value (for DHIS2 / ADX)."""
    _, cells = fill(stats, key, org, q, level=level, scope=scope)
    seen: dict = {}
    for row_vals, row_keys in zip(cells.values, cells.keys, strict=True):
        for v, (ind, unit, dis) in zip(row_vals, row_keys, strict=True):
            if v is not None and (ind, unit, dis) not in seen:
                seen[(ind, unit, dis)] = DataValue(ind, unit, q.period, v, dis)
    return list(seen.values())
