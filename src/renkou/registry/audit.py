"""The audit trail: who changed what, when, from where, with before/after values; and reveals.

Creations are audited by the created row's own changeset (``created_cs``); updates and reveals by
``audit_entry`` rows. Both tables are append-only in the database itself.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from renkou.core.idnumber import mask
from renkou.core.problems import problem
from renkou.errors import ValidationFailed
from renkou.storage.db import changeset_of
from renkou.storage.schema import (
    AuditEntry,
    BenefitApplication,
    BenefitConfirmation,
    BenefitCoverage,
    BenefitExit,
    BenefitObjection,
    BenefitPosting,
    BenefitRecipient,
    BenefitStep,
    Changeset,
    Event,
    Household,
    ImportBatch,
    OrgUnit,
    PaymentBatch,
    PaymentExport,
    PaymentFinding,
    PaymentLine,
    PaymentResult,
    Person,
)

# the benefit cycle's creations (renkou.benefits): each step, decision and payment is a row of its changeset
BENEFIT_TABLES = (
    BenefitApplication,
    BenefitStep,
    BenefitPosting,
    BenefitObjection,
    BenefitRecipient,
    BenefitConfirmation,
    BenefitExit,
    BenefitCoverage,
    PaymentBatch,
    PaymentLine,
    PaymentFinding,
    PaymentExport,
    PaymentResult,
)


@dataclass(frozen=True)
class AuditRow:
    at: dt.datetime
    actor: str
    channel: str
    origin: str
    action: str
    table: str
    row_id: int
    detail: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str = ""


def reveal(session: Session, person: Person, field: str, why: str) -> str:
    """Return the full value of a masked field, writing who, when and why to the audit trail."""
    if not why.strip():
        raise ValidationFailed([problem("required", "reason", "")])
    cs = changeset_of(session)
    session.add(
        AuditEntry(
            changeset_id=cs.id,
            action="reveal",
            table_name="person",
            row_id=person.id,
            person_id=person.id,
            before=None,
            after={"field": field},
            reason=why.strip(),
        )
    )
    session.flush()
    return str(getattr(person, field) or "")


def _cs_row(
    cs: Changeset,
    action: str,
    table: str,
    row_id: int,
    detail: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditRow:
    return AuditRow(cs.at, cs.actor, cs.channel, cs.origin, action, table, row_id, detail, before, after, reason)


def for_person(session: Session, person: Person) -> list[AuditRow]:
    """Everything done to one person: creation, events about them, updates and reveals."""
    out = []
    cs = session.get_one(Changeset, person.created_cs)  # the changeset that created the person: a foreign key
    out.append(_cs_row(cs, "create", "person", person.id, mask(person.id_number) if person.id_number else (person.temp_key or "")))
    evs = session.execute(
        select(Event, Changeset)
        .join(Changeset, Changeset.id == Event.created_cs)
        .where(or_(Event.person_id == person.id, Event.partner_id == person.id, Event.mother_id == person.id, Event.father_id == person.id))
    ).all()
    for ev, c in evs:
        what = "correct" if ev.supersedes_id and ev.kind != "retraction" else ("retract" if ev.kind == "retraction" else "create")
        detail = f"{ev.kind} {ev.date}" + (f" (supersedes #{ev.supersedes_id})" if ev.supersedes_id else "")
        out.append(_cs_row(c, what, "event", ev.id, detail, reason=ev.reason or ""))
    for a, c in session.execute(
        select(AuditEntry, Changeset).join(Changeset, Changeset.id == AuditEntry.changeset_id).where(AuditEntry.person_id == person.id)
    ).all():
        out.append(_entry_row(c, a))
    return sorted(out, key=lambda r: (r.at, r.table, r.row_id))


def since(session: Session, when: dt.datetime, *, limit: int = 1000) -> list[AuditRow]:
    """What each changeset since ``when`` did: imports summarised, rows created counted by table,
    updates with their values, reveals. A fixed number of queries, however many changesets."""
    changesets = list(session.scalars(select(Changeset).where(Changeset.at >= when).order_by(Changeset.id).limit(limit)))
    ids = [c.id for c in changesets]
    if not ids:
        return []
    batches: dict[int, list[ImportBatch]] = defaultdict(list)
    for b in session.scalars(select(ImportBatch).where(ImportBatch.changeset_id.in_(ids))):
        batches[b.changeset_id].append(b)
    entries: dict[int, list[AuditEntry]] = defaultdict(list)
    for e in session.scalars(select(AuditEntry).where(AuditEntry.changeset_id.in_(ids)).order_by(AuditEntry.id)):
        entries[e.changeset_id].append(e)
    created: dict[int, dict[str, int]] = defaultdict(dict)
    for model in (OrgUnit, Household, Person, Event, *BENEFIT_TABLES):
        for cs_id, n in session.execute(select(model.created_cs, func.count()).where(model.created_cs.in_(ids)).group_by(model.created_cs)):
            created[cs_id][model.__tablename__] = n
    out: list[AuditRow] = []
    for c in changesets:
        for b in batches[c.id]:
            out.append(_cs_row(c, "import", b.kind, b.id, f"{b.file_name}: {b.created} new, {b.unchanged} unchanged of {b.rows} rows"))
        if not batches[c.id]:
            for table, n in created[c.id].items():
                out.append(_cs_row(c, "create", table, 0, f"{n} row(s)" + (f": {c.note}" if c.note else "")))
        out.extend(_entry_row(c, a) for a in entries[c.id])
    return out


def _entry_row(c: Changeset, a: AuditEntry) -> AuditRow:
    detail = f"reveal {a.after.get('field')}" if a.action == "reveal" and a.after else ", ".join(sorted((a.after or {}).keys()))
    return _cs_row(c, a.action, a.table_name, a.row_id, detail, before=a.before, after=a.after, reason=a.reason)
