"""Reports of the benefit cycle, as renkou.stats.table.Table (rendered to XLSX, PDF, CSV by
renkou.stats.render): recipients and money by programme, unit and year; and the coverage of the
"three full coverages" of special-assistance families, with rates.

Rows are the units directly below the one asked about (townships under the county, villages under a
township), as the tree stood at the end of the year (or on the day asked about), and a total; a
recipient counts in the row holding the village they applied in.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from renkou.auth.officer import Officer
from renkou.benefits.cycle.coverage import KINDS
from renkou.benefits.eligibility.service import Eligibility
from renkou.benefits.payments import batches
from renkou.registry import asof
from renkou.registry.orgs import Hierarchy
from renkou.stats.rates import rate
from renkou.stats.table import Column, Row, Table
from renkou.storage.schema import CENT, BenefitConfirmation, BenefitCoverage, BenefitExit, BenefitRecipient, PaymentLine, Person


def _rows_of(session: Session, officer: Officer, org: str, on: dt.date):
    """The report's units: (the unit asked about, its children, raw unit id -> child id)."""
    officer.require("benefit:read", "查看扶助报表", "read benefit reports")
    officer.scope.require_unit(session, org)
    h = Hierarchy.as_of(session, on)
    root = h.unit(org)
    kids = [k for k in h.children.get(root.id, []) if h.units[k].level != "unit"] or [root.id]
    inside = set(kids)

    def row_of(raw: int) -> int | None:
        for u in h.path(h.resolve(raw) or -1):
            if u.id in inside:
                return u.id
        return None

    return h, root, kids, row_of


def recipients(
    session: Session,
    officer: Officer,
    eligibility: Eligibility,
    *,
    year: int,
    org: str,
    prepared_by: str = "",
    today: dt.date | None = None,
) -> Table:
    """Recipients confirmed for ``year``, exits confirmed in it, and money — entitled (to the month
    of any exit), paid, not yet paid (entitled less paid, so that 应发 = 已发 + 未发 in every row),
    and what is in a payment batch, not yet paid (pending, blocked, at the bank or re-queued: more than
    the money not yet paid when a batch holds months no longer due) — by programme and unit."""
    end = dt.date(year, 12, 31)
    h, root, kids, row_of = _rows_of(session, officer, org, end)
    progs = list(eligibility.programmes.values())
    confirmed = select(BenefitConfirmation.recipient_id).where(BenefitConfirmation.year == year)
    recs = list(session.scalars(select(BenefitRecipient).where(BenefitRecipient.id.in_(confirmed))))
    recs = [r for r in recs if row_of(r.unit_id) is not None]
    by_id = {r.id: r for r in recs}
    count: dict[tuple, int] = defaultdict(int)
    money: dict[tuple, Decimal] = defaultdict(Decimal)
    for prog in progs:
        mine = [r for r in recs if r.programme == prog.key]
        ents = eligibility.entitlements(prog.key, [r.person_id for r in mine], year) if mine else {}
        months = {dt.date(year, m, 1) for m in range(1, 13)}
        for r in mine:
            row = row_of(r.unit_id)
            count[(row, prog.key, "n")] += 1
            amount, _, _ = batches.amount_for(ents[r.person_id], {m for m in months if batches.payable_until(r, m)})
            money[(row, prog.key, "due")] += amount
    for e in session.scalars(
        select(BenefitExit).where(
            BenefitExit.status == "confirmed",
            BenefitExit.effective_on >= dt.date(year, 1, 1),
            BenefitExit.effective_on <= end,
            BenefitExit.recipient_id.in_(list(by_id) or [-1]),
        )
    ):
        r = by_id[e.recipient_id]
        count[(row_of(r.unit_id), r.programme, "exits")] += 1
    for ln in session.scalars(select(PaymentLine).where(PaymentLine.recipient_id.in_(list(by_id) or [-1]), PaymentLine.status != "void")):
        if batches.parse_period(ln.period).year != year:
            continue
        r = by_id[ln.recipient_id]
        money[(row_of(r.unit_id), r.programme, "paid" if ln.status == "paid" else "batched")] += ln.amount
    cols = [Column("code", ("代码",), ("Code",), kind="text"), Column("unit", ("单位",), ("Unit",), kind="text")]
    for prog in progs:
        cols += [
            Column(f"{prog.key}_n", (prog.short_zh, "享受人数"), (prog.en, "Recipients")),
            Column(f"{prog.key}_exits", (prog.short_zh, "退出人数"), (prog.en, "Exits")),
            Column(f"{prog.key}_due", (prog.short_zh, "应发金额（元）"), (prog.en, "Entitled (yuan)"), decimals=2),
            Column(f"{prog.key}_paid", (prog.short_zh, "已发金额（元）"), (prog.en, "Paid (yuan)"), decimals=2),
            Column(f"{prog.key}_waiting", (prog.short_zh, "未发金额（元）"), (prog.en, "Not yet paid (yuan)"), decimals=2),
            Column(f"{prog.key}_batched", (prog.short_zh, "已造册未发（元）"), (prog.en, "In a batch, not yet paid (yuan)"), decimals=2),
        ]

    def values(rows: list[int]) -> list:
        out = []
        for prog in progs:
            out += [sum(count[(r, prog.key, "n")] for r in rows), sum(count[(r, prog.key, "exits")] for r in rows)]
            due, paid, batched = (
                sum((money[(r, prog.key, k)] for r in rows), Decimal(0)).quantize(CENT) for k in ("due", "paid", "batched")
            )
            out += [due, paid, due - paid, batched]
        return out

    body = [Row((h.units[k].code, h.units[k].name, *values([k])), code=h.units[k].code) for k in kids]
    body.append(Row((root.code, "合计", *values(kids)), code=root.code, is_total=True))
    return Table(
        key="benefit_recipients",
        title=f"计划生育家庭扶助对象及资金情况（{year}年度）",
        title_en=f"Family-support recipients and money, {year}",
        unit_code=root.code,
        unit_name=root.name,
        period_label=f"{year}年度",
        period_label_en=str(year),
        prepared_by=prepared_by or officer.username,
        prepared_on=today or dt.date.today(),
        columns=tuple(cols),
        rows=tuple(body),
        notes=(
            "享受人数为本年度经县级确认（含年度确认）的对象；应发金额按月计算至退出当月。",
            "未发金额 = 应发金额 − 已发金额（负数为多发，应予追回）；已造册未发为已列入发放批次、尚未发放成功的金额，"
            "超过未发金额的部分为批次中已不应发放的月份（发放核查会提示）。",
        ),
        notes_en=(
            "Recipients confirmed by the county for the year (re-confirmations included); entitled money counted by month up to the month of any exit.",
            "Not yet paid = entitled − paid (negative: overpaid, to be recovered); in a batch: in a payment batch, not yet paid out —"
            " more than not yet paid when a batch holds months no longer due (the payment checks flag them).",
        ),
        meta={"year": year},
        form_no="扶助年1表",
        authority="县卫生健康委员会",
    )


def coverage(session: Session, officer: Officer, *, on: dt.date, org: str, prepared_by: str = "", today: dt.date | None = None) -> Table:
    """Special-assistance families on ``on`` and how many have each of the three coverages in force
    (held by either parent), with rates."""
    h, root, kids, row_of = _rows_of(session, officer, org, on)
    recs = [
        r
        for r in session.scalars(
            select(BenefitRecipient).where(
                BenefitRecipient.programme == "special",
                BenefitRecipient.since <= on,
                (BenefitRecipient.ended_on.is_(None)) | (BenefitRecipient.ended_on >= on),
            )
        )
        if row_of(r.unit_id) is not None
    ]
    people = list(session.scalars(select(Person).where(Person.id.in_({r.person_id for r in recs} or {-1}))))
    st = asof.states(session, people, on)
    who = {r.person_id for r in recs}
    family: dict[int, int] = {}  # person -> family key (the couple's smaller id when both receive)
    for r in recs:
        spouse = st[r.person_id].spouse_id if r.person_id in st else None
        family[r.person_id] = min(r.person_id, spouse) if spouse in who else r.person_id
    held: dict[int, set[str]] = defaultdict(set)
    for c in session.scalars(
        select(BenefitCoverage).where(
            BenefitCoverage.person_id.in_(who or {-1}),
            BenefitCoverage.since <= on,
            (BenefitCoverage.until.is_(None)) | (BenefitCoverage.until >= on),
        )
    ):
        held[family[c.person_id]].add(c.kind)
    row_families: dict[int, set[int]] = defaultdict(set)
    for r in recs:
        row_families[row_of(r.unit_id)].add(family[r.person_id])
    cols = [
        Column("code", ("代码",), ("Code",), kind="text"),
        Column("unit", ("单位",), ("Unit",), kind="text"),
        Column("families", ("特扶家庭数",), ("Families",)),
    ]
    for k, (zh, en) in (*KINDS.items(), ("all", ("三项全覆盖", "all three"))):
        cols += [
            Column(f"{k}_n", (zh, "户数"), (en, "Families")),
            Column(f"{k}_rate", (zh, "覆盖率"), (en, "Rate"), kind="rate", decimals=1, unit="%"),
        ]

    def values(fams: set[int]) -> list:
        out: list = [len(fams)]
        for k in (*KINDS, "all"):
            n = sum(1 for f in fams if (held[f] >= set(KINDS) if k == "all" else k in held[f]))
            out += [n, rate(n, len(fams), 100, 1) if fams else None]
        return out

    body = [Row((h.units[k].code, h.units[k].name, *values(row_families[k])), code=h.units[k].code) for k in kids]
    body.append(
        Row((root.code, "合计", *values(set().union(*row_families.values()) if row_families else set())), code=root.code, is_total=True)
    )
    return Table(
        key="benefit_coverage",
        title="计划生育特殊家庭“三个全覆盖”情况",
        title_en="The three full coverages of special-assistance families",
        unit_code=root.code,
        unit_name=root.name,
        period_label=f"{on:%Y年%m月%d日}",
        period_label_en=on.isoformat(),
        prepared_by=prepared_by or officer.username,
        prepared_on=today or dt.date.today(),
        columns=tuple(cols),
        rows=tuple(body),
        notes=("家庭以享受特别扶助的夫妇计，夫妇任一方有记录即为覆盖；联系人、家庭医生签约、就医绿色通道均须在统计日有效。",),
        notes_en=("A family is a couple receiving special assistance, covered when either holds a record in force on the day.",),
        meta={"on": on.isoformat()},
        form_no="扶助年2表",
        authority="县卫生健康委员会",
    )
