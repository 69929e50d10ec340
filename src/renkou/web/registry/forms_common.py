"""What the registration forms share: reading and showing a form, the person picker, units of the
account's area, and turning the registry's validation problems into messages next to their fields.

Every reference a form carries (a person's internal number, a unit code) is checked against the
account's scope before anything about it is shown or checked: outside it, the answer is the person
pages' 404 "not in your area". The decision to write is the registry services' own: a form passes the
account's ``Officer`` (``Entered.officer``), and the services check its permission and area again. Problems come from the registry's own checks (renkou.registry.persons and
events, the rule catalogue of renkou.core.problems), so a form says what the importer says.

Who is asking and what a form needs are the route's dependencies (renkou.web.deps); pages are
rendered by renkou.web.render.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from renkou.auth.officer import Officer
from renkou.core.dates import parse_date  # the dates a form accepts are those an import file may hold
from renkou.core.idnumber import mask
from renkou.core.problems import Problem, problem
from renkou.errors import NotFound
from renkou.registry import persons
from renkou.registry.orgs import Hierarchy
from renkou.storage.db import Actor
from renkou.storage.schema import OrgUnit, Person
from renkou.web.deps import User, db_id, officer
from renkou.web.i18n import language_of

PICKERS = {"mother": "F", "father": "M", "person": "", "partner": ""}  # picker field -> sex of the people it lists
# registry problem fields -> form fields (the rest name form fields already, or go to the top of the form)
FIELD_OF = {
    "mother_id": "mother",
    "father_id": "father",
    "partner_id": "partner",
    "person_id": "person",
    "hukou_unit": "village",
    "residence_unit": "village",
    "temp_key": "id_number",
    "destination_code": "dest_code",
}


class Again(Exception):
    """Show the form again, saving nothing: with problems (status 400), or asking for a confirmation
    or showing search results (``status`` 200); ``ctx`` goes to the template."""

    def __init__(self, problems: list[Problem] | None = None, *, status: int = 400, **ctx: object) -> None:
        super().__init__("form shown again")
        self.problems = problems or []
        self.status = status
        self.ctx = ctx


@dataclass
class Entered:
    """The values of a submitted form (stripped text), the account and the request's language."""

    values: dict[str, str]
    user: User
    lang: str
    today: dt.date = field(default_factory=dt.date.today)
    origin: str = ""  # the client's address, for the changeset

    @property
    def officer(self) -> Officer:
        """The account as the registry services' officer: they check its permission and area themselves."""
        return Officer.for_account(self.user.account, self.user.scope, channel="web", origin=self.origin)

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")

    @property
    def scope(self):
        return self.user.scope

    @property
    def account(self):
        return self.user.account


# ------------------------------------------------------------------------------ answers


def actor(request: Request, user) -> Actor:
    return officer(request, user).actor


def after_save(request: Request, user, pid: int, saved: str) -> RedirectResponse:
    """303 to the person's page, which confirms what was saved (``saved``: the event kind, or
    correction / retraction; renkou.web.registry.pages.SAVED words it), or to the forms' index when
    the person has just left the area (a move)."""
    with request.app.state.db.read() as s:
        p = s.get(Person, pid)
        inside = p is not None and user.scope.has_person(s, p)
    return RedirectResponse(f"/persons/{pid}?saved={saved}" if inside else "/register?saved=left", status_code=303)


async def entered(request: Request, user, names: tuple[str, ...]) -> Entered:
    form = await request.form()  # parsed once, by the application's CSRF check
    return Entered(
        {n: str(form.get(n, "")).strip() for n in names}, user, language_of(request), origin=request.client.host if request.client else ""
    )


def errors_of(problems: list[Problem], lang: str, rename: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Messages by form field ("" = the top of the form), in the page's language."""
    out: dict[str, list[str]] = {}
    for p in problems:
        f = (rename or {}).get(p.field) or FIELD_OF.get(p.field, p.field)
        msg = p.en if lang == "en" else p.zh
        if msg not in out.setdefault(f, []):
            out[f].append(msg)
    return out


# ------------------------------------------------------------------------------ values


def date_field(e: Entered, name: str, probs: list[Problem]) -> dt.date | None:
    """A required date, not after today (the importer's rules: required, bad_date, future_date)."""
    raw = e[name]
    if not raw:
        probs.append(problem("required", name, ""))
        return None
    d = parse_date(raw)
    if d is None:
        probs.append(problem("bad_date", name, raw))
    elif d > e.today:
        probs.append(problem("future_date", name, raw))
        return None
    return d


def text_field(e: Entered, name: str, probs: list[Problem], limit: int) -> str | None:
    v = e[name]
    if len(v) > limit:
        probs.append(problem("too_long", name, v, max=limit))
    return v or None


def person_field(s, e: Entered, name: str, probs: list[Problem] | None = None) -> Person | None:
    """The person picked in ``name`` (an internal number), in the account's area; None when empty
    (a "required" problem when ``probs`` is given). NotFound for anything else: a number that is not
    one, nobody, or somebody outside the area all look alike."""
    raw = e[name]
    if not raw:
        if probs is not None:
            probs.append(problem("required", name, ""))
        return None
    pid = db_id(raw)
    if pid is None:
        raise NotFound("not in area", "not in area")
    p = s.get(Person, pid)
    if p is None or not e.scope.has_person(s, p):
        raise NotFound("not in area", "not in area")
    return p


def _county_code(h: Hierarchy, unit_id: int) -> str | None:
    path = h.path(unit_id)
    for u in path:
        if u.level == "county":
            return u.code
    return path[0].code if path else None


def unit_options(s, user, *, county_wide: bool = False, today: dt.date | None = None) -> list[dict]:
    """Villages (村居) where an event may place someone: those of the account's area, or for the
    destination of a move every village of its county; grouped under their township."""
    h = Hierarchy.as_of(s, today or dt.date.today())
    acc = user.account
    if acc.unit_id not in h.units:
        return []
    root = _county_code(h, acc.unit_id) if county_wide else h.units[acc.unit_id].code
    out = []
    for _, u in h.walk(root):
        if u.level == "village" and (county_wide or user.scope.unit_ids is None or u.id in user.scope.unit_ids):
            parent = h.units.get(u.parent_id) if u.parent_id else None
            out.append({"code": u.code, "name": u.name, "group": parent.name if parent else ""})
    return out


def unit_field(s, e: Entered, name: str, probs: list[Problem], *, county_wide: bool = False, required: bool = True) -> OrgUnit | None:
    """The unit chosen in ``name`` (a code): one of ``unit_options``; NotFound for any other code."""
    code = e[name]
    if not code:
        if required:
            probs.append(problem("required", name, ""))
        return None
    if code not in {u["code"] for u in unit_options(s, e.user, county_wide=county_wide, today=e.today)}:
        raise OutsideUnit()
    return s.scalar(select(OrgUnit).where(OrgUnit.code == code))


# ------------------------------------------------------------------------------ the person picker


def person_row(p: Person) -> dict:
    return {
        "pid": p.id,
        "name": p.name,
        "key": mask(p.id_number) if p.id_number else (p.temp_key or ""),
        "birth": p.birth_date.isoformat(),
        "sex": p.sex,
    }


def search_people(s, user, text: str, sex: str = "", limit: int = 20) -> list[dict]:
    """People of the account's area matching a name, pinyin or ID number (renkou.registry.persons.search)."""
    if not text.strip():
        return []
    found = persons.search(s, text, scope=user.scope, limit=200 if sex else limit)
    return [person_row(p) for p in found if not sex or p.sex == sex][:limit]


def pickers(s, user, values: dict[str, str], names: tuple[str, ...], searched: str = "") -> dict[str, dict]:
    """For each picker: the person picked (if any, and in the area), and search results for the one
    whose search button was pressed."""
    out = {}
    for n in names:
        chosen = None
        raw = values.get(n, "")
        if db_id(raw) is not None:
            p = s.get(Person, db_id(raw))
            if p is not None and user.scope.has_person(s, p):
                chosen = person_row(p)
        rows = [chosen] if chosen else []
        if n == searched:
            rows += [r for r in search_people(s, user, values.get(f"{n}_q", ""), PICKERS[n]) if not chosen or r["pid"] != chosen["pid"]]
        out[n] = {"rows": rows, "chosen": chosen["pid"] if chosen else None, "searched": n == searched, "q": values.get(f"{n}_q", "")}
    return out


# ------------------------------------------------------------------------------ one form kind


class OutsideUnit(NotFound):
    """A unit code that is not one of the form's choices (another township's village, a made-up code)."""

    def __init__(self) -> None:
        super().__init__("单位不在管辖范围内", "unit not in area")


@dataclass(frozen=True)
class Spec:
    """A registration form: its fields, pickers, unit choices and the function that saves it.

    ``save(session, entered) -> person id`` raises Again / ValidationFailed (nothing written: the
    write transaction rolls back) or NotFound (404); ``context(session, user, values)`` adds to the
    template's context; ``prefill`` are the query parameters a GET may preset (a person's page links
    to ``/register/death?person=12``)."""

    kind: str
    path: str
    template: str
    title: Callable[[str], str]
    names: tuple[str, ...]
    permissions: tuple[str, ...]
    save: Callable
    pickers: tuple[str, ...] = ()
    units: str | None = None  # None, "area" or "county"
    prefill: tuple[str, ...] = ()
    context: Callable | None = None

    @property
    def submitted(self) -> tuple[str, ...]:
        return (*self.names, *(f"{p}_q" for p in self.pickers), "find", "confirm_new", "confirm_id", "seen")
