"""Validated, atomic imports of organisation units, households, persons and events.

The whole file is read and checked in one transaction. Every problem is collected with its row,
column, value and rule; if there is any, the transaction is rolled back — nothing changes — and the
problems are written to the error report. Rows already in the database with the same content are
counted as unchanged, so importing the same file twice adds nothing; a row whose key exists with
different content is an error (use a correction instead).

Every import is run by an ``Officer`` (renkou.auth.officer): the web's township officer or the command
line's system officer. Its permission (import:write) and area (renkou.exchange.area) are checked here,
so the web and the command line share them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from renkou.auth.officer import Officer
from renkou.config import Settings
from renkou.core import idnumber, pinyin
from renkou.core.cells import csv_row, xlsx_workbook_text
from renkou.core.codes import LEVELS, UNIT_KINDS, URBAN_RURAL_CLASSES, check_code
from renkou.core.dates import parse_date
from renkou.core.events import EVENT_KINDS
from renkou.core.problems import Problem, problem
from renkou.core.vocab import ETHNICITIES, HUKOU_TYPES, MOVE_SCOPES, RELATIONS, SOURCES, lookup
from renkou.errors import UserError, ValidationFailed
from renkou.exchange import area, readers, templates
from renkou.registry.events import CONTENT, check_event, fingerprint
from renkou.registry.log import in_force
from renkou.storage.db import Actor, Database, allocate_seq, bulk_insert, changeset_of, deferred_indexes, reserve_ids
from renkou.storage.schema import Event, Household, ImportBatch, OrgUnit, OrgVersion, Person

MAX_KEPT = 10_000  # problems kept for the report; all are counted
Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    kind: str
    file: str
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    n_problems: int = 0
    warnings: list[Problem] = field(default_factory=list)
    batch_id: int | None = None
    previously_imported: bool = False

    def add(self, p: Problem) -> None:
        self.n_problems += 1
        if len(self.problems) < MAX_KEPT:
            self.problems.append(p)


# The most text a cell may hold: the length of the column it is stored in, or for a cell naming
# something stored elsewhere (a unit's code, a household's number, a person's key) that thing's length.
STORED_AS = {
    "orgs": {"code": OrgUnit.code, "name": OrgVersion.name, "parent_code": OrgUnit.code},
    "households": {"number": Household.number, "unit_code": OrgUnit.code, "address": Household.address},
    "persons": {
        "temp_key": Person.temp_key,
        "name": Person.name,
        "hukou_unit": OrgUnit.code,
        "residence_unit": OrgUnit.code,
        "household": Household.number,
    },
    "events": {
        "person": Person.temp_key,
        "partner": Person.temp_key,
        "mother": Person.temp_key,
        "father": Person.temp_key,
        "hukou_unit": OrgUnit.code,
        "residence_unit": OrgUnit.code,
        "work_unit": OrgUnit.code,
        "household": Household.number,
        "place": Event.place,
        "certificate_no": Event.certificate_no,
        "origin_code": Event.origin_code,
        "destination_code": Event.destination_code,
    },
}
OTHER_MAX = 64  # any other cell (a date, an ID number, a choice from a list): longer is never right
# NUL and the other control characters (tab and line breaks aside), the text-direction overrides and
# isolates (which make a value read differently from what it holds), a byte-order mark inside text
HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ufeff]")


def visible(value: str) -> str:
    """The value with each hidden character written out as ⟨U+XXXX⟩, for a report."""
    return HIDDEN.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", value)


class _Rows:
    """Maps a file's headers to column keys and checks the header row."""

    def __init__(self, kind: str, headers: list[str], result: ImportResult) -> None:
        hmap = templates.header_map(kind)
        self.index: dict[str, int] = {}
        unknown = []
        for i, h in enumerate(headers):
            key = hmap.get(h) or hmap.get(h.lower())
            if key is None:
                if h:
                    unknown.append(h)
            else:
                self.index[key] = i
        missing = [c.zh for c in templates.columns(kind) if c.required and c.key not in self.index]
        if missing:
            result.add(problem("no_columns", "", ", ".join(missing), columns=", ".join(missing)).at_row(1))
        if unknown:
            result.add(problem("unknown_columns", "", ", ".join(unknown), columns=", ".join(unknown)).at_row(1))
        stored = STORED_AS.get(kind, {})
        self.limits = [(i, key, stored[key].type.length if key in stored else OTHER_MAX) for key, i in self.index.items()]
        self.shortest = min((most for _, _, most in self.limits), default=OTHER_MAX)

    def screen(self, row: list[str]) -> list[Problem]:
        """What is wrong with a row's cells whatever their column: hidden characters, more text than
        the column holds (the usual row costs one length check and one search)."""
        if max(map(len, row), default=0) <= self.shortest and not HIDDEN.search("".join(row)):
            return []
        probs = []
        for i, key, most in self.limits:
            v = row[i]
            found = sorted(set(HIDDEN.findall(v)))
            if found:
                probs.append(problem("hidden_chars", key, visible(v), chars=" ".join(f"U+{ord(c):04X}" for c in found)))
            if len(v) > most:
                probs.append(problem("too_long", key, visible(v), max=most))
        return probs

    def picker(self, keys: list[str]) -> Callable[[list[str]], list[str]]:
        """A function giving a row's values for ``keys`` in that order ("" for absent columns)."""
        idx = [self.index.get(k, -1) for k in keys]
        return lambda row: [row[i] if i >= 0 else "" for i in idx]

    def getter(self, row: list[str]) -> Callable[[str], str]:
        idx = self.index
        return lambda key: row[idx[key]] if key in idx else ""


def _vocab(v: dict, raw: str, fld: str, probs: list[Problem], choices: str | None = None) -> str | None:
    if not raw:
        return None
    code = lookup(v, raw)
    if code is None:
        probs.append(problem("bad_choice", fld, raw, choices=choices or ", ".join(f"{k}/{z}" for k, (z, _) in v.items())))
    return code


def _date(raw: str, fld: str, probs: list[Problem], required: bool, today: dt.date) -> dt.date | None:
    if not raw:
        if required:
            probs.append(problem("required", fld, raw))
        return None
    d = parse_date(raw)
    if d is None:
        probs.append(problem("bad_date", fld, raw))
    elif d > today:
        probs.append(problem("future_date", fld, raw))
        return None
    return d


def _units(session: Session) -> dict[str, tuple[int, str]]:
    return {code: (uid, level) for uid, code, level in session.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.level))}


def _unit(units: dict, raw: str, fld: str, probs: list[Problem]) -> int | None:
    if not raw:
        return None
    u = units.get(raw)
    if u is None:
        probs.append(problem("unknown_org", fld, raw, code=raw))
        return None
    return u[0]


# --------------------------------------------------------------------------------------------- orgs


def _import_orgs(
    session: Session, table: readers.Table, cols: _Rows, res: ImportResult, today: dt.date, progress: Progress | None, refused: set[int]
) -> None:
    existing = {u.code: u for u in session.scalars(select(OrgUnit))}
    first_version: dict[int, OrgVersion] = {}
    for v in session.scalars(select(OrgVersion).order_by(OrgVersion.valid_from.desc())):
        first_version[v.unit_id] = v  # newest first, so the earliest is kept: a file describes units as created
    in_file: dict[str, tuple[int, str, dt.date]] = {}  # code -> (row, level, valid_from)
    todo: list[dict] = []
    done = 0
    for chunk in table.chunks(5_000):
        for row in chunk:
            done += 1
            n = done + 1
            if n in refused:  # outside the area: the area rule's problems only (renkou.exchange.area)
                continue
            get = cols.getter(row)
            probs = cols.screen(row)
            code, name, level_raw, parent = get("code"), get("name"), get("level"), get("parent_code")
            level = lookup({k: (v.zh, v.en) for k, v in LEVELS.items()}, level_raw) if level_raw else None
            if not level:
                probs.append(
                    problem("bad_choice", "level", level_raw, choices=", ".join(f"{k}/{v.zh}" for k, v in LEVELS.items()))
                    if level_raw
                    else problem("required", "level", "")
                )
            vf = _date(get("valid_from"), "valid_from", probs, True, today)
            ur = get("urban_rural") or None
            if ur and ur not in URBAN_RURAL_CLASSES:
                probs.append(problem("bad_choice", "urban_rural", ur, choices=", ".join(URBAN_RURAL_CLASSES)))
            uk = lookup(UNIT_KINDS, get("unit_kind")) if get("unit_kind") else None
            if level == "unit" and uk is None:
                probs.append(problem("bad_choice", "unit_kind", get("unit_kind"), choices=", ".join(UNIT_KINDS)))
            if not name:
                probs.append(problem("required", "name", name))
            if code in in_file:
                probs.append(problem("duplicate_in_file", "code", code, other_row=in_file[code][0]))
            if level and vf:
                probs += check_code(level, code, parent if level in ("township", "village", "group") else None)
                if parent:
                    p_level = in_file[parent][1] if parent in in_file else (existing[parent].level if parent in existing else None)
                    if p_level is None:
                        probs.append(problem("unknown_parent", "parent_code", parent, code=parent))
                    elif p_level not in LEVELS[level].parents:
                        probs.append(
                            problem(
                                "bad_parent_level",
                                "parent_code",
                                parent,
                                level=LEVELS[level].zh,
                                parent_level=LEVELS[p_level].zh,
                                level_en=LEVELS[level].en,
                                parent_level_en=LEVELS[p_level].en,
                            )
                        )
                elif level not in ("province", "city", "county"):
                    probs.append(problem("required", "parent_code", ""))
            if code in existing and not probs:
                u = existing[code]
                cur = first_version.get(u.id)
                parent_then = next((c for c, x in existing.items() if cur and x.id == cur.parent_id), None)
                same = (
                    u.level == level
                    and cur is not None
                    and cur.name == name
                    and u.valid_from == vf
                    and (parent_then or "") == parent
                    and cur.urban_rural == ur
                    and u.unit_kind == uk
                )
                if same:
                    res.unchanged += 1
                else:
                    probs.append(
                        problem(
                            "conflicts_existing",
                            "code",
                            code,
                            what="组织机构",
                            what_en="organisation unit",
                            fields="name/level/parent/valid_from/urban_rural/unit_kind",
                        )
                    )
            elif not probs:
                todo.append(dict(code=code, name=name, level=level, parent=parent or None, valid_from=vf, urban_rural=ur, unit_kind=uk))
            if level and vf is not None:
                in_file.setdefault(code, (n, level, vf))
            for p in probs:
                res.add(p.at_row(n))
        if progress:
            progress(done, table.n_rows)
    res.rows = done
    if res.n_problems:
        return
    for t in todo:
        u = OrgUnit(code=t["code"], level=t["level"], unit_kind=t["unit_kind"], valid_from=t["valid_from"])
        session.add(u)
        session.flush()
        existing[u.code] = u
        parent_id = existing[t["parent"]].id if t["parent"] else None
        session.add(OrgVersion(unit_id=u.id, valid_from=t["valid_from"], name=t["name"], parent_id=parent_id, urban_rural=t["urban_rural"]))
    session.flush()
    res.created = len(todo)


# --------------------------------------------------------------------------------------- households


def _import_households(
    session: Session, table: readers.Table, cols: _Rows, res: ImportResult, today: dt.date, progress: Progress | None, refused: set[int]
) -> None:
    units = _units(session)
    existing = {h.number: h for h in session.scalars(select(Household))}
    seen: dict[str, int] = {}
    todo: list[dict] = []
    done = 0
    for chunk in table.chunks(20_000):
        for row in chunk:
            done += 1
            n = done + 1
            if n in refused:  # outside the area: the area rule's problems only (renkou.exchange.area)
                continue
            get = cols.getter(row)
            probs = cols.screen(row)
            number = get("number")
            if not number:
                probs.append(problem("required", "number", ""))
            elif number in seen:
                probs.append(problem("duplicate_in_file", "number", number, other_row=seen[number]))
            unit_id = _unit(units, get("unit_code"), "unit_code", probs)
            if not get("unit_code"):
                probs.append(problem("required", "unit_code", ""))
            created_on = _date(get("created_on"), "created_on", probs, True, today)
            address = get("address")
            if number and number not in seen:
                seen[number] = n
            if not probs:
                h = existing.get(number)
                if h is not None:
                    if (h.unit_id, h.created_on, h.address) == (unit_id, created_on, address):
                        res.unchanged += 1
                    else:
                        probs.append(
                            problem(
                                "conflicts_existing", "number", number, what="户", what_en="household", fields="unit/created_on/address"
                            )
                        )
                else:
                    todo.append(dict(number=number, unit_id=unit_id, address=address, created_on=created_on))
            for p in probs:
                res.add(p.at_row(n))
        if progress:
            progress(done, table.n_rows)
    res.rows = done
    if res.n_problems or not todo:
        return
    cs = changeset_of(session)
    first_id, first_seq = reserve_ids(session, "household", len(todo)), allocate_seq(session.connection(), len(todo))
    for i, t in enumerate(todo):
        t.update(id=first_id + i, seq=first_seq + i, created_cs=cs.id, version=1)
    session.connection().execute(Household.__table__.insert(), todo)
    res.created = len(todo)


# ------------------------------------------------------------------------------------------ persons

_SEX = {"M": "M", "F": "F", "男": "M", "女": "F", "m": "M", "f": "F", "1": "M", "2": "F"}


def _existing_persons(session: Session, keys: list[str]) -> dict[str, tuple]:
    """key (ID number or temporary key) -> (id, id_number, temp_key, name, sex, birth, ethnicity, register)
    where register is the (hukou unit, residence unit, household, relation, hukou type, date) of the
    person's registration event in force, or None."""
    found: dict[int, list] = {}
    out: dict[str, tuple] = {}
    for i in range(0, len(keys), 5_000):
        part = keys[i : i + 5_000]
        q = select(Person.id, Person.id_number, Person.temp_key, Person.name, Person.sex, Person.birth_date, Person.ethnicity).where(
            or_(Person.id_number.in_(part), Person.temp_key.in_(part))
        )
        for row in session.execute(q):
            found[row[0]] = list(row) + [None]
    ids = list(found)
    for i in range(0, len(ids), 5_000):
        q = select(
            Event.person_id, Event.hukou_unit_id, Event.residence_unit_id, Event.household_id, Event.relation, Event.hukou_type, Event.date
        ).where(Event.kind == "register", in_force(), Event.person_id.in_(ids[i : i + 5_000]))
        for pid, *reg in session.execute(q):
            found[pid][7] = tuple(reg)
    for rec in found.values():
        for k in (rec[1], rec[2]):
            if k:
                out[k] = tuple(rec)
    return out


def _agrees(idn: str, sex: str, raw_birth: str) -> bool:
    """Fast check that an ID number's sex digit and birth date agree with the row (the usual case);
    when it says no, `idnumber.discrepancies` says how."""
    return (idn[16] in "13579") == (sex == "M") and idn[6:14] == raw_birth.replace("-", "")


BULK_ROWS = 50_000  # from this many rows on, SQLite indexes are rebuilt after the load instead of updated per row


def _import_persons(
    session: Session, table: readers.Table, cols: _Rows, res: ImportResult, today: dt.date, progress: Progress | None, refused: set[int]
) -> None:
    if table.n_rows >= BULK_ROWS:
        with deferred_indexes(session, [Person.__table__, Event.__table__]):
            _import_persons_rows(session, table, cols, res, today, progress, refused)
    else:
        _import_persons_rows(session, table, cols, res, today, progress, refused)


def _import_persons_rows(
    session: Session, table: readers.Table, cols: _Rows, res: ImportResult, today: dt.date, progress: Progress | None, refused: set[int]
) -> None:
    units = _units(session)
    households = dict(session.execute(select(Household.number, Household.id)).all())
    seen: dict[str, int] = {}
    cs = changeset_of(session)
    done = 0
    validate = idnumber.validate
    # Nobody can exist yet in an empty register: skip the lookups (duplicates in the file are caught by `seen`).
    register_empty = session.scalar(select(Person.id).limit(1)) is None
    pick = cols.picker(
        [
            "id_number",
            "temp_key",
            "name",
            "sex",
            "birth_date",
            "ethnicity",
            "hukou_type",
            "relation",
            "hukou_unit",
            "residence_unit",
            "household",
            "registered_on",
        ]
    )
    for chunk in table.chunks(50_000):
        persons: list[dict] = []
        events: list[dict] = []
        keys = []
        picked = [pick(row) for row in chunk]
        checked = []  # each row's ID number validated once
        for vals in picked:
            k, tk = vals[0], vals[1]
            res_k = validate(k, today=today) if k else (None, [])
            checked.append(res_k)
            if k and (res_k[0] or len(k) <= OTHER_MAX):
                keys.append(res_k[0].value if res_k[0] else k)
            if tk and len(tk) <= OTHER_MAX:  # a longer one is refused by screen(): nobody to look up
                keys.append(tk)
        existing = _existing_persons(session, keys) if keys and not register_empty else {}
        for row, vals, (num, id_problems) in zip(chunk, picked, checked, strict=True):
            done += 1
            n = done + 1
            if n in refused:
                continue
            (raw_id, temp_key, name, raw_sex, raw_birth, raw_eth, raw_ht, raw_rel, raw_hu, raw_ru, raw_hh, raw_reg) = vals
            temp_key = temp_key or None
            probs = cols.screen(row) + id_problems
            if not raw_id and not temp_key:
                probs.append(problem("id_or_temp_key", "id_number", ""))
            if not name:
                probs.append(problem("required", "name", ""))
            sex = _SEX.get(raw_sex)
            if sex is None:
                probs.append(problem("bad_choice", "sex", raw_sex, choices="男/女, M/F") if raw_sex else problem("required", "sex", ""))
            birth = _date(raw_birth, "birth_date", probs, True, today)
            eth = _vocab(ETHNICITIES, raw_eth, "ethnicity", probs, "GB 3304 01-56, 97, 98 / 汉族…") or "01"
            hukou_type = _vocab(HUKOU_TYPES, raw_ht, "hukou_type", probs)
            relation = _vocab(RELATIONS, raw_rel, "relation", probs)
            hu = _unit(units, raw_hu, "hukou_unit", probs)
            ru = _unit(units, raw_ru, "residence_unit", probs)
            hh = None
            if raw_hh:
                hh = households.get(raw_hh)
                if hh is None:
                    probs.append(problem("unknown_household", "household", raw_hh, number=raw_hh))
            reg = (_date(raw_reg, "registered_on", probs, False, today) if raw_reg else None) or birth
            if birth and reg and reg < birth:
                probs.append(problem("before_birth", "registered_on", reg, date=reg, birth=birth))
            if bool(raw_hu) != bool(raw_ru) and not probs:
                probs.append(problem("required", "residence_unit" if raw_hu else "hukou_unit", ""))
            key = num.value if num else temp_key
            for kk, fld in ((num.value if num else None, "id_number"), (temp_key, "temp_key")):
                if kk:
                    if kk in seen:
                        probs.append(problem("duplicate_in_file", fld, idnumber.mask(kk) if fld == "id_number" else kk, other_row=seen[kk]))
                    else:
                        seen[kk] = n
            if num and birth and sex and not _agrees(num.value, sex, raw_birth):
                for w in idnumber.discrepancies(num, sex=sex, birth_date=birth):
                    res.warnings.append(Problem(w.rule, w.field, idnumber.mask(w.value), n, w.params))
            if probs:
                for p in probs:
                    res.add(p.at_row(n))
                continue
            by_id = existing.get(num.value) if num else None
            by_temp = existing.get(temp_key) if temp_key else None
            old = by_id or by_temp
            if old is not None:
                differs = [
                    f
                    for f, a, b in (("name", old[3], name), ("sex", old[4], sex), ("birth_date", old[5], birth), ("ethnicity", old[6], eth))
                    if a != b
                ]
                if (
                    (by_id and by_temp and by_id[0] != by_temp[0])
                    or (num and old[1] != num.value)
                    or (temp_key and old[2] not in (None, temp_key))
                ):
                    differs.insert(0, "id_number/temp_key")
                if hu is not None:
                    claimed = (hu, ru, hh, relation, hukou_type, reg)
                    if old[7] is None or old[7] != claimed:
                        differs.append("hukou_unit/residence_unit/household/relation/hukou_type/registered_on")
                if differs:
                    res.add(
                        problem(
                            "conflicts_existing",
                            "id_number" if num else "temp_key",
                            idnumber.mask(key) if num else key,
                            what="人员",
                            what_en="person",
                            fields=", ".join(differs),
                        ).at_row(n)
                    )
                else:
                    res.unchanged += 1
                continue
            persons.append(
                dict(id_number=num.value if num else None, temp_key=temp_key, name=name, sex=sex, birth_date=birth, ethnicity=eth)
            )
            if hu is not None:
                events.append(
                    dict(
                        kind="register",
                        date=reg,
                        source="import",
                        hukou_unit_id=hu,
                        residence_unit_id=ru,
                        household_id=hh,
                        relation=relation,
                        hukou_type=hukou_type,
                        _i=len(persons) - 1,
                    )
                )
        if not res.n_problems and persons:
            _write_persons(session, cs.id, persons, events)
            res.created += len(persons)
        if progress:
            progress(done, table.n_rows)
    res.rows = done


PERSON_COLS = [
    "id",
    "id_number",
    "temp_key",
    "name",
    "name_pinyin",
    "name_initials",
    "sex",
    "birth_date",
    "ethnicity",
    "seq",
    "created_cs",
    "version",
]
EVENT_COLS = ["id", *CONTENT, "source", "seq", "created_cs", "fingerprint", "supersedes_id", "reason"]


def _write_persons(session: Session, cs_id: int, persons: list[dict], events: list[dict]) -> None:
    conn = session.connection()
    first_id = reserve_ids(session, "person", len(persons))
    seq = allocate_seq(conn, len(persons) + len(events))
    rows = []
    keys = pinyin.keys_many([p["name"] for p in persons])
    for i, p in enumerate(persons):
        p["id"] = first_id + i
        rows.append(
            (p["id"], p["id_number"], p["temp_key"], p["name"], *keys[i], p["sex"], p["birth_date"], p["ethnicity"], seq + i, cs_id, 1)
        )
    bulk_insert(session, Person.__table__, PERSON_COLS, rows)
    if events:
        first_ev = reserve_ids(session, "event", len(events))
        seq += len(persons)
        ev_rows = []
        for j, e in enumerate(events):
            e["person_id"] = persons[e.pop("_i")]["id"]
            ev_rows.append(_event_row(e, first_ev + j, seq + j, cs_id))
        bulk_insert(session, Event.__table__, EVENT_COLS, ev_rows)


def _event_row(e: dict, id_: int, seq: int, cs_id: int) -> tuple:
    get = e.get
    return (id_, *[get(c) for c in CONTENT], get("source", "import"), seq, cs_id, e.get("_fp") or fingerprint(e), None, None)


# ------------------------------------------------------------------------------------------- events

_KIND_VOCAB = {k: (v.zh, v.en) for k, v in EVENT_KINDS.items() if k != "retraction"}


def _import_events(
    session: Session, table: readers.Table, cols: _Rows, res: ImportResult, today: dt.date, progress: Progress | None, refused: set[int]
) -> None:
    units = _units(session)
    households = dict(session.execute(select(Household.number, Household.id)).all())
    cs = changeset_of(session)
    fingerprints_in_file: dict[str, int] = {}
    deaths_in_file: dict[int, dt.date] = {}
    done = 0
    for chunk in table.chunks(20_000):
        keys = set()
        for row in chunk:
            get = cols.getter(row)
            for f in ("person", "partner", "mother", "father"):
                if get(f) and len(get(f)) <= OTHER_MAX:  # a longer one is refused by screen(): nobody to look up
                    num, _ = idnumber.validate(get(f))
                    keys.add(num.value if num else get(f))
        people: dict[str, tuple[int, dt.date]] = {}
        klist = list(keys)
        for i in range(0, len(klist), 5_000):
            part = klist[i : i + 5_000]
            for idn, tk, pid, bd in session.execute(
                select(Person.id_number, Person.temp_key, Person.id, Person.birth_date).where(
                    or_(Person.id_number.in_(part), Person.temp_key.in_(part))
                )
            ):
                for k in (idn, tk):
                    if k:
                        people[k] = (pid, bd)
        pids = [v[0] for v in people.values()]
        deaths: dict[int, dt.date] = {}
        for i in range(0, len(pids), 5_000):
            for pid, d in session.execute(
                select(Event.person_id, Event.date).where(Event.kind == "death", in_force(), Event.person_id.in_(pids[i : i + 5_000]))
            ):
                deaths[pid] = min(d, deaths.get(pid, d))
        parsed: list[tuple[int, dict, tuple | None, list[Problem]]] = []
        for row in chunk:
            done += 1
            n = done + 1
            if n in refused:  # outside the area: the area rule's problems only (renkou.exchange.area)
                continue
            get = cols.getter(row)
            probs = cols.screen(row)
            kind = _vocab(_KIND_VOCAB, get("kind"), "kind", probs) if get("kind") else None
            if not get("kind"):
                probs.append(problem("required", "kind", ""))
            d = _date(get("date"), "date", probs, True, today)

            def person_ref(f: str) -> tuple[int, dt.date] | None:  # called for this row only: binding its locals is right
                raw = get(f)  # noqa: B023
                if not raw:
                    return None
                num, _ = idnumber.validate(raw)
                p = people.get(num.value if num else raw)  # noqa: B023
                if p is None:
                    probs.append(problem("unknown_person", f, idnumber.mask(raw), key=idnumber.mask(raw)))  # noqa: B023
                return p

            subj = person_ref("person")
            if not get("person"):
                probs.append(problem("required", "person", ""))
            refs = {f: person_ref(f) for f in ("partner", "mother", "father")}
            grade_raw = get("grade")
            grade = None
            if grade_raw:
                if grade_raw.isdigit():
                    grade = int(grade_raw)
                else:
                    probs.append(problem("bad_int", "grade", grade_raw))
            hh = None
            if get("household"):
                hh = households.get(get("household"))
                if hh is None:
                    probs.append(problem("unknown_household", "household", get("household"), number=get("household")))
            values = dict(
                kind=kind,
                person_id=subj[0] if subj else None,
                date=d,
                source=_vocab(SOURCES, get("source"), "source", probs) or "import",
                partner_id=refs["partner"][0] if refs["partner"] else None,
                mother_id=refs["mother"][0] if refs["mother"] else None,
                father_id=refs["father"][0] if refs["father"] else None,
                hukou_unit_id=_unit(units, get("hukou_unit"), "hukou_unit", probs),
                residence_unit_id=_unit(units, get("residence_unit"), "residence_unit", probs),
                work_unit_id=_unit(units, get("work_unit"), "work_unit", probs),
                household_id=hh,
                relation=_vocab(RELATIONS, get("relation"), "relation", probs),
                hukou_type=_vocab(HUKOU_TYPES, get("hukou_type"), "hukou_type", probs),
                scope=_vocab(MOVE_SCOPES, get("scope"), "scope", probs),
                origin_code=get("origin_code") or None,
                destination_code=get("destination_code") or None,
                place=get("place") or None,
                certificate_no=get("certificate_no") or None,
                grade=grade,
            )
            for f in ("origin_code", "destination_code"):
                v = values[f]
                if v and not (v.isdigit() and len(v) in (6, 12)):
                    probs.append(problem("code_format", f, v, detail="应为 6 位或 12 位区划代码 / a 6- or 12-digit division code"))
            parsed.append((n, values, subj, probs))
        # Events already stored (as recorded, or as corrected) are unchanged, whatever rules say now.
        subjects = sorted({v["person_id"] for _, v, _, probs in parsed if not probs})
        known: set[str] = set()
        for i in range(0, len(subjects), 5_000):
            known.update(session.scalars(select(Event.fingerprint).where(Event.person_id.in_(subjects[i : i + 5_000]))))
        rows_out: list[dict] = []
        for n, values, subj, probs in parsed:
            if not probs:
                fp = fingerprint(values)
                if fp in fingerprints_in_file:
                    probs.append(problem("duplicate_in_file", "", "", other_row=fingerprints_in_file[fp]))
                elif fp in known:
                    fingerprints_in_file[fp] = n
                    res.unchanged += 1
                    continue
                else:
                    fingerprints_in_file[fp] = n
                    pid, birth = subj
                    probs += check_event(values, _Born(birth), deaths_in_file.get(pid) or deaths.get(pid))
                    if not probs:
                        values["_fp"] = fp
                        rows_out.append(values)
                        if values["kind"] == "death":
                            deaths_in_file[pid] = values["date"]
            for p in probs:
                res.add(p.at_row(n))
        if rows_out and not res.n_problems:
            first_id, seq = reserve_ids(session, "event", len(rows_out)), allocate_seq(session.connection(), len(rows_out))
            bulk_insert(session, Event.__table__, EVENT_COLS, [_event_row(r, first_id + j, seq + j, cs.id) for j, r in enumerate(rows_out)])
            res.created += len(rows_out)
        if progress:
            progress(done, table.n_rows)
    res.rows = done


@dataclass(frozen=True)
class _Born:
    birth_date: dt.date


# ---------------------------------------------------------------------------------------- the door

IMPORTERS = {"orgs": _import_orgs, "households": _import_households, "persons": _import_persons, "events": _import_events}


def run_import(
    db: Database,
    kind: str,
    path: Path,
    officer: Officer,
    *,
    progress: Progress | None = None,
    area_progress: Progress | None = None,
    today: dt.date | None = None,
    max_rows: int = Settings.import_max_rows,
) -> ImportResult:
    """Import one file atomically, as ``officer`` (import:write). The rows outside the officer's area
    are refused first (renkou.exchange.area: their problems are the area rule's and no other); then
    the rest are checked. Raises `ValidationFailed` (with ``.result``) when anything is wrong; the
    changeset names the officer, the channel ``import`` and the file."""
    officer.require("import:write", "导入数据", "import data")
    if kind not in IMPORTERS:
        raise UserError(
            f"未知的导入类型 {kind}（可选：{', '.join(IMPORTERS)}）", f"unknown import kind {kind} (one of: {', '.join(IMPORTERS)})"
        )
    table = readers.open_table(path, max_rows=max_rows)  # the file's one reading: the area rule and the rows share it
    if table.n_rows == 0:
        raise UserError(
            f"没有可导入的内容：{path.name} 只有表头，没有数据行", f"nothing to import: {path.name} has a header row and no data rows"
        )
    digest = table.sha256
    res = ImportResult(kind, path.name)
    cols = _Rows(kind, table.headers, res)
    if res.n_problems:
        raise ValidationFailed(res.problems, result=res)
    actor = Actor(officer.username, "import", f"{path.name} sha256:{digest[:16]}")
    day = today or dt.date.today()
    with db.write(actor, note=f"import {kind} {path.name}") as session:
        res.previously_imported = (
            session.scalar(select(ImportBatch.id).where(ImportBatch.sha256 == digest, ImportBatch.kind == kind).limit(1)) is not None
        )
        refusals = area.check(session, kind, table, officer.scope, today=day, progress=area_progress)
        for p in refusals.problems:
            res.add(p)
        IMPORTERS[kind](session, table, cols, res, day, progress, refusals.rows)
        if res.n_problems:
            res.problems.sort(key=lambda p: p.row or 0)  # the area's problems and the rows' own, in file order
            raise ValidationFailed(res.problems, result=res)  # rolls back everything this import wrote
        batch = ImportBatch(
            changeset_id=changeset_of(session).id,
            kind=kind,
            file_name=path.name[:260],
            sha256=digest,
            rows=res.rows,
            created=res.created,
            unchanged=res.unchanged,
        )
        session.add(batch)
        session.flush()
        res.batch_id = batch.id
    return res


def write_report(res: ImportResult, path: Path) -> None:
    """The error report: one line per problem (and warning) with row, column, value and rule."""
    header = ["行 Row", "列 Column", "值 Value", "规则 Rule", "说明", "Message", "级别 Severity"]
    lines = [[p.row or "", p.field, p.value, p.rule, p.zh, p.en, "错误 error"] for p in res.problems]
    lines += [[p.row or "", p.field, p.value, p.rule, p.zh, p.en, "提示 warning"] for p in res.warnings[:MAX_KEPT]]
    if path.suffix.lower() == ".csv":
        import csv

        with path.open("w", newline="", encoding="utf-8-sig") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(csv_row(line) for line in lines)  # a value from the file may look like a formula
        return
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = "错误 Errors"
    ws.append(header)
    for c in ws[1]:
        c.font = Font(bold=True)
    for line in lines:
        ws.append([str(v) for v in line])
    xlsx_workbook_text(wb)
    for col, width in zip("ABCDEFG", (8, 16, 24, 18, 50, 60, 12), strict=True):
        ws.column_dimensions[col].width = width
    wb.save(path)
