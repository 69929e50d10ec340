"""Commands over the registry: persons, organisation units, events, population, audit.

The writes act as the system officer (renkou.auth.officer.Officer.system): county-wide, signed in the
audit trail by the operating-system user on this host."""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table

from renkou.auth.officer import Officer
from renkou.cli.context import console, parse_date_opt, state
from renkou.core import basis as basis_mod
from renkou.core.idnumber import mask
from renkou.core.vocab import ETHNICITIES, MARITAL_STATUSES, RELATIONS
from renkou.errors import UserError
from renkou.registry import asof, events, orgs, persons
from renkou.registry import audit as audit_svc
from renkou.storage.db import Actor

person_app = typer.Typer(help="人员查询与修改。Persons: show, search, amend.", no_args_is_help=True)
org_app = typer.Typer(help="组织机构及其历史（区划调整、并村）。Organisation units and their history.", no_args_is_help=True)
event_app = typer.Typer(help="事件更正与撤销（原记录保留）。Correct or retract events (the original stays).", no_args_is_help=True)


@person_app.command("show")
def person_show(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="身份证号码或临时编号。ID number or temporary key."),
    date: str = typer.Option(None, "--date", help="状态日期，默认今天。State as of this date (default today)."),
    reveal: str = typer.Option(
        None, "--reveal", help="显示完整证件号并写入审计日志，需填写原因。Show the full ID number; give the reason (audited)."
    ),
) -> None:
    """显示人员详情、当日状态与事件时间线。Show a person, their state on a date and their timeline."""
    d = parse_date_opt(date)
    db = state(ctx).db()
    with db.write(Actor.local()) if reveal else db.read() as s:
        p = persons.get_person(s, key)
        shown = audit_svc.reveal(s, p, "id_number", reveal) if reveal else (mask(p.id_number) if p.id_number else "")
        st = asof.person_state(s, p, d)
        t = Table(title=f"{p.name}（{d} 状态 / state on {d}）", show_header=False)
        rows = [
            ("身份证号码 ID number", shown or "—"),
            ("临时编号 temp key", p.temp_key or "—"),
            ("性别 sex", "男 M" if p.sex == "M" else "女 F"),
            ("出生日期 birth date", p.birth_date.isoformat()),
            ("年龄 age", str(st.age) if st.age is not None else "—"),
            ("民族 ethnicity", ETHNICITIES.get(p.ethnicity, ("?", ""))[0]),
            ("在世 alive", "是 yes" if st.alive else "否 no"),
            ("户籍地 hukou unit", st.hukou_unit or "—"),
            ("居住地 residence", st.residence_unit or "—"),
            ("户口性质 hukou type", st.hukou_type or "—"),
            ("户编号 household", st.household or "—"),
            ("与户主关系 relation", RELATIONS.get(st.relation or "", ("—", ""))[0]),
            ("婚姻状况 marital status", " ".join(MARITAL_STATUSES[st.marital_status])),
            ("存活子女 living children", str(st.living_children)),
            ("记录版本 version", str(p.version)),
        ]
        for k, v in rows:
            t.add_row(k, v)
        console.print(t)
        for f in persons.findings(p):
            console.print(f"数据质量提示 / data-quality finding: {f.zh} / {f.en}", style="yellow")
        tl = Table(title="事件 Events")
        for c in ("#", "日期 date", "类型 kind", "来源 source", "说明 note"):
            tl.add_column(c)
        rule = state(ctx).settings.birth_order_rule
        for e in events.timeline(s, p):
            role = "" if e.person_id == p.id else ("(配偶 partner)" if e.partner_id == p.id else "(父母 parent)")
            note = f"更正 #{e.supersedes_id}: {e.reason}" if e.supersedes_id else ""
            if e.kind == "birth" and e.mother_id is not None:
                note = f"孩次 birth order {asof.birth_order(s, e, rule)} ({rule}) " + note
            tl.add_row(str(e.id), e.date.isoformat(), f"{e.kind} {role}", e.source, note)
        console.print(tl)


@person_app.command("search")
def person_search(
    ctx: typer.Context,
    text: str = typer.Argument(
        ..., help="姓名、身份证号码（或前 6 位以上）或临时编号。Name, ID number (or a prefix of 6+ digits) or temporary key."
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
) -> None:
    """按姓名或证件号查找人员（证件号脱敏显示）。Find persons by name or ID number (masked)."""
    with state(ctx).db().read() as s:
        found = persons.search(s, text, limit=limit)
        t = Table(title=f"{len(found)} 人 / persons")
        t.add_column("身份证号码 ID", no_wrap=True, min_width=18)
        for c in ("临时编号 temp key", "姓名 name", "性别 sex", "出生日期 born"):
            t.add_column(c)
        for p in found:
            t.add_row(mask(p.id_number) if p.id_number else "", p.temp_key or "", p.name, p.sex, p.birth_date.isoformat())
        console.print(t)


@person_app.command("amend")
def person_amend(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="身份证号码或临时编号。ID number or temporary key."),
    version: int = typer.Option(
        ..., "--version", help="您查看时的记录版本（person show 显示）。The version you looked at (shown by person show)."
    ),
    reason: str = typer.Option(..., "--reason", help="修改原因（写入审计日志）。Reason (audited)."),
    name: str = typer.Option(None, "--name"),
    sex: str = typer.Option(None, "--sex"),
    birth_date: str = typer.Option(None, "--birth-date"),
    id_number: str = typer.Option(None, "--id-number"),
    ethnicity: str = typer.Option(None, "--ethnicity"),
) -> None:
    """修改人员身份信息；若他人已先保存则拒绝。Amend identity fields; refused if someone saved first."""
    changes: dict[str, object] = {k: v for k, v in {"name": name, "sex": sex, "id_number": id_number, "ethnicity": ethnicity}.items() if v}
    if birth_date:
        changes["birth_date"] = parse_date_opt(birth_date, "--birth-date")
    if not changes:
        raise UserError("没有要修改的字段", "nothing to change")
    officer = Officer.system()  # the command line acts county-wide, signed by the operating-system user
    with state(ctx).db().write(officer.actor, reason=reason) as s:
        p = persons.amend_person(s, officer, key, expected_version=version, reason=reason, **changes)
        console.print(f"已保存，当前版本 {p.version}。Saved; the record is now version {p.version}.")


@org_app.command("tree")
def org_tree(
    ctx: typer.Context,
    org: str = typer.Option(None, "--org", help="起始单位代码。Start at this unit."),
    date: str = typer.Option(None, "--date", help="按该日的区划。The tree as it stood on this date."),
) -> None:
    """显示某日的组织机构树。Show the organisation tree as it stood on a date."""
    d = parse_date_opt(date)
    with state(ctx).db().read() as s:
        h = orgs.Hierarchy.as_of(s, d)
        for depth, u in h.walk(org):
            console.print(f"{'  ' * depth}{u.code}  {u.name}  [{u.level}]")


@org_app.command("history")
def org_history(ctx: typer.Context, code: str = typer.Argument(...)) -> None:
    """显示单位的设立、更名、调整、合并与拆分历史。Show a unit's creations, renames, merges and splits."""
    with state(ctx).db().read() as s:
        for r in orgs.history(s, code):
            rest = ", ".join(f"{k}={v}" for k, v in r.items() if k not in ("date", "what"))
            console.print(f"{r['date']}  {r['what']}  {rest}")


@org_app.command("rename")
def org_rename(
    ctx: typer.Context,
    code: str = typer.Argument(...),
    name: str = typer.Option(..., "--name"),
    date: str = typer.Option(..., "--date", help="生效日期。Effective date."),
) -> None:
    """单位更名（自生效日起）。Rename a unit from a date."""
    with state(ctx).db().write(Actor.local()) as s:
        orgs.rename(s, code, name, parse_date_opt(date))
    console.print("已更名。Renamed.")


@org_app.command("merge")
def org_merge(
    ctx: typer.Context,
    codes: list[str] = typer.Argument(..., help="被合并（撤销）的单位。Units that cease."),
    into: str = typer.Option(..., "--into", help="合并后的单位。The unit they merge into."),
    date: str = typer.Option(..., "--date", help="生效日期。Effective date."),
) -> None:
    """并村：若干单位自某日起并入另一单位，人员与记录随之转入。Merge units into another from a date."""
    with state(ctx).db().write(Actor.local()) as s:
        orgs.merge(s, codes, into, parse_date_opt(date))
    console.print("已合并。Merged.")


@event_app.command("retract")
def event_retract(ctx: typer.Context, event_id: int = typer.Argument(...), reason: str = typer.Option(..., "--reason")) -> None:
    """撤销一条误录事件（新增撤销记录，原记录保留）。Withdraw an event recorded in error."""
    officer = Officer.system()
    with state(ctx).db().write(officer.actor) as s:
        ev = events.retract(s, officer, event_id, reason=reason)
    console.print(f"已撤销，撤销记录 #{ev.id}。Retracted by event #{ev.id}.")


@event_app.command("correct")
def event_correct(
    ctx: typer.Context,
    event_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason"),
    date: str = typer.Option(None, "--date", help="更正后的日期。The corrected date."),
    place: str = typer.Option(None, "--place"),
    certificate_no: str = typer.Option(None, "--certificate-no"),
) -> None:
    """更正事件：新增一条取代原事件的记录并注明原因。Correct an event: a new event supersedes it."""
    changes: dict[str, object] = {k: v for k, v in {"place": place, "certificate_no": certificate_no}.items() if v}
    if date:
        changes["date"] = parse_date_opt(date)
    if not changes:
        raise UserError("没有要更正的字段", "nothing to correct")
    officer = Officer.system()
    with state(ctx).db().write(officer.actor) as s:
        ev = events.correct(s, officer, event_id, reason=reason, **changes)
    console.print(f"已更正，新记录 #{ev.id} 取代 #{event_id}。Corrected: event #{ev.id} supersedes #{event_id}.")


def population(
    ctx: typer.Context,
    org: str = typer.Option(..., "--org", help="单位代码。Unit code."),
    date: str = typer.Option(None, "--date", help="日期（当日末），默认今天。Date (end of day), default today."),
    basis: str = typer.Option(basis_mod.DEFAULT, "--basis", help=basis_mod.help_text() + "。"),
) -> None:
    """某日某单位的人口（及其下级单位）。Population of a unit and the units below it on a date."""
    d = parse_date_opt(date)
    b = basis_mod.BASES[basis_mod.check(basis)]
    pc = state(ctx).stats().population(org, d, b.key)
    label = f"{b.zh} {b.key}"
    t = Table(title=f"{pc.name} {pc.code}  {d}  {label}")
    for c in ("代码 code", "名称 name", "男 male", "女 female", "合计 total"):
        t.add_column(c, justify="right" if c[0] in "男女合" else "left")
    for c in pc.children:
        t.add_row(c.code, c.name, f"{c.male:,}", f"{c.female:,}", f"{c.total:,}")
    t.add_row(pc.code, "合计 total", f"{pc.male:,}", f"{pc.female:,}", f"{pc.total:,}", style="bold")
    console.print(t)


def audit(
    ctx: typer.Context,
    person: str = typer.Option(None, "--person", help="身份证号码或临时编号。ID number or temporary key."),
    since: str = typer.Option(None, "--since", help="自该日起（YYYY-MM-DD）。Since this date."),
) -> None:
    """审计日志：谁、何时、从何处、改了什么（修改前后值）。The audit trail: who, when, from where, before/after."""
    if not person and not since:
        raise UserError("请指定 --person 或 --since", "give --person or --since")
    with state(ctx).db().read() as s:
        if person:
            rows = audit_svc.for_person(s, persons.get_person(s, person))
        else:
            d = parse_date_opt(since, "--since")
            rows = audit_svc.since(s, dt.datetime(d.year, d.month, d.day))
    t = Table(title=f"审计日志 Audit trail（{len(rows)}）")
    for c in ("时间 at (UTC)", "操作人 actor", "渠道 channel", "来源 origin", "操作 action", "对象 object", "内容 detail", "原因 reason"):
        t.add_column(c)
    for r in rows:
        detail = r.detail
        if r.before is not None or r.after is not None:
            if r.action == "update":
                detail = "; ".join(
                    f"{k}: {_m(k, (r.before or {}).get(k))} → {_m(k, (r.after or {}).get(k))}"
                    for k in sorted(set(r.before or {}) | set(r.after or {}))
                )
        t.add_row(r.at.strftime("%Y-%m-%d %H:%M:%S"), r.actor, r.channel, r.origin, r.action, f"{r.table}#{r.row_id}", detail, r.reason)
    console.print(t)


def _m(key: str, v: object) -> str:
    """Mask ID numbers even in the audit viewer."""
    if key == "id_number" and isinstance(v, str):
        return mask(v)
    return str(v)


__all__ = ["audit", "event_app", "org_app", "person_app", "population"]
