"""Pages over the registry: the organisation tree, person search (each person's status, village, age and
masked ID number, the registered first, counted and paged) and the person page (details, state, family,
timeline, benefits, audited reveal, the confirmation of a save, the forms that make sense for the person).
Every query runs with the signed-in account's scope.

Not here: the registration and correction forms (renkou.web.registry.forms*)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from renkou.auth.roles import Permission
from renkou.benefits.cycle import application_workflow
from renkou.core.dates import age
from renkou.core.events import EVENT_KINDS
from renkou.core.idnumber import mask
from renkou.core.vocab import ETHNICITIES, HUKOU_TYPES, MARITAL_STATUSES
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


def N_(msgid: str) -> str:
    """Marks a message for extraction (the gettext no-op); translated where it is shown."""
    return msgid


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


PAGE = 50  # people a search shows at a time; "more" shows the next as many
STATUS_LABELS = {"registered": N_("Registered"), "moved": N_("Moved out"), "dead": N_("Dead")}


def _unit_name(h: Hierarchy, unit_id: int | None) -> str:
    """The name of the unit that holds, today, the people recorded against ``unit_id`` ("" for none)."""
    u = h.units.get(h.resolve(unit_id) or -1) if unit_id else None
    return u.name if u else ""


def _shown(raw: str) -> int:
    """How many results the page shows: a multiple of PAGE up to the search's cap (PAGE for anything else)."""
    n = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 5 else PAGE
    return min(max(PAGE, n - n % PAGE), persons.FIND_CAP)


@router.get("/persons", response_class=HTMLResponse)
def search_page(
    request: Request, user: Annotated[User, Depends(require(Permission.PERSON_READ))], q: str = "", status: str = "", shown: str = ""
):
    """Find people of the area by name, pinyin or ID number: each with their status (registered, moved
    out, dead), village, age and masked ID number; the registered first, counted, PAGE at a time."""
    lg = _lang(request)
    stats, scope = request.app.state.stats, user.scope
    status = status if status in persons.STATUSES else ""
    n = _shown(shown)
    today = dt.date.today()
    # a village's few thousand people are listed first from the statistics model; a larger area checks the matches
    within = None if scope.everything or not q.strip() else stats.members(scope.unit_ids, at_most=SMALL_AREA)
    with request.app.state.db.read() as s:
        found = persons.find(s, q, scope=scope, locate=stats.locate, within=within, status=status, limit=n) if q.strip() else None
        h = Hierarchy.as_of(s, today)
    rows = [
        {
            "pid": x.person.id,
            "id": mask(x.person.id_number) if x.person.id_number else x.person.temp_key,
            "name": x.person.name,
            "sex": x.person.sex,
            "birth": x.person.birth_date.isoformat(),
            "age": age(x.person.birth_date, x.died or today),
            "status": x.status,
            "status_label": gettext(lg, STATUS_LABELS[x.status]),
            "died": x.died.isoformat() if x.died else "",
            "village": _unit_name(h, x.residence_unit_id) or _unit_name(h, x.hukou_unit_id),
        }
        for x in (found.hits if found else [])
    ]
    partial = request.headers.get("hx-request") == "true"
    return render(
        request,
        "registry/results.html" if partial else "registry/persons.html",
        user,
        title=gettext(lg, "Find a person"),
        q=q,
        only=status,
        rows=rows,
        found=found,
        cap=persons.FIND_CAP,
        next_shown=n + PAGE,
        statuses=[(k, gettext(lg, v)) for k, v in STATUS_LABELS.items()],
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


# What the person page confirms after a form saved (the forms redirect with ?saved=KIND); anything else shows nothing.
SAVED = {
    "birth": N_("Saved: the birth is recorded."),
    "death": N_("Saved: the death is recorded."),
    "marriage": N_("Saved: the marriage is recorded."),
    "divorce": N_("Saved: the divorce is recorded."),
    "move": N_("Saved: the move is recorded."),
    "correction": N_("Saved: the correction is recorded."),
    "retraction": N_("Saved: the entry is retracted."),
}
# The registration forms the person page offers, by the person's status: none that makes no sense for
# the dead (a second death, a marriage, a birth), and for someone who left the county only a move (back).
ACTIONS = ("birth", "marriage", "divorce", "move", "death")
OFFERED = {
    persons.REGISTERED: frozenset(ACTIONS),
    persons.MOVED: frozenset({"move"}),
    persons.DEAD: frozenset(),
}
MARRIAGE_AGE = {"M": 22, "F": 20}  # the legal age of marriage (Civil Code art. 1047)
PARENT_AGE = 15  # the youngest age the statistics count a mother at (childbearing age 15-49)


RELATIONS = {
    "mother": N_("Mother"),
    "father": N_("Father"),
    "adoptive_mother": N_("Adoptive mother"),
    "adoptive_father": N_("Adoptive father"),
    "spouse": N_("Spouse"),
    "child": N_("Child"),
}


def offered(
    status: str, *, writes: bool, births: bool, benefit: bool, age: int | None = None, sex: str = "F", married: bool = False
) -> list[str]:
    """The forms the page links to for a person of ``status`` aged ``age``, ``married`` or not, for an
    account that may record events (``writes``), register births (``births``) and enter benefit
    applications (``benefit``): a birth of their child from PARENT_AGE, a marriage from the legal age
    and not while married, a divorce only while married."""
    fits = {
        "birth": births and (age is None or age >= PARENT_AGE),
        "marriage": not married and (age is None or age >= MARRIAGE_AGE.get(sex, 22)),
        "divorce": married,
        "move": True,
        "death": True,
    }
    out = [a for a in ACTIONS if writes and a in OFFERED[status] and fits[a]]
    return out + (["benefit"] if benefit and status == persons.REGISTERED else [])


def _place(h: Hierarchy, code: str | None) -> str:
    """A unit (by code) by name, with the township above a village ("甲镇 一村"); "" for none."""
    if not code:
        return ""
    u = h.by_code.get(code)
    return _unit_label(h, u.id if u else next((i for i, c in h.codes.items() if c == code), None))


def _unit_label(h: Hierarchy, unit_id: int | None) -> str:
    """A unit (by id; a retired one as its successor) by name, with the township above a village."""
    u = h.resolve(unit_id)
    if u is None:
        return ""
    return " ".join(x.name for x in h.path(u) if x.level in ("township", "village", "group", "unit"))


def _visible(s, user, ids: list[int], locate=None) -> set[int]:
    """Those of ``ids`` in the account's area (linked on the page; the others are named only)."""
    if not ids or user.scope.everything:
        return set(ids)
    if locate is not None:
        return set(user.scope.located(locate(ids)))
    inside = user.scope.person_ids(dt.date.today(), persons=ids)
    return set(s.scalars(select(inside.subquery().c[0])))


def _family(s, user, p: Person, lg: str, state: asof.PersonState, locate=None) -> list[dict]:
    """Parents, spouse and children, each named with their relation, linked when in the area."""
    fam = persons.family(s, p, state.date, state=state)
    pairs = [*fam.parents, *([("spouse", fam.spouse)] if fam.spouse else []), *(("child", c) for c in fam.children)]
    ids = [i for _, i in pairs]
    people = {x.id: x for x in s.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    linked = _visible(s, user, ids, locate)
    return [
        {
            "relation": gettext(lg, RELATIONS[rel]),
            "pid": i,
            "name": people[i].name,
            "birth": people[i].birth_date.isoformat(),
            "link": i in linked,
        }
        for rel, i in pairs
        if i in people
    ]


def _person(request: Request, user: User, pid: int, revealed: str | None = None) -> HTMLResponse:
    """The person page; ``revealed`` is the full ID number that the audited reveal has just shown
    (only ``reveal_page`` passes it: no request parameter can put a value there)."""
    lg = _lang(request)
    locate = request.app.state.stats.locate
    today = dt.date.today()
    with request.app.state.db.read() as s:
        try:
            p = _in_scope(s, user, pid, locate=locate)
        except NotFound:
            return person_not_in_area(request, user)
        st = asof.person_state(s, p, today)
        died = persons.deaths(s, [p.id], today).get(p.id)
        status = persons.status_of(st.alive, 1 if st.hukou_unit else None, 1 if st.residence_unit else None)
        writes = user.may(Permission.EVENT_WRITE)
        timeline = _timeline(s, user, p, lg, writes, locate=locate)
        support = _benefits_of(request, s, user, p, lg) if user.may(Permission.BENEFIT_READ) else None
        family = _family(s, user, p, lg, st, locate=locate)
        h = Hierarchy.as_of(s, today)
        places = {"hukou": _place(h, st.hukou_unit), "residence": _place(h, st.residence_unit)}
    saved = request.query_params.get("saved", "")
    eth = ETHNICITIES.get(p.ethnicity)
    return render(
        request,
        "registry/person.html",
        user,
        title=p.name,
        person=p,
        id_shown=revealed or (mask(p.id_number) if p.id_number else ""),
        state=st,
        person_status=status,
        status_label=gettext(lg, STATUS_LABELS[status]),
        died=died.isoformat() if died and not st.alive else "",
        age=age(p.birth_date, died if died and not st.alive else today) if p.birth_date <= today else None,
        marital=MARITAL_STATUSES[st.marital_status][lg == "en"] if st.marital_status in MARITAL_STATUSES else "",
        ethnicity=(eth[1] or eth[0]) if eth and lg == "en" else (eth[0] if eth else p.ethnicity),
        hukou_type=HUKOU_TYPES[st.hukou_type][lg == "en"] if st.hukou_type in HUKOU_TYPES else "",
        places=places,
        family=family,
        saved=gettext(lg, SAVED[saved]) if saved in SAVED else "",
        timeline=timeline,
        support=support,
        can_reveal=user.may(Permission.PERSON_REVEAL) and bool(p.id_number),
        can_write=writes,
        actions=offered(
            status,
            writes=writes,
            births=writes and user.may(Permission.PERSON_WRITE),
            benefit=user.may(Permission.BENEFIT_APPLY) and support == [],
            age=age(p.birth_date, today) if p.birth_date <= today else None,
            sex=p.sex,
            married=st.marital_status == "married",
        ),
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
    h = Hierarchy.as_of(s, dt.date.today())
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
                "unit": _unit_label(h, e.residence_unit_id or e.hukou_unit_id) or e.destination_code or "",
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
