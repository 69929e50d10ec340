"""The work queues on the home page (renkou.work.queues: each kind the account's role may work on,
counted within its area, with the page that lists it) and the one list that had no page of its own:

    /work/births-without-id     persons of the area born alive who have no ID number yet, the longest
                                waiting first, a page at a time (renkou.web.paging)
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from renkou.auth.roles import Permission
from renkou.web import paging
from renkou.web.deps import User, officer, require
from renkou.web.i18n import gettext, language_of
from renkou.web.imports.jobs import with_problems
from renkou.web.render import render
from renkou.work import queues

router = APIRouter(include_in_schema=False)


def pending(request: Request, user: User, day: dt.date) -> list[dict]:
    """The account's queues as the home page shows them: key, label, count and link."""
    lg = language_of(request)
    off = officer(request, user)
    ctx = queues.Context(
        day, import_problems=lambda: len(with_problems(request.app.state.import_dir, user)), locate=request.app.state.stats.locate
    )
    with request.app.state.db.read() as s:
        found = queues.pending(s, off, ctx)
    return [{"key": q.key, "label": q.label(lg), "count": q.count, "link": q.link} for q in found]


@router.get("/work/births-without-id", response_class=HTMLResponse)
def births_without_id(request: Request, user: Annotated[User, Depends(require(Permission.PERSON_READ))]):
    lg = language_of(request)
    off = officer(request, user)
    day = dt.date.today()
    with request.app.state.db.read() as s:
        locate = request.app.state.stats.locate
        pg = paging.asked(request, queues.count_births_without_id(s, off, queues.Context(day, locate=locate)))
        _, rows = queues.births_without_id(s, off, today=day, offset=pg.offset, limit=pg.size, locate=locate)
    return render(
        request,
        "work/births_without_id.html",
        user,
        title=gettext(lg, "Births without an ID number yet"),
        rows=rows,
        pg=pg,
        may_write=user.may(Permission.PERSON_WRITE),
    )
