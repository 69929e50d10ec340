"""The annual cycle of an application, one dated step at a time:

    apply (village worker) → village review → public posting (公示, renkou.benefits.cycle.posting) →
    posting ended → township review → county confirmation

Each step is role-restricted (renkou.auth.officer), scoped to the officer's area, dated (never in
the future, never before the step before it), written in the officer's changeset and kept in
``benefit_step`` — append-only, and each step at most once per application (a database UNIQUE). A
step whose turn has not come is refused, naming the step that is due. Any review may reject, with
the reason; an objection upheld during the posting rejects too (renkou.benefits.cycle.objections).

The county's confirmation makes the person a recipient (``benefit_recipient``) confirmed for the
application's year (``benefit_confirmation``); later years are re-confirmed (renkou.benefits.cycle.renewal).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renkou.auth.officer import Officer
from renkou.benefits.cycle import application_workflow
from renkou.benefits.eligibility import verdict
from renkou.benefits.eligibility.service import Eligibility
from renkou.core.dates import age
from renkou.core.idnumber import mask
from renkou.core.problems import Problem, problem
from renkou.errors import UserError, ValidationFailed
from renkou.registry import asof
from renkou.storage.schema import (
    BenefitApplication,
    BenefitConfirmation,
    BenefitObjection,
    BenefitRecipient,
    BenefitStep,
    OrgUnit,
    Person,
)

# status -> (the step due next, zh, en)
DUE = {
    "applied": ("village_review", "村级审核", "the village review"),
    "village_reviewed": ("post", "张榜公示", "the public posting"),
    "posting": ("post_end", "公示期满", "the end of the public posting"),
    "posted": ("township_review", "乡镇审核", "the township review"),
    "township_reviewed": ("confirm", "县级确认", "the county confirmation"),
}
STEPS = {
    "apply": ("申请", "application"),
    "village_review": ("村级审核", "village review"),
    "post": ("张榜公示", "public posting"),
    "post_end": ("公示期满", "end of posting"),
    "township_review": ("乡镇审核", "township review"),
    "confirm": ("县级确认", "county confirmation"),
    "reject": ("不予通过", "rejection"),
}
ACCOUNT = re.compile(r"^[0-9]{6,32}$")
BANK_MAX = 60  # characters of a bank's name (the column's length)


def today_or(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


# ------------------------------------------------------------------------------------------- reading


def get_application(session: Session, officer: Officer, number: int) -> BenefitApplication:
    """The application ``number`` if it is in the officer's area (else not found)."""
    officer.require("benefit:read", "查看扶助申请", "read benefit applications")
    app = session.get(BenefitApplication, number)
    officer.require_unit(app.unit_id if app else None, "申请", "application", number)
    return app


def steps(session: Session, app: BenefitApplication) -> list[BenefitStep]:
    return list(session.scalars(select(BenefitStep).where(BenefitStep.application_id == app.id).order_by(BenefitStep.id)))


def _filtered(
    officer: Officer, q, *, programme: str | None, year: int | None, status: str | None, open_objections: bool
):  # the area's applications, filtered
    if officer.scope.unit_ids is not None:
        q = q.where(BenefitApplication.unit_id.in_(officer.scope.unit_ids))
    for col, v in ((BenefitApplication.programme, programme), (BenefitApplication.year, year), (BenefitApplication.status, status)):
        if v is not None:
            q = q.where(col == v)
    if open_objections:
        q = q.where(exists().where(BenefitObjection.application_id == BenefitApplication.id, BenefitObjection.outcome.is_(None)))
    return q


def list_applications(
    session: Session,
    officer: Officer,
    *,
    programme: str | None = None,
    year: int | None = None,
    status: str | None = None,
    open_objections: bool = False,
    offset: int = 0,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[BenefitApplication]:
    """The area's applications (filtered; with ``open_objections`` only those with an objection not yet
    resolved), by number — the newest first with ``newest_first`` — from ``offset``, at most ``limit``."""
    officer.require("benefit:read", "查看扶助申请", "read benefit applications")
    q = _filtered(officer, select(BenefitApplication), programme=programme, year=year, status=status, open_objections=open_objections)
    q = q.order_by(BenefitApplication.id.desc() if newest_first else BenefitApplication.id)
    if offset:
        q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def count_applications(
    session: Session,
    officer: Officer,
    *,
    programme: str | None = None,
    year: int | None = None,
    status: str | None = None,
    open_objections: bool = False,
) -> int:
    """How many applications ``list_applications`` would give without ``offset`` and ``limit``."""
    officer.require("benefit:read", "查看扶助申请", "read benefit applications")
    q = _filtered(
        officer, select(func.count(BenefitApplication.id)), programme=programme, year=year, status=status, open_objections=open_objections
    )
    return session.scalar(q) or 0


def status_counts(session: Session, officer: Officer, *, programme: str | None = None, year: int | None = None) -> dict[str, int]:
    """How many of the area's applications are in each status (one grouped count)."""
    officer.require("benefit:read", "查看扶助申请", "read benefit applications")
    q = select(BenefitApplication.status, func.count()).group_by(BenefitApplication.status)
    if officer.scope.unit_ids is not None:
        q = q.where(BenefitApplication.unit_id.in_(officer.scope.unit_ids))
    for col, v in ((BenefitApplication.programme, programme), (BenefitApplication.year, year)):
        if v is not None:
            q = q.where(col == v)
    return {status: n for status, n in session.execute(q)}


def open_recipient(session: Session, programme: str, person_id: int) -> BenefitRecipient | None:
    return session.scalar(
        select(BenefitRecipient)
        .where(BenefitRecipient.programme == programme, BenefitRecipient.person_id == person_id, BenefitRecipient.ended_on.is_(None))
        .limit(1)
    )


# ------------------------------------------------------------------------------------------ applying


def check_application(
    session: Session,
    officer: Officer,
    programmes: dict,
    *,
    programme: str,
    person: Person | None,
    year: int | None,
    applied_on: dt.date | None,
    account_no: str,
    payee: Person | None,
    attested: dict,
    today: dt.date,
    bank: str = "",
) -> tuple[int | None, list[Problem]]:
    """The unit (the beneficiary's hukou village on the day of application) and every problem with an
    application's values — the same for one entered by hand and a row of an imported file.

    The application date is neither in the future nor before the programme began. The area is checked
    on that date and today: someone who has left the officer's area since (a back-dated application)
    is not found, and nothing more is said about them."""
    out: list[Problem] = []
    prog = programmes.get(programme)
    if not programme:
        out.append(problem("required", "programme", ""))
    elif prog is None:
        out.append(problem("bad_choice", "programme", programme, choices=", ".join(programmes)))
    if year is None:
        out.append(problem("required", "year", ""))
    elif not 2004 <= year <= today.year + 1:
        out.append(problem("bad_choice", "year", year, choices=f"2004-{today.year + 1}"))
    dated = False  # an application date that can be checked against the registry
    if applied_on is not None and applied_on > today:
        out.append(problem("future_date", "applied_on", applied_on))
    elif applied_on is not None and prog is not None and prog.starts is not None and applied_on < prog.starts:
        out.append(problem("before_programme_start", "applied_on", applied_on, start=prog.starts))
    else:
        dated = applied_on is not None
    if not ACCOUNT.match(account_no or ""):
        out.append(problem("bad_account", "account_no", mask_account(account_no or "")))
    if len(bank.strip()) > BANK_MAX:
        out.append(problem("too_long", "bank", bank.strip()[:20] + "…", max=BANK_MAX))
    if prog is not None:
        facts = verdict.attestations(prog)
        for key in attested:
            if key not in facts:
                out.append(problem("bad_choice", "attested", key, choices=", ".join(facts) or "—"))
    unit_id = None
    for field, who in (("person", person), ("payee", payee)):
        if who is not None and not all(officer.scope.has_person(session, who, d) for d in {today, applied_on or today}):
            key = mask(who.id_number or who.temp_key or "")
            out.append(problem("unknown_person", field, key, key=key))  # left the area since, or never in it
            if field == "person":
                person = None  # nothing more about them
            else:
                payee = None
    if person is not None and dated:
        st = asof.person_state(session, person, applied_on)
        now = asof.person_state(session, person, today).hukou_unit
        if st.hukou_unit is None:
            out.append(problem("no_hukou_unit", "person", "", date=applied_on))
        else:
            unit_id = session.scalar(select(OrgUnit.id).where(OrgUnit.code == st.hukou_unit))
            now_id = unit_id if now == st.hukou_unit else session.scalar(select(OrgUnit.id).where(OrgUnit.code == now))
            if not officer.sees_unit(unit_id) or not officer.sees_unit(now_id):  # living here, registered elsewhere
                out.append(problem("hukou_elsewhere", "person", ""))
        if st.age is not None and st.age < 18:
            if payee is None or payee.id == person.id:
                out.append(problem("payee_required", "payee", ""))
        if payee is not None and age(payee.birth_date, applied_on) < 18:
            out.append(problem("payee_minor", "payee", ""))
        if prog is not None and year is not None:
            dup = session.scalar(
                select(BenefitApplication.id)
                .where(
                    BenefitApplication.person_id == person.id,
                    BenefitApplication.programme == programme,
                    BenefitApplication.year == year,
                    BenefitApplication.status != "rejected",
                )
                .limit(1)
            )
            if dup is not None:
                out.append(problem("already_applied", "person", "", year=year, number=dup))
            elif open_recipient(session, programme, person.id) is not None:
                out.append(problem("already_recipient", "person", ""))
    return unit_id, out


def apply(
    session: Session,
    officer: Officer,
    programmes: dict,
    *,
    programme: str,
    person: Person,
    year: int,
    applied_on: dt.date,
    account_no: str,
    bank: str = "",
    payee: Person | None = None,
    attested: dict | None = None,
    today: dt.date | None = None,
) -> BenefitApplication:
    """Enter an application (benefit:apply) for a person in the officer's area, with the facts the
    applicant attests (fact key -> the date attested) and the account to pay into. The person (and the
    payee) must be in the area on the application date and today: a back-dated application for someone
    who has left is refused as for anyone outside the area (not found)."""
    officer.writing(session)
    officer.require("benefit:apply", "录入扶助申请", "enter benefit applications")
    now = today_or(today)
    for who in (person, payee):
        if who is not None:
            for day in sorted({d for d in (applied_on, now) if d is not None}):
                officer.scope.require_person(session, who, who.id_number or who.temp_key or "", day)
    attested = {k: (v.isoformat() if isinstance(v, dt.date) else str(v)) for k, v in (attested or {}).items()}
    unit_id, probs = check_application(
        session,
        officer,
        programmes,
        programme=programme,
        person=person,
        year=year,
        applied_on=applied_on,
        account_no=account_no,
        payee=payee,
        attested=attested,
        today=now,
        bank=bank,
    )
    if probs:
        raise ValidationFailed(probs)
    app = BenefitApplication(
        programme=programme,
        year=year,
        person_id=person.id,
        payee_id=(payee or person).id,
        unit_id=unit_id,
        applied_on=applied_on,
        status=application_workflow.WORKFLOW.start("applied"),
        attested=attested,
        account_no=account_no,
        bank=bank.strip(),
    )
    session.add(app)
    session.flush()
    record_step(session, officer, app, "apply", applied_on, "", today)
    return app


# ------------------------------------------------------------------------------------------- the steps


def require_due(app: BenefitApplication, step: str) -> None:
    """Refuse a step out of turn: skipped, repeated, or after the application was decided."""
    if app.status == "rejected":
        raise UserError(
            f"申请 {app.id} 已不予通过，不能再办理{STEPS[step][0]}",
            f"application {app.id} was rejected: no {STEPS[step][1]} any more",
            code="step_refused",
        )
    if app.status == "confirmed":
        raise UserError(
            f"申请 {app.id} 已经县级确认，不能再办理{STEPS[step][0]}",
            f"application {app.id} is already confirmed: no {STEPS[step][1]} any more",
            code="step_refused",
        )
    due, zh, en = DUE[app.status]
    if step != due:
        raise UserError(
            f"申请 {app.id} 当前应办理“{zh}”，不能办理“{STEPS[step][0]}”（各环节不能跳过或重复）",
            f"application {app.id} is waiting for {en}, not for the {STEPS[step][1]} (no step may be skipped or repeated)",
            code="step_refused",
        )


def record_step(
    session: Session, officer: Officer, app: BenefitApplication, step: str, on: dt.date, note: str, today: dt.date | None
) -> BenefitStep:
    """Write one dated step; the database refuses a second one of the same kind."""
    if on > today_or(today):
        raise ValidationFailed([problem("future_date", "date", on)])
    last = session.scalar(select(func.max(BenefitStep.done_on)).where(BenefitStep.application_id == app.id))
    if last is not None and on < last:
        raise UserError(
            f"办理日期 {on} 早于上一环节的日期 {last}", f"the date {on} is before the previous step's date {last}", code="step_refused"
        )
    row = BenefitStep(application_id=app.id, step=step, done_on=on, account=officer.username, note=note.strip()[:400])
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # a race the status check could not see; the transaction rolls back
        raise UserError(
            f"申请 {app.id} 的“{STEPS[step][0]}”已经办理过",
            f"the {STEPS[step][1]} of application {app.id} was already done",
            code="step_refused",
        ) from exc
    return row


def reject(session: Session, officer: Officer, app: BenefitApplication, *, on: dt.date, reason: str, today: dt.date | None = None) -> None:
    """Close an application as not approved, with the reason (called by the review steps)."""
    if not reason.strip():
        raise ValidationFailed([problem("required", "reason", "")])
    record_step(session, officer, app, "reject", on, reason, today)
    application_workflow.move(app, "rejected")
    session.flush()


def _due(session: Session, officer: Officer, number: int, step: str, permission: str, zh: str, en: str) -> BenefitApplication:
    """The application for ``step``, once the officer may write, holds ``permission`` and the step is due."""
    officer.writing(session)
    officer.require(permission, zh, en)
    app = get_application(session, officer, number)
    require_due(app, step)
    return app


def _decide(
    session: Session,
    officer: Officer,
    app: BenefitApplication,
    step: str,
    status: str,
    *,
    on: dt.date,
    approve: bool,
    note: str,
    today: dt.date | None,
) -> bool:
    """Record ``step`` and move the application to ``status``; or, not approved, reject it with the note."""
    if not approve:
        reject(session, officer, app, on=on, reason=note, today=today)
        return False
    record_step(session, officer, app, step, on, note, today)
    application_workflow.move(app, status)
    session.flush()
    return True


def village_review(
    session: Session, officer: Officer, number: int, *, on: dt.date, approve: bool = True, note: str = "", today: dt.date | None = None
) -> BenefitApplication:
    """The village's review (benefit:apply): approved applications go to the public posting."""
    app = _due(session, officer, number, "village_review", "benefit:apply", "办理村级审核", "do the village review")
    _decide(session, officer, app, "village_review", "village_reviewed", on=on, approve=approve, note=note, today=today)
    return app


def unresolved_objections(session: Session, app: BenefitApplication) -> list[BenefitObjection]:
    return list(
        session.scalars(select(BenefitObjection).where(BenefitObjection.application_id == app.id, BenefitObjection.outcome.is_(None)))
    )


def township_review(
    session: Session, officer: Officer, number: int, *, on: dt.date, approve: bool = True, note: str = "", today: dt.date | None = None
) -> BenefitApplication:
    """The township's review (benefit:review), once the posting has ended with no objection open."""
    app = _due(session, officer, number, "township_review", "benefit:review", "办理乡镇审核", "do the township review")
    open_ = unresolved_objections(session, app)
    if open_:
        raise UserError(
            f"申请 {app.id} 有 {len(open_)} 条异议尚未处理（第 {', '.join(str(o.id) for o in open_)} 号），处理后才能乡镇审核",
            f"application {app.id} has {len(open_)} unresolved objection(s) ({', '.join(str(o.id) for o in open_)}): resolve them first",
            code="step_refused",
        )
    _decide(session, officer, app, "township_review", "township_reviewed", on=on, approve=approve, note=note, today=today)
    return app


def confirm(
    session: Session,
    officer: Officer,
    eligibility: Eligibility,
    number: int,
    *,
    on: dt.date,
    approve: bool = True,
    note: str = "",
    today: dt.date | None = None,
) -> BenefitRecipient | None:
    """The county's confirmation (benefit:confirm) by someone other than the township reviewer: the
    eligibility service must find the person eligible for the year (facts attested at application
    counting as met). Makes the person a recipient confirmed for the year."""
    app = _due(session, officer, number, "confirm", "benefit:confirm", "办理县级确认", "confirm applications for the county")
    reviewer = session.scalar(
        select(BenefitStep.account).where(BenefitStep.application_id == app.id, BenefitStep.step == "township_review")
    )
    if reviewer == officer.username:
        raise UserError(
            "乡镇审核与县级确认不能由同一账号办理",
            "the township review and the county confirmation must be done by different accounts",
            code="step_refused",
        )
    if not approve:
        reject(session, officer, app, on=on, reason=note, today=today)
        return None
    v = verdict.for_year(eligibility, app.programme, app.person_id, app.year, app.attested, f"申请 application #{app.id}")
    if not v.eligible:
        raise UserError(
            f"申请 {app.id} 经资格核查不符合条件：{v.zh}", f"application {app.id} fails the eligibility check: {v.en}", code="not_eligible"
        )
    if open_recipient(session, app.programme, app.person_id) is not None:
        raise ValidationFailed([problem("already_recipient", "person", "")])
    record_step(session, officer, app, "confirm", on, note, today)
    application_workflow.move(app, "confirmed")
    rec = BenefitRecipient(
        programme=app.programme,
        person_id=app.person_id,
        payee_id=app.payee_id,
        unit_id=app.unit_id,
        application_id=app.id,
        attested=dict(app.attested),
        account_no=app.account_no,
        bank=app.bank,
        since=on,
    )
    session.add(rec)
    session.flush()
    session.add(BenefitConfirmation(recipient_id=rec.id, year=app.year, confirmed_on=on, how="application", account=officer.username))
    session.flush()
    return rec


def mask_account(account_no: str) -> str:
    """A bank account number as lists and logs show it: the first 4 and last 4 digits."""
    a = account_no.strip()
    if len(a) <= 8:
        return "*" * len(a)
    return a[:4] + "*" * (len(a) - 8) + a[-4:]
