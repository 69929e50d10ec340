"""Reports and ledgers on screen and as files (/reports), and the statistics JSON API
(/api/v1/indicators, /api/v1/reports/{key}, /api/v1/ledgers/{kind}).

Every figure comes from the application's one ``Stats`` (app.state.stats) and every call passes the
account's scope, so the statistics service itself refuses a unit outside the account's subtree
(NotFound: a 404 that does not tell whether the unit exists). The page is a GET form: a report's URL
can be bookmarked, and the same URL with ``format=xlsx|pdf|csv`` downloads it. Ledgers are always
masked here; revealing ID numbers stays with the audited command line.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from renkou.auth.roles import Permission, Role, allows
from renkou.core import basis as basis_mod
from renkou.errors import NotFound, UserError
from renkou.stats import ledgers, periods, render
from renkou.stats import reports as stats_reports
from renkou.stats.engine import POPULATION_LEVELS
from renkou.stats.render import common
from renkou.stats.table import Table
from renkou.web import paging
from renkou.web.deps import ANY, User, require
from renkou.web.i18n import gettext
from renkou.web.i18n import language_of as _lang
from renkou.web.pickers import unit_choices
from renkou.web.render import denied, message, unit_not_in_area
from renkou.web.render import render as render_page

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["statistics"])

BASES = basis_mod.STATISTICS
SCREEN_ROWS = 1000  # rows shown on screen; the downloads always hold every row
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}
NEEDS = {"report": "report:read", "ledger": "ledger:read"}


# ------------------------------------------------------------------------------------- shared


def choices(role: Role, lang: str, reports_dir: str | None = None) -> list[dict]:
    """The reports (shipped templates and any in ``reports_dir``, Settings.reports_dir) and ledgers the role may open."""
    out = []
    if allows(role, "report:read"):
        out += [
            {"value": f"report:{k}", "label": t.title_en if lang == "en" else t.title, "group": "report"}
            for k, t in sorted(stats_reports.templates(reports_dir).items())
        ]
    if allows(role, "ledger:read"):
        out += [{"value": f"ledger:{k}", "label": en if lang == "en" else zh, "group": "ledger"} for k, (zh, en) in ledgers.KINDS.items()]
    return out


def build(stats, what: str, org: str, q, *, scope, prepared_by: str = "") -> Table:
    """A report ("report:KEY") or a masked ledger ("ledger:KIND") for a unit, within ``scope``."""
    kind, _, key = what.partition(":")
    if kind == "report":
        return stats_reports.report(stats, key, org, q, prepared_by=prepared_by, scope=scope)
    if kind == "ledger":
        return ledgers.ledger(stats, key, org, q, prepared_by=prepared_by, scope=scope)
    raise UserError(f"没有报表 {what}", f"no report {what}")


def checked_form(form: dict, basis: str, fmt: str, formats, stats, today: dt.date, lg: str, errors: dict) -> periods.Period | None:
    """The checks every statistics page's GET form shares: the basis, the download format among
    ``formats`` and the period (any spelling the picker or a person writes). Refusals go into ``errors``
    by field in the page's language; the period, when read, goes back into ``form`` so the picker shows
    its label (2026年第4季度) while the links carry its code."""
    if basis not in BASES:
        errors["basis"] = gettext(lg, "Choose hukou or resident population.")
    if fmt and fmt not in formats:
        errors["form"] = gettext(lg, "Unknown file format.")
    try:
        p = periods.parse(form["period"], today=today, stat_year_start=stats.settings.stat_year_start)
    except UserError as exc:
        errors["period"] = exc.en if lg == "en" else exc.zh
        return None
    form["period"] = p
    return p


def unit_options(session, root_code: str, day: dt.date) -> list[dict]:
    """The account's unit and the units below it as of ``day``, down to villages (no groups or work units),
    as the unit picker takes them (renkou.web.pickers.unit_choices)."""
    return unit_choices(session, root_code, day, POPULATION_LEVELS)


def table_view(table: Table, lang: str, limit: int | None = None, *, pg: paging.Page | None = None) -> dict:
    """What the template needs to draw a Table: the merged header grid, formatted body rows — the first
    ``limit`` (default SCREEN_ROWS), or with ``pg`` that page's rows (a roster's, renkou.web.paging)."""
    limit = SCREEN_ROWS if limit is None else limit
    start = 0
    if pg is not None:
        start, limit = pg.offset, pg.size
    depth = common.header_depth(table, lang)
    cells = common.header_cells(table, lang)
    numeric = [common.is_numeric(c) for c in table.columns]
    body = [
        {"total": row.is_total, "cells": [(cell_text(col, v), common.is_numeric(col)) for col, v in common.row_cells(table, row)]}
        for row in table.rows[start : start + limit]
    ]
    return {
        "title": common.title(table, lang),
        "info": common.info_line(table, lang),
        "preparer": common.preparer_line(table, lang),
        "head": [[c for c in cells if c.row == r] for r in range(depth)],
        "numeric": numeric,
        "body": body,
        "notes": common.note_lines(table, lang),
        "shown": len(body),
        "rows": len(table.rows),
        "pg": pg,
    }


def cell_text(col, v) -> str:
    """As printed (renkou.stats.render.common: renkou.core.numbers, thousands separators for large rates too)."""
    return common.display_value(col, v)


def disposition(table: Table, ext: str, lang: str) -> str:
    """Content-Disposition with an ASCII fallback name and the UTF-8 name (RFC 6266 / 5987)."""
    pid = str(table.meta.get("period", {}).get("id", ""))
    name = re.sub(r'[\\/:*?"<>|\s]+', "_", f"{common.title(table, lang)}-{table.unit_name}-{pid}") + "." + ext
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{table.key}-{table.unit_code}-{pid}") + "." + ext
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def file_response(table: Table, fmt: str, lang: str) -> Response:
    data = {"xlsx": render.to_xlsx, "pdf": render.to_pdf, "csv": render.to_csv}[fmt](table, lang)
    return Response(data, media_type=FORMATS[fmt], headers={"content-disposition": disposition(table, fmt, lang)})


# ------------------------------------------------------------------------------------- page


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    user: Annotated[User, Depends(require(Permission.REPORT_READ, Permission.LEDGER_READ, mode=ANY))],
    t: str = "",
    org: str = "",
    period: str = "",
    basis: str = "hukou",
    format: str = "",
):
    acc = user.account
    scope = user.scope
    role, lg = Role(acc.role), _lang(request)
    options = choices(role, lg, request.app.state.settings.reports_dir)
    if not options:
        return denied(request, user)
    stats = request.app.state.stats
    today = dt.date.today()
    with request.app.state.db.read() as s:
        units = unit_options(s, scope.root_code, today)
    form = {
        "t": t or options[0]["value"],
        "org": (org or scope.root_code).strip(),
        "period": (period or f"{today:%Y-%m}").strip(),
        "basis": basis,
    }
    ctx = {
        "options": options,
        "units": units,
        "form": form,
        "errors": {},
        "view": None,
        "chart": None,
        "links": {},
    }

    def page(status: int = 200) -> HTMLResponse:
        return render_page(request, "reports.html", user, status=status, title=gettext(lg, "Reports and ledgers"), **ctx)

    if not t:
        return page()
    kind = form["t"].partition(":")[0]
    if kind in NEEDS and not allows(role, NEEDS[kind]):
        return denied(request, user)
    if form["t"] not in {o["value"] for o in options}:
        ctx["errors"]["t"] = gettext(lg, "Choose a report or a ledger from the list.")
    p = checked_form(form, basis, format, FORMATS, stats, today, lg, ctx["errors"])
    if ctx["errors"] or p is None:
        return page(400)
    try:
        table = build(stats, form["t"], form["org"], stats.query(p, basis=basis), scope=scope, prepared_by=acc.display_name)
    except NotFound:
        return unit_not_in_area(request, user)
    except UserError as exc:
        ctx["errors"]["form"] = exc.en if lg == "en" else exc.zh
        return page(400)
    if format:
        try:
            return file_response(table, format, lg)
        except UserError as exc:  # e.g. no CJK font for the PDF on this server
            return message(request, user, 500, gettext(lg, "The file could not be made"), exc.en if lg == "en" else exc.zh)
    # a ledger is a roster of persons or households: a page of it at a time (a report's rows are units: all of them)
    ctx["view"] = table_view(table, lg, pg=paging.asked(request, len(table.rows)) if kind == "ledger" else None)
    if table.chart is not None:
        ctx["chart"] = {
            "labels": {"male": gettext(lg, "Male"), "female": gettext(lg, "Female"), "persons": gettext(lg, "Persons")},
            "pyramid": {"groups": list(table.chart.labels), "male": list(table.chart.male), "female": list(table.chart.female)},
        }
    ctx["links"] = {f: "/reports?" + urlencode({**form, "period": p.id, "format": f}) for f in FORMATS}
    return page()


# ------------------------------------------------------------------------------------- API

Basis = Literal["hukou", "resident"]


class IndicatorOut(BaseModel):
    indicator: str = Field(description="catalogue code, e.g. births, cbr, srb")
    unit: str = Field(description="organisation unit code")
    unit_name: str
    level: str
    disaggregation: dict[str, str] = Field(description='e.g. {"sex": "M"}; empty for the total')
    value: float | None
    numerator: float
    denominator: float | None
    ci_low: float | None = Field(description="95% interval, for ratios that have one (sex ratio at birth)")
    ci_high: float | None
    flag: str | None = Field(description="high | low: the whole interval lies outside the normal range")
    small_sample: bool = Field(
        False, description="a ratio of fewer births than the set minimum (RENKOU_SRB_MIN_BIRTHS): pages show 样本过少 instead of the value"
    )


class ColumnOut(BaseModel):
    key: str
    header: list[str] = Field(description="header path, top row first (merged cells)")
    header_en: list[str]
    kind: str = Field(description="count | rate | text | date")
    decimals: int
    unit: str = Field(description="'', '‰' or '%'")


class RowOut(BaseModel):
    code: str | None = Field(description="unit code of a unit row")
    total: bool
    values: list[int | float | dt.date | str | None]


class ChartOut(BaseModel):
    kind: str
    labels: list[str]
    male: list[int]
    female: list[int]


class TableOut(BaseModel):
    key: str
    title: str
    title_en: str
    unit: dict[str, str]
    period: dict[str, str]
    prepared_by: str
    prepared_on: dt.date
    columns: list[ColumnOut]
    rows: list[RowOut]
    notes: list[str]
    notes_en: list[str]
    chart: ChartOut | None
    meta: dict


def _answer(fn):
    try:
        return fn()
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except UserError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


@api.get("/indicators", response_model=list[IndicatorOut])
def get_indicators(
    request: Request,
    c: Annotated[User, Depends(require(Permission.REPORT_READ))],
    period: str,
    org: str | None = None,
    level: str | None = None,
    basis: Basis = "hukou",
    codes: str | None = None,
    disaggregate: bool = True,
) -> list[dict]:
    """指标目录中的指标（或 codes 所列，逗号分隔），本单位或其下某级各单位。Indicators of the catalogue (or the
    comma-separated ``codes``) for a unit (default: the caller's) or every unit of ``level`` below it."""
    stats = request.app.state.stats
    wanted = [x.strip() for x in codes.split(",") if x.strip()] if codes else None
    return _answer(
        lambda: [
            v.to_json()
            for v in stats.indicators(
                org or c.scope.root_code,
                stats.query(period, basis=basis),
                level=level,
                codes=wanted,
                scope=c.scope,
                disaggregate=disaggregate,
            )
        ]
    )


@api.get("/reports/{key}", response_model=TableOut)
def get_report(
    request: Request,
    c: Annotated[User, Depends(require(Permission.REPORT_READ))],
    key: str,
    period: str,
    org: str | None = None,
    basis: Basis = "hukou",
    level: str | None = None,
) -> dict:
    """标准报表（monthly、annual、structure 及自定义模板）。A standard report as a table: header paths, rows, notes."""
    stats = request.app.state.stats
    return _answer(
        lambda: stats_reports.report(
            stats,
            key,
            org or c.scope.root_code,
            stats.query(period, basis=basis),
            level=level,
            prepared_by=c.account.username,
            scope=c.scope,
        ).to_json()
    )


@api.get("/ledgers/{kind}", response_model=TableOut)
def get_ledger(
    request: Request,
    c: Annotated[User, Depends(require(Permission.LEDGER_READ))],
    kind: str,
    period: str,
    org: str | None = None,
    basis: Basis = "hukou",
) -> dict:
    """台账与花名册（births、deaths、marriages、moves、households、wcba），身份证号脱敏。A ledger, ID numbers masked."""
    stats = request.app.state.stats
    return _answer(
        lambda: ledgers.ledger(
            stats, kind, org or c.scope.root_code, stats.query(period, basis=basis), prepared_by=c.account.username, scope=c.scope
        ).to_json()
    )
