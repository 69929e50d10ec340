"""The organisation scope of an account, applied in the service layer (never only in a page).

An account bound to a unit sees that unit's subtree: the units below it as they stand on the date
asked about, and units since retired whose people passed into it (a village merged into one of
its villages). A person is in scope when their latest hukou or residence unit on that date is. An
account bound to a top-level unit (the county) sees everyone, including people who have left.

Out-of-scope persons are reported as not found — a changed URL or parameter learns nothing, not
even that the person exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import CompoundSelect, Select, select, union
from sqlalchemy.orm import Session

from renkou.core.idnumber import mask
from renkou.errors import NotFound
from renkou.registry.asof import latest
from renkou.registry.orgs import Hierarchy
from renkou.storage.schema import OrgUnit, Person

_SCOPES: dict[tuple[int, int], tuple[Hierarchy, Scope]] = {}

# Where persons stand without reading the event log: person ids and a date (None: today) →
# {id: (hukou unit id, residence unit id)}, 0 = outside the county. renkou.stats' ``Stats.locate`` is one.
Locate = Callable[[list[int], dt.date | None], dict[int, tuple[int, int]]]


@dataclass(frozen=True)
class Scope:
    root_id: int
    root_code: str
    unit_ids: frozenset[int] | None  # None: no restriction (a top-level account)

    @classmethod
    def for_unit(cls, session: Session, unit_id: int, date: dt.date | None = None, *, hierarchy: Hierarchy | None = None) -> Scope:
        h = hierarchy or Hierarchy.as_of(session, date or dt.date.today())
        key = (id(h), unit_id)
        hit = _SCOPES.get(key)
        if hit is not None and hit[0] is h:  # the tree is kept with its scopes, so its id is not reused meanwhile
            return hit[1]
        root_code = h.codes.get(unit_id)
        if root_code is None:
            raise NotFound(f"组织机构 {unit_id} 不存在", f"no organisation unit {unit_id}")
        view = h.units.get(unit_id)
        if view is not None and view.parent_id is None:
            scope = cls(unit_id, root_code, None)
        else:
            live = h.subtree(root_code) if view is not None else {unit_id}
            scope = cls(unit_id, root_code, frozenset(u for u in h.codes if u in live or h.resolve(u) in live))
        while len(_SCOPES) >= 1024:
            _SCOPES.pop(next(iter(_SCOPES)))
        _SCOPES[key] = (h, scope)
        return scope

    @classmethod
    def county_wide(cls) -> Scope:
        """No restriction, bound to no unit: the system's scope (the command line, loaders)."""
        return cls(0, "", None)

    @property
    def everything(self) -> bool:
        return self.unit_ids is None

    def person_ids(self, date: dt.date, *, persons: Select[int] | list[int] | None = None) -> CompoundSelect[int] | None:
        """SELECT of the ids of persons in scope on ``date`` (None: everyone); with ``persons`` (a list
        of ids or a SELECT of them), only among those — much cheaper than the whole scope."""
        if self.unit_ids is None:
            return None
        ids = list(self.unit_ids)
        h, r = latest("hukou", date, persons=persons), latest("residence", date, persons=persons)
        return union(select(h.c.person_id).where(h.c.hukou_unit_id.in_(ids)), select(r.c.person_id).where(r.c.residence_unit_id.in_(ids)))

    def has_person(self, session: Session, person: Person, date: dt.date | None = None, *, locate: Locate | None = None) -> bool:
        """Whether ``person`` is in scope on ``date`` — from the event log, or with ``locate`` (ids →
        {id: (hukou unit id, residence unit id)}, e.g. ``Stats.locate``, kept fresh from the change feed)
        from its latest units without reading the log."""
        if self.unit_ids is None:
            return True
        if locate is not None:
            return bool(self.located(locate([person.id], date)))
        q = self.person_ids(date or dt.date.today(), persons=[person.id])
        return q is not None and session.scalar(select(q.subquery().c[0]).limit(1)) is not None

    def located(self, where: dict[int, tuple[int, int]]) -> list[int]:
        """The ids among ``locate``'s answer whose hukou or residence unit is in scope."""
        if self.unit_ids is None:
            return list(where)
        return [p for p, (h, r) in where.items() if h in self.unit_ids or r in self.unit_ids]

    def require_person(self, session: Session, person: Person, key: str, date: dt.date | None = None) -> Person:
        if not self.has_person(session, person, date):
            raise NotFound(
                f"找不到身份证号或临时编号为 {mask(key.strip())} 的人员",
                f"no person has the ID number or temporary key {mask(key.strip())}",
            )
        return person

    def has_unit(self, session: Session, code: str) -> bool:
        if self.unit_ids is None:
            return True
        uid = session.scalar(select(OrgUnit.id).where(OrgUnit.code == code))
        return uid is not None and uid in self.unit_ids

    def require_unit(self, session: Session, code: str) -> None:
        if not self.has_unit(session, code):
            raise NotFound(
                f"组织机构 {code} 不存在或不在您的管辖范围内", f"organisation unit {code} does not exist or is outside your area"
            )
