"""`renkou synth`: generate a fictitious county (into a database or as import files) and the files
other departments would hold about it, with their answer files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from renkou.cli.context import console, err_console, state
from renkou.errors import UserError

synth_app = typer.Typer(
    help="生成虚构的合成县（人口及其历史），用于演示、测试和性能评测。Generate a synthetic county with history.",
    invoke_without_command=True,
)

STEPS = {
    "simulate": "模拟历年人口 simulating years",
    "identities": "姓名与身份证号 names and IDs",
    "database": "写入数据库 writing database",
}


@contextmanager
def progress_bar() -> Iterator:
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err_console, transient=True
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(STEPS.get(step, step), total=total)
            bar.update(tasks[step], completed=done, total=total)

        yield progress


def _check_years(start_year: int, end_year: int, persons: int) -> None:
    this_year = dt.date.today().year
    if end_year >= this_year:
        raise UserError(
            f"--end-year 应早于今年（{this_year}），否则会生成未来日期的事件",
            f"--end-year must be before this year ({this_year}); otherwise events would lie in the future",
        )
    if not 1900 <= start_year <= end_year - 30:
        raise UserError(
            "--start-year 应不早于 1900，且至少早于 --end-year 30 年",
            "--start-year must be 1900 or later and at least 30 years before --end-year",
        )
    if persons < 1000:
        raise UserError("--persons 至少为 1000", "--persons must be at least 1000")


@synth_app.callback()
def synth(
    ctx: typer.Context,
    persons: int = typer.Option(100_000, "--persons", help="大约的人员记录数（历年在册者，含已故）。Approximate number of person records."),
    seed: int = typer.Option(1, "--seed", help="随机种子：相同种子生成完全相同的数据。Same seed, same county."),
    start_year: int = typer.Option(1950, "--start-year", help="模拟起始年。First simulated year."),
    end_year: int = typer.Option(2025, "--end-year", help="模拟结束年（含）。Last simulated year."),
    db: str = typer.Option(None, "--db", help="写入该数据库（须为空库）。Write into this (empty) database."),
    out: Path = typer.Option(None, "--out", help="改为写出导入模板格式的文件到该目录。Write import files to this folder instead."),
    fmt: str = typer.Option("csv", "--format", help="--out 的文件格式：csv 或 parquet。File format for --out."),
) -> None:
    """生成合成县：写入数据库（--db）或写出导入文件（--out）。Generate a county into a database or as files."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = state(ctx)
        ctx.obj.synth = dict(persons=persons, seed=seed, start_year=start_year, end_year=end_year)
        return
    _check_years(start_year, end_year, persons)
    if db and out is not None:
        raise UserError("--db 与 --out 只能选一个", "give either --db or --out, not both")
    if fmt not in ("csv", "parquet"):
        raise UserError(f"--format 应为 csv 或 parquet，而不是 {fmt}", f"--format must be csv or parquet, not {fmt}")
    from renkou.synth import build, store

    st = state(ctx)
    if db:
        import dataclasses

        st.settings = dataclasses.replace(st.settings, database_url=db)
    target_db = None
    if out is None:
        from renkou.storage import migrate

        target_db = st.db(migrated=False)
        migrate.upgrade(target_db)
    with progress_bar() as progress:
        county = build.generate(persons, seed, start_year=start_year, end_year=end_year, progress=progress)
        if out is not None:
            paths = store.to_files(county, out, fmt=fmt)
            s = build.summary(county)
        else:
            s = store.to_database(county, target_db, progress=progress)
    console.print(
        f"合成县已生成：{s['units']} 个单位，{s['households']} 户，{s['persons']} 人（{s['alive']} 人在世），{s['events']} 条事件。"
    )
    console.print(
        f"Synthetic county ready: {s['units']} units, {s['households']} households, {s['persons']} persons "
        f"({s['alive']} living), {s['events']} events."
    )
    if out is not None:
        for kind, p in paths.items():
            console.print(f"  {kind}: {p}")


@synth_app.command("external")
def external(
    ctx: typer.Context,
    kind: str = typer.Option(..., "--kind", help="hospital-births | police-hukou | police-deaths | civil-marriages | all"),
    out: Path = typer.Option(Path("external"), "--out", help="输出目录。Output folder."),
    fmt: str = typer.Option("csv", "--format", help="csv 或 parquet。"),
    rate: list[str] = typer.Option(
        [],
        "--rate",
        help="错误率，如 --rate homophone=0.1（可重复；none=1 表示全部为 0）。"
        "An error rate, e.g. --rate homophone=0.1 (repeatable; none=1 sets every rate to 0 first).",
    ),
) -> None:
    """生成其他部门的数据文件（含错误）及单独的答案文件。Write another department's records (with realistic
    errors) for the county of the same --persons/--seed, and a separate answer file."""
    from renkou.synth import build
    from renkou.synth import external as ext

    rates = _rates(ext, rate)
    opts = state(ctx).synth
    kinds = list(ext.KINDS) if kind == "all" else [kind]
    for k in kinds:
        if k not in ext.KINDS:
            raise UserError(f"未知的部门数据类型 {k}（可选：{', '.join(ext.KINDS)}）", f"unknown kind {k} ({', '.join(ext.KINDS)})")
    _check_years(opts["start_year"], opts["end_year"], opts["persons"])
    with progress_bar() as progress:
        county = build.generate(opts["persons"], opts["seed"], start_year=opts["start_year"], end_year=opts["end_year"], progress=progress)
    for k in kinds:
        paths = ext.write_external(county, k, out, seed=opts["seed"], fmt=fmt, rates=rates)
        for name, p in paths.items():
            console.print(f"{k} {name}: {p}")


def _rates(ext, items: list[str]):
    """ErrorRates from NAME=VALUE options; a clear error for an unknown name or a bad value."""
    import dataclasses

    names = [f.name for f in dataclasses.fields(ext.ErrorRates)]
    overrides: dict[str, float] = {}
    start_from_none = False
    for item in items:
        name, _, value = item.partition("=")
        name = name.strip()
        try:
            v = float(value)
        except ValueError:
            raise UserError(f"--rate {item!r} 应为 名称=数值", f"--rate {item!r} must be NAME=NUMBER") from None
        if name == "none":
            start_from_none = bool(v)
            continue
        if name not in names:
            raise UserError(f"未知的错误类型 {name}（可选：{', '.join(names)}）", f"unknown error rate {name} ({', '.join(names)})")
        overrides[name] = v
    try:
        return ext.ErrorRates.none(**overrides) if start_from_none else ext.ErrorRates(**overrides)
    except ValueError as exc:
        raise UserError(f"错误率无效：{exc}", f"invalid error rates: {exc}") from None
