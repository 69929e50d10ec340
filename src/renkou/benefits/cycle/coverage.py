"""The "three full coverages" (三个全覆盖) of special-assistance families: a named liaison cadre
(联系人), a family-doctor contract (家庭医生签约) and a priority medical channel (就医绿色通道).

Each is recorded for a person of the family — an open special-assistance recipient — with what it
is (the cadre and how to reach them, the contract, the hospital) and from when; a new record of the
same kind takes over from the day it starts. A family is covered when any of its members holds a
record in force (renkou.benefits.reports.coverage).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from renkou.auth.officer import Forbidden, Officer
from renkou.benefits.cycle import applications
from renkou.core.problems import problem
from renkou.errors import UserError, ValidationFailed
from renkou.storage.schema import BenefitCoverage, BenefitRecipient, Person

KINDS = {
    "liaison": ("联系人", "liaison cadre"),
    "doctor": ("家庭医生签约", "family-doctor contract"),
    "channel": ("就医绿色通道", "priority medical channel"),
}
PROGRAMME = "special"


def _may(officer: Officer) -> None:
    if not (officer.may("benefit:apply") or officer.may("benefit:review")):
        raise Forbidden(officer.role, "登记三个全覆盖", "record the three coverages")


def record(
    session: Session, officer: Officer, *, person: Person, kind: str, detail: str, since: dt.date, today: dt.date | None = None
) -> BenefitCoverage:
    """Record one coverage for a special-assistance recipient in the officer's area."""
    officer.writing(session)
    _may(officer)
    rec = session.scalar(
        select(BenefitRecipient)
        .where(BenefitRecipient.programme == PROGRAMME, BenefitRecipient.person_id == person.id, BenefitRecipient.ended_on.is_(None))
        .limit(1)
    )
    officer.require_unit(rec.unit_id if rec else None, "特别扶助对象", "special-assistance recipient", person.id)
    probs = []
    if kind not in KINDS:
        probs.append(problem("bad_choice", "kind", kind, choices=", ".join(KINDS)))
    if not detail.strip():
        probs.append(problem("required", "detail", ""))
    if since > applications.today_or(today):
        probs.append(problem("future_date", "since", since))
    if probs:
        raise ValidationFailed(probs)
    for old in session.scalars(
        select(BenefitCoverage).where(BenefitCoverage.person_id == person.id, BenefitCoverage.kind == kind, BenefitCoverage.until.is_(None))
    ):
        if old.since >= since:
            raise UserError(
                f"已有自 {old.since} 起的{KINDS[kind][0]}记录（第 {old.id} 号）",
                f"a {KINDS[kind][1]} record from {old.since} exists (no. {old.id})",
            )
        session.info["reason"] = f"由第 {old.id} 号之后的新记录接替 / replaced by a new record"
        old.until = since - dt.timedelta(days=1)
    c = BenefitCoverage(person_id=person.id, kind=kind, detail=detail.strip()[:200], since=since)
    session.add(c)
    session.flush()
    return c


def end(session: Session, officer: Officer, number: int, *, until: dt.date, reason: str) -> BenefitCoverage:
    """End a coverage record on ``until`` (its last day), with the reason."""
    officer.writing(session)
    _may(officer)
    c = session.get(BenefitCoverage, number)
    units = (
        session.scalars(
            select(BenefitRecipient.unit_id).where(BenefitRecipient.programme == PROGRAMME, BenefitRecipient.person_id == c.person_id)
        ).all()
        if c
        else []
    )
    # the family's special-assistance records, any of them in the area (one who re-applied elsewhere has two)
    officer.require_unit(next((u for u in units if officer.sees_unit(u)), None), "覆盖记录", "coverage record", number)
    if c.until is not None:
        raise UserError(f"覆盖记录 {c.id} 已于 {c.until} 结束", f"coverage record {c.id} ended on {c.until}")
    if not reason.strip():
        raise ValidationFailed([problem("required", "reason", "")])
    if until < c.since:
        raise UserError(f"结束日期 {until} 早于开始日期 {c.since}", f"the end {until} is before the start {c.since}")
    session.info["reason"] = reason.strip()
    c.until = until
    session.flush()
    return c


def of_person(session: Session, person_id: int) -> list[BenefitCoverage]:
    return list(
        session.scalars(
            select(BenefitCoverage).where(BenefitCoverage.person_id == person_id).order_by(BenefitCoverage.kind, BenefitCoverage.since)
        )
    )


def in_area(session: Session, officer: Officer, *, on: dt.date | None = None) -> list[tuple[BenefitCoverage, Person]]:
    """The coverage records of the special-assistance recipients in the officer's area (benefit:read),
    with their person, by name, kind and start; with ``on``, only the records in force on that day."""
    officer.require("benefit:read", "查看三个全覆盖", "read the three coverages")
    families = select(BenefitRecipient.person_id).where(BenefitRecipient.programme == PROGRAMME)
    if officer.scope.unit_ids is not None:
        families = families.where(BenefitRecipient.unit_id.in_(officer.scope.unit_ids))
    q = select(BenefitCoverage, Person).join(Person, Person.id == BenefitCoverage.person_id).where(BenefitCoverage.person_id.in_(families))
    if on is not None:
        q = q.where(BenefitCoverage.since <= on, (BenefitCoverage.until.is_(None)) | (BenefitCoverage.until >= on))
    return [tuple(r) for r in session.execute(q.order_by(Person.name, Person.id, BenefitCoverage.kind, BenefitCoverage.since))]
