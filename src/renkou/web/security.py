"""Sessions, CSRF and security headers.

* The session is a signed cookie (itsdangerous) holding only the account id, the login time and
  the CSRF token: HttpOnly, SameSite=Strict, Secure unless the operator serves plain HTTP on
  loopback; it expires after ``SESSION_HOURS``.
* Every state-changing request (POST, PUT, PATCH, DELETE) made with the session cookie must carry
  the session's CSRF token, in the form field ``csrf_token`` or the ``X-CSRF-Token`` header,
  compared in constant time. Requests authenticated by an API token carry no cookie and are exempt.
* Every response gets a strict Content-Security-Policy (no inline scripts, nothing from other
  origins), frame denial, no MIME sniffing and a same-origin referrer policy.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
