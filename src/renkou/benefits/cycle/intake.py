"""Applications imported from a CSV or XLSX file — the same checks as one entered by hand
(renkou.benefits.cycle.applications.check_application), and the same import discipline as the registry's files
(renkou.exchange.importer): the whole file in one transaction, every problem with its row, column,
value and rule in Chinese and English, and nothing saved if there is any.

Columns (Chinese header or English key): 身份证号码 id_number, 项目 programme (key or name), 年度
year, 申请日期 applied_on, 银行账号 account_no, 开户银行 bank, 领款人身份证号码 payee (a parent or
guardian, for a child), 声明事项 attested (the keys of the facts declared, separated by ; — e.g.
``declaration`` for the reward's 1973-2001 declaration).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import select

from renkou.auth.officer import Officer
from renkou.benefits.cycle import application_workflow, applications
from renkou.core.dates import parse_date
from renkou.core.idnumber import mask
from renkou.core.problems import problem
from renkou.errors import NotFound, ValidationFailed
from renkou.exchange import readers
from renkou.exchange.importer import ImportResult
from renkou.registry import persons
from renkou.storage.db import Database, changeset_of
from renkou.storage.schema import BenefitApplication, ImportBatch

COLUMNS = {  # key -> (Chinese header, required)
    "id_number": ("身份证号码", True),
    "programme": ("项目", True),
    "year": ("年度", True),
    "applied_on": ("申请日期", True),
    "account_no": ("银行账号", True),
    "bank": ("开户银行", False),
    "payee": ("领款人身份证号码", False),
    "attested": ("声明事项", False),
}
_SPLIT = re.compile(r"[;；,，\s]+")


def _programme(programmes: dict, raw: str) -> str:
    for key, p in programmes.items():
        if raw in (key, p.zh, p.short_zh, p.en):
            return key
    return raw


def import_file(db: Database, officer: Officer, programmes: dict, path: Path, *, today: dt.date | None = None) -> ImportResult:
    """Import applications (benefit:apply) for people in the officer's area."""
    officer.require("benefit:apply", "导入扶助申请", "import benefit applications")
    today = applications.today_or(today)
    table = readers.open_table(path)
    digest = table.sha256
    res = ImportResult("benefit_apps", path.name)
    index: dict[str, int] = {}
    unknown = []
    for i, h in enumerate(table.headers):
        key = next((k for k, (zh, _) in COLUMNS.items() if h in (k, zh)), None)
        if key is None:
            if h:
                unknown.append(h)
        else:
            index[key] = i
    missing = [zh for k, (zh, req) in COLUMNS.items() if req and k not in index]
    if missing:
        res.add(problem("no_columns", "", ", ".join(missing), columns=", ".join(missing)).at_row(1))
    if unknown:
        res.add(problem("unknown_columns", "", ", ".join(unknown), columns=", ".join(unknown)).at_row(1))
    if res.n_problems:
        raise ValidationFailed(res.problems, result=res)
    with db.write(officer.actor, note=f"import benefit applications {path.name}") as s:
        seen: dict[tuple, int] = {}
        made: list[tuple[int, dict]] = []
        n = 1
        for chunk in table.chunks(5_000):
            for row in chunk:
                n += 1
                res.rows += 1
                get = lambda k: row[index[k]].strip() if k in index else ""  # noqa: E731, B023 (called for this row only)
                probs = []
                person = payee = None
                for fld in ("id_number", "payee"):
                    raw = get(fld)
                    if not raw:
                        if fld == "id_number":
                            probs.append(problem("required", fld, ""))
                        continue
                    try:
                        p = persons.get_person(s, raw, scope=officer.scope, date=today)
                    except NotFound:
                        probs.append(problem("unknown_person", fld, mask(raw), key=mask(raw)))
                        continue
                    person, payee = (p, payee) if fld == "id_number" else (person, p)
                year = None
                if get("year"):
                    if get("year").isdigit():
                        year = int(get("year"))
                    else:
                        probs.append(problem("bad_int", "year", get("year")))
                applied_on = parse_date(get("applied_on")) if get("applied_on") else None
                if not get("applied_on"):
                    probs.append(problem("required", "applied_on", ""))
                elif applied_on is None:
                    probs.append(problem("bad_date", "applied_on", get("applied_on")))
                programme = _programme(programmes, get("programme"))
                attested = {k: applied_on.isoformat() if applied_on else "" for k in _SPLIT.split(get("attested")) if k}
                unit_id, more = applications.check_application(
                    s,
                    officer,
                    programmes,
                    programme=programme,
                    person=person,
                    year=year,
                    applied_on=applied_on,
                    account_no=get("account_no"),
                    payee=payee,
                    attested=attested,
                    today=today,
                    bank=get("bank"),
                )
                done = {p.field for p in probs}  # a value already found wrong is reported once
                probs += [p for p in more if p.field not in done]
                key = (person.id if person else None, programme, year)
                if person is not None and key in seen:
                    probs.append(problem("duplicate_in_file", "id_number", mask(get("id_number")), other_row=seen[key]))
                elif person is not None:
                    seen[key] = n
                if not probs:
                    made.append(
                        (
                            n,
                            dict(
                                programme=programme,
                                year=year,
                                person_id=person.id,
                                payee_id=(payee or person).id,
                                unit_id=unit_id,
                                applied_on=applied_on,
                                status=application_workflow.WORKFLOW.start("applied"),
                                attested=attested,
                                account_no=get("account_no"),
                                bank=get("bank"),
                            ),
                        )
                    )
                for p in probs:
                    res.add(p.at_row(n))
        if res.n_problems:
            raise ValidationFailed(res.problems, result=res)  # rolls back everything
        for _, values in made:
            app = BenefitApplication(**values)
            s.add(app)
            s.flush()
            applications.record_step(s, officer, app, "apply", app.applied_on, f"import {path.name}", today)
            res.created += 1
        s.add(
            ImportBatch(
                changeset_id=changeset_of(s).id,
                kind="benefit_apps",
                file_name=path.name[:260],
                sha256=digest,
                rows=res.rows,
                created=res.created,
                unchanged=0,
            )
        )
        s.flush()
        res.batch_id = s.scalar(select(ImportBatch.id).where(ImportBatch.sha256 == digest).order_by(ImportBatch.id.desc()).limit(1))
    return res
