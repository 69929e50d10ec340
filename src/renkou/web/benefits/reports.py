"""The benefit reports (/benefits/reports) and the three full coverages (/benefits/coverage).

Two reports, each a renkou.stats.table.Table drawn on screen like the statistics reports
(renkou.web.reports.table_view, templates/stats_table.html) and downloaded as XLSX, PDF or CSV from
the same parameters: recipients and money by programme and unit for a year
(renkou.benefits.reports.recipients), and the three full coverages of special-assistance
families on a day, with rates (reports.coverage). The unit is one of the account's area
(default its own); the services refuse any other as not found.

The coverage page lists the records of the area's special-assistance recipients
(renkou.benefits.cycle.coverage.in_area) and offers recording one (the person by ID number, as the
``renkou benefits coverage add`` command does) and ending one; the service decides who may.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from renkou.auth.roles import Permission
from renkou.benefits import reports
from renkou.benefits.cycle import coverage
from renkou.core.dates import parse_date
from renkou.core.idnumber import mask
from renkou.core.problems import Problem, problem
from renkou.errors import UserError
from renkou.registry import persons
from renkou.web.benefits.common import Posted, Refusal, act, back, day, eligibility, fields, number, officer, page, problems_refusal, read
from renkou.web.benefits.common import refusal as as_refusal
from renkou.web.deps import Id, User, require
from renkou.web.i18n import gettext, language_of
from renkou.web.pickers import year_of
from renkou.web.reports import FORMATS, file_response, table_view, unit_options

router = APIRouter(include_in_schema=False)
REPORTS = ("recipients", "coverage")


# ------------------------------------------------------------------------------------------ reports


def _form(request: Request, user) -> dict:
    q = request.query_params
    return {
        "org": q.get("org", "").strip() or user.scope.root_code,
        "year": year_of(q.get("year", "")) or str(dt.date.today().year),  # 2026 or 2026年 from the year picker
        "date": q.get("date", "").strip() or dt.date.today().isoformat(),
    }


def _build(request: Request, user, which: str, form: dict):
    """(the report's Table, None) or (None, the refusal): a field's problem or the service's."""
    lg = language_of(request)
    probs: list[Problem] = []
    by = user.account.display_name
    if which == "recipients":
        year = number(form["year"], "year", probs, low=1950, high=9999)
        fn = lambda s, off: reports.recipients(s, off, eligibility(request), year=year, org=form["org"], prepared_by=by)  # noqa: E731
    else:
        on = day(form["date"], "date", probs)
        fn = lambda s, off: reports.coverage(s, off, on=on, org=form["org"], prepared_by=by)  # noqa: E731
    if probs:
        return None, problems_refusal(probs, lg)
    return read(request, user, fn)


def _params(which: str, form: dict) -> dict:
    return {"org": form["org"], **({"year": form["year"]} if which == "recipients" else {"date": form["date"]})}


def _reports_page(request: Request, user, which: str, form: dict, *, table=None, error: Refusal | None = None, status: int = 200):
    lg = language_of(request)
    with request.app.state.db.read() as s:
        units = unit_options(s, user.scope.root_code, dt.date.today())
    links = {f: f"/benefits/reports/{which}.{f}?" + urlencode(_params(which, form)) for f in FORMATS} if table is not None else {}
    return page(
        request,
        "benefits/reports.html",
        user,
        status=status,
        title=gettext(lg, "Reports of family support"),
        error=error,
        which=which,
        form=form,
        units=units,
        view=table_view(table, lg) if table is not None else None,
        links=links,
    )


@router.get("/benefits/reports", response_class=HTMLResponse)
def reports_page(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], show: str = ""):
    """The two reports' forms, and the one asked for (``?show=recipients|coverage``) as a table."""
    form = _form(request, user)
    if show not in REPORTS:
        return _reports_page(request, user, "", form)
    table, refusal = _build(request, user, show, form)
    if refusal is not None:
        return _reports_page(request, user, show, form, error=refusal, status=refusal.status)
    return _reports_page(request, user, show, form, table=table)


@router.get("/benefits/reports/{which}.{fmt}")
def report_file(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], which: str, fmt: str):
    """A report as XLSX, PDF or CSV, from the same parameters as on screen."""
    lg = language_of(request)
    form = _form(request, user)
    if which not in REPORTS or fmt not in FORMATS:
        return _reports_page(request, user, "", form, error=Refusal(404, gettext(lg, "No such report or file format.")), status=404)
    table, refusal = _build(request, user, which, form)
    if refusal is not None:
        return _reports_page(request, user, which, form, error=refusal, status=refusal.status)
    try:
        return file_response(table, fmt, lg)
    except UserError as exc:  # e.g. no CJK font for the PDF on this server
        return _reports_page(request, user, which, form, table=table, error=as_refusal(exc, lg), status=500)


# ------------------------------------------------------------------------------------------ coverage


def _coverage_page(request: Request, user, *, status: int = 200, error: Refusal | None = None, form: dict | None = None) -> HTMLResponse:
    lg = language_of(request)
    current = request.query_params.get("current", "") == "1"
    today = dt.date.today()

    def rows(s, off):
        return [
            {
                "id": c.id,
                "name": p.name,
                "id_number": mask(p.id_number) if p.id_number else (p.temp_key or ""),
                "kind": c.kind,
                "detail": c.detail,
                "since": c.since.isoformat(),
                "until": c.until.isoformat() if c.until else "",
                "open": c.until is None,
                "in_force": c.since <= today and (c.until is None or c.until >= today),
            }
            for c, p in coverage.in_area(s, off, on=today if current else None)
        ]

    got, refusal = read(request, user, rows)
    if refusal is not None and error is None:
        error, status = refusal, refusal.status
    off = officer(request, user)
    return page(
        request,
        "benefits/coverage.html",
        user,
        status=status,
        title=gettext(lg, "The three full coverages"),
        error=error,
        rows=got or [],
        kinds=coverage.KINDS,
        current=current,
        form=form or {},
        can_record=off.may("benefit:apply") or off.may("benefit:review"),
        org=user.scope.root_code,
    )


@router.get("/benefits/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))]):
    return _coverage_page(request, user)


@router.post("/benefits/coverage", response_class=HTMLResponse)
def coverage_add(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], form: Posted):
    """Record one coverage for a special-assistance recipient, found by ID number in the account's area."""
    lg = language_of(request)
    v = fields(form, ("person", "kind", "detail", "since"))
    probs: list[Problem] = []
    if not v["person"]:
        probs.append(problem("required", "person", ""))
    since = day(v["since"], "since", probs)
    if probs:
        return _coverage_page(request, user, status=400, error=problems_refusal(probs, lg), form={"add": v})

    def run(s, off):
        who = persons.get_person(s, v["person"], scope=off.scope, date=since)
        return coverage.record(s, off, person=who, kind=v["kind"], detail=v["detail"], since=since)

    _, refusal = act(request, user, run, note="coverage add")
    if refusal is not None:
        return _coverage_page(request, user, status=refusal.status, error=refusal, form={"add": v})
    return back("/benefits/coverage", "coverage")


@router.post("/benefits/coverage/{n}/end", response_class=HTMLResponse)
def coverage_end(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], n: Id, form: Posted):
    """End a coverage record on a day (its last day, which may lie ahead), with the reason."""
    lg = language_of(request)
    v = fields(form, ("date", "reason"))
    probs: list[Problem] = []
    until = parse_date(v["date"]) if v["date"] else dt.date.today()
    if until is None:
        probs.append(problem("bad_date", "date", v["date"]))
    if probs:
        return _coverage_page(request, user, status=400, error=problems_refusal(probs, lg), form={"end": n, "end_values": v})
    _, refusal = act(
        request, user, lambda s, off: coverage.end(s, off, n, until=until, reason=v["reason"]), reason=v["reason"], note=f"coverage {n} end"
    )
    if refusal is not None:
        return _coverage_page(request, user, status=refusal.status, error=refusal, form={"end": n, "end_values": v})
    return back("/benefits/coverage", "coverage")
