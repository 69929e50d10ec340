"""Life events: record, correct, retract. Append-only — nothing is ever updated in place.

A correction is a new event of the same kind whose ``supersedes_id`` names the event it replaces,
with a reason; a retraction withdraws an event recorded in error. `in_force()` selects the events
that nothing supersedes (renkou.registry.log), which is all that the as-of state ever reads.

Each write takes the ``Officer`` acting (renkou.auth.officer) and checks its permission (event:write)
and area here, not in a page or command: an event about somebody outside the area, or an event that
would place somebody in a unit outside it, is "not found".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from renkou.auth.officer import Officer, person_not_found
from renkou.core.events import EVENT_KINDS
from renkou.core.problems import Problem, problem
from renkou.core.vocab import HUKOU_TYPES, MOVE_SCOPES, RELATIONS, SOURCES
from renkou.errors import NotFound, UserError, ValidationFailed
from renkou.registry.log import in_force
from renkou.storage.schema import Event, Household, OrgUnit, Person

# The content columns of an event (what a fingerprint covers and a correction copies).
CONTENT = (
    "kind",
    "person_id",
    "date",
    "partner_id",
    "mother_id",
    "father_id",
    "hukou_unit_id",
    "residence_unit_id",
    "work_unit_id",
    "household_id",
    "relation",
    "hukou_type",
    "scope",
    "origin_code",
    "destination_code",
    "place",
    "certificate_no",
    "grade",
)
# Which reference each required field name stands for.
_REQUIRED_COLUMN = {
    "mother": "mother_id",
    "partner": "partner_id",
    "hukou_unit": "hukou_unit_id",
    "residence_unit": "residence_unit_id",
    "work_unit": "work_unit_id",
    "scope": "scope",
    "hukou_type": "hukou_type",
    "grade": "grade",
}


def fingerprint(values: dict[str, Any]) -> str:
    """A stable digest of an event's content, so that re-importing a file adds no duplicates."""
    text = "\x1f".join(map(_text, map(values.get, CONTENT)))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _text(v: object) -> str:
    return "" if v is None else str(v)  # str() of a date is its ISO form


def check_event(values: dict[str, Any], person: Person | None, death_date: dt.date | None) -> list[Problem]:
    """Problems with an event's values (ids already resolved)."""
    out: list[Problem] = []
    kind = EVENT_KINDS.get(values.get("kind") or "")
    if kind is None:
        return [problem("bad_choice", "kind", values.get("kind"), choices=", ".join(EVENT_KINDS))]
    d = values.get("date")
    if d is None:
        out.append(problem("required", "date", ""))
    missing = [f for f in kind.required if values.get(_REQUIRED_COLUMN.get(f, f)) in (None, "")]
    if (
        kind.key == "move"
        and values.get("scope") in ("residence", "both")
        and values.get("residence_unit_id") is None
        and not values.get("destination_code")
    ):
        missing.append("residence_unit|destination_code")
    if (
        kind.key == "move"
        and values.get("scope") in ("hukou", "both")
        and values.get("hukou_unit_id") is None
        and not values.get("destination_code")
    ):
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


def _ids(fields: dict[str, object]) -> dict[str, object]:
    """Turn objects (Person, OrgUnit, Household) into the id columns."""
    out: dict[str, object] = {}
    for k, v in fields.items():
        if isinstance(v, Person | OrgUnit | Household):
            out[f"{k}_id"] = v.id
        else:
            out[k] = v
    return out


def placed_anywhere(session: Session, person_id: int) -> bool:
    """Whether an event in force places the person in some unit (a newborn added a moment ago is in nobody's area)."""
    q = select(Event.id).where(
        Event.person_id == person_id, in_force(), or_(Event.hukou_unit_id.is_not(None), Event.residence_unit_id.is_not(None))
    )
    return session.scalar(q.limit(1)) is not None


def _require_area(session: Session, officer: Officer, values: dict[str, object], *, subject: Person | None, changed: set[str]) -> None:
    """The officer's area, for the references among ``changed`` (columns) and for ``subject``: every
    person the event names is in the area (a new person placed nowhere yet may be placed in it by the
    event); the units it places somebody in are in the area, except the destination of a move (people
    do move away); a household is kept by a unit of the area. "Not found" otherwise."""
    if officer.scope.everything:
        return
    places_inside = any(
        isinstance(values.get(c), int) and officer.sees_unit(values.get(c))  # type: ignore[arg-type]
        for c in ("hukou_unit_id", "residence_unit_id")
    )
    if subject is not None and not officer.sees_person(session, subject):
        if not (places_inside and not placed_anywhere(session, subject.id)):
            raise person_not_found(subject.id)
    for col in ("partner_id", "mother_id", "father_id"):
        pid = values.get(col)
        if col in changed and isinstance(pid, int):
            officer.require_person(session, session.get(Person, pid), pid)
    if values.get("kind") != "move":
        for col in ("hukou_unit_id", "residence_unit_id", "work_unit_id"):
            uid = values.get(col)
            if col in changed and isinstance(uid, int) and not officer.sees_unit(uid):
                code = session.scalar(select(OrgUnit.code).where(OrgUnit.id == uid))
                raise NotFound(
                    f"组织机构 {code} 不存在或不在您的管辖范围内", f"organisation unit {code} does not exist or is outside your area"
                )
    hid = values.get("household_id")
    if "household_id" in changed and isinstance(hid, int):
        hh = session.get(Household, hid)
        officer.require_unit(hh.unit_id if hh is not None else None, "户", "household", hh.number if hh is not None else hid)


def record(
    session: Session, officer: Officer, kind: str, person: Person, date: dt.date, *, source: str = "village", **fields: object
) -> Event:
    """Record one event, as ``officer`` (event:write; the people, units and household it names in the
    officer's area, see `_require_area`). ``fields`` take Person/OrgUnit/Household objects (partner=,
    mother=, residence_unit=, household=...) or plain values (scope=, relation=, grade=...)."""
    officer.require("event:write", "登记事件", "record events")
    officer.writing(session)
    values: dict[str, object] = {"kind": kind, "person_id": person.id, "date": date, "source": source} | _ids(fields)
    unknown = set(values) - set(CONTENT) - {"source"}
    if unknown:
        raise UserError(f"未知字段：{', '.join(sorted(unknown))}", f"unknown fields: {', '.join(sorted(unknown))}")
    _require_area(session, officer, values, subject=person, changed=set(values))
    problems = check_event(values, person, death_date(session, person.id))
    if problems:
        raise ValidationFailed(problems)
    ev = Event(**values, fingerprint=fingerprint(values))
    session.add(ev)
    session.flush()
    return ev


def event_not_found(event_id: int) -> NotFound:
    """The one answer for an event nobody recorded, or one about somebody outside the area."""
    return NotFound(f"事件 {event_id} 不存在或不在您的管辖范围内", f"event {event_id} does not exist or is outside your area")


def _in_force_event(session: Session, officer: Officer, event_id: int) -> Event:
    ev = session.get(Event, event_id)
    if ev is None:
        raise event_not_found(event_id)
    subject = session.get(Person, ev.person_id)
    if subject is None or not officer.sees_person(session, subject):
        raise event_not_found(event_id)
    if ev.kind == "retraction" or session.scalar(select(Event.id).where(Event.supersedes_id == ev.id)) is not None:
        raise UserError(
            f"事件 {event_id} 已被更正或撤销，请更正其最新版本",
            f"event {event_id} was already corrected or retracted; correct its latest version",
        )
    return ev


def correct(session: Session, officer: Officer, event_id: int, *, reason: str, source: str = "village", **changes: object) -> Event:
    """A new event replacing ``event_id`` with the given changes; the original stays, superseded. As
    ``officer`` (event:write): the event's person is in the area, and so is what the changes name."""
    officer.require("event:write", "更正事件", "correct events")
    officer.writing(session)
    if not reason.strip():
        raise ValidationFailed([problem("required", "reason", "")])
    old = _in_force_event(session, officer, event_id)
    changed = _ids(changes)
    values = {c: getattr(old, c) for c in CONTENT} | changed | {"source": source}
    _require_area(session, officer, values, subject=None, changed=set(changed))
    person = session.get(Person, values["person_id"])
    problems = check_event(values, person, death_date(session, old.person_id, ignoring=old.id))
    if problems:
        raise ValidationFailed(problems)
    ev = Event(**values, supersedes_id=old.id, reason=reason.strip(), fingerprint=fingerprint(values))
    session.add(ev)
    session.flush()
    return ev


def retract(session: Session, officer: Officer, event_id: int, *, reason: str, source: str = "village") -> Event:
    """Withdraw an event recorded in error (a new 'retraction' event; the original stays), as ``officer``
    (event:write; the event's person in the area)."""
    officer.require("event:write", "撤销事件", "retract events")
    officer.writing(session)
    if not reason.strip():
        raise ValidationFailed([problem("required", "reason", "")])
    old = _in_force_event(session, officer, event_id)
    values = {"kind": "retraction", "person_id": old.person_id, "date": old.date}
    ev = Event(
        **values, source=source, supersedes_id=old.id, reason=reason.strip(), fingerprint=fingerprint(values | {"place": str(old.id)})
    )
    session.add(ev)
    session.flush()
    return ev


def timeline(session: Session, person: Person) -> list[Event]:
    """Every event about a person (as subject, partner or parent), corrections included, in order."""
    q = select(Event).where(
        (Event.person_id == person.id) | (Event.partner_id == person.id) | (Event.mother_id == person.id) | (Event.father_id == person.id)
    )
    return list(session.scalars(q.order_by(Event.date, Event.id)))
