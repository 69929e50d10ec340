"""Exits: proposed automatically from the registry's events, each decided by a confirming officer.

Which causes a programme watches follows from its conditions (renkou.benefits.rules.programmes), not from
its name: every programme ends on the beneficiary's death; one that requires the hukou in the county
ends when the hukou moves out of it (confirmed only with the receiving county's notice recorded);
one for parents whose conditions count the children ends when another child is born or adopted
after the application; one limited by the child's age ends on the day the child reaches it (the
childcare subsidy on the third birthday). The annual re-confirmation proposes ``ineligible`` exits.

A confirmed exit sets the recipient's ``ended_on``: nothing is payable for the months after the
month of that date (renkou.benefits.payments.batches). Proposing the same exit again adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from renkou.auth.officer import Forbidden, Officer
from renkou.benefits.cycle import applications, exit_workflow
from renkou.core.problems import problem
from renkou.errors import UserError, ValidationFailed
from renkou.registry.log import in_force
from renkou.storage.schema import BenefitApplication, BenefitExit, BenefitRecipient, Event, Person

CAUSES = {
    "death": ("死亡", "death"),
    "another_child": ("再生育或收养子女", "another child born or adopted"),
    "age_limit": ("子女达到年龄上限", "the child reached the age limit"),
    "moved_away": ("户籍迁出本县", "hukou moved out of the county"),
    "ineligible": ("年度确认时不再符合条件", "no longer eligible at the annual re-confirmation"),
}
CHILD_TESTS = {"children", "only_child_died_or_disabled", "only_child_under"}
CHUNK = 5_000


def watched(prog) -> set[str]:
    """The exit causes detected for a programme, from its conditions."""
    tests = {c.test for c in prog.conditions}
    out = {"death"}
    if any(c.test == "hukou_in_county" and c.params.get("who") == "self" for c in prog.conditions):
        out.add("moved_away")
    if prog.beneficiary == "each_parent" and tests & CHILD_TESTS:
        out.add("another_child")
    if tests & {"months_after_birth", "only_child_under"}:
        out.add("age_limit")
    return out


def add_months(d: dt.date, n: int) -> dt.date:
    """The same day ``n`` months later (the month's last day when it has no such day)."""
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def age_limit(prog, birth: dt.date) -> tuple[dt.date, str] | None:
    """(the day the limit is reached, explanation) from a birth date: the beneficiary's own (a child's
    programme) or the only child's (a parents' programme)."""
    for c in prog.conditions:
        if c.test == "months_after_birth":
            return add_months(
                birth, c.params["months"]
            ), f"出生 {birth}，满 {c.params['months']} 个月 / born {birth}, {c.params['months']} months"
        if c.test == "only_child_under":
            y = c.params["years"]
            return add_months(birth, 12 * y), f"子女出生 {birth}，满 {y} 周岁 / the child born {birth} turns {y}"
    return None


def _chunks(ids: list[int]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _open_recipients(session: Session, officer: Officer, programme: str | None) -> list[BenefitRecipient]:
    q = select(BenefitRecipient).where(BenefitRecipient.ended_on.is_(None))
    if programme is not None:
        q = q.where(BenefitRecipient.programme == programme)
    if officer.scope.unit_ids is not None:
        q = q.where(BenefitRecipient.unit_id.in_(officer.scope.unit_ids))
    return list(session.scalars(q.order_by(BenefitRecipient.id)))


def detect(
    session: Session,
    officer: Officer,
    programmes: dict,
    *,
    as_of: dt.date,
    programme: str | None = None,
    recipients: list[BenefitRecipient] | None = None,
    today: dt.date | None = None,
) -> list[BenefitExit]:
    """Propose the exits the registry shows by ``as_of`` for the open recipients in the officer's area
    (benefit:review or benefit:confirm). Returns the new proposals."""
    officer.writing(session)
    if not (officer.may("benefit:review") or officer.may("benefit:confirm")):
        raise Forbidden(officer.role, "提出退出建议", "propose exits")
    if as_of > applications.today_or(today):
        raise ValidationFailed([problem("future_date", "as_of", as_of)])
    if programme is not None and programme not in programmes:
        raise ValidationFailed([problem("bad_choice", "programme", programme, choices=", ".join(programmes))])
    recs = recipients if recipients is not None else _open_recipients(session, officer, programme)
    ids = sorted({r.person_id for r in recs})
    deaths: dict[int, Event] = {}
    moves: dict[int, list[Event]] = defaultdict(list)
    kids: dict[int, list[Event]] = defaultdict(list)
    births: dict[int, dt.date] = {}
    for part in _chunks(ids):
        for ev in session.scalars(
            select(Event).where(Event.person_id.in_(part), Event.kind == "death", Event.date <= as_of, in_force()).order_by(Event.date)
        ):
            deaths.setdefault(ev.person_id, ev)
        for ev in session.scalars(
            select(Event)
            .where(
                Event.person_id.in_(part),
                Event.kind == "move",
                Event.scope.in_(("hukou", "both")),
                Event.destination_code.is_not(None),
                Event.date <= as_of,
                in_force(),
            )
            .order_by(Event.date)
        ):
            moves[ev.person_id].append(ev)
        for ev in session.scalars(
            select(Event)
            .where(Event.kind.in_(("birth", "adoption")), in_force(), or_(Event.mother_id.in_(part), Event.father_id.in_(part)))
            .order_by(Event.date, Event.id)
        ):
            for parent in {ev.mother_id, ev.father_id} & set(part):
                kids[parent].append(ev)
        births.update(session.execute(select(Person.id, Person.birth_date).where(Person.id.in_(part))).all())
    child_births = dict(
        session.execute(
            select(Person.id, Person.birth_date).where(Person.id.in_({e.person_id for evs in kids.values() for e in evs} or {-1}))
        ).all()
    )
    applied = dict(
        session.execute(
            select(BenefitApplication.id, BenefitApplication.applied_on).where(
                BenefitApplication.id.in_({r.application_id for r in recs} or {-1})
            )
        ).all()
    )
    known = {
        (e.recipient_id, e.cause, e.effective_on)
        for e in session.scalars(select(BenefitExit).where(BenefitExit.recipient_id.in_([r.id for r in recs] or [-1])))
    }
    new: list[BenefitExit] = []

    def propose(rec: BenefitRecipient, cause: str, on: dt.date, detail: str, event: Event | None = None) -> None:
        if (rec.id, cause, on) in known:
            return
        known.add((rec.id, cause, on))
        e = BenefitExit(
            recipient_id=rec.id,
            cause=cause,
            effective_on=on,
            event_id=event.id if event else None,
            detail=detail[:400],
            proposed_on=as_of,
            status=exit_workflow.WORKFLOW.start("proposed"),
            reason="",
        )
        session.add(e)
        new.append(e)

    for rec in recs:
        prog = programmes[rec.programme]
        causes = watched(prog)
        since = applied.get(rec.application_id, rec.since)
        if "death" in causes and rec.person_id in deaths:
            ev = deaths[rec.person_id]
            propose(rec, "death", ev.date, f"死亡登记 #{ev.id} {ev.date} / death #{ev.id} {ev.date}", ev)
        if "moved_away" in causes:
            ev = next((m for m in moves.get(rec.person_id, ()) if m.date >= since), None)
            if ev is not None:
                propose(
                    rec,
                    "moved_away",
                    ev.date,
                    f"户籍迁往 {ev.destination_code}（事件 #{ev.id}） / moved to {ev.destination_code} (event #{ev.id})",
                    ev,
                )
        children = kids.get(rec.person_id, [])
        if "another_child" in causes:
            ev = next((k for k in children if k.date > since), None)
            if ev is not None:
                zh, en = ("收养", "adoption") if ev.kind == "adoption" else ("出生", "birth")
                propose(rec, "another_child", ev.date, f"{zh} #{ev.id} {ev.date} / {en} #{ev.id} {ev.date}", ev)
        if "age_limit" in causes:
            born = (
                births.get(rec.person_id)
                if prog.beneficiary == "child"
                else (child_births.get(children[0].person_id) if len({k.person_id for k in children}) == 1 else None)
            )
            limit = age_limit(prog, born) if born else None
            if limit is not None and limit[0] <= as_of:
                propose(rec, "age_limit", limit[0], limit[1])
    session.flush()
    return new


def propose_ineligible(session: Session, rec: BenefitRecipient, *, year: int, detail: str, proposed_on: dt.date) -> BenefitExit | None:
    """An exit from the end of the previous year, for a recipient the re-confirmation found ineligible."""
    on = dt.date(year - 1, 12, 31)
    if (
        session.scalar(
            select(BenefitExit.id).where(
                BenefitExit.recipient_id == rec.id, BenefitExit.cause == "ineligible", BenefitExit.effective_on == on
            )
        )
        is not None
    ):
        return None
    e = BenefitExit(
        recipient_id=rec.id,
        cause="ineligible",
        effective_on=on,
        detail=detail[:400],
        proposed_on=proposed_on,
        status=exit_workflow.WORKFLOW.start("proposed"),
        reason="",
    )
    session.add(e)
    session.flush()
    return e


def get_exit(session: Session, officer: Officer, number: int) -> tuple[BenefitExit, BenefitRecipient]:
    officer.require("benefit:read", "查看退出", "read exits")
    e = session.get(BenefitExit, number)
    rec = session.get(BenefitRecipient, e.recipient_id) if e else None
    officer.require_unit(rec.unit_id if rec else None, "退出建议", "exit proposal", number)
    return e, rec


def decide(
    session: Session,
    officer: Officer,
    number: int,
    *,
    confirm: bool,
    on: dt.date,
    notice: str = "",
    reason: str = "",
    today: dt.date | None = None,
) -> BenefitExit:
    """Confirm or dismiss a proposed exit (benefit:confirm). Confirming ends the recipient on the
    exit's date; moving away needs the receiving county's notice; dismissing needs a reason."""
    officer.writing(session)
    officer.require("benefit:confirm", "确认或驳回退出", "decide exits")
    e, rec = get_exit(session, officer, number)
    if e.status != "proposed":
        raise UserError(
            f"退出建议 {e.id} 已于 {e.decided_on} 处理", f"exit proposal {e.id} was decided on {e.decided_on}", code="step_refused"
        )
    if on > applications.today_or(today):
        raise ValidationFailed([problem("future_date", "date", on)])
    if on < e.proposed_on:
        raise UserError(
            f"处理日期 {on} 早于提出退出建议的日期 {e.proposed_on}",
            f"the decision's date {on} is before the proposal's {e.proposed_on}",
            code="step_refused",
        )
    if confirm and e.cause == "moved_away" and not notice.strip():
        raise ValidationFailed(
            [problem("required", "notice", "")],
            "迁出退出须登记迁入地县级部门的通知（文号）",
            "an exit for moving away needs the receiving county's notice (its reference)",
        )
    if not confirm and not reason.strip():
        raise ValidationFailed([problem("required", "reason", "")])
    session.info["reason"] = reason.strip() or f"退出 exit: {CAUSES[e.cause][1]}"
    exit_workflow.move(e, "confirmed" if confirm else "dismissed")
    e.decided_on, e.decided_by = on, officer.username
    e.notice, e.reason = notice.strip() or None, reason.strip()
    if confirm and (rec.ended_on is None or e.effective_on < rec.ended_on):
        rec.ended_on = e.effective_on
    session.flush()
    return e


def _exits_query(officer: Officer, q, *, status: str | None, programme: str | None):
    q = q.join(BenefitRecipient, BenefitRecipient.id == BenefitExit.recipient_id)
    if status:
        q = q.where(BenefitExit.status == status)
    if programme:
        q = q.where(BenefitRecipient.programme == programme)
    if officer.scope.unit_ids is not None:
        q = q.where(BenefitRecipient.unit_id.in_(officer.scope.unit_ids))
    return q


def list_exits(
    session: Session,
    officer: Officer,
    *,
    status: str | None = None,
    programme: str | None = None,
    offset: int = 0,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[tuple[BenefitExit, BenefitRecipient]]:
    """The area's exits (filtered), by number — the newest first with ``newest_first`` — from ``offset``, at
    most ``limit``, each with its recipient."""
    officer.require("benefit:read", "查看退出", "read exits")
    q = _exits_query(officer, select(BenefitExit, BenefitRecipient), status=status, programme=programme)
    q = q.order_by(BenefitExit.id.desc() if newest_first else BenefitExit.id)
    if offset:
        q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return [tuple(r) for r in session.execute(q)]


def count_exits(session: Session, officer: Officer, *, status: str | None = None, programme: str | None = None) -> int:
    """How many exits ``list_exits`` would give without ``offset`` and ``limit`` (one count in SQL)."""
    officer.require("benefit:read", "查看退出", "read exits")
    q = _exits_query(officer, select(func.count(BenefitExit.id)).select_from(BenefitExit), status=status, programme=programme)
    return session.scalar(q) or 0
