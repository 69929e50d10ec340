"""Registration forms (issue 5): birth, death, marriage, divorce, move, and the correction or
retraction of one event — each a GET that shows the form and a POST that validates and saves it.

* Server-side validation by the registry's own checks; on any problem the form comes back (400)
  with the values kept and each problem's message next to its field, and nothing is saved.
* Every person and unit a form names must lie in the account's area (404 otherwise, like the person
  pages); the app-wide CSRF check refuses a POST without the session's token.
* A birth first looks for people of the account's area who may already be registered
  (renkou.registry.persons.possible_duplicates) and saves only once the user confirms that the child
  is a different person.
* On success: 303 to the person's page, which confirms what was saved.

The forms of each kind live in forms_birth, forms_events and forms_correct (which has its own
router); this module makes the routes of the registration forms, with the index of the forms and the
person picker (an HTMX partial).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from renkou.auth.roles import Permission
from renkou.errors import NotFound, UserError, ValidationFailed
from renkou.web.deps import User, require
from renkou.web.i18n import gettext, language_of
from renkou.web.registry import forms_birth, forms_events
from renkou.web.registry.forms_common import (
    PICKERS,
    Again,
    Entered,
    OutsideUnit,
    Spec,
    actor,
    after_save,
    entered,
    errors_of,
    person_field,
    pickers,
    search_people,
    unit_options,
)
from renkou.web.render import person_not_in_area, render, unit_not_in_area

router = APIRouter(include_in_schema=False)
SPECS: tuple[Spec, ...] = (forms_birth.SPEC, *forms_events.SPECS)


def show(
    request: Request, user, spec: Spec, values: dict[str, str], *, status: int = 200, problems=(), searched: str = "", **ctx
) -> HTMLResponse:
    lg = language_of(request)
    with request.app.state.db.read() as s:
        picks = pickers(s, user, values, spec.pickers, searched)
        units = unit_options(s, user, county_wide=spec.units == "county") if spec.units else []
        more = spec.context(s, user, values) if spec.context else {}
    ctx = {"dupes": [], "warnings": {}, "seen": "", **more, **ctx}
    return render(
        request,
        spec.template,
        user,
        status=status,
        title=spec.title(lg),
        action=spec.path,
        v=values,
        pick=picks,
        units=units,
        errors=errors_of(list(problems), lg),
        kind=spec.kind,
        **ctx,
    )


def _routes(spec: Spec) -> None:
    allowed = Depends(require(*spec.permissions))

    def form_page(request: Request, user: User = allowed):
        values = {n: request.query_params.get(n, "").strip() for n in spec.prefill}
        e = Entered(values, user, language_of(request))
        with request.app.state.db.read() as s:
            try:  # a person preset by the link must be in the area too
                for n in spec.pickers:
                    person_field(s, e, n)
            except NotFound:
                return person_not_in_area(request, user)
        return show(request, user, spec, values)

    async def save(request: Request, user: User = allowed):
        e = await entered(request, user, spec.submitted)
        db = request.app.state.db
        try:
            if e["find"] in spec.pickers:  # the search button of a picker (without JavaScript): nothing is saved
                with db.read() as s:
                    for n in spec.pickers:
                        person_field(s, e, n)
                return show(request, user, spec, e.values, searched=e["find"])
            with db.write(actor(request, user), note=f"web form: {spec.kind}") as s:
                pid = spec.save(s, e)
        except OutsideUnit:
            return unit_not_in_area(request, user)
        except NotFound:
            return person_not_in_area(request, user)
        except Again as again:
            return show(request, user, spec, e.values, status=again.status, problems=again.problems, **again.ctx)
        except ValidationFailed as exc:
            return show(request, user, spec, e.values, status=400, problems=exc.problems)
        except UserError as exc:
            return show(request, user, spec, e.values, status=400, general=exc.en if e.lang == "en" else exc.zh)
        return after_save(request, user, pid, spec.kind)

    router.add_api_route(spec.path, form_page, methods=["GET"], response_class=HTMLResponse)
    router.add_api_route(spec.path, save, methods=["POST"], response_class=HTMLResponse)


for _spec in SPECS:
    _routes(_spec)


@router.get("/register", response_class=HTMLResponse)
def index(request: Request, user: Annotated[User, Depends(require(Permission.EVENT_WRITE))], saved: str = ""):
    """The registration forms this account may use."""
    lg = language_of(request)
    note = gettext(lg, "Saved. The person is no longer in your area, so their page is no longer open to you.") if saved == "left" else ""
    return render(
        request,
        "registry/form_index.html",
        user,
        title=gettext(lg, "Register an event"),
        note=note,
        forms=[{"path": s.path, "title": s.title(lg)} for s in SPECS],
    )


@router.get("/register/pick/{field}", response_class=HTMLResponse)
def pick(request: Request, user: Annotated[User, Depends(require(Permission.EVENT_WRITE))], field: str):
    """The people of the area matching a picker's search text, as radio buttons (HTMX swaps them in);
    for the father of a birth, without a search text but with the mother picked, her husband."""
    if field not in PICKERS:
        return person_not_in_area(request, user)
    if field == "father" and "mother" in request.query_params and "father_q" not in request.query_params:
        with request.app.state.db.read() as s:
            linked = forms_birth.spouse_rows(s, user, request.query_params["mother"])
        return render(request, "registry/form_pick.html", user, title="", field=field, linked=linked)
    q = request.query_params.get(f"{field}_q", "")
    with request.app.state.db.read() as s:
        rows = search_people(s, user, q, PICKERS[field])
    return render(
        request,
        "registry/form_pick.html",
        user,
        title="",
        field=field,
        rows=rows,
        chosen=None,
        searched=bool(q.strip()),
        optional=field == "father",
    )
