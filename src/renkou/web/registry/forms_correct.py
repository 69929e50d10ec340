"""Correct or retract one event: /persons/{pid}/events/{eid}/correct.

A correction changes the date or the units of the event and needs a reason; a retraction withdraws
an event entered in error, with a reason. Both are new events (renkou.registry.events.correct and
retract): the original stays, superseded. The person of the page and the event's own person must
both be in the account's area, and the event must be one of that person's (404 otherwise).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from renkou.auth.roles import Permission
from renkou.core.events import EVENT_KINDS
from renkou.core.problems import Problem, problem
from renkou.errors import NotFound, UserError, ValidationFailed
from renkou.registry import events
from renkou.storage.schema import Event, OrgUnit, Person
from renkou.web.deps import Id, User, require
from renkou.web.i18n import gettext, language_of
from renkou.web.registry.forms_common import (
    Again,
    Entered,
    OutsideUnit,
    actor,
    after_save,
    date_field,
    entered,
    errors_of,
    unit_field,
    unit_options,
)
from renkou.web.render import person_not_in_area, render, unit_not_in_area

router = APIRouter(include_in_schema=False)
PATH = "/persons/{pid}/events/{eid}/correct"


def _load(s, user, pid: int, eid: int) -> tuple[Person, Event]:
    p, ev = s.get(Person, pid), s.get(Event, eid)
    if p is None or ev is None or pid not in (ev.person_id, ev.partner_id, ev.mother_id, ev.father_id):
        raise NotFound("not in area", "not in area")
    subject = p if ev.person_id == pid else s.get(Person, ev.person_id)
    if not user.scope.has_person(s, p) or not user.scope.has_person(s, subject):
        raise NotFound("not in area", "not in area")
    return p, ev


def unit_fields(ev: Event) -> tuple[str, ...]:
    """The units of an event that a correction may change: where a registration or birth placed the
    person, or where a move took them (a move out of the county names no unit)."""
    if ev.kind in ("register", "birth"):
        return ("hukou_unit", "residence_unit")
    if ev.kind == "move":
        return tuple(
            f
            for f, scopes in (("hukou_unit", ("hukou", "both")), ("residence_unit", ("residence", "both")))
            if ev.scope in scopes and (getattr(ev, f + "_id") is not None or not ev.destination_code)
        )
    return ()


def _summary(s, ev: Event, lang: str) -> dict:
    name = {
        i: n
        for i, n in s.execute(
            select(Person.id, Person.name).where(Person.id.in_([x for x in (ev.person_id, ev.partner_id, ev.mother_id, ev.father_id) if x]))
        )
    }
    unit = dict(
        s.execute(select(OrgUnit.id, OrgUnit.code).where(OrgUnit.id.in_([x for x in (ev.hukou_unit_id, ev.residence_unit_id) if x]))).all()
    )
    k = EVENT_KINDS[ev.kind]
    return {
        "id": ev.id,
        "kind": k.en if lang == "en" else k.zh,
        "date": ev.date.isoformat(),
        "person": name.get(ev.person_id, ""),
        "partner": name.get(ev.partner_id or 0, ""),
        "mother": name.get(ev.mother_id or 0, ""),
        "father": name.get(ev.father_id or 0, ""),
        "hukou_unit": unit.get(ev.hukou_unit_id or 0, ""),
        "residence_unit": unit.get(ev.residence_unit_id or 0, ""),
        "destination": ev.destination_code or "",
        "place": ev.place or "",
        "reason": ev.reason or "",
    }


def _in_force(s, ev: Event) -> bool:
    return ev.kind != "retraction" and s.scalar(select(Event.id).where(Event.supersedes_id == ev.id)) is None


def _page(
    request: Request,
    user,
    pid: int,
    eid: int,
    values: dict | None = None,
    *,
    status: int = 200,
    problems=(),
    rename=None,
    general: str = "",
) -> HTMLResponse:
    lg = language_of(request)
    with request.app.state.db.read() as s:
        p, ev = _load(s, user, pid, eid)
        fields = unit_fields(ev)
        summary = _summary(s, ev, lg)
        if values is None:
            values = {"date": summary["date"], **{f: summary[f] for f in fields}}
        units = unit_options(s, user, county_wide=ev.kind == "move") if fields else []
        for f in fields:  # a unit the account can no longer choose (merged away, another township) stays as it was
            if summary[f] and summary[f] not in {u["code"] for u in units}:
                units = [{"code": summary[f], "name": summary[f], "group": ""}, *units]
        live = _in_force(s, ev)
        if not live:
            general = general or gettext(lg, "This entry has already been corrected or withdrawn; correct its newest version instead.")
    return render(
        request,
        "registry/form_correct.html",
        user,
        status=status,
        title=gettext(lg, "Correct or retract an entry"),
        person=p,
        ev=summary,
        fields=fields,
        units=units,
        v=values,
        errors=errors_of(list(problems), lg, rename),
        general=general,
        action=f"/persons/{pid}/events/{eid}/correct",
        live=live,
    )


@router.get(PATH, response_class=HTMLResponse)
def correct_form(request: Request, user: Annotated[User, Depends(require(Permission.EVENT_WRITE))], pid: Id, eid: Id):
    try:
        return _page(request, user, pid, eid)
    except NotFound:
        return person_not_in_area(request, user)


def _correct(s, e: Entered, ev: Event) -> None:
    probs: list[Problem] = []
    d = date_field(e, "date", probs)
    changes: dict = {}
    if d is not None and d != ev.date:
        changes["date"] = d
    current = dict(
        s.execute(select(OrgUnit.id, OrgUnit.code).where(OrgUnit.id.in_([x for x in (ev.hukou_unit_id, ev.residence_unit_id) if x]))).all()
    )
    for f in unit_fields(ev):
        was = current.get(getattr(ev, f + "_id") or 0, "")
        if e[f] == was:
            continue
        unit = unit_field(s, e, f, probs, county_wide=ev.kind == "move")
        if unit is not None:
            changes[f] = unit
            if ev.destination_code:
                changes["destination_code"] = None  # now a move within the county
    if not e["reason"]:
        probs.append(problem("required", "reason", ""))
    if probs:
        raise Again(probs)
    if not changes:
        raise Again(general=gettext(e.lang, "Nothing was changed: change the date or a unit, or retract the entry."))
    events.correct(s, e.officer, ev.id, reason=e["reason"], source="village", **changes)


@router.post(PATH, response_class=HTMLResponse)
async def correct_save(request: Request, user: Annotated[User, Depends(require(Permission.EVENT_WRITE))], pid: Id, eid: Id):
    e = await entered(request, user, ("action", "date", "hukou_unit", "residence_unit", "reason", "retract_reason"))
    retracting = e["action"] == "retract"
    rename = {"reason": "retract_reason"} if retracting else None
    try:
        with request.app.state.db.write(actor(request, user), note=f"web form: {'retraction' if retracting else 'correction'}") as s:
            _, ev = _load(s, user, pid, eid)
            if retracting:
                events.retract(s, e.officer, ev.id, reason=e["retract_reason"], source="village")
            else:
                _correct(s, e, ev)
    except OutsideUnit:
        return unit_not_in_area(request, user)
    except NotFound:
        return person_not_in_area(request, user)
    except Again as again:
        return _page(request, user, pid, eid, e.values, status=400, problems=again.problems, general=str(again.ctx.get("general", "")))
    except ValidationFailed as exc:
        return _page(request, user, pid, eid, e.values, status=400, problems=exc.problems, rename=rename)
    except UserError as exc:  # e.g. corrected by someone else meanwhile
        return _page(request, user, pid, eid, e.values, status=400, general=exc.en if e.lang == "en" else exc.zh)
    return after_save(request, user, pid, "retraction" if retracting else "correction")
