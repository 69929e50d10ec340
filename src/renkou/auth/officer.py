"""Who acts in the benefit cycle: an account's role (what it may do) and organisation scope (whose
records it may touch), checked by the services for every step — never only in a page or command.

A record outside the account's scope is reported as not found, as everywhere in renkou
(renkou.auth.scope): a changed number learns nothing about other townships.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from renkou.auth import accounts
from renkou.auth.roles import ROLES, Role, allows
from renkou.auth.scope import Scope
from renkou.errors import NotFound, UserError
from renkou.storage.db import Actor


class Forbidden(UserError):
    def __init__(self, role: Role, what_zh: str, what_en: str) -> None:
        info = ROLES[role]
        super().__init__(f"“{info.zh}”角色无权{what_zh}", f"the role {info.en} may not {what_en}", code="forbidden")


@dataclass(frozen=True)
class Officer:
    username: str
    role: Role
    unit_id: int
    scope: Scope
    channel: str = "cli"
    origin: str = ""

    @classmethod
    def of(cls, session: Session, username: str, *, channel: str = "cli", origin: str = "", on: dt.date | None = None) -> Officer:
        """The active account ``username`` (its scope as of ``on``, default today)."""
        acc = accounts.get_account(session, username)
        if not acc.active:
            raise UserError(f"账号 {acc.username} 已停用", f"the account {acc.username} is disabled")
        return cls(acc.username, Role(acc.role), acc.unit_id, Scope.for_unit(session, acc.unit_id, on), channel, origin)

    @property
    def actor(self) -> Actor:
        """The writer of this officer's changes: the account name goes into every changeset."""
        return Actor(self.username, self.channel, self.origin)

    def may(self, permission: str) -> bool:
        return allows(self.role, permission)

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

    def writing(self, session: Session) -> None:
        """Refuse a write transaction opened for someone else: the audit trail must name this officer."""
        actor = session.info.get("actor")
        if actor is None or actor.name != self.username:
            raise RuntimeError("benefit writes go through db.write(officer.actor)")
