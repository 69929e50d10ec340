"""Recipients: who receives what, and the account they are paid into.

An account number is personal data: lists show it masked (renkou.benefits.cycle.applications.mask_account), and a
change is audited with the old and new numbers masked in its reason — the full numbers stay only in
the record itself.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renkou.auth.officer import Forbidden, Officer
from renkou.benefits.cycle import applications
from renkou.core.problems import problem
from renkou.errors import ValidationFailed
from renkou.storage.schema import BenefitConfirmation, BenefitRecipient, PaymentLine


def get_recipient(session: Session, officer: Officer, number: int) -> BenefitRecipient:
    officer.require("benefit:read", "查看享受对象", "read recipients")
    rec = session.get(BenefitRecipient, number)
    officer.require_unit(rec.unit_id if rec else None, "享受对象", "recipient", number)
    return rec


def _recipients(officer: Officer, q, programme: str | None, year: int | None, open_only: bool):
    if programme:
        q = q.where(BenefitRecipient.programme == programme)
    if year is not None:
        q = q.where(BenefitRecipient.id.in_(select(BenefitConfirmation.recipient_id).where(BenefitConfirmation.year == year)))
    if open_only:
        q = q.where(BenefitRecipient.ended_on.is_(None))
    if officer.scope.unit_ids is not None:
        q = q.where(BenefitRecipient.unit_id.in_(officer.scope.unit_ids))
    return q


def list_recipients(
    session: Session,
    officer: Officer,
    *,
    programme: str | None = None,
    year: int | None = None,
    open_only: bool = True,
    offset: int = 0,
    limit: int | None = None,
) -> list[BenefitRecipient]:
    """Recipients in the officer's area; with ``year``, those confirmed for it; by number, from ``offset``,
    at most ``limit``."""
    officer.require("benefit:read", "查看享受对象", "read recipients")
    q = _recipients(officer, select(BenefitRecipient), programme, year, open_only).order_by(BenefitRecipient.id)
    if offset:
        q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def count_recipients(
    session: Session, officer: Officer, *, programme: str | None = None, year: int | None = None, open_only: bool = True
) -> int:
    """How many recipients ``list_recipients`` would give without ``offset`` and ``limit``."""
    officer.require("benefit:read", "查看享受对象", "read recipients")
    return session.scalar(_recipients(officer, select(func.count(BenefitRecipient.id)), programme, year, open_only)) or 0


def set_account(
    session: Session, officer: Officer, number: int, *, account_no: str, bank: str | None = None, reason: str, on: dt.date
) -> BenefitRecipient:
    """Put a recipient's account right (the village worker who collects it, or the county): the lines
    not yet at the bank — waiting, blocked, re-queued after a failure — are paid into it."""
    officer.writing(session)
    if not (officer.may("benefit:apply") or officer.may("payment:manage")):
        raise Forbidden(officer.role, "变更收款账户", "change accounts")
    rec = get_recipient(session, officer, number)
    probs = []
    if not applications.ACCOUNT.match(account_no):
        probs.append(problem("bad_account", "account_no", applications.mask_account(account_no)))
    if bank is not None and len(bank.strip()) > applications.BANK_MAX:
        probs.append(problem("too_long", "bank", bank.strip()[:20] + "…", max=applications.BANK_MAX))
    if not reason.strip():
        probs.append(problem("required", "reason", ""))
    if on > applications.today_or(None):
        probs.append(problem("future_date", "date", on))
    if probs:
        raise ValidationFailed(probs)
    session.info["reason"] = (
        f"{on} 账户 account {applications.mask_account(rec.account_no)} → {applications.mask_account(account_no)}: {reason.strip()}"
    )
    rec.account_no = account_no
    if bank is not None:
        rec.bank = bank.strip()
    for ln in session.scalars(
        select(PaymentLine).where(PaymentLine.recipient_id == rec.id, PaymentLine.status.in_(("pending", "blocked", "queued")))
    ):
        ln.account_no = account_no
    session.flush()
    return rec
