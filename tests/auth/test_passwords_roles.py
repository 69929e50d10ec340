"""Password policy, argon2id hashing and the role table (pure)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkou.auth import passwords
from renkou.auth.roles import ROLES, Role, allows, parse_role


@pytest.mark.parametrize(
    "pw, rules",
    [
        ("Short1!", {"password_short"}),
        ("alllowercaseletters", {"password_classes"}),
        ("Password1", {"password_short", "password_common"}),
        ("passw0rd", {"password_short", "password_common", "password_classes"}),
        ("Abcdefghij1", set()),
        ("wang.fang-2026", set()),
        ("Zhang.Wei.2026", set()),
    ],
)
def test_policy(pw, rules):
    assert {p.rule for p in passwords.check(pw)} == rules


def test_a_password_may_not_contain_the_user_name():
    assert {p.rule for p in passwords.check("Xx-wangfang-99", username="wangfang")} == {"password_username"}
    assert passwords.check("Xx-wangfang-99", username="lili") == []


def test_hash_is_argon2id_salted_and_verifies():
    h1, h2 = passwords.hash_password("Zhang.Wei.2026"), passwords.hash_password("Zhang.Wei.2026")
    assert h1.startswith("$argon2id$") and h1 != h2
    assert passwords.verify(h1, "Zhang.Wei.2026") and not passwords.verify(h1, "Zhang.Wei.2027")
    assert not passwords.verify("not a hash", "x")


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=10, max_size=40))
def test_policy_never_raises_and_names_the_password_field(pw):
    for p in passwords.check(pw):
        assert p.field == "password" and p.zh and p.en


def test_roles():
    assert parse_role("村（居）计生专干") is Role.VILLAGE_WORKER and parse_role("township_officer") is Role.TOWNSHIP_OFFICER
    assert parse_role("boss") is None
    assert not any(allows(Role.SYSADMIN, p) for p in ("person:read", "person:reveal", "event:write"))  # no personal data
    assert allows(Role.AUDITOR, "audit:read") and not any(allows(Role.AUDITOR, p) for p in ("person:write", "event:write"))
    assert allows(Role.VILLAGE_WORKER, "event:write") and not allows(Role.VILLAGE_WORKER, "user:manage")
    assert ROLES[Role.SYSADMIN].needs_totp and not ROLES[Role.VILLAGE_WORKER].needs_totp


@pytest.mark.parametrize(
    "role, needs",
    [
        (Role.VILLAGE_WORKER, False),
        (Role.TOWNSHIP_OFFICER, False),
        (Role.COUNTY_STATISTICIAN, True),
        (Role.BENEFIT_ADMIN, True),
        (Role.AUDITOR, True),
        (Role.SYSADMIN, True),
    ],
)
def test_every_role_reading_county_wide_data_or_the_audit_trail_needs_a_second_factor(role, needs):
    """The auditor reads personal data and the whole audit trail of its area: a second factor, like the county roles."""
    assert ROLES[role].needs_totp is needs


def test_production_hashes_use_the_rfc_9106_profile(monkeypatch):
    monkeypatch.delenv("RENKOU_ARGON2_PROFILE", raising=False)
    passwords._hasher.cache_clear()
    try:
        h = passwords.hash_password("Zhang.Wei.2026")
    finally:
        passwords._hasher.cache_clear()
    assert h.startswith("$argon2id$") and "m=65536,t=3,p=4" in h


def test_every_permission_is_checked_somewhere():
    """A permission no route and no service checks is a promise nobody keeps: each is named outside
    renkou.auth.roles (a route's ``require(Permission.X)``, a service's ``officer.require("x:y", ...)``)."""
    from pathlib import Path

    from renkou.auth.roles import Permission

    src = Path(__file__).parents[2] / "src" / "renkou"
    granting = {src / "auth" / "roles.py", src / "auth" / "officer.py"}  # these grant permissions; checking is elsewhere
    text = "\n".join(p.read_text(encoding="utf-8") for p in src.rglob("*.py") if p not in granting)
    unchecked = [p.name for p in Permission if f"Permission.{p.name}" not in text and f'"{p.value}"' not in text]
    assert unchecked == []
