"""`renkou benefits batch ...` (payment batches: create, check, clear, void, release, export, import
the bank's result), `recipients` and `account`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table as RichTable

from renkou.cli.benefits_common import AS, DATE, PROGRAM, acting, catalogue, eligibility, file_format, import_refused, write_file
from renkou.cli.context import console, parse_date_opt, state
from renkou.core.idnumber import mask
from renkou.errors import UserError, ValidationFailed

batch_app = typer.Typer(help="发放批次：建立、核查、放行、导出银行文件、导入回盘。Payment batches.", no_args_is_help=True)


def recipients_(
    ctx: typer.Context,
    username: str = AS,
    program: str = typer.Option(None, "--program"),
    year: int = typer.Option(None, "--year"),
    all_: bool = typer.Option(False, "--all", help="包括已退出的。Include those who exited."),
) -> None:
    """列出享受对象（证件号、账号脱敏）。List recipients (ID and account numbers masked)."""
    from renkou.benefits.cycle import applications, recipients
    from renkou.storage.schema import Person

    db, off = acting(ctx, username)
    with db.read() as s:
        rows = recipients.list_recipients(s, off, programme=program, year=year, open_only=not all_)
        t = RichTable(title=f"享受对象 Recipients（{len(rows)}）")
        for c in ("#", "项目 programme", "姓名 name", "身份证号码 ID", "领款人 payee", "账号 account", "起 since", "止 until"):
            t.add_column(c)
        for r in rows:
            p, payee = s.get(Person, r.person_id), s.get(Person, r.payee_id)
            t.add_row(
                str(r.id),
                r.programme,
                p.name,
                mask(p.id_number) if p.id_number else "",
                payee.name,
                applications.mask_account(r.account_no),
                r.since.isoformat(),
                r.ended_on.isoformat() if r.ended_on else "",
            )
    console.print(t)


def account(
    ctx: typer.Context,
    number: int = typer.Argument(..., help="享受对象编号。Recipient number."),
    username: str = AS,
    account_no: str = typer.Option(..., "--account"),
    bank: str = typer.Option(None, "--bank"),
    reason: str = typer.Option(..., "--reason", help="变更原因（写入审计日志）。Why (audited)."),
    date: str = DATE,
) -> None:
    """变更收款账户（尚未提交银行的款项随之变更）。Change a recipient's account."""
    from renkou.benefits.cycle import applications, recipients

    db, off = acting(ctx, username)
    with db.write(off.actor) as s:
        r = recipients.set_account(s, off, number, account_no=account_no.strip(), bank=bank, reason=reason, on=parse_date_opt(date))
    console.print(
        f"享受对象 {r.id} 的账户已改为 {applications.mask_account(r.account_no)}。Recipient {r.id}'s account is now {applications.mask_account(r.account_no)}."
    )


# --------------------------------------------------------------------------------------------- batches


@batch_app.command("create")
def batch_create(
    ctx: typer.Context,
    username: str = AS,
    program: str = PROGRAM,
    period: str = typer.Option(..., "--period", help="2025（全年）或 2025Q1（季度）。A year or a quarter."),
    date: str = DATE,
) -> None:
    """建立发放批次（已录入的款项不会重复录入）。Create a payment batch (money already entered is never entered again)."""
    from renkou.benefits.payments import batches

    db, off = acting(ctx, username)
    svc = eligibility(ctx)
    with db.write(off.actor, note=f"payment batch {program} {period}") as s:
        b = batches.create_batch(s, off, svc, programme=program, period=period, on=parse_date_opt(date))
        tot = batches.totals(s, b)
    n, amount = tot.get("pending", (0, 0))
    console.print(
        f"发放批次 {b.id}：{n} 笔，合计 {amount} 元，待核查放行。Batch {b.id}: {n} line(s), {amount} yuan; next: check and release."
    )


@batch_app.command("check")
def batch_check(ctx: typer.Context, number: int = typer.Argument(...), username: str = AS, date: str = DATE) -> None:
    """核查批次：死亡、不符合条件、重复享受、互斥项目、共用账户。Check a batch before release."""
    from renkou.benefits.payments import checks

    db, off = acting(ctx, username)
    svc = eligibility(ctx)
    with db.write(off.actor) as s:
        found = checks.run(s, off, svc, number, on=parse_date_opt(date))
        rows = [(f.id, f.line_id, f.kind, f.detail) for f in found]
    console.print(
        f"批次 {number}：{len(rows)} 项发现待处理（对应款项已拦截）。Batch {number}: {len(rows)} finding(s) open, their lines blocked."
    )
    for fid, lid, kind, detail in rows:
        console.print(f"  发现 finding {fid}  款项 line {lid}  {checks.KINDS[kind][0]} {kind}: {detail}")


@batch_app.command("show")
def batch_show(ctx: typer.Context, number: int = typer.Argument(...), username: str = AS) -> None:
    """显示批次的款项与核查发现（证件号、账号脱敏）。Show a batch's lines and findings."""
    from renkou.benefits.cycle import applications
    from renkou.benefits.payments import batches, checks, line_workflow
    from renkou.storage.schema import Person

    db, off = acting(ctx, username)
    with db.read() as s:
        b = batches.get_batch(s, off, number)
        lines = batches.lines_of(s, b)
        open_ = checks.open_findings(s, [ln.id for ln in lines])
        t = RichTable(title=f"批次 Batch {b.id}  {b.programme} {b.period}  {b.status}")
        for c in (
            "款项 line",
            "姓名 name",
            "身份证号码 ID",
            "期间 period",
            "月数 months",
            "金额 amount",
            "账号 account",
            "状态 status",
            "发现 findings",
        ):
            t.add_column(c)
        for ln in lines:
            p = s.get(Person, ln.person_id)
            t.add_row(
                str(ln.id),
                p.name,
                mask(p.id_number) if p.id_number else "",
                ln.period,
                str(ln.months),
                f"{ln.amount}",
                applications.mask_account(ln.account_no),
                ln.status,
                "; ".join(f"{f.id}:{f.kind}" for f in open_.get(ln.id, [])),
            )
    console.print(t)
    for status, (n, amount) in sorted(batches.totals_by(lines).items()):
        console.print(f"  {line_workflow.STATUSES[status][0]} {status}: {n} 笔 line(s), {amount} 元 yuan")


@batch_app.command("clear")
def batch_clear(
    ctx: typer.Context,
    number: int = typer.Argument(..., help="核查发现编号。Finding number."),
    username: str = AS,
    reason: str = typer.Option(..., "--reason", help="解除原因（写入审计日志）。Why (audited)."),
    date: str = DATE,
) -> None:
    """解除一项核查发现。Clear a finding, with the reason."""
    from renkou.benefits.payments import checks

    db, off = acting(ctx, username)
    with db.write(off.actor) as s:
        f = checks.clear(s, off, number, reason=reason, on=parse_date_opt(date))
    console.print(f"核查发现 {f.id} 已解除。Finding {f.id} cleared.")


@batch_app.command("void")
def batch_void(
    ctx: typer.Context,
    number: int = typer.Argument(..., help="款项编号。Line number."),
    username: str = AS,
    reason: str = typer.Option(..., "--reason"),
    date: str = DATE,
) -> None:
    """作废一笔未提交银行的款项（不再发放）。Void a line not yet at the bank."""
    from renkou.benefits.payments import batches

    db, off = acting(ctx, username)
    with db.write(off.actor) as s:
        ln = batches.void_line(s, off, number, reason=reason, on=parse_date_opt(date))
    console.print(f"款项 {ln.id} 已作废。Line {ln.id} voided.")


@batch_app.command("release")
def batch_release(ctx: typer.Context, number: int = typer.Argument(...), username: str = AS, date: str = DATE) -> None:
    """核查并放行批次；有未解除发现的款项留待处理。Check and release a batch; lines with open findings stay behind."""
    from renkou.benefits.payments import release

    db, off = acting(ctx, username)
    svc = eligibility(ctx)
    with db.write(off.actor) as s:
        b, released, held = release.release(s, off, svc, number, on=parse_date_opt(date))
        total = sum((ln.amount for ln in released), 0)
    if not released:  # the findings are saved; the batch waits as a draft
        raise UserError(
            f"批次 {number} 没有可发放的款项：{len(held)} 笔被核查拦截，核查发现已记录，请解除或作废后再放行",
            f"batch {number} has nothing to release: {len(held)} line(s) blocked; the findings are recorded — clear or void them, then release",
            code="step_refused",
        )
    console.print(
        f"批次 {b.id} 已放行：{len(released)} 笔，合计 {total} 元；{len(held)} 笔因核查发现暂缓。"
        f" Batch {b.id} released: {len(released)} line(s), {total} yuan; {len(held)} held back."
    )


@batch_app.command("export")
def batch_export(
    ctx: typer.Context,
    number: int = typer.Argument(...),
    username: str = AS,
    out: Path = typer.Option(..., "-o", "--out", help="输出文件 .csv 或 .xlsx。Output file."),
    fmt: str = typer.Option(None, "--format", help="csv | xlsx"),
    layout: Path = typer.Option(None, "--layout", help="银行文件格式（JSON），默认一卡通格式。The bank's layout (JSON)."),
) -> None:
    """导出银行代发文件（可重复导出，不会重复入账）。Export the bank file (again if needed; never paid twice)."""
    from renkou.benefits.payments import bankfile

    f = file_format(fmt, out, ("csv", "xlsx"))
    lay = bankfile.load_layout(layout, state(ctx).settings)
    db, off = acting(ctx, username)
    with db.write(off.actor, note=f"bank file batch {number}") as s:
        data = bankfile.export(s, off, catalogue(ctx), number, lay, f, file_name=out.name)
    write_file(data, out)


@batch_app.command("import-result")
def batch_import_result(
    ctx: typer.Context,
    number: int = typer.Argument(...),
    file: Path = typer.Argument(..., help="银行回盘文件 CSV 或 XLSX。"),
    username: str = AS,
    date: str = DATE,
    layout: Path = typer.Option(None, "--layout", help="银行文件格式（JSON）。The bank's layout (JSON)."),
    errors: Path = typer.Option(None, "--errors", help="错误报告（.xlsx 或 .csv）。"),
) -> None:
    """导入银行回盘：成功的入账，失败的（账号错误、已销户等）连同原因重新排队。Import the bank's result."""
    from renkou.benefits.payments import bankfile

    lay = bankfile.load_layout(layout, state(ctx).settings)
    db, off = acting(ctx, username)
    try:
        res = bankfile.import_result(db, off, number, file, lay, on=parse_date_opt(date))
    except ValidationFailed as exc:
        import_refused(exc, errors)
    console.print(
        f"回盘已导入：{res.rows} 行，新记录 {res.created}，此前已导入 {res.unchanged}。"
        f" Bank result imported: {res.rows} row(s), {res.created} new, {res.unchanged} already known."
    )
