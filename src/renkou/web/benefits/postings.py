"""The public postings (公示) of the account's villages: the applications the village has reviewed and
that wait to be posted, the postings with their days, ending one once its days have passed, and the
printable notice (PDF or XLSX: names, masked ID numbers, village, programme, the year's amount) —
renkou.benefits.cycle.posting decides every step.

    /benefits/postings                    waiting applications and the postings; POST starts one
    /benefits/postings/{n}/end            end a posting (its applications go to the township)
    /benefits/postings/{n}/notice.pdf     the notice to put up (also .xlsx)
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from renkou.auth.roles import Permission
from renkou.benefits.cycle import applications, posting
from renkou.core.problems import problem
from renkou.errors import UserError
from renkou.registry.orgs import Hierarchy
from renkou.web.benefits import common
from renkou.web.deps import Id, User, require
from renkou.web.i18n import gettext, language_of

router = APIRouter(include_in_schema=False)
NOTICE_FORMATS = ("pdf", "xlsx")


def _village_of(h: Hierarchy, unit_id: int):
    """The village (村居) that holds ``unit_id`` (itself, or the village above a group)."""
    for u in reversed(h.path(h.resolve(unit_id) or unit_id)):
        if u.level == "village":
            return u
    return None


def _page(request: Request, user, *, status: int = 200, error=None, v: dict | None = None):
    lg = language_of(request)
    today = dt.date.today()

    def view(s, off):
        h = Hierarchy.as_of(s, today)
        waiting: dict[tuple, int] = {}
        for a in applications.list_applications(s, off, status="village_reviewed"):
            village = _village_of(h, a.unit_id)
            if village is not None:
                key = (village.code, village.name, a.programme, a.year)
                waiting[key] = waiting.get(key, 0) + 1
        rows = []
        for p, n in posting.list_postings(s, off):
            unit = h.units.get(h.resolve(p.unit_id) or p.unit_id)
            last = posting.last_day(p)
            rows.append(
                {
                    "n": p.id,
                    "programme": common.programme_name(request, p.programme, lg),
                    "year": p.year,
                    "village": unit.name if unit else "",
                    "starts_on": p.starts_on.isoformat(),
                    "last_day": last.isoformat(),
                    "ends_from": (last + dt.timedelta(days=1)).isoformat(),
                    "closed_on": p.closed_on.isoformat() if p.closed_on else "",
                    "may_end": p.closed_on is None and last < today,
                    "applications": n,
                }
            )
        return [
            {
                "village": code,
                "village_name": name,
                "programme": prog,
                "programme_name": common.programme_name(request, prog, lg),
                "year": year,
                "n": n,
            }
            for (code, name, prog, year), n in sorted(waiting.items())
        ], rows

    got, r = common.read(request, user, view)
    if r is not None:
        return common.refused(request, user, r)
    waiting, rows = got
    return common.page(
        request,
        "benefits/postings.html",
        user,
        status=status,
        title=gettext(lg, "Public postings"),
        waiting=waiting,
        rows=rows,
        days=request.app.state.settings.benefit_posting_days,
        error=error,
        v=v or {},
    )


@router.get("/benefits/postings", response_class=HTMLResponse)
def postings(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))]):
    return _page(request, user)


@router.post("/benefits/postings", response_class=HTMLResponse)
def post(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_APPLY))], form: common.Posted):
    lg = language_of(request)
    v = common.fields(form, ("programme", "year", "village", "date"))
    probs = []
    year = common.number(v["year"], "year", probs)
    on = common.day(v["date"], "date", probs)
    if not v["programme"]:
        probs.append(problem("required", "programme", ""))
    if not v["village"]:
        probs.append(problem("required", "village", ""))
    if probs:
        return _page(request, user, status=400, error=common.problems_refusal(probs, lg), v=v)
    settings = request.app.state.settings
    _, r = common.act(
        request,
        user,
        lambda s, off: posting.post(s, off, settings, programme=v["programme"], year=year, village=v["village"], starts_on=on),
    )
    if r is not None:
        return _page(request, user, status=r.status, error=r, v=v)
    return common.back("/benefits/postings", "posted")


@router.post("/benefits/postings/{number}/end", response_class=HTMLResponse)
def end(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_APPLY))], number: Id, form: common.Posted):
    lg = language_of(request)
    v = common.fields(form, ("date",))
    probs = []
    on = common.day(v["date"], "date", probs)
    if probs:
        return _page(request, user, status=400, error=common.problems_refusal(probs, lg), v=v)
    _, r = common.act(request, user, lambda s, off: posting.end_posting(s, off, number, on=on))
    if r is not None:
        return _page(request, user, status=r.status, error=r, v=v)
    return common.back("/benefits/postings", "post_end")


@router.get("/benefits/postings/{number}/notice.{fmt}")
def notice(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], number: Id, fmt: str):
    lg = language_of(request)
    if fmt not in NOTICE_FORMATS:
        return common.refused(request, user, common.Refusal(404, gettext(lg, "No such file.")))
    eligibility = common.eligibility(request)
    t, r = common.read(
        request,
        user,
        lambda s, off: posting.notice(
            s, off, eligibility, eligibility.programmes, number, prepared_by=user.account.display_name or user.account.username
        ),
    )
    if r is not None:
        return common.refused(request, user, r)
    from renkou.stats import render

    try:
        data = render.to_pdf(t, lg) if fmt == "pdf" else render.to_xlsx(t, lg)
    except UserError as exc:  # no CJK font installed on the server: the operator's message
        return common.refused(request, user, common.refusal(exc, lg))
    name = f"{t.title if lg == 'zh' else t.title_en}-{t.unit_name}"
    return common.attachment(data, fmt, name, f"benefit-notice-{number}")
