"""The acting party of every write service (renkou.auth.officer): an account's officer (role and area)
and the system officer the command line acts as (county-wide, the registry's write permissions)."""

import pytest
from sqlalchemy import select

from helpers import ACTOR, T1, build_units
from renkou.auth import accounts
from renkou.auth.officer import Forbidden, Officer
from renkou.auth.roles import Role
from renkou.storage.db import Actor
from renkou.storage.schema import Account

PW = "Village.Work-2026"


def test_the_system_officer_signs_as_the_command_line_always_has():
    off = Officer.system()
    assert off.actor == Actor.local() and off.is_system and off.scope.everything and off.unit_id is None
    assert Officer.system(Actor("demo", "system", "renkou demo")).actor == Actor("demo", "system", "renkou demo")


@pytest.mark.parametrize(
    "permission, allowed",
    [
        ("person:write", True),
        ("event:write", True),
        ("household:write", True),
        ("import:write", True),
        ("person:read", True),
        ("benefit:apply", False),
        ("user:manage", False),
        ("payment:manage", False),
    ],
)
def test_the_system_may_write_the_registry_and_nothing_else(permission, allowed):
    off = Officer.system(ACTOR)
    assert off.may(permission) is allowed
    if not allowed:
        with pytest.raises(Forbidden) as e:
            off.require(permission, "做这件事", "do this")
        assert "“系统”角色无权做这件事" in e.value.zh and "the role system may not do this" in e.value.en


def test_an_account_as_officer(db):
    build_units(db)
    with db.write(ACTOR) as s:
        accounts.create_account(s, username="xiang1", display_name="乡一", role="township_officer", unit_code=T1, password=PW)
    with db.read() as s:
        acc = s.scalar(select(Account).where(Account.username == "xiang1"))
        by_name = Officer.of(s, "xiang1", channel="web", origin="10.0.0.1")
        off = Officer.for_account(acc, by_name.scope, channel="web", origin="10.0.0.1")
    assert off == by_name and off.role is Role.TOWNSHIP_OFFICER and off.unit_id == acc.unit_id and not off.scope.everything
    assert off.actor == Actor("xiang1", "web", "10.0.0.1") and off.may("import:write") and not off.may("benefit:confirm")
