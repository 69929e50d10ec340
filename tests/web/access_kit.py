"""The county, the accounts and the leak detector of the access harness (test_access_harness.py).

The county is the benefit tests' (tests/benefits/families.py: a town ``TOWN`` and a township
``TOWNSHIP``) with a second village in the town (``COMMUNITY2``), so each township has two villages.
Every village holds the same families, made through the services: couples, children, a death, a
divorce, an adoption, a disability, a household; someone moved from ``VILLAGE`` to the town and
someone moved out of the county. In one village of each township the benefit cycle has run: two
recipients (one has since died: an exit proposal), an application entered, one posted with an
objection, a special-assistance recipient with a coverage record; the county has a payment batch with
its lines and a finding. An import waits, uploaded by the town's officer.

Then every person is renamed to a sentinel (``泄露`` and a number) straight in the table — the audit
trail does not matter in a test county — so that a person's name in an answer is found whatever page
shows it. ``Leaks(db, account)`` knows, for one account, what must never reach it: the sentinels, full
and masked ID numbers, temporary keys and household numbers of everyone outside its area today.

This module builds and detects; the probing is the test module's.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

import pyotp
import pypdf
from openpyxl import load_workbook
from sqlalchemy import select, text, update

from renkou.auth import accounts
from renkou.auth.scope import Scope
from renkou.benefits.cycle import applications, coverage, exits, objections, posting
from renkou.benefits.payments import batches, checks
from renkou.core.idnumber import mask
from renkou.registry import orgs, persons
from renkou.storage.schema import (
    Account,
    BenefitApplication,
    BenefitCoverage,
    BenefitExit,
    BenefitObjection,
    BenefitPosting,
    BenefitRecipient,
    Event,
    Household,
    OrgUnit,
    PaymentFinding,
    PaymentLine,
    Person,
)
from tests.benefits.cycle_kit import PW, TODAY, VILLAGE_OF, family_of_reward
from tests.benefits.families import (
    ACTOR,
    COMMUNITY,
    COUNTY,
    FOUNDED,
    SYSTEM,
    TOWN,
    TOWNSHIP,
    VILLAGE,
    VILLAGE2,
)
from tests.web.benefit_kit import Web

D = dt.date
COMMUNITY2 = "410185101002"
VILLAGES = {"a": VILLAGE, "b": VILLAGE2, "c": COMMUNITY, "d": COMMUNITY2}
BENEFITS = {"a": ("cun", "xiang"), "c": ("she", "zhen")}  # the villages where the benefit cycle ran: worker, township officer
TOWNSHIP_OF = {VILLAGE: TOWNSHIP, VILLAGE2: TOWNSHIP, COMMUNITY: TOWN, COMMUNITY2: TOWN}
SENTINEL = "泄露"


def _families(web: Web) -> None:
    b = web.b
    with web.db.write(ACTOR) as s:
        orgs.create_unit(s, code=COMMUNITY2, name="幸福社区", level="village", parent_code=TOWN, valid_from=FOUNDED, urban_rural="111")
    for tag, v in VILLAGES.items():
        family_of_reward(b, tag, v)  # tag_f, tag_m and their daughters tag_a, tag_b
        family_of_reward(b, f"{tag}q", v)
        family_of_reward(b, f"{tag}r", v)  # eligible, no application: what the harness applies for
        b.person(f"{tag}_old", "F", D(1940, 1, 1), where=v)
        b.die(f"{tag}_old", D(2024, 2, 2))
        b.couple(f"{tag}_x", D(1980, 1, 1), D(1982, 1, 1), D(2005, 1, 1), where=v)
        b.child(f"{tag}_k", "M", D(2010, 1, 1), mother=f"{tag}_x_m", father=f"{tag}_x_f", where=v)
        b.disability(f"{tag}_k", D(2015, 1, 1), 3)
        b.event("divorce", f"{tag}_x_f", D(2019, 1, 1), partner=f"{tag}_x_m")
        b.person(f"{tag}_ad", "F", D(2016, 5, 5), where=v, registered=D(2018, 3, 1))
        b.adopt(f"{tag}_ad", D(2018, 3, 1), mother=f"{tag}_x_m")
        b.couple(f"{tag}_dm", D(1950, 3, 3), D(1953, 3, 3), D(1973, 1, 1), where=v)  # only son died: special assistance
        b.child(f"{tag}_dm_s", "M", D(1975, 5, 5), mother=f"{tag}_dm_m", father=f"{tag}_dm_f", where=v)
        b.die(f"{tag}_dm_s", D(2000, 8, 8))
        with web.db.write(ACTOR) as s:
            hh = persons.create_household(s, SYSTEM, number=f"HH{v}", unit=orgs.get_unit(s, v), created_on=D(2000, 1, 1))
            hid = hh.id
        b.event("household", f"{tag}_x_m", D(2012, 1, 1), household_id=hid)
    b.person("mover", "M", D(1970, 1, 1), where=VILLAGE)  # once in the township, in the town today
    b.event("move", "mover", D(2024, 5, 1), scope="both", hukou_unit=COMMUNITY, residence_unit=COMMUNITY)
    b.person("gone", "M", D(1971, 1, 1), where=COMMUNITY)  # once in the town, out of the county today
    b.event("move", "gone", D(2024, 6, 1), scope="both", destination_code="440305")


def _benefits(web: Web) -> None:
    desk = web.desk
    for tag, (worker, township) in BENEFITS.items():
        desk.recipient(f"{tag}_f", worker=worker)
        desk.recipient(f"{tag}_m", worker=worker)
        desk.recipient(f"{tag}_dm_f", worker=worker, programme="special")
        desk.apply(worker, f"{tag}q_f")  # entered, nothing more
        n = desk.apply(worker, f"{tag}q_m")
        desk.step(worker, applications.village_review, n, on=D(2025, 4, 20), today=TODAY)
        desk.step(
            worker,
            posting.post,
            desk.settings,
            programme="reward",
            year=2025,
            village=VILLAGE_OF[worker],
            starts_on=D(2025, 5, 1),
            today=TODAY,
        )
        desk.step(worker, objections.raise_objection, n, raised_on=D(2025, 5, 2), content="有异议", objector="村民")
        with web.db.read() as s:
            person = s.get(Person, web.id(f"{tag}_dm_f"))
        desk.step(township, coverage.record, person=person, kind="doctor", detail="乡卫生院 协议", since=D(2025, 10, 10), today=TODAY)
    b = desk.step("xian", batches.create_batch, desk.eligibility, programme="reward", period="2025", on=D(2025, 4, 10), today=TODAY)
    for tag, (_worker, township) in BENEFITS.items():
        web.b.die(f"{tag}_f", D(2025, 6, 15))
        desk.step(township, exits.detect, desk.programmes, as_of=D(2025, 7, 1), today=TODAY)
    desk.step("xian", checks.run, desk.eligibility, b.id, on=D(2025, 7, 2), today=TODAY)


def _auditor(web: Web, name: str, unit: str) -> None:
    with web.db.write(ACTOR) as s:
        acc = accounts.create_account(s, username=name, display_name=name, role="auditor", unit_code=unit, password=PW)
        secret, _ = accounts.start_totp(acc)
        accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
    web.secrets[name] = secret


def _upload(web: Web, who: str) -> str:
    """An import uploaded (checked, not committed) by ``who``: its token."""
    web.as_(who)
    with web.db.read() as s:
        unit = COMMUNITY
        idn = s.get(Person, web.id("c_f")).id_number
    csv = f"身份证号码,姓名,性别,出生日期,户籍地代码,居住地代码\n{idn},某人,男,1955-05-05,{unit},{unit}\n"
    r = web.c.post(
        "/import",
        data={"kind": "persons", "csrf_token": web.token("/import")},
        files={"file": ("人员.csv", csv.encode("utf-8"), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:300]
    return r.headers["location"].rsplit("/", 1)[1]


def _rename(web: Web) -> None:
    """Every person's name a sentinel (``泄露`` and the id, zero-padded), its pinyin too."""
    p = Person.__table__
    with web.db.engine.begin() as c:
        for pid in c.scalars(select(p.c.id)).all():
            c.execute(
                update(p).where(p.c.id == pid).values(name=f"{SENTINEL}{pid:05d}", name_pinyin=f"xielou{pid:05d}", name_initials="xl")
            )


@dataclass
class County:
    web: Web
    import_token: str  # an import of the town's officer


def build(db, tmp_path) -> County:
    web = Web(db)
    web.app.state.import_dir = tmp_path / "imports"
    _families(web)
    _benefits(web)
    _auditor(web, "shenji_x", TOWNSHIP)
    token = _upload(web, "zhen")
    _rename(web)
    web.c.cookies.clear()
    return County(web, token)


# ------------------------------------------------------------------------------------------ records


@dataclass
class Records:
    """The ids and codes of one area's records, by kind (see test_access_harness.PATH_KINDS)."""

    values: dict[str, list[str]] = field(default_factory=dict)

    def first(self, kind: str) -> str | None:
        got = self.values.get(kind)
        return got[0] if got else None


def in_area_ids(s, scope: Scope, on: dt.date) -> set[int]:
    q = scope.person_ids(on)
    return set(s.scalars(select(Person.id))) if q is None else set(s.scalars(q))


ROLES = {
    "woman": "{}_x_m",
    "man": "{}_x_f",
    "applicant": "{}r_f",
    "payee": "{}r_m",
    "special": "{}_dm_f",
}  # key suffix of the person a form field names


def records_of(db, unit_codes: set[str], *, import_token: str = "", ids: dict[str, int] | None = None) -> Records:
    """The records of the persons whose hukou or residence unit is one of ``unit_codes`` today (the
    units' subtrees), and of the benefit cycle about them."""
    with db.read() as s:
        units = frozenset().union(
            *(Scope.for_unit(s, u).unit_ids or () for u in s.scalars(select(OrgUnit.id).where(OrgUnit.code.in_(unit_codes))))
        )
        scope = Scope(0, "", units)
        people = sorted(in_area_ids(s, scope, dt.date.today()))
        recs = [
            r.id for r in s.scalars(select(BenefitRecipient).where(BenefitRecipient.person_id.in_(people)).order_by(BenefitRecipient.id))
        ]
        apps = list(s.scalars(select(BenefitApplication).where(BenefitApplication.person_id.in_(people)).order_by(BenefitApplication.id)))
        lines = list(s.scalars(select(PaymentLine).where(PaymentLine.person_id.in_(people)).order_by(PaymentLine.id)))
        v = {
            "person": [str(i) for i in people],
            "id_number": [n for n in s.scalars(select(Person.id_number).where(Person.id.in_(people))) if n],
            "event": [f"{e.person_id}/{e.id}" for e in s.scalars(select(Event).where(Event.person_id.in_(people)).order_by(Event.id))],
            "household": list(s.scalars(select(Household.number).where(Household.unit_id.in_(scope.unit_ids)))),
            "application": [str(a.id) for a in apps],
            "objection": [
                str(o) for o in s.scalars(select(BenefitObjection.id).where(BenefitObjection.application_id.in_([a.id for a in apps])))
            ],
            "posting": [str(p) for p in s.scalars(select(BenefitPosting.id).where(BenefitPosting.unit_id.in_(scope.unit_ids)))],
            "recipient": [str(r) for r in recs],
            "exit": [str(x) for x in s.scalars(select(BenefitExit.id).where(BenefitExit.recipient_id.in_(recs)))],
            "coverage": [str(c) for c in s.scalars(select(BenefitCoverage.id).where(BenefitCoverage.person_id.in_(people)))],
            "line": [str(x.id) for x in lines],
            "batch": sorted({str(x.batch_id) for x in lines}),
            "finding": [str(f) for f in s.scalars(select(PaymentFinding.id).where(PaymentFinding.line_id.in_([x.id for x in lines])))],
            "unit": sorted(unit_codes),
            "village": sorted(
                c for c in VILLAGES.values() if c in set(s.scalars(select(OrgUnit.code).where(OrgUnit.id.in_(scope.unit_ids))))
            ),
            "token": [import_token] if import_token else [],
        }
    for role, suffix in ROLES.items():  # a live person of the area fit for each form field (the first village's)
        tags = [tag for tag, code in VILLAGES.items() if code in v["village"]]
        got = [ids[suffix.format(tags[0])]] if ids and tags else []
        v[role] = [str(i) for i in got]
        with db.read() as s:
            v[f"{role}_id_number"] = [s.get(Person, i).id_number for i in got]
    return Records(v)


# ------------------------------------------------------------------------------------------ leaks


class Leaks:
    """What must not reach ``username``: everything naming a person outside its area today."""

    def __init__(self, db, username: str, *, inside: bool = False) -> None:
        """``inside=True`` turns the detector round — it looks for the people *inside* the area — for
        the self-test that proves it sees what a page shows."""
        with db.read() as s:
            acc = s.scalar(select(Account).where(Account.username == username))
            scope = Scope.for_unit(s, acc.unit_id)
            mine = in_area_ids(s, scope, dt.date.today())
            people = [p for p in s.scalars(select(Person)) if (p.id in mine) == inside]
            self.people = {p.id for p in people}
            self.units = set(s.scalars(select(OrgUnit.id))) - set(scope.unit_ids or ())  # outside the area (inside=False)
            households = [h.number for h in s.scalars(select(Household)) if (h.unit_id in scope.unit_ids) == inside]
        self.marks: dict[str, str] = {}  # text -> what it is
        for p in people:
            self.marks[p.name] = f"name of person {p.id}"
            if p.id_number:
                self.marks[p.id_number] = f"ID number of person {p.id}"
                self.marks[mask(p.id_number)] = f"masked ID number of person {p.id}"
            if p.temp_key:
                self.marks[p.temp_key] = f"temporary key of person {p.id}"
        for h in households:
            self.marks[h] = f"household number {h}"
        self._re = re.compile("|".join(sorted(map(re.escape, self.marks), key=len, reverse=True)))

    def found(self, body: str, sent: Iterable[str] = ()) -> list[str]:
        """What ``body`` shows that it must not, once what the caller itself sent (a typed ID number,
        echoed back or masked in a refusal, is no disclosure) is taken out."""
        for v in sorted({x for s in sent if len(s) >= 6 for x in (s, mask(s), quote(s), quote_plus(s))}, key=len, reverse=True):
            body = body.replace(v, "")
        return sorted({self.marks[m] for m in self._re.findall(body)})


def readable(content: bytes, headers) -> str:
    """An answer as text: a workbook's cells, a PDF's text, else the body decoded; with the file name it is sent under."""
    head = headers.get("content-disposition", "")
    if content[:2] == b"PK":
        try:
            wb = load_workbook(io.BytesIO(content), read_only=True)
            cells = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
            return head + "\n" + "\n".join(cells)
        except (zipfile.BadZipFile, KeyError, ValueError):
            pass
    if content[:4] == b"%PDF":
        reader = pypdf.PdfReader(io.BytesIO(content))
        return head + "\n" + "".join("".join(pg.extract_text().replace("\x00", "").split()) for pg in reader.pages)
    return head + "\n" + content.decode("utf-8", "replace")


# ------------------------------------------------------------------------------------------ writes


def table_counts(db) -> dict[str, tuple]:
    """(rows, greatest id, greatest change sequence) of every table: what any write moves (an update
    takes the next change sequence, renkou.storage.db)."""
    with db.read() as s:
        conn = s.connection()
        parts = []
        for t in sorted(conn.dialect.get_table_names(conn)):
            if t == "alembic_version":
                continue
            cols = {c["name"] for c in conn.dialect.get_columns(conn, t)}
            parts.append(f"SELECT '{t}', COUNT(*), {'MAX(id)' if 'id' in cols else '0'}, {'MAX(seq)' if 'seq' in cols else '0'} FROM {t}")
        return {r[0]: tuple(r[1:]) for r in s.execute(text(" UNION ALL ".join(parts)))}


_PERSON_REFS = ("person_id", "partner_id", "mother_id", "father_id", "payee_id")
_UNIT_REFS = ("unit_id", "hukou_unit_id", "residence_unit_id")


def written(db, since: int) -> tuple[set[int], set[int]]:
    """The persons and the units that rows written after change sequence ``since`` name (a person row
    itself, or a row about a person: an event, its partner or parents, a benefit record, a payee; a
    unit a row is kept by or registers someone in)."""
    people: set[int] = set()
    units: set[int] = set()
    with db.read() as s:
        for table in Person.metadata.sorted_tables:
            pcols = [c for c in table.c if c.name in _PERSON_REFS or (table.name == "person" and c.name == "id")]
            ucols = [c for c in table.c if c.name in _UNIT_REFS]
            if "seq" not in table.c or not (pcols or ucols):
                continue
            for row in s.execute(select(*pcols, *ucols).where(table.c.seq > since)):
                people |= {v for v in row[: len(pcols)] if v is not None}
                units |= {v for v in row[len(pcols) :] if v is not None}
    return people, units


__all__ = [
    "BENEFITS",
    "COMMUNITY",
    "COMMUNITY2",
    "COUNTY",
    "TOWN",
    "TOWNSHIP",
    "VILLAGE",
    "VILLAGE2",
    "County",
    "Leaks",
    "Records",
    "build",
    "readable",
    "records_of",
    "table_counts",
    "written",
]
