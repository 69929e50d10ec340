"""Accounts: create, authenticate (with lockout), change passwords, TOTP second factor, and whether
a session cookie still stands for its account. Not the cookie itself (renkou.web.security).

Authentication never says which part was wrong (unknown user, wrong password, wrong code): the
message is the same, and an unknown user costs the same hashing time as a known one. After
``LOCK_AFTER`` consecutive failures the account is locked for ``LOCK_MINUTES``; the failures and
the lock are saved even though the login fails (and appear in the audit trail as updates). The lock
does not apply from the address of the account's last successful sign-in, so that nobody can lock
the user out of their own office from elsewhere; failures from one address at one account are
limited separately, by the web application (renkou.web.security.LoginThrottle).

A one-time code is accepted once: the time step of the last accepted code is kept, and a code of
that step or an earlier one is refused. Replacing the second factor needs the current code or the
password.

Sessions are revocable: a session issued before the account's ``sessions_valid_after`` is refused
(`session_account`). Signing out, setting a password, clearing the second factor, deactivation and
reactivation end every session of the account (`end_sessions`).

A password an administrator gave — a new account's, or a reset one — must be changed by its owner
before anything else (``password_must_change``; renkou.web.deps holds every page to it): `change_password`
clears it, and the new password must differ from the given one. Accounts made by other code (the demo's
fixtures, tests) are not held to it unless they ask (``must_change=True``).

An administrator can clear a lost second factor (`clear_totp`): the owner sets up a new one at the next
sign-in, as at the first, and every session of the account ends.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from renkou.auth import passwords
from renkou.auth.roles import ROLES, Role, parse_role
from renkou.core.codes import LEVELS
from renkou.core.problems import problem
from renkou.errors import ConcurrentEdit, NotFound, UserError, ValidationFailed
from renkou.registry.orgs import Hierarchy
from renkou.storage.db import Actor, Database, utcnow
from renkou.storage.schema import Account

LOCK_AFTER = 10  # consecutive failures from anywhere; above the web throttle of one (account, address) pair
LOCK_MINUTES = 15
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
_DUMMY = passwords.hash_password("renkou-dummy-password-for-timing")


class LoginFailed(UserError):
    def __init__(self) -> None:
        super().__init__(
            "用户名、密码或动态验证码不正确，或账号已停用/锁定",
            "wrong user name, password or one-time code, or the account is disabled or locked",
        )


class FactorNotProved(UserError):
    def __init__(self) -> None:
        super().__init__(
            "更换动态验证码须先输入当前的动态验证码或密码", "replacing the one-time code needs the current code or the password"
        )


@dataclass(frozen=True)
class Login:
    account_id: int
    username: str
    role: Role
    unit_id: int
    must_enrol_totp: bool  # the role requires a second factor the account has not set up yet
    must_change_password: bool = False  # an administrator gave the password: its owner changes it first


def create_account(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: str,
    unit_code: str,
    password: str,
    today: dt.date | None = None,
    must_change: bool = False,
) -> Account:
    """A new account. ``must_change``: the password is an administrator's (web, command line), so the
    owner must change it at the first sign-in."""
    probs = []
    username = username.strip().lower()
    if not USERNAME.match(username):
        probs.append(problem("username_format", "username", username))
    r = parse_role(role)
    if r is None:
        probs.append(problem("bad_choice", "role", role, choices=", ".join(x.value for x in Role)))
    if not display_name.strip():
        probs.append(problem("required", "display_name", ""))
    probs += passwords.check(password, username=username)
    unit = None
    try:
        unit = Hierarchy.as_of(session, today or dt.date.today()).unit(unit_code)
    except NotFound:
        probs.append(problem("unknown_org", "unit", unit_code, code=unit_code))
    if r is not None and unit is not None and unit.level not in ROLES[r].levels:
        info = ROLES[r]
        probs.append(
            problem(
                "role_level",
                "unit",
                unit_code,
                role=info.zh,
                role_en=info.en,
                levels="、".join(LEVELS[lv].zh for lv in info.levels),
                levels_en=", ".join(info.levels),
            )
        )
    if session.scalar(select(Account.id).where(Account.username == username)) is not None:
        probs.append(problem("username_taken", "username", username, username=username))
    if probs:
        raise ValidationFailed(probs)
    assert r is not None and unit is not None  # each missing one recorded a problem above
    acc = Account(
        username=username,
        display_name=display_name.strip(),
        role=r.value,
        unit_id=unit.id,
        password_hash=passwords.hash_password(password),
        active=True,
        failed_logins=0,
        password_changed_at=utcnow(),
        password_must_change=must_change,
    )
    session.add(acc)
    session.flush()
    return acc


def get_account(session: Session, username: str) -> Account:
    acc = session.scalar(select(Account).where(Account.username == username.strip().lower()))
    if acc is None:
        raise NotFound(f"账号 {username} 不存在", f"no account named {username}")
    return acc


def authenticate(
    db: Database,
    username: str,
    password: str,
    *,
    totp_code: str | None = None,
    channel: str = "web",
    origin: str = "",
    now: dt.datetime | None = None,
) -> Login:
    """The account, if the credentials are right and it is active and not locked; else LoginFailed.

    Another sign-in of the account saved between this one's reading and its saving (a race on the
    account's version) makes this one read the account again and decide afresh, once: the same
    one-time code is then refused as spent, and a failure is counted on top of the other's. Losing the
    race a second time is a refusal too, never an error."""
    now = now or utcnow()
    for _ in range(2):
        try:
            return _authenticate(db, username, password, totp_code, channel, origin, now)
        except ConcurrentEdit:
            continue
    raise LoginFailed()


def _authenticate(db: Database, username: str, password: str, totp_code: str | None, channel: str, origin: str, now: dt.datetime) -> Login:
    name = username.strip().lower()
    result: Login | None = None
    with db.write(Actor(name[:64] or "?", channel, origin), note="login") as s:
        acc = s.scalar(select(Account).where(Account.username == name))
        if acc is None:
            passwords.verify(_DUMMY, password)  # same time as a real check
        elif not acc.active or (acc.locked_until is not None and acc.locked_until > now and not _usual_origin(acc, origin)):
            passwords.verify(acc.password_hash, password)
        elif not passwords.verify(acc.password_hash, password) or (
            acc.totp_secret and (step := _totp_step(acc.totp_secret, totp_code, now, acc.totp_last_step)) is None
        ):
            acc.failed_logins += 1
            if acc.failed_logins >= LOCK_AFTER:
                acc.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
                acc.failed_logins = 0
        else:
            if acc.failed_logins or acc.locked_until is not None:
                acc.failed_logins, acc.locked_until = 0, None
            if passwords.needs_rehash(acc.password_hash):
                acc.password_hash = passwords.hash_password(password)
            if acc.totp_secret:
                acc.totp_last_step = step
            if origin and acc.last_login_origin != origin[:64]:
                acc.last_login_origin = origin[:64]
            role = Role(acc.role)
            result = Login(
                acc.id, acc.username, role, acc.unit_id, ROLES[role].needs_totp and not acc.totp_secret, acc.password_must_change
            )
    if result is None:
        raise LoginFailed()
    return result


def _usual_origin(acc: Account, origin: str) -> bool:
    """Whether ``origin`` is the address of the account's last successful sign-in."""
    return bool(origin) and acc.last_login_origin == origin[:64]


def _totp_step(secret: str, code: str | None, now: dt.datetime, after: int | None) -> int | None:
    """The time step of ``code`` if it is the code of the step of ``now`` or of one next to it
    (clocks drift) and of a step later than ``after`` (the last one accepted); else None."""
    if not code or not code.strip().isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.replace(tzinfo=dt.UTC).timestamp()) // totp.interval
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code.strip()):
            return step
    return None


def end_sessions(session: Session, acc: Account, *, now: dt.datetime | None = None) -> None:
    """End every session of the account issued until now (each copy of its cookies)."""
    acc.sessions_valid_after = now or utcnow()
    session.flush()


def session_account(session: Session, account_id: int, issued: float) -> Account | None:
    """The account a session cookie stands for — the one function every request that reads the
    session asks: None unless the account exists, is active, and the session (issued at ``issued``,
    seconds since the epoch) was issued after its sessions were last ended."""
    if not account_id:
        return None
    acc = session.get(Account, account_id)
    if acc is None or not acc.active:
        return None
    if acc.sessions_valid_after is not None and issued <= acc.sessions_valid_after.replace(tzinfo=dt.UTC).timestamp():
        return None
    return acc


def sign_out(db: Database, account_id: int, *, channel: str = "web", origin: str = "") -> None:
    """Signing out ends every session of the account, not only the cookie of this browser."""
    if not account_id:
        return
    with db.read() as s:
        name = s.scalar(select(Account.username).where(Account.id == account_id))
    if name is None:
        return

    def end(s: Session) -> None:
        acc = s.get(Account, account_id)
        if acc is not None:
            end_sessions(s, acc)

    try:
        with db.write(Actor(name, channel, origin), note="sign out") as s:
            end(s)
    except ConcurrentEdit:  # the account was saved meanwhile (a sign-in): end its sessions on what it is now
        with db.write(Actor(name, channel, origin), note="sign out") as s:
            end(s)


class WrongPassword(UserError):
    def __init__(self) -> None:
        super().__init__("原密码不正确", "the current password is wrong")


def change_password(session: Session, acc: Account, old: str, new: str) -> None:
    """The owner's own change: the current password proves it is them; the new one must pass the policy
    and differ from the current one. Clears ``password_must_change``; every session of the account ends
    (the caller gives the browser that changed it a new one)."""
    if not passwords.verify(acc.password_hash, old):
        raise WrongPassword()
    set_password(session, acc, new, must_change=False)


def set_password(session: Session, acc: Account, new: str, *, must_change: bool = False) -> None:
    """Set the password (policy checked, never the current one again) and end every session of the
    account. ``must_change``: an administrator's reset — the owner must change it at the next sign-in."""
    probs = passwords.check(new, username=acc.username)
    if passwords.verify(acc.password_hash, new):
        probs.append(problem("password_reused", "password", ""))
    if probs:
        raise ValidationFailed(probs)
    acc.password_hash = passwords.hash_password(new)
    acc.password_changed_at = utcnow()
    if acc.password_must_change != must_change:
        acc.password_must_change = must_change
    end_sessions(session, acc, now=acc.password_changed_at)


def clear_totp(session: Session, acc: Account) -> bool:
    """An administrator clears a lost second factor: the owner sets up a new one at the next sign-in
    (a role that needs one is sent to set it up before anything else), and every session of the
    account ends. False (and nothing changes) when the account has none."""
    if not acc.totp_secret:
        return False
    acc.totp_secret = None
    end_sessions(session, acc)
    return True


def start_totp(acc: Account) -> tuple[str, str]:
    """A new secret and its otpauth:// URI for an authenticator app (saved by `confirm_totp`)."""
    secret = pyotp.random_base32()
    return secret, pyotp.TOTP(secret).provisioning_uri(name=acc.username, issuer_name="renkou")


def confirm_totp(session: Session, acc: Account, secret: str, code: str, *, current: str = "", now: dt.datetime | None = None) -> None:
    """Save ``secret`` as the account's second factor once ``code`` shows the app has it. Replacing
    a second factor already set up needs ``current``: the code of the present factor, or the password."""
    now = now or utcnow()
    old = None
    if acc.totp_secret:
        old = _totp_step(acc.totp_secret, current, now, acc.totp_last_step)
        if old is None and not (current and passwords.verify(acc.password_hash, current)):
            raise FactorNotProved()
    step = _totp_step(secret, code, now, None)  # a new secret: none of its codes used yet
    if step is None:
        raise UserError("动态验证码不正确，请重试", "the one-time code is wrong; try again")
    acc.totp_secret = secret
    acc.totp_last_step = max(x for x in (step, old, acc.totp_last_step) if x is not None)  # each code used here is spent
    session.flush()


def unlock(session: Session, acc: Account) -> None:
    acc.failed_logins, acc.locked_until = 0, None
    session.flush()


def set_active(session: Session, acc: Account, active: bool) -> None:
    acc.active = active
    end_sessions(session, acc)  # a cookie from before a deactivation never works again, even after reactivation


# ------------------------------------------------------------------------------------ API tokens


def _digest(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, acc: Account, name: str) -> str:
    """A new API token for ``acc``; returned once, only its SHA-256 is kept."""
    import secrets

    from renkou.storage.schema import ApiToken

    if not name.strip():
        raise ValidationFailed([problem("required", "name", "")])
    token = "rk_" + secrets.token_urlsafe(32)
    session.add(ApiToken(account_id=acc.id, name=name.strip()[:100], token_hash=_digest(token)))
    session.flush()
    return token


def revoke_tokens(session: Session, acc: Account) -> int:
    from renkou.storage.schema import ApiToken

    n = 0
    for t in session.scalars(select(ApiToken).where(ApiToken.account_id == acc.id, ApiToken.revoked_at.is_(None))):
        t.revoked_at = utcnow()
        n += 1
    session.flush()
    return n


def login_by_token(session: Session, token: str) -> Login | None:
    """The login an API token stands for, if it is valid, not revoked, and its account active."""
    from renkou.storage.schema import ApiToken

    row = session.execute(
        select(ApiToken, Account).join(Account, Account.id == ApiToken.account_id).where(ApiToken.token_hash == _digest(token.strip()))
    ).first()
    if row is None:
        return None
    tok, acc = row
    if tok.revoked_at is not None or not acc.active:
        return None
    role = Role(acc.role)
    return Login(acc.id, acc.username, role, acc.unit_id, False)
