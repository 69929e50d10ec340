"""User administration (/users, permission user:manage — the system administrator): the accounts with
their role, unit, state and second factor; create an account; reset a password (generated and shown
once, or set by the administrator under the password policy); unlock; deactivate and reactivate;
revoke API tokens; clear a lost second factor (with a reason and a confirmation: the owner sets up a new
one at the next sign-in, and every session of the account ends).

A password given here — a new account's or a reset one — must be changed by its owner at the next
sign-in, before anything else (renkou.auth.accounts, ``password_must_change``).

Every change goes through renkou.auth.accounts inside ``Database.write`` with the administrator as
the actor (channel web), so the write path audits it: a created account by its changeset, every other
change as before/after values (the password hash only as "changed"). Accounts are never deleted. The
pages show accounts only — no resident's data.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select

from renkou.auth import accounts, passwords
from renkou.auth.roles import ROLES, Permission, Role
from renkou.core.codes import LEVELS
from renkou.core.problems import problem
from renkou.errors import ConcurrentEdit, NotFound, ValidationFailed
from renkou.registry.orgs import Hierarchy
from renkou.storage.db import Actor, utcnow
from renkou.storage.schema import Account, ApiToken, OrgUnit
from renkou.web.deps import User, db_id, require
from renkou.web.i18n import gettext, language_of
from renkou.web.render import message, render

router = APIRouter(include_in_schema=False)
NEW_FIELDS = ("username", "display_name", "role", "unit", "password", "password2")
BOUND_LEVELS = ("county", "township", "village")  # the levels any role may be bound to (roles.py)
DEFAULT_RESET_REASON = "重置密码"  # as `renkou user passwd`


def _actor(request: Request, user) -> Actor:
    return Actor(user.account.username, "web", request.client.host if request.client else "")


def _role_options(lang: str) -> list[dict]:
    out = []
    for role, info in ROLES.items():
        levels = ", ".join(LEVELS[lv].en if lang == "en" else LEVELS[lv].zh for lv in info.levels)
        out.append({"value": role.value, "label": info.en if lang == "en" else info.zh, "levels": levels, "totp": info.needs_totp})
    return out


def _unit_options(s, user) -> list[dict]:
    h = Hierarchy.as_of(s, dt.date.today())
    root = s.get(OrgUnit, user.account.unit_id)
    if root is None or root.code not in h.by_code:
        return []
    return [
        {"code": u.code, "name": u.name, "depth": d, "indent": "\u3000" * d, "level": u.level}
        for d, u in h.walk(root.code)
        if u.level in BOUND_LEVELS
    ]


def _rows(s, lang: str) -> list[dict]:
    h = Hierarchy.as_of(s, dt.date.today())
    now = utcnow()
    tokens = dict(
        s.execute(select(ApiToken.account_id, func.count()).where(ApiToken.revoked_at.is_(None)).group_by(ApiToken.account_id)).all()
    )
    rows = []
    for acc, code in s.execute(select(Account, OrgUnit.code).join(OrgUnit, OrgUnit.id == Account.unit_id).order_by(Account.username)):
        info = ROLES[Role(acc.role)]
        unit = h.units.get(acc.unit_id)
        rows.append(
            {
                "username": acc.username,
                "name": acc.display_name,
                "role": info.en if lang == "en" else info.zh,
                "unit": f"{unit.name if unit else ''} ({code})",
                "active": acc.active,
                "locked": acc.locked_until is not None and acc.locked_until > now,
                "totp": bool(acc.totp_secret),
                "tokens": tokens.get(acc.id, 0),
                "needs_totp": info.needs_totp,
                "must_change": acc.password_must_change,
            }
        )
    return rows


def _errors(problems, lang: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in problems:
        f = p.field if p.field in NEW_FIELDS or p.field == "reason" else ""
        out.setdefault(f, []).append(p.en if lang == "en" else p.zh)
    return out


def _policy(lang: str) -> str:
    return gettext(
        lang,
        "At least {n} characters, mixing three of: lower case, upper case, digits, symbols; not a well-known "
        "password; not containing the user name.",
    ).format(n=passwords.MIN_LENGTH)


def _list(
    request: Request, user, *, status: int = 200, values: dict | None = None, errors: dict | None = None, note: str = ""
) -> HTMLResponse:
    lg = language_of(request)
    with request.app.state.db.read() as s:
        rows, units = _rows(s, lg), _unit_options(s, user)
    return render(
        request,
        "admin/users.html",
        user,
        status=status,
        title=gettext(lg, "User accounts"),
        rows=rows,
        units=units,
        roles=_role_options(lg),
        v=values or {},
        errors=errors or {},
        policy=_policy(lg),
        note=note,
    )


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, user: Annotated[User, Depends(require(Permission.USER_MANAGE))], created: str = ""):
    lg = language_of(request)
    note = (
        gettext(lg, "Account created:") + " " + created + gettext(lg, "; its owner must change the password at the first sign-in.")
        if accounts.USERNAME.match(created)
        else ""
    )
    return _list(request, user, note=note)


@router.post("/users", response_class=HTMLResponse)
async def create(request: Request, user: Annotated[User, Depends(require(Permission.USER_MANAGE))]):
    lg = language_of(request)
    form = await request.form()
    v = {n: str(form.get(n, "")) for n in NEW_FIELDS}
    for n in ("username", "display_name", "unit"):
        v[n] = v[n].strip()
    if v["password"] != v["password2"]:
        return _list(request, user, status=400, values=v, errors={"password2": [gettext(lg, "The two passwords differ.")]})
    try:
        with request.app.state.db.write(_actor(request, user), note=f"account {v['username'][:32]} created") as s:
            if v["unit"] not in {u["code"] for u in _unit_options(s, user)}:
                raise ValidationFailed([_unit_problem(v["unit"])])
            acc = accounts.create_account(
                s,
                username=v["username"],
                display_name=v["display_name"],
                role=v["role"],
                unit_code=v["unit"],
                password=v["password"],
                must_change=True,  # the owner chooses their own at the first sign-in
            )
            name = acc.username
    except ValidationFailed as exc:
        v["password"] = v["password2"] = ""  # never sent back
        return _list(request, user, status=400, values=v, errors=_errors(exc.problems, lg))
    return RedirectResponse(f"/users?created={name}", status_code=303)


def _unit_problem(code: str):
    return problem("unknown_org", "unit", code, code=code)


# ------------------------------------------------------------------------------------ one account


def _done_message(lang: str, done: str, n: str) -> str:
    messages = {
        "unlocked": gettext(lang, "The account is unlocked."),
        "deactivated": gettext(lang, "The account is deactivated; it can no longer sign in."),
        "reactivated": gettext(lang, "The account is active again."),
        "revoked": gettext(lang, "API tokens revoked:") + (f" {db_id(n)}" if db_id(n) is not None else ""),
        "password": gettext(lang, "The password is set.") + " " + gettext(lang, "The user must change it at the next sign-in."),
        "totp": gettext(lang, "The one-time code is cleared; the owner sets up a new one at the next sign-in."),
        "nototp": gettext(lang, "The account has no one-time code set up; nothing was changed."),
    }
    return messages.get(done, "")


def _account_page(
    request: Request,
    user,
    username: str,
    *,
    status: int = 200,
    errors: dict | None = None,
    note: str = "",
    new_password: str = "",
    mode: str = "generate",
) -> HTMLResponse:
    lg = language_of(request)
    with request.app.state.db.read() as s:
        try:
            acc = accounts.get_account(s, username)
        except NotFound:
            return _not_found(request, user)
        row = next(r for r in _rows(s, lg) if r["username"] == acc.username)
        tokens = [
            {"name": t.name, "revoked": t.revoked_at is not None}
            for t in s.scalars(select(ApiToken).where(ApiToken.account_id == acc.id).order_by(ApiToken.id))
        ]
    return render(
        request,
        "admin/users_account.html",
        user,
        status=status,
        title=f"{gettext(lg, 'User account')} {acc.username}",
        acc=row,
        tokens=tokens,
        errors=errors or {},
        note=note,
        new_password=new_password,
        policy=_policy(lg),
        mode=mode,
        is_self=acc.id == user.account.id,
    )


def _not_found(request: Request, user) -> HTMLResponse:
    lg = language_of(request)
    return message(request, user, 404, gettext(lg, "Not found"), gettext(lg, "No such account."))


@router.get("/users/{username}", response_class=HTMLResponse)
def account(request: Request, user: Annotated[User, Depends(require(Permission.USER_MANAGE))], username: str, done: str = "", n: str = ""):
    return _account_page(request, user, username, note=_done_message(language_of(request), done, n))


def _generate(username: str) -> str:
    alphabet = string.ascii_letters + string.digits + "-_.!@#%+="
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(16))
        if (
            not passwords.check(pw, username=username)
            and sum(any(c in k for c in pw) for k in (string.ascii_lowercase, string.ascii_uppercase, string.digits)) == 3
        ):
            return pw


def _change(request: Request, user, username: str, note: str, change, *, reason: str = ""):
    """Run ``change(session, account)`` in an audited write; NotFound becomes the 404 page. The account
    saved meanwhile (its owner signing in) is read again and changed once more; a second loss is a 409 page."""
    for attempt in range(2):
        try:
            with request.app.state.db.write(_actor(request, user), note=note, reason=reason) as s:
                return change(s, accounts.get_account(s, username))
        except NotFound:
            return _not_found(request, user)
        except ConcurrentEdit as exc:
            if attempt:
                lg = language_of(request)
                return message(request, user, 409, gettext(lg, "Not saved"), exc.zh if lg == "zh" else exc.en)
    return None


@router.post("/users/{username}/password", response_class=HTMLResponse)
async def reset_password(request: Request, user: Annotated[User, Depends(require(Permission.USER_MANAGE))], username: str):
    lg = language_of(request)
    form = await request.form()
    mode = "set" if form.get("mode") == "set" else "generate"
    reason = str(form.get("reason", "")).strip() or DEFAULT_RESET_REASON
    new = _generate(username) if mode == "generate" else str(form.get("password", ""))
    if mode == "set" and new != str(form.get("password2", "")):
        return _account_page(
            request, user, username, status=400, mode=mode, errors={"password2": [gettext(lg, "The two passwords differ.")]}
        )
    try:
        out = _change(
            request,
            user,
            username,
            f"password of {username} reset",
            lambda s, a: accounts.set_password(s, a, new, must_change=True),
            reason=reason,
        )
    except ValidationFailed as exc:
        return _account_page(request, user, username, status=400, mode=mode, errors=_errors(exc.problems, lg))
    if out is not None:
        return out
    if mode == "generate":  # shown this once, in this answer only (no redirect: it is not kept anywhere)
        note = gettext(lg, "New password set. Give it to the user now: it is not shown again.")
        return _account_page(
            request, user, username, new_password=new, note=note + " " + gettext(lg, "The user must change it at the next sign-in.")
        )
    return RedirectResponse(f"/users/{username}?done=password", status_code=303)


@router.post("/users/{username}/unlock", response_class=HTMLResponse)
def unlock(request: Request, user: Annotated[User, Depends(require(Permission.USER_MANAGE))], username: str):
    out = _change(request, user, username, f"account {username} unlocked", lambda s, a: accounts.unlock(s, a))
    return out or RedirectResponse(f"/users/{username}?done=unlocked", status_code=303)


@router.post("/users/{username}/active", response_class=HTMLResponse)
async def set_active(request: Request, user: Annotated[User, Depends(require(Permission.USER_MANAGE))], username: str):
    lg = language_of(request)
    form = await request.form()
    active = form.get("active") == "1"
    reason = str(form.get("reason", "")).strip()
    if not active and not reason:
        return _account_page(
            request, user, username, status=400, errors={"reason": [gettext(lg, "Give the reason; it is written to the audit trail.")]}
        )
    if not active and username == user.account.username:
        return _account_page(
            request, user, username, status=400, errors={"reason": [gettext(lg, "You cannot deactivate your own account.")]}
        )
    what = "reactivated" if active else "deactivated"
    out = _change(request, user, username, f"account {username} {what}", lambda s, a: accounts.set_active(s, a, active), reason=reason)
    return out or RedirectResponse(f"/users/{username}?done={what}", status_code=303)


@router.post("/users/{username}/tokens/revoke", response_class=HTMLResponse)
def revoke_tokens(request: Request, user: Annotated[User, Depends(require(Permission.USER_MANAGE))], username: str):
    out = _change(request, user, username, f"API tokens of {username} revoked", lambda s, a: accounts.revoke_tokens(s, a))
    if not isinstance(out, int):
        return out
    return RedirectResponse(f"/users/{username}?done=revoked&n={out}", status_code=303)


@router.post("/users/{username}/totp/clear", response_class=HTMLResponse)
async def clear_totp(request: Request, user: Annotated[User, Depends(require(Permission.USER_MANAGE))], username: str):
    """Clear a lost second factor: the form confirms it (a box to tick) and gives the reason, both
    required; the change is audited with the administrator, the time and the reason."""
    lg = language_of(request)
    form = await request.form()
    reason = str(form.get("reason", "")).strip()
    errors = {}
    if not reason:
        errors["totp_reason"] = [gettext(lg, "Give the reason; it is written to the audit trail.")]
    if form.get("confirm") != "1":
        errors["totp_confirm"] = [gettext(lg, "Tick the box to confirm.")]
    if errors:
        return _account_page(request, user, username, status=400, errors=errors)
    out = _change(request, user, username, f"one-time code of {username} cleared", lambda s, a: accounts.clear_totp(s, a), reason=reason)
    if not isinstance(out, bool):
        return out
    return RedirectResponse(f"/users/{username}?done={'totp' if out else 'nototp'}", status_code=303)
