"""`renkou benefits ...` — the annual cycle (apply, import, reviews, posting and its notice,
objections, confirmation, re-confirmation) and exits. ``attach`` adds these commands, and those of
renkou.cli.benefits_payments and renkou.cli.benefits_reports, to the ``benefits`` group."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.table import Table as RichTable
from sqlalchemy import select

from renkou.cli.benefits_common import (
    AS,
    DATE,
    PROGRAM,
    YEAR,
    acting,
    catalogue,
    eligibility,
    file_format,
    import_refused,
    person_in_scope,
    write_file,
)
from renkou.cli.context import console, parse_date_opt, state
from renkou.core.idnumber import mask
from renkou.errors import ValidationFailed

exits_app = typer.Typer(
    help="退出：自动提出建议，由县级确认或驳回。Exits: proposed from the registry, decided by the county.", no_args_is_help=True
)


# ------------------------------------------------------------------------------------------- the cycle


def apply(
    ctx: typer.Context,
    username: str = AS,
    program: str = PROGRAM,
    year: int = YEAR,
    person: str = typer.Option(
        ..., "--person", help="申请对象身份证号码（育儿补贴为婴幼儿）。The beneficiary's ID number (the child's, for childcare)."
    ),
    account: str = typer.Option(..., "--account", help="银行账号（一卡通）。Bank account (the benefit card)."),
    bank: str = typer.Option("", "--bank", help="开户银行。Bank."),
    payee: str = typer.Option(None, "--payee", help="领款人身份证号码（父母或监护人）。The payee's ID number (a parent or guardian)."),
    attest: list[str] = typer.Option(
        None, "--attest", help="申请人声明的事项（可重复），如 declaration（1973-2001年合规声明）。A fact attested (repeatable)."
    ),
    date: str = DATE,
) -> None:
    """录入申请（村级）。Enter an application (village worker)."""
    from renkou.benefits.cycle import applications

    db, off = acting(ctx, username)
    on = parse_date_opt(date)
    with db.write(off.actor) as s:
        app = applications.apply(
            s,
            off,
            catalogue(ctx),
            programme=program,
            person=person_in_scope(s, person, off, on),
            year=year,
            applied_on=on,
            account_no=account.strip(),
            bank=bank,
            payee=person_in_scope(s, payee, off, on) if payee else None,
            attested={k: on for k in attest or []},
        )
    console.print(f"已录入申请 {app.id}（{program} {year}），待村级审核。Application {app.id} entered; next: the village review.")


def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., help="CSV 或 XLSX：身份证号码、项目、年度、申请日期、银行账号[、开户银行、领款人身份证号码、声明事项]。"
    ),
    username: str = AS,
    errors: Path = typer.Option(None, "--errors", help="错误报告（.xlsx 或 .csv）。Write the error report here."),
) -> None:
    """批量导入申请：逐行校验，有任何错误则全部不导入。Import applications: any error and nothing is imported."""
    from renkou.benefits.cycle import intake

    db, off = acting(ctx, username)
    try:
        res = intake.import_file(db, off, catalogue(ctx), file)
    except ValidationFailed as exc:
        import_refused(exc, errors)
    console.print(f"已导入 {res.created:,} 份申请（{res.rows:,} 行）。Imported {res.created:,} application(s) from {res.rows:,} row(s).")


def applications(
    ctx: typer.Context,
    username: str = AS,
    program: str = typer.Option(None, "--program"),
    year: int = typer.Option(None, "--year"),
    status: str = typer.Option(
        None, "--status", help="applied | village_reviewed | posting | posted | township_reviewed | confirmed | rejected"
    ),
) -> None:
    """列出管辖范围内的申请（证件号脱敏）。List the applications of your area (ID numbers masked)."""
    from renkou.benefits.cycle import applications
    from renkou.storage.schema import OrgUnit, Person

    db, off = acting(ctx, username)
    with db.read() as s:
        apps = applications.list_applications(s, off, programme=program, year=year, status=status)
        t = RichTable(title=f"申请 Applications（{len(apps)}）")
        for c in (
            "#",
            "项目 programme",
            "年度 year",
            "姓名 name",
            "身份证号码 ID",
            "单位 unit",
            "申请日期 applied",
            "状态 status",
            "账号 account",
        ):
            t.add_column(c)
        for a in apps:
            p, u = s.get(Person, a.person_id), s.get(OrgUnit, a.unit_id)
            t.add_row(
                str(a.id),
                a.programme,
                str(a.year),
                p.name,
                mask(p.id_number) if p.id_number else "",
                u.code,
                a.applied_on.isoformat(),
                a.status,
                applications.mask_account(a.account_no),
            )
    console.print(t)


def show(ctx: typer.Context, number: int = typer.Argument(..., help="申请编号。Application number."), username: str = AS) -> None:
    """显示申请的各环节与异议。Show an application: its steps and objections."""
    from renkou.benefits.cycle import applications, objections
    from renkou.storage.schema import Person

    db, off = acting(ctx, username)
    with db.read() as s:
        a = applications.get_application(s, off, number)
        p = s.get(Person, a.person_id)
        console.print(
            f"申请 {a.id}：{p.name} {mask(p.id_number) if p.id_number else ''}  {a.programme} {a.year}  状态 status: {a.status}  "
            f"账号 account {applications.mask_account(a.account_no)}  声明 attested: {', '.join(a.attested) or '—'}"
        )
        t = RichTable(title="环节 Steps")
        for c in ("环节 step", "日期 date", "账号 by", "说明 note"):
            t.add_column(c)
        for st in applications.steps(s, a):
            t.add_row(f"{applications.STEPS[st.step][0]} {st.step}", st.done_on.isoformat(), st.account, st.note)
        console.print(t)
        for o in objections.for_application(s, off, a.id):
            console.print(
                f"异议 objection {o.id}（{o.raised_on}，{o.objector or '匿名 anonymous'}）：{o.content} → "
                f"{objections.OUTCOMES[o.outcome][0] + '：' + (o.resolution or '') if o.outcome else '未处理 open'}"
            )


def _review(ctx, step: str, number: int, username: str, date: str | None, reject: bool, reason: str) -> None:
    """The village's or the township's review."""
    from renkou.benefits.cycle import applications

    db, off = acting(ctx, username)
    with db.write(off.actor, reason=reason or "") as s:
        a = getattr(applications, step)(s, off, number, on=parse_date_opt(date), approve=not reject, note=reason or "")
        status = a.status
    due = applications.DUE.get(status)
    nxt = f"下一步：{due[1]}。Next: {due[2]}." if due else "已不予通过。Rejected."
    console.print(f"申请 {number}：{status}。Application {number}: {status}. {nxt}")


REJECT = typer.Option(False, "--reject", help="不予通过（须写明原因）。Reject (give the reason).")
REASON = typer.Option("", "--reason", help="意见或不予通过的原因。Note, or the reason for rejecting.")


def village_review(
    ctx: typer.Context, number: int = typer.Argument(...), username: str = AS, date: str = DATE, reject: bool = REJECT, reason: str = REASON
) -> None:
    """村级审核。The village review."""
    _review(ctx, "village_review", number, username, date, reject, reason)


def township_review(
    ctx: typer.Context, number: int = typer.Argument(...), username: str = AS, date: str = DATE, reject: bool = REJECT, reason: str = REASON
) -> None:
    """乡镇审核（公示结束且异议均已处理后）。The township review (after the posting, with no objection open)."""
    _review(ctx, "township_review", number, username, date, reject, reason)


def confirm(
    ctx: typer.Context, number: int = typer.Argument(...), username: str = AS, date: str = DATE, reject: bool = REJECT, reason: str = REASON
) -> None:
    """县级确认：资格核查通过后成为享受对象。The county confirmation: after the svc check, a recipient."""
    from renkou.benefits.cycle import applications

    db, off = acting(ctx, username)
    on = parse_date_opt(date)
    svc = eligibility(ctx)
    with db.write(off.actor, reason=reason or "") as s:
        rec = applications.confirm(s, off, svc, number, on=on, approve=not reject, note=reason or "")
    if rec is None:
        console.print(f"申请 {number} 不予通过。Application {number} rejected.")
    else:
        console.print(f"申请 {number} 已确认，享受对象 {rec.id}。Application {number} confirmed: recipient {rec.id}.")


def post(
    ctx: typer.Context,
    username: str = AS,
    program: str = PROGRAM,
    year: int = YEAR,
    village: str = typer.Option(..., "--village", help="村（居）代码。Village code."),
    date: str = DATE,
) -> None:
    """张榜公示：该村已通过村级审核的申请（公示天数见 RENKOU_BENEFIT_POSTING_DAYS）。Post a village's reviewed applications."""
    from renkou.benefits.cycle import posting
    from renkou.storage.schema import BenefitApplication

    db, off = acting(ctx, username)
    on = parse_date_opt(date)
    with db.write(off.actor) as s:
        p = posting.post(s, off, state(ctx).settings, programme=program, year=year, village=village, starts_on=on)
        n = len(s.scalars(select(BenefitApplication.id).where(BenefitApplication.posting_id == p.id)).all())
    console.print(
        f"公示 {p.id}：{n} 份申请，自 {p.starts_on} 起公示 {p.days} 天，最早 {p.starts_on + dt.timedelta(days=p.days)} 结束。"
        f" Posting {p.id}: {n} application(s), {p.days} days from {p.starts_on}."
    )


def post_end(
    ctx: typer.Context, number: int = typer.Argument(..., help="公示编号。Posting number."), username: str = AS, date: str = DATE
) -> None:
    """结束公示（公示期满后）。End a posting once its days have passed."""
    from renkou.benefits.cycle import posting

    db, off = acting(ctx, username)
    with db.write(off.actor) as s:
        p = posting.end_posting(s, off, number, on=parse_date_opt(date))
    console.print(f"公示 {p.id} 已于 {p.closed_on} 结束，申请待乡镇审核。Posting {p.id} ended; the applications await the township.")


def notice(
    ctx: typer.Context,
    number: int = typer.Argument(..., help="公示编号。Posting number."),
    username: str = AS,
    out: Path = typer.Option(..., "-o", "--out", help="输出文件 .pdf 或 .xlsx。Output file."),
    fmt: str = typer.Option(None, "--format", help="pdf | xlsx"),
    lang: str = typer.Option("zh", "--lang"),
) -> None:
    """打印公示名单（姓名、脱敏身份证号、村、项目、金额）。The printable notice of a posting."""
    from renkou.benefits.cycle import posting
    from renkou.stats import render

    f = file_format(fmt, out, ("pdf", "xlsx"))
    db, off = acting(ctx, username)
    svc = eligibility(ctx)
    with db.read() as s:
        t = posting.notice(s, off, svc, svc.programmes, number)
    write_file(render.to_pdf(t, lang) if f == "pdf" else render.to_xlsx(t, lang), out)


def object_(
    ctx: typer.Context,
    number: int = typer.Argument(..., help="申请编号。Application number."),
    username: str = AS,
    date: str = DATE,
    content: str = typer.Option(..., "--content", help="异议内容。What the objection says."),
    objector: str = typer.Option("", "--objector", help="提出人（可匿名）。Who objects (may be left out)."),
) -> None:
    """登记公示期间的异议。Record an objection during the posting."""
    from renkou.benefits.cycle import objections

    db, off = acting(ctx, username)
    with db.write(off.actor) as s:
        o = objections.raise_objection(s, off, number, raised_on=parse_date_opt(date), content=content, objector=objector)
    console.print(f"已登记异议 {o.id}；处理前不能乡镇审核。Objection {o.id} recorded; the township review waits for its resolution.")


def resolve(
    ctx: typer.Context,
    number: int = typer.Argument(..., help="异议编号。Objection number."),
    username: str = AS,
    date: str = DATE,
    outcome: str = typer.Option(..., "--outcome", help="upheld 异议成立（申请不予通过）| dismissed 异议不成立"),
    resolution: str = typer.Option(..., "--resolution", help="核实情况与处理意见。What was found and decided."),
) -> None:
    """处理异议（乡镇）。Resolve an objection (township)."""
    from renkou.benefits.cycle import objections

    db, off = acting(ctx, username)
    with db.write(off.actor, reason=resolution) as s:
        o = objections.resolve(s, off, number, outcome=outcome, resolution=resolution, on=parse_date_opt(date))
    console.print(f"异议 {o.id}：{objections.OUTCOMES[o.outcome][0]}。Objection {o.id}: {o.outcome}.")


def reconfirm(ctx: typer.Context, username: str = AS, program: str = PROGRAM, year: int = YEAR, date: str = DATE) -> None:
    """年度资格确认：在册对象逐一核查，符合的确认，不符合的提出退出建议。Re-confirm recipients for a new year."""
    from renkou.benefits.cycle import renewal

    db, off = acting(ctx, username)
    svc = eligibility(ctx)
    with db.write(off.actor, note=f"reconfirm {program} {year}") as s:
        r = renewal.reconfirm(s, off, svc, programme=program, year=year, on=parse_date_opt(date))
    console.print(
        f"{program} {year}：确认 {len(r.renewed)} 人，提出退出建议 {len(r.proposed)} 条，待处理 {len(r.waiting)} 人。"
        f" Re-confirmed {len(r.renewed)}, {len(r.proposed)} exit proposal(s), {len(r.waiting)} waiting."
    )
    for rid, zh, en in r.waiting:
        console.print(f"  享受对象 recipient {rid}: {zh} / {en}")


# ----------------------------------------------------------------------------------------------- exits


@exits_app.command("detect")
def exits_detect(ctx: typer.Context, username: str = AS, date: str = DATE, program: str = typer.Option(None, "--program")) -> None:
    """从登记事件中发现退出情形（死亡、再生育或收养、子女年龄、迁出）并提出建议。Propose exits from the registry's events."""
    from renkou.benefits.cycle import exits

    db, off = acting(ctx, username)
    with db.write(off.actor, note="detect exits") as s:
        new = exits.detect(s, off, catalogue(ctx), as_of=parse_date_opt(date), programme=program)
        rows = [(e.id, e.recipient_id, e.cause, e.effective_on) for e in new]
    console.print(f"新提出退出建议 {len(rows)} 条。{len(rows)} new exit proposal(s).")
    for n, rid, cause, on in rows:
        console.print(f"  {n}: 享受对象 recipient {rid}  {exits.CAUSES[cause][0]} {cause}  {on}")


@exits_app.command("list")
def exits_list(
    ctx: typer.Context,
    username: str = AS,
    status: str = typer.Option(None, "--status", help="proposed | confirmed | dismissed"),
    program: str = typer.Option(None, "--program"),
) -> None:
    """列出退出建议。List exits."""
    from renkou.benefits.cycle import exits
    from renkou.storage.schema import Person

    db, off = acting(ctx, username)
    with db.read() as s:
        rows = exits.list_exits(s, off, status=status, programme=program)
        t = RichTable(title=f"退出 Exits（{len(rows)}）")
        for c in ("#", "项目 programme", "姓名 name", "原因 cause", "生效 effective", "依据 detail", "状态 status", "迁入地通知 notice"):
            t.add_column(c)
        for e, r in rows:
            t.add_row(
                str(e.id),
                r.programme,
                s.get(Person, r.person_id).name,
                f"{exits.CAUSES[e.cause][0]} {e.cause}",
                e.effective_on.isoformat(),
                e.detail,
                e.status,
                e.notice or "",
            )
    console.print(t)


def _decide(ctx, number: int, username: str, date: str | None, confirm: bool, notice: str, reason: str) -> None:
    from renkou.benefits.cycle import exits

    db, off = acting(ctx, username)
    with db.write(off.actor) as s:
        e = exits.decide(s, off, number, confirm=confirm, on=parse_date_opt(date), notice=notice, reason=reason)
    console.print(f"退出建议 {e.id}：{e.status}（生效 {e.effective_on}）。Exit {e.id}: {e.status}, effective {e.effective_on}.")


@exits_app.command("confirm")
def exits_confirm(
    ctx: typer.Context,
    number: int = typer.Argument(...),
    username: str = AS,
    date: str = DATE,
    notice: str = typer.Option("", "--notice", help="迁入地县级部门的通知文号（迁出时必填）。The receiving county's notice (moving away)."),
    reason: str = typer.Option("", "--reason"),
) -> None:
    """确认退出：自生效日所在月之后不再发放。Confirm an exit: nothing is paid for the months after it."""
    _decide(ctx, number, username, date, True, notice, reason)


@exits_app.command("dismiss")
def exits_dismiss(
    ctx: typer.Context,
    number: int = typer.Argument(...),
    username: str = AS,
    date: str = DATE,
    reason: str = typer.Option(..., "--reason", help="驳回原因。Why."),
) -> None:
    """驳回退出建议。Dismiss an exit proposal."""
    _decide(ctx, number, username, date, False, "", reason)


def attach(app: typer.Typer) -> None:
    """Add the cycle's, the payments' and the reports' commands and groups to the ``benefits`` group."""
    from renkou.cli import benefits_payments, benefits_reports

    commands = {
        "apply": apply,
        "import": import_,
        "applications": applications,
        "show": show,
        "village-review": village_review,
        "post": post,
        "post-end": post_end,
        "notice": notice,
        "object": object_,
        "resolve": resolve,
        "township-review": township_review,
        "confirm": confirm,
        "reconfirm": reconfirm,
        "recipients": benefits_payments.recipients_,
        "account": benefits_payments.account,
        "report": benefits_reports.report,
    }
    for name, fn in commands.items():
        app.command(name, help=fn.__doc__)(fn)
    for name, group in {"exits": exits_app, "batch": benefits_payments.batch_app, "coverage": benefits_reports.coverage_app}.items():
        app.add_typer(group, name=name)
