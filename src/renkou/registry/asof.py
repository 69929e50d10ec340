"""State as of a date, derived from events (never stored twice).

Population counts are at the end of the given day: a birth on that day counts, a death on that day
removes the person. A person's unit on a date is the unit named by their latest event in force on or
before that date; a unit retired by a merge passes its people to its successor (`Hierarchy.resolve`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import BindParameter, ColumnElement, Date, Result, Select, Subquery, and_, bindparam, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from renkou.core import basis as basis_mod
from renkou.core import birthorder
from renkou.core.dates import age
from renkou.errors import UserError
from renkou.registry.log import in_force
from renkou.registry.orgs import Hierarchy
from renkou.storage.schema import Event, Household, OrgUnit, Person

BASES = basis_mod.REGISTRY  # hukou and current residence, counted from the events (see renkou.core.basis)
_ATTR = {basis_mod.HUKOU: "hukou", basis_mod.CURRENT: "residence"}  # the attribute whose latest event places a person


def _sets(attr: str) -> ColumnElement[bool]:
    """Events that set an attribute: residence, hukou, household or hukou_type."""
    if attr == "residence":
        return or_(Event.kind.in_(("register", "birth")), and_(Event.kind == "move", Event.scope.in_(("residence", "both"))))
    if attr == "hukou":
        return or_(Event.kind.in_(("register", "birth")), and_(Event.kind == "move", Event.scope.in_(("hukou", "both"))))
    if attr == "household":
        return Event.kind.in_(("register", "birth", "household"))
    if attr == "hukou_type":
        return or_(Event.kind.in_(("register", "birth")), Event.kind == "hukou_type")
    raise ValueError(attr)


# A date, or the bound parameter standing for one in the statements built once (``states``).
DateArg = dt.date | BindParameter[dt.date]

_VALUE = {
    "residence": ("residence_unit_id",),
    "hukou": ("hukou_unit_id",),
    "household": ("household_id", "relation"),
    "hukou_type": ("hukou_type",),
}


def latest(attr: str, date: DateArg, *, persons: Select[int] | list[int] | BindParameter[list[int]] | None = None) -> Subquery:
    """Subquery (person_id, value columns...): the latest event in force on or before ``date`` that
    sets ``attr`` for each person."""
    cols = [getattr(Event, c) for c in _VALUE[attr]]
    rn = func.row_number().over(partition_by=Event.person_id, order_by=(Event.date.desc(), Event.id.desc())).label("rn")
    q = select(Event.person_id, *cols, rn).where(_sets(attr), Event.date <= date, in_force())
    if persons is not None:
        q = q.where(Event.person_id.in_(persons))
    inner = q.subquery()
    return select(inner.c.person_id, *(inner.c[c] for c in _VALUE[attr])).where(inner.c.rn == 1).subquery()


def alive(date: DateArg, p: type[Person] = Person) -> ColumnElement[bool]:
    """SQL condition on a person (or an alias of Person): born on or before ``date`` and not dead by the end of it."""
    d = aliased(Event)
    return and_(p.birth_date <= date, ~select(d.id).where(d.person_id == p.id, d.kind == "death", d.date <= date, in_force(d)).exists())


@dataclass
class PopulationCount:
    code: str
    name: str
    date: dt.date
    basis: str
    male: int = 0
    female: int = 0
    children: list[PopulationCount] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.male + self.female


def counts_by_unit(session: Session, date: dt.date, basis: str) -> dict[int | None, Counter[str]]:
    """Living people by recorded unit (not yet resolved through merges) and sex, on the basis
    ``hukou`` or ``current`` (renkou.core.basis; the resident basis is counted by renkou.stats)."""
    attr = _ATTR[basis_mod.check(basis, BASES)]
    lt = latest(attr, date)
    col = lt.c[_VALUE[attr][0]]
    q = (
        select(col, Person.sex, func.count())
        .join(Person, Person.id == lt.c.person_id)
        .where(alive(date), col.is_not(None))
        .group_by(col, Person.sex)
    )
    out: dict[int | None, Counter[str]] = defaultdict(Counter)
    for unit_id, sex, n in session.execute(q):
        out[unit_id][sex] += n
    return out


class UnitGate(Protocol):
    """What ``population`` asks of a scope (renkou.auth.scope.Scope, which builds on this module)."""

    def require_unit(self, session: Session, code: str) -> None: ...


def population(
    session: Session,
    code: str,
    date: dt.date,
    basis: str = basis_mod.DEFAULT,
    *,
    hierarchy: Hierarchy | None = None,
    scope: UnitGate | None = None,
) -> PopulationCount:
    """The population of a unit (and of each unit directly below it) on ``date``; with a ``scope``
    (renkou.auth.scope.Scope), only a unit inside it."""
    if scope is not None:
        scope.require_unit(session, code)
    h = hierarchy or Hierarchy.as_of(session, date)
    root = h.unit(code)
    basis = basis_mod.check(basis, BASES)
    raw = counts_by_unit(session, date, basis)
    per_unit: dict[int, Counter[str]] = defaultdict(Counter)
    for unit_id, c in raw.items():
        r = h.resolve(unit_id)
        if r is not None:
            per_unit[r].update(c)

    def total(uid: int) -> Counter[str]:
        c = Counter(per_unit.get(uid, Counter()))
        for kid in h.children.get(uid, ()):
            c.update(total(kid))
        return c

    def node(uid: int, depth: int) -> PopulationCount:
        u = h.units[uid]
        c = total(uid)
        pc = PopulationCount(u.code, u.name, date, basis, c["M"], c["F"])
        if depth == 0:  # work units hold staff, not residents: they are not population rows
            pc.children = [node(k, 1) for k in h.children.get(uid, ()) if h.units[k].level != "unit"]
        return pc

    return node(root.id, 0)


@dataclass(frozen=True)
class PersonState:
    date: dt.date
    alive: bool
    age: int | None
    hukou_unit: str | None
    residence_unit: str | None
    household: str | None
    relation: str | None
    hukou_type: str | None
    marital_status: str
    spouse_id: int | None
    living_children: int


# The statements of ``states`` are built once, with the date and the person ids as parameters: building
# their window subqueries costs more than running them for one person (the person page does this on every view).
_D = bindparam("d", type_=Date)
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
AnySelect = Select[*tuple[Any, ...]]


@functools.cache
def _statements() -> dict[str, AnySelect]:
    out: dict[str, AnySelect] = {attr: select(*latest(attr, _D, persons=_IDS).c) for attr in _VALUE}
    out["alive"] = select(Person.id).where(Person.id.in_(_IDS), alive(_D))
    a = select(Event.person_id.label("p"), Event.partner_id.label("o"), Event.kind, Event.date, Event.id).where(
        Event.kind.in_(("marriage", "divorce")), Event.date <= _D, in_force(), Event.person_id.in_(_IDS)
    )
    b = select(Event.partner_id.label("p"), Event.person_id.label("o"), Event.kind, Event.date, Event.id).where(
        Event.kind.in_(("marriage", "divorce")), Event.date <= _D, in_force(), Event.partner_id.in_(_IDS)
    )
    u = union_all(a, b).subquery()
    rn = func.row_number().over(partition_by=u.c.p, order_by=(u.c.date.desc(), u.c.id.desc())).label("rn")
    inner = select(u.c.p, u.c.o, u.c.kind, rn).subquery()
    out["marital"] = select(inner.c.p, inner.c.o, inner.c.kind).where(inner.c.rn == 1)
    out["dead"] = select(Event.person_id).where(Event.kind == "death", Event.date <= _D, in_force(), Event.person_id.in_(_IDS))
    child = aliased(Person)
    for parent_col, key in ((Event.mother_id, "children_m"), (Event.father_id, "children_f")):
        out[key] = (
            select(parent_col, func.count(func.distinct(Event.person_id)))
            .join(child, child.id == Event.person_id)
            .where(Event.kind.in_(("birth", "adoption")), in_force(), Event.date <= _D, parent_col.in_(_IDS))
            .where(alive(_D, child))
            .group_by(parent_col)
        )
    return out


def _run(session: Session, key: str, ids: list[int], date: dt.date) -> Result[*tuple[Any, ...]]:
    return session.execute(_statements()[key], {"d": date, "ids": ids})


def _marital(session: Session, person_ids: list[int], date: dt.date) -> dict[int, tuple[str, int | None]]:
    """(status, spouse id) for each person: never, married, divorced, widowed."""
    rows = _run(session, "marital", person_ids, date).all()
    spouses = [o for _, o, k in rows if k == "marriage"]
    dead = set(_run(session, "dead", spouses, date).scalars()) if spouses else set()
    out: dict[int, tuple[str, int | None]] = {}
    for p, o, k in rows:
        if k == "divorce":
            out[p] = ("divorced", None)
        else:
            out[p] = ("widowed", None) if o in dead else ("married", o)
    return out


def _living_children(session: Session, person_ids: list[int], date: dt.date) -> Counter[int]:
    """Living children (born or adopted) of each person on ``date``."""
    out: Counter[int] = Counter()
    for key in ("children_m", "children_f"):
        for pid, n in _run(session, key, person_ids, date):
            out[pid] += n
    return out


def person_state(session: Session, person: Person, date: dt.date) -> PersonState:
    return states(session, [person], date)[person.id]


def states(session: Session, persons: list[Person], date: dt.date) -> dict[int, PersonState]:
    """The state of several persons on ``date`` (a handful of queries however many persons)."""
    ids = [p.id for p in persons]
    if not ids:
        return {}
    unit_code = Hierarchy.as_of(session, date).codes

    def code(unit_id: int | None) -> str | None:
        return None if unit_id is None else unit_code.get(unit_id)

    res: dict[int, int | None] = {r[0]: r[1] for r in _run(session, "residence", ids, date)}
    huk: dict[int, int | None] = {r[0]: r[1] for r in _run(session, "hukou", ids, date)}
    hh = {r[0]: (r[1], r[2]) for r in _run(session, "household", ids, date)}
    ht = {r[0]: r[1] for r in _run(session, "hukou_type", ids, date)}
    hh_numbers = (
        dict(session.execute(select(Household.id, Household.number).where(Household.id.in_([v[0] for v in hh.values() if v[0]]))).all())
        if hh
        else {}
    )
    living = set(_run(session, "alive", ids, date).scalars())
    marital = _marital(session, ids, date)
    kids = _living_children(session, ids, date)
    out = {}
    for p in persons:
        h = hh.get(p.id, (None, None))
        st, spouse = marital.get(p.id, ("never", None))
        out[p.id] = PersonState(
            date=date,
            alive=p.id in living,
            age=age(p.birth_date, date) if p.birth_date <= date else None,
            hukou_unit=code(huk.get(p.id)),
            residence_unit=code(res.get(p.id)),
            household=hh_numbers.get(h[0]),
            relation=h[1],
            hukou_type=ht.get(p.id),
            marital_status=st,
            spouse_id=spouse,
            living_children=kids.get(p.id, 0),
        )
    return out


def members(session: Session, code: str, date: dt.date, basis: str = basis_mod.DEFAULT) -> list[Person]:
    """The living people of a unit's subtree on ``date`` (basis ``hukou`` or ``current``), in ID order."""
    attr = _ATTR[basis_mod.check(basis, BASES)]
    h = Hierarchy.as_of(session, date)
    wanted = h.subtree(code)
    raw_units = [u.id for u in session.scalars(select(OrgUnit))]
    raw_in = [u for u in raw_units if h.resolve(u) in wanted]
    lt = latest(attr, date)
    col = lt.c[_VALUE[attr][0]]
    q = select(Person).join(lt, lt.c.person_id == Person.id).where(alive(date), col.in_(raw_in)).order_by(Person.id)
    return list(session.scalars(q))


def birth_order(session: Session, birth: Event, rule: str = "mother") -> int:
    """Birth order of the child of a birth event, by the configured rule (see renkou.core.birthorder)."""
    if birth.kind != "birth" or birth.mother_id is None:
        raise UserError("只有出生事件才有孩次", "only a birth event has a birth order")
    d = aliased(Event)
    rows = session.execute(
        select(
            Person.id,
            Person.birth_date,
            Event.father_id,
            select(func.min(d.date)).where(d.person_id == Person.id, d.kind == "death", in_force(d)).scalar_subquery(),
        )
        .join(Event, Event.person_id == Person.id)
        .where(Event.kind == "birth", Event.mother_id == birth.mother_id, in_force())
    ).all()
    sibs = [birthorder.Child(pid, bd, dd, fa) for pid, bd, fa, dd in rows]
    this = next((c for c in sibs if c.key == birth.person_id), None)
    if this is None:  # the event is not in force; judge it as it stands
        child = session.get_one(Person, birth.person_id)
        this = birthorder.Child(child.id, child.birth_date, None, birth.father_id)
    return birthorder.birth_order(this, sibs, rule)


def household_members(session: Session, household: Household, date: dt.date) -> list[tuple[Person, str | None]]:
    """The living members of a household on ``date`` with their relation to the head, head first."""
    lt = latest("household", date)
    q = (
        select(Person, lt.c.relation)
        .join(lt, lt.c.person_id == Person.id)
        .where(lt.c.household_id == household.id, alive(date))
        .order_by(Person.birth_date, Person.id)
    )
    rows = [(p, rel) for p, rel in session.execute(q)]
    return sorted(rows, key=lambda r: r[1] != "head")
