"""Recipients and payment batches (/benefits/recipients, /benefits/batches...): the pages in front of
``renkou benefits recipients | account | batch ...`` — a thin shell over renkou.benefits.cycle.recipients,
payments, checks and bankfile, which check every role, area and status; a refusal is shown with the
service's own message and changes nothing.

* recipients: the list (programme, year, those who exited), one recipient with its confirmations,
  exits and payment lines, and the change of its account (recipients.set_account);
* batches: the county's list and the creation of a batch (payment:manage), one batch with its lines,
  totals and open findings; check, clear a finding, void a line, release, export the bank file (a
  recorded POST: the one place full numbers leave) and import the bank's result file.

ID and account numbers are shown masked everywhere (renkou.core.idnumber.mask, applications.mask_account).
"""

from __future__ import annotations

import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from renkou.auth.roles import Permission
from renkou.benefits.cycle import applications, recipients
from renkou.benefits.cycle.exits import CAUSES
from renkou.benefits.eligibility.decision import in_language
from renkou.benefits.payments import bankfile, batches, checks, line_workflow, release
from renkou.core.idnumber import mask
from renkou.core.problems import problem
from renkou.errors import UserError
from renkou.storage.schema import BenefitConfirmation, BenefitExit, OrgVersion, Person
from renkou.web import paging
from renkou.web.benefits.common import (
    Posted,
    act,
    attachment,
    back,
    day,
    eligibility,
    fields,
    number,
    officer,
    page,
    problems_refusal,
    programme_name,
    programmes,
    read,
    refusal,
    refused,
    uploaded,
)
from renkou.web.deps import Id, User, require
from renkou.web.i18n import gettext, language_of
from renkou.web.pickers import year_of

router = APIRouter(include_in_schema=False)
LINES_PAGE = paging.DEFAULT_SIZE  # a batch's lines shown at a time unless ?size= asks for another of paging.SIZES
RESULTS_PAGE = paging.DEFAULT_SIZE  # the bank's answers shown at a time (?results= their page, the lines' ?page= kept)


def _masked_id(p: Person) -> str:
    return mask(p.id_number) if p.id_number else (p.temp_key or "")


def _people(s, ids) -> dict[int, Person]:
    ids = sorted({i for i in ids if i is not None})
    return {p.id: p for p in s.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}


def _programme_choices(request: Request, lg: str) -> list[dict]:
    return [{"key": k, "name": programme_name(request, k, lg)} for k in programmes(request)]


def _page_refusal(request: Request, user, r, render):
    """A refusal as the page shows it: its own page for "not found" and "not permitted", else the form's
    page again (``render(r)``) with status 400."""
    if r.status in (403, 404):
        return refused(request, user, r)
    return render(r)


def _date(raw: str, lg: str):
    probs: list = []
    d = day(raw, "date", probs)
    return d, (problems_refusal(probs, lg) if probs else None)


# --------------------------------------------------------------------------------------- recipients


@router.get("/benefits/recipients", response_class=HTMLResponse)
def recipients_page(
    request: Request,
    user: Annotated[User, Depends(require(Permission.BENEFIT_READ))],
    programme: str = "",
    year: str = "",
    everyone: str = Query("", alias="all"),
):
    lg = language_of(request)
    probs: list = []
    year = year_of(year)  # 2026 or 2026年 from the year picker
    y = number(year, "year", probs, low=2004, high=2100) if year else None
    rows, error = [], problems_refusal(probs, lg) if probs else None
    pg = [paging.page_of(1, None, 0)]
    if error is None:

        def load(s, off):
            which = {"programme": programme or None, "year": y, "open_only": not everyone}
            pg[0] = paging.asked(request, recipients.count_recipients(s, off, **which))
            recs = recipients.list_recipients(s, off, **which, offset=pg[0].offset, limit=pg[0].size)
            people = _people(s, [r.person_id for r in recs] + [r.payee_id for r in recs])
            return [
                {
                    "id": r.id,
                    "programme": programme_name(request, r.programme, lg),
                    "name": people[r.person_id].name,
                    "id_number": _masked_id(people[r.person_id]),
                    "payee": people[r.payee_id].name,
                    "account": applications.mask_account(r.account_no),
                    "since": r.since.isoformat(),
                    "until": r.ended_on.isoformat() if r.ended_on else "",
                }
                for r in recs
            ]

        rows, error = read(request, user, load)
        if error is not None and error.status in (403, 404):
            return refused(request, user, error)
    return page(
        request,
        "benefits/recipients.html",
        user,
        status=400 if error else 200,
        title=gettext(lg, "Recipients"),
        rows=rows or [],
        error=error,
        errors=error.by_field if error else {},
        programmes=_programme_choices(request, lg),
        f={"programme": programme, "year": year, "all": bool(everyone)},
        pg=pg[0],
    )


def _recipient(request: Request, s, off, n: int, lg: str) -> dict:
    rec = recipients.get_recipient(s, off, n)
    lines = batches.recipient_lines(s, off, n)
    people = _people(s, [rec.person_id, rec.payee_id])
    who, payee = people[rec.person_id], people[rec.payee_id]
    unit = s.scalar(select(OrgVersion.name).where(OrgVersion.unit_id == rec.unit_id).order_by(OrgVersion.valid_from.desc()).limit(1))
    confirmations = list(
        s.scalars(select(BenefitConfirmation).where(BenefitConfirmation.recipient_id == rec.id).order_by(BenefitConfirmation.year))
    )
    exits_ = list(s.scalars(select(BenefitExit).where(BenefitExit.recipient_id == rec.id).order_by(BenefitExit.id)))
    return {
        "id": rec.id,
        "programme": programme_name(request, rec.programme, lg),
        "name": who.name,
        "id_number": _masked_id(who),
        "person_id": who.id,
        "payee": payee.name,
        "payee_id_number": _masked_id(payee),
        "self_paid": payee.id == who.id,
        "unit": unit or "",
        "account": applications.mask_account(rec.account_no),
        "bank": rec.bank,
        "since": rec.since.isoformat(),
        "until": rec.ended_on.isoformat() if rec.ended_on else "",
        "confirmations": [{"year": c.year, "on": c.confirmed_on.isoformat(), "how": c.how, "by": c.account} for c in confirmations],
        "exits": [
            {
                "id": e.id,
                "cause": CAUSES.get(e.cause, (e.cause, e.cause)),
                "effective": e.effective_on.isoformat(),
                "status": e.status,
                "decided": e.decided_on.isoformat() if e.decided_on else "",
                "by": e.decided_by or "",
                "detail": in_language(e.detail, lg),
                "notice": e.notice or "",
                "reason": e.reason,
            }
            for e in exits_
        ],
        "lines": [
            {
                "id": ln.id,
                "period": batches.period_label(ln.period, lg),
                "months": ln.months,
                "amount": ln.amount,
                "status": ln.status,
                "status_text": line_workflow.STATUSES[ln.status],
                "batch": ln.batch_id,
                "account": applications.mask_account(ln.account_no),
                "failure": ln.failure or "",
            }
            for ln in lines
        ],
        "batches_seen": off.scope.everything,  # batches are the county's (batches.get_batch): no link for the others
    }


def _recipient_page(request: Request, user, n: int, *, status: int = 200, error=None, errors=None, v=None):
    lg = language_of(request)
    r, err = read(request, user, lambda s, off: _recipient(request, s, off, n, lg))
    if err is not None:
        return refused(request, user, err)
    return page(
        request,
        "benefits/recipient.html",
        user,
        status=status,
        title=f"{gettext(lg, 'Recipient')} {n}",
        r=r,
        error=error,
        errors=errors or {},
        v=v or {},
    )


@router.get("/benefits/recipients/{n}", response_class=HTMLResponse)
def recipient_page(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], n: Id):
    return _recipient_page(request, user, n)


@router.post("/benefits/recipients/{n}/account", response_class=HTMLResponse)
def change_account(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], n: Id, form: Posted):
    lg = language_of(request)
    v = fields(form, ("account", "bank", "reason", "date"))
    shown = {k: v[k] for k in ("bank", "reason", "date")}  # the account number entered is not shown again

    def again(r):
        by = r.by_field
        errors = {
            "account": by.get("account_no", []) + by.get("account", []),
            "bank": by.get("bank", []),
            "reason": by.get("reason", []),
            "date": by.get("date", []),
        }
        return _recipient_page(request, user, n, status=400, error=r, errors={k: m for k, m in errors.items() if m}, v=shown)

    on, bad = _date(v["date"], lg)
    if bad is not None:
        return again(bad)
    _, r = act(
        request,
        user,
        lambda s, off: recipients.set_account(
            s, off, n, account_no=re.sub(r"\s+", "", v["account"]), bank=v["bank"] or None, reason=v["reason"], on=on
        ),
    )
    if r is not None:
        return _page_refusal(request, user, r, again)
    return back(f"/benefits/recipients/{n}", "account")


# ------------------------------------------------------------------------------------------ batches


def _batches(request: Request, s, off, lg: str) -> dict:
    found = batches.list_batches(s, off)
    totals = batches.totals_of(s, [b.id for b in found])
    rows = []
    for b in found:
        t = totals[b.id]
        rows.append(
            {
                "id": b.id,
                "programme": programme_name(request, b.programme, lg),
                "period": batches.period_label(b.period, lg),
                "status": b.status,
                "created": b.created_on.isoformat(),
                "checked": b.checked_on.isoformat() if b.checked_on else "",
                "released": b.released_on.isoformat() if b.released_on else "",
                "totals": [(line_workflow.STATUSES[k], n, a) for k, (n, a) in sorted(t.items())],
                "lines": sum(n for n, _ in t.values()),
                "amount": sum((a for _, a in t.values()), Decimal("0.00")),
            }
        )
    names = {k: programme_name(request, k, lg) for k in programmes(request)}
    return {"batches": rows, "waiting": _line_rows(s, batches.waiting(s, off), lg, names)}


def _line_rows(s, lines, lg: str, names: dict | None = None) -> list[dict]:
    people = _people(s, [ln.person_id for ln in lines])
    found = checks.open_findings(s, [ln.id for ln in lines])
    names = names or {}
    return [
        {
            "id": ln.id,
            "ref": bankfile.ref(ln),
            "name": people[ln.person_id].name,
            "id_number": _masked_id(people[ln.person_id]),
            "programme": names.get(ln.programme, ln.programme),
            "period": batches.period_label(ln.period, lg),
            "months": ln.months,
            "amount": ln.amount,
            "account": applications.mask_account(ln.account_no),
            "status": ln.status,
            "status_text": line_workflow.STATUSES[ln.status],
            "failure": ln.failure or "",
            "recipient": ln.recipient_id,
            "voidable": ln.status in ("pending", "blocked", "queued"),
            "findings": [
                {
                    "id": f.id,
                    "kind": checks.KINDS.get(f.kind, (f.kind, f.kind)),
                    "detail": checks.detail_in(f.detail, lg),
                    "found": f.found_on.isoformat(),
                }
                for f in found.get(ln.id, [])
            ],
        }
        for ln in lines
    ]


def _batches_page(request: Request, user, *, status: int = 200, error=None, v=None):
    lg = language_of(request)
    data, err = read(request, user, lambda s, off: _batches(request, s, off, lg))
    if err is not None:
        return refused(request, user, err)
    return page(
        request,
        "benefits/batches.html",
        user,
        status=status,
        title=gettext(lg, "Payment batches"),
        error=error,
        errors=error.by_field if error else {},
        v=v or {},
        programmes=_programme_choices(request, lg),
        **data,
    )


@router.get("/benefits/batches", response_class=HTMLResponse)
def batches_page(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))]):
    return _batches_page(request, user)


@router.post("/benefits/batches", response_class=HTMLResponse)
def create_batch(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], form: Posted):
    lg = language_of(request)
    v = fields(form, ("programme", "period", "date"))

    def again(r):
        return _batches_page(request, user, status=400, error=r, v=v)

    on, bad = _date(v["date"], lg)
    if bad is not None:
        return again(bad)
    if not v["programme"]:
        return again(problems_refusal([problem("required", "programme", "")], lg))

    def create(s, off):
        return batches.create_batch(s, off, eligibility(request), programme=v["programme"], period=v["period"], on=on).id

    n, r = act(request, user, create, note=f"payment batch {v['programme']} {v['period']}"[:200])
    if r is not None:
        return _page_refusal(request, user, r, again)
    return back(f"/benefits/batches/{n}", "batch")


def _batch(request: Request, s, off, n: int, lg: str) -> dict:
    b = batches.get_batch(s, off, n)
    lines = batches.lines_of(s, b)
    answers = batches.results_of(s, b)
    # a county's batch holds thousands of lines (read whole for the totals): those that need an officer (blocked,
    # open findings) first, then by line, a page at a time; the bank's answers as many, paged apart (?results=).
    # Shown again after a refused POST, the pages are the batch's own address (a POST's has no query to keep).
    blocked = set(checks.open_findings(s, [ln.id for ln in lines if ln.status == "blocked"]))
    path = f"/benefits/batches/{b.id}"
    pg = paging.asked(request, len(lines), default_size=LINES_PAGE, path=path)
    rpg = paging.asked(request, len(answers), default_size=RESULTS_PAGE, path=path, key="results")
    ordered = sorted(lines, key=lambda ln: (ln.id not in blocked and ln.status != "blocked", ln.id))
    shown = ordered[pg.offset : pg.offset + pg.size]
    answers = answers[rpg.offset : rpg.offset + rpg.size]
    people = _people(s, [ln.person_id for _, ln in answers])
    return {
        "b": {
            "id": b.id,
            "programme": programme_name(request, b.programme, lg),
            "period": batches.period_label(b.period, lg),
            "status": b.status,
            "created": b.created_on.isoformat(),
            "checked": b.checked_on.isoformat() if b.checked_on else "",
            "released": b.released_on.isoformat() if b.released_on else "",
        },
        "lines": _line_rows(s, shown, lg),
        "pg": pg,
        "rpg": rpg,
        "totals": [(line_workflow.STATUSES[k], cnt, a) for k, (cnt, a) in sorted(batches.totals_by(lines).items())],
        "total": (len(lines), sum((ln.amount for ln in lines), Decimal("0.00"))),
        "results": [
            {
                "line": ln.id,
                "ref": bankfile.ref(ln),
                "name": people[ln.person_id].name,
                "outcome": r.outcome,
                "reason": r.reason,
                "bank_ref": r.bank_ref,
                "on": r.reported_on.isoformat(),
                "now": line_workflow.STATUSES[ln.status],
                "recipient": ln.recipient_id,
            }
            for r, ln in answers
        ],
    }


def _batch_page(request: Request, user, n: int, *, status: int = 200, error=None, v=None):
    lg = language_of(request)
    data, err = read(request, user, lambda s, off: _batch(request, s, off, n, lg))
    if err is not None:
        return refused(request, user, err)
    return page(
        request,
        "benefits/batch.html",
        user,
        status=status,
        title=f"{gettext(lg, 'Payment batch')} {n}",
        error=error,
        errors=error.by_field if error else {},
        v=v or {},
        **data,
    )


@router.get("/benefits/batches/{n}", response_class=HTMLResponse)
def batch_page(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], n: Id):
    return _batch_page(request, user, n)


def _step(request: Request, user: User, form, n: int, fn, done, *, names=("date",), note: str = ""):
    """One step on batch ``n`` (check, release): ``fn(session, officer, values, date)`` in the account's
    transaction, then back to the batch with ``done`` (a DONE key, or a function of fn's result that
    gives one); a refusal shows the batch again."""
    lg = language_of(request)
    v = fields(form, names)

    def again(r):
        return _batch_page(request, user, n, status=400, error=r, v=v)

    on, bad = _date(v.get("date", ""), lg)
    if bad is not None:
        return again(bad)
    got, r = act(request, user, lambda s, off: fn(s, off, v, on), note=note)
    if r is not None:
        return _page_refusal(request, user, r, again)
    return back(f"/benefits/batches/{n}", done(got) if callable(done) else done)


@router.post("/benefits/batches/{n}/check", response_class=HTMLResponse)
def check_batch(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], n: Id, form: Posted):
    return _step(request, user, form, n, lambda s, off, v, on: checks.run(s, off, eligibility(request), n, on=on), "checked")


def _release_page(request: Request, user, n: int, on, *, status: int = 200, error=None):
    """The confirmation before release: the batch's number of lines and total money as they stand, which
    the second POST carries back (release.release refuses a batch that no longer has them)."""
    lg = language_of(request)

    def load(s, off):
        b = batches.get_batch(s, off, n)
        lines, money = release.figures(s, b)
        by = batches.totals(s, b)
        return {
            "id": b.id,
            "programme": programme_name(request, b.programme, lg),
            "period": b.period,
            "status": b.status,
            "lines": lines,
            "total": money,
            "by_status": [(line_workflow.STATUSES[k], cnt, a) for k, (cnt, a) in sorted(by.items())],
        }

    b, err = read(request, user, load)
    if err is not None:
        return refused(request, user, err)
    return page(
        request,
        "benefits/release.html",
        user,
        status=status,
        title=f"{gettext(lg, 'Release payment batch')} {n}",
        b=b,
        on=on.isoformat(),
        error=error,
    )


@router.post("/benefits/batches/{n}/release", response_class=HTMLResponse)
def release_batch(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], n: Id, form: Posted):
    """Release in two steps: the batch's button asks for the confirmation page (nothing changes); that
    page's form carries the number of lines and the total it showed and a ticked confirmation, and only
    then is the batch checked again and released — refused if it changed in between."""
    lg = language_of(request)
    v = fields(form, ("date", "lines", "total", "confirm"))
    on, bad = _date(v["date"], lg)
    if bad is not None:
        return _batch_page(request, user, n, status=400, error=bad, v=v)
    if not v["lines"] and not v["total"]:  # the first step: what is about to be released
        try:  # the service's own refusal, before a page that asks to confirm what the role may not do
            officer(request, user).require(Permission.PAYMENT_MANAGE, "发放批次", "release payment batches")
        except UserError as exc:
            return refused(request, user, refusal(exc, lg))
        return _release_page(request, user, n, on)
    probs: list = []
    lines = number(v["lines"], "lines", probs, low=0, high=10**9)
    total = _money(v["total"], probs)
    if v["confirm"] != "yes":
        probs.append(problem("required", "confirm", ""))
    if probs:
        return _release_page(request, user, n, on, status=400, error=problems_refusal(probs, lg))

    def run(s, off):
        return release.release(s, off, eligibility(request), n, on=on, expect=(lines, total))

    got, r = act(request, user, run)
    if r is not None:
        if r.status in (403, 404):
            return refused(request, user, r)
        return _release_page(request, user, n, on, status=r.status, error=r)
    return back(f"/benefits/batches/{n}", "released" if got[1] else "held")  # nothing released: every line blocked, the findings kept


def _money(raw: str, probs: list) -> Decimal | None:
    """An amount in yuan as the confirmation carries it (digits, a point and two decimals; separators allowed)."""
    text = raw.replace(",", "").replace("¥", "").strip()
    if not re.fullmatch(r"\d{1,12}(\.\d{1,2})?", text):
        probs.append(problem("bad_amount", "total", raw))
        return None
    return Decimal(text)


def _back_to(raw: str) -> int | None:
    """The batch whose page a finding's or a line's form was on (a hidden field), else the list."""
    return int(raw) if re.fullmatch(r"\d{1,12}", raw or "") else None


def _on_line(request: Request, user: User, form, fn, done: str):
    """Clear a finding or void a line (reason, date; the hidden ``batch`` names the page to go back to)."""
    lg = language_of(request)
    v = fields(form, ("reason", "date", "batch"))
    where = _back_to(v["batch"])

    def again(r):
        if where is None:
            return _batches_page(request, user, status=400, error=r, v=v)
        return _batch_page(request, user, where, status=400, error=r, v=v)

    on, bad = _date(v["date"], lg)
    if bad is not None:
        return again(bad)
    _, r = act(request, user, lambda s, off: fn(s, off, v["reason"], on))
    if r is not None:
        return _page_refusal(request, user, r, again)
    return back(f"/benefits/batches/{where}" if where is not None else "/benefits/batches", done)


@router.post("/benefits/findings/{f}/clear", response_class=HTMLResponse)
def clear_finding(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], f: Id, form: Posted):
    return _on_line(request, user, form, lambda s, off, reason, on: checks.clear(s, off, f, reason=reason, on=on), "cleared")


@router.post("/benefits/lines/{line}/void", response_class=HTMLResponse)
def void_line(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], line: Id, form: Posted):
    return _on_line(request, user, form, lambda s, off, reason, on: batches.void_line(s, off, line, reason=reason, on=on), "voided")


@router.post("/benefits/batches/{n}/export")
def export_batch(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], n: Id, form: Posted):
    """The bank file (CSV or XLSX) of a released batch: recorded by bankfile.export, hence a POST."""
    lg = language_of(request)
    v = fields(form, ("format",))
    fmt = v["format"] or "xlsx"
    if fmt not in ("csv", "xlsx"):
        return _batch_page(
            request, user, n, status=400, v=v, error=problems_refusal([problem("bad_choice", "format", fmt, choices="csv, xlsx")], lg)
        )
    settings, progs = request.app.state.settings, programmes(request)

    def export(s, off):
        b = batches.get_batch(s, off, n)
        name = f"{progs[b.programme].short_zh if b.programme in progs else b.programme}-{b.period}-{b.id}"
        data = bankfile.export(s, off, progs, n, bankfile.load_layout(None, settings), fmt, file_name=f"{name}.{fmt}")
        return data, name

    res, r = act(request, user, export, note=f"bank file batch {n}")
    if r is not None:
        return _page_refusal(request, user, r, lambda r: _batch_page(request, user, n, status=400, error=r, v=v))
    data, name = res
    return attachment(data, fmt, name, f"batch-{n}")


def _safe_name(name: str) -> str:
    """The uploaded file's own name (recorded with the import), without anything a path could use."""
    base = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return base[-120:] or "result"


@router.post("/benefits/batches/{n}/result", response_class=HTMLResponse)
def import_result(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], n: Id, form: Posted):
    """The bank's result file: written to a temporary folder under its own name (its suffix tells CSV
    from XLSX), imported all or nothing by bankfile.import_result, and deleted."""
    lg = language_of(request)
    v = fields(form, ("date",))
    got = uploaded(form, "file")

    def again(r):
        return _batch_page(request, user, n, status=400, error=r, v=v)

    on, bad = _date(v["date"], lg)
    if bad is not None:
        return again(bad)
    if got is None:
        return again(problems_refusal([problem("required", "file", "")], lg))
    data, filename = got
    off = officer(request, user)
    request.app.state.import_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="renkou-bank-", dir=request.app.state.import_dir) as tmp:
        path = Path(tmp) / _safe_name(filename)
        path.write_bytes(data)
        try:
            bankfile.import_result(request.app.state.db, off, n, path, bankfile.load_layout(None, request.app.state.settings), on=on)
        except UserError as exc:
            return _page_refusal(request, user, refusal(exc, lg), again)
    return back(f"/benefits/batches/{n}", "result")
