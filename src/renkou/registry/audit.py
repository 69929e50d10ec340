"""The audit trail: who changed what, when, from where, with before/after values; and reveals.

Creations are audited by the created row's own changeset (``created_cs``); updates and reveals by
``audit_entry`` rows. Both tables are append-only in the database itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from renkou.core.idnumber import mask
from renkou.core.problems import problem
from renkou.errors import ValidationFailed
from renkou.storage.db import changeset_of
from renkou.storage.schema import AuditEntry, Changeset, Event, ImportBatch, Person


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
    before: dict | None = None
    after: dict | None = None
    reason: str = ""


def reveal(session: Session, person: Person, field: str, why: str) -> str:
    """Return the full value of a masked field, writing who, when and why to the audit trail."""
    if not why.strip():
        raise ValidationFailed([problem("required", "reason", "")])
    cs = changeset_of(session)
    session.add(AuditEntry(changeset_id=cs.id, action="reveal", table_name="person", row_id=person.id, person_id=person.id,
                           before=None, after={"field": field}, reason=why.strip()))
    session.flush()
    return str(getattr(person, field) or "")


def _cs_row(cs: Changeset, action: str, table: str, row_id: int, detail: str, **kw: object) -> AuditRow:
    return AuditRow(cs.at, cs.actor, cs.channel, cs.origin, action, table, row_id, detail, **kw)  # type: ignore[arg-type]


def for_person(session: Session, person: Person) -> list[AuditRow]:
    """Everything done to one person: creation, events about them, updates and reveals."""
    out = []
    cs = session.get(Changeset, person.created_cs)
    out.append(_cs_row(cs, "create", "person", person.id, mask(person.id_number) if person.id_number else (person.temp_key or "")))
    evs = session.execute(select(Event, Changeset).join(Changeset, Changeset.id == Event.created_cs)
                          .where(or_(Event.person_id == person.id, Event.partner_id == person.id, Event.mother_id == person.id, Event.father_id == person.id))).all()
    for ev, c in evs:
        what = "correct" if ev.supersedes_id and ev.kind != "retraction" else ("retract" if ev.kind == "retraction" else "create")
        detail = f"{ev.kind} {ev.date}" + (f" (supersedes #{ev.supersedes_id})" if ev.supersedes_id else "")
        out.append(_cs_row(c, what, "event", ev.id, detail, reason=ev.reason or ""))
    for a, c in session.execute(select(AuditEntry, Changeset).join(Changeset, Changeset.id == AuditEntry.changeset_id).where(AuditEntry.person_id == person.id)).all():
        detail = f"reveal {a.after.get('field')}" if a.action == "reveal" and a.after else ", ".join(sorted((a.after or {}).keys()))
        out.append(_cs_row(c, a.action, a.table_name, a.row_id, detail, before=a.before, after=a.after, reason=a.reason))
    return sorted(out, key=lambda r: (r.at, r.table, r.row_id))


def since(session: Session, when: dt.datetime, *, limit: int = 1000) -> list[AuditRow]:
    """Changesets since ``when`` with what they did (imports summarised, updates with values)."""
    out: list[AuditRow] = []
    for c in session.scalars(select(Changeset).where(Changeset.at >= when).order_by(Changeset.id).limit(limit)):
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.changeset_id == c.id)))
        batches = list(session.scalars(select(ImportBatch).where(ImportBatch.changeset_id == c.id)))
        for b in batches:
            out.append(_cs_row(c, "import", b.kind, b.id, f"{b.file_name}: {b.created} new, {b.unchanged} unchanged of {b.rows} rows"))
        for a in entries:
            detail = f"reveal {a.after.get('field')}" if a.action == "reveal" and a.after else ", ".join(sorted((a.after or {}).keys()))
            out.append(_cs_row(c, a.action, a.table_name, a.row_id, detail, before=a.before, after=a.after, reason=a.reason))
        n_events = session.scalar(select(Event.id).where(Event.created_cs == c.id).limit(1))
        if not entries and not batches and n_events is not None:
            out.append(_cs_row(c, "create", "event", n_events, c.note or "events recorded"))
        if not entries and not batches and n_events is None and c.note:
            out.append(_cs_row(c, "note", "changeset", c.id, c.note))
    return out
