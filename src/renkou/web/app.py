"""The application factory and the pages of the shell: sign in, sign out, home."""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from renkou.auth import accounts
from renkou.config import Settings
from renkou.storage.db import Database
from renkou.web.i18n import LANGUAGES, gettext, language_of as lang
from renkou.web.security import COOKIE, UNSAFE, SecurityHeaders, Session, Sessions, csrf_ok

HERE = Path(__file__).parent
THROTTLE_FAILURES = 20  # failed sign-ins from one address ...
THROTTLE_SECONDS = 600  # ... within this window, then refused for the rest of it
LANGUAGE_NAMES = (("zh", "中文"), ("en", "English"))
LANG_COOKIE_DAYS = 365


class _Throttle:
    def __init__(self) -> None:
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, addr: str, now: float) -> bool:
        q = self.failures[addr]
        while q and q[0] < now - THROTTLE_SECONDS:
            q.popleft()
        return len(q) >= THROTTLE_FAILURES

    def fail(self, addr: str, now: float) -> None:
        self.failures[addr].append(now)


def same_site_path(app: FastAPI, target: str) -> str:
    """``target`` if it is a path of this application that answers GET (with its query), else "/"."""
    from urllib.parse import urlsplit

    from starlette.routing import Match

    if not target.startswith("/") or target.startswith(("//", "/\\")) or any(c in target for c in "\r\n\t\\"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    scope = {"type": "http", "path": parts.path, "method": "GET", "root_path": ""}
    if any(route.matches(scope)[0] == Match.FULL for route in app.router.routes):
        return target
    return "/"


async def presented_token(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    form = await request.form()
    value = form.get("csrf_token")
    return value if isinstance(value, str) else None


def create_app(db: Database, *, secret: str | None = None, secure_cookies: bool = True, settings: Settings | None = None) -> FastAPI:
    async def csrf_guard(request: Request) -> None:
        """Every state-changing request that carries the session cookie carries its CSRF token (a
        dependency of the whole application, so no route can forget it; the parsed form is cached
        on the request for the route)."""
        if request.method not in UNSAFE:
            return
        if COOKIE in request.cookies:
            if csrf_ok(app.state.sessions.read(request.cookies.get(COOKIE)), await presented_token(request)):
                return
        elif request.headers.get("authorization", "").lower().startswith("bearer "):
            return  # API clients authenticate by token and send no cookie
        await request.close()  # an uploaded file of the refused form goes at once
        raise HTTPException(status_code=403, detail=gettext(lang(request), "The form has expired or did not come from this site; reload the page and try again."))

    app = FastAPI(title="renkou 人口", docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json",
                  dependencies=[Depends(csrf_guard)])
    app.state.db = db
    app.state.sessions = Sessions(secret or secrets.token_urlsafe(48), secure=secure_cookies)
    app.state.throttle = _Throttle()
    from renkou.stats.service import Stats

    app.state.settings = settings or Settings.from_env()
    app.state.stats = Stats(db, app.state.settings)  # one per process: its model is brought up to the last saved change on every use
    app.state.benefits = None  # the eligibility service, made on first use (renkou.web.benefits.common.rules)
    templates = app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    from renkou.web.api import router as api_router

    from renkou.web import benefits, dashboard, reports
    from renkou.web.admin import audit as admin_audit, users as admin
    from renkou.web.imports import pages as imports
    from renkou.web.registry.pages import router as pages_router

    app.include_router(api_router)
    app.include_router(reports.api)
    app.include_router(dashboard.router)  # before the pages: its "/" is the home page
    app.include_router(reports.router)
    app.include_router(imports.router)
    app.include_router(admin_audit.router)
    app.include_router(admin.router)
    app.include_router(benefits.router)
    app.include_router(pages_router)
    from renkou.auth.roles import Role, allows

    templates.env.globals["may"] = lambda account, permission: allows(Role(account.role), permission)  # navigation links
    templates.env.globals["languages"] = LANGUAGE_NAMES  # the language switch, each language named in itself

    def session_of(request: Request) -> Session | None:
        return app.state.sessions.read(request.cookies.get(COOKIE))

    def render(request: Request, name: str, sess: Session, status: int = 200, **ctx) -> HTMLResponse:
        lg = lang(request)
        return templates.TemplateResponse(request, name, {"lang": lg, "_": lambda m: gettext(lg, m), "csrf": sess.csrf, **ctx},
                                          status_code=status)

    def anonymous(request: Request) -> tuple[Session, str | None]:
        """The pre-login session (account 0) that carries the sign-in form's CSRF token."""
        sess = session_of(request)
        if sess is not None:
            return sess, None
        cookie, sess = app.state.sessions.issue(0)
        return sess, cookie

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request):
        sess, cookie = anonymous(request)
        resp = render(request, "account/login.html", sess, title=gettext(lang(request), "Sign in"), error=None, username="")
        if cookie:
            resp.set_cookie(value=cookie, **app.state.sessions.cookie_args())
        return resp

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request):
        form = await request.form()
        addr = request.client.host if request.client else "?"
        now = time.time()
        sess = session_of(request)
        lg = lang(request)
        if app.state.throttle.blocked(addr, now):
            return render(request, "account/login.html", sess, status=429, title=gettext(lg, "Sign in"),
                          error=gettext(lg, "Too many failed sign-ins; try again later."), username="")
        try:
            login = accounts.authenticate(db, str(form.get("username", "")), str(form.get("password", "")),
                                          totp_code=str(form.get("totp", "")) or None, channel="web", origin=addr)
        except accounts.LoginFailed as exc:
            app.state.throttle.fail(addr, now)
            msg = exc.zh if lg == "zh" else exc.en
            # the form again with the message (200: a browser page, not an API answer)
            return render(request, "account/login.html", sess, title=gettext(lg, "Sign in"), error=msg, username=str(form.get("username", "")))
        cookie, _ = app.state.sessions.issue(login.account_id)  # a new session (and token) at every sign-in
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(value=cookie, **app.state.sessions.cookie_args())
        return resp

    @app.post("/lang")
    async def set_language(request: Request):
        """The language switch of every page: sets the ``lang`` cookie and goes back to the page (a
        path of this site with a GET route; anything else goes home)."""
        form = await request.form()  # the CSRF check has parsed it
        resp = RedirectResponse(same_site_path(app, str(form.get("next", ""))), status_code=303)
        choice = str(form.get("lang", ""))
        if choice in LANGUAGES:
            resp.set_cookie("lang", choice, max_age=LANG_COOKIE_DAYS * 86400, path="/", samesite="strict",
                            secure=app.state.sessions.secure, httponly=False)
        return resp

    @app.post("/logout")
    def logout():
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    return app
