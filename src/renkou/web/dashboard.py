"""The home page as a dashboard of the account's unit.

* key figures: population at the end of last month; births, deaths, moves in and out, birth rate and sex
  ratio at birth for this month and the year to date, each against the same days a year earlier;
* births by month over the last 24 months, and the population pyramid (ECharts, drawn by static/dashboard.js
  from a JSON data block: the CSP allows no inline script);
* sex ratio at birth of the units one level down (townships of a county, villages of a township) as a funnel
  chart over the last 12 months: the 95 % limits around the target ratio (Settings.srb_target, 105) for each
  number of births, so a small unit is not flagged for a chance deviation; a unit with fewer births than
  Settings.srb_min_births reads 样本过少 instead of a ratio, here and on every page;
* the data-entry backlog: late registrations and recent births still without an ID number (plain SQL);
* the account's work queues (renkou.web.work, renkou.work.queues): each kind of pending work its role may
  do, counted within its area, linked to the list (templates/queues.html).

Each part is shown only to roles that may see it: population:read for the population, the pyramid and the
backlog, report:read for births, deaths, moves and rates. The system administrator sees administration links.
"""

from __future__ import annotations

import datetime as dt
import math

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Date, cast, exists, func, select
from sqlalchemy.orm import aliased

from renkou.auth.roles import Role, allows
from renkou.core import numbers
from renkou.errors import UserError
from renkou.registry.log import in_force
from renkou.stats.periods import Period, add_months
from renkou.stats.rates import Z95 as Z
from renkou.stats.rates import funnel_limits, ratio_ci, round_half_up
from renkou.storage.db import utcnow
from renkou.storage.schema import Changeset, Event, Person
from renkou.web import work
from renkou.web.deps import CurrentUser
from renkou.web.i18n import gettext
from renkou.web.i18n import language_of as _lang
from renkou.web.render import render

router = APIRouter(include_in_schema=False)
today = dt.date.today  # the dashboard's "today" (tests set another)

EVENTS = ("births", "deaths", "moves_in", "moves_out", "cbr", "srb")
CHILD_LEVEL = {"province": "city", "city": "county", "county": "township", "township": "village"}
VITAL = ("birth", "death", "marriage", "divorce", "adoption", "move")  # events a village registers as they happen
LATE_DAYS, ENTRY_DAYS, NO_ID_DAYS = 30, 30, 90


# --------------------------------------------------------------------------------- data entry


def backlog(session, scope, day: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """``late``: vital events entered in the last 30 days (not by the system's own generators) dated more
    than 30 days before they were entered — original entries, counted even if corrected since, unless
    retracted; ``no_id``: births of the last 90 days whose child has no ID number yet (a temporary key
    only). Both limited to the people of ``scope``."""
    now = now or utcnow()
    withdrawn = aliased(Event)
    since = now - dt.timedelta(days=ENTRY_DAYS)
    first = _first_event_since(session, since)
    if session.get_bind().dialect.name == "sqlite":
        cutoff = func.date(Changeset.at, f"-{LATE_DAYS} days")
    else:
        cutoff = cast(Changeset.at, Date) - LATE_DAYS
    late = (
        select(func.count(Event.id))
        .join(Changeset, Changeset.id == Event.created_cs)
        .where(
            Event.id >= (first or 0),
            Changeset.at >= since,
            Changeset.channel != "system",
            Event.kind.in_(VITAL),
            Event.supersedes_id.is_(None),
            ~exists().where(withdrawn.supersedes_id == Event.id, withdrawn.kind == "retraction"),
            Event.date < cutoff,
        )
    )
    no_id = (
        select(func.count(Event.id))
        .join(Person, Person.id == Event.person_id)
        .where(
            Event.kind == "birth",
            in_force(),
            Event.date > day - dt.timedelta(days=NO_ID_DAYS),
            Event.date <= day,
            Person.id_number.is_(None),
        )
    )
    if scope.unit_ids is not None:
        late, no_id = (
            q.where(Event.person_id.in_(scope.person_ids(day, persons=q.with_only_columns(Event.person_id)))) for q in (late, no_id)
        )
    return {"late": (session.scalar(late) or 0) if first is not None else 0, "no_id": session.scalar(no_id) or 0}


def _first_event_since(session, since: dt.datetime) -> int | None:
    """The id of the first event entered since ``since`` by people (not by the system's own generators;
    None: none was). Event ids and changesets both grow with time and event.created_cs has no index, so a
    binary search over the primary key finds the bound with a few index look-ups instead of a scan of every
    event; when every recent changeset is the system's, no event is read at all."""
    cs0 = session.scalar(select(func.min(Changeset.id)).where(Changeset.at >= since, Changeset.channel != "system"))
    lo, hi = session.execute(select(func.min(Event.id), func.max(Event.id))).one()
    if cs0 is None or hi is None:
        return None

    def entered_by(i: int) -> int:  # the changeset of the first event with an id of at least i
        return session.scalar(select(Event.created_cs).where(Event.id >= i).order_by(Event.id).limit(1))

    if entered_by(hi) < cs0:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if entered_by(mid) >= cs0 else (mid + 1, hi)
    return lo


# --------------------------------------------------------------------------------- figures


def _fmt(v, ind, lang: str = "zh") -> str:
    """A figure as printed: counts with thousands separators, rates with their decimals and unit, and the
    95 % interval of a ratio that has one; a ratio of too few births reads 样本过少."""
    text = v.text(ind, lang)
    if v.low is not None and not v.small and v.value is not None:
        text += f" ({numbers.average(v.low, 1)}–{'∞' if v.high is None else numbers.average(v.high, 1)})"
    return text


def key_figures(stats, org: str, scope, day: dt.date, lang: str, *, events: bool, population: bool) -> dict:
    cat = stats.catalogue
    month0 = day.replace(day=1)
    mtd, ytd = Period(month0, day, "range"), Period(dt.date(day.year, 1, 1), day, "ytd")
    cols = [
        (gettext(lang, "This month"), mtd),
        (gettext(lang, "Same days last year"), mtd.previous_year()),
        (gettext(lang, "Year to date"), ytd),
        (gettext(lang, "Same days last year"), ytd.previous_year()),
    ]
    out: dict = {
        "periods": [{"name": n, "label": p.label_en if lang == "en" else p.label} for n, p in cols],
        "rows": [],
        "population": None,
    }
    if events:
        found = [
            {v.code: v for v in stats.indicators(org, stats.query(p), codes=list(EVENTS), scope=scope, disaggregate=False)} for _, p in cols
        ]
        for code in EVENTS:
            ind = cat.get(code)
            out["rows"].append(
                {
                    "code": code,
                    "label": ind.en if lang == "en" else ind.zh,
                    "cells": [_fmt(f[code], ind, lang) for f in found],
                    "values": [None if f[code].small else f[code].value for f in found],
                }
            )
    if population:
        last = Period(add_months(month0, -1), month0 - dt.timedelta(days=1), "month")
        pops = []
        for p in (last, last.previous_year()):
            v = stats.indicators(org, stats.query(p), codes=["pop_end"], scope=scope, disaggregate=False)[0]
            pops.append({"label": p.label_en if lang == "en" else p.label, "value": v.value, "text": _fmt(v, cat.get("pop_end"), lang)})
        out["population"] = pops
    return out


def births_by_month(stats, org: str, scope, day: dt.date) -> dict:
    """Births (boys, girls) of each of the last 24 calendar months, the current one included."""
    months, boys, girls = [], [], []
    first = add_months(day.replace(day=1), -23)
    for p in Period(first, day, "range").months():
        by = {v.disaggregation: v.value or 0 for v in stats.indicators(org, stats.query(p), codes=["births"], scope=scope)}
        months.append(f"{p.start:%Y-%m}")
        boys.append(int(by.get((("sex", "M"),), 0)))
        girls.append(int(by.get((("sex", "F"),), 0)))
    return {"months": months, "male": boys, "female": girls}


def pyramid(stats, org: str, scope, day: dt.date) -> dict:
    """Population by sex and 5-year age group at the end of last month."""
    month0 = day.replace(day=1)
    last = Period(add_months(month0, -1), month0 - dt.timedelta(days=1), "month")
    vals = {v.disaggregation: int(v.value or 0) for v in stats.indicators(org, stats.query(last), codes=["pop_by_age"], scope=scope)}
    groups = [c.key for c in stats.catalogue.dimensions["age5"]]
    return {
        "groups": groups,
        "male": [vals.get((("sex", "M"), ("age5", g)), 0) for g in groups],
        "female": [vals.get((("sex", "F"), ("age5", g)), 0) for g in groups],
    }


def funnel(stats, org: str, level: str, scope, day: dt.date, *, target: float = 105.0, min_births: int = 20) -> dict | None:
    """Sex ratio at birth of the units at ``level`` below ``org`` over the last 12 months, against the 95 %
    binomial limits around the ``target`` ratio (Settings.srb_target) for each number of births — not
    around ``org``'s own ratio, which may itself be far from normal. A unit lies outside exactly when its
    share of boys lies outside p0 ± z·√(p0(1 − p0)/n), p0 = target / (100 + target): the drawn limits.
    A unit with fewer than ``min_births`` births (Settings.srb_min_births) has no ratio (样本过少): it is
    listed, not plotted. The axes are set so that the limits and every point show inside the plot."""
    p = Period(add_months(day.replace(day=1), -11), day, "range")
    q = stats.query(p)
    ref = stats.indicators(org, q, codes=["srb"], scope=scope, disaggregate=False)[0]
    n_ref = int(ref.numerator + (ref.denominator or 0))
    if not n_ref:
        return None
    try:
        units = stats.indicators(org, q, level=level, codes=["srb"], scope=scope, disaggregate=False)
    except UserError:  # no units at that level below this one
        return None
    p0 = target / (100 + target)
    points = []
    for v in units:
        n = int(v.numerator + (v.denominator or 0))
        if n == 0:
            continue
        small = n < min_births
        lo, hi = ratio_ci(v.numerator, v.denominator or 0, 100)
        outside = not small and abs(v.numerator / n - p0) > Z * math.sqrt(p0 * (1 - p0) / n)
        points.append(
            {
                "name": v.unit_name,
                "code": v.unit_code,
                "births": n,
                "srb": None if small else v.value,
                "small": small,
                "outside": bool(outside),
                "low": None if small or lo is None else round_half_up(lo, 1),
                "high": None if small or hi is None or math.isinf(hi) else round_half_up(hi, 1),
            }
        )
    plotted = [pt for pt in points if not pt["small"] and pt["srb"] is not None]
    top = max([pt["births"] for pt in plotted] + [max(min_births, 10)]) * 1.15
    first = float(max(min_births, 1))
    while funnel_limits(target, first) is None:  # a limit at 0 or ∞ cannot be drawn
        first += 1
    first = min(first, top)
    limits = []
    for k in range(81):
        n = first + (top - first) * (k / 80) ** 2  # denser where the funnel is wide
        lo_r, hi_r = funnel_limits(target, n) or (None, None)
        limits.append(
            [round_half_up(n, 1), None if lo_r is None else round_half_up(lo_r, 2), None if hi_r is None else round_half_up(hi_r, 2)]
        )
    ys = [target, *(pt["srb"] for pt in plotted), *(x for r in limits for x in r[1:] if x is not None)]
    return {
        "period": p,
        "target": target,
        "min_births": min_births,
        "reference": None if ref.small or ref.value is None else ref.value,
        "reference_births": n_ref,
        "points": points,
        "limits": limits,
        "max_births": math.ceil(top),
        "y_min": max(0, math.floor(min(ys) / 10) * 10 - 10),
        "y_max": math.ceil(max(ys) / 10) * 10 + 10,
    }


# --------------------------------------------------------------------------------- page


def _chart_labels(lang: str) -> dict:
    return {
        "male": gettext(lang, "Male"),
        "female": gettext(lang, "Female"),
        "persons": gettext(lang, "Persons"),
        "births": gettext(lang, "Births"),
        "age": gettext(lang, "Age group"),
        "srb": gettext(lang, "Sex ratio at birth"),
        "within": gettext(lang, "Within the limits"),
        "outside": gettext(lang, "Outside the limits"),
        "limits": gettext(lang, "95% limits"),
        "reference": gettext(lang, "Target ratio"),
    }


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: CurrentUser):
    acc = user.account
    scope = user.scope
    unit = user.unit
    role, lg, day = Role(acc.role), _lang(request), today()
    can_pop, can_rep = allows(role, "population:read"), allows(role, "report:read")
    ctx: dict = {
        "unit_code": unit.code if unit else "",
        "admin_only": not (can_pop or can_rep),
        "figures": None,
        "backlog": None,
        "charts": None,
        "funnel": None,
        "problem": None,
        "may_reports": can_rep or allows(role, "ledger:read"),
        "may_indicators": can_rep,
        "srb_min_births": request.app.state.settings.srb_min_births,
        "queues": work.pending(request, user, day),  # counted on every visit: the work changes with every step
    }
    stats = request.app.state.stats
    if unit is not None and (can_pop or can_rep):
        # the figures of a unit change only with a saved change (or the day): kept per change number
        cache = _cache(request.app)
        key = (unit.code, can_pop, can_rep, lg, day, stats.model().seq)
        hit = cache.get(key)
        if hit is None:
            hit = _figures(request, stats, unit, scope, day, lg, can_pop, can_rep)
            while len(cache) >= 512:
                cache.pop(next(iter(cache)))
            cache[key] = hit
        ctx.update(hit)
    return render(request, "dashboard.html", user, title=gettext(lg, "Home"), **ctx)


def _cache(app) -> dict[tuple, dict]:
    """The application's dashboard figures, by unit, permissions, language, day and change number."""
    if not hasattr(app.state, "dashboard_cache"):
        app.state.dashboard_cache = {}
    return app.state.dashboard_cache


def _figures(request: Request, stats, unit, scope, day: dt.date, lg: str, can_pop: bool, can_rep: bool) -> dict:
    ctx: dict = {}
    charts: dict = {"labels": _chart_labels(lg)}
    try:
        ctx["figures"] = key_figures(stats, unit.code, scope, day, lg, events=can_rep, population=can_pop)
        if can_rep:
            charts["births"] = births_by_month(stats, unit.code, scope, day)
            level = CHILD_LEVEL.get(unit.level)
            st = stats.settings
            f = funnel(stats, unit.code, level, scope, day, target=st.srb_target, min_births=st.srb_min_births) if level else None
            if f is not None:
                period = f.pop("period")
                ctx["funnel"] = {**f, "label": period.label_en if lg == "en" else period.label}
                charts["funnel"] = f
            elif level:
                ctx["funnel"] = {"empty": True}
        if can_pop:
            charts["pyramid"] = pyramid(stats, unit.code, scope, day)
    except UserError as exc:  # e.g. a unit that is not a population unit
        ctx["problem"] = exc.en if lg == "en" else exc.zh
    ctx["charts"] = charts
    if can_pop:
        with request.app.state.db.read() as s:
            ctx["backlog"] = backlog(s, scope, day)
    return ctx
