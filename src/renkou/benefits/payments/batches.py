"""Payment batches: the money of one programme for a year (``2025``, 2025年) or a quarter (``2025Q1``,
2025年第1季度).

A batch is created (draft) with one line per recipient — the entitlement of the period's months
(renkou.benefits.eligibility.service.Eligibility.entitlements), without the months after the recipient's exit nor
any month already entered — plus the lines waiting in the queue (a failed bank payment, a finding
cleared after its batch was released). Before release (renkou.benefits.payments.release) the checks run (renkou.benefits.payments.checks): a
line with a finding not cleared stays behind, blocked; the others are released, exported to the bank
(renkou.benefits.payments.bankfile) as often as needed, and settled by the bank's result file.

Money is entered once: a line is the only row ever for its person, programme and period
(uq_payment_line_person_programme_period) and each month it pays is recorded once per person and
programme (uq_payment_month_person_programme_month), so neither a repeated batch nor a year batch
over quarter batches can pay twice. A failed payment goes back to the queue as the same line.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renkou.auth.officer import Officer
from renkou.benefits.cycle import applications
from renkou.benefits.eligibility.service import Eligibility
from renkou.benefits.payments import batch_workflow, line_workflow
from renkou.core.problems import problem
from renkou.errors import UserError, ValidationFailed
from renkou.stats import periods as stat_periods
from renkou.storage.db import allocate_seq, bulk_insert, changeset_of, reserve_ids
from renkou.storage.schema import (
    CENT,
    BenefitConfirmation,
    BenefitRecipient,
    Money,
    PaymentBatch,
    PaymentLine,
    PaymentMonth,
    PaymentResult,
)

FIRST_YEAR, LAST_YEAR = 2004, 2100  # the years a batch may pay (rewards began in 2004)


@dataclass(frozen=True)
class Period:
    key: str
    year: int
    months: tuple[dt.date, ...]  # first days

    @property
    def start(self) -> dt.date:
        return self.months[0]

    @property
    def end(self) -> dt.date:
        return month_end(self.months[-1])


def month_end(first: dt.date) -> dt.date:
    nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def parse_period(text: str) -> Period:
    """A year or a quarter of 2004-2100, as the code (2025, 2025Q1) or as people write it (2025年,
    2025年度, 2025年第1季度, 2025年一季度, full-width digits: renkou.stats.periods.parse). The key is the
    code, whatever the spelling: one period is one key, so the same money is never entered twice."""
    try:
        p = stat_periods.parse(text if isinstance(text, str) else "")
    except UserError:
        p = None
    if p is None or p.kind not in ("year", "quarter") or not FIRST_YEAR <= p.start.year <= LAST_YEAR:
        raise ValidationFailed([problem("payment_period", "period", text, first=FIRST_YEAR, last=LAST_YEAR)])
    return Period(p.id, p.start.year, tuple(m.start for m in p.months()))


def period_label(key: str, lang: str = "zh") -> str:
    """The Chinese (or English) name of a batch's period key: 2025Q1 → 2025年第1季度 (Q1 2025)."""
    try:
        p = stat_periods.parse(key)
    except UserError:
        return key
    return p.label_en if lang == "en" else p.label


def payable_until(rec: BenefitRecipient, first: dt.date) -> bool:
    """Whether the month starting ``first`` is before the recipient's exit (the exit's month is paid)."""
    return rec.ended_on is None or first <= rec.ended_on


def amount_for(ent, months: set[dt.date]) -> tuple[Decimal, int, str]:
    """The entitlement of ``months`` only: (amount, months counted, basis) — each of the service's
    lines (a run of months at one rate) cut to those months, rounded half up to the fen once."""
    total, n, parts = Decimal("0.00"), 0, []
    for ln in ent.lines:
        inside = [m for m in _months(ln.first, ln.last) if m in months]
        if not inside:
            continue
        exact = Fraction(ln.rate.amount) * len(inside) / (12 if ent.unit == "year" else 1)
        amount = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(CENT, ROUND_HALF_UP)
        total += amount
        n += len(inside)
        span = f"{inside[0]:%Y-%m}" + (f"–{inside[-1]:%Y-%m}" if len(inside) > 1 else "")
        parts.append(f"{span} {len(inside)}×{ln.rate.amount}/{'年' if ent.unit == 'year' else '月'} = {amount}")
    return total, n, "；".join(parts)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = dt.date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return out


def get_batch(session: Session, officer: Officer, number: int) -> PaymentBatch:
    officer.require("benefit:read", "查看发放批次", "read payment batches")
    b = session.get(PaymentBatch, number)
    if b is None or not officer.scope.everything:  # batches are the county's: accounts below it see none
        raise UserError(
            f"发放批次 {number} 不存在或不在您的管辖范围内",
            f"payment batch {number} does not exist or is outside your area",
            code="not_found",
        )
    return b


def lines_of(session: Session, batch: PaymentBatch) -> list[PaymentLine]:
    return list(session.scalars(select(PaymentLine).where(PaymentLine.batch_id == batch.id).order_by(PaymentLine.id)))


def list_batches(session: Session, officer: Officer, *, programme: str | None = None) -> list[PaymentBatch]:
    """The county's payment batches, newest first (benefit:read). Batches are the county's: an account
    below it sees none (as get_batch finds none for it)."""
    officer.require("benefit:read", "查看发放批次", "read payment batches")
    if not officer.scope.everything:
        return []
    q = select(PaymentBatch)
    if programme:
        q = q.where(PaymentBatch.programme == programme)
    return list(session.scalars(q.order_by(PaymentBatch.id.desc())))


def totals_of(session: Session, batch_ids: list[int]) -> dict[int, dict[str, tuple[int, Decimal]]]:
    """``totals`` of several batches in one query: batch id -> line status -> (lines, money)."""
    out: dict[int, dict[str, tuple[int, Decimal]]] = {b: {} for b in batch_ids}
    if not batch_ids:
        return out
    q = (
        select(PaymentLine.batch_id, PaymentLine.status, func.count(), func.sum(PaymentLine.amount))
        .where(PaymentLine.batch_id.in_(batch_ids))
        .group_by(PaymentLine.batch_id, PaymentLine.status)
    )
    for b, s, n, a in session.execute(q):
        out[b][s] = (n, (a or Decimal(0)).quantize(CENT))
    return out


def waiting(session: Session, officer: Officer) -> list[PaymentLine]:
    """The lines outside any batch (benefit:read, the county only): blocked lines a release left
    behind, and lines re-queued (a failed bank payment, a finding cleared after release) for the
    programme's next batch."""
    officer.require("benefit:read", "查看发放款项", "read payment lines")
    if not officer.scope.everything:
        return []
    return list(
        session.scalars(
            select(PaymentLine)
            .where(PaymentLine.batch_id.is_(None), PaymentLine.status.in_(("blocked", "queued")))
            .order_by(PaymentLine.id)
        )
    )


def recipient_lines(session: Session, officer: Officer, number: int) -> list[PaymentLine]:
    """Every payment line of recipient ``number``, whatever its batch or status (benefit:read; the
    recipient must be in the officer's area, else not found)."""
    from renkou.benefits.cycle import recipients

    rec = recipients.get_recipient(session, officer, number)
    return list(session.scalars(select(PaymentLine).where(PaymentLine.recipient_id == rec.id).order_by(PaymentLine.id)))


def results_of(session: Session, batch: PaymentBatch) -> list[tuple[PaymentResult, PaymentLine]]:
    """The bank's answers for ``batch`` (found with get_batch), with each answered line as it is now —
    a failed one has left the batch for the queue."""
    q = (
        select(PaymentResult, PaymentLine)
        .join(PaymentLine, PaymentLine.id == PaymentResult.line_id)
        .where(PaymentResult.batch_id == batch.id)
        .order_by(PaymentResult.id)
    )
    return [(r, ln) for r, ln in session.execute(q)]


def create_batch(
    session: Session, officer: Officer, eligibility: Eligibility, *, programme: str, period: str, on: dt.date, today: dt.date | None = None
) -> PaymentBatch:
    """A draft batch (payment:manage): every confirmed recipient's entitlement for the period not
    yet entered, and the queue's lines of the programme. Refused when there is nothing to pay."""
    officer.writing(session)
    officer.require("payment:manage", "建立发放批次", "create payment batches")
    if not officer.scope.everything:
        raise UserError("发放批次由县级建立", "payment batches are created by the county", code="forbidden")
    eligibility.programme(programme)
    p = parse_period(period)
    if on > applications.today_or(today):
        raise ValidationFailed([problem("future_date", "date", on)])
    confirmed = select(BenefitConfirmation.recipient_id).where(BenefitConfirmation.year == p.year)
    recs = list(
        session.scalars(
            select(BenefitRecipient)
            .where(
                BenefitRecipient.programme == programme,
                BenefitRecipient.id.in_(confirmed),
                (BenefitRecipient.ended_on.is_(None)) | (BenefitRecipient.ended_on >= p.start),
            )
            .order_by(BenefitRecipient.id)
        )
    )
    entered = set(session.scalars(select(PaymentLine.person_id).where(PaymentLine.programme == programme, PaymentLine.period == p.key)))
    recs = [r for r in recs if r.person_id not in entered]
    paid: dict[int, set[dt.date]] = defaultdict(set)
    for pid, m in session.execute(
        select(PaymentMonth.person_id, PaymentMonth.month).where(PaymentMonth.programme == programme, PaymentMonth.month.in_(p.months))
    ):
        paid[pid].add(m)
    ents = eligibility.entitlements(programme, [r.person_id for r in recs], p.year) if recs else {}
    batch = PaymentBatch(programme=programme, period=p.key, status=batch_workflow.WORKFLOW.start("draft"), created_on=on)
    session.add(batch)
    session.flush()
    new: list[tuple[BenefitRecipient, Decimal, int, str, list[dt.date]]] = []
    for r in recs:
        months = {m for m in p.months if payable_until(r, m) and m not in paid[r.person_id]}
        amount, n, basis = amount_for(ents[r.person_id], months)
        if amount > 0:
            counted = sorted(m for ln in ents[r.person_id].lines for m in _months(ln.first, ln.last) if m in months)
            new.append((r, amount, n, basis, counted))
    _insert(session, batch, programme, p, new)
    requeued = list(
        session.scalars(
            select(PaymentLine).where(PaymentLine.programme == programme, PaymentLine.status == "queued", PaymentLine.batch_id.is_(None))
        )
    )
    for ln in requeued:
        rec = session.get(BenefitRecipient, ln.recipient_id)
        ln.batch_id = batch.id
        line_workflow.move(ln, "pending")
        if ln.account_no != rec.account_no:
            ln.account_no = rec.account_no
    if not new and not requeued:
        raise UserError(
            f"{programme} {p.key} 没有需要发放的款项（均已录入或无应发金额）",
            f"nothing to pay for {programme} {p.key}: every entitlement is already entered, or none is due",
        )
    session.flush()
    return batch


def _insert(session: Session, batch: PaymentBatch, programme: str, p: Period, new: list) -> None:
    """The new lines and their months, at bulk speed (the database's UNIQUE constraints still hold)."""
    if not new:
        return
    cs = changeset_of(session).id
    dialect = session.get_bind().dialect
    money = Money()
    first = reserve_ids(session, "payment_line", len(new))
    seq = allocate_seq(session.connection(), len(new))
    rows, month_rows = [], []
    for i, (r, amount, n, basis, months) in enumerate(new):
        lid = first + i
        rows.append(
            (
                lid,
                batch.id,
                r.id,
                r.person_id,
                programme,
                p.key,
                n,
                money.process_bind_param(amount, dialect),
                basis[:400],
                r.payee_id,
                r.account_no,
                line_workflow.WORKFLOW.start("pending"),
                None,
                1,
                seq + i,
                cs,
            )
        )
        month_rows += [(r.person_id, programme, m, lid) for m in months]
    bulk_insert(
        session,
        PaymentLine.__table__,
        [
            "id",
            "batch_id",
            "recipient_id",
            "person_id",
            "programme",
            "period",
            "months",
            "amount",
            "basis",
            "payee_id",
            "account_no",
            "status",
            "failure",
            "version",
            "seq",
            "created_cs",
        ],
        rows,
    )
    mfirst = reserve_ids(session, "payment_month", len(month_rows))
    mseq = allocate_seq(session.connection(), len(month_rows))
    bulk_insert(
        session,
        PaymentMonth.__table__,
        ["id", "line_id", "person_id", "programme", "month", "seq", "created_cs"],
        [(mfirst + j, lid, pid, prog, m, mseq + j, cs) for j, (pid, prog, m, lid) in enumerate(month_rows)],
    )


def void_line(session: Session, officer: Officer, number: int, *, reason: str, on: dt.date) -> PaymentLine:
    """Decide not to pay a line that was not released (payment:manage); its months stay entered."""
    officer.writing(session)
    officer.require("payment:manage", "作废发放款项", "void payment lines")
    if not officer.scope.everything:
        raise UserError("发放款项由县级管理", "payment lines are managed by the county", code="forbidden")
    ln = session.get(PaymentLine, number)
    if ln is None:
        raise UserError(f"款项 {number} 不存在", f"no payment line {number}", code="not_found")
    if ln.status not in ("pending", "blocked", "queued"):
        raise UserError(
            f"款项 {ln.id} 状态为“{line_workflow.STATUSES[ln.status][0]}”，不能作废",
            f"payment line {ln.id} is {ln.status}: it cannot be voided",
            code="step_refused",
        )
    if not reason.strip():
        raise ValidationFailed([problem("required", "reason", "")])
    if on > applications.today_or(None):
        raise ValidationFailed([problem("future_date", "date", on)])
    session.info["reason"] = f"{on}: {reason.strip()}"
    line_workflow.move(ln, "void")
    ln.batch_id = None
    session.flush()
    return ln


def totals(session: Session, batch: PaymentBatch) -> dict[str, tuple[int, Decimal]]:
    """Lines and money of a batch by line status."""
    q = (
        select(PaymentLine.status, func.count(), func.sum(PaymentLine.amount))
        .where(PaymentLine.batch_id == batch.id)
        .group_by(PaymentLine.status)
    )
    return {s: (n, (a or Decimal(0)).quantize(CENT)) for s, n, a in session.execute(q)}


def totals_by(lines: list[PaymentLine]) -> dict[str, tuple[int, Decimal]]:
    """Lines and money by status."""
    out: dict[str, tuple[int, Decimal]] = {}
    for ln in lines:
        n, a = out.get(ln.status, (0, Decimal("0.00")))
        out[ln.status] = (n + 1, (a + ln.amount).quantize(CENT))
    return out
