"""What the `renkou benefits` commands of the cycle, payments and reports share: acting as an account
(``--as USER``: its role decides what it may do, its unit what it may see, exactly as in the web
application; the changeset names the account, with the operating-system user and host as origin),
the eligibility service, and writing files."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from renkou.cli.context import console, err_console, state
from renkou.errors import UserError, ValidationFailed

if TYPE_CHECKING:  # the service is imported when a command needs it (the CLI starts fast)
    from renkou.benefits.eligibility.service import Eligibility

AS = typer.Option(..., "--as", help="以哪个账号办理（角色与管辖范围以该账号为准）。The account acting (its role and area apply).")
DATE = typer.Option(None, "--date", help="办理日期 YYYY-MM-DD，默认今天。Date of the step (default today).")
PROGRAM = typer.Option(..., "--program", help="项目 programme: reward 奖扶 | special 特扶 | onechild 独生子女父母奖励 | childcare 育儿补贴")
YEAR = typer.Option(..., "--year", help="年度。Year.")


def acting(ctx: typer.Context, username: str):
    from renkou.auth.officer import Officer

    try:
        origin = f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):
        origin = socket.gethostname()
    db = state(ctx).db()
    with db.read() as s:
        return db, Officer.of(s, username, channel="cli", origin=origin)


def eligibility(ctx: typer.Context) -> Eligibility:
    """The eligibility service, one per command, on the statistics model `renkou benefits candidates` uses."""
    from renkou.benefits.eligibility.service import Eligibility

    st = state(ctx)
    if st.__dict__.get("_eligibility") is None:
        st.__dict__["_eligibility"] = Eligibility(st.db(), st.settings, stats=st.stats())
    return st.__dict__["_eligibility"]


def catalogue(ctx: typer.Context) -> dict:
    from renkou.benefits.rules import programmes

    return programmes.load(state(ctx).settings)


def person_in_scope(s, key: str, officer, on: dt.date):
    from renkou.registry import persons

    return persons.get_person(s, key, scope=officer.scope, date=on)


def write_file(data: bytes, out: Path) -> None:
    out.write_bytes(data)
    err_console.print(f"已写入 {out}。Written to {out}.")


def file_format(fmt: str | None, out: Path, allowed: tuple[str, ...]) -> str:
    f = (fmt or out.suffix.lstrip(".")).lower()
    if f not in allowed:
        raise UserError(
            f"不支持的格式 {f or '?'}（可选：{', '.join(allowed)}）", f"unsupported format {f or '?'} (one of: {', '.join(allowed)})"
        )
    return f


def import_refused(exc: ValidationFailed, errors: Path | None) -> None:
    from renkou.exchange import importer

    res = exc.result
    if res is not None and errors is not None:
        importer.write_report(res, errors)
        err_console.print(f"错误报告已写入 {errors}。The error report is in {errors}.")
    n = res.n_problems if res is not None else len(exc.problems)
    raise ValidationFailed(
        exc.problems, f"导入被拒绝：{n} 处错误，未导入任何数据。", f"Import refused: {n} problem(s); nothing was imported."
    ) from None


def emit(t, fmt: str | None, out: Path | None, lang: str) -> None:
    from renkou.stats import render

    f = (fmt or (out.suffix.lstrip(".") if out else "json")).lower()
    if f not in ("xlsx", "pdf", "csv", "json"):
        raise UserError(f"不支持的格式 {f}", f"unsupported format {f}")
    if f in ("xlsx", "pdf") and out is None:
        raise UserError(f"{f} 格式需要用 -o 指定输出文件", f"the {f} format needs an output file (-o)")
    data = {
        "json": lambda: json.dumps(t.to_json(), ensure_ascii=False, indent=1, default=str).encode(),
        "csv": lambda: render.to_csv(t, lang),
        "xlsx": lambda: render.to_xlsx(t, lang),
        "pdf": lambda: render.to_pdf(t, lang),
    }[f]()
    if out is None:
        console.print(data.decode("utf-8-sig"), soft_wrap=True)
    else:
        write_file(data, out)
