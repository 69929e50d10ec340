"""Who is asking: the one reading of the caller that every page and every /api/v1 route uses.

* ``identify(request)`` reads the caller — an API token (``Authorization: Bearer``) for the API, else
  the signed session cookie — and gives a ``User``: the session, the account, its scope and unit.
* ``require(*permissions)`` is the dependency a route declares: it refuses by raising
  ``SignInRequired`` (nobody signed in), ``PasswordChangeRequired`` (the password was given by an
  administrator and its owner has not changed it yet), ``SecondFactorRequired`` (a role that needs a
  one-time code whose account has none yet) or ``NotPermitted`` (the role lacks a permission), in that
  order: a new county account changes its password, then sets up its one-time code. The application
  factory turns them, once for all routes, into the sign-in redirect, the change-password or
  second-factor redirect or the 403 page — or, under /api/v1, into JSON 401/403.
  The password change and the second factor hold a session (a browser, or the API with a session
  cookie); an API token — a separate credential for a machine client, made on the command line — is
  not held to them.
* Each ``require`` dependency carries its permissions (``.permissions``) so that a test can read from
  the route table what every route demands.

This module reads; it renders nothing and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Request

from renkou.auth import accounts
from renkou.auth.officer import Officer
from renkou.auth.roles import ROLES, Permission, Role, allows
from renkou.auth.scope import Scope
from renkou.registry.orgs import Hierarchy
from renkou.storage.schema import Account
from renkou.web.security import COOKIE, Session

__all__ = [
    "ANY",
    "CurrentUser",
    "Id",
    "NotPermitted",
    "PasswordChangeRequired",
    "SecondFactorRequired",
    "SignInRequired",
    "User",
    "db_id",
    "identify",
    "officer",
    "require",
    "signed_in",
]

MAX_ID = 2**63 - 1  # ids are signed 64-bit integers in every database


@dataclass(frozen=True)
class User:
    """The signed-in caller: its session (None for an API token), account, scope and unit (None when the
    account's unit does not exist today)."""

    session: Session | None
    account: Account
    scope: Scope
    unit: Any

    @property
    def role(self) -> Role:
        return Role(self.account.role)

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""

    def may(self, permission: Permission | str) -> bool:
        return allows(self.role, permission)

    @property
    def must_enrol(self) -> bool:
        """The role needs a second factor and the account has none yet (only a session is held to it)."""
        return self.session is not None and ROLES[self.role].needs_totp and not self.account.totp_secret

    @property
    def must_change_password(self) -> bool:
        """An administrator gave the password (a new account, a reset) and its owner has not changed it yet."""
        return self.session is not None and bool(self.account.password_must_change)


class SignInRequired(Exception):
    """Nobody is signed in (or the token is not valid)."""


class PasswordChangeRequired(Exception):
    """The account must change the password an administrator gave it before anything else."""


class SecondFactorRequired(Exception):
    """The account must set up its one-time code before anything else."""


class NotPermitted(Exception):
    """The signed-in user's role lacks a permission the route demands."""

    def __init__(self, user: User, permission: str) -> None:
        super().__init__(permission)
        self.user = user
        self.permission = permission


def identify(request: Request, *, tokens: bool = False) -> User | None:
    """The caller of ``request``: by API token when ``tokens`` and a Bearer header is given, else by the
    session cookie; None when neither names an active account (the pre-login session names none)."""
    db = request.app.state.db
    auth = request.headers.get("authorization", "")
    with db.read() as s:
        sess = None
        if tokens and auth.lower().startswith("bearer "):
            login = accounts.login_by_token(s, auth[7:])
            acc = s.get(Account, login.account_id) if login else None
        else:
            sess = request.app.state.sessions.read(request.cookies.get(COOKIE))
            # an ended session (sign-out, password reset, deactivation) names no account
            acc = accounts.session_account(s, sess.account_id, sess.issued) if sess and sess.account_id else None
        if acc is None or not acc.active:
            return None
        h = Hierarchy.as_of(s, dt.date.today())
        return User(sess, acc, Scope.for_unit(s, acc.unit_id, hierarchy=h), h.units.get(acc.unit_id))


def _caller(request: Request) -> User:
    """The signed-in user (pages: the session; /api/v1: a token or the session), else SignInRequired."""
    user = identify(request, tokens=request.url.path.startswith("/api/"))
    if user is None:
        raise SignInRequired()
    return user


ANY = "any"  # require(..., mode=ANY): one of the permissions is enough


def require(*permissions: Permission, mode: str = "all", second_factor: bool = True, password_change: bool = True) -> Callable[..., User]:
    """The dependency of a route open to the roles holding ``permissions`` (all of them, or with
    ``mode=ANY`` one of them; none named: any signed-in user). ``second_factor=False`` only for the
    page where the second factor is set up; ``password_change=False`` only for the page where the
    password is changed."""

    def dependency(user: Annotated[User, Depends(_caller)]) -> User:
        if password_change and user.must_change_password:
            raise PasswordChangeRequired()
        if second_factor and user.must_enrol:
            raise SecondFactorRequired()
        held = [p for p in permissions if user.may(p)]
        if permissions and (not held if mode == ANY else len(held) < len(permissions)):
            raise NotPermitted(user, next(p for p in permissions if p not in held))
        return user

    dependency.permissions = tuple(permissions)  # type: ignore[attr-defined]  # read by the route-table test
    dependency.mode = mode  # type: ignore[attr-defined]
    dependency.second_factor = second_factor  # type: ignore[attr-defined]
    dependency.password_change = password_change  # type: ignore[attr-defined]
    return dependency


signed_in = require()  # any signed-in user (the home page, the caller's own API description)
CurrentUser = Annotated[User, Depends(signed_in)]  # a route open to any signed-in user


Id = Annotated[int, Path(ge=-MAX_ID - 1, le=MAX_ID)]  # an id in a path: beyond 64 bits it names nothing (the app answers 404)


def db_id(raw: str) -> int | None:
    """An id typed in a form or a query (digits), or None when it is not one a database could hold."""
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_ID:
        return None
    return int(raw)


def officer(request: Request, user: User) -> Officer:
    """The signed-in account as the services' officer: its role and area (already read for this request),
    the web channel and the client's address as the changeset's origin. Services check both themselves."""
    return Officer.for_account(user.account, user.scope, channel="web", origin=request.client.host if request.client else "")
