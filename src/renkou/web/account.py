"""The account's own pages: sign in (with the throttle of failed attempts), sign out, the language
switch, changing one's password (which a password given by an administrator needs before anything
else), and setting up the second factor (TOTP) that some roles need before anything else (after the
password change).

Not here: who the caller is (renkou.web.deps), sessions and CSRF (renkou.web.security), managing other
accounts (renkou.web.admin.users).
"""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import urlsplit

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from starlette.routing import Match

from renkou.auth import accounts, passwords
from renkou.errors import ConcurrentEdit, UserError, ValidationFailed
from renkou.storage.db import Actor
from renkou.storage.schema import Account
from renkou.web.deps import User, require
from renkou.web.i18n import LANGUAGES, gettext, language_of
from renkou.web.render import render
from renkou.web.security import COOKIE, Session

__all__ = ["LANGUAGE_NAMES", "router", "same_site_path"]

router = APIRouter(include_in_schema=False)
LANGUAGE_NAMES = (("zh", "中文"), ("en", "English"))
LANG_COOKIE_DAYS = 365

# the second-factor page is open before the second factor is set up
Enrolling = Annotated[User, Depends(require(second_factor=False))]
# the change-password page is open before the password given by an administrator is changed (and before the second factor)
Changing = Annotated[User, Depends(require(second_factor=False, password_change=False))]


def same_site_path(app, target: str) -> str:
    """``target`` if it is a path of this application that answers GET (with its query), else "/"."""
    if not target.startswith("/") or target.startswith(("//", "/\\")) or any(c in target for c in "\r\n\t\\"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    scope = {"type": "http", "path": parts.path, "method": "GET", "root_path": ""}
    if any(route.matches(scope)[0] == Match.FULL for route in app.router.routes):
        return target
    return "/"


def session_of(request: Request) -> Session | None:
    return request.app.state.sessions.read(request.cookies.get(COOKIE))


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request):
    """The sign-in form, with a pre-login session (account 0) that carries the form's CSRF token."""
    sess, cookie = session_of(request), None
    if sess is None:
        cookie, sess = request.app.state.sessions.issue(0)
    resp = render(
        request, "account/login.html", None, session=sess, title=gettext(language_of(request), "Sign in"), error=None, username=""
    )
    if cookie:
        resp.set_cookie(value=cookie, **request.app.state.sessions.cookie_args())
    return resp


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request):
    sess = session_of(request)
    if sess is None:  # no form of ours was filled in (the CSRF check passes a request without any session): a fresh form
        return RedirectResponse("/login", status_code=303)
    form = await request.form()
    addr = request.client.host if request.client else "?"
    now = time.time()
    lg = language_of(request)
    throttle = request.app.state.throttle
    username = str(form.get("username", ""))
    if throttle.blocked(addr, username, now):
        return render(
            request,
            "account/login.html",
            None,
            session=sess,
            status=429,
            title=gettext(lg, "Sign in"),
            error=gettext(lg, "Too many failed sign-ins; try again later."),
            username="",
        )
    try:
        signed = accounts.authenticate(
            request.app.state.db,
            username,
            str(form.get("password", "")),
            totp_code=str(form.get("totp", "")) or None,
            channel="web",
            origin=addr,
        )
    except accounts.LoginFailed as exc:
        throttle.fail(addr, username, now)
        msg = exc.zh if lg == "zh" else exc.en
        # the form again with the message (200: a browser page, not an API answer)
        return render(request, "account/login.html", None, session=sess, title=gettext(lg, "Sign in"), error=msg, username=username)
    throttle.succeeded(addr, signed.username)
    cookie, _ = request.app.state.sessions.issue(signed.account_id)  # a new session (and token) at every sign-in
    # a password an administrator gave is changed before anything else (then the second factor, if due)
    resp = RedirectResponse("/account/password" if signed.must_change_password else "/", status_code=303)
    resp.set_cookie(value=cookie, **request.app.state.sessions.cookie_args())
    return resp


@router.post("/lang")
async def set_language(request: Request):
    """The language switch of every page: sets the ``lang`` cookie and goes back to the page (a
    path of this site with a GET route; anything else goes home)."""
    form = await request.form()  # the CSRF check has parsed it
    resp = RedirectResponse(same_site_path(request.app, str(form.get("next", ""))), status_code=303)
    choice = str(form.get("lang", ""))
    if choice in LANGUAGES:
        resp.set_cookie(
            "lang",
            choice,
            max_age=LANG_COOKIE_DAYS * 86400,
            path="/",
            samesite="strict",
            secure=request.app.state.sessions.secure,
            httponly=False,
        )
    return resp


@router.post("/logout")
def logout(request: Request):
    sess = session_of(request)  # signing out ends every session of the account, wherever its cookie was copied
    accounts.sign_out(request.app.state.db, sess.account_id if sess else 0, origin=request.client.host if request.client else "")
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return Response(status_code=204)


# ------------------------------------------------------------------------------- password


def _password_page(request: Request, user: User, *, errors: dict | None = None, status: int = 200) -> HTMLResponse:
    lg = language_of(request)
    return render(
        request,
        "account/password.html",
        user,
        status=status,
        title=gettext(lg, "Change your password"),
        required=user.must_change_password,
        errors=errors or {},
        policy=gettext(
            lg,
            "At least {n} characters, mixing three of: lower case, upper case, digits, symbols; not a well-known "
            "password; not containing the user name.",
        ).format(n=passwords.MIN_LENGTH),
    )


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, user: Changing):
    return _password_page(request, user)


@router.post("/account/password", response_class=HTMLResponse)
async def password_change(request: Request, user: Changing):
    """The owner changes their password: the current one, the new one twice. Every session of the account
    ends (audited as the account's own change); this browser gets a new session and goes on — to the
    second factor's set-up when its role needs one it has not set up yet."""
    lg = language_of(request)
    form = await request.form()
    old, new = str(form.get("current", "")), str(form.get("password", ""))
    if new != str(form.get("password2", "")):
        return _password_page(request, user, status=400, errors={"password2": [gettext(lg, "The two passwords differ.")]})
    addr = request.client.host if request.client else ""
    try:
        with request.app.state.db.write(Actor(user.account.username, "web", addr), note="password changed by its owner") as s:
            accounts.change_password(s, s.get(Account, user.account.id), old, new)
    except accounts.WrongPassword as exc:
        return _password_page(request, user, status=400, errors={"current": [exc.zh if lg == "zh" else exc.en]})
    except ValidationFailed as exc:
        return _password_page(request, user, status=400, errors={"password": [p.zh if lg == "zh" else p.en for p in exc.problems]})
    except ConcurrentEdit as exc:  # a sign-in elsewhere saved the account meanwhile: nothing changed, try again
        return _password_page(request, user, status=409, errors={"": [exc.zh if lg == "zh" else exc.en]})
    cookie, _ = request.app.state.sessions.issue(user.account.id)  # every older session has ended; this browser goes on
    resp = RedirectResponse("/", status_code=303)
    resp.set_cookie(value=cookie, **request.app.state.sessions.cookie_args())
    return resp


# ------------------------------------------------------------------------------- second factor


def _signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.sessions.secret, salt="renkou-totp-enrol")


def _totp_page(request: Request, user: User, error: str | None = None, status: int = 200) -> HTMLResponse:
    secret, uri = accounts.start_totp(user.account)
    # the new secret travels signed (and bound to this account) until a code confirms it
    token = _signer(request).dumps({"a": user.account.id, "s": secret})
    lg = language_of(request)
    return render(
        request,
        "account/totp.html",
        user,
        status=status,
        title=gettext(lg, "Set up the one-time code"),
        secret=secret,
        uri=uri,
        qr=_qr_svg(uri, gettext(lg, "QR code of the key for the authenticator app")),
        enrol_token=token,
        error=error,
        required=user.must_enrol,
        replacing=bool(user.account.totp_secret),
    )


@router.get("/account/totp", response_class=HTMLResponse)
def totp_form(request: Request, user: Enrolling):
    return _totp_page(request, user)


def _qr_svg(uri: str, title: str) -> Markup:
    """The otpauth:// URI as an inline SVG QR code (drawn on the server: no script, nothing fetched)."""
    return Markup(segno.make(uri, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff", title=title, svgclass="qr-code"))


@router.post("/account/totp", response_class=HTMLResponse)
async def totp_confirm(request: Request, user: Enrolling):
    lg = language_of(request)
    form = await request.form()
    try:
        data = _signer(request).loads(str(form.get("enrol_token", "")), max_age=900)
    except BadSignature:
        data = None
    if not data or data.get("a") != user.account.id:
        return _totp_page(request, user, error=gettext(lg, "The set-up form has expired; start again."), status=400)
    try:
        with request.app.state.db.write(
            Actor(user.account.username, "web", request.client.host if request.client else ""), note="TOTP set up"
        ) as s:
            accounts.confirm_totp(
                s, s.get(Account, user.account.id), data["s"], str(form.get("code", "")), current=str(form.get("current", ""))
            )
    except accounts.FactorNotProved:
        return _totp_page(
            request,
            user,
            status=422,
            error=gettext(lg, "To replace the one-time code, enter the code of your current app or your password."),
        )
    except UserError:
        return _totp_page(request, user, error=gettext(lg, "The code is wrong; enter the code the app shows now."), status=422)
    return RedirectResponse("/", status_code=303)
