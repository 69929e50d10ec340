"""`renkou benefits candidates | check`: who newly qualifies, and one decision explained (renkou.benefits).

``benefits_app`` is the ``benefits`` group; the annual cycle's commands are attached to it by
renkou.cli.benefits_cycle (``attach``), when that module is there.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import typer
from rich.table import Table

from renkou.benefits.rules.programmes import VARIANT_TEXT
from renkou.cli.benefits_common import eligibility
from renkou.cli.context import console, err_console, parse_date_opt, state
from renkou.cli.stats import write_output
from renkou.core.cells import csv_row
from renkou.errors import UserError

benefits_app = typer.Typer(
    help="计划生育家庭扶助与育儿补贴：资格、新增对象、年度确认、发放。Family-support benefits.", no_args_is_help=True
)

PROGRAM = typer.Option(..., "--program", help="项目 programme: reward 奖扶 | special 特扶 | onechild 独生子女父母奖励 | childcare 育儿补贴")
LANG = typer.Option("zh", "--lang", help="zh | en")
MARK = {"met": "✓", "not_met": "✗", "needs_attestation": "?"}
STATUS = {"met": ("满足", "met"), "not_met": ("不满足", "not met"), "needs_attestation": ("待申报核实", "needs attestation")}
RESULT = {True: ("符合", "eligible"), False: ("不符合", "not eligible"), None: ("待申报核实后符合", "eligible once attested")}


def _lang(lang: str) -> int:
    if lang not in ("zh", "en"):
        raise UserError(f"--lang 应为 zh 或 en，而不是 {lang!r}", f"--lang must be zh or en, not {lang!r}")
    return 0 if lang == "zh" else 1


def _records(c) -> str:
    return "; ".join(r.text() for r in c.records)


@benefits_app.command("candidates")
def candidates(
    ctx: typer.Context,
    program: str = PROGRAM,
    year: int = typer.Option(
        ..., "--year", help="年度（按该年的判定日，通常为 12 月 31 日）。Year (judged on its determination date, usually 31 December)."
    ),
    org: str = typer.Option(..., "--org", help="单位代码（按户籍地）。Unit code (by hukou place)."),
    fmt: str = typer.Option("table", "--format", help="table | json | csv"),
    lang: str = LANG,
    out: Path = typer.Option(None, "-o", "--out", help="输出文件（默认标准输出）。Output file (default stdout)."),
) -> None:
    """列出当年新符合条件的对象，逐条显示满足 / 不满足 / 待申报核实及所依据的记录。List who newly qualifies."""
    i = _lang(lang)
    if fmt not in ("table", "json", "csv"):
        raise UserError(f"不支持的格式 {fmt}（可选：table, json, csv）", f"unsupported format {fmt} (one of: table, json, csv)")
    svc = eligibility(ctx)
    prog = svc.programme(program)
    with console.status("正在判定… determining…"):
        found = svc.candidates(program, year, org)
    on = prog.determination(year)
    if fmt == "json":
        write_output(
            json.dumps(
                {
                    "programme": prog.key,
                    "year": year,
                    "org": org,
                    "determination_date": on.isoformat(),
                    "candidates": [d.to_json() for d in found],
                },
                ensure_ascii=False,
                indent=1,
            ),
            out,
        )
        return
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(
            ["unit", "unit_name", "person_id", "name", "id_number", "eligible", "variant"]
            + [f"{c.key}_{x}" for c in prog.conditions for x in ("status", "value", "records")]
        )
        for d in found:
            w.writerow(
                csv_row(
                    [
                        d.unit_code,
                        d.unit_name,
                        d.person_id,
                        d.name,
                        d.id_masked,
                        {True: "yes", False: "no", None: "attest"}[d.eligible],
                        "/".join(d.variant.values()),
                    ]
                    + [x for c in d.conditions for x in (c.status, c.value, _records(c))]
                )
            )
        write_output("\ufeff" + buf.getvalue() if out else buf.getvalue(), out)
        return
    title = (
        f"{prog.zh}（{prog.short_zh}）{year} 年新增对象：{org}，判定日 {on}，共 {len(found)} 人"
        if i == 0
        else f"{prog.en} {year}: who newly qualifies under {org}, judged on {on}: {len(found)}"
    )
    t = Table(title=title, show_lines=False)
    for col in (("单位", "unit"), ("人员", "person"), ("结论", "result"), ("条件", "condition"), ("状态", "status"), ("依据", "record")):
        t.add_column(col[i])
    for d in found:
        for n, c in enumerate(d.conditions):
            first = n == 0
            t.add_row(
                f"{d.unit_name or ''} {d.unit_code or ''}" if first else "",
                f"{d.name} {d.id_masked or ''} #{d.person_id}" if first else "",
                RESULT[d.eligible][i] if first else "",
                c.key,
                f"{MARK[c.status]} {STATUS[c.status][i]}",
                _records(c) or c.value,
                end_section=n == len(d.conditions) - 1,
            )
    if out is not None:
        write_output(_plain(t), out)
    else:
        console.print(t)
    for c in prog.conditions:
        err_console.print(f"  {c.key}: {(c.zh, c.en)[i]}")


def _plain(t: Table) -> str:
    """A table rendered as plain text (for -o)."""
    from rich.console import Console

    c = Console(file=io.StringIO(), width=240, highlight=False, markup=False, color_system=None)
    c.print(t)
    return c.file.getvalue()


@benefits_app.command("check")
def check(
    ctx: typer.Context,
    program: str = PROGRAM,
    person: str = typer.Option(..., "--person", help="人员内部编号、身份证号码或临时编号。Internal person id, ID number or temporary key."),
    date: str = typer.Option(None, "--date", help="判定日期 YYYY-MM-DD，默认今天。Date of the decision (default today)."),
    year: int = typer.Option(
        None, "--year", help="按年度判定（与 candidates 相同的判定日），代替 --date。Judge as candidates does for a year."
    ),
    lang: str = LANG,
    fmt: str = typer.Option("text", "--format", help="text | json"),
) -> None:
    """逐条解释一个人在某日是否符合某项目的条件及其依据。Explain one decision, condition by condition."""
    i = _lang(lang)
    if fmt not in ("text", "json"):
        raise UserError(f"不支持的格式 {fmt}（可选：text, json）", f"unsupported format {fmt} (one of: text, json)")
    if date and year:
        raise UserError("--date 与 --year 只能给一个", "give either --date or --year, not both")
    svc = eligibility(ctx)
    prog = svc.programme(program)
    on, start = (prog.determination(year), dt.date(year, 1, 1)) if year else (parse_date_opt(date), None)
    pid = _person_id(ctx, person)
    d = svc.check(program, pid, on, period_start=start)
    if fmt == "json":
        console.print(json.dumps(d.to_json(), ensure_ascii=False, indent=1), soft_wrap=True)
        return
    head = (
        f"{d.name}（{d.id_masked}，人员 #{d.person_id}）  {prog.zh}（{prog.short_zh}）  判定日 {on}"
        if i == 0
        else f"{d.name} ({d.id_masked}, person #{d.person_id})  {prog.en}  on {on}"
    )
    console.print(head, soft_wrap=True)
    where = f"{d.unit_name} {d.unit_code}" if d.unit_code else ("县外或无户籍" if i == 0 else "outside the county or no hukou")
    console.print(f"{'户籍地' if i == 0 else 'hukou unit'}: {where}")
    variant = "/".join(VARIANT_TEXT.get(v, (v, v))[i] for v in d.variant.values()) if d.eligible is not False else ""
    console.print(
        f"{'结论' if i == 0 else 'result'}: {RESULT[d.eligible][i]}" + ((f"（{variant}）", f" ({variant})")[i] if variant else "")
    )
    for n, c in enumerate(d.conditions, 1):
        console.print(f"{n:2}. {MARK[c.status]} {STATUS[c.status][i]}  {(c.zh, c.en)[i]}  [{c.key}]", soft_wrap=True)
        if c.value:
            console.print(f"      {'情况' if i == 0 else 'found'}: {c.value}", soft_wrap=True)
        for r in c.records:
            console.print(f"      {'依据' if i == 0 else 'record'}: {r.text()}", soft_wrap=True)


def _person_id(ctx: typer.Context, key: str) -> int:
    """An internal id (digits, shorter than an ID number) or an ID number / temporary key."""
    k = key.strip()
    if k.isdigit() and len(k) < 15:
        return int(k)
    from renkou.registry import persons

    with state(ctx).db().read() as s:
        return persons.get_person(s, k).id


def _attach_cycle() -> None:
    try:
        from renkou.cli import benefits_cycle
    except ModuleNotFoundError as e:  # the cycle's commands are not there (yet)
        if e.name != "renkou.cli.benefits_cycle":
            raise
        return
    attach = getattr(benefits_cycle, "attach", None)
    if attach is not None:
        attach(benefits_app)


_attach_cycle()
