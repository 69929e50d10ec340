"""Annual re-confirmation (年度资格确认) of the recipients of a programme for a new year.

For every open recipient in the officer's area not yet confirmed for the year: first the exits the
registry shows are proposed (renkou.benefits.cycle.exits.detect); a recipient with an exit waiting for its
officer is left for that decision. The others are checked by the eligibility service on the first
day of the year, with the facts attested at their application counting as made: eligible ones are
confirmed for the year; ones that fail get an ``ineligible`` exit proposal from the end of the
previous year; ones whose attestation is missing wait.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from renkou.auth.officer import Officer
from renkou.benefits.cycle import applications, exits
from renkou.benefits.eligibility import verdict
from renkou.benefits.eligibility.service import Eligibility
from renkou.core.problems import problem
from renkou.errors import ValidationFailed
from renkou.storage.schema import BenefitConfirmation, BenefitExit, BenefitRecipient


@dataclass
class Renewal:
    programme: str
    year: int
    renewed: list[int] = field(default_factory=list)  # recipient ids
    proposed: list[BenefitExit] = field(default_factory=list)
    waiting: list[tuple[int, str, str]] = field(default_factory=list)  # (recipient id, why zh, why en)


def due(session: Session, officer: Officer, programme: str, year: int) -> list[BenefitRecipient]:
    """Open recipients in the officer's area, confirmed before ``year`` and not yet for it."""
    done = select(BenefitConfirmation.recipient_id).where(BenefitConfirmation.year == year)
    q = select(BenefitRecipient).where(
        BenefitRecipient.programme == programme,
        BenefitRecipient.ended_on.is_(None),
        BenefitRecipient.since < dt.date(year, 1, 1),
        BenefitRecipient.id.not_in(done),
    )
    if officer.scope.unit_ids is not None:
        q = q.where(BenefitRecipient.unit_id.in_(officer.scope.unit_ids))
    return list(session.scalars(q.order_by(BenefitRecipient.id)))


def reconfirm(
    session: Session, officer: Officer, eligibility: Eligibility, *, programme: str, year: int, on: dt.date, today: dt.date | None = None
) -> Renewal:
    """Re-confirm ``programme``'s recipients for ``year`` (benefit:confirm), dated ``on``."""
    officer.writing(session)
    officer.require("benefit:confirm", "办理年度资格确认", "re-confirm recipients")
    eligibility.programme(programme)
    if on > applications.today_or(today):
        raise ValidationFailed([problem("future_date", "date", on)])
    if not on.year - 1 <= year <= on.year + 1:  # a year is re-confirmed around its start, not years apart
        raise ValidationFailed([problem("bad_choice", "year", year, choices=f"{on.year - 1}-{on.year + 1}")])
    out = Renewal(programme, year)
    recs = due(session, officer, programme, year)
    out.proposed += exits.detect(session, officer, eligibility.programmes, as_of=on, recipients=recs, today=today)
    pending = set(
        session.scalars(
            select(BenefitExit.recipient_id).where(
                BenefitExit.recipient_id.in_([r.id for r in recs] or [-1]), BenefitExit.status == "proposed"
            )
        )
    )
    start = dt.date(year, 1, 1)
    todo = [r for r in recs if r.id not in pending]
    decisions: dict[int, object] = {}
    groups: dict[frozenset, list[BenefitRecipient]] = {}
    for rec in todo:  # one determination for every recipient with the same attestations
        groups.setdefault(frozenset(rec.attested), []).append(rec)
    for keys, group in groups.items():
        got = eligibility.check_all(
            programme, [r.person_id for r in group], start, attested={k: "申请时声明 declared at application" for k in keys}
        )
        decisions.update({r.id: got[r.person_id] for r in group})
    for rec in recs:
        if rec.id in pending:
            out.waiting.append((rec.id, "有待处理的退出建议", "an exit proposal awaits its decision"))
            continue
        v = verdict.judge(decisions[rec.id], rec.attested, start)
        if v.eligible:
            session.add(BenefitConfirmation(recipient_id=rec.id, year=year, confirmed_on=on, how="reconfirm", account=officer.username))
            out.renewed.append(rec.id)
        elif v.failed:
            e = exits.propose_ineligible(session, rec, year=year, detail=f"{start}：{v.zh} / {start}: {v.en}", proposed_on=on)
            if e is not None:
                out.proposed.append(e)
        else:
            out.waiting.append((rec.id, v.zh, v.en))
    session.flush()
    return out
