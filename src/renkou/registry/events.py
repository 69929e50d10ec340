"""Life events: record, correct, retract. Append-only — nothing is ever updated in place.

A correction is a new event of the same kind whose ``supersedes_id`` names the event it replaces,
with a reason; a retraction withdraws an event recorded in error. `in_force()` selects the events
that nothing supersedes, which is all that the as-of state ever reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session, aliased

from renkou.core.events import EVENT_KINDS
from renkou.core.problems import Problem, problem
from renkou.core.vocab import HUKOU_TYPES, MOVE_SCOPES, RELATIONS, SOURCES
from renkou.errors import NotFound, UserError, ValidationFailed
from renkou.storage.schema import Event, Household, OrgUnit, Person

# The content columns of an event (what a fingerprint covers and a correction copies).
CONTENT = ("kind", "person_id", "date", "partner_id", "mother_id", "father_id", "hukou_unit_id", "residence_unit_id",
           "work_unit_id", "household_id", "relation", "hukou_type", "scope", "origin_code", "destination_code",
           "place", "certificate_no", "grade")
# Which reference each required field name stands for.
_REQUIRED_COLUMN = {"mother": "mother_id", "partner": "partner_id", "hukou_unit": "hukou_unit_id",
                    "residence_unit": "residence_unit_id", "work_unit": "work_unit_id", "scope": "scope",
                    "hukou_type": "hukou_type", "grade": "grade"}


def fingerprint(values: dict) -> str:
    """A stable digest of an event's content, so that re-importing a file adds no duplicates."""
    text = "\x1f".join(map(_text, map(values.get, CONTENT)))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _text(v: object) -> str:
    return "" if v is None else str(v)  # str() of a date is its ISO form


def in_force(ev: type[Event] | object = Event) -> ColumnElement[bool]:
    """SQL condition: the event is not superseded by a correction or retraction, and is not itself one."""
    later = aliased(Event)
    return and_(ev.kind != "retraction", ~exists().where(later.supersedes_id == ev.id))  # type: ignore[attr-defined]


def check_event(values: dict, person: Person | None, death_date: dt.date | None) -> list[Problem]:
    """Problems with an event's values (ids already resolved)."""
    out: list[Problem] = []
    kind = EVENT_KINDS.get(values.get("kind") or "")
    if kind is None:
        return [problem("bad_choice", "kind", values.get("kind"), choices=", ".join(EVENT_KINDS))]
    d = values.get("date")
    if d is None:
        out.append(problem("required", "date", ""))
    missing = [f for f in kind.required if values.get(_REQUIRED_COLUMN.get(f, f)) in (None, "")]
    if kind.key == "move" and values.get("scope") in ("residence", "both") and values.get("residence_unit_id") is None and not values.get("destination_code"):
        missing.append("residence_unit|destination_code")
    if kind.key == "move" and values.get("scope") in ("hukou", "both") and values.get("hukou_unit_id") is None and not values.get("destination_code"):
        missing.append("hukou_unit|destination_code")
    if kind.key == "move":
        missing = [m for m in missing if m not in ("hukou_unit", "residence_unit")]
    if kind.key == "adoption" and values.get("mother_id") is None and values.get("father_id") is None:
        missing.append("mother|father")
    if missing:
        out.append(problem("event_fields", "kind", kind.key, kind=kind.zh, kind_en=kind.en, fields=", ".join(missing)))
    if values.get("scope") and values["scope"] not in MOVE_SCOPES:
        out.append(problem("bad_choice", "scope", values["scope"], choices=", ".join(MOVE_SCOPES)))
    if values.get("relation") and values["relation"] not in RELATIONS:
        out.append(problem("bad_choice", "relation", values["relation"], choices=", ".join(RELATIONS)))
    if values.get("hukou_type") and values["hukou_type"] not in HUKOU_TYPES:
        out.append(problem("bad_choice", "hukou_type", values["hukou_type"], choices=", ".join(HUKOU_TYPES)))
    if values.get("source") not in SOURCES:
        out.append(problem("bad_choice", "source", values.get("source"), choices=", ".join(SOURCES)))
    g = values.get("grade")
    if g is not None and not (isinstance(g, int) and 1 <= g <= 4):
        out.append(problem("bad_grade", "grade", g))
    pid = values.get("person_id")
    for other in ("partner_id", "mother_id", "father_id"):
        if pid is not None and values.get(other) == pid:
            out.append(problem("same_person", other, ""))
    if person is not None and d is not None:
        if d < person.birth_date:
            out.append(problem("before_birth", "date", d, date=d, birth=person.birth_date))
        if death_date is not None and d > death_date:
            out.append(problem("after_death", "date", d, date=d, death=death_date))
        if kind.key == "death" and death_date is not None:
            out.append(problem("after_death", "date", d, date=d, death=death_date))
    return out


def death_date(session: Session, person_id: int, *, ignoring: int | None = None) -> dt.date | None:
    q = select(Event.date).where(Event.person_id == person_id, Event.kind == "death", in_force())
    if ignoring is not None:
        q = q.where(Event.id != ignoring)
    return session.scalar(q.order_by(Event.date).limit(1))


def _ids(fields: dict) -> dict:
    """Turn objects (Person, OrgUnit, Household) into the id columns."""
    out = {}
    for k, v in fields.items():
        if isinstance(v, Person | OrgUnit | Household):
            out[f"{k}_id"] = v.id
        else:
            out[k] = v
    return out


def record(session: Session, kind: str, person: Person, date: dt.date, *, source: str = "village", **fields: object) -> Event:
    """Record one event. ``fields`` take Person/OrgUnit/Household objects (partner=, mother=,
    residence_unit=, household=...) or plain values (scope=, relation=, grade=...)."""
    values = {"kind": kind, "person_id": person.id, "date": date, "source": source} | _ids(fields)
    unknown = set(values) - set(CONTENT) - {"source"}
    if unknown:
        raise UserError(f"未知字段：{', '.join(sorted(unknown))}", f"unknown fields: {', '.join(sorted(unknown))}")
    problems = check_event(values, person, death_date(session, person.id))
    if problems:
        raise ValidationFailed(problems)
    ev = Event(**values, fingerprint=fingerprint(values))
    session.add(ev)
    session.flush()
    return ev


def _in_force_event(session: Session, event_id: int) -> Event:
    ev = session.get(Event, event_id)
    if ev is None:
        raise NotFound(f"事件 {event_id} 不存在", f"no event has the number {event_id}")
    if ev.kind == "retraction" or session.scalar(select(Event.id).where(Event.supersedes_id == ev.id)) is not None:
        raise UserError(f"事件 {event_id} 已被更正或撤销，请更正其最新版本", f"event {event_id} was already corrected or retracted; correct its latest version")
    return ev


def correct(session: Session, event_id: int, *, reason: str, source: str = "village", **changes: object) -> Event:
    """A new event replacing ``event_id`` with the given changes; the original stays, superseded."""
    if not reason.strip():
        raise ValidationFailed([problem("required", "reason", "")])
    old = _in_force_event(session, event_id)
    values = {c: getattr(old, c) for c in CONTENT} | _ids(changes) | {"source": source}
    person = session.get(Person, values["person_id"])
    problems = check_event(values, person, death_date(session, values["person_id"], ignoring=old.id))
    if problems:
        raise ValidationFailed(problems)
    ev = Event(**values, supersedes_id=old.id, reason=reason.strip(), fingerprint=fingerprint(values))
    session.add(ev)
    session.flush()
    return ev


def retract(session: Session, event_id: int, *, reason: str, source: str = "village") -> Event:
    """Withdraw an event recorded in error (a new 'retraction' event; the original stays)."""
    if not reason.strip():
        raise ValidationFailed([problem("required", "reason", "")])
    old = _in_force_event(session, event_id)
    values = {"kind": "retraction", "person_id": old.person_id, "date": old.date}
    ev = Event(**values, source=source, supersedes_id=old.id, reason=reason.strip(), fingerprint=fingerprint(values | {"place": str(old.id)}))
    session.add(ev)
    session.flush()
    return ev


def timeline(session: Session, person: Person) -> list[Event]:
    """Every event about a person (as subject, partner or parent), corrections included, in order."""
    q = select(Event).where((Event.person_id == person.id) | (Event.partner_id == person.id) | (Event.mother_id == person.id) | (Event.father_id == person.id))
    return list(session.scalars(q.order_by(Event.date, Event.id)))
