"""The audit viewer (/audit, permission audit:read — the auditor): who did what, when, through which
channel and from where, filtered by date range, actor, channel, action and person, a page at a time, newest changeset first.

An entry is one of
* an ``audit_entry`` row: an update (with its before/after values) or a reveal of a masked field;
* the rows one changeset created in one table (persons, events, households, units, accounts, API
  tokens, and the benefit cycle's applications, steps, decisions and payments), counted: one line for a birth registered on a form, one line for ten thousand persons of an
  import. Events that replace another are "correct" or "retract" rather than "create".

Scope: an auditor bound to a township sees the entries about the persons of its area (by their
current hukou or residence unit, renkou.auth.scope — filtered in the query, the area's people listed
by the statistics model, which tests hold to the event log's answer) and about the units,
households and accounts of its subtree; one bound to the county sees everything. ID numbers in
values and reasons are masked. Times are UTC, as stored.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Integer, case, cast, func, literal_column, null, or_, select, union_all

from renkou.auth.roles import Permission
from renkou.auth.scope import Scope
from renkou.core.events import EVENT_KINDS
from renkou.core.idnumber import mask
from renkou.storage import schema
from renkou.storage.schema import Account, ApiToken, AuditEntry, Changeset, Event, Household, OrgUnit, Person
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
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


class Filters:
    def __init__(self, q: dict[str, str], lang: str) -> None:
        self.values = {k: (q.get(k) or "").strip() for k in ("from", "to", "actor", "channel", "action", "person")}
        self.errors: dict[str, str] = {}
        self.start = self._date("from", lang)
        self.end = self._date("to", lang)
        self.actor = self.values["actor"][:64] or None
        self.channel = self.values["channel"] if self.values["channel"] in CHANNELS else None
        self.action = self.values["action"] if self.values["action"] in ACTIONS else None
        raw = self.values["person"]
        self.person = db_id(raw)
        if raw and self.person is None:
            self.errors["person"] = gettext(lang, "Enter the person's internal number (digits only).")
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

    def link(self, page: int) -> str:
        return "/audit?" + urlencode({**{k: v for k, v in self.values.items() if v}, "page": page})


def _changeset_where(f: Filters) -> list:
    out = []
    if f.start:
        out.append(Changeset.at >= dt.datetime.combine(f.start, dt.time()))
    if f.end:
        out.append(Changeset.at < dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time()))
    if f.actor:
        out.append(Changeset.actor == f.actor)
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


def page(session, f: Filters, scope: Scope, today: dt.date | None = None, *, members=None) -> tuple[list, bool]:
    """One page of entries, newest changeset first, and whether there are more. Changesets are read a batch
    at a time and only their rows are grouped (through the created_cs indexes), so a page costs the same in
    a county of a million as in a village. ``members`` (unit ids, date → person ids, e.g.
    ``Stats.members``) lists the area's people from memory instead of from the event log."""
    people = None
    if not scope.everything:  # the area's people, computed once for every branch and batch
        day = today or dt.date.today()
        if members is not None:
            people = select(_area_table(session, members(scope.unit_ids, day, at_most=10**9)).c.id)
        else:
            area = scope.person_ids(day).cte("area_people")
            people = select(area.c[0])
    want = f.page * PAGE + 1  # the rows up to the end of this page, and one to tell whether more follow
    changesets = select(Changeset.id).where(*_changeset_where(f)).order_by(Changeset.id.desc()).limit(BATCH)
    rows: list = []
    below = None
    while len(rows) < want:
        batch = list(session.scalars(changesets if below is None else changesets.where(Changeset.id < below)))
        if not batch:
            break
        below = batch[-1]
        parts = [_entries(f, scope, people)] + [_created(m, f, scope, people) for m in CREATED]
        parts = [p.where(Changeset.id.in_(batch)) for p in parts if p is not None]
        if not parts:
            return [], False
        u = union_all(*parts).subquery()
        rows += session.execute(select(u).order_by(u.c.cs.desc(), u.c.tbl, u.c.row_id)).all()
    start = (f.page - 1) * PAGE
    return rows[start : start + PAGE], len(rows) > start + PAGE


def _area_table(session, ids: list[int]):
    """The area's people in a temporary table of this connection (a township's tens of thousands are too many
    for an IN list)."""
    from sqlalchemy import BigInteger, column, table

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


def _details(session, rows, lang: str) -> list[dict]:
    entries = {e.id: e for e in session.scalars(select(AuditEntry).where(AuditEntry.id.in_([r.entry_id for r in rows if r.entry_id])))}
    single = {}
    for model in (Person, Event, Household, OrgUnit, Account, ApiToken):
        ids = [r.row_id for r in rows if r.entry_id is None and r.n == 1 and r.tbl == model.__tablename__]
        for obj in session.scalars(select(model).where(model.id.in_(ids))) if ids else ():
            single[(model.__tablename__, obj.id)] = obj
    out = []
    for r in rows:
        change, reason = [], ""
        if r.entry_id:
            e = entries[r.entry_id]
            reason = e.reason or ""
            if e.action == "reveal":
                change = [{"field": (e.after or {}).get("field", ""), "before": "", "after": ""}]
            else:
                keys = sorted(set(e.before or {}) | set(e.after or {}))
                change = [
                    {"field": k, "before": _masked(k, (e.before or {}).get(k)), "after": _masked(k, (e.after or {}).get(k))} for k in keys
                ]
            detail = ""
        elif r.n == 1:
            detail, reason = _describe(single.get((r.tbl, r.row_id)), lang)
        else:
            detail = gettext(lang, "rows created:") + f" {r.n}"
        out.append(
            {
                "at": f"{r.at:%Y-%m-%d %H:%M:%S}",
                "actor": r.actor,
                "channel": r.channel,
                "origin": _masked("", r.origin),
                "note": _masked("", r.note),
                "action": r.action,
                "table": r.tbl,
                "row": r.row_id if r.n == 1 else None,
                "person": r.person_id,
                "detail": detail,
                "change": change,
                "reason": _masked("", reason),
            }
        )
    return out


def _describe(obj, lang: str) -> tuple[str, str]:
    """A created row in a few words (no names: an ID number masked, a household's number, a unit's code)."""
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
        "tables": {
            "person": gettext(lang, "Person"),
            "event": gettext(lang, "Event"),
            "household": gettext(lang, "Household"),
            "org_unit": gettext(lang, "Organisation unit"),
            "org_version": gettext(lang, "Organisation unit version"),
            "account": gettext(lang, "User account"),
            "api_token": gettext(lang, "API token"),
        },
    }


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: Annotated[User, Depends(require(Permission.AUDIT_READ))]):
    lg = language_of(request)
    f = Filters(dict(request.query_params), lg)
    with request.app.state.db.read() as s:
        rows, more = page(s, f, user.scope, members=request.app.state.stats.members)
        shown = _details(s, rows, lg)
    return render(
        request,
        "admin/audit.html",
        user,
        status=400 if f.errors else 200,
        title=gettext(lg, "Audit trail"),
        rows=shown,
        f=f,
        labels=_labels(lg),
        channels=CHANNELS,
        actions=ACTIONS,
        prev=f.link(f.page - 1) if f.page > 1 else "",
        next=f.link(f.page + 1) if more else "",
        person_link=lambda pid: Filters({"person": str(pid)}, lg).link(1),
    )
