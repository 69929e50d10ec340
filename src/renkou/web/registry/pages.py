"""Pages over the registry: the organisation tree, person search and the person page (details, state,
timeline, benefits, audited reveal). Every query runs with the signed-in account's scope.

Not here: the registration and correction forms (renkou.web.registry.forms*)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from renkou.auth.roles import Permission
from renkou.benefits.cycle import application_workflow
from renkou.core.events import EVENT_KINDS
from renkou.core.idnumber import mask
from renkou.errors import NotFound, UserError
from renkou.registry import asof, audit, events, orgs, persons
from renkou.registry.orgs import Hierarchy
from renkou.storage.db import Actor
from renkou.storage.schema import BenefitApplication, BenefitRecipient, Event, OrgUnit, Person
from renkou.web import paging
from renkou.web.benefits.common import programme_name
from renkou.web.deps import Id, User, require
from renkou.web.i18n import gettext
from renkou.web.i18n import language_of as _lang
from renkou.web.render import message, person_not_in_area, render

router = APIRouter(include_in_schema=False)
SMALL_AREA = 5_000  # persons: a search in an area this small starts from the area's people


@router.get("/orgs", response_class=HTMLResponse)
def org_tree(request: Request, user: Annotated[User, Depends(require(Permission.ORG_READ))], date: str | None = None):
    """The organisation tree under the user's unit as it stood on a date, with each unit's history
    (renames, merges) — for every role that may read the organisation; a page of units at a time
    (renkou.web.paging), in tree order."""
    lg = _lang(request)
    try:
        day = dt.date.fromisoformat(date) if date else dt.date.today()
    except ValueError:
        day = dt.date.today()
    with request.app.state.db.read() as s:
        h = Hierarchy.as_of(s, day)
        root = s.get(OrgUnit, user.account.unit_id)
        if root is None or root.code not in h.by_code:
            return message(request, user, 404, gettext(lg, "Not found"), gettext(lg, "Your unit did not exist on that date."))
        tree = h.walk(root.code)
        pg = paging.asked(request, len(tree))
        rows = []
        for depth, u in tree[pg.offset : pg.offset + pg.size]:  # each unit's history is read for the units shown only
            changes = [c for c in orgs.history(s, u.code) if c["what"] != "version" or c["date"] != u.valid_from]
            rows.append({"depth": depth, "code": u.code, "name": u.name, "level": u.level, "history": changes})
    return render(request, "registry/orgs.html", user, title=gettext(lg, "Organisation"), rows=rows, day=day.isoformat(), pg=pg)


@router.get("/persons", response_class=HTMLResponse)
def search_page(request: Request, user: Annotated[User, Depends(require(Permission.PERSON_READ))], q: str = ""):
    stats, scope = request.app.state.stats, user.scope
    # a village's few thousand people are listed first from the statistics model; a larger area checks the matches
    within = None if scope.everything or not q.strip() else stats.members(scope.unit_ids, at_most=SMALL_AREA)
    with request.app.state.db.read() as s:
        found = persons.search(s, q, scope=scope, locate=stats.locate, within=within) if q.strip() else []
    rows = [
        {
            "pid": p.id,
            "id": mask(p.id_number) if p.id_number else p.temp_key,
            "name": p.name,
            "sex": p.sex,
            "birth": p.birth_date.isoformat(),
        }
        for p in found
    ]
    partial = request.headers.get("hx-request") == "true"
    return render(
        request,
        "registry/results.html" if partial else "registry/persons.html",
        user,
        title=gettext(_lang(request), "Find a person"),
        q=q,
        rows=rows,
    )


def _in_scope(s, user, pid: int, locate=None) -> Person:
    """The person with this internal number if in the user's area (URLs carry it, never an ID number)."""
    p = s.get(Person, pid)
    if p is None or not user.scope.has_person(s, p, locate=locate):
        raise NotFound("not in area", "not in area")
    return p


@router.get("/persons/{pid}", response_class=HTMLResponse)
def person_page(request: Request, user: Annotated[User, Depends(require(Permission.PERSON_READ))], pid: Id):
    return _person(request, user, pid)


def _person(request: Request, user: User, pid: int, revealed: str | None = None) -> HTMLResponse:
    """The person page; ``revealed`` is the full ID number that the audited reveal has just shown
    (only ``reveal_page`` passes it: no request parameter can put a value there)."""
    lg = _lang(request)
    with request.app.state.db.read() as s:
        try:
            p = _in_scope(s, user, pid, locate=request.app.state.stats.locate)
        except NotFound:
            return person_not_in_area(request, user)
        st = asof.person_state(s, p, dt.date.today())
        writes = user.may(Permission.EVENT_WRITE)
        timeline = _timeline(s, user, p, lg, writes, locate=request.app.state.stats.locate)
        support = _benefits_of(request, s, user, p, lg) if user.may(Permission.BENEFIT_READ) else None
    return render(
        request,
        "registry/person.html",
        user,
        title=p.name,
        person=p,
        id_shown=revealed or (mask(p.id_number) if p.id_number else ""),
        state=st,
        timeline=timeline,
        support=support,
        can_reveal=user.may(Permission.PERSON_REVEAL) and bool(p.id_number),
        can_write=writes,
        can_register_birth=writes and user.may(Permission.PERSON_WRITE),
        sep="：" if lg == "zh" else ": ",
    )


def _timeline(s, user, p: Person, lg: str, writes: bool, locate=None) -> list[dict]:
    """The person's events in order. A birth where this person is the mother or father names the
    child, a marriage or divorce names the partner (linked when in the area); an event that a
    correction or retraction replaced is marked superseded; one in force may be corrected."""
    evs = events.timeline(s, p)
    ids = [e.id for e in evs]
    replaced = set(s.scalars(select(Event.supersedes_id).where(Event.supersedes_id.in_(ids)))) if ids else set()
    other_of = {}
    for e in evs:
        if e.kind in ("birth", "adoption") and e.person_id != p.id:
            other_of[e.id] = e.person_id
        elif e.kind in ("marriage", "divorce"):
            other_of[e.id] = e.partner_id if e.person_id == p.id else e.person_id
    others = sorted({o for o in other_of.values() if o})
    names = dict(s.execute(select(Person.id, Person.name).where(Person.id.in_(others))).all()) if others else {}
    if not others or user.scope.everything:
        visible = set(others)
    elif locate is not None:
        visible = set(user.scope.located(locate(others)))
    else:
        inside = user.scope.person_ids(dt.date.today(), persons=others)
        visible = set(s.scalars(select(inside.subquery().c[0])))
    codes = Hierarchy.as_of(s, dt.date.today()).codes
    rows = []
    for e in evs:
        kind = EVENT_KINDS[e.kind].zh if lg == "zh" else EVENT_KINDS[e.kind].en
        if e.kind == "birth" and e.person_id != p.id:
            kind = gettext(lg, "Birth of a child")
        elif e.kind == "adoption" and e.person_id != p.id:
            kind = gettext(lg, "Adoption of a child")
        o = other_of.get(e.id)
        rows.append(
            {
                "id": e.id,
                "date": e.date.isoformat(),
                "kind": kind,
                "unit": codes.get(e.residence_unit_id or e.hukou_unit_id or 0, ""),
                "other": {"pid": o, "name": names.get(o, ""), "link": o in visible} if o else None,
                "superseded": e.id in replaced,
                "reason": e.reason or "",
                "correctable": writes
                and e.kind != "retraction"
                and e.id not in replaced
                and (e.person_id == p.id or e.person_id in visible),
            }
        )
    return rows


def _benefits_of(request: Request, s, user, p: Person, lg: str) -> list[dict]:
    """The person's family-support applications (as the beneficiary) and recipient records, those
    of units in the account's area, each linked to its page (renkou.web.benefits)."""
    inside = user.scope.unit_ids
    apps = s.scalars(select(BenefitApplication).where(BenefitApplication.person_id == p.id).order_by(BenefitApplication.id)).all()
    recs = s.scalars(select(BenefitRecipient).where(BenefitRecipient.person_id == p.id).order_by(BenefitRecipient.id)).all()
    out = [
        {
            "href": f"/benefits/applications/{a.id}",
            "what": gettext(lg, "Application"),
            "n": a.id,
            "programme": programme_name(request, a.programme, lg),
            "when": str(a.year),
            "status": application_workflow.STATUSES[a.status][lg == "en"],
        }
        for a in apps
        if inside is None or a.unit_id in inside
    ]
    out += [
        {
            "href": f"/benefits/recipients/{r.id}",
            "what": gettext(lg, "Recipient"),
            "n": r.id,
            "programme": programme_name(request, r.programme, lg),
            "when": f"{r.since}–{r.ended_on or ''}",
            "status": "",
        }
        for r in recs
        if inside is None or r.unit_id in inside
    ]
    return out


@router.post("/persons/{pid}/reveal", response_class=HTMLResponse)
async def reveal_page(request: Request, user: Annotated[User, Depends(require(Permission.PERSON_REVEAL))], pid: Id):
    lg = _lang(request)
    form = await request.form()
    addr = request.client.host if request.client else ""
    try:
        with request.app.state.db.write(Actor(user.account.username, "web", addr)) as s:
            p = _in_scope(s, user, pid)
            shown = audit.reveal(s, p, "id_number", str(form.get("reason", "")))
    except NotFound:
        return person_not_in_area(request, user)
    except UserError:
        return message(
            request,
            user,
            422,
            gettext(lg, "Reason required"),
            gettext(lg, "Give the reason for showing the full ID number; it is written to the audit trail."),
        )
    return _person(request, user, pid, revealed=shown)
