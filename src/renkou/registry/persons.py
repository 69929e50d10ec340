"""Persons and households: add, find, search, amend (optimistic concurrency, audited)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from renkou.core import idnumber, pinyin
from renkou.core.problems import Problem, problem
from renkou.core.vocab import ETHNICITIES, SEXES
from renkou.errors import ConcurrentEdit, NotFound, UserError, ValidationFailed
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


def get_person(session: Session, key: str, *, scope=None, date: dt.date | None = None) -> Person:
    """The person with this ID number or temporary key; with a ``scope`` (renkou.auth.scope.Scope),
    a person outside it is "not found" as well."""
    p = find_person(session, key)
    if p is not None and scope is not None:
        return scope.require_person(session, p, key, date)
    if p is None:
        raise NotFound(f"找不到身份证号或临时编号为 {idnumber.mask(key.strip())} 的人员",
                       f"no person has the ID number or temporary key {idnumber.mask(key.strip())}")
    return p


def check_person(*, id_number: str | None, temp_key: str | None, name: str, sex: str, birth_date: dt.date | None,
                 ethnicity: str, today: dt.date | None = None) -> tuple[str | None, list[Problem]]:
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


def add_person(session: Session, *, name: str, sex: str, birth_date: dt.date, id_number: str | None = None,
               temp_key: str | None = None, ethnicity: str = "01", today: dt.date | None = None) -> Person:
    norm, problems = check_person(id_number=id_number, temp_key=temp_key, name=name, sex=sex, birth_date=birth_date,
                                  ethnicity=ethnicity, today=today or dt.date.today())
    if not problems:
        for key in filter(None, (norm, temp_key)):
            if find_person(session, key) is not None:
                problems.append(problem("conflicts_existing", "id_number" if key == norm else "temp_key", idnumber.mask(key),
                                        what="人员", what_en="person", fields="key"))
    if problems:
        raise ValidationFailed(problems)
    if norm is None and temp_key is None:
        temp_key = new_temp_key(birth_date)
    py, ini = pinyin.keys(name)
    p = Person(id_number=norm, temp_key=temp_key, name=name.strip(), sex=sex, birth_date=birth_date, ethnicity=ethnicity,
               name_pinyin=py, name_initials=ini)
    session.add(p)
    session.flush()
    return p


def amend_person(session: Session, key: str, *, expected_version: int, reason: str, **changes: object) -> Person:
    """Change a person's identity fields. Refused when someone saved a newer version meanwhile; the
    before/after values and the reason go to the audit trail (renkou.storage.db)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise UserError(f"不能修改字段：{', '.join(sorted(unknown))}", f"these fields cannot be amended: {', '.join(sorted(unknown))}")
    if not reason.strip():
        raise ValidationFailed([problem("required", "reason", "")])
    p = get_person(session, key)
    if p.version != expected_version:
        raise ConcurrentEdit("人员记录", "person record", expected_version, p.version)
    merged = {f: getattr(p, f) for f in EDITABLE} | changes
    norm, problems = check_person(**merged, today=dt.date.today())  # type: ignore[arg-type]
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


def _prefix(col, text: str):
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


def search(session: Session, text: str, *, limit: int = 50, within: set[int] | list[int] | None = None, scope=None,
           date: dt.date | None = None, locate=None) -> list[Person]:
    """By ID number (full, converted from 15 digits, or a prefix of 6+ digits), temp key, household
    number, name (characters, or a prefix), or pinyin (full ``zhangwei`` or initials ``zw``, a
    prefix of either); with a ``scope``, only persons in it on ``date`` (default today). The text is
    matched first (indexes), then the scope is checked for the matches only — from the event log, or
    with ``locate`` (ids → {id: (hukou unit id, residence unit id)}, e.g. renkou.stats' in-memory
    ``Stats.locate``) without it."""
    t = text.replace("\x00", "").strip()  # no stored text holds NUL (and PostgreSQL refuses it in a query)
    if not t:
        return []
    date = date or dt.date.today()
    if pinyin.is_pinyin_query(t):
        k = pinyin.normalise_query(t)
        cond = or_(_prefix(Person.name_pinyin, k), _prefix(Person.name_initials, k))
    elif any(c.isdigit() for c in t) and len(t) >= 6:
        key = normalize_key(t)
        members = _household_members(session, t, date)
        cond = or_(Person.id_number == key, _prefix(Person.id_number, t.upper()), Person.temp_key == t, Person.id.in_(members))
    else:
        cond = or_(Person.name == t, _prefix(Person.name, t))
    ids = select(Person.id).where(cond)
    if within is not None:
        ids = ids.where(Person.id.in_(within))
    if scope is not None and not scope.everything:
        if locate is not None:  # in result order, until enough matches are in scope
            kept: list[int] = []
            rows = session.scalars(ids.order_by(Person.name, Person.birth_date, Person.id)).yield_per(500).partitions()
            for part in rows:
                inside = set(scope.located(locate(list(part), date)))
                kept += [p for p in part if p in inside]
                if len(kept) >= limit:
                    break
            ids = kept[:limit]
        else:
            cand = list(session.scalars(ids.order_by(Person.id).limit(SEARCH_CANDIDATES)))
            ids = scope.person_ids(date, persons=cand)
    q = select(Person).where(Person.id.in_(ids))
    return list(session.scalars(q.order_by(Person.name, Person.birth_date, Person.id).limit(limit)))


def _household_members(session: Session, number: str, date: dt.date) -> list[int]:
    """The people whose household on ``date`` is the one numbered ``number`` (none if no such household)."""
    hid = session.scalar(select(Household.id).where(Household.number == number))
    if hid is None:
        return []
    from renkou.registry.asof import latest

    named = select(Event.person_id).where(Event.household_id == hid)
    lt = latest("household", date, persons=named)
    return list(session.scalars(select(lt.c.person_id).where(lt.c.household_id == hid)))


def get_household(session: Session, number: str) -> Household:
    h = session.scalar(select(Household).where(Household.number == number.strip()))
    if h is None:
        raise NotFound(f"户编号 {number} 不存在", f"no household has the number {number}")
    return h


def create_household(session: Session, *, number: str, unit: OrgUnit, created_on: dt.date, address: str = "") -> Household:
    if not number.strip():
        raise ValidationFailed([problem("required", "number", number)])
    if session.scalar(select(Household.id).where(Household.number == number.strip())) is not None:
        raise ValidationFailed([problem("conflicts_existing", "number", number, what="户", what_en="household", fields="number")])
    h = Household(number=number.strip(), unit_id=unit.id, created_on=created_on, address=address)
    session.add(h)
    session.flush()
    return h
