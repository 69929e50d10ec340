"""The audit viewer (/audit, permission audit:read — the auditor): who did what, when, through which
channel and from where, filtered by date range, actor, channel, action and person, a page at a time
(with the count of entries; renkou.web.paging, the links keeping the filters), newest changeset first; the filtered entries as an XLSX file
(/audit/export.xlsx).

An entry is one of
* an ``audit_entry`` row: an update (with its before/after values) or a reveal of a masked field;
* the rows one changeset created in one table (persons, events, households, units, accounts, API
  tokens, and the benefit cycle's applications, steps, decisions and payments), counted: one line for a birth registered on a form, one line for ten thousand persons of an
  import. Events that replace another are "correct" or "retract" rather than "create".

Scope: an auditor bound to a township sees the entries about the persons of its area (by their
current hukou or residence unit, renkou.auth.scope — filtered in the query, the area's people listed
by the statistics model, which tests hold to the event log's answer) and about the units,
households and accounts of its subtree; one bound to the county sees everything. ID numbers in
values and reasons are masked.

Shown as people read it: tables, fields and statuses by their Chinese (or English) names
(renkou.web.admin.audit_names), the actor by the account's name (the user name beside it), the person
concerned by name and masked ID number (only a person of the auditor's area), times in the configured
time zone (renkou.web.timefmt; the dates of the filter are local days too). The person filter is found
by name or ID number (POST /audit/person, so that nothing personal is in an address) among the
auditor's area only: a person elsewhere is "no match", as one who does not exist.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import BigInteger, Integer, case, cast, column, func, literal_column, null, or_, select, table, union_all

from renkou.auth.roles import ROLES, Permission, Role
from renkou.auth.scope import Scope
from renkou.config import Settings
from renkou.core.events import EVENT_KINDS
from renkou.core.idnumber import mask
from renkou.registry import persons
from renkou.storage import schema
from renkou.storage.schema import Account, ApiToken, AuditEntry, Changeset, Event, Household, OrgUnit, Person
from renkou.web import paging, timefmt
from renkou.web.admin import audit_export
from renkou.web.admin.audit_names import field_name, note_text, status_name, table_name
from renkou.web.deps import User, db_id, require
from renkou.web.i18n import gettext, language_of
from renkou.web.render import render

router = APIRouter(include_in_schema=False)
# the family-support benefit cycle's tables (renkou.benefits): applications, steps, decisions, payments
BENEFIT_TABLES = tuple(
    m
    for m in vars(schema).values()
    if isinstance(m, type)
    and issubclass(m, schema.Tracked)
    and m is not schema.Tracked
    and getattr(m, "__tablename__", "").startswith(("benefit_", "payment_"))
)
CREATED = (Person, Event, Household, OrgUnit, Account, ApiToken, *BENEFIT_TABLES)
PAGE = 50
CHANNELS = ("web", "import", "cli", "system")
ACTIONS = ("create", "update", "reveal", "correct", "retract")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?")  # a stored (UTC) time, as the trail keeps it
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


class Filters:
    """The filters of a request (its query): dates are local days of ``settings``' time zone."""

    def __init__(self, q: dict[str, str], lang: str, settings: Settings | None = None) -> None:
        self.values = {k: (q.get(k) or "").strip() for k in ("from", "to", "actor", "channel", "action", "person")}
        self.errors: dict[str, str] = {}
        self.start = self._date("from", lang)
        self.end = self._date("to", lang)
        self.since, self.until = timefmt.utc_day_bounds(self.start, self.end, settings or Settings())  # stored UTC
        self.actor = self.values["actor"][:64] or None
        self.channel = self.values["channel"] if self.values["channel"] in CHANNELS else None
        self.action = self.values["action"] if self.values["action"] in ACTIONS else None
        raw = self.values["person"]
        self.person = db_id(raw)
        if raw and self.person is None:
            self.errors["person"] = gettext(lang, "Enter the person's internal number (digits only).")
        self.person_shown = ""  # the person filtered on, by name and masked ID number (set by the page once checked)
        try:
            self.page = max(1, int(q.get("page") or 1))
        except ValueError:
            self.page = 1

    def _date(self, name: str, lang: str) -> dt.date | None:
        raw = self.values[name]
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            self.errors[name] = gettext(lang, "Enter a date as YYYY-MM-DD.")
            return None

    def kept(self) -> tuple[tuple[str, str], ...]:
        """The filters given, as the pager's links keep them."""
        return tuple((k, v) for k, v in self.values.items() if v)

    def link(self, page: int, path: str = "/audit") -> str:
        return path + "?" + urlencode({**dict(self.kept()), "page": page})

    def export_link(self) -> str:
        return "/audit/export.xlsx?" + urlencode({k: v for k, v in self.values.items() if v})


def _changeset_where(f: Filters) -> list:
    out = []
    if f.since:
        out.append(Changeset.at >= f.since)
    if f.until:
        out.append(Changeset.at < f.until)
    if f.actor:  # the user name, or the account's name
        out.append(or_(Changeset.actor == f.actor, Changeset.actor.in_(select(Account.username).where(Account.display_name == f.actor))))
    if f.channel:
        out.append(Changeset.channel == f.channel)
    return out


def _cs_columns():
    return (
        Changeset.id.label("cs"),
        Changeset.at.label("at"),
        Changeset.actor.label("actor"),
        Changeset.channel.label("channel"),
        Changeset.origin.label("origin"),
        Changeset.note.label("note"),
    )


def _entries(f: Filters, scope: Scope, people):
    """The audit_entry branch: updates and reveals."""
    if f.action not in (None, "update", "reveal"):
        return None
    unit_of = case(
        (AuditEntry.table_name == "household", select(Household.unit_id).where(Household.id == AuditEntry.row_id).scalar_subquery()),
        (AuditEntry.table_name == "org_unit", AuditEntry.row_id),
        (AuditEntry.table_name == "account", select(Account.unit_id).where(Account.id == AuditEntry.row_id).scalar_subquery()),
        (
            AuditEntry.table_name == "api_token",
            select(Account.unit_id)
            .join(ApiToken, ApiToken.account_id == Account.id)
            .where(ApiToken.id == AuditEntry.row_id)
            .scalar_subquery(),
        ),
        else_=null(),
    )
    q = (
        select(
            *_cs_columns(),
            AuditEntry.action.label("action"),
            AuditEntry.table_name.label("tbl"),
            AuditEntry.row_id.label("row_id"),
            literal_column("1").label("n"),
            AuditEntry.person_id.label("person_id"),
            AuditEntry.id.label("entry_id"),
        )
        .join(Changeset, Changeset.id == AuditEntry.changeset_id)
        .where(*_changeset_where(f))
    )
    if f.action:
        q = q.where(AuditEntry.action == f.action)
    if f.person is not None:
        q = q.where(AuditEntry.person_id == f.person)
    if people is not None:
        q = q.where(or_(AuditEntry.person_id.in_(people), unit_of.in_(list(scope.unit_ids or ()))))
    return q


def _created(model, f: Filters, scope: Scope, people):
    """The rows one changeset created in one table, counted (events by create/correct/retract)."""
    # constants written into the SQL (no bind parameters), so that GROUP BY repeats the SELECT's expression exactly
    if model is Event:
        action = case(
            (Event.supersedes_id.is_(None), _sql("create")), (Event.kind == _sql("retraction"), _sql("retract")), else_=_sql("correct")
        )
        subject, about = Event.person_id, (Event.person_id, Event.partner_id)
        persons_of = (Event.person_id, Event.partner_id, Event.mother_id, Event.father_id)
    else:
        action = _sql("create")
        subject = Person.id if model is Person else getattr(model, "person_id", None)
        about = (subject,) if subject is not None else ()
        persons_of = about
    if f.action is not None and (f.action not in ("create", "correct", "retract") or (model is not Event and f.action != "create")):
        return None
    if f.person is not None and not persons_of:
        return None
    n = func.count()
    person = case((n == 1, func.min(subject)), else_=null()) if subject is not None else null()
    q = (
        select(
            *_cs_columns(),
            action.label("action"),
            _sql(model.__tablename__).label("tbl"),
            func.min(model.id).label("row_id"),
            n.label("n"),
            cast(person, Integer).label("person_id"),
            cast(null(), Integer).label("entry_id"),
        )
        .join(Changeset, Changeset.id == model.created_cs)
        .where(*_changeset_where(f))
    )
    if model is Event and f.action:
        q = q.where(action == f.action)
    if f.person is not None:
        q = q.where(or_(*(c == f.person for c in persons_of)))
    if people is not None:
        ids = list(scope.unit_ids or ())
        if about:
            q = q.where(or_(*(c.in_(people) for c in about)))
        elif model is Household:
            q = q.where(Household.unit_id.in_(ids))
        elif model is OrgUnit:
            q = q.where(OrgUnit.id.in_(ids))
        elif model is Account:
            q = q.where(Account.unit_id.in_(ids))
        elif model is ApiToken:
            q = q.where(ApiToken.account_id.in_(select(Account.id).where(Account.unit_id.in_(ids))))
        elif hasattr(model, "unit_id"):  # a benefit posting: the village's
            q = q.where(model.unit_id.in_(ids))
        else:  # a step, batch or bank file names no person or unit of its own: the county's auditors see it
            return None
    return q.group_by(Changeset.id, action) if model is Event else q.group_by(Changeset.id)


def _sql(word: str):
    assert word.isidentifier()  # a fixed word of this module, never input
    return literal_column(f"'{word}'")


BATCH = 200  # changesets read at a time, newest first


def area_people(session, scope: Scope, today: dt.date | None = None, *, members=None):
    """The area's people as a SELECT of ids (None for a county-wide scope), computed once for every branch
    and batch. ``members`` (unit ids, date → person ids, e.g. ``Stats.members``) lists them from memory
    instead of from the event log."""
    if scope.everything:
        return None
    day = today or dt.date.today()
    if members is not None:
        return select(_area_table(session, members(scope.unit_ids, day, at_most=10**9)).c.id)
    area = scope.person_ids(day).cte("area_people")
    return select(area.c[0])


def _parts(f: Filters, scope: Scope, people) -> list:
    parts = [_entries(f, scope, people)] + [_created(m, f, scope, people) for m in CREATED]
    return [p for p in parts if p is not None]


def page(
    session, f: Filters, scope: Scope, today: dt.date | None = None, *, members=None, size: int | None = None, people=None
) -> tuple[list, bool]:
    """One page of entries (``size``, default PAGE), newest changeset first, and whether there are more.
    Changesets are read a batch at a time and only their rows are grouped (through the created_cs indexes),
    so a page costs the same in a county of a million as in a village. ``people``: the area's, from
    `area_people` (computed here when not given)."""
    size = size or PAGE
    if people is None:
        people = area_people(session, scope, today, members=members)
    want = f.page * size + 1  # the rows up to the end of this page, and one to tell whether more follow
    changesets = select(Changeset.id).where(*_changeset_where(f)).order_by(Changeset.id.desc()).limit(BATCH)
    rows: list = []
    below = None
    while len(rows) < want:
        batch = list(session.scalars(changesets if below is None else changesets.where(Changeset.id < below)))
        if not batch:
            break
        below = batch[-1]
        parts = [p.where(Changeset.id.in_(batch)) for p in _parts(f, scope, people)]
        if not parts:
            return [], False
        u = union_all(*parts).subquery()
        rows += session.execute(select(u).order_by(u.c.cs.desc(), u.c.tbl, u.c.row_id)).all()
    start = (f.page - 1) * size
    return rows[start : start + size], len(rows) > start + size


def count(session, f: Filters, scope: Scope, today: dt.date | None = None, *, members=None, people=None) -> int:
    """How many entries the filters select (every page's), as `page` lists them.

    County-wide and without a person, through the indexes only (an entry per changeset and table, so each
    table's distinct creating changesets; the events' corrections apart), so that counting a county of a
    million costs little more than a page; an area or a person narrows the rows first, then they are
    grouped as `page` groups them."""
    if people is None:
        people = area_people(session, scope, today, members=members)
    parts = _parts(f, scope, people)
    if not parts:
        return 0
    if f.person is not None or people is not None:
        return _scalar(session, select(func.count()).select_from(union_all(*parts).subquery()))
    where = _changeset_where(f)
    ids = select(Changeset.id).where(*where) if where else None
    total = 0
    if _entries(f, scope, None) is not None:
        q = select(func.count(AuditEntry.id))
        q = q.where(AuditEntry.changeset_id.in_(ids)) if ids is not None else q
        total += _scalar(session, q.where(AuditEntry.action == f.action) if f.action else q)
    for model in CREATED:
        part = _created(model, f, scope, None)
        if part is None:
            continue
        if model is Event and f.action is not None:  # creations, corrections or retractions only: grouped
            total += _scalar(session, select(func.count()).select_from(part.subquery()))
        elif model is Event:
            total += _event_groups(session, ids)
        else:
            q = select(func.count(func.distinct(model.created_cs)))
            total += _scalar(session, q.where(model.created_cs.in_(ids)) if ids is not None else q)
    return total


def _scalar(session, q) -> int:
    return int(session.scalar(q) or 0)


def _event_groups(session, ids) -> int:
    """The events' entries of the changesets ``ids`` (None: all) — one per changeset and action (create,
    correct, retract): the changesets that created events, plus their corrections and retractions (found
    through the index of ``supersedes_id``), less the changesets that made nothing but those."""
    within = (Event.created_cs.in_(ids),) if ids is not None else ()
    with_events = _scalar(session, select(func.count(func.distinct(Event.created_cs))).where(*within))
    # "> 0" rather than IS NOT NULL: a range the unique index of supersedes_id answers (ids are positive)
    corrections = {
        (cs, kind == "retraction")
        for cs, kind in session.execute(select(Event.created_cs, Event.kind).where(Event.supersedes_id > 0, *within))
    }
    changed = sorted({cs for cs, _ in corrections})
    made: set[int] = set()
    for i in range(0, len(changed), 500):  # those that created events too
        chunk = changed[i : i + 500]
        made |= set(session.scalars(select(Event.created_cs).where(Event.created_cs.in_(chunk), Event.supersedes_id.is_(None)).distinct()))
    return with_events - (len(changed) - len(made)) + len(corrections)


def _area_table(session, ids: list[int]):
    """The area's people in a temporary table of this connection (a township's tens of thousands are too many
    for an IN list)."""
    conn = session.connection()
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS audit_area (id BIGINT PRIMARY KEY)")
    conn.exec_driver_sql("DELETE FROM audit_area")
    area = table("audit_area", column("id", BigInteger))
    for i in range(0, len(ids), 50_000):
        conn.execute(area.insert(), [{"id": p} for p in ids[i : i + 50_000]])
    return area


# ------------------------------------------------------------------------------------ showing


def _masked(key: str, value) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if "id_number" in key and isinstance(value, str) and value:
        text = mask(value)
    return ID_LIKE.sub(lambda m: mask(m.group(1)), text)


def _value(tbl: str, key: str, value, lang: str, settings: Settings | None = None) -> str:
    """A before/after value as people read it: a status, a role, a kind of event by its name, yes/no, a
    time in the configured zone."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext(lang, "Yes") if value else gettext(lang, "No")
    if isinstance(value, str):
        if value == "*** (changed)":  # a secret (renkou.storage.db): that it changed, never its value
            return "*** " + gettext(lang, "(changed)")
        if ISO_TIME.fullmatch(value):
            return timefmt.text(dt.datetime.fromisoformat(value), settings or Settings())
        if key == "status":
            return status_name(tbl, value, lang)
        if tbl == "account" and key == "role" and value in {r.value for r in Role}:
            info = ROLES[Role(value)]
            return info.en if lang == "en" else info.zh
        if tbl == "event" and key == "kind" and value in EVENT_KINDS:
            return EVENT_KINDS[value].en if lang == "en" else EVENT_KINDS[value].zh
    return _masked(key, value)


def _people_shown(session, ids: set[int], scope: Scope, locate=None) -> dict[int, dict]:
    """The persons of ``ids`` in the auditor's area, by name and masked ID number (or temporary key)."""
    if not ids:
        return {}
    found = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(sorted(ids))))}
    if not scope.everything:
        if locate is not None:
            inside = set(scope.located(locate(sorted(found))))
        else:
            inside = {pid for pid, p in found.items() if scope.has_person(session, p)}
        found = {pid: p for pid, p in found.items() if pid in inside}
    return {pid: {"name": p.name, "id": mask(p.id_number) if p.id_number else (p.temp_key or "")} for pid, p in found.items()}


def details(session, rows, lang: str, settings: Settings | None = None, scope: Scope | None = None, locate=None) -> list[dict]:
    settings = settings or Settings()
    entries = {e.id: e for e in session.scalars(select(AuditEntry).where(AuditEntry.id.in_([r.entry_id for r in rows if r.entry_id])))}
    single = {}
    for model in (Person, Event, Household, OrgUnit, Account, ApiToken):
        ids = [r.row_id for r in rows if r.entry_id is None and r.n == 1 and r.tbl == model.__tablename__]
        for obj in session.scalars(select(model).where(model.id.in_(ids))) if ids else ():
            single[(model.__tablename__, obj.id)] = obj
    actors = {r.actor for r in rows}
    names = dict(session.execute(select(Account.username, Account.display_name).where(Account.username.in_(sorted(actors)))).all())
    people = _people_shown(session, {r.person_id for r in rows if r.person_id}, scope or Scope.county_wide(), locate)
    out = []
    for r in rows:
        change, reason = [], ""
        if r.entry_id:
            e = entries[r.entry_id]
            reason = e.reason or ""
            if e.action == "reveal":
                key = str((e.after or {}).get("field", ""))
                change = [{"key": key, "field": field_name(r.tbl, key, lang), "before": "", "after": ""}]
            else:
                keys = sorted(set(e.before or {}) | set(e.after or {}))
                change = [
                    {
                        "key": k,
                        "field": field_name(r.tbl, k, lang),
                        "before": _value(r.tbl, k, (e.before or {}).get(k), lang, settings),
                        "after": _value(r.tbl, k, (e.after or {}).get(k), lang, settings),
                    }
                    for k in keys
                ]
            detail = ""
        elif r.n == 1:
            detail, reason = _describe(single.get((r.tbl, r.row_id)), lang)
        else:
            detail = gettext(lang, "rows created:") + f" {r.n}"
        who = people.get(r.person_id) if r.person_id else None
        out.append(
            {
                "at": timefmt.text(r.at, settings),
                "actor": names.get(r.actor) or r.actor,
                "username": r.actor,
                "channel": r.channel,
                "origin": _masked("", r.origin),
                "note": _masked("", note_text(r.note, lang)),
                "action": r.action,
                "table": r.tbl,
                "table_name": table_name(r.tbl, lang),
                "row": r.row_id if r.n == 1 else None,
                "person": r.person_id if who else None,
                "person_name": who["name"] if who else "",
                "person_key": who["id"] if who else "",
                "detail": detail,
                "change": change,
                "reason": _masked("", reason),
            }
        )
    return out


def _describe(obj, lang: str) -> tuple[str, str]:
    """A created row in a few words (an ID number masked, a household's number, a unit's code)."""
    if obj is None:
        return "", ""
    if isinstance(obj, Person):
        return (mask(obj.id_number) if obj.id_number else (obj.temp_key or "")), ""
    if isinstance(obj, Event):
        kind = EVENT_KINDS[obj.kind].en if lang == "en" else EVENT_KINDS[obj.kind].zh
        more = f" (#{obj.supersedes_id})" if obj.supersedes_id else ""
        return f"{kind} {obj.date}{more}", obj.reason or ""
    if isinstance(obj, Household):
        return obj.number, ""
    if isinstance(obj, OrgUnit):
        return obj.code, ""
    if isinstance(obj, Account):
        return obj.username, ""
    if isinstance(obj, ApiToken):
        return obj.name, ""
    return "", ""


def _labels(lang: str) -> dict:
    return {
        "channels": {
            "web": gettext(lang, "Web"),
            "import": gettext(lang, "Import"),
            "cli": gettext(lang, "Command line"),
            "system": gettext(lang, "System"),
        },
        "actions": {
            "create": gettext(lang, "Create"),
            "update": gettext(lang, "Update"),
            "reveal": gettext(lang, "Reveal"),
            "correct": gettext(lang, "Correct"),
            "retract": gettext(lang, "Retract"),
        },
    }


# ------------------------------------------------------------------------------------ pages

Auditor = Annotated[User, Depends(require(Permission.AUDIT_READ))]
EXPORT_MAX = 100_000  # entries in one XLSX file; more: narrow the filter


def _person_filter(s, request: Request, user: User, f: Filters, lg: str) -> bool:
    """Whether the person filtered on (if any) is one of the auditor's area: then ``f.person_shown`` names them;
    else the filter's error says so — the same words for a person elsewhere as for none."""
    if f.person is None:
        return True
    shown = _people_shown(s, {f.person}, user.scope, request.app.state.stats.locate).get(f.person)
    if shown is None:
        f.errors["person"] = gettext(lg, "No such person in your area.")
        return False
    f.person_shown = f"{shown['name']} {shown['id']}"
    return True


def _view(
    request: Request,
    user: User,
    f: Filters,
    *,
    status: int = 200,
    who: str = "",
    matches=None,
    search_error: str = "",
    listing: bool = True,
):
    """The page; ``listing=False`` after a person search that found none or several (no entries until one is chosen)."""
    lg = language_of(request)
    settings = request.app.state.settings
    stats = request.app.state.stats
    rows, total = [], 0
    pg = paging.page_of(1, None, 0, path="/audit", query=f.kept(), default_size=PAGE)
    with request.app.state.db.read() as s:
        known = _person_filter(s, request, user, f, lg)
        if known and listing:
            people = area_people(s, user.scope, members=stats.members)
            total = count(s, f, user.scope, people=people)  # counted first: the page asked for is one that exists
            pg = paging.asked(request, total, default_size=PAGE, path="/audit", query=f.kept())
            f.page = pg.number
            found, _ = page(s, f, user.scope, people=people, size=pg.size)
            rows = details(s, found, lg, settings, user.scope, stats.locate)
    if f.errors and status == 200:
        status = 400 if "person" not in f.errors or f.person is None else 404
    return render(
        request,
        "admin/audit.html",
        user,
        status=status,
        title=gettext(lg, "Audit trail"),
        rows=rows,
        f=f,
        pg=pg,
        labels=_labels(lg),
        channels=CHANNELS,
        actions=ACTIONS,
        zone=timefmt.zone_name(settings.time_zone, lg),
        who=who,
        matches=matches or [],
        search_error=search_error,
        person_link=lambda pid: Filters({"person": str(pid)}, lg).link(1),
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: Auditor):
    lg = language_of(request)
    return _view(request, user, Filters(dict(request.query_params), lg, request.app.state.settings))


@router.post("/audit/person", response_class=HTMLResponse)
async def find_person(request: Request, user: Auditor):
    """The person filter, found by name or ID number among the auditor's area (a POST: nothing personal in an
    address). One match: its entries; several: a choice; none (or only people elsewhere): "no match"."""
    lg = language_of(request)
    form = await request.form()
    who = str(form.get("who", "")).replace("\x00", "").strip()[:50]
    f = Filters({}, lg, request.app.state.settings)
    if not who:
        return _view(request, user, f, status=400, search_error=gettext(lg, "Enter a name or an ID number."), listing=False)
    stats = request.app.state.stats
    with request.app.state.db.read() as s:
        found = persons.search(s, who, scope=user.scope, locate=stats.locate, limit=20)
    if len(found) == 1:
        return RedirectResponse(f"/audit?person={found[0].id}", status_code=303)
    if not found:
        return _view(request, user, f, status=404, who=who, search_error=gettext(lg, "No person of your area matches."), listing=False)
    matches = [
        {
            "pid": p.id,
            "name": p.name,
            "id": mask(p.id_number) if p.id_number else (p.temp_key or ""),
            "birth": p.birth_date.isoformat(),
            "link": Filters({"person": str(p.id)}, lg).link(1),
        }
        for p in found
    ]
    return _view(request, user, f, who=who, matches=matches, listing=False)


@router.get("/audit/export.xlsx")
def audit_export_xlsx(request: Request, user: Auditor):
    """The filtered entries (all of them, not one page) as an XLSX file: the same names, times and masking
    as the page; every text cell written as text, never as a formula (renkou.core.cells)."""
    lg = language_of(request)
    settings = request.app.state.settings
    stats = request.app.state.stats
    f = Filters({k: v for k, v in request.query_params.items() if k != "page"}, lg, settings)
    if f.errors:
        return _view(request, user, f)
    with request.app.state.db.read() as s:
        if not _person_filter(s, request, user, f, lg):
            return _view(request, user, f)
        people = area_people(s, user.scope, members=stats.members)
        total = count(s, f, user.scope, people=people)
        if total > EXPORT_MAX:
            f.errors["export"] = gettext(lg, "Too many entries to export in one file ({n}); narrow the filter.").format(n=total)
        else:
            found, _ = page(s, f, user.scope, people=people, size=max(total, 1))
            rows = details(s, found, lg, settings, user.scope, stats.locate)
    if f.errors:
        return _view(request, user, f, status=400)
    data = audit_export.workbook(rows, _labels(lg), lg, zone=timefmt.zone_name(settings.time_zone, lg))
    return Response(
        data,
        media_type=audit_export.XLSX,
        headers={"content-disposition": audit_export.disposition(lg), "cache-control": "no-store"},
    )
