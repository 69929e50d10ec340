"""Sessions, CSRF and security headers.

* The session is a signed cookie (itsdangerous) holding only the account id, the login time and
  the CSRF token: HttpOnly, SameSite=Strict, Secure unless the operator serves plain HTTP on
  loopback; it expires after ``SESSION_HOURS``.
* Every state-changing request (POST, PUT, PATCH, DELETE) made with the session cookie must carry
  the session's CSRF token, in the form field ``csrf_token`` or the ``X-CSRF-Token`` header,
  compared in constant time (``csrf_guard``, a dependency of the whole application). A request without
  the session cookie has no authority to borrow: an API client's token, or nobody — it passes, and the
  route's own dependency (renkou.web.deps.require) signs the caller in or refuses.
* Every response gets a strict Content-Security-Policy (no inline scripts, nothing from other
  origins), frame denial, no MIME sniffing and a same-origin referrer policy.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from fastapi import HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from renkou.web.i18n import gettext, language_of

COOKIE = "renkou_session"
SESSION_HOURS = 10
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


@dataclass(frozen=True)
class Session:
    account_id: int
    csrf: str
    issued: float


class Sessions:
    def __init__(self, secret: str, *, secure: bool) -> None:
        self.secret = secret
        self._s = URLSafeTimedSerializer(secret, salt="renkou-session")
        self.secure = secure

    def issue(self, account_id: int) -> tuple[str, Session]:
        sess = Session(account_id, secrets.token_urlsafe(32), time.time())
        return self._s.dumps({"a": account_id, "c": sess.csrf, "t": sess.issued}), sess

    def read(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = self._s.loads(cookie, max_age=SESSION_HOURS * 3600)
        except BadSignature:
            return None
        return Session(int(data["a"]), str(data["c"]), float(data["t"]))

    def cookie_args(self) -> dict:
        return {"key": COOKIE, "httponly": True, "samesite": "strict", "secure": self.secure, "max_age": SESSION_HOURS * 3600, "path": "/"}


def csrf_ok(session: Session | None, presented: str | None) -> bool:
    return session is not None and bool(presented) and hmac.compare_digest(session.csrf.encode(), presented.encode())


async def presented_token(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    form = await request.form()
    value = form.get("csrf_token")
    return value if isinstance(value, str) else None


async def csrf_guard(request: Request) -> None:
    """Every state-changing request that carries the session cookie carries its CSRF token (a
    dependency of the whole application, so no route can forget it; the parsed form is cached on the
    request for the route). Without the cookie there is no session whose authority a forged request
    could use: it passes, and the route's sign-in check refuses it unless a token signs it in."""
    if request.method not in UNSAFE or COOKIE not in request.cookies:
        return
    if csrf_ok(request.app.state.sessions.read(request.cookies.get(COOKIE)), await presented_token(request)):
        return
    await request.close()  # an uploaded file of the refused form goes at once
    raise HTTPException(status_code=403, detail=gettext(language_of(request),
                        "The form has expired or did not come from this site; reload the page and try again."))


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in HEADERS.items():
                    headers.setdefault(k, v)
            await send(message)

        await self.app(scope, receive, send_with_headers)
