"""Exits and the yearly re-confirmation (/benefits/exits, /benefits/reconfirm): the list of exit
proposals and their decisions, "look for exits" in the registry's events, confirming or dismissing a
proposal, and re-confirming a programme's recipients for a new year.

A thin shell over renkou.benefits.cycle.exits and renewal: the services decide who may look for exits
(benefit:review or benefit:confirm), decide them and re-confirm (benefit:confirm), whose records an
account sees (its area: another township's exit is "not found"), and what a decision needs (the
receiving county's notice for a move away, a reason for a dismissal). The forms are only offered to
the roles that may use them; a refusal shows the list again with the service's message, and nothing
is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from renkou.auth.roles import Permission
from renkou.benefits.cycle import exit_workflow, exits, renewal
from renkou.benefits.eligibility.decision import in_language
from renkou.core.problems import Problem
from renkou.storage.schema import BenefitRecipient, Person
from renkou.web import paging
from renkou.web.benefits.common import (
    DONE,
    Posted,
    Refusal,
    act,
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
)
from renkou.web.deps import Id, User, db_id, require
from renkou.web.i18n import gettext, language_of
from renkou.web.pickers import year_of

router = APIRouter(include_in_schema=False)
STATUSES = tuple(exit_workflow.STATUSES)
PAGE = paging.DEFAULT_SIZE  # exits shown at a time unless ?size= asks for another of paging.SIZES (read per request)


def _names(s, person_ids) -> dict[int, str]:
    ids = sorted(set(person_ids))
    return dict(s.execute(select(Person.id, Person.name).where(Person.id.in_(ids or [-1]))).all())


def _row(e, rec, names: dict[int, str], lg: str) -> dict:
    return {
        "id": e.id,
        "programme": rec.programme,
        "recipient": rec.id,
        "name": names.get(rec.person_id, ""),
        "cause": e.cause,
        "effective_on": e.effective_on.isoformat(),
        "detail": in_language(e.detail, lg),
        "status": e.status,
        "notice": e.notice or "",
        "proposed_on": e.proposed_on.isoformat(),
        "decided_on": e.decided_on.isoformat() if e.decided_on else "",
        "decided_by": e.decided_by or "",
        "reason": e.reason,
    }


def _list(request: Request, user, *, status: int = 200, error: Refusal | None = None, form: dict | None = None) -> HTMLResponse:
    """The exits page: the filtered list (``?status=``, ``?programme=``), the newest first, counted and a page
    at a time (renkou.web.paging), and the forms the account may use."""
    lg = language_of(request)
    want = request.query_params.get("status", "").strip()
    prog = request.query_params.get("programme", "").strip()

    which = {"status": want or None, "programme": prog or None}
    keep = tuple((k, v) for k, v in (("status", want), ("programme", prog)) if v)

    def rows(s, off):
        pg = paging.asked(request, exits.count_exits(s, off, **which), default_size=PAGE, path="/benefits/exits", query=keep)
        found = exits.list_exits(s, off, **which, offset=pg.offset, limit=pg.size, newest_first=True)
        names = _names(s, [rec.person_id for _, rec in found])
        return [_row(e, rec, names, lg) for e, rec in found], pg

    got, refusal = read(request, user, rows)
    if refusal is not None and error is None:
        error, status = refusal, refusal.status
    found, pg = got or ([], paging.page_of(1, None, 0, path="/benefits/exits", query=keep, default_size=PAGE))
    off = officer(request, user)
    new = request.query_params.get("new", "")
    return page(
        request,
        "benefits/exits.html",
        user,
        status=status,
        title=gettext(lg, "Exits and re-confirmation"),
        error=error,
        rows=found,
        pg=pg,
        statuses=STATUSES,
        causes=exits.CAUSES,
        filters={"status": want, "programme": prog},
        programmes=[(k, programme_name(request, k, lg)) for k in programmes(request)],
        programme_name=lambda k: programme_name(request, k, lg),
        new=db_id(new),
        can_detect=off.may("benefit:review") or off.may("benefit:confirm"),
        can_decide=off.may("benefit:confirm"),
        can_reconfirm=off.may("benefit:confirm"),
        form=form or {},
        this_year=dt.date.today().year,
    )


@router.get("/benefits/exits", response_class=HTMLResponse)
def exits_page(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))]):
    return _list(request, user)


@router.post("/benefits/exits/detect", response_class=HTMLResponse)
def detect(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], form: Posted):
    """Look for exits in the registry's events by a date, for one programme or all."""
    lg = language_of(request)
    v = fields(form, ("date", "programme"))
    probs: list[Problem] = []
    on = day(v["date"], "date", probs)
    if probs:
        return _list(request, user, status=400, error=problems_refusal(probs, lg), form={"detect": v})

    def run(s, off):
        if v["programme"]:
            eligibility(request).programme(v["programme"])  # an unknown programme is the service's refusal
        return len(exits.detect(s, off, programmes(request), as_of=on, programme=v["programme"] or None))

    n, refusal = act(request, user, run, note="detect exits")
    if refusal is not None:
        return _list(request, user, status=refusal.status, error=refusal, form={"detect": v})
    return back("/benefits/exits?" + urlencode({"new": n}), "detected")


def _decide(request: Request, user: User, form, n: int, confirm: bool):
    lg = language_of(request)
    v = fields(form, ("date", "notice", "reason"))
    probs: list[Problem] = []
    on = day(v["date"], "date", probs)
    form = {"exit": n, "confirm" if confirm else "dismiss": v}
    if probs:
        return _list(request, user, status=400, error=problems_refusal(probs, lg), form=form)
    _, refusal = act(
        request,
        user,
        lambda s, off: exits.decide(s, off, n, confirm=confirm, on=on, notice=v["notice"], reason=v["reason"]),
        reason=v["reason"],
        note=f"exit {n} {'confirm' if confirm else 'dismiss'}",
    )
    if refusal is not None:
        return _list(request, user, status=refusal.status, error=refusal, form=form)
    return back("/benefits/exits", "exit_confirmed" if confirm else "exit_dismissed")


@router.post("/benefits/exits/{n}/confirm", response_class=HTMLResponse)
def confirm(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], n: Id, form: Posted):
    """Confirm a proposed exit: the recipient ends on the exit's date."""
    return _decide(request, user, form, n, True)


@router.post("/benefits/exits/{n}/dismiss", response_class=HTMLResponse)
def dismiss(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], n: Id, form: Posted):
    """Dismiss a proposed exit, with the reason."""
    return _decide(request, user, form, n, False)


# ------------------------------------------------------------------------------------- re-confirmation


@router.post("/benefits/reconfirm", response_class=HTMLResponse)
def reconfirm(request: Request, user: Annotated[User, Depends(require(Permission.BENEFIT_READ))], form: Posted):
    """Re-confirm a programme's recipients for a year: a page with what was renewed, proposed, left waiting."""
    lg = language_of(request)
    v = fields(form, ("programme", "year", "date"))
    probs: list[Problem] = []
    v["year"] = year_of(v["year"])  # 2026 or 2026年 from the year picker
    year = number(v["year"], "year", probs, low=1950, high=9999)
    on = day(v["date"], "date", probs)
    if probs:
        return _list(request, user, status=400, error=problems_refusal(probs, lg), form={"reconfirm": v})

    def run(s, off):
        r = renewal.reconfirm(s, off, eligibility(request), programme=v["programme"], year=year, on=on)
        recs = {
            x.id: x
            for x in s.scalars(
                select(BenefitRecipient).where(
                    BenefitRecipient.id.in_([*r.renewed, *(e.recipient_id for e in r.proposed), *(w[0] for w in r.waiting)] or [-1])
                )
            )
        }
        names = _names(s, [x.person_id for x in recs.values()])
        name = lambda rid: names.get(recs[rid].person_id, "") if rid in recs else ""  # noqa: E731
        return {
            "renewed": len(r.renewed),
            "proposed": [_row(e, recs[e.recipient_id], names, lg) for e in r.proposed],
            "waiting": [{"recipient": rid, "name": name(rid), "why": (zh, en)} for rid, zh, en in r.waiting],
        }

    got, refusal = act(request, user, run, note=f"reconfirm {v['programme']} {year}")
    if refusal is not None:
        return _list(request, user, status=refusal.status, error=refusal, form={"reconfirm": v})
    return page(
        request,
        "benefits/reconfirm.html",
        user,
        title=gettext(lg, "Re-confirmation"),
        result=got,
        programme=programme_name(request, v["programme"], lg),
        year=year,
        on=on.isoformat(),
        causes=exits.CAUSES,
        done=DONE["reconfirmed"][lg == "en"],
    )
