"""The application factory: builds the FastAPI application — its state (database, sessions, the
statistics and eligibility services), the CSRF guard, the security headers, the handlers that turn
the callers' refusals into pages or JSON — and includes every router once.

No page lives here: each section has its module (account, dashboard, reports, api) or folder
(registry/, imports/, admin/, benefits/).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from renkou.auth.roles import Role, allows
from renkou.config import Settings, data_dir
from renkou.core import numbers
from renkou.stats.service import Stats
from renkou.storage.db import Database
from renkou.web import account, api, benefits, dashboard, indicators, pickers, reports, timefmt, work
from renkou.web.admin import audit as admin_audit
from renkou.web.admin import users as admin_users
from renkou.web.deps import NotPermitted, PasswordChangeRequired, SecondFactorRequired, SignInRequired, identify
from renkou.web.i18n import gettext, language_of
from renkou.web.imports import pages as imports_pages
from renkou.web.registry import forms, forms_correct
from renkou.web.registry import pages as registry_pages
from renkou.web.render import denied, message
from renkou.web.security import LoginThrottle, SecurityHeaders, Sessions, TrustedProxies, UnstorableInput, csrf_guard, text_guard
from renkou.web.uploads import UploadGuard

__all__ = ["create_app"]

HERE = Path(__file__).parent


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _sign_in(request: Request, exc: SignInRequired) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": "未登录或令牌无效 / not signed in or invalid token"}, status_code=401)
    return RedirectResponse("/login", status_code=303)


async def _second_factor(request: Request, exc: SecondFactorRequired) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": "须先设置动态验证码 / set up the one-time code first"}, status_code=403)
    return RedirectResponse("/account/totp", status_code=303)


async def _password_change(request: Request, exc: PasswordChangeRequired) -> Response:
    if _is_api(request):
        return JSONResponse(
            {"detail": "须先修改管理员设置的初始密码 / change the password the administrator gave you first"}, status_code=403
        )
    return RedirectResponse("/account/password", status_code=303)


async def _not_permitted(request: Request, exc: NotPermitted) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": f"无权限 {exc.permission} / not permitted: {exc.permission}"}, status_code=403)
    return denied(request, exc.user)


async def _invalid(request: Request, exc: RequestValidationError) -> Response:
    """A path that names nothing (an id beyond 64 bits, a word for a number) is not found; a bad query
    value on a page is a 400 page; the API keeps its JSON 422."""
    lg = language_of(request)
    if any(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
        if _is_api(request):
            return JSONResponse({"detail": "not found"}, status_code=404)
        return message(request, identify(request), 404, gettext(lg, "Not found"), gettext(lg, "No such page."))
    if _is_api(request):  # the values as sent, bytes that are not UTF-8 included
        errors = jsonable_encoder(exc.errors(), custom_encoder={bytes: lambda b: b.decode("utf-8", "replace")})
        return JSONResponse({"detail": errors}, status_code=422)
    return message(request, identify(request), 400, gettext(lg, "Bad request"), gettext(lg, "A value in the address is not valid."))


async def _unstorable(request: Request, exc: UnstorableInput) -> Response:
    lg = language_of(request)
    text = gettext(lg, "A value entered contains the character NUL, which cannot be saved; remove it and try again.")
    if _is_api(request):
        return JSONResponse({"detail": text}, status_code=400)
    return message(request, identify(request), 400, gettext(lg, "Bad request"), text)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """A refusal raised as an HTTP error (an address that names no page, a method a page does not take,
    an expired form): the API keeps its JSON; a browser gets a page in its language, never raw JSON."""
    if _is_api(request):
        return await http_exception_handler(request, exc)
    lg = language_of(request)
    if exc.status_code == 404:
        title, text = gettext(lg, "Not found"), gettext(lg, "No such page.")
    elif exc.status_code == 405:
        title, text = gettext(lg, "Bad request"), gettext(lg, "This address does not take that kind of request.")
    elif exc.status_code == 403:  # the CSRF guard's refusal, its text already in the page's language
        title = gettext(lg, "Not permitted")
        text = exc.detail if isinstance(exc.detail, str) and exc.detail else gettext(lg, "Your role may not open this page.")
    else:
        title, text = gettext(lg, "Bad request"), gettext(lg, "The request could not be handled.")
    page = message(request, _user_or_none(request), exc.status_code, title, text)
    for k, v in (exc.headers or {}).items():
        page.headers[k] = v
    return page


async def _server_error(request: Request, exc: Exception) -> Response:
    """An unexpected failure: a short page in the page's language (JSON under /api/), nothing of the error itself."""
    lg = language_of(request)
    if _is_api(request):
        return JSONResponse({"detail": "服务器内部错误 / internal server error"}, status_code=500)
    return message(
        request,
        _user_or_none(request),
        500,
        gettext(lg, "Server error"),
        gettext(lg, "Something went wrong on the server; try again later."),
    )


def _user_or_none(request: Request):
    """The signed-in account for an error page's header, or None when even that cannot be read."""
    try:
        return identify(request)
    except Exception:  # noqa: BLE001 - an error page must render whatever broke
        return None


class _App(FastAPI):
    def build_middleware_stack(self):
        """The security headers wrap the whole stack, Starlette's server-error handler included: a 500 page
        carries them like every other answer."""
        return SecurityHeaders(super().build_middleware_stack())


def create_app(db: Database, *, secret: str | None = None, secure_cookies: bool = True, settings: Settings | None = None) -> FastAPI:
    # the OpenAPI description is served by renkou.web.api to signed-in callers only
    app = _App(
        title="renkou 人口", docs_url=None, redoc_url=None, openapi_url=None, dependencies=[Depends(csrf_guard), Depends(text_guard)]
    )
    app.state.db = db
    app.state.sessions = Sessions(secret or secrets.token_urlsafe(48), secure=secure_cookies)
    app.state.throttle = LoginThrottle()
    app.state.settings = settings or Settings.from_env()
    app.state.import_dir = data_dir(app.state.settings, db.url) / "imports"  # uploaded files, until checked and committed
    app.state.stats = Stats(db, app.state.settings)  # one per process: its model is brought up to the last saved change on every use
    app.state.eligibility = None  # the eligibility service, made on first use (renkou.web.benefits.common.eligibility)
    templates = app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.add_middleware(UploadGuard)  # size and sign-in checked before a request's body is read
    app.add_middleware(TrustedProxies, proxies=app.state.settings.trusted_proxies)  # the client's address for all that follows

    templates.env.globals["may"] = lambda acc, permission: allows(Role(acc.role), permission)  # navigation links
    templates.env.globals["languages"] = account.LANGUAGE_NAMES  # the language switch, each language named in itself
    pickers.register(templates.env)  # period_view and unit_keys for the macros of templates/pickers.html
    timefmt.install(templates.env, app.state.settings)  # {{ moment|localtime }}: a stored UTC time in the configured zone
    # the one rule for printing numbers (renkou.core.numbers): {{ n|count }}, {{ x|average(1) }}, {{ r|rate(2, "‰") }}, {{ a|money }}, {{ a|wan }}
    for name in ("count", "average", "rate", "money", "wan"):
        templates.env.filters[name] = getattr(numbers, name)

    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(PasswordChangeRequired, _password_change)
    app.add_exception_handler(SecondFactorRequired, _second_factor)
    app.add_exception_handler(NotPermitted, _not_permitted)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(UnstorableInput, _unstorable)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    app.include_router(account.router)
    app.include_router(api.router)
    app.include_router(reports.api)
    app.include_router(dashboard.router)  # before the pages: its "/" is the home page
    app.include_router(reports.router)
    app.include_router(indicators.router)
    app.include_router(work.router)
    app.include_router(imports_pages.router)
    app.include_router(admin_audit.router)
    app.include_router(admin_users.router)
    for section in benefits.ROUTERS:
        app.include_router(section)
    app.include_router(registry_pages.router)
    app.include_router(forms.router)
    app.include_router(forms_correct.router)
    return app
