"""Persons and households: add, find, search, amend (optimistic concurrency, audited), and the
duplicate check before a new person is added; ``find``, the search with each person's status (在册,
迁出, 死亡), counted and paged; a person's ``family`` (parents, spouse, children) as the events record it.

The writes (add_person, amend_person, create_household) take the ``Officer`` acting
(renkou.auth.officer) and check its permission and area here, not in a page or command; a person
outside the officer's area is "not found", with the same words as a person nobody has.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BindParameter, ColumnElement, CompoundSelect, Date, Select, and_, bindparam, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from renkou.auth.officer import Officer, person_not_found
from renkou.auth.scope import Locate, Scope
from renkou.core import idnumber, pinyin
from renkou.core.problems import Problem, problem
from renkou.core.vocab import ETHNICITIES, SEXES
from renkou.errors import ConcurrentEdit, NotFound, UserError, ValidationFailed
from renkou.registry import asof
from renkou.registry.asof import AnySelect, latest
from renkou.registry.log import in_force
from renkou.storage.schema import Event, Household, OrgUnit, Person

EDITABLE = ("name", "sex", "birth_date", "ethnicity", "id_number", "temp_key")


def normalize_key(key: str) -> str:
    """An ID number in its 18-character form (15-digit ones converted), or a temporary key as given."""
    k = key.strip()
    num, _ = idnumber.validate(k)
    return num.value if num else k


def find_person(session: Session, key: str) -> Person | None:
    k = normalize_key(key)
    return session.scalar(select(Person).where(or_(Person.id_number == k, Person.temp_key == k)))


def get_person(session: Session, key: str, *, scope: Scope | None = None, date: dt.date | None = None) -> Person:
    """The person with this ID number or temporary key; with a ``scope`` (renkou.auth.scope.Scope),
    a person outside it is "not found" as well."""
    p = find_person(session, key)
    if p is not None and scope is not None:
        return scope.require_person(session, p, key, date)
    if p is None:
        raise person_not_found(key)
    return p


def check_person(
    *,
    id_number: str | None,
    temp_key: str | None,
    name: str,
    sex: str,
    birth_date: dt.date | None,
    ethnicity: str,
    today: dt.date | None = None,
) -> tuple[str | None, list[Problem]]:
    """Problems with a person's fields; returns the normalised ID number too."""
    out: list[Problem] = []
    norm = None
    if id_number:
        num, probs = idnumber.validate(id_number, today=today)
        out += probs
        norm = num.value if num else None
    elif not temp_key:
        out.append(problem("id_or_temp_key", "id_number", ""))
    if temp_key and len(temp_key) > 32:
        out.append(problem("too_long", "temp_key", temp_key, max=32))
    if not name.strip():
        out.append(problem("required", "name", name))
    elif len(name) > 50:
        out.append(problem("too_long", "name", name, max=50))
    if sex not in SEXES:
        out.append(problem("bad_choice", "sex", sex, choices="M/F, 男/女"))
    if birth_date is None:
        out.append(problem("required", "birth_date", ""))
    elif today is not None and birth_date > today:
        out.append(problem("future_date", "birth_date", birth_date))
    if ethnicity not in ETHNICITIES:
        out.append(problem("bad_choice", "ethnicity", ethnicity, choices="GB 3304 01-56, 97, 98"))
    return norm, out


def findings(person: Person) -> list[Problem]:
    """Data-quality findings: an ID number that disagrees with the recorded sex or birth date."""
    if not person.id_number:
        return []
    num, _ = idnumber.validate(person.id_number)
    return idnumber.discrepancies(num, sex=person.sex, birth_date=person.birth_date) if num else []


def new_temp_key(birth_date: dt.date) -> str:
    return f"T{birth_date:%Y%m%d}-{uuid.uuid4().hex[:10].upper()}"


def _taken(session: Session, officer: Officer, key: str, fld: str) -> Problem | None:
    """A problem when ``key`` (a normalised ID number or a temporary key) is someone's already: in the
    officer's area, the importer's "already recorded"; outside it, only that a record exists elsewhere."""
    other = find_person(session, key)
    if other is None:
        return None
    shown = idnumber.mask(key) if fld == "id_number" else key
    if officer.sees_person(session, other):
        return problem("conflicts_existing", fld, shown, what="人员", what_en="person", fields="key")
    return problem("registered_elsewhere", fld, shown)


def add_person(
    session: Session,
    officer: Officer,
    *,
    name: str,
    sex: str,
    birth_date: dt.date,
    id_number: str | None = None,
    temp_key: str | None = None,
    ethnicity: str = "01",
    today: dt.date | None = None,
) -> Person:
    """A new person, as ``officer`` (person:write). The person is in nobody's area until an event
    (birth, registration) places them: record it in the same transaction."""
    officer.require("person:write", "登记人员", "add persons")
    officer.writing(session)
    norm, problems = check_person(
        id_number=id_number,
        temp_key=temp_key,
        name=name,
        sex=sex,
        birth_date=birth_date,
        ethnicity=ethnicity,
        today=today or dt.date.today(),
    )
    if not problems:
        for key in filter(None, (norm, temp_key)):
            taken = _taken(session, officer, key, "id_number" if key == norm else "temp_key")
            if taken is not None:
                problems.append(taken)
    if problems:
        raise ValidationFailed(problems)
    if norm is None and temp_key is None:
        temp_key = new_temp_key(birth_date)
    py, ini = pinyin.keys(name)
    p = Person(
        id_number=norm,
        temp_key=temp_key,
        name=name.strip(),
        sex=sex,
        birth_date=birth_date,
        ethnicity=ethnicity,
        name_pinyin=py,
        name_initials=ini,
    )
    session.add(p)
    session.flush()
    return p


def amend_person(session: Session, officer: Officer, key: str, *, expected_version: int, reason: str, **changes: object) -> Person:
    """Change a person's identity fields, as ``officer`` (person:write; the person in its area, else
    "not found"). Refused when someone saved a newer version meanwhile; the before/after values and the
    reason go to the audit trail (renkou.storage.db)."""
    officer.require("person:write", "修改人员信息", "amend persons")
    officer.writing(session)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise UserError(f"不能修改字段：{', '.join(sorted(unknown))}", f"these fields cannot be amended: {', '.join(sorted(unknown))}")
    if not reason.strip():
        raise ValidationFailed([problem("required", "reason", "")])
    p = get_person(session, key, scope=officer.scope)
    if p.version != expected_version:
        raise ConcurrentEdit("人员记录", "person record", expected_version, p.version)
    merged = {f: getattr(p, f) for f in EDITABLE} | changes
    norm, problems = check_person(**merged, today=dt.date.today())
    if problems:
        raise ValidationFailed(problems)
    merged["id_number"] = norm
    session.info["reason"] = reason.strip()
    for f, v in merged.items():
        if getattr(p, f) != v:
            setattr(p, f, v)
    py, ini = pinyin.keys(p.name)
    if (p.name_pinyin, p.name_initials) != (py, ini):
        p.name_pinyin, p.name_initials = py, ini
    session.flush()
    return p


# ------------------------------------------------------------------------------ possible duplicates

SAME_MOTHER_DAYS = 7


@dataclass(frozen=True)
class Duplicates:
    """Who a new person may already be, as far as the officer may know: people of its area, each with
    why (``id`` the same ID number; ``name`` the same name and birth date; ``pinyin`` a name that reads
    the same without tones, 章伟 for 张伟, and the same birth date; ``mother`` a birth to the same mother
    within 7 days — the same child entered twice, or a twin); and whether a record with this ID number
    exists outside the area — nothing more about it (who, where, since when)."""

    inside: list[tuple[Person, frozenset[str]]]
    id_elsewhere: bool


def possible_duplicates(
    session: Session,
    officer: Officer,
    *,
    id_number: str | None,
    name: str,
    birth_date: dt.date | None,
    mother_id: int | None = None,
    limit: int = 20,
) -> Duplicates:
    """The people who may be the new person ``name`` born ``birth_date`` with ``id_number`` (normalised
    or None), see `Duplicates`. The register is searched whole, then cut to the officer's area: a name
    and birth date matching somebody elsewhere says nothing at all."""
    found: dict[int, tuple[Person, set[str]]] = {}

    def add(rows: Sequence[Person], why: str) -> None:
        for p in rows:
            found.setdefault(p.id, (p, set()))[1].add(why)

    if id_number:
        add(list(session.scalars(select(Person).where(Person.id_number == id_number))), "id")
    name = name.strip()
    if name and birth_date:
        py = pinyin.keys(name)[0]
        rows = list(
            session.scalars(
                select(Person)
                .where(Person.birth_date == birth_date, or_(Person.name == name, Person.name_pinyin == py))
                .order_by(Person.id)
                .limit(10 * limit)
            )
        )
        add([p for p in rows if p.name == name], "name")
        add([p for p in rows if p.name != name], "pinyin")
    if mother_id and birth_date:
        span = dt.timedelta(days=SAME_MOTHER_DAYS)
        add(
            list(
                session.scalars(
                    select(Person)
                    .join(Event, Event.person_id == Person.id)
                    .where(
                        Event.kind == "birth",
                        Event.mother_id == mother_id,
                        in_force(),
                        and_(Event.date >= birth_date - span, Event.date <= birth_date + span),
                    )
                    .limit(10 * limit)
                )
            ),
            "mother",
        )
    seen = {pid for pid, (p, _) in found.items() if officer.sees_person(session, p)}
    inside = sorted(((p, frozenset(why)) for pid, (p, why) in found.items() if pid in seen), key=lambda x: (x[0].birth_date, x[0].id))
    elsewhere = any("id" in why and pid not in seen for pid, (_, why) in found.items())
    return Duplicates(inside[:limit], elsewhere)


def _prefix(col: InstrumentedAttribute[str | None] | InstrumentedAttribute[str], text: str) -> ColumnElement[bool]:
    """``col`` starts with ``text``, as a range both SQLite and PostgreSQL answer from a b-tree index
    (LIKE 'x%' uses the index on neither by default). The bound above is the text with its last
    character raised by one: trailing U+10FFFF (nothing is above it) move the raise to the character
    before, and a raise into the surrogates (which no text holds) goes past them."""
    head = text.rstrip(chr(0x10FFFF))
    if not head:
        return col >= text
    above = ord(head[-1]) + 1
    return and_(col >= text, col < head[:-1] + chr(0xE000 if 0xD800 <= above <= 0xDFFF else above))


SEARCH_CANDIDATES = 2_000  # candidates examined for the scope when a search is scoped


def _matching(session: Session, text: str, date: dt.date) -> ColumnElement[bool] | None:
    """The condition on Person for a search text (see `search`), None for an empty text."""
    t = text.replace("\x00", "").strip()  # no stored text holds NUL (and PostgreSQL refuses it in a query)
    if not t:
        return None
    if pinyin.is_pinyin_query(t):
        k = pinyin.normalise_query(t)
        return or_(_prefix(Person.name_pinyin, k), _prefix(Person.name_initials, k))
    if any(c.isdigit() for c in t) and len(t) >= 6:
        key = normalize_key(t)
        members = _household_members(session, t, date)
        return or_(Person.id_number == key, _prefix(Person.id_number, t.upper()), Person.temp_key == t, Person.id.in_(members))
    return or_(Person.name == t, _prefix(Person.name, t))


def search(
    session: Session,
    text: str,
    *,
    limit: int = 50,
    within: set[int] | list[int] | None = None,
    scope: Scope | None = None,
    date: dt.date | None = None,
    locate: Locate | None = None,
) -> list[Person]:
    """By ID number (full, converted from 15 digits, or a prefix of 6+ digits), temp key, household
    number, name (characters, or a prefix), or pinyin (full ``zhangwei`` or initials ``zw``, a
    prefix of either); with a ``scope``, only persons in it on ``date`` (default today). The text is
    matched first (indexes), then the scope is checked for the matches only — from the event log, or
    with ``locate`` (ids → {id: (hukou unit id, residence unit id)}, e.g. renkou.stats' in-memory
    ``Stats.locate``) without it. The first ``limit`` by name, whatever their status: `find` pages,
    counts and puts the living first."""
    date = date or dt.date.today()
    cond = _matching(session, text, date)
    if cond is None:
        return []
    matched = select(Person.id).where(cond)
    if within is not None:
        matched = matched.where(Person.id.in_(within))
    ids: Select[int] | CompoundSelect[int] | list[int] = matched
    if scope is not None and not scope.everything:
        if locate is not None:  # in result order, until enough matches are in scope
            kept: list[int] = []
            rows = session.scalars(matched.order_by(Person.name, Person.birth_date, Person.id)).yield_per(500).partitions()
            for part in rows:
                inside = set(scope.located(locate(list(part), date)))
                kept += [p for p in part if p in inside]
                if len(kept) >= limit:
                    break
            ids = kept[:limit]
        else:
            cand = list(session.scalars(matched.order_by(Person.id).limit(SEARCH_CANDIDATES)))
            scoped = scope.person_ids(date, persons=cand)
            ids = cand if scoped is None else scoped
    q = select(Person).where(Person.id.in_(ids))
    return list(session.scalars(q.order_by(Person.name, Person.birth_date, Person.id).limit(limit)))


# ------------------------------------------------------------------------------ find: counted, paged, with status

REGISTERED, MOVED, DEAD = "registered", "moved", "dead"
STATUSES = (REGISTERED, MOVED, DEAD)  # the order a search lists them in: the registered first
FIND_CAP = 1_000  # matches in scope that a search examines; past it the count is "more than"


@dataclass(frozen=True)
class Hit:
    """A person found, with their status on the search date: ``registered`` (在册: alive, hukou or
    residence in the county), ``moved`` (迁出: alive, neither in the county any more) or ``dead``
    (死亡, with the date); and the units that place them (ids, None when outside the county)."""

    person: Person
    status: str
    hukou_unit_id: int | None
    residence_unit_id: int | None
    died: dt.date | None


@dataclass(frozen=True)
class Found:
    """One page of a search: ``hits`` (the registered first, then the moved, then the dead, each by
    name), ``total`` matches of the status asked for, ``by_status`` counts of every status, and
    ``capped`` when more than ``FIND_CAP`` people match in scope (then only the first ``FIND_CAP`` by
    name are counted and listed: the searcher should narrow the search)."""

    hits: list[Hit]
    total: int
    by_status: dict[str, int]
    capped: bool
    offset: int = 0

    @property
    def more(self) -> bool:
        return self.offset + len(self.hits) < self.total


def status_of(alive_: bool, hukou_unit_id: int | None, residence_unit_id: int | None) -> str:
    """A person's status from whether they live and their latest units (None or 0: outside the county)."""
    if not alive_:
        return DEAD
    return REGISTERED if hukou_unit_id or residence_unit_id else MOVED


def placed(session: Session, ids: list[int], date: dt.date, locate: Locate | None) -> dict[int, tuple[int, int]]:
    """{id: (hukou unit id, residence unit id)} (0: outside the county) for persons placed anywhere."""
    if locate is not None:
        return locate(ids, date)
    out: dict[int, list[int]] = {}
    for i, attr in enumerate(("hukou", "residence")):
        lt = latest(attr, date, persons=ids)
        for pid, unit in session.execute(select(lt.c.person_id, lt.c[f"{attr}_unit_id"])):
            out.setdefault(pid, [0, 0])[i] = unit or 0
    return {p: (h, r) for p, (h, r) in out.items()}


@functools.cache
def _statements() -> dict[str, AnySelect]:
    """The statements of `deaths` and `family`, built once with parameters (building ``in_force``'s
    alias costs more than running them for one person: the person page runs them on every view)."""
    pid: BindParameter[int] = bindparam("p")
    return {
        "deaths": select(Event.person_id, Event.date).where(
            Event.kind == "death",
            Event.date <= bindparam("d", type_=Date),
            in_force(),
            Event.person_id.in_(bindparam("ids", expanding=True)),
        ),
        "parents": select(Event.kind, Event.mother_id, Event.father_id)
        .where(Event.person_id == pid, Event.kind.in_(("birth", "adoption")), in_force())
        .order_by(Event.date, Event.id),
        # by the parent columns' indexes only (a condition on the kind could lead the planner to the kind's index: every birth)
        "children": select(Event.person_id, Event.kind, Event.date, Person.birth_date)
        .join(Person, Person.id == Event.person_id)
        .where(or_(Event.mother_id == pid, Event.father_id == pid), in_force()),
    }


def deaths(session: Session, ids: list[int], date: dt.date) -> dict[int, dt.date]:
    """The date of death (in force, on or before ``date``) of those of ``ids`` who died."""
    out: dict[int, dt.date] = {}
    for i in range(0, len(ids), 900):
        for pid, d in session.execute(_statements()["deaths"], {"d": date, "ids": ids[i : i + 900]}):
            out[pid] = min(d, out.get(pid, d))
    return out


def find(
    session: Session,
    text: str,
    *,
    scope: Scope | None = None,
    locate: Locate | None = None,
    within: set[int] | list[int] | None = None,
    date: dt.date | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Found:
    """The people matching ``text`` (as `search`) in ``scope`` on ``date``, each with their status,
    counted and paged: the registered first; ``status`` (one of STATUSES) keeps that status only.
    People born after ``date`` are not listed.

    The plan is `search`'s: the text is matched from the indexes, in name order, and only the matches
    are checked against the scope (with ``locate``, in batches, until ``FIND_CAP`` are in scope); then
    one query finds the deaths among those in scope."""
    date = date or dt.date.today()
    cond = _matching(session, text, date)
    if cond is None:
        return Found([], 0, dict.fromkeys(STATUSES, 0), False, offset)
    conds = [cond] if within is None else [cond, Person.id.in_(within)]
    matched = select(Person.id).where(*conds)
    # the birth date is checked here, not in the query: a condition on it could lead the planner to its index instead of the name's
    ordered = select(Person.id, Person.birth_date).where(*conds).order_by(Person.name, Person.birth_date, Person.id)
    kept: list[int] = []
    where: dict[int, tuple[int, int]] = {}
    if scope is not None and not scope.everything and locate is None:
        inside = scope.person_ids(date, persons=matched)
        assert inside is not None
        kept = [pid for pid, born in session.execute(ordered.where(Person.id.in_(inside)).limit(FIND_CAP + 1)) if born <= date]
    else:
        for part in session.execute(ordered).yield_per(500).partitions():
            ids = [pid for pid, born in part if born <= date]
            got = placed(session, ids, date, locate)
            ok = set(ids) if scope is None or scope.everything else set(scope.located(got))
            kept += [p for p in ids if p in ok]
            where |= got
            if len(kept) > FIND_CAP:
                break
    capped = len(kept) > FIND_CAP
    kept = kept[:FIND_CAP]
    if scope is not None and not scope.everything and locate is None:
        where = placed(session, kept, date, None)
    died = deaths(session, kept, date)
    status_by = {p: status_of(p not in died, *where.get(p, (0, 0))) for p in kept}
    counts = dict.fromkeys(STATUSES, 0)
    for s in status_by.values():
        counts[s] += 1
    rank = {s: i for i, s in enumerate(STATUSES)}
    chosen = sorted((p for p in kept if status in (None, "", status_by[p])), key=lambda p: rank[status_by[p]])
    page = chosen[offset : offset + limit]
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(page)))} if page else {}
    hits = [Hit(people[p], status_by[p], where.get(p, (0, 0))[0] or None, where.get(p, (0, 0))[1] or None, died.get(p)) for p in page]
    return Found(hits, len(chosen), counts, capped, offset)


# ------------------------------------------------------------------------------ family


@dataclass(frozen=True)
class Family:
    """A person's parents (of their birth or adoption events in force: ``mother``/``father``,
    adoptive ones marked), spouse (the marriage in force on the date) and children (born or adopted),
    as (relation, person id) pairs; ids only: the caller checks its scope before showing anyone."""

    parents: list[tuple[str, int]]
    spouse: int | None
    children: list[int]

    def ids(self) -> list[int]:
        return [p for _, p in self.parents] + ([self.spouse] if self.spouse else []) + self.children


def family(session: Session, person: Person, date: dt.date | None = None, *, state: asof.PersonState | None = None) -> Family:
    """The person's family as the register records it (see `Family`); ``state`` is the person's
    as-of state on ``date`` when the caller has it already (its spouse is taken from it)."""
    date = date or dt.date.today()
    own = session.execute(_statements()["parents"], {"p": person.id}).all()
    parents: list[tuple[str, int]] = []
    for kind, m, f in own:
        for rel, who in (("mother", m), ("father", f)):
            if who is not None and all(who != x for _, x in parents):
                parents.append((rel if kind == "birth" else f"adoptive_{rel}", who))
    kids = session.execute(_statements()["children"], {"p": person.id}).all()
    born = sorted((b, pid) for pid, kind, d, b in kids if kind in ("birth", "adoption") and d <= date)
    children = list(dict.fromkeys(pid for _, pid in born))
    return Family(parents, (state or asof.person_state(session, person, date)).spouse_id, children)


def _household_members(session: Session, number: str, date: dt.date) -> list[int]:
    """The people whose household on ``date`` is the one numbered ``number`` (none if no such household)."""
    hid = session.scalar(select(Household.id).where(Household.number == number))
    if hid is None:
        return []
    named = select(Event.person_id).where(Event.household_id == hid)
    lt = latest("household", date, persons=named)
    return list(session.scalars(select(lt.c.person_id).where(lt.c.household_id == hid)))


def get_household(session: Session, number: str) -> Household:
    h = session.scalar(select(Household).where(Household.number == number.strip()))
    if h is None:
        raise NotFound(f"户编号 {number} 不存在", f"no household has the number {number}")
    return h


def create_household(
    session: Session, officer: Officer, *, number: str, unit: OrgUnit, created_on: dt.date, address: str = ""
) -> Household:
    """A new household kept by ``unit``, as ``officer`` (household:write; the unit in its area)."""
    officer.require("household:write", "登记户", "add households")
    officer.writing(session)
    if not officer.sees_unit(unit.id):
        raise NotFound(
            f"组织机构 {unit.code} 不存在或不在您的管辖范围内", f"organisation unit {unit.code} does not exist or is outside your area"
        )
    if not number.strip():
        raise ValidationFailed([problem("required", "number", number)])
    if session.scalar(select(Household.id).where(Household.number == number.strip())) is not None:
        raise ValidationFailed([problem("conflicts_existing", "number", number, what="户", what_en="household", fields="number")])
    h = Household(number=number.strip(), unit_id=unit.id, created_on=created_on, address=address)
    session.add(h)
    session.flush()
    return h
