"""Objections raised against a posted application, and their resolution.

Anyone may object while an application is posted; the village worker or the township officer
records it (benefit:apply or benefit:review). The township resolves it (benefit:review) with a
written resolution: *upheld* rejects the application, *dismissed* lets it go on. While any
objection is open, the township review is refused (renkou.benefits.cycle.applications.township_review).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from renkou.auth.officer import Forbidden, Officer
from renkou.benefits.cycle import applications
from renkou.core.problems import problem
from renkou.errors import UserError, ValidationFailed
from renkou.storage.schema import BenefitApplication, BenefitObjection, BenefitPosting

OUTCOMES = {"upheld": ("异议成立", "upheld"), "dismissed": ("异议不成立", "dismissed")}


def raise_objection(
    session: Session, officer: Officer, number: int, *, raised_on: dt.date, content: str, objector: str = "", today: dt.date | None = None
) -> BenefitObjection:
    """Record an objection to application ``number`` while it is posted."""
    officer.writing(session)
    if not (officer.may("benefit:apply") or officer.may("benefit:review")):
        raise Forbidden(officer.role, "登记异议", "record objections")
    app = applications.get_application(session, officer, number)
    if app.status != "posting":
        raise UserError(
            f"申请 {app.id} 不在公示期内，不能登记异议",
            f"application {app.id} is not being posted: no objection can be recorded",
            code="step_refused",
        )
    posting = session.get(BenefitPosting, app.posting_id)
    if not content.strip():
        raise ValidationFailed([problem("required", "content", "")])
    if raised_on > applications.today_or(today):
        raise ValidationFailed([problem("future_date", "raised_on", raised_on)])
    if raised_on < posting.starts_on:
        raise UserError(
            f"异议日期 {raised_on} 早于公示开始日期 {posting.starts_on}",
            f"the objection's date {raised_on} is before the posting began on {posting.starts_on}",
        )
    o = BenefitObjection(
        application_id=app.id, raised_on=raised_on, objector=objector.strip()[:50], content=content.strip(), recorded_by=officer.username
    )
    session.add(o)
    session.flush()
    return o


def resolve(
    session: Session, officer: Officer, number: int, *, outcome: str, resolution: str, on: dt.date, today: dt.date | None = None
) -> BenefitObjection:
    """Resolve objection ``number`` (benefit:review): upheld rejects its application."""
    officer.writing(session)
    officer.require("benefit:review", "处理异议", "resolve objections")
    o = session.get(BenefitObjection, number)
    app = session.get(BenefitApplication, o.application_id) if o is not None else None
    officer.require_unit(app.unit_id if app else None, "异议", "objection", number)
    if o.outcome is not None:
        raise UserError(
            f"异议 {o.id} 已于 {o.resolved_on} 处理（{OUTCOMES[o.outcome][0]}）",
            f"objection {o.id} was resolved on {o.resolved_on} ({o.outcome})",
            code="step_refused",
        )
    if outcome not in OUTCOMES:
        raise ValidationFailed([problem("bad_choice", "outcome", outcome, choices=", ".join(OUTCOMES))])
    if not resolution.strip():
        raise ValidationFailed([problem("required", "resolution", "")])
    if on > applications.today_or(today):
        raise ValidationFailed([problem("future_date", "date", on)])
    if on < o.raised_on:
        raise UserError(f"处理日期 {on} 早于异议日期 {o.raised_on}", f"the resolution's date {on} is before the objection's {o.raised_on}")
    session.info["reason"] = resolution.strip()
    o.outcome, o.resolution, o.resolved_on, o.resolved_by = outcome, resolution.strip(), on, officer.username
    session.flush()
    if outcome == "upheld" and app.status in ("posting", "posted"):
        applications.reject(
            session, officer, app, on=on, reason=f"异议 {o.id} 成立 / objection {o.id} upheld: {resolution.strip()}", today=today
        )
    return o


def for_application(session: Session, officer: Officer, number: int) -> list[BenefitObjection]:
    app = applications.get_application(session, officer, number)
    return list(session.scalars(select(BenefitObjection).where(BenefitObjection.application_id == app.id).order_by(BenefitObjection.id)))
