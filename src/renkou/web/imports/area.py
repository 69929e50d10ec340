"""The area rule of web imports: every row of a file imported from the web must lie in the account's
area (its unit's subtree, renkou.auth.scope). The importer itself knows nothing of areas (the command
line imports for the whole county), so this module reads the file once more and names each row that
reaches outside: a unit code of another township, a household kept by another unit, a person who lives
elsewhere. Such rows are problems like the importer's own, and the import page lets nothing be imported
while there is one.

* Units are not secret (the organisation tree is readable): a unit outside the area is reported as
  "outside your area" (rule ``outside_area``).
* People are: a person of another area is reported exactly as the importer reports a person it cannot
  find (``unknown_person``, the key masked), so a file learns nothing about who lives elsewhere.
* An event's subject must live in the area, unless nobody holds them yet (a newborn imported without a
  unit) and the event places them in it.
* Organisation units may be added under a unit of the area (or under one added earlier in the file).
* A person row must name a hukou or residence unit of the area, or nobody in the area could see them.

An account bound to the top of the tree (the county) has no area restriction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from renkou.auth.scope import Scope
from renkou.core import idnumber
from renkou.core.problems import Problem, problem
from renkou.exchange import readers, templates
from renkou.storage.schema import Household, OrgUnit, Person
from renkou.web.i18n import gettext

MAX_KEPT = 10_000  # findings kept for the report (all are counted), as the importer keeps its problems
UNIT_COLUMNS = {"households": ("unit_code",), "persons": ("hukou_unit", "residence_unit"),
                "events": ("hukou_unit", "residence_unit", "work_unit")}
PERSON_COLUMNS = ("person", "partner", "mother", "father")


def N_(message: str) -> str:
    """Marks a message for extraction (translated where it is shown)."""
    return message


OUTSIDE = N_("Outside your area: the unit does not belong to your unit's subtree.")
UNPLACED = N_("Name the hukou or residence unit in your area: a person without one is in nobody's area.")


@dataclass(frozen=True)
class Finding:
    """One problem of one row for the import page and its error report: the importer's problems and
    this module's, with the message in both languages."""

    row: int | None
    field: str
    value: str
    rule: str
    zh: str
    en: str

    @classmethod
    def of(cls, p: Problem) -> Finding:
        return cls(p.row, p.field, p.value, p.rule, p.zh, p.en)

    @classmethod
    def outside(cls, row: int, field: str, value: str) -> Finding:
        return cls(row, field, value, "outside_area", gettext("zh", OUTSIDE), gettext("en", OUTSIDE))

    @classmethod
    def unplaced(cls, row: int) -> Finding:
        return cls(row, "hukou_unit", "", "outside_area", gettext("zh", UNPLACED), gettext("en", UNPLACED))

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "value": self.value, "rule": self.rule, "zh": self.zh, "en": self.en}


class Findings:
    def __init__(self) -> None:
        self.kept: list[Finding] = []
        self.count = 0

    def add(self, f: Finding) -> None:
        self.count += 1
        if len(self.kept) < MAX_KEPT:
            self.kept.append(f)


def _columns(kind: str, headers: list[str]) -> dict[str, int]:
    """Column key -> index, read as the importer reads a header row (the last of twin headers wins)."""
    hmap = templates.header_map(kind)
    index = {}
    for i, h in enumerate(headers):
        key = hmap.get(h) or hmap.get(h.lower())
        if key is not None:
            index[key] = i
    return index


def check(session: Session, kind: str, path: Path, scope: Scope, *, today: dt.date | None = None,
          progress: Callable[[int, int], None] | None = None) -> Findings:
    """The rows of the file at ``path`` (of import ``kind``) that reach outside ``scope``."""
    out = Findings()
    if scope.everything:
        return out
    today = today or dt.date.today()
    table = readers.open_table(path)
    index = _columns(kind, table.headers)
    codes: dict[str, int] = dict(session.execute(select(OrgUnit.code, OrgUnit.id)).all())
    inside = scope.unit_ids or frozenset()

    def unit_ok(code: str) -> bool:
        uid = codes.get(code)
        return uid is None or uid in inside  # an unknown code is the importer's problem (unknown_org)

    households: dict[str, int] = {}
    if kind in ("persons", "events") and ("household" in index):
        households = dict(session.execute(select(Household.number, Household.unit_id)).all())
    added: dict[str, bool] = {}  # orgs: code added by an earlier row -> whether it lies in the area
    done = 0
    for chunk in table.chunks(20_000):
        people = _people(session, scope, chunk, index, today) if kind == "events" else None
        for row in chunk:
            done += 1
            n = done + 1  # the header is row 1

            def get(key: str) -> str:
                return row[index[key]] if key in index else ""

            if kind == "orgs":
                _org_row(get, n, codes, inside, added, out)
                continue
            for col in UNIT_COLUMNS[kind]:
                if get(col) and not unit_ok(get(col)):
                    out.add(Finding.outside(n, col, get(col)))
            hh = get("household")
            if hh and hh in households and households[hh] not in inside:
                out.add(Finding.outside(n, "household", hh))
            if kind == "persons" and not get("hukou_unit") and not get("residence_unit"):
                out.add(Finding.unplaced(n))
            if people is not None:
                placing = any(get(c) and codes.get(get(c)) in inside for c in ("hukou_unit", "residence_unit"))
                for col in PERSON_COLUMNS:
                    raw = get(col)
                    if raw and not people.allows(raw, subject=col == "person", placing=placing):
                        out.add(Finding.of(problem("unknown_person", col, idnumber.mask(raw), key=idnumber.mask(raw)).at_row(n)))
        if progress:
            progress(done, table.n_rows)
    return out


def _org_row(get, n: int, codes: dict[str, int], inside: frozenset[int], added: dict[str, bool], out: Findings) -> None:
    code, parent = get("code"), get("parent_code")
    if code in codes:  # already recorded: must be one of the area's (the importer compares the rest)
        if codes[code] not in inside:
            out.add(Finding.outside(n, "code", code))
        return
    if not parent:
        ok = False  # a new top of the tree
    elif parent in codes:
        ok = codes[parent] in inside
    else:
        ok = added.get(parent, True)  # a parent nobody knows is the importer's problem (unknown_parent)
    if not ok:
        out.add(Finding.outside(n, "parent_code", parent))
    added.setdefault(code, ok)


class _People:
    """The people an events chunk names, and which of them the area holds."""

    def __init__(self, ids: dict[str, int], in_area: set[int], placed: set[int]) -> None:
        self.ids, self.in_area, self.placed = ids, in_area, placed

    def allows(self, raw: str, *, subject: bool, placing: bool) -> bool:
        pid = self.ids.get(_key(raw))
        if pid is None:
            return True  # unknown: the importer's problem (unknown_person), said the same way
        if pid in self.in_area:
            return True
        return subject and placing and pid not in self.placed


def _key(raw: str) -> str:
    num, _ = idnumber.validate(raw)
    return num.value if num else raw


def _people(session: Session, scope: Scope, chunk: list[list[str]], index: dict[str, int], today: dt.date) -> _People:
    keys = sorted({_key(row[index[c]]) for row in chunk for c in PERSON_COLUMNS if c in index and row[index[c]]})
    ids: dict[str, int] = {}
    for i in range(0, len(keys), 5_000):
        part = keys[i : i + 5_000]
        for idn, tk, pid in session.execute(select(Person.id_number, Person.temp_key, Person.id)
                                            .where(or_(Person.id_number.in_(part), Person.temp_key.in_(part)))):
            for k in (idn, tk):
                if k:
                    ids[k] = pid
    found = sorted(set(ids.values()))
    in_area: set[int] = set()
    placed: set[int] = set()
    anywhere = Scope(scope.root_id, scope.root_code, frozenset(session.scalars(select(OrgUnit.id))))
    for i in range(0, len(found), 5_000):
        part = found[i : i + 5_000]
        in_area.update(session.scalars(select(scope.person_ids(today, persons=part).subquery().c[0])))
        placed.update(session.scalars(select(anywhere.person_ids(today, persons=part).subquery().c[0])))
    return _People(ids, in_area, placed)
