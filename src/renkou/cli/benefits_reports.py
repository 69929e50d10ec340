"""`renkou benefits report` (recipients and money) and `renkou benefits coverage ...` (the three
full coverages of special-assistance families)."""

from __future__ import annotations

from pathlib import Path

import typer

from renkou.cli.benefits_common import AS, DATE, YEAR, acting, eligibility, emit, person_in_scope
from renkou.cli.context import console, parse_date_opt

coverage_app = typer.Typer(help="特扶家庭“三个全覆盖”：登记与覆盖率。The three full coverages.", no_args_is_help=True)


# ------------------------------------------------------------------------------------- reports, coverage


def report(
    ctx: typer.Context,
    username: str = AS,
    year: int = YEAR,
    org: str = typer.Option(..., "--org", help="单位代码。Unit code."),
    out: Path = typer.Option(None, "-o", "--out"),
    fmt: str = typer.Option(None, "--format", help="xlsx | pdf | csv | json"),
    lang: str = typer.Option("zh", "--lang"),
) -> None:
    """扶助对象及资金报表（按项目、单位、年度）。Recipients and money by programme, unit and year."""
    from renkou.benefits import reports

    db, off = acting(ctx, username)
    svc = eligibility(ctx)
    with db.read() as s:
        t = reports.recipients(s, off, svc, year=year, org=org)
    emit(t, fmt, out, lang)


@coverage_app.command("add")
def coverage_add(
    ctx: typer.Context,
    username: str = AS,
    person: str = typer.Option(..., "--person", help="特扶对象身份证号码。"),
    kind: str = typer.Option(..., "--kind", help="liaison 联系人 | doctor 家庭医生签约 | channel 就医绿色通道"),
    detail: str = typer.Option(..., "--detail", help="联系人姓名电话、签约医生团队与协议号、医院等。Who, which contract, which hospital."),
    since: str = typer.Option(None, "--since", help="起始日期，默认今天。From (default today)."),
) -> None:
    """登记一项覆盖（同类新记录接替旧记录）。Record one coverage (a new one of a kind takes over)."""
    from renkou.benefits.cycle import coverage

    db, off = acting(ctx, username)
    on = parse_date_opt(since, "--since")
    with db.write(off.actor) as s:
        c = coverage.record(s, off, person=person_in_scope(s, person, off, on), kind=kind, detail=detail, since=on)
    console.print(f"已登记 {coverage.KINDS[c.kind][0]}（第 {c.id} 号）。Recorded {coverage.KINDS[c.kind][1]} ({c.id}).")


@coverage_app.command("end")
def coverage_end(
    ctx: typer.Context, number: int = typer.Argument(...), username: str = AS, date: str = DATE, reason: str = typer.Option(..., "--reason")
) -> None:
    """结束一项覆盖记录。End a coverage record."""
    from renkou.benefits.cycle import coverage

    db, off = acting(ctx, username)
    with db.write(off.actor) as s:
        c = coverage.end(s, off, number, until=parse_date_opt(date), reason=reason)
    console.print(f"覆盖记录 {c.id} 至 {c.until} 结束。Coverage record {c.id} ends on {c.until}.")


@coverage_app.command("report")
def coverage_report(
    ctx: typer.Context,
    username: str = AS,
    org: str = typer.Option(..., "--org"),
    date: str = DATE,
    out: Path = typer.Option(None, "-o", "--out"),
    fmt: str = typer.Option(None, "--format", help="xlsx | pdf | csv | json"),
    lang: str = typer.Option("zh", "--lang"),
) -> None:
    """“三个全覆盖”覆盖率。Coverage rates of the three full coverages."""
    from renkou.benefits import reports

    db, off = acting(ctx, username)
    with db.read() as s:
        t = reports.coverage(s, off, on=parse_date_opt(date), org=org)
    emit(t, fmt, out, lang)
