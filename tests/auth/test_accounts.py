"""Accounts on SQLite and PostgreSQL: creation rules, login, lockout, TOTP, and secrets kept out of
the audit trail."""

import datetime as dt

import pyotp
import pytest
from sqlalchemy import select, text

from helpers import COUNTY, build_units
from renkou.auth import accounts
from renkou.auth.roles import Role
from renkou.errors import ValidationFailed
from renkou.storage.db import Actor
from renkou.storage.schema import Account, AuditEntry

PW = "Village.Work-2026"
ADMIN = Actor("admin", "cli", "pytest")


@pytest.fixture
def county(db):
    build_units(db)


def _village(db):
    from renkou.registry.orgs import Hierarchy

    with db.read() as s:
        h = Hierarchy.as_of(s, dt.date.today())
        return next(u.code for u in h.units.values() if u.level == "village"), next(u.code for u in h.units.values() if u.level == "township")


def test_create_checks_name_role_level_password_and_uniqueness(db, county):
    village, township = _village(db)
    with db.write(ADMIN) as s:
        acc = accounts.create_account(s, username="Wang.Fang", display_name="王芳", role="village_worker", unit_code=village, password=PW)
        assert acc.username == "wang.fang" and acc.password_hash.startswith("$argon2id$")
    with pytest.raises(ValidationFailed) as e, db.write(ADMIN) as s:
        accounts.create_account(s, username="wang.fang", display_name="", role="village_worker", unit_code=township, password="short")
    assert {p.rule for p in e.value.problems} >= {"username_taken", "required", "role_level", "password_short"}
    with pytest.raises(ValidationFailed) as e, db.write(ADMIN) as s:
        accounts.create_account(s, username="x!", display_name="某", role="king", unit_code="999999", password=PW)
    assert {p.rule for p in e.value.problems} >= {"username_format", "bad_choice", "unknown_org"}
    with db.read() as s:
        assert len(s.scalars(select(Account)).all()) == 1


def _make(db, role="village_worker", unit=None, name="li.ming"):
    village, _ = _village(db)
    with db.write(ADMIN) as s:
        accounts.create_account(s, username=name, display_name="李明", role=role, unit_code=unit or village, password=PW)


def test_login_and_the_same_message_for_every_failure(db, county):
    _make(db)
    login = accounts.authenticate(db, "LI.MING", PW)
    assert login.role is Role.VILLAGE_WORKER and not login.must_enrol_totp
    msgs = set()
    for user, pw in (("li.ming", "wrong"), ("nobody", PW)):
        with pytest.raises(accounts.LoginFailed) as e:
            accounts.authenticate(db, user, pw)
        msgs.add(e.value.en)
    assert len(msgs) == 1


def test_lockout_after_repeated_failures_survives_the_failed_login(db, county):
    _make(db)
    now = dt.datetime(2026, 11, 22, 8, 0)
    for i in range(accounts.LOCK_AFTER):
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(db, "li.ming", f"wrong{i}", now=now)
    with pytest.raises(accounts.LoginFailed):  # locked: even the right password fails
        accounts.authenticate(db, "li.ming", PW, now=now + dt.timedelta(minutes=1))
    ok = accounts.authenticate(db, "li.ming", PW, now=now + dt.timedelta(minutes=accounts.LOCK_MINUTES + 1))
    assert ok.username == "li.ming"
    with db.read() as s:
        acc = s.scalar(select(Account))
        assert acc.failed_logins == 0 and acc.locked_until is None


def test_totp_second_factor(db, county):
    _make(db, role="county_statistician", unit=COUNTY, name="tongji")
    first = accounts.authenticate(db, "tongji", PW)
    assert first.must_enrol_totp
    with db.write(ADMIN) as s:
        acc = accounts.get_account(s, "tongji")
        secret, uri = accounts.start_totp(acc)
        assert uri.startswith("otpauth://totp/") and "renkou" in uri
        with pytest.raises(Exception):
            accounts.confirm_totp(s, acc, secret, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
        accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "tongji", PW)  # the code is now required
    ok = accounts.authenticate(db, "tongji", PW, totp_code=pyotp.TOTP(secret).now())
    assert not ok.must_enrol_totp


def test_secrets_never_reach_the_audit_trail_and_accounts_are_never_deleted(db, county):
    _make(db)
    with db.write(ADMIN, reason="forgotten") as s:
        acc = accounts.get_account(s, "li.ming")
        accounts.set_password(s, acc, "Another.Pass-2027")
    with pytest.raises(ValidationFailed):
        with db.write(ADMIN) as s:
            accounts.set_password(s, accounts.get_account(s, "li.ming"), "Another.Pass-2027")  # the same again
    with db.read() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "account")).all()
        assert entries
        dumped = repr([(e.before, e.after) for e in entries])
        assert "argon2" not in dumped and "***" in dumped
    with pytest.raises(Exception), db.engine.begin() as c:
        c.execute(text("DELETE FROM account"))
    assert accounts.authenticate(db, "li.ming", "Another.Pass-2027").username == "li.ming"
