"""Roles and permissions: pure data.

A permission is ``resource:action``. Every account has one role and is bound to one organisation
unit; what it may see is that unit's subtree (see renkou.auth.scope). The system administrator
manages users and configuration and reads no personal data by default.

Family-support benefits (renkou.benefits): the village worker enters applications, reviews them for
the village, posts them and records objections (benefit:apply); the township officer reviews and
resolves objections (benefit:review); the county benefit administrator confirms, re-confirms,
decides exits (benefit:confirm) and pays (payment:manage); the auditor reads everything in its
scope (benefit:read).

Every permission is one ``Permission``; each is checked somewhere (a page or API route declares the
one it needs, a service's officer requires it; tests/auth/test_passwords_roles.py fails for one that nothing
names). Permissions that nothing checked (household:read, report:publish, quality:read, config:manage)
were removed rather than kept as a promise; household:write is the check of
renkou.registry.persons.create_household (the village's household register, 分户底册).
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
    permissions: frozenset[Permission]
    needs_totp: bool = False


class Permission(StrEnum):
    """What a role may do, as ``resource:action``; the values are what the code has always compared."""

    PERSON_READ = "person:read"
    PERSON_WRITE = "person:write"
    PERSON_REVEAL = "person:reveal"
    EVENT_WRITE = "event:write"
    HOUSEHOLD_WRITE = "household:write"
    ORG_READ = "org:read"
    POPULATION_READ = "population:read"
    REPORT_READ = "report:read"
    LEDGER_READ = "ledger:read"
    IMPORT_WRITE = "import:write"
    AUDIT_READ = "audit:read"
    USER_MANAGE = "user:manage"
    BENEFIT_APPLY = "benefit:apply"
    BENEFIT_REVIEW = "benefit:review"
    BENEFIT_CONFIRM = "benefit:confirm"
    BENEFIT_READ = "benefit:read"
    PAYMENT_MANAGE = "payment:manage"


P = Permission
_READ = {P.PERSON_READ, P.ORG_READ, P.POPULATION_READ}
_REPORTS = {P.REPORT_READ, P.LEDGER_READ}

ROLES: dict[Role, RoleInfo] = {
    # village workers keep the village ledgers (台账) and see their village's reports; the scope binds them to it
    Role.VILLAGE_WORKER: RoleInfo(
        "村（居）计生专干",
        "village worker",
        ("village",),
        frozenset(_READ | _REPORTS | {P.PERSON_WRITE, P.EVENT_WRITE, P.HOUSEHOLD_WRITE, P.PERSON_REVEAL, P.BENEFIT_APPLY, P.BENEFIT_READ}),
    ),
    Role.TOWNSHIP_OFFICER: RoleInfo(
        "乡镇（街道）干部",
        "township officer",
        ("township",),
        frozenset(
            _READ
            | _REPORTS
            | {P.PERSON_WRITE, P.EVENT_WRITE, P.HOUSEHOLD_WRITE, P.PERSON_REVEAL, P.IMPORT_WRITE, P.BENEFIT_REVIEW, P.BENEFIT_READ}
        ),
    ),
    Role.COUNTY_STATISTICIAN: RoleInfo("县级统计人员", "county statistician", ("county",), frozenset(_READ | _REPORTS), needs_totp=True),
    Role.BENEFIT_ADMIN: RoleInfo(
        "县级奖扶管理员",
        "county benefit administrator",
        ("county",),
        frozenset(_READ | {P.PERSON_REVEAL, P.BENEFIT_REVIEW, P.BENEFIT_CONFIRM, P.PAYMENT_MANAGE, P.BENEFIT_READ}),
        needs_totp=True,
    ),
    # the auditor reads personal data and the whole audit trail of its area: a second factor, like the county roles
    Role.AUDITOR: RoleInfo(
        "审计人员",
        "auditor",
        ("county", "township"),
        frozenset({P.AUDIT_READ, P.ORG_READ, P.POPULATION_READ, P.REPORT_READ, P.BENEFIT_READ}),
        needs_totp=True,
    ),
    Role.SYSADMIN: RoleInfo("系统管理员", "system administrator", ("county",), frozenset({P.USER_MANAGE, P.ORG_READ}), needs_totp=True),
}


def parse_role(raw: str) -> Role | None:
    """A role from its key or Chinese name."""
    for role, info in ROLES.items():
        if raw in (role.value, info.zh):
            return role
    return None


def allows(role: Role, permission: Permission | str) -> bool:
    """Whether the role holds the permission (a ``Permission``, or its text: a StrEnum compares equal to it)."""
    return permission in ROLES[role].permissions
