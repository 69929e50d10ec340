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
* A session also ends when its account's sessions are ended (sign-out, password, deactivation:
  renkou.auth.accounts.session_account, asked by every request that reads the session).
* The client's address is the connection's, unless the connection comes from a trusted proxy
  (setting ``RENKOU_TRUSTED_PROXIES``): only then does ``X-Forwarded-For`` name it (`TrustedProxies`).
* Failed sign-ins are limited per address and per (account, address) pair (`LoginThrottle`), so
  that guessing is slow and nobody elsewhere can lock a user out of their own address.

Not here: the accounts themselves (renkou.auth.accounts), upload limits (renkou.web.uploads).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import Headers, MutableHeaders
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
    raise HTTPException(
        status_code=403,
        detail=gettext(language_of(request), "The form has expired or did not come from this site; reload the page and try again."),
    )


class UnstorableInput(Exception):
    """A value of the request holds NUL, a character no text column can hold (PostgreSQL refuses it):
    the request is refused as a whole (renkou.web.app answers 400), before any query sees the value."""


def _has_nul(values) -> bool:
    return any(isinstance(v, str) and "\x00" in v for v in values)


async def text_guard(request: Request) -> None:
    """No NUL in the path, the query or — for a form sent with the session cookie, which the CSRF check
    has let through — the form (a dependency of the whole application, after ``csrf_guard``; it never
    reads a body the CSRF check would not)."""
    if "\x00" in request.scope.get("path", "") or _has_nul(x for kv in request.query_params.multi_items() for x in kv):
        raise UnstorableInput
    if request.method in UNSAFE and COOKIE in request.cookies:
        kind = request.headers.get("content-type", "")
        if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # parsed once, for the route too
            if _has_nul(x for kv in form.multi_items() for x in kv):
                raise UnstorableInput


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


# ------------------------------------------------------------------------------------ proxies


def networks(entries: tuple[str, ...] | list[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Addresses or CIDR networks (``10.0.0.5``, ``10.0.0.0/24``, ``::1``) as networks; ValueError if one is neither."""
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


class TrustedProxies:
    """ASGI middleware: the client's address is the connection's peer, unless that peer is one of the
    trusted proxies; then it is the right-most address of ``X-Forwarded-For`` that is not a trusted
    proxy (each proxy appends the address it saw; anything further left the client wrote itself).
    With no trusted proxy (the default) the header is ignored."""

    def __init__(self, app: ASGIApp, proxies: tuple[str, ...] = ()) -> None:
        self.app = app
        self.proxies = networks(proxies)

    def trusted(self, host: str) -> bool:
        try:
            addr = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(addr in net for net in self.proxies)

    def client(self, peer: str, forwarded: list[str]) -> str:
        host = peer
        for entry in reversed([a.strip() for value in forwarded for a in value.split(",")]):
            if not self.trusted(host):
                break
            try:
                host = str(ipaddress.ip_address(entry))
            except ValueError:
                break  # not an address: whatever it says, the last trusted proxy is what we know
        return host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.proxies and scope.get("client"):
            peer = scope["client"][0]
            if self.trusted(peer):
                forwarded = Headers(scope=scope).getlist("x-forwarded-for")
                host = self.client(peer, forwarded)
                if host != peer:
                    scope = {**scope, "client": (host, 0)}
        await self.app(scope, receive, send)


# ------------------------------------------------------------------------------------ sign-in throttle

ADDRESS_FAILURES = 20  # failed sign-ins from one address, whatever the account ...
PAIR_FAILURES = 5  # ... or at one account from one address ...
THROTTLE_SECONDS = 900  # ... within this window, then refused for the rest of it


class LoginThrottle:
    """Failed sign-ins counted in this process: an address that fails ``ADDRESS_FAILURES`` times (trying
    many accounts) or one account from one address that fails ``PAIR_FAILURES`` times is refused until
    the window has passed. Other addresses are not affected, so the account's user signs in from their
    own address whatever an attacker elsewhere does (the account-wide lock, renkou.auth.accounts, does
    not apply from the address of the last successful sign-in)."""

    MAX_KEYS = 100_000  # forgotten entries are dropped past this many, so guessing names cannot fill memory

    def __init__(self) -> None:
        self.failures: dict[tuple[str, str | None], deque[float]] = defaultdict(deque)

    def _count(self, key: tuple[str, str | None], now: float) -> int:
        q = self.failures.get(key)
        if q is None:
            return 0
        while q and q[0] < now - THROTTLE_SECONDS:
            q.popleft()
        return len(q)

    def blocked(self, addr: str, username: str, now: float) -> bool:
        return self._count((addr, None), now) >= ADDRESS_FAILURES or self._count((addr, username.strip().lower()), now) >= PAIR_FAILURES

    def fail(self, addr: str, username: str, now: float) -> None:
        if len(self.failures) > self.MAX_KEYS:
            for key in [k for k in self.failures if not self._count(k, now)]:
                del self.failures[key]
        self.failures[(addr, None)].append(now)
        self.failures[(addr, username.strip().lower())].append(now)

    def succeeded(self, addr: str, username: str) -> None:
        self.failures.pop((addr, username.strip().lower()), None)
