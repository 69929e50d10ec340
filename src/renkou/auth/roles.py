"""Roles and permissions: pure data.

A permission is ``resource:action``. Every account has one role and is bound to one organisation
unit; what it may see is that unit's subtree (see renkou.auth.scope). The system administrator
manages users and configuration and reads no personal data by default.

Family-support benefits (renkou.benefits): the village worker enters applications, reviews them for
the village, posts them and records objections (benefit:apply); the township officer reviews and
resolves objections (benefit:review); the county benefit administrator confirms, re-confirms,
decides exits (benefit:confirm) and pays (payment:manage); the auditor reads everything in its
scope (benefit:read).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    VILLAGE_WORKER = "village_worker"
    TOWNSHIP_OFFICER = "township_officer"
    COUNTY_STATISTICIAN = "county_statistician"
    BENEFIT_ADMIN = "benefit_admin"
    AUDITOR = "auditor"
    SYSADMIN = "sysadmin"


@dataclass(frozen=True)
class RoleInfo:
    zh: str
    en: str
    levels: tuple[str, ...]  # organisation levels an account of this role may be bound to
    permissions: frozenset[str]
    needs_totp: bool = False


_READ = {"person:read", "household:read", "org:read", "population:read"}
_REPORTS = {"report:read", "ledger:read"}

ROLES: dict[Role, RoleInfo] = {
    # village workers keep the village ledgers (台账) and see their village's reports; the scope binds them to it
    Role.VILLAGE_WORKER: RoleInfo("村（居）专干", "village worker", ("village",),
                                  frozenset(_READ | _REPORTS | {"person:write", "event:write", "household:write", "person:reveal",
                                                                "benefit:apply", "benefit:read"})),
    Role.TOWNSHIP_OFFICER: RoleInfo("乡镇（街道）干部", "township officer", ("township",),
                                    frozenset(_READ | _REPORTS | {"person:write", "event:write", "household:write", "person:reveal", "import:write",
                                                                  "benefit:review", "benefit:read"})),
    Role.COUNTY_STATISTICIAN: RoleInfo("县级统计人员", "county statistician", ("county",),
                                       frozenset(_READ | _REPORTS | {"report:publish", "quality:read"}), needs_totp=True),
    Role.BENEFIT_ADMIN: RoleInfo("县级奖扶管理员", "county benefit administrator", ("county",),
                                 frozenset(_READ | {"person:reveal", "benefit:review", "benefit:confirm", "payment:manage", "benefit:read"}), needs_totp=True),
    # the auditor reads personal data and the whole audit trail of its area: a second factor, like the county roles
    Role.AUDITOR: RoleInfo("审计人员", "auditor", ("county", "township"), frozenset({"audit:read", "org:read", "population:read", "report:read", "benefit:read"}),
                           needs_totp=True),
    Role.SYSADMIN: RoleInfo("系统管理员", "system administrator", ("county",), frozenset({"user:manage", "config:manage", "org:read"}),
                            needs_totp=True),
}


def parse_role(raw: str) -> Role | None:
    """A role from its key or Chinese name."""
    for role, info in ROLES.items():
        if raw in (role.value, info.zh):
            return role
    return None


def allows(role: Role, permission: str) -> bool:
    return permission in ROLES[role].permissions
