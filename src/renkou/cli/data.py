"""Commands that move data in and out: import, export, template, and the demo county."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from renkou.auth.officer import Officer
from renkou.auth.roles import ROLES, Role
from renkou.cli.context import console, err_console, parse_date_opt, state
from renkou.core import basis as basis_mod
from renkou.errors import UserError, ValidationFailed
from renkou.exchange import exporter, importer, templates
from renkou.storage.db import Actor

KINDS_HELP = "orgs 组织机构 | households 户 | persons 人员 | events 事件"


def import_(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help=KINDS_HELP),
    file: Path = typer.Argument(..., help="CSV（UTF-8 或 GB18030）或 XLSX 文件。A CSV (UTF-8 or GB18030) or XLSX file."),
    errors: Path = typer.Option(None, "--errors", help="错误报告（.xlsx 或 .csv）。Write the error report here (.xlsx or .csv)."),
) -> None:
    """导入文件：逐行校验，有任何错误则全部不导入；重复导入不会产生重复记录。
    Import a file: every row validated; any error and nothing is imported; re-importing adds no duplicates."""
    if kind not in templates.KINDS:
        raise UserError(f"未知的导入类型 {kind}（可选：{KINDS_HELP}）", f"unknown import kind {kind} ({KINDS_HELP})")
    db = state(ctx).db()
    with Progress(
        TextColumn("导入 importing {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(file.name, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        try:
            res = importer.run_import(
                db, kind, file, Officer.system(Actor.local("import")), progress=progress, max_rows=state(ctx).settings.import_max_rows
            )
        except ValidationFailed as exc:
            res = exc.result
            bar.stop()
            if res is not None:
                _report(res, errors)
                raise ValidationFailed(
                    res.problems,
                    f"导入被拒绝：{res.n_problems} 处错误，未导入任何数据。",
                    f"Import refused: {res.n_problems} problem(s); nothing was imported.",
                ) from None
            raise
    if errors and res.warnings:
        importer.write_report(res, errors)
    again = "（此文件此前已导入过 this file was imported before）" if res.previously_imported else ""
    console.print(
        f"已导入 {res.kind}：{res.rows:,} 行，新增 {res.created:,}，未变 {res.unchanged:,}{again}。"
        f" Imported {res.kind}: {res.rows:,} rows, {res.created:,} new, {res.unchanged:,} unchanged."
    )
    if res.warnings:
        console.print(f"{len(res.warnings):,} 条数据质量提示（已导入）/ data-quality findings (imported)", style="yellow")


def _report(res: importer.ImportResult, errors: Path | None) -> None:
    counts: dict[str, int] = {}
    for p in res.problems:
        counts[p.rule] = counts.get(p.rule, 0) + 1
    t = Table(title=f"错误汇总 Problems by rule（{res.n_problems:,}）")
    for c in ("规则 rule", "说明 message", "次数 count"):
        t.add_column(c)
    for rule, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        sample = next(p for p in res.problems if p.rule == rule)
        t.add_row(rule, f"{sample.zh} / {sample.en}", f"{n:,}")
    err_console.print(t)
    if errors:
        importer.write_report(res, errors)
        err_console.print(f"错误报告已写入 {errors}。The error report is in {errors}.")


def export(
    ctx: typer.Context,
    table: str = typer.Argument(
        ..., help="orgs | households | persons | events | snapshot（某单位某日人员状态 a unit's people on a date）"
    ),
    out: Path = typer.Option(..., "-o", "--out", help="输出文件。Output file."),
    fmt: str = typer.Option(None, "--format", help="csv | xlsx | parquet（默认按扩展名 default from the extension）"),
    org: str = typer.Option(None, "--org", help="快照的单位代码。Unit code for a snapshot."),
    date: str = typer.Option(None, "--date", help="快照或机构树的日期。Date of the snapshot or tree."),
    basis: str = typer.Option(basis_mod.DEFAULT, "--basis", help=basis_mod.help_text(basis_mod.REGISTRY)),
    reveal: str = typer.Option(
        None, "--reveal", help="导出完整证件号，须填写原因（写入审计日志）。Export full ID numbers; give the reason (audited)."
    ),
) -> None:
    """导出数据表或某单位某日的人员快照（证件号默认脱敏）。Export a table or a unit's snapshot (ID numbers masked by default)."""
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in exporter.FORMATS:
        raise UserError(f"不支持的格式 {fmt}（可选：csv, xlsx, parquet）", f"unsupported format {fmt} (csv, xlsx, parquet)")
    d = parse_date_opt(date)
    db = state(ctx).db()
    ctxm = db.write(Actor.local(), note=f"export {table}") if reveal else db.read()
    with ctxm as s:
        n = exporter.export(s, table, out, fmt, code=org, date=d, basis=basis, reveal_why=reveal)
    console.print(f"已导出 {n:,} 行到 {out}。Exported {n:,} rows to {out}.")


def template(
    kind: str = typer.Argument(..., help=KINDS_HELP),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx | csv"),
    out: Path = typer.Option(None, "-o", "--out", help="输出文件，默认 KIND.FORMAT。Output file (default KIND.FORMAT)."),
) -> None:
    """生成导入模板（中文表头、示例行、填写说明）。Write an import template with Chinese headers, an example row and notes."""
    if kind not in templates.KINDS:
        raise UserError(f"未知的模板类型 {kind}（可选：{KINDS_HELP}）", f"unknown template kind {kind} ({KINDS_HELP})")
    if fmt not in ("xlsx", "csv"):
        raise UserError("模板格式为 xlsx 或 csv", "a template is xlsx or csv")
    path = out or Path(f"{kind}.{fmt}")
    templates.write_template(kind, path, fmt)
    console.print(f"模板已写入 {path}。Template written to {path}.")


DEMO_PERSONS = 50_000
DEMO_SEED = 20261122


def demo(
    ctx: typer.Context,
    fresh: bool = typer.Option(True, "--fresh/--keep", help="先删除已有的演示数据库。Start from an empty demo database."),
    persons: int = typer.Option(
        DEMO_PERSONS, "--persons", help="演示县的人员记录数（约数）。Approximate person records of the demo county."
    ),
) -> None:
    """建立演示县（合成的虚构人口及其 1950 年以来的历史）并显示全县人口。
    Build the demo county (a synthetic, fictitious population with its history since 1950) and show it."""
    import datetime as dt

    from renkou.cli.context import sqlite_file_exists
    from renkou.cli.synth import progress_bar
    from renkou.demo import fixture
    from renkou.storage import migrate
    from renkou.synth import build, store
    from renkou.synth.county import COUNTY_CODE

    if persons < 1000:  # checked before anything is deleted
        raise UserError("--persons 至少为 1000", "--persons must be at least 1000")
    st = state(ctx)
    url = st.settings.database_url
    if sqlite_file_exists(url) or not url.startswith("sqlite"):
        existing = st.db(migrated=False)
        if not fixture.holds_only_demo_data(existing):
            raise UserError(
                "该数据库中有非演示数据，演示县不会写入或删除它。请用 --db 指定另一个数据库（如 sqlite:///demo.db）。",
                "This database holds data other than the demo county; the demo will neither write to it nor delete it. "
                "Choose another database with --db (e.g. sqlite:///demo.db).",
            )
        if fresh and url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            existing.dispose()
            st._db = None
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        elif fresh and fixture.has_demo_data(existing):
            raise UserError(
                "演示数据已存在；--fresh 只能删除 SQLite 演示库，请使用 --keep 或新的数据库。",
                "The demo county is already there; --fresh deletes SQLite demo files only: use --keep or another database.",
            )
    db = st.db(migrated=False)
    migrate.upgrade(db)
    if fixture.has_demo_data(db):
        raise UserError("演示数据已存在；请使用 --fresh 重新生成。", "The demo county is already there; use --fresh to build it again.")
    with progress_bar() as progress:
        # the history ends yesterday: the dashboard's current month and year have figures
        county = build.generate(persons, DEMO_SEED, end=dt.date.today() - dt.timedelta(days=1), progress=progress)
        s = store.to_database(county, db, progress=progress, actor=fixture.DEMO_ACTOR)
    console.print(f"演示县已建立：{s['units']} 个单位，{s['households']} 户，{s['persons']} 人，{s['events']} 条事件。")
    console.print(f"Demo county ready: {s['units']} units, {s['households']} households, {s['persons']} persons, {s['events']} events.")
    from renkou.cli.registry import population

    population(ctx, org=COUNTY_CODE, date=None, basis=basis_mod.DEFAULT)
    made = fixture.demo_accounts(db, COUNTY_CODE)
    t = Table(
        "用户名 user",
        "角色 role",
        "单位 unit",
        "动态码 TOTP",
        title=f"演示账号（密码均为 {fixture.DEMO_PASSWORD}）Demo accounts (password {fixture.DEMO_PASSWORD})",
    )
    for user, role, code, name in made:
        t.add_row(user, role, f"{code} {name}", "首次登录时设置 set up at first sign-in" if ROLES[Role(role)].needs_totp else "")
    console.print(t)
    console.print(
        "网页端：renkou --db <同一数据库> serve，然后打开 http://127.0.0.1:8000/ 。Web: `renkou serve` on the same database, "
        "then open http://127.0.0.1:8000/."
    )
