"""The bank file of a released batch (CSV or XLSX, the layout as data) and the bank's result file.

The layout (data/bank_layout.json; a county's bank_layout.json in RENKOU_BENEFIT_RULES; or a file
given to the command) names the columns in order with their headers, and how the result file says
paid or failed and why. Every line carries its reference (``RK`` + the line number), which the
result file echoes.

An export holds the lines of the batch still awaiting the bank, the same every time it is exported
again; each export is recorded (who, when, the file's checksum, lines, total). This is the one place
where full ID and account numbers leave the system: the bank needs them.

The result file is imported atomically, like every import (renkou.exchange.importer): each problem
with its row, column, value and rule, and nothing changed if there is any. Paid lines are settled;
failed ones (wrong account, closed account...) go back to the queue with the reason, as the same
line, for a later batch once the account is put right. Importing the same result again changes
nothing; a different answer for a line already answered is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from renkou.auth.officer import Officer
from renkou.benefits.cycle import applications
from renkou.benefits.payments import batch_workflow, batches, line_workflow
from renkou.benefits.rules.programmes import read_json, rules_file
from renkou.config import Settings
from renkou.core.cells import csv_text, xlsx_workbook_text
from renkou.core.idnumber import mask
from renkou.core.problems import problem
from renkou.errors import UserError, ValidationFailed
from renkou.exchange import readers
from renkou.exchange.importer import ImportResult
from renkou.storage.db import Database, changeset_of
from renkou.storage.schema import (
    CENT,
    BenefitRecipient,
    ImportBatch,
    OrgUnit,
    PaymentBatch,
    PaymentExport,
    PaymentLine,
    PaymentResult,
    Person,
)

FIELDS = (
    "ref",
    "name",
    "id_number",
    "account",
    "bank",
    "amount",
    "programme",
    "programme_code",
    "period",
    "months",
    "village",
    "beneficiary_name",
    "beneficiary_id",
)
TEXT_FIELDS = {"ref", "id_number", "account", "beneficiary_id", "period"}  # kept as text in a spreadsheet (long digit strings)


@dataclass(frozen=True)
class Layout:
    name: str
    sheet: str
    columns: tuple[tuple[str, str], ...]  # (field, header)
    result: dict[str, str]  # ref / outcome / reason / bank_ref -> header
    outcomes: dict[str, tuple[str, ...]]  # paid / failed -> words
    reasons: dict[str, tuple[str, ...]]  # reason code -> words


def load_layout(path: Path | None = None, settings: Settings | None = None) -> Layout:
    """The layout in ``path``, else the county's (RENKOU_BENEFIT_RULES), else the shipped one."""
    if path is None:
        path = rules_file(settings or Settings.from_env(), "bank_layout.json")
    data = (
        read_json(path)
        if path is not None
        else json.loads(resources.files("renkou.benefits").joinpath("data/bank_layout.json").read_text(encoding="utf-8"))
    )
    return parse_layout(data, str(path or "bank_layout.json"))


def parse_layout(data, where: str) -> Layout:
    def bad(what_zh: str, what_en: str) -> UserError:
        return UserError(f"银行文件格式 {where} 有误：{what_zh}", f"the bank layout {where} is wrong: {what_en}")

    if not isinstance(data, dict) or not isinstance(data.get("columns"), list) or not data["columns"]:
        raise bad("缺少 columns 列表", "it needs a list of columns")
    cols = []
    for c in data["columns"]:
        if not isinstance(c, dict) or c.get("field") not in FIELDS or not str(c.get("header", "")).strip():
            raise bad(
                f"列 {c!r} 应有 field（{', '.join(FIELDS)}）与 header", f"column {c!r} needs a field ({', '.join(FIELDS)}) and a header"
            )
        cols.append((c["field"], str(c["header"]).strip()))
    if "ref" not in {f for f, _ in cols}:
        raise bad("必须包含 ref 列（业务流水号），银行回盘据此对应", "it must have the ref column: the bank's result is matched on it")
    if len({h for _, h in cols}) != len(cols):
        raise bad("列标题重复", "headers repeat")
    result = data.get("result") or {}
    if not isinstance(result, dict) or not result.get("ref") or not result.get("outcome"):
        raise bad("result 须给出 ref 与 outcome 的列标题", "result must give the headers of ref and outcome")
    outcomes = {k: tuple(str(x).strip().lower() for x in v) for k, v in (data.get("outcomes") or {}).items()}
    if set(outcomes) != {"paid", "failed"}:
        raise bad("outcomes 须为 paid 与 failed 各列出银行用语", "outcomes must list the bank's words for paid and for failed")
    reasons = {k: tuple(str(x).strip().lower() for x in v) for k, v in (data.get("reasons") or {}).items()}
    return Layout(str(data.get("name", "")), str(data.get("sheet") or "Sheet1")[:31], tuple(cols), dict(result), outcomes, reasons)


def ref(line: PaymentLine) -> str:
    return f"RK{line.id}"


def _values(session, b: PaymentBatch, programmes: dict) -> list[tuple[PaymentLine, dict]]:
    lines = [ln for ln in batches.lines_of(session, b) if ln.status == "released"]
    people = {
        p.id: p
        for p in session.scalars(select(Person).where(Person.id.in_({ln.payee_id for ln in lines} | {ln.person_id for ln in lines})))
    }
    recs = {r.id: r for r in session.scalars(select(BenefitRecipient).where(BenefitRecipient.id.in_({ln.recipient_id for ln in lines})))}
    units = dict(session.execute(select(OrgUnit.id, OrgUnit.code)).all())
    prog = programmes[b.programme]
    out = []
    for ln in lines:
        payee, who, rec = people[ln.payee_id], people[ln.person_id], recs[ln.recipient_id]
        out.append(
            (
                ln,
                {
                    "ref": ref(ln),
                    "name": payee.name,
                    "id_number": payee.id_number or payee.temp_key or "",
                    "account": ln.account_no,
                    "bank": rec.bank,
                    "amount": ln.amount,
                    "programme": prog.zh,
                    "programme_code": prog.key,
                    "period": ln.period,
                    "months": ln.months,
                    "village": units.get(rec.unit_id, ""),
                    "beneficiary_name": who.name,
                    "beneficiary_id": mask(who.id_number) if who.id_number else (who.temp_key or ""),
                },
            )
        )
    return out


def render(layout: Layout, rows: list[dict], fmt: str) -> bytes:
    if fmt == "csv":
        buf = io.StringIO(newline="")
        w = csv.writer(buf)
        w.writerow([h for _, h in layout.columns])
        for r in rows:
            w.writerow([f"{r[f]:.2f}" if f == "amount" else csv_text(r[f]) for f, _ in layout.columns])  # the amount stays a number
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    if fmt != "xlsx":
        raise UserError(f"不支持的格式 {fmt}（可选：csv、xlsx）", f"unsupported format {fmt} (csv or xlsx)")
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = layout.sheet
    ws.append([h for _, h in layout.columns])
    for r in rows:
        ws.append([r[f] if f != "amount" else Decimal(r[f]) for f, _ in layout.columns])
        for i, (f, _) in enumerate(layout.columns, start=1):
            cell = ws.cell(ws.max_row, i)
            if f in TEXT_FIELDS:
                cell.value, cell.number_format = str(cell.value), "@"
            elif f == "amount":
                cell.number_format = "0.00"
    xlsx_workbook_text(wb)  # names are text, never formulas; the amounts are numbers and stay so
    for i, (f, h) in enumerate(layout.columns, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = 22 if f in TEXT_FIELDS or f == "name" else max(10, len(h) * 2)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export(session, officer: Officer, programmes: dict, number: int, layout: Layout, fmt: str, *, file_name: str = "") -> bytes:
    """The bank file of batch ``number`` (payment:manage): its lines awaiting the bank. Recorded."""
    officer.writing(session)
    officer.require("payment:manage", "导出银行代发文件", "export bank files")
    b = batches.get_batch(session, officer, number)
    if b.status not in ("released", "settled"):
        raise UserError(
            f"批次 {b.id} 尚未核查放行，不能导出", f"batch {b.id} is not released yet: it cannot be exported", code="step_refused"
        )
    pairs = _values(session, b, programmes)
    if not pairs:
        raise UserError(f"批次 {b.id} 没有待银行处理的款项", f"batch {b.id} has no line awaiting the bank", code="step_refused")
    data = render(layout, [v for _, v in pairs], fmt)
    total = sum((ln.amount for ln, _ in pairs), Decimal("0")).quantize(CENT)
    session.add(
        PaymentExport(
            batch_id=b.id,
            file_name=(file_name or f"batch-{b.id}.{fmt}")[:260],
            sha256=hashlib.sha256(data).hexdigest(),
            lines=len(pairs),
            total=total,
        )
    )
    session.flush()
    return data


def import_result(
    db: Database, officer: Officer, number: int, path: Path, layout: Layout, *, on: dt.date, today: dt.date | None = None
) -> ImportResult:
    """Import the bank's result file for batch ``number`` (payment:manage), atomically."""
    officer.require("payment:manage", "导入银行回盘", "import bank results")
    if on > applications.today_or(today):
        raise ValidationFailed([problem("future_date", "date", on)])
    table = readers.open_table(path)
    digest = table.sha256
    res = ImportResult("bank_result", path.name)
    index = {h: i for i, h in enumerate(table.headers)}
    missing = [layout.result[k] for k in ("ref", "outcome") if layout.result[k] not in index]
    if missing:
        res.add(problem("no_columns", "", ", ".join(missing), columns=", ".join(missing)).at_row(1))
        raise ValidationFailed(res.problems, result=res)
    col = {k: index.get(h, -1) for k, h in layout.result.items()}
    with db.write(officer.actor, note=f"bank result {path.name} sha256:{digest[:16]}") as s:
        b = batches.get_batch(s, officer, number)
        if b.status not in ("released", "settled"):
            raise UserError(f"批次 {b.id} 尚未提交银行", f"batch {b.id} was not released to the bank", code="step_refused")
        lines = {
            ln.id: ln
            for ln in s.scalars(
                select(PaymentLine).where(
                    PaymentLine.id.in_(
                        select(PaymentResult.line_id)
                        .where(PaymentResult.batch_id == b.id)
                        .union(select(PaymentLine.id).where(PaymentLine.batch_id == b.id))
                    )
                )
            )
        }
        done = {r.line_id: r for r in s.scalars(select(PaymentResult).where(PaymentResult.batch_id == b.id))}
        seen: dict[int, int] = {}
        todo: list[tuple[PaymentLine, str, str, str]] = []
        n = 1
        for chunk in table.chunks(5_000):
            for row in chunk:
                n += 1
                res.rows += 1
                get = lambda k: row[col[k]].strip() if col.get(k, -1) >= 0 else ""  # noqa: E731, B023 (called for this row only)
                raw_ref, raw_out = get("ref"), get("outcome")
                lid = int(raw_ref[2:]) if raw_ref.upper().startswith("RK") and raw_ref[2:].isdigit() else None
                ln = lines.get(lid) if lid is not None else None
                outcome = next((k for k, words in layout.outcomes.items() if raw_out.lower() in words), None) if raw_out else None
                probs = []
                if not raw_ref:
                    probs.append(problem("required", layout.result["ref"], ""))
                elif ln is None:
                    probs.append(problem("not_in_batch", layout.result["ref"], raw_ref))
                elif lid in seen:
                    probs.append(problem("duplicate_in_file", layout.result["ref"], raw_ref, other_row=seen[lid]))
                if outcome is None:
                    words = "、".join(w for ws in layout.outcomes.values() for w in ws)
                    probs.append(
                        problem("bad_choice", layout.result["outcome"], raw_out, choices=words)
                        if raw_out
                        else problem("required", layout.result["outcome"], "")
                    )
                reason = _reason(layout, get("reason")) if outcome == "failed" else ""
                if outcome == "failed" and not reason:
                    probs.append(problem("required", layout.result.get("reason", "reason"), ""))
                if not probs:
                    seen[lid] = n
                    prior = done.get(lid)
                    if prior is not None:
                        if (prior.outcome, prior.reason) != (outcome, reason):
                            probs.append(
                                problem("result_conflict", layout.result["outcome"], raw_out, was=f"{prior.outcome} {prior.reason}".strip())
                            )
                        else:
                            res.unchanged += 1
                    elif ln.status != "released" or ln.batch_id != b.id:
                        probs.append(problem("not_in_batch", layout.result["ref"], raw_ref))
                    else:
                        todo.append((ln, outcome, reason, get("bank_ref")[:64]))
                for p in probs:
                    res.add(p.at_row(n))
        if res.n_problems:
            raise ValidationFailed(res.problems, result=res)
        for ln, outcome, reason, bank_ref in todo:
            s.add(PaymentResult(line_id=ln.id, batch_id=b.id, outcome=outcome, reason=reason, bank_ref=bank_ref, reported_on=on))
            if outcome == "paid":
                line_workflow.move(ln, "paid")
                ln.failure = None
            else:
                line_workflow.move(ln, "queued")
                ln.failure, ln.batch_id = reason[:200], None
            res.created += 1
        s.flush()
        if (
            s.scalar(select(PaymentLine.id).where(PaymentLine.batch_id == b.id, PaymentLine.status == "released").limit(1)) is None
            and b.status == "released"
        ):
            batch_workflow.move(b, "settled")
        s.add(
            ImportBatch(
                changeset_id=changeset_of(s).id,
                kind="bank_result",
                file_name=path.name[:260],
                sha256=digest,
                rows=res.rows,
                created=res.created,
                unchanged=res.unchanged,
            )
        )
        s.flush()
    return res


def _reason(layout: Layout, raw: str) -> str:
    """The bank's reason, prefixed with its code when the layout knows the words: "wrong_account: 账号错误"."""
    if not raw:
        return ""
    code = next((k for k, words in layout.reasons.items() if raw.lower() in words), None)
    return f"{code}: {raw}" if code else raw
