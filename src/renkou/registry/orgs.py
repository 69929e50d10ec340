"""Organisation units versioned by date: creation, renames, re-parenting, merges (并村) and splits.

`Hierarchy.as_of(session, date)` answers every question about the tree as it stood on a date, and
maps any unit — including one retired by a merge — to the unit that held its people on that date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, select
from sqlalchemy.orm import Session

from renkou.core.codes import LEVELS, UNIT_KINDS, URBAN_RURAL_CLASSES, check_code
from renkou.core.problems import Problem, problem
from renkou.errors import NotFound, UserError, ValidationFailed
from renkou.storage.schema import OrgSuccession, OrgUnit, OrgVersion


@dataclass(frozen=True)
class UnitView:
    """A unit as it stood on a date."""

    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    urban_rural: str | None
    unit_kind: str | None
    valid_from: dt.date
    retired_on: dt.date | None


def get_unit(session: Session, code: str) -> OrgUnit:
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == code.strip()))
    if unit is None:
        raise NotFound(f"组织机构代码 {code} 不存在", f"no organisation unit has the code {code}")
    return unit


def _active(unit: OrgUnit | Row[Any], date: dt.date) -> bool:  # a unit or its row (OrgRows)
    return unit.valid_from <= date and (unit.retired_on is None or date < unit.retired_on)


def check_unit(
    session: Session,
    *,
    code: str,
    name: str,
    level: str,
    parent_code: str | None,
    valid_from: dt.date,
    urban_rural: str | None = None,
    unit_kind: str | None = None,
    parent: OrgUnit | None = None,
) -> list[Problem]:
    """Everything wrong with a new unit, without writing anything."""
    out: list[Problem] = []
    if level not in LEVELS:
        return [problem("bad_choice", "level", level, choices=", ".join(LEVELS))]
    if not name.strip():
        out.append(problem("required", "name", name))
    elif len(name) > 100:
        out.append(problem("too_long", "name", name, max=100))
    if urban_rural and urban_rural not in URBAN_RURAL_CLASSES:
        out.append(problem("bad_choice", "urban_rural", urban_rural, choices=", ".join(URBAN_RURAL_CLASSES)))
    if level == "unit" and unit_kind not in UNIT_KINDS:
        out.append(problem("bad_choice", "unit_kind", unit_kind or "", choices=", ".join(UNIT_KINDS)))
    lv = LEVELS[level]
    if parent_code:
        if parent is None:
            parent = session.scalar(select(OrgUnit).where(OrgUnit.code == parent_code))
        if parent is None:
            out.append(problem("unknown_parent", "parent_code", parent_code, code=parent_code))
        else:
            if parent.level not in lv.parents:
                pl = LEVELS[parent.level]
                out.append(
                    problem(
                        "bad_parent_level",
                        "parent_code",
                        parent_code,
                        level=lv.zh,
                        parent_level=pl.zh,
                        level_en=lv.en,
                        parent_level_en=pl.en,
                    )
                )
            if not _active(parent, valid_from):
                out.append(problem("org_inactive", "parent_code", parent_code, code=parent_code, date=valid_from.isoformat()))
    elif lv.parents and level not in ("county", "city"):
        out.append(problem("required", "parent_code", ""))
    nest = parent_code if level in ("township", "village", "group") else None
    out += check_code(level, code, nest)
    return out


def create_unit(
    session: Session,
    *,
    code: str,
    name: str,
    level: str,
    parent_code: str | None = None,
    valid_from: dt.date,
    urban_rural: str | None = None,
    unit_kind: str | None = None,
) -> OrgUnit:
    problems = check_unit(
        session,
        code=code,
        name=name,
        level=level,
        parent_code=parent_code,
        valid_from=valid_from,
        urban_rural=urban_rural,
        unit_kind=unit_kind,
    )
    if session.scalar(select(OrgUnit.id).where(OrgUnit.code == code)) is not None:
        problems.append(problem("conflicts_existing", "code", code, what="组织机构", what_en="organisation unit", fields="code"))
    if problems:
        raise ValidationFailed(problems)
    parent = get_unit(session, parent_code) if parent_code else None
    unit = OrgUnit(code=code, level=level, unit_kind=unit_kind, valid_from=valid_from)
    session.add(unit)
    session.flush()
    session.add(
        OrgVersion(
            unit_id=unit.id, valid_from=valid_from, name=name.strip(), parent_id=parent.id if parent else None, urban_rural=urban_rural
        )
    )
    session.flush()
    return unit


def _new_version(session: Session, unit: OrgUnit, date: dt.date, **changes: object) -> OrgVersion:
    if not _active(unit, date):
        raise UserError(f"{unit.code} 在 {date} 不存在，无法变更", f"{unit.code} did not exist on {date}; it cannot change then")
    current = _version_at(session, unit.id, date)
    if current is None:
        raise UserError(f"{unit.code} 在 {date} 之前没有记录", f"{unit.code} has no record before {date}")
    if session.scalar(select(OrgVersion.id).where(OrgVersion.unit_id == unit.id, OrgVersion.valid_from > date)):
        raise UserError(
            f"{unit.code} 在 {date} 之后已有变更，请按时间顺序登记",
            f"{unit.code} already changed after {date}; record changes in date order",
        )
    fields = {"name": current.name, "parent_id": current.parent_id, "urban_rural": current.urban_rural} | changes
    if current.valid_from == date:
        raise UserError(f"{unit.code} 在 {date} 已有一次变更", f"{unit.code} already changed on {date}")
    v = OrgVersion(unit_id=unit.id, valid_from=date, **fields)
    session.add(v)
    session.flush()
    return v


def _version_at(session: Session, unit_id: int, date: dt.date) -> OrgVersion | None:
    return session.scalar(
        select(OrgVersion)
        .where(OrgVersion.unit_id == unit_id, OrgVersion.valid_from <= date)
        .order_by(OrgVersion.valid_from.desc())
        .limit(1)
    )


def rename(session: Session, code: str, new_name: str, date: dt.date) -> OrgVersion:
    if not new_name.strip():
        raise ValidationFailed([problem("required", "name", new_name)])
    return _new_version(session, get_unit(session, code), date, name=new_name.strip())


def reparent(session: Session, code: str, new_parent_code: str, date: dt.date) -> OrgVersion:
    unit, parent = get_unit(session, code), get_unit(session, new_parent_code)
    if parent.level not in LEVELS[unit.level].parents or not _active(parent, date):
        raise UserError(f"{new_parent_code} 不能作为 {code} 的上级", f"{new_parent_code} cannot be the parent of {code}")
    return _new_version(session, unit, date, parent_id=parent.id)


def _retire(session: Session, unit: OrgUnit, date: dt.date) -> None:
    if not _active(unit, date) or unit.valid_from == date:
        raise UserError(f"{unit.code} 在 {date} 不存在，无法撤销", f"{unit.code} did not exist on {date}; it cannot be retired then")
    unit.retired_on = date


def merge(session: Session, retired_codes: list[str], into_code: str, date: dt.date) -> None:
    """并村: the retired units cease on ``date``; their people and records pass to ``into_code``
    (an existing unit, or one created for the merge with ``valid_from == date``)."""
    into = get_unit(session, into_code)
    if not _active(into, date):
        raise UserError(f"合并后的单位 {into_code} 在 {date} 不存在", f"the merged unit {into_code} does not exist on {date}")
    for code in retired_codes:
        unit = get_unit(session, code)
        if unit.id == into.id:
            raise UserError(f"{code} 不能并入自身", f"{code} cannot merge into itself")
        if unit.level != into.level:
            raise UserError(f"{code} 与 {into_code} 级别不同，不能合并", f"{code} and {into_code} are of different levels")
        _retire(session, unit, date)
        session.add(OrgSuccession(predecessor_id=unit.id, successor_id=into.id, date=date, kind="merge", is_primary=True))
    session.flush()


def split(session: Session, code: str, successor_codes: list[str], date: dt.date) -> None:
    """A unit ceases and its area passes to several successors. People not moved by an event stay
    with the first successor (the primary one) until someone records their move."""
    unit = get_unit(session, code)
    if not successor_codes:
        raise UserError("拆分至少需要一个接续单位", "a split needs at least one successor")
    _retire(session, unit, date)
    for i, sc in enumerate(successor_codes):
        succ = get_unit(session, sc)
        if not _active(succ, date):
            raise UserError(f"接续单位 {sc} 在 {date} 不存在", f"the successor {sc} does not exist on {date}")
        session.add(OrgSuccession(predecessor_id=unit.id, successor_id=succ.id, date=date, kind="split", is_primary=i == 0))
    session.flush()


OrgSignature = tuple[Row[int, int], ...]  # (last change number, row count) of each organisation table
_TREES: dict[tuple[int, dt.date, OrgSignature], tuple[Engine | Connection, Hierarchy]] = {}


def org_signature(session: Session) -> OrgSignature:
    """Changes to the organisation tables (their last change numbers and row counts): a cheap key."""
    if "org_signature" in session.info:
        known: OrgSignature = session.info["org_signature"]
        return known
    sig = tuple(session.execute(select(func.max(t.seq), func.count()).select_from(t)).one() for t in (OrgUnit, OrgVersion, OrgSuccession))
    if "actor" not in session.info:  # a read session (a request's) cannot change the tables: read them once
        session.info["org_signature"] = sig
    return sig


@dataclass(frozen=True)
class OrgRows:
    """The organisation tables as plain rows (read once; a Hierarchy for any date is built from them)."""

    units: list[Row[Any]]
    versions: list[Row[Any]]
    successions: list[Row[Any]]

    @classmethod
    def read(cls, session: Session) -> OrgRows:
        u, v, s = OrgUnit.__table__, OrgVersion.__table__, OrgSuccession.__table__
        return cls(
            list(session.execute(u.select())),
            list(session.execute(v.select().order_by(v.c.valid_from, v.c.id))),
            list(session.execute(s.select())),
        )


class Hierarchy:
    """The organisation tree as it stood on one date (end of that day)."""

    def __init__(
        self, date: dt.date, units: dict[int, UnitView], successor: dict[int, tuple[int, dt.date]], codes: dict[int, str] | None = None
    ) -> None:
        self.date = date
        self.units = units  # active units only
        self.codes = codes if codes is not None else {u.id: u.code for u in units.values()}  # every unit, retired too
        self._successor = successor  # retired unit -> (primary successor, date)
        self.by_code = {u.code: u for u in units.values()}
        self.children: dict[int | None, list[int]] = defaultdict(list)
        for u in units.values():
            self.children[u.parent_id if u.parent_id in units else None].append(u.id)
        for kids in self.children.values():
            kids.sort(key=lambda i: units[i].code)

    @classmethod
    def as_of(cls, session: Session, date: dt.date) -> Hierarchy:
        """The tree on ``date``; kept per database, date and organisation change (the organisation
        tables are small but read on every request of the web application)."""
        bind = session.get_bind()
        key = (id(bind), date, org_signature(session))
        hit = _TREES.get(key)
        if hit is None or hit[0] is not bind:  # the engine is kept with its trees, so its id is never reused meanwhile
            hit = (bind, cls.from_rows(OrgRows.read(session), date))
            while len(_TREES) >= 64:
                _TREES.pop(next(iter(_TREES)))
            _TREES[key] = hit
        return hit[1]

    @classmethod
    def from_rows(cls, rows: OrgRows, date: dt.date) -> Hierarchy:
        versions: dict[int, Row[Any]] = {}
        for v in rows.versions:  # ordered by valid_from: the last one on or before the date wins
            if v.valid_from <= date:
                versions[v.unit_id] = v
        views = {
            u.id: UnitView(
                u.id,
                u.code,
                versions[u.id].name,
                u.level,
                versions[u.id].parent_id,
                versions[u.id].urban_rural,
                u.unit_kind,
                u.valid_from,
                u.retired_on,
            )
            for u in rows.units
            if _active(u, date) and u.id in versions
        }
        succ = {s.predecessor_id: (s.successor_id, s.date) for s in rows.successions if s.is_primary and s.date <= date}
        return cls(date, views, succ, {u.id: u.code for u in rows.units})

    def unit(self, code: str) -> UnitView:
        u = self.by_code.get(code)
        if u is None:
            raise NotFound(
                f"组织机构 {code} 在 {self.date} 不存在（已撤销、尚未设立或代码有误）",
                f"organisation unit {code} did not exist on {self.date} (retired, not yet created, or a wrong code)",
            )
        return u

    def resolve(self, unit_id: int | None) -> int | None:
        """The active unit that holds, on this date, the people recorded against ``unit_id``."""
        seen = 0
        while unit_id is not None and unit_id not in self.units:
            nxt = self._successor.get(unit_id)
            unit_id = nxt[0] if nxt else None
            seen += 1
            if seen > 100:  # a cycle would be a data error; never loop forever
                return None
        return unit_id

    def subtree(self, code: str) -> set[int]:
        """Ids of the unit and all units below it on this date."""
        root = self.unit(code).id
        out, stack = set(), [root]
        while stack:
            i = stack.pop()
            out.add(i)
            stack.extend(self.children.get(i, ()))
        return out

    def path(self, unit_id: int) -> list[UnitView]:
        out = []
        cur: int | None = unit_id
        while cur is not None and cur in self.units:
            out.append(self.units[cur])
            cur = self.units[cur].parent_id
        return out[::-1]

    def roots(self) -> list[UnitView]:
        return [self.units[i] for i in self.children.get(None, [])]

    def walk(self, code: str | None = None) -> list[tuple[int, UnitView]]:
        """(depth, unit) in tree order from ``code`` (or from every root)."""
        out: list[tuple[int, UnitView]] = []
        starts = [self.unit(code).id] if code else [u.id for u in self.roots()]

        def rec(i: int, d: int) -> None:
            out.append((d, self.units[i]))
            for c in self.children.get(i, ()):
                rec(c, d + 1)

        for s in starts:
            rec(s, 0)
        return out


def history(session: Session, code: str) -> list[dict[str, Any]]:
    """Every dated change of a unit: versions (created, renamed, moved) and successions."""
    unit = get_unit(session, code)
    out: list[dict[str, Any]] = []
    for v in session.scalars(select(OrgVersion).where(OrgVersion.unit_id == unit.id).order_by(OrgVersion.valid_from)):
        out.append({"date": v.valid_from, "what": "version", "name": v.name, "parent_id": v.parent_id})
    for s in session.scalars(
        select(OrgSuccession).where((OrgSuccession.predecessor_id == unit.id) | (OrgSuccession.successor_id == unit.id))
    ):
        other = session.get(OrgUnit, s.successor_id if s.predecessor_id == unit.id else s.predecessor_id)
        out.append(
            {
                "date": s.date,
                "what": s.kind,
                "role": "predecessor" if s.predecessor_id == unit.id else "successor",
                "other": other.code if other else None,
            }
        )
    return sorted(out, key=lambda r: r["date"])
