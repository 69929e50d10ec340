"""The area rule of imports: every row of a file imported by an officer bound to part of the county
must lie in that officer's area (its unit's subtree, renkou.auth.scope). The importer
(renkou.exchange.importer) runs this check first, in the import's transaction, for every import —
from the web or the command line — and leaves the rows it refuses alone: a refused row gets this module's
problems and no other, so what is said about it depends only on the row and on the area, never on
what the register holds outside the area.

* Units are not secret (the organisation tree is readable): a unit outside the area is reported as
  "outside your area" (rule ``outside_area``).
* People are: a person of another area is reported exactly as a person nobody has (``unknown_person``,
  the key masked), and so is a person nobody has — both rows refused whole, so that neither a death
  date nor any other check of the row tells them apart.
* An event's subject must live in the area, unless nobody holds them yet (a newborn imported without a
  unit) and the event places them in it.
* Organisation units may be added under a unit of the area (or under one added earlier in the file).
* A person row must name a hukou or residence unit of the area, or nobody in the area could see them
  (rule ``unplaced``); a person row whose ID number or temporary key is somebody's outside the area
  says only that a record exists elsewhere (``registered_elsewhere``), whatever else the row holds.

An officer of the whole county (and the system) has no area restriction: nothing is refused here.
This module decides which rows reach outside; it does not import, and it does not word the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from renkou.auth.scope import Scope
from renkou.core import idnumber
from renkou.core.problems import Problem, problem
from renkou.exchange import readers, templates
from renkou.storage.schema import Household, OrgUnit, Person

UNIT_COLUMNS = {
    "households": ("unit_code",),
    "persons": ("hukou_unit", "residence_unit"),
    "events": ("hukou_unit", "residence_unit", "work_unit"),
}
PERSON_COLUMNS = ("person", "partner", "mother", "father")
KEY_COLUMNS = ("id_number", "temp_key")
Progress = Callable[[int, int], None]


@dataclass
class Refusals:
    """The problems of the rows outside the area (each with its row), and those rows' numbers."""

    problems: list[Problem] = field(default_factory=list)
    rows: set[int] = field(default_factory=set)

    def add(self, p: Problem) -> None:
        self.problems.append(p)
        if p.row is not None:
            self.rows.add(p.row)


def _columns(kind: str, headers: list[str]) -> dict[str, int]:
    """Column key -> index, read as the importer reads a header row (the last of twin headers wins)."""
    hmap = templates.header_map(kind)
    index = {}
    for i, h in enumerate(headers):
        key = hmap.get(h) or hmap.get(h.lower())
        if key is not None:
            index[key] = i
    return index


def check(
    session: Session, kind: str, table: readers.Table, scope: Scope, *, today: dt.date | None = None, progress: Progress | None = None
) -> Refusals:
    """The rows of ``table`` (a file of import ``kind``, as the importer read it) that reach outside ``scope``."""
    out = Refusals()
    if scope.everything:
        return out
    today = today or dt.date.today()
    index = _columns(kind, table.headers)
    codes: dict[str, int] = {c: i for c, i in session.execute(select(OrgUnit.code, OrgUnit.id))}
    inside = scope.unit_ids or frozenset()

    def unit_ok(code: str) -> bool:
        uid = codes.get(code)
        return uid is None or uid in inside  # an unknown code is the importer's problem (unknown_org)

    households: dict[str, int] = {}
    if kind in ("persons", "events") and ("household" in index):
        households = {n: u for n, u in session.execute(select(Household.number, Household.unit_id))}
    added: dict[str, bool] = {}  # orgs: code added by an earlier row -> whether it lies in the area
    done = 0
    for chunk in table.chunks(20_000):
        columns = PERSON_COLUMNS if kind == "events" else KEY_COLUMNS if kind == "persons" else ()
        people = _people(session, scope, chunk, index, columns, today) if columns else None
        for row in chunk:
            done += 1
            n = done + 1  # the header is row 1

            def get(key: str) -> str:
                return row[index[key]] if key in index else ""  # noqa: B023 (called for this row only)

            if kind == "orgs":
                _org_row(get, n, codes, inside, added, out)
                continue
            found: list[Problem] = []
            for col in UNIT_COLUMNS[kind]:
                if get(col) and not unit_ok(get(col)):
                    found.append(problem("outside_area", col, get(col)))
            hh = get("household")
            if hh and hh in households and households[hh] not in inside:
                found.append(problem("outside_area", "household", hh))
            if kind == "persons" and not get("hukou_unit") and not get("residence_unit"):
                found.append(problem("unplaced", "hukou_unit", ""))
            if kind == "persons" and people is not None and not found:
                for col in KEY_COLUMNS:
                    raw = get(col)
                    if raw and people.elsewhere(raw):
                        found.append(problem("registered_elsewhere", col, idnumber.mask(raw) if col == "id_number" else raw))
                        break
            if kind == "events" and people is not None:
                placing = any(get(c) and codes.get(get(c)) in inside for c in ("hukou_unit", "residence_unit"))
                for col in PERSON_COLUMNS:
                    raw = get(col)
                    if raw and not people.allows(raw, subject=col == "person", placing=placing):
                        found.append(problem("unknown_person", col, idnumber.mask(raw), key=idnumber.mask(raw)))
            for p in found:
                out.add(p.at_row(n))
        if progress:
            progress(done, table.n_rows)
    return out


def _org_row(
    get: Callable[[str], str], n: int, codes: dict[str, int], inside: frozenset[int], added: dict[str, bool], out: Refusals
) -> None:
    code, parent = get("code"), get("parent_code")
    if code in codes:  # already recorded: must be one of the area's (the importer compares the rest)
        if codes[code] not in inside:
            out.add(problem("outside_area", "code", code).at_row(n))
        return
    if not parent:
        ok = False  # a new top of the tree
    elif parent in codes:
        ok = codes[parent] in inside
    else:
        ok = added.get(parent, True)  # a parent nobody knows is the importer's problem (unknown_parent)
    if not ok:
        out.add(problem("outside_area", "parent_code", parent).at_row(n))
    added.setdefault(code, ok)


class _People:
    """The people a chunk names, and which of them the area holds."""

    def __init__(self, ids: dict[str, int], in_area: set[int], placed: set[int]) -> None:
        self.ids, self.in_area, self.placed = ids, in_area, placed

    def allows(self, raw: str, *, subject: bool, placing: bool) -> bool:
        """Whether an event may name ``raw``: somebody of the area, or as its subject somebody nobody
        holds yet whom the event places in the area. Nobody at all is refused like somebody elsewhere."""
        pid = self.ids.get(_key(raw))
        if pid is None:
            return False
        if pid in self.in_area:
            return True
        return subject and placing and pid not in self.placed

    def elsewhere(self, raw: str) -> bool:
        """Whether ``raw`` is the key of somebody outside the area."""
        pid = self.ids.get(_key(raw))
        return pid is not None and pid not in self.in_area


def _key(raw: str) -> str:
    num, _ = idnumber.validate(raw)
    return num.value if num else raw


def _people(
    session: Session, scope: Scope, chunk: list[list[str]], index: dict[str, int], columns: tuple[str, ...], today: dt.date
) -> _People:
    keys = sorted({_key(row[index[c]]) for row in chunk for c in columns if c in index and row[index[c]]})
    ids: dict[str, int] = {}
    for i in range(0, len(keys), 5_000):
        part = keys[i : i + 5_000]
        for idn, tk, pid in session.execute(
            select(Person.id_number, Person.temp_key, Person.id).where(or_(Person.id_number.in_(part), Person.temp_key.in_(part)))
        ):
            for k in (idn, tk):
                if k:
                    ids[k] = pid
    found = sorted(set(ids.values()))
    in_area: set[int] = set()
    placed: set[int] = set()
    anywhere = Scope(scope.root_id, scope.root_code, frozenset(session.scalars(select(OrgUnit.id))))
    for i in range(0, len(found), 5_000):
        ids_part = found[i : i + 5_000]
        q, everywhere = scope.person_ids(today, persons=ids_part), anywhere.person_ids(today, persons=ids_part)
        assert q is not None and everywhere is not None  # both scopes are limited
        in_area.update(session.scalars(select(q.subquery().c[0])))
        placed.update(session.scalars(select(everywhere.subquery().c[0])))
    return _People(ids, in_area, placed)
