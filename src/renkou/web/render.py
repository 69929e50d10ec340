"""The one way a page is rendered: a template of web/templates with what every page shows — the
language and its translations, the session's CSRF token for forms, the account with its role and unit
(for the header and the navigation), today's date for date fields.

Sections add their own context (the benefit pages' ``renkou.web.benefits.common.page``) and call this.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from renkou.auth.roles import ROLES
from renkou.web.deps import User
from renkou.web.i18n import gettext, language_of
from renkou.web.security import Session

__all__ = ["denied", "message", "person_not_in_area", "render", "unit_not_in_area"]


def render(
    request: Request, name: str, user: User | None, status: int = 200, *, session: Session | None = None, **ctx: Any
) -> HTMLResponse:
    """The template ``name`` for ``user`` (None before sign-in: then ``session`` is the pre-login one)."""
    lg = language_of(request)
    base: dict[str, Any] = {"lang": lg, "_": lambda m: gettext(lg, m), "today": dt.date.today().isoformat()}
    if user is not None:
        info = ROLES[user.role]
        base.update(
            csrf=user.csrf,
            account=user.account,
            role_name=info.zh if lg == "zh" else info.en,
            unit_name=user.unit.name if user.unit else "",
        )
    else:
        base.update(csrf=session.csrf if session else "")
    return request.app.state.templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status)


def message(request: Request, user: User | None, status: int, title: str, text: str) -> HTMLResponse:
    """A page with a title and one message (not found, not permitted...), both already in the page's language."""
    return render(request, "message.html", user, status=status, title=title, message=text)


def denied(request: Request, user: User) -> HTMLResponse:
    """The 403 page of a role that may not open a page (also what ``require`` refusals become)."""
    lg = language_of(request)
    return message(request, user, 403, gettext(lg, "Not permitted"), gettext(lg, "Your role may not open this page."))


def person_not_in_area(request: Request, user: User | None) -> HTMLResponse:
    """404 for a person outside the account's area: the same page whether or not the person exists."""
    lg = language_of(request)
    return message(request, user, 404, gettext(lg, "Not found"), gettext(lg, "No such person in your area."))


def unit_not_in_area(request: Request, user: User | None) -> HTMLResponse:
    """404 for a unit outside the account's area: outside and unknown look alike."""
    lg = language_of(request)
    return message(request, user, 404, gettext(lg, "Not found"), gettext(lg, "No such unit in your area."))
