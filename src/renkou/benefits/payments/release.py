"""Releasing a payment batch to the bank: the checks run again (renkou.benefits.payments.checks), the
lines without an open finding are released, the others leave the batch, blocked, until cleared.

Not the batch itself (renkou.benefits.payments.batches) nor the bank's files
(renkou.benefits.payments.bankfile)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renkou.auth.officer import Officer
from renkou.benefits.cycle import applications
from renkou.benefits.eligibility.service import Eligibility
from renkou.benefits.payments import batch_workflow, batches, checks, line_workflow
from renkou.core.problems import problem
from renkou.errors import UserError, ValidationFailed
from renkou.storage.schema import CENT, PaymentBatch, PaymentLine


def release(
    session: Session,
    officer: Officer,
    eligibility: Eligibility,
    number: int,
    *,
    on: dt.date,
    exclusive: set | None = None,
    today: dt.date | None = None,
    expect: tuple[int, Decimal] | None = None,
) -> tuple[PaymentBatch, list[PaymentLine], list[PaymentLine]]:
    """Run the checks again and release the batch (payment:manage): (batch, lines released, lines
    held back). A line with a finding not cleared leaves the batch, blocked, until it is cleared.
    When every line is blocked nothing is released: the batch stays a draft with its lines, and the
    findings just made are kept (returned as held) for an officer to clear or void.

    ``expect`` is the (number of lines, total money) the officer confirmed (``figures``): a batch that
    no longer has them — a line voided or added meanwhile — is refused and nothing is released."""
    officer.writing(session)
    officer.require("payment:manage", "发放批次", "release payment batches")
    b = batches.get_batch(session, officer, number)
    if b.status != "draft":
        raise UserError(f"批次 {b.id} 已于 {b.released_on} 提交银行", f"batch {b.id} was released on {b.released_on}", code="step_refused")
    if on > applications.today_or(today):
        raise ValidationFailed([problem("future_date", "date", on)])
    if expect is not None:
        now = figures(session, b)
        if (now[0], now[1]) != (expect[0], Decimal(expect[1]).quantize(CENT)):
            raise UserError(
                f"批次 {b.id} 在确认后已有变化（现有 {now[0]} 笔，共 {now[1]:,.2f} 元；确认时为 {expect[0]} 笔，共 {Decimal(expect[1]):,.2f} 元），"
                "请重新核对后再放行",
                f"batch {b.id} changed after it was confirmed (now {now[0]} lines, ¥{now[1]:,.2f}; confirmed "
                f"{expect[0]} lines, ¥{Decimal(expect[1]):,.2f}): look at it again before releasing",
                code="batch_changed",
            )
    checks.run(session, officer, eligibility, b.id, on=on, exclusive=exclusive, today=today)
    lines = batches.lines_of(session, b)
    held = [ln for ln in lines if ln.status == "blocked"]
    if not any(ln.status == "pending" for ln in lines):
        session.flush()
        return b, [], held
    released = []
    for ln in lines:
        if ln.status == "pending":
            line_workflow.move(ln, "released")
            released.append(ln)
        elif ln.status == "blocked":
            ln.batch_id = None
    batch_workflow.move(b, "released")
    b.released_on = on
    session.flush()
    return b, released, held


def figures(session: Session, batch: PaymentBatch) -> tuple[int, Decimal]:
    """(number of lines, total money) of the batch as it stands: what the officer confirms before release."""
    n, total = session.execute(
        select(func.count(PaymentLine.id), func.sum(PaymentLine.amount)).where(PaymentLine.batch_id == batch.id)
    ).one()  # the sum keeps the column's type: yuan as Decimal on every database
    return int(n), Decimal(total or 0).quantize(CENT)


__all__ = ["figures", "release"]
