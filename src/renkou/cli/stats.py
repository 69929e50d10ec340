"""`renkou indicators`, `renkou report`, `renkou ledger`: statistics from the live registry."""

from __future__ import annotations

import csv
import getpass
import io
import json
import sys
from pathlib import Path

import typer

from renkou.cli.context import console, err_console, state
from renkou.core import basis as basis_mod
from renkou.core.cells import csv_row, xlsx_workbook_text
from renkou.errors import UserError
from renkou.storage.db import Actor

PERIOD_HELP = "统计期：2024 | 2024Q1 | 2024-03 | 2024S1 | 2023Oct | 2023SY | 2024-03YTD | 2024-01-01/2024-03-31"
BASIS_HELP = basis_mod.help_text(basis_mod.STATISTICS)
UNITS_HELP = "按哪一天的区划统计：end（统计期末，默认）| today（并入今天的区划）| YYYY-MM-DD。Units as of: end | today | a date."
# options shared by the three commands (a Typer option object may serve several commands)
ORG = typer.Option(..., "--org", help="单位代码。Unit code.")
PERIOD = typer.Option(..., "--period", help=PERIOD_HELP)
BASIS = typer.Option(basis_mod.DEFAULT, "--basis", help=BASIS_HELP)
UNITS = typer.Option("end", "--units-as-of", help=UNITS_HELP)
LANG = typer.Option("zh", "--lang", help="zh | en")


def write_output(data: bytes | str, out: Path | None) -> None:
    if out is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            console.print(data, end="" if data.endswith("\n") else "\n", soft_wrap=True)
        return
    out.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    err_console.print(f"已写入 {out}。Written to {out}.")


def _fmt(fmt: str | None, out: Path | None, allowed: tuple[str, ...], default: str) -> str:
    f = (fmt or (out.suffix.lstrip(".").lower() if out and out.suffix else default)).lower()
    if f not in allowed:
        raise UserError(f"不支持的格式 {f}（可选：{', '.join(allowed)}）", f"unsupported format {f} (one of: {', '.join(allowed)})")
    if f in ("xlsx", "pdf") and out is None:
        raise UserError(f"{f} 格式需要用 -o 指定输出文件", f"the {f} format needs an output file (-o)")
    return f


def indicators(
    ctx: typer.Context,
    org: str = ORG,
    period: str = PERIOD,
    level: str = typer.Option(
        None, "--level", help="列出该单位下某一级的全部单位：township | village。List every unit of a level below it."
    ),
    basis: str = BASIS,
    units_as_of: str = UNITS,
    codes: str = typer.Option(None, "--codes", help="只算这些指标（逗号分隔）。Only these indicators (comma-separated)."),
    totals_only: bool = typer.Option(False, "--totals-only", help="不分性别、孩次等。Without disaggregations."),
    fmt: str = typer.Option(None, "--format", help="json | csv | xlsx | dhis2 | adx"),
    out: Path = typer.Option(None, "-o", "--out", help="输出文件（默认标准输出）。Output file (default stdout)."),
) -> None:
    """计算指标目录中的指标（出生率、出生人口性别比及置信区间、总和生育率……）。Compute the catalogue's indicators."""
    f = _fmt(fmt, out, ("json", "csv", "xlsx", "dhis2", "adx"), "json")
    st = state(ctx).stats()
    q = st.query(period, basis=basis, units_as_of=units_as_of)
    vals = st.indicators(
        org, q, level=level, codes=[c.strip() for c in codes.split(",") if c.strip()] if codes else None, disaggregate=not totals_only
    )
    if f in ("dhis2", "adx"):
        from renkou.stats.exchange import DataValue, to_adx, to_dhis2

        dvs = [DataValue(v.code, v.unit_code, q.period, v.value, v.disaggregation) for v in vals if v.value is not None]
        write_output(
            json.dumps(to_dhis2(dvs), ensure_ascii=False, indent=1) if f == "dhis2" else to_adx(dvs, data_set="renkou-indicators"), out
        )
        return
    if f == "json":
        write_output(
            json.dumps(
                {"period": q.period.id, "basis": q.basis, "units_as_of": q.units_as_of.isoformat(), "values": [v.to_json() for v in vals]},
                ensure_ascii=False,
                indent=1,
            ),
            out,
        )
        return
    head = [
        "indicator",
        "name",
        "unit",
        "unit_name",
        "level",
        "disaggregation",
        "value",
        "numerator",
        "denominator",
        "ci_low",
        "ci_high",
        "flag",
        "small_sample",
    ]
    cat = st.catalogue
    rows = [
        [
            v.code,
            cat.get(v.code).zh,
            v.unit_code,
            v.unit_name,
            v.level,
            ";".join(f"{k}={x}" for k, x in v.disaggregation),
            v.value,
            v.numerator,
            v.denominator,
            v.low,
            v.high,
            v.flag or "",
            "样本过少" if v.small else "",
        ]
        for v in vals
    ]
    if f == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(head)
        w.writerows(csv_row(r) for r in rows)
        write_output("\ufeff" + buf.getvalue() if out else buf.getvalue(), out)
        return
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "指标"
    ws.append(head)
    for r in rows:
        ws.append(r)
    xlsx_workbook_text(wb)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    write_output(buf.getvalue(), out)


def report(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="monthly | annual | structure（或省里自定义的模板 or a province's own template）"),
    org: str = ORG,
    period: str = PERIOD,
    level: str = typer.Option(
        None, "--level", help="行为该级全部单位（默认直属下级）。Rows: every unit of this level (default: the units directly below)."
    ),
    basis: str = BASIS,
    units_as_of: str = UNITS,
    fmt: str = typer.Option(None, "--format", help="xlsx | csv | json | pdf | dhis2 | adx"),
    lang: str = LANG,
    prepared_by: str = typer.Option(None, "--prepared-by", help="填表人（默认当前系统用户）。Prepared by (default: the OS user)."),
    out: Path = typer.Option(None, "-o", "--out", help="输出文件。Output file."),
) -> None:
    """生成标准报表：人口变动月报、年报、年龄性别结构（含人口金字塔）。Produce a standard report."""
    from renkou.stats import render, reports

    f = _fmt(fmt, out, ("xlsx", "csv", "json", "pdf", "dhis2", "adx"), "json")
    st = state(ctx).stats()
    q = st.query(period, basis=basis, units_as_of=units_as_of)
    if f in ("dhis2", "adx"):
        from renkou.stats.exchange import to_adx, to_dhis2

        dvs = reports.data_values(st, kind, org, q, level=level)
        write_output(
            json.dumps(to_dhis2(dvs, data_set=kind), ensure_ascii=False, indent=1) if f == "dhis2" else to_adx(dvs, data_set=kind), out
        )
        return
    t = reports.report(st, kind, org, q, level=level, prepared_by=prepared_by or getpass.getuser())
    _emit(t, f, lang, out, render)


def _emit(t, f: str, lang: str, out: Path | None, render) -> None:
    if f == "json":
        write_output(json.dumps(t.to_json(), ensure_ascii=False, indent=1, default=str), out)
    elif f == "csv":
        write_output(render.to_csv(t, lang), out)
    elif f == "xlsx":
        write_output(render.to_xlsx(t, lang), out)
    else:
        write_output(render.to_pdf(t, lang), out)


def ledger(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="births | deaths | marriages | moves | households | wcba"),
    org: str = ORG,
    period: str = PERIOD,
    basis: str = BASIS,
    units_as_of: str = UNITS,
    fmt: str = typer.Option(None, "--format", help="xlsx | csv | json | pdf"),
    lang: str = LANG,
    reveal: str = typer.Option(
        None, "--reveal", help="显示完整身份证号，须填写原因（写入审计日志）。Show full ID numbers; give the reason (audited)."
    ),
    where: list[str] = typer.Option(
        None, "--filter", help="只保留某栏等于某值的行，如 孩次=3 或 order=3（可重复）。Keep rows whose column has this value (repeatable)."
    ),
    prepared_by: str = typer.Option(None, "--prepared-by", help="填表人。Prepared by."),
    out: Path = typer.Option(None, "-o", "--out", help="输出文件。Output file."),
) -> None:
    """生成台账或花名册（出生、死亡、婚姻、迁移、户籍花名册、育龄妇女花名册）。Produce a ledger or roster."""
    from renkou.stats import ledgers, render

    f = _fmt(fmt, out, ("xlsx", "csv", "json", "pdf"), "json")
    st = state(ctx).stats()
    q = st.query(period, basis=basis, units_as_of=units_as_of)
    filters = {}
    for item in where or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--filter 应写作 栏目=值，而不是 {item!r}", f"--filter must be COLUMN=VALUE, not {item!r}")
        filters[name.strip()] = value.strip()
    t = ledgers.ledger(
        st,
        kind,
        org,
        q,
        reveal_why=reveal,
        actor=Actor.local() if reveal else None,
        prepared_by=prepared_by or getpass.getuser(),
        where=filters,
    )
    _emit(t, f, lang, out, render)
