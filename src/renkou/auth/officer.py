"""Who acts: an account's role (what it may do) and organisation scope (whose records it may touch),
or the system itself (the command line, the demo loader) acting county-wide. Every write service —
the registry's (persons, events, imports) and the benefit cycle's — takes an ``Officer`` and checks
role and area itself, never only in a page or command: a page or an API endpoint passes the officer
of the signed-in account and cannot forget the check.

A record outside the officer's scope is reported as not found, as everywhere in renkou
(renkou.auth.scope): a changed number learns nothing about other townships.

This module holds the acting party and its checks only; what the permissions are is
renkou.auth.roles, how a scope is computed renkou.auth.scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from renkou.auth import accounts
from renkou.auth.roles import ROLES, Permission, Role, allows
from renkou.auth.scope import Scope
from renkou.core.idnumber import mask
from renkou.errors import NotFound, UserError
from renkou.storage.db import Actor
from renkou.storage.schema import Account, Person

# What the system officer may do: read and write the registry, import files. It is not an account
# and holds no benefit permission (a benefit step is always taken by a named account, `--as USER`).
P = Permission
SYSTEM_PERMISSIONS = frozenset(
    {P.PERSON_READ, P.ORG_READ, P.POPULATION_READ, P.PERSON_WRITE, P.EVENT_WRITE, P.HOUSEHOLD_WRITE, P.IMPORT_WRITE, P.PERSON_REVEAL}
)


class Forbidden(UserError):
    def __init__(self, role: Role | None, what_zh: str, what_en: str) -> None:
        zh, en = (ROLES[role].zh, ROLES[role].en) if role is not None else ("系统", "system")
        super().__init__(f"“{zh}”角色无权{what_zh}", f"the role {en} may not {what_en}", code="forbidden")


def person_not_found(key: str | int) -> NotFound:
    """The one answer for a person nobody has, or somebody outside the area: by the ID number or
    temporary key asked for (masked), or by the internal number asked for."""
    if isinstance(key, int):
        return NotFound(f"人员 {key} 不存在或不在您的管辖范围内", f"person {key} does not exist or is outside your area")
    return NotFound(
        f"找不到身份证号或临时编号为 {mask(key.strip())} 的人员", f"no person has the ID number or temporary key {mask(key.strip())}"
    )


@dataclass(frozen=True)
class Officer:
    username: str
    role: Role | None  # None: the system (the command line, loaders), not an account
    unit_id: int | None  # None: the system, bound to no unit
    scope: Scope
    channel: str = "cli"
    origin: str = ""

    @classmethod
    def of(cls, session: Session, username: str, *, channel: str = "cli", origin: str = "", on: dt.date | None = None) -> Officer:
        """The active account ``username`` (its scope as of ``on``, default today)."""
        acc = accounts.get_account(session, username)
        if not acc.active:
            raise UserError(f"账号 {acc.username} 已停用", f"the account {acc.username} is disabled")
        return cls.for_account(acc, Scope.for_unit(session, acc.unit_id, on), channel=channel, origin=origin)

    @classmethod
    def for_account(cls, account: Account, scope: Scope, *, channel: str = "web", origin: str = "") -> Officer:
        """The signed-in ``account`` with its ``scope`` (already read for the request), acting through
        ``channel`` (web, import) from ``origin`` (the client's address...)."""
        return cls(account.username, Role(account.role), account.unit_id, scope, channel, origin)

    @classmethod
    def system(cls, actor: Actor | None = None) -> Officer:
        """The system acting county-wide (no area limit) with the registry's write permissions, under
        ``actor``'s name, channel and origin — by default the operating-system user on this host, as the
        command line has always signed its changes (``Actor.local()``)."""
        a = actor or Actor.local()
        return cls(a.name, None, None, Scope.county_wide(), a.channel, a.origin)

    @property
    def is_system(self) -> bool:
        return self.role is None

    @property
    def actor(self) -> Actor:
        """The writer of this officer's changes: the account name goes into every changeset."""
        return Actor(self.username, self.channel, self.origin)

    def may(self, permission: str) -> bool:
        return permission in SYSTEM_PERMISSIONS if self.role is None else allows(self.role, permission)

    def require(self, permission: str, what_zh: str, what_en: str) -> None:
        if not self.may(permission):
            raise Forbidden(self.role, what_zh, what_en)

    def sees_unit(self, unit_id: int | None) -> bool:
        return self.scope.unit_ids is None or unit_id in self.scope.unit_ids

    def require_unit(self, unit_id: int | None, what_zh: str, what_en: str, number: int | str) -> None:
        """Not found unless ``unit_id`` is in the scope (records are located by their village); None —
        no record — is not found for every account, the county's too."""
        if unit_id is None or not self.sees_unit(unit_id):
            raise NotFound(f"{what_zh} {number} 不存在或不在您的管辖范围内", f"{what_en} {number} does not exist or is outside your area")

    def sees_person(self, session: Session, person: Person, date: dt.date | None = None) -> bool:
        """Whether ``person`` is in the scope on ``date`` (default today)."""
        return self.scope.has_person(session, person, date)

    def require_person(self, session: Session, person: Person | None, key: str | int, date: dt.date | None = None) -> Person:
        """``person`` if it is in the scope; else (or for None) the same "not found" as for nobody,
        naming only the ``key`` the caller asked for (an ID number or temporary key, or an internal number)."""
        if person is None or not self.sees_person(session, person, date):
            raise person_not_found(key)
        return person

    def writing(self, session: Session) -> None:
        """Refuse a write transaction opened for someone else: the audit trail must name this officer."""
        actor = session.info.get("actor")
        if actor is None or actor.name != self.username:
            raise RuntimeError("writes go through db.write(officer.actor)")
