"""`renkou` — the root command, error handling and exit codes (0 ok, 1 user error, 2 internal error)."""

from __future__ import annotations

import dataclasses
import sys
import traceback

import typer

from renkou.cli import benefits, data, registry, stats
from renkou.cli.context import State, console, err_console, state
from renkou.cli.serve import serve
from renkou.cli.synth import synth_app
from renkou.cli.users import user_app
from renkou.config import Settings
from renkou.core import idnumber
from renkou.errors import UserError, ValidationFailed

app = typer.Typer(
    help="renkou 人口：县乡人口监测与家庭服务信息系统。\n\nrenkou: county and township population monitoring and family services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
id_app = typer.Typer(help="身份证号码工具。ID number tools.", no_args_is_help=True)
app.add_typer(id_app, name="id")
app.add_typer(registry.person_app, name="person")
app.add_typer(registry.org_app, name="org")
app.add_typer(registry.event_app, name="event")
app.add_typer(synth_app, name="synth")
app.add_typer(user_app, name="user")
app.add_typer(benefits.benefits_app, name="benefits")
app.command("population", help=registry.population.__doc__)(registry.population)
app.command("audit", help=registry.audit.__doc__)(registry.audit)
app.command("import", help=data.import_.__doc__)(data.import_)
app.command("export", help=data.export.__doc__)(data.export)
app.command("template", help=data.template.__doc__)(data.template)
app.command("demo", help=data.demo.__doc__)(data.demo)
app.command("serve", help=serve.__doc__)(serve)
app.command("indicators", help=stats.indicators.__doc__)(stats.indicators)
app.command("report", help=stats.report.__doc__)(stats.report)
app.command("ledger", help=stats.ledger.__doc__)(stats.ledger)


@app.callback()
def root(
    ctx: typer.Context,
    db: str = typer.Option(None, "--db", help="数据库地址（默认取 RENKOU_DATABASE_URL，再默认 sqlite:///renkou.db）。Database URL."),
) -> None:
    settings = Settings.from_env()
    ctx.obj = State(dataclasses.replace(settings, database_url=db) if db else settings)
    ctx.call_on_close(ctx.obj.close)  # no connection outlives the command (in tests, many commands run in one process)


@app.command("init")
def init(ctx: typer.Context) -> None:
    """创建或升级数据库到最新结构。Create the database or upgrade it to the newest schema."""
    from sqlalchemy.exc import OperationalError

    from renkou.cli.context import safe_url
    from renkou.storage import migrate

    db = state(ctx).db(migrated=False)
    try:
        before = migrate.current(db)
        migrate.upgrade(db)
        after = migrate.current(db)
    except OperationalError as exc:
        url = safe_url(db.url)
        raise UserError(
            f"无法连接或写入数据库 {url}（数据库是否已创建？权限是否足够？）",
            f"cannot connect to or write the database {url} (does it exist? may this user write to it?)",
        ) from exc
    if before == after:
        console.print(f"数据库已是最新版本 {after}。The database is up to date ({after}).")
    else:
        console.print(f"数据库已升级：{before or '空'} → {after}。Database upgraded: {before or 'empty'} → {after}.")


@id_app.command("check")
def id_check(numbers: list[str] = typer.Argument(..., help="一个或多个身份证号码。One or more ID numbers.")) -> None:
    """校验身份证号码（GB 11643）：有效或无效及原因；任一无效时退出码为 1。
    Check ID numbers: valid or invalid with the reason; exit code 1 if any is invalid."""
    bad = 0
    for raw in numbers:
        num, problems = idnumber.validate(raw)
        if num is None:
            bad += 1
            reasons = "; ".join(f"{p.zh} / {p.en}" for p in problems)
            print(f"{raw}\t无效 invalid\t{reasons}")
        else:
            note = f"（由 15 位转换 converted from 15 digits: {num.value}）" if num.converted_from_15 else ""
            sex = "男 male" if num.sex == "M" else "女 female"
            print(f"{raw}\t有效 valid\t{num.birth_date.isoformat()} {sex} 地址码 address {num.address_code}{note}")
    if bad:
        raise typer.Exit(1)


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the CLI and maps outcomes to exit codes."""
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=argv, prog_name="renkou", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except ValidationFailed as exc:
        err_console.print(exc.bilingual())
        for p in exc.problems[:20]:
            err_console.print("  " + p.describe())
        if len(exc.problems) > 20:
            err_console.print(f"  … 另有 {len(exc.problems) - 20} 处 / {len(exc.problems) - 20} more")
        code = 1
    except UserError as exc:
        err_console.print(exc.bilingual())
        code = 1
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        err_console.print("已取消。Aborted.")
        code = 1
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument...
        show = getattr(exc, "show", None)
        if show:
            show()
        else:
            err_console.print(str(exc))
        code = 1
    except KeyboardInterrupt:
        err_console.print("已中断，未完成的事务已回滚。Interrupted; the unfinished transaction was rolled back.")
        code = 1
    except Exception:
        err_console.print("内部错误，请将以下信息报告给系统管理员。Internal error: please report the following to your administrator.")
        err_console.print(traceback.format_exc(), markup=False)
        code = 2
    sys.exit(code)
