"""Pages over the registry: person search and the person page (details, state, timeline, audited
reveal). Every query runs with the signed-in account's scope."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from renkou.auth.roles import ROLES, Role, allows
from renkou.auth.scope import Scope
from renkou.core.events import EVENT_KINDS
from renkou.core.idnumber import mask
from renkou.errors import NotFound, UserError
from renkou.registry import asof, audit, events, persons
from renkou.registry.orgs import Hierarchy
from renkou.storage.db import Actor
from renkou.storage.schema import Account, OrgUnit, Person
from renkou.web.i18n import gettext
from renkou.web.security import COOKIE

router = APIRouter(include_in_schema=False)


def _lang(request: Request) -> str:
    return "en" if request.cookies.get("lang") == "en" else "zh"


def _user(request: Request):
    """(session, account, scope, unit view) of the signed-in user, or None."""
    sess = request.app.state.sessions.read(request.cookies.get(COOKIE))
    if sess is None or sess.account_id == 0:
        return None
    with request.app.state.db.read() as s:
        acc = s.get(Account, sess.account_id)
        if acc is None or not acc.active:
            return None
        scope = Scope.for_unit(s, acc.unit_id)
        unit = Hierarchy.as_of(s, dt.date.today()).units.get(acc.unit_id)
    return sess, acc, scope, unit


def _render(request: Request, name: str, user, status: int = 200, **ctx) -> HTMLResponse:
    sess, acc, _, unit = user
    lg = _lang(request)
    info = ROLES[Role(acc.role)]
    return request.app.state.templates.TemplateResponse(
        request, name, {"lang": lg, "_": lambda m: gettext(lg, m), "csrf": sess.csrf, "account": acc,
                        "role_name": info.zh if lg == "zh" else info.en, "unit_name": unit.name if unit else "", **ctx},
        status_code=status)


def _denied(request: Request, user) -> HTMLResponse:
    return _render(request, "message.html", user, status=403, title=gettext(_lang(request), "Not permitted"),
                   message=gettext(_lang(request), "Your role may not open this page."))


@router.get("/persons", response_class=HTMLResponse)
def search_page(request: Request, q: str = ""):
    user = _user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if not allows(Role(user[1].role), "person:read"):
        return _denied(request, user)
    with request.app.state.db.read() as s:
        found = persons.search(s, q, scope=user[2]) if q.strip() else []
    rows = [{"pid": p.id, "id": mask(p.id_number) if p.id_number else p.temp_key, "name": p.name,
             "sex": p.sex, "birth": p.birth_date.isoformat()} for p in found]
    partial = request.headers.get("hx-request") == "true"
    return _render(request, "results.html" if partial else "persons.html", user, title=gettext(_lang(request), "Find a person"),
                   q=q, rows=rows)


def _in_scope(s, user, pid: int) -> Person:
    """The person with this internal number if in the user's area (URLs carry it, never an ID number)."""
    p = s.get(Person, pid)
    if p is None or not user[2].has_person(s, p):
        raise NotFound("not in area", "not in area")
    return p


@router.get("/persons/{pid}", response_class=HTMLResponse)
def person_page(request: Request, pid: int, revealed: str | None = None):
    user = _user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if not allows(Role(user[1].role), "person:read"):
        return _denied(request, user)
    lg = _lang(request)
    with request.app.state.db.read() as s:
        try:
            p = _in_scope(s, user, pid)
        except NotFound:
            return _render(request, "message.html", user, status=404, title=gettext(lg, "Not found"),
                           message=gettext(lg, "No such person in your area."))
        st = asof.person_state(s, p, dt.date.today())
        codes = dict(s.query(OrgUnit.id, OrgUnit.code).all())
        timeline = [{"date": e.date.isoformat(), "kind": EVENT_KINDS[e.kind].zh if lg == "zh" else EVENT_KINDS[e.kind].en,
                     "unit": codes.get(e.residence_unit_id or e.hukou_unit_id or 0, ""), "superseded": e.supersedes_id is not None}
                    for e in events.timeline(s, p)]
    return _render(request, "person.html", user, title=p.name, person=p, id_shown=revealed or (mask(p.id_number) if p.id_number else ""),
                   state=st, timeline=timeline, can_reveal=allows(Role(user[1].role), "person:reveal") and bool(p.id_number))


@router.post("/persons/{pid}/reveal", response_class=HTMLResponse)
async def reveal_page(request: Request, pid: int):
    user = _user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    lg = _lang(request)
    if not allows(Role(user[1].role), "person:reveal"):
        return _denied(request, user)
    form = await request.form()
    addr = request.client.host if request.client else ""
    try:
        with request.app.state.db.write(Actor(user[1].username, "web", addr)) as s:
            p = _in_scope(s, user, pid)
            shown = audit.reveal(s, p, "id_number", str(form.get("reason", "")))
    except NotFound:
        return _render(request, "message.html", user, status=404, title=gettext(lg, "Not found"), message=gettext(lg, "No such person in your area."))
    except UserError:
        return _render(request, "message.html", user, status=422, title=gettext(lg, "Reason required"),
                       message=gettext(lg, "Give the reason for showing the full ID number; it is written to the audit trail."))
    return person_page(request, pid, revealed=shown)
