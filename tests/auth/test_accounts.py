"""Accounts on SQLite and PostgreSQL: creation rules, login, lockout, TOTP, and secrets kept out of
the audit trail."""

import datetime as dt
import time

import pyotp
import pytest
from sqlalchemy import select

from helpers import COUNTY, build_units
from renkou.auth import accounts
from renkou.auth.roles import Role
from renkou.errors import UserError, ValidationFailed
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
        return next(u.code for u in h.units.values() if u.level == "village"), next(
            u.code for u in h.units.values() if u.level == "township"
        )


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
        with pytest.raises(UserError, match="one-time code is wrong"):
            accounts.confirm_totp(s, acc, secret, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111", now=T0)
        accounts.confirm_totp(s, acc, secret, _code(secret, T0), now=T0)
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "tongji", PW, now=T0 + STEP)  # the code is now required
    ok = accounts.authenticate(db, "tongji", PW, totp_code=_code(secret, T0 + STEP), now=T0 + STEP)
    assert not ok.must_enrol_totp


T0 = dt.datetime(2026, 12, 1, 8, 0, 0)
STEP = dt.timedelta(seconds=30)


def _code(secret: str, at: dt.datetime) -> str:
    return pyotp.TOTP(secret).at(at.replace(tzinfo=dt.UTC))


def _enrolled(db, name="tongji") -> str:
    _make(db, role="county_statistician", unit=COUNTY, name=name)
    with db.write(ADMIN) as s:
        acc = accounts.get_account(s, name)
        secret, _ = accounts.start_totp(acc)
        accounts.confirm_totp(s, acc, secret, _code(secret, T0), now=T0)
    return secret


def test_a_one_time_code_is_accepted_once(db, county):
    secret = _enrolled(db)
    at = T0 + 4 * STEP
    with pytest.raises(accounts.LoginFailed):  # the enrolment's own code, replayed
        accounts.authenticate(db, "tongji", PW, totp_code=_code(secret, T0), now=T0 + STEP // 2)
    accounts.authenticate(db, "tongji", PW, totp_code=_code(secret, at), now=at)
    for replay_at in (at, at + STEP // 3, at + STEP):  # the same code again, in its step or the next (clock drift window)
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(db, "tongji", PW, totp_code=_code(secret, at), now=replay_at)
    with pytest.raises(accounts.LoginFailed):  # nor an earlier step's code that is still inside the window
        accounts.authenticate(db, "tongji", PW, totp_code=_code(secret, at - STEP), now=at)
    assert accounts.authenticate(db, "tongji", PW, totp_code=_code(secret, at + STEP), now=at + STEP).username == "tongji"


@pytest.mark.parametrize(
    "proof, accepted", [("", False), ("wrong-password", False), ("old code replayed", False), ("old code", True), (PW, True)]
)
def test_replacing_the_second_factor_needs_the_current_code_or_the_password(db, county, proof, accepted):
    old = _enrolled(db)
    at = T0 + 10 * STEP
    current = {"old code": _code(old, at), "old code replayed": _code(old, T0)}.get(proof, proof)
    with db.write(ADMIN) as s:
        acc = accounts.get_account(s, "tongji")
        new, _ = accounts.start_totp(acc)
        if accepted:
            accounts.confirm_totp(s, acc, new, _code(new, at), current=current, now=at)
        else:
            with pytest.raises(accounts.FactorNotProved) as e:
                accounts.confirm_totp(s, acc, new, _code(new, at), current=current, now=at)
            assert "当前的动态验证码或密码" in e.value.zh and "current code or the password" in e.value.en
    with db.read() as s:
        assert accounts.get_account(s, "tongji").totp_secret == (new if accepted else old)


def test_the_account_lock_does_not_apply_from_the_last_sign_in_address(db, county):
    _make(db)
    now = dt.datetime(2026, 11, 22, 8, 0)
    accounts.authenticate(db, "li.ming", PW, origin="203.0.113.5", now=now)
    for i in range(accounts.LOCK_AFTER):
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(db, "li.ming", f"wrong{i}", origin=f"198.51.100.{i}", now=now)
    with pytest.raises(accounts.LoginFailed):  # locked for every other address, even with the password
        accounts.authenticate(db, "li.ming", PW, origin="198.51.100.250", now=now)
    assert accounts.authenticate(db, "li.ming", PW, origin="203.0.113.5", now=now).username == "li.ming"


def test_signing_out_and_setting_a_password_end_the_sessions(db, county):
    _make(db)
    with db.read() as s:
        acc_id = accounts.get_account(s, "li.ming").id
    before = time.time()
    with db.read() as s:
        assert accounts.session_account(s, acc_id, before) is not None
    accounts.sign_out(db, acc_id, origin="203.0.113.5")
    after = time.time()
    with db.read() as s:
        assert accounts.session_account(s, acc_id, before) is None and accounts.session_account(s, acc_id, after) is not None
    with db.write(ADMIN) as s:
        accounts.set_password(s, accounts.get_account(s, "li.ming"), "Another.Pass-2027")
    with db.read() as s:
        assert accounts.session_account(s, acc_id, after) is None


def _interleaved(monkeypatch, *inner: tuple[str, str | None]):
    """The first sign-in that checks a password has read its account; before it saves anything, each of
    ``inner`` (password, code) signs in to the same account, start to end — a race, lost by the first."""
    real, pending = accounts.passwords.verify, list(inner)

    def verify(hashed: str, password: str) -> bool:
        while pending:
            pw, code = pending.pop(0)
            try:
                accounts.authenticate(DB[0], "tongji", pw, totp_code=code, now=RACE_AT)
            except accounts.LoginFailed:
                pass
        return real(hashed, password)

    monkeypatch.setattr(accounts.passwords, "verify", verify)


DB: list = []
RACE_AT = T0 + 20 * STEP


def _account(db, name="tongji") -> Account:
    with db.read() as s:
        return accounts.get_account(s, name)


def test_two_sign_ins_with_the_same_code_at_once_let_one_in(db, county, monkeypatch):
    """Both read the account before either saves: the one that saves second is refused like a replayed
    code (a clean LoginFailed, not a concurrent-edit error or a 500), and the code is spent."""
    secret = _enrolled(db)
    DB[:] = [db]
    code = _code(secret, RACE_AT)
    _interleaved(monkeypatch, (PW, code))
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "tongji", PW, totp_code=code, now=RACE_AT)
    acc = _account(db)
    assert acc.totp_last_step == int(RACE_AT.replace(tzinfo=dt.UTC).timestamp()) // 30
    assert acc.failed_logins == 1  # the replay is a failure like any other
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "tongji", PW, totp_code=code, now=RACE_AT)


def test_a_sign_in_racing_a_failure_still_signs_in_and_the_failure_counts(db, county, monkeypatch):
    """A wrong password saved while a right sign-in was under way: the sign-in reads the account again
    and succeeds; concurrent failures are each counted (none lost to the race)."""
    secret = _enrolled(db)
    DB[:] = [db]
    code = _code(secret, RACE_AT)
    _interleaved(monkeypatch, ("wrong", code))
    assert accounts.authenticate(db, "tongji", PW, totp_code=code, now=RACE_AT).username == "tongji"
    assert _account(db).failed_logins == 0  # the success resets the count
    _interleaved(monkeypatch, ("wrong1", None), ("wrong2", None))
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "tongji", "wrong3", now=RACE_AT)
    assert _account(db).failed_logins == 3


def test_a_sign_in_that_loses_the_race_twice_is_refused_cleanly(db, county, monkeypatch):
    secret = _enrolled(db)
    DB[:] = [db]
    real = accounts.passwords.verify
    calls = []

    def verify(hashed: str, password: str) -> bool:  # every reading of the account is overtaken by a failure
        calls.append(password)
        if password == PW:
            with db.write(ADMIN) as s:
                accounts.get_account(s, "tongji").failed_logins += 1
        return real(hashed, password)

    monkeypatch.setattr(accounts.passwords, "verify", verify)
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "tongji", PW, totp_code=_code(secret, RACE_AT), now=RACE_AT)
    assert calls == [PW, PW]  # read again once, then refused
    assert _account(db).totp_last_step != int(RACE_AT.replace(tzinfo=dt.UTC).timestamp()) // 30  # nothing of it saved


def test_signing_out_while_signing_in_ends_the_sessions(db, county, monkeypatch):
    secret = _enrolled(db)
    acc = _account(db)
    real = accounts.end_sessions

    def racing(session, account, **kw):  # a sign-in saved between the sign-out's reading and its saving
        if not calls:
            calls.append(1)
            accounts.authenticate(db, "tongji", PW, totp_code=_code(secret, RACE_AT), now=RACE_AT)
        real(session, account, **kw)

    calls: list[int] = []
    monkeypatch.setattr(accounts, "end_sessions", racing)
    accounts.sign_out(db, acc.id)
    assert _account(db).sessions_valid_after is not None


# ------------------------------------------------------------------------------------ a password given by an administrator


@pytest.mark.parametrize("given_by", ["creation", "reset", "neither"])
def test_a_password_an_administrator_gives_must_be_changed_and_the_owners_change_clears_it(db, county, given_by):
    village, _ = _village(db)
    with db.write(ADMIN) as s:
        acc = accounts.create_account(
            s,
            username="li.ming",
            display_name="李明",
            role="village_worker",
            unit_code=village,
            password=PW,
            must_change=given_by == "creation",
        )
        if given_by == "reset":
            accounts.set_password(s, acc, "Reset.Given-2027", must_change=True)
    given = "Reset.Given-2027" if given_by == "reset" else PW
    login = accounts.authenticate(db, "li.ming", given)
    assert login.must_change_password == (given_by != "neither")
    with pytest.raises(ValidationFailed) as e, db.write(Actor("li.ming", "web")) as s:
        accounts.change_password(s, accounts.get_account(s, "li.ming"), given, given)  # the same again
    assert [p.rule for p in e.value.problems] == ["password_reused"]
    with pytest.raises(ValidationFailed) as e, db.write(Actor("li.ming", "web")) as s:
        accounts.change_password(s, accounts.get_account(s, "li.ming"), given, "li.ming-Pass-2027")  # the policy holds
    assert [p.rule for p in e.value.problems] == ["password_username"]
    with pytest.raises(accounts.WrongPassword), db.write(Actor("li.ming", "web")) as s:
        accounts.change_password(s, accounts.get_account(s, "li.ming"), "not-it", "Mine.Own-2027x")
    assert accounts.authenticate(db, "li.ming", given).must_change_password == (given_by != "neither")  # nothing changed
    issued = time.time()
    with db.write(Actor("li.ming", "web")) as s:
        accounts.change_password(s, accounts.get_account(s, "li.ming"), given, "Mine.Own-2027x")
    with db.read() as s:
        acc = accounts.get_account(s, "li.ming")
        assert not acc.password_must_change and accounts.session_account(s, acc.id, issued) is None  # sessions ended
    assert not accounts.authenticate(db, "li.ming", "Mine.Own-2027x").must_change_password
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "li.ming", given)


def test_clearing_the_second_factor_ends_the_sessions_and_asks_for_a_new_one(db, county):
    _make(db, role="auditor", unit=COUNTY, name="shenji")
    with db.write(ADMIN) as s:
        acc = accounts.get_account(s, "shenji")
        secret, _ = accounts.start_totp(acc)
        accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
    issued = time.time()
    with db.write(ADMIN, reason="手机丢失") as s:
        assert accounts.clear_totp(s, accounts.get_account(s, "shenji")) is True
    with db.write(ADMIN, reason="again") as s:
        assert accounts.clear_totp(s, accounts.get_account(s, "shenji")) is False  # none left: nothing to do
    with db.read() as s:
        acc = accounts.get_account(s, "shenji")
        assert acc.totp_secret is None and accounts.session_account(s, acc.id, issued) is None
        trail = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "account", AuditEntry.reason == "手机丢失")).all()
    assert len(trail) == 1 and trail[0].after["totp_secret"] == "*** (changed)" and secret not in str(trail[0].before)
    login = accounts.authenticate(db, "shenji", PW)  # no code asked: the owner sets up a new one first
    assert login.must_enrol_totp
