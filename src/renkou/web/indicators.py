"""The indicators page (/indicators): indicators of the catalogue chosen by their Chinese names (by
group), for one unit or every unit of a level, a period and a basis; a table with the units as rows, a
bar chart per indicator (static/indicators.js, from a JSON data block: the CSP allows no inline script),
each indicator's definition on hover (the header's title), and the same table as XLSX or CSV.

The figures come from ``renkou.stats.picked`` over the application's one ``Stats`` and the account's
scope, as the /api/v1/indicators endpoint's do (report:read, like it). A GET form: the URL can be
bookmarked, and the same URL with ``format=xlsx|csv`` downloads the table.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from renkou.auth.roles import Permission
from renkou.core import basis as basis_mod
from renkou.core.codes import LEVELS
from renkou.errors import NotFound, UserError
from renkou.registry.orgs import Hierarchy
from renkou.stats import picked
from renkou.stats.rates import SMALL_SAMPLE, small_text
from renkou.stats.render import common
from renkou.stats.table import Table
from renkou.web.deps import User, require
from renkou.web.i18n import gettext
from renkou.web.i18n import language_of as _lang
from renkou.web.render import render, unit_not_in_area
from renkou.web.reports import cell_text, checked_form, file_response, unit_options

router = APIRouter(include_in_schema=False)

FORMATS = ("xlsx", "csv")
LEVEL_CHOICES = ("township", "village")  # "all units of a level" below the account's unit
LEVEL_PREFIX = "level:"


def catalogue_choices(stats, lang: str, chosen: list[str]) -> list[dict]:
    """The catalogue by group, each indicator with its name, unit and definition (shown on hover)."""
    out = []
    for g, inds in stats.catalogue.grouped():
        out.append(
            {
                "key": g.key or "other",
                "name": g.en if lang == "en" else g.zh,
                "inds": [
                    {
                        "code": i.code,
                        "name": i.en if lang == "en" else i.zh,
                        "unit": i.unit if i.unit in ("‰", "%") else "",
                        "definition": (i.description_en if lang == "en" else i.description) or "",
                        "checked": i.code in chosen,
                    }
                    for i in inds
                ],
            }
        )
    return out


def level_options(session, root_code: str, day: dt.date, lang: str) -> list[dict]:
    """ "All townships" / "all villages" below the account's unit, for the levels that have units there."""
    h = Hierarchy.as_of(session, day)
    if root_code not in h.by_code:
        return []
    present = {u.level for d, u in h.walk(root_code) if d > 0}
    names = {"township": gettext(lang, "All townships"), "village": gettext(lang, "All villages")}
    return [{"value": LEVEL_PREFIX + lv, "name": names[lv], "level": lv} for lv in LEVEL_CHOICES if lv in present]


def view(table: Table, stats, lang: str) -> dict:
    """The table as the page draws it: headers with the definition to show on hover, formatted cells, and
    the chart data (one series of numbers per indicator; 样本过少 and missing values are gaps)."""
    cat = stats.catalogue
    inds = [cat.get(c.key) for c in table.columns[2:]]
    heads = [
        {"text": common.column_path(c, lang)[-1], "title": (i.description_en if lang == "en" else i.description) or "", "code": i.code}
        for c, i in zip(table.columns[2:], inds, strict=True)
    ]
    rows = []
    for row in table.rows:
        name, code, *vals = row.values
        cells = []
        for col, v in zip(table.columns[2:], vals, strict=True):
            text = small_text(lang) if v == SMALL_SAMPLE["zh"] else "—" if v is None else cell_text(col, v)
            cells.append({"text": text, "small": v == SMALL_SAMPLE["zh"]})
        rows.append({"name": gettext(lang, "Total") if row.is_total else name, "code": code, "total": row.is_total, "cells": cells})
    unit_rows = [r for r in table.rows if not r.is_total] or list(table.rows)
    chart = {
        "units": [str(r.values[0]) for r in unit_rows],
        "series": [
            {
                "code": i.code,
                "name": h["text"],
                "whole": i.decimals == 0 and not i.denominator,  # a count: whole-number ticks
                "values": [
                    v if isinstance(v, (int, float)) and not isinstance(v, bool) else None for v in (r.values[2 + k] for r in unit_rows)
                ],
            }
            for k, (i, h) in enumerate(zip(inds, heads, strict=True))
        ],
    }
    return {
        "title": common.title(table, lang),
        "info": common.info_line(table, lang),
        "heads": heads,
        "rows": rows,
        "chart": chart,
        "ratio_note": any(i.ci == "ratio" for i in inds),
    }


@router.get("/indicators", response_class=HTMLResponse)
def indicators_page(
    request: Request,
    user: Annotated[User, Depends(require(Permission.REPORT_READ))],
    i: Annotated[list[str], Query()] = [],  # noqa: B006 — FastAPI reads a repeated parameter into a fresh list
    unit: str = "",
    period: str = "",
    basis: str = basis_mod.DEFAULT,
    format: str = "",
):
    lg = _lang(request)
    scope = user.scope
    stats = request.app.state.stats
    today = dt.date.today()
    with request.app.state.db.read() as s:
        units = unit_options(s, scope.root_code, today)
        levels = level_options(s, scope.root_code, today, lg)
    chosen = [c for c in dict.fromkeys(x.strip() for x in i) if c]
    form = {
        "unit": (unit or (levels[0]["value"] if levels else scope.root_code)).strip(),  # the level just below
        "period": (period or str(today.year)).strip(),
        "basis": basis,
    }
    ctx: dict = {
        "groups": catalogue_choices(stats, lg, chosen),
        "units": units,
        "levels": levels,
        "form": form,
        "errors": {},
        "view": None,
        "chart": None,
        "links": {},
        "min_births": stats.settings.srb_min_births,
    }

    def page(status: int = 200) -> HTMLResponse:
        return render(request, "indicators.html", user, status=status, title=gettext(lg, "Indicators"), **ctx)

    if not (i or unit or period or format):
        return page()
    known = stats.catalogue.indicators
    if not chosen or any(c not in known for c in chosen):
        ctx["errors"]["i"] = gettext(lg, "Choose at least one indicator from the list.")
    level = None
    org = form["unit"]
    if org.startswith(LEVEL_PREFIX):
        level = org.removeprefix(LEVEL_PREFIX)
        org = scope.root_code
        if level not in {x["level"] for x in levels}:
            ctx["errors"]["unit"] = gettext(lg, "Choose a unit or a level from the list.")
    p = checked_form(form, basis, format, FORMATS, stats, today, lg, ctx["errors"])
    if ctx["errors"] or p is None:
        return page(400)
    try:
        table = picked.table(
            stats, chosen, org, stats.query(p, basis=basis), level=level, scope=scope, prepared_by=user.account.display_name
        )
    except NotFound:
        return unit_not_in_area(request, user)
    except UserError as exc:
        ctx["errors"]["form"] = exc.en if lg == "en" else exc.zh
        return page(400)
    if format:
        return file_response(table, format, lg)
    shown = view(table, stats, lg)
    ctx["view"] = shown
    ctx["chart"] = {"chart": shown["chart"]}
    ctx["level_name"] = (LEVELS[level].en if lg == "en" else LEVELS[level].zh) if level else ""
    query = [("i", c) for c in chosen] + [("unit", form["unit"]), ("period", p.id), ("basis", basis)]
    ctx["links"] = {f: "/indicators?" + urlencode([*query, ("format", f)]) for f in FORMATS}
    return page()
