"""The checks before a payment batch is released. Each finding blocks its line until an officer
clears it with a reason (audited) — or voids the line (renkou.benefits.payments.batches.void_line).

* ``death`` — the beneficiary (or the payee) died before the period, or the line pays months that
  begin after the death;
* ``ineligible`` — the eligibility service does not find the beneficiary eligible on the first day
  of the first or the last month the line pays (the service counts a month by its first day), the
  facts attested at application counting as made;
* ``two_places`` — another recipient of the programme has the same name, sex and birth date: one
  person registered twice, receiving in two places (the same record twice the database refuses);
* ``exclusive`` — the person also receives a programme this one excludes (the pairs are data:
  data/exclusions.json, or exclusions.json in RENKOU_BENEFIT_RULES);
* ``shared_account`` — the account also receives money for a payee who is not this payee's spouse,
  parent, child or household member.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import polars as pl
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from renkou.auth.officer import Officer
from renkou.benefits.cycle import applications
from renkou.benefits.eligibility.conditions import NOT_MET
from renkou.benefits.eligibility.decision import When
from renkou.benefits.eligibility.service import Eligibility
from renkou.benefits.payments import batches, line_workflow
from renkou.benefits.rules import exclusions
from renkou.core.problems import problem
from renkou.errors import UserError, ValidationFailed
from renkou.registry import asof
from renkou.registry.log import in_force
from renkou.storage.schema import (
    BenefitConfirmation,
    BenefitRecipient,
    Event,
    PaymentBatch,
    PaymentFinding,
    PaymentLine,
    PaymentMonth,
    Person,
)

KINDS = {
    "death": ("死亡", "death"),
    "ineligible": ("不符合条件", "not eligible"),
    "two_places": ("重复享受（两地或重复登记）", "in two places or registered twice"),
    "exclusive": ("享受互斥项目", "in programmes that exclude each other"),
    "shared_account": ("与无关人员共用账户", "account shared with an unrelated payee"),
}


def detail_in(detail: str, lang: str) -> str:
    """A finding's detail in one language: the checks write "中文 / English" (the Chinese first)."""
    zh, sep, en = detail.partition(" / ")
    return detail if not sep else (en if lang == "en" else zh)


def run(
    session: Session,
    officer: Officer,
    eligibility: Eligibility,
    number: int,
    *,
    on: dt.date,
    exclusive: set[frozenset[str]] | None = None,
    today: dt.date | None = None,
) -> list[PaymentFinding]:
    """Check the lines of batch ``number`` not yet released (payment:manage): new findings are added
    (a finding already made, cleared or not, is not made again); lines with a finding not cleared are
    blocked, the others pending. Returns the findings not cleared."""
    officer.writing(session)
    officer.require("payment:manage", "核查发放批次", "check payment batches")
    b = batches.get_batch(session, officer, number)
    if b.status != "draft":
        raise UserError(f"批次 {b.id} 已提交银行，不再核查", f"batch {b.id} was released: it is not checked any more", code="step_refused")
    if on > applications.today_or(today):
        raise ValidationFailed([problem("future_date", "date", on)])
    exclusive = exclusions.pairs(eligibility.settings) if exclusive is None else exclusive
    lines = [ln for ln in batches.lines_of(session, b) if ln.status in ("pending", "blocked")]
    if not lines:
        return []
    spans = _spans(session, [ln.id for ln in lines])
    recs = {r.id: r for r in session.scalars(select(BenefitRecipient).where(BenefitRecipient.id.in_({ln.recipient_id for ln in lines})))}
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for check in (_death, _ineligible, _two_places, _exclusive, _shared_account):
        for line_id, kind, detail in check(session, eligibility, b, lines, spans, recs, exclusive):
            found[line_id].append((kind, detail))
    have = {(f.line_id, f.kind) for f in session.scalars(select(PaymentFinding).where(PaymentFinding.line_id.in_([ln.id for ln in lines])))}
    for line_id, items in found.items():
        for kind, detail in items:
            if (line_id, kind) not in have:
                have.add((line_id, kind))
                session.add(PaymentFinding(line_id=line_id, kind=kind, detail=detail[:400], found_on=on))
    session.flush()
    open_ = open_findings(session, [ln.id for ln in lines])
    for ln in lines:
        status = "blocked" if ln.id in open_ else "pending"
        if ln.status != status:
            line_workflow.move(ln, status)
    b.checked_on = on
    session.flush()
    return [f for fs in open_.values() for f in fs]


def open_findings(session: Session, line_ids: list[int]) -> dict[int, list[PaymentFinding]]:
    out: dict[int, list[PaymentFinding]] = defaultdict(list)
    for f in session.scalars(
        select(PaymentFinding)
        .where(PaymentFinding.line_id.in_(line_ids or [-1]), PaymentFinding.cleared_on.is_(None))
        .order_by(PaymentFinding.id)
    ):
        out[f.line_id].append(f)
    return out


def clear(session: Session, officer: Officer, number: int, *, reason: str, on: dt.date, today: dt.date | None = None) -> PaymentFinding:
    """Clear a finding with the reason (payment:manage, audited). A line with no finding left goes
    back to its draft batch, or — when its batch was released without it — to the queue."""
    officer.writing(session)
    officer.require("payment:manage", "解除核查拦截", "clear findings")
    f = session.get(PaymentFinding, number)
    if f is None or not officer.scope.everything:
        raise UserError(f"核查发现 {number} 不存在", f"no finding {number}", code="not_found")
    if f.cleared_on is not None:
        raise UserError(
            f"核查发现 {f.id} 已于 {f.cleared_on} 由 {f.cleared_by} 解除",
            f"finding {f.id} was cleared on {f.cleared_on} by {f.cleared_by}",
            code="step_refused",
        )
    if not reason.strip():
        raise ValidationFailed([problem("required", "reason", "")])
    if on > applications.today_or(today):
        raise ValidationFailed([problem("future_date", "date", on)])
    session.info["reason"] = reason.strip()
    f.cleared_on, f.cleared_by, f.reason = on, officer.username, reason.strip()
    session.flush()
    ln = session.get(PaymentLine, f.line_id)
    if ln.status == "blocked" and not open_findings(session, [ln.id]):
        batch = session.get(PaymentBatch, ln.batch_id) if ln.batch_id else None
        line_workflow.move(ln, "pending" if batch is not None and batch.status == "draft" else "queued")
        if ln.status == "queued":
            ln.batch_id = None
        session.flush()
    return f


# ------------------------------------------------------------------------------------------- the checks


def _spans(session: Session, line_ids: list[int]) -> dict[int, tuple[dt.date, dt.date]]:
    """(first month, last month) each line pays."""
    q = (
        select(PaymentMonth.line_id, func.min(PaymentMonth.month), func.max(PaymentMonth.month))
        .where(PaymentMonth.line_id.in_(line_ids))
        .group_by(PaymentMonth.line_id)
    )
    return {lid: (a, b) for lid, a, b in session.execute(q)}


def _death(session, eligibility, b, lines, spans, recs, exclusive):
    ids = {ln.person_id for ln in lines} | {ln.payee_id for ln in lines}
    deaths = dict(
        session.execute(
            select(Event.person_id, func.min(Event.date))
            .where(Event.kind == "death", in_force(), Event.person_id.in_(ids))
            .group_by(Event.person_id)
        ).all()
    )
    for ln in lines:
        first, last = spans[ln.id]
        for who, pid in (("", ln.person_id), ("领款人 payee ", ln.payee_id)):
            d = deaths.get(pid)
            if d is None or (who and pid == ln.person_id):
                continue
            if d < first:
                yield ln.id, "death", f"{who}{d} 死亡，早于发放期 {first:%Y-%m} / {who}died {d}, before the period"
            elif d < last:
                yield ln.id, "death", f"{who}{d} 死亡，仍发放至 {last:%Y-%m} / {who}died {d}, paid until {last:%Y-%m}"


def _ineligible(session, eligibility, b, lines, spans, recs, exclusive):

    prog = eligibility.programme(b.programme)
    attest_keys = [c.key for c in prog.attestations]
    by_day: dict[dt.date, list[PaymentLine]] = defaultdict(list)
    for ln in lines:
        first, last = spans[ln.id]
        by_day[first].append(ln)
        if last != first:
            by_day[last].append(ln)
    flagged: set[int] = set()
    for day, group in sorted(by_day.items()):
        ids = sorted({ln.person_id for ln in group})
        attested = {k: [ln.person_id for ln in group if k in recs[ln.recipient_id].attested] for k in attest_keys}
        rows = eligibility.determine(prog, When.day(day), pl.DataFrame({"person": ids}, schema={"person": pl.Int64}), attested)
        bad = {r["person"]: r for r in rows.iter_rows(named=True) if r["eligible"] != 1}
        for ln in group:
            r = bad.get(ln.person_id)
            if r is None or ln.id in flagged:
                continue
            flagged.add(ln.id)
            failed = [c for c in prog.conditions if r[f"c_{c.key}"] != 1]
            zh = "、".join(f"{c.zh}" + ("（未声明）" if r[f"c_{c.key}"] != NOT_MET else "") for c in failed)
            en = "; ".join(c.en + (" (not attested)" if r[f"c_{c.key}"] != NOT_MET else "") for c in failed)
            yield ln.id, "ineligible", f"{day}: {zh} / {en}"


def _two_places(session, eligibility, b, lines, spans, recs, exclusive):
    """(One person with two open records of a programme the database refuses: uq_benefit_recipient_open.)"""
    ids = {ln.person_id for ln in lines}
    open_ = and_(BenefitRecipient.programme == b.programme, BenefitRecipient.ended_on.is_(None))
    me, other = aliased(Person), aliased(Person)
    same = defaultdict(list)
    q = (
        select(me.id, other.id)
        .join(other, and_(other.name == me.name, other.birth_date == me.birth_date, other.sex == me.sex, other.id != me.id))
        .join(BenefitRecipient, and_(BenefitRecipient.person_id == other.id, open_))
        .where(me.id.in_(ids))
    )
    for pid, oid in session.execute(q):
        same[pid].append(oid)
    for ln in lines:
        if ln.person_id in same:
            yield (
                ln.id,
                "two_places",
                (
                    f"与享受对象 #{', #'.join(map(str, sorted(same[ln.person_id])))} 姓名、性别、出生日期相同 / "
                    "same name, sex and birth date as another recipient"
                ),
            )


def _exclusive(session, eligibility, b, lines, spans, recs, exclusive):
    others = sorted({x for pair in exclusive if b.programme in pair for x in pair if x != b.programme})
    if not others:
        return
    year = batches.parse_period(b.period).year
    confirmed = select(BenefitConfirmation.recipient_id).where(BenefitConfirmation.year == year)
    rows = session.execute(
        select(BenefitRecipient.person_id, BenefitRecipient.programme).where(
            BenefitRecipient.programme.in_(others),
            BenefitRecipient.id.in_(confirmed),
            BenefitRecipient.person_id.in_({ln.person_id for ln in lines}),
            or_(BenefitRecipient.ended_on.is_(None), BenefitRecipient.ended_on >= dt.date(year, 1, 1)),
        )
    )
    also = defaultdict(set)
    for pid, prog in rows:
        also[pid].add(prog)
    for ln in lines:
        if also.get(ln.person_id):
            yield ln.id, "exclusive", f"同时享受 also receives: {', '.join(sorted(also[ln.person_id]))}"


def _shared_account(session, eligibility, b, lines, spans, recs, exclusive):
    accounts = {ln.account_no for ln in lines}
    holders: dict[str, set[int]] = defaultdict(set)
    for ln in lines:
        holders[ln.account_no].add(ln.payee_id)
    for acc, payee in session.execute(
        select(BenefitRecipient.account_no, BenefitRecipient.payee_id).where(
            BenefitRecipient.account_no.in_(accounts), BenefitRecipient.ended_on.is_(None)
        )
    ):
        holders[acc].add(payee)
    shared = {a: ps for a, ps in holders.items() if len(ps) > 1}
    if not shared:
        return
    everyone = sorted({p for ps in shared.values() for p in ps})
    on = batches.parse_period(b.period).start
    st = asof.states(session, list(session.scalars(select(Person).where(Person.id.in_(everyone)))), on)
    kin: set[frozenset[int]] = set()
    for child, mother, father in session.execute(
        select(Event.person_id, Event.mother_id, Event.father_id).where(
            Event.kind.in_(("birth", "adoption")),
            in_force(),
            or_(Event.person_id.in_(everyone), Event.mother_id.in_(everyone), Event.father_id.in_(everyone)),
        )
    ):
        kin |= {frozenset((child, p)) for p in (mother, father) if p is not None}

    def related(a: int, c: int) -> bool:
        sa, sc = st.get(a), st.get(c)
        return (
            frozenset((a, c)) in kin
            or (sa is not None and sa.spouse_id == c)
            or (sc is not None and sc.spouse_id == a)
            or (sa is not None and sc is not None and sa.household is not None and sa.household == sc.household)
        )

    for ln in lines:
        strangers = sorted(o for o in shared.get(ln.account_no, ()) if o != ln.payee_id and not related(ln.payee_id, o))
        if strangers:
            yield (
                ln.id,
                "shared_account",
                (
                    f"账户 {applications.mask_account(ln.account_no)} 亦为无亲属关系人员 #{', #'.join(map(str, strangers))} 收款 / "
                    "the account also receives money for unrelated payees"
                ),
            )
