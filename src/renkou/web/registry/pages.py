"""Pages over the registry: person search and the person page (details, state, timeline, audited
reveal). Every query runs with the signed-in account's scope."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from renkou.auth.roles import ROLES, Role, allows
from renkou.auth.scope import Scope
from renkou.core.events import EVENT_KINDS
from renkou.core.idnumber import mask
from renkou.errors import NotFound, UserError
from renkou.registry import asof, audit, events, persons
from renkou.registry.orgs import Hierarchy
from renkou.storage.db import Actor
from renkou.storage.schema import Account, Event, OrgUnit, Person
from renkou.web.i18n import gettext, language_of as _lang
from renkou.web.security import COOKIE

router = APIRouter(include_in_schema=False)
SMALL_AREA = 5_000  # persons: a search in an area this small starts from the area's people


def _user(request: Request):
    """(session, account, scope, unit view) of the signed-in user, or None."""
    sess = request.app.state.sessions.read(request.cookies.get(COOKIE))
    if sess is None or sess.account_id == 0:
        return None
    with request.app.state.db.read() as s:
        acc = s.get(Account, sess.account_id)
        if acc is None or not acc.active:
            return None
        h = Hierarchy.as_of(s, dt.date.today())
        scope = Scope.for_unit(s, acc.unit_id, hierarchy=h)
        unit = h.units.get(acc.unit_id)
    return sess, acc, scope, unit


def _must_enrol(acc: Account) -> bool:
    return ROLES[Role(acc.role)].needs_totp and not acc.totp_secret


def _gate(request: Request, permission: str | None = None):
    """(user, None) for a signed-in user whose role has ``permission``; else (None, the response):
    a redirect to sign in, or to set up a second factor the role requires first, or "not permitted"."""
    user = _user(request)
    if user is None:
        return None, RedirectResponse("/login", status_code=303)
    if _must_enrol(user[1]):
        return None, RedirectResponse("/account/totp", status_code=303)
    if permission is not None and not allows(Role(user[1].role), permission):
        return None, _denied(request, user)
    return user, None


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


@router.get("/orgs", response_class=HTMLResponse)
def org_tree(request: Request, date: str | None = None):
    """The organisation tree under the user's unit as it stood on a date, with each unit's history
    (renames, merges) — for every role that may read the organisation."""
    user, refused = _gate(request, "org:read")
    if refused is not None:
        return refused
    lg = _lang(request)
    try:
        day = dt.date.fromisoformat(date) if date else dt.date.today()
    except ValueError:
        day = dt.date.today()
    from renkou.registry import orgs

    with request.app.state.db.read() as s:
        h = Hierarchy.as_of(s, day)
        root = s.get(OrgUnit, user[1].unit_id)
        if root is None or root.code not in h.by_code:
            return _render(request, "message.html", user, status=404, title=gettext(lg, "Not found"),
                           message=gettext(lg, "Your unit did not exist on that date."))
        rows = []
        for depth, u in h.walk(root.code):
            changes = [c for c in orgs.history(s, u.code) if c["what"] != "version" or c["date"] != u.valid_from]
            rows.append({"depth": depth, "code": u.code, "name": u.name, "level": u.level, "history": changes})
    return _render(request, "registry/orgs.html", user, title=gettext(lg, "Organisation"), rows=rows, day=day.isoformat())


@router.get("/persons", response_class=HTMLResponse)
def search_page(request: Request, q: str = ""):
    user, refused = _gate(request, "person:read")
    if refused is not None:
        return refused
    stats, scope = request.app.state.stats, user[2]
    # a village's few thousand people are listed first from the statistics model; a larger area checks the matches
    within = None if scope.everything or not q.strip() else stats.members(scope.unit_ids, at_most=SMALL_AREA)
    with request.app.state.db.read() as s:
        found = persons.search(s, q, scope=scope, locate=stats.locate, within=within) if q.strip() else []
    rows = [{"pid": p.id, "id": mask(p.id_number) if p.id_number else p.temp_key, "name": p.name,
             "sex": p.sex, "birth": p.birth_date.isoformat()} for p in found]
    partial = request.headers.get("hx-request") == "true"
    return _render(request, "registry/results.html" if partial else "registry/persons.html", user, title=gettext(_lang(request), "Find a person"),
                   q=q, rows=rows)


def _not_in_area(request: Request, user) -> HTMLResponse:
    lg = _lang(request)
    return _render(request, "message.html", user, status=404, title=gettext(lg, "Not found"), message=gettext(lg, "No such person in your area."))


def _in_scope(s, user, pid: int, locate=None) -> Person:
    """The person with this internal number if in the user's area (URLs carry it, never an ID number)."""
    p = s.get(Person, pid)
    if p is None or not user[2].has_person(s, p, locate=locate):
        raise NotFound("not in area", "not in area")
    return p


@router.get("/persons/{pid}", response_class=HTMLResponse)
def person_page(request: Request, pid: int, revealed: str | None = None):
    user, refused = _gate(request, "person:read")
    if refused is not None:
        return refused
    lg = _lang(request)
    with request.app.state.db.read() as s:
        try:
            p = _in_scope(s, user, pid, locate=request.app.state.stats.locate)
        except NotFound:
            return _not_in_area(request, user)
        st = asof.person_state(s, p, dt.date.today())
        role = Role(user[1].role)
        writes = allows(role, "event:write")
        timeline = _timeline(s, user, p, lg, writes, locate=request.app.state.stats.locate)
        support = _benefits_of(request, s, user, p, lg) if allows(role, "benefit:read") else None
    return _render(request, "registry/person.html", user, title=p.name, person=p, id_shown=revealed or (mask(p.id_number) if p.id_number else ""),
                   state=st, timeline=timeline, support=support, can_reveal=allows(role, "person:reveal") and bool(p.id_number),
                   can_write=writes, can_register_birth=writes and allows(role, "person:write"), sep="：" if lg == "zh" else ": ")


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
    if not others or user[2].everything:
        visible = set(others)
    elif locate is not None:
        visible = set(user[2].located(locate(others)))
    else:
        inside = user[2].person_ids(dt.date.today(), persons=others)
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
        rows.append({"id": e.id, "date": e.date.isoformat(), "kind": kind, "unit": codes.get(e.residence_unit_id or e.hukou_unit_id or 0, ""),
                     "other": {"pid": o, "name": names.get(o, ""), "link": o in visible} if o else None,
                     "superseded": e.id in replaced, "reason": e.reason or "",
                     "correctable": writes and e.kind != "retraction" and e.id not in replaced and (e.person_id == p.id or e.person_id in visible)})
    return rows


def _benefits_of(request: Request, s, user, p: Person, lg: str) -> list[dict]:
    """The person's family-support applications (as the beneficiary) and recipient records, those
    of units in the account's area, each linked to its page (renkou.web.benefits)."""
    from renkou.benefits import cycle
    from renkou.storage.schema import BenefitApplication, BenefitRecipient
    from renkou.web.benefits.common import programme_name

    inside = user[2].unit_ids
    apps = s.scalars(select(BenefitApplication).where(BenefitApplication.person_id == p.id).order_by(BenefitApplication.id)).all()
    recs = s.scalars(select(BenefitRecipient).where(BenefitRecipient.person_id == p.id).order_by(BenefitRecipient.id)).all()
    out = [{"href": f"/benefits/applications/{a.id}", "what": gettext(lg, "Application"), "n": a.id,
            "programme": programme_name(request, a.programme, lg), "when": str(a.year),
            "status": cycle.STATUSES[a.status][lg == "en"]}
           for a in apps if inside is None or a.unit_id in inside]
    out += [{"href": f"/benefits/recipients/{r.id}", "what": gettext(lg, "Recipient"), "n": r.id, "programme": programme_name(request, r.programme, lg),
             "when": f"{r.since}–{r.ended_on or ''}", "status": ""} for r in recs if inside is None or r.unit_id in inside]
    return out


@router.post("/persons/{pid}/reveal", response_class=HTMLResponse)
async def reveal_page(request: Request, pid: int):
    user, refused = _gate(request, "person:reveal")
    if refused is not None:
        return refused
    lg = _lang(request)
    form = await request.form()
    addr = request.client.host if request.client else ""
    try:
        with request.app.state.db.write(Actor(user[1].username, "web", addr)) as s:
            p = _in_scope(s, user, pid)
            shown = audit.reveal(s, p, "id_number", str(form.get("reason", "")))
    except NotFound:
        return _not_in_area(request, user)
    except UserError:
        return _render(request, "message.html", user, status=422, title=gettext(lg, "Reason required"),
                       message=gettext(lg, "Give the reason for showing the full ID number; it is written to the audit trail."))
    return person_page(request, pid, revealed=shown)


# ------------------------------------------------------------------------------- second factor

def _signer(request: Request):
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(request.app.state.sessions.secret, salt="renkou-totp-enrol")


@router.get("/account/totp", response_class=HTMLResponse)
def totp_form(request: Request, error: str | None = None, status: int = 200):
    user = _user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    from renkou.auth import accounts

    secret, uri = accounts.start_totp(user[1])
    # the new secret travels signed (and bound to this account) until a code confirms it
    token = _signer(request).dumps({"a": user[1].id, "s": secret})
    return _render(request, "account/totp.html", user, status=status, title=gettext(_lang(request), "Set up the one-time code"),
                   secret=secret, uri=uri, qr=_qr_svg(uri, gettext(_lang(request), "QR code of the key for the authenticator app")),
                   enrol_token=token, error=error, required=_must_enrol(user[1]))


def _qr_svg(uri: str, title: str):
    """The otpauth:// URI as an inline SVG QR code (drawn on the server: no script, nothing fetched)."""
    import segno
    from markupsafe import Markup

    return Markup(segno.make(uri, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff", title=title, svgclass="qr-code"))


@router.post("/account/totp", response_class=HTMLResponse)
async def totp_confirm(request: Request):
    user = _user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    from itsdangerous import BadSignature

    from renkou.auth import accounts

    lg = _lang(request)
    form = await request.form()
    try:
        data = _signer(request).loads(str(form.get("enrol_token", "")), max_age=900)
    except BadSignature:
        data = None
    if not data or data.get("a") != user[1].id:
        return totp_form(request, error=gettext(lg, "The set-up form has expired; start again."), status=400)
    try:
        with request.app.state.db.write(Actor(user[1].username, "web", request.client.host if request.client else ""),
                                        note="TOTP set up") as s:
            accounts.confirm_totp(s, s.get(Account, user[1].id), data["s"], str(form.get("code", "")))
    except UserError:
        return totp_form(request, error=gettext(lg, "The code is wrong; enter the code the app shows now."), status=422)
    return RedirectResponse("/", status_code=303)


# ------------------------------------------------------------------------------- registration forms

from renkou.web.registry.forms import router as forms_router  # noqa: E402 - its routes reuse the helpers above

router.include_router(forms_router)
