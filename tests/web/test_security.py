"""Sessions that end, the client's address behind a proxy, and the sign-in throttle (renkou.web.security
with renkou.auth.accounts): a copied cookie stops working after sign-out, a password reset, a
deactivation and a reactivation; X-Forwarded-For counts only from a trusted proxy; failures at one
account from one address do not lock its user out of their own address."""

import datetime as dt

import pyotp
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from helpers import ACTOR, COUNTY, V1, build_units, totp_code
from renkou.auth import accounts
from renkou.config import Settings
from renkou.errors import UserError
from renkou.storage.schema import Changeset
from renkou.web import app as web
from renkou.web import security
from renkou.web.security import COOKIE, TrustedProxies

PW = "Village.Work-2026"
NEW_PW = "Another.Pass-2027"
FAILED = "用户名、密码或动态验证码不正确"


@pytest.fixture
def app(db):
    build_units(db)
    with db.write(ACTOR) as s:
        accounts.create_account(s, username="cun", display_name="村干部", role="village_worker", unit_code=V1, password=PW)
        accounts.create_account(s, username="cun2", display_name="村干部二", role="village_worker", unit_code=V1, password=PW)
    return web.create_app(db, secret="test-secret", secure_cookies=False, settings=Settings(trusted_proxies=("10.0.0.0/8", "192.168.1.7")))


def client(app, addr: str = "203.0.113.5") -> TestClient:
    return TestClient(app, client=(addr, 40000))


def token(c: TestClient, path: str = "/login") -> str:
    return c.get(path).text.split('name="csrf_token" value="')[1].split('"')[0]


def sign_in(c: TestClient, user: str = "cun", pw: str = PW, headers: dict | None = None):
    return c.post("/login", data={"username": user, "password": pw, "csrf_token": token(c)}, headers=headers or {}, follow_redirects=False)


def signed_in(app, cookie: str) -> bool:
    """Whether a browser holding only this cookie gets the home page and the API."""
    other = TestClient(app, cookies={COOKIE: cookie})
    page = other.get("/", follow_redirects=False).status_code == 200
    api = other.get("/api/v1/me").status_code == 200
    assert page == api  # the page gate and the API ask the same function
    return page


# ------------------------------------------------------------------------------------ sessions end


def test_signing_out_ends_every_copy_of_the_session(app):
    c = client(app)
    assert sign_in(c).status_code == 303
    copied = c.cookies.get(COOKIE)
    assert signed_in(app, copied)
    assert c.post("/logout", data={"csrf_token": token(c, "/")}, follow_redirects=False).status_code == 303
    assert not signed_in(app, copied)
    assert sign_in(c).status_code == 303 and signed_in(app, c.cookies.get(COOKIE))  # signing in again works


def test_signing_out_ends_only_that_accounts_sessions(app):
    mine, theirs = client(app), client(app, "203.0.113.6")
    sign_in(mine)
    sign_in(theirs, "cun2")
    mine.post("/logout", data={"csrf_token": token(mine, "/")}, follow_redirects=False)
    assert signed_in(app, theirs.cookies.get(COOKIE))


@pytest.mark.parametrize("change", ["password", "deactivated", "deactivated and reactivated"])
def test_a_password_reset_or_deactivation_ends_the_sessions(app, db, change):
    c = client(app)
    sign_in(c)
    copied = c.cookies.get(COOKIE)
    with db.write(ACTOR, reason="test") as s:
        acc = accounts.get_account(s, "cun")
        if change == "password":
            accounts.set_password(s, acc, NEW_PW)
        else:
            accounts.set_active(s, acc, False)
    if change == "deactivated and reactivated":
        with db.write(ACTOR, reason="test") as s:
            accounts.set_active(s, accounts.get_account(s, "cun"), True)
    assert not signed_in(app, copied)
    if change != "deactivated":
        assert sign_in(client(app), pw=NEW_PW if change == "password" else PW).status_code == 303


def test_a_session_issued_after_the_end_is_valid_and_one_before_is_not(db, app):
    with db.write(ACTOR) as s:
        acc = accounts.get_account(s, "cun")
        accounts.end_sessions(s, acc, now=dt.datetime(2026, 12, 1, 8, 0))
        ended = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC).timestamp()
        assert accounts.session_account(s, acc.id, ended + 0.001) is acc
        assert accounts.session_account(s, acc.id, ended) is None
        assert accounts.session_account(s, acc.id, ended - 60) is None
        assert accounts.session_account(s, 0, ended + 60) is None


# ------------------------------------------------------------------------------------ the client's address


@pytest.mark.parametrize(
    "peer, forwarded, seen",
    [
        ("203.0.113.5", ["1.2.3.4"], "203.0.113.5"),  # not a proxy: the header is the client's own claim
        ("127.0.0.1", ["1.2.3.4"], "127.0.0.1"),  # not even from this machine, unless named
        ("10.0.0.1", ["1.2.3.4"], "1.2.3.4"),
        ("10.0.0.1", ["6.6.6.6, 1.2.3.4"], "1.2.3.4"),  # what the client wrote before the proxy's entry is ignored
        ("10.0.0.1", ["6.6.6.6, 1.2.3.4, 10.9.9.9"], "1.2.3.4"),  # two trusted proxies in a row
        ("10.0.0.1", ["6.6.6.6", "1.2.3.4"], "1.2.3.4"),  # the header repeated
        ("192.168.1.7", ["2001:db8::5"], "2001:db8::5"),
        ("192.168.1.8", ["1.2.3.4"], "192.168.1.8"),  # next to a trusted address is not trusted
        ("10.0.0.1", ["not-an-address"], "10.0.0.1"),
        ("10.0.0.1", [], "10.0.0.1"),
    ],
)
def test_x_forwarded_for_counts_only_from_a_trusted_proxy(peer, forwarded, seen):
    assert TrustedProxies(None, ("10.0.0.0/8", "192.168.1.7")).client(peer, forwarded) == seen


def test_without_trusted_proxies_the_header_changes_nothing(db, app, monkeypatch):
    """The default: a client cannot choose its address to escape the throttle or forge the audit trail."""
    plain = web.create_app(db, secret="test-secret", secure_cookies=False, settings=Settings())
    monkeypatch.setattr(security, "ADDRESS_FAILURES", 3)
    c = client(plain, "127.0.0.1")
    for n in range(3):
        sign_in(c, "cun2", "nope", headers={"X-Forwarded-For": f"198.51.100.{n}"})
    r = sign_in(c, headers={"X-Forwarded-For": "198.51.100.99"})
    assert r.status_code == 429
    with db.read() as s:
        origins = set(s.scalars(select(Changeset.origin).where(Changeset.note == "login")))
    assert origins == {"127.0.0.1"}


def test_behind_a_trusted_proxy_the_audit_trail_names_the_client(db, app):
    c = client(app, "10.0.0.1")
    assert sign_in(c, headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.20"}).status_code == 303
    with db.read() as s:
        assert accounts.get_account(s, "cun").last_login_origin == "198.51.100.20"


@pytest.mark.parametrize(
    "raw, parsed",
    [("", ()), ("10.0.0.5", ("10.0.0.5/32",)), (" 10.1.0.0/24 , ::1", ("10.1.0.0/24", "::1/128")), ("10.1.0.9/24", ("10.1.0.0/24",))],
)
def test_the_trusted_proxies_setting(raw, parsed):
    assert Settings.from_env({"RENKOU_TRUSTED_PROXIES": raw}).trusted_proxies == parsed


@pytest.mark.parametrize("raw", ["proxy.local", "10.0.0.0/33", "10.0.0.1;10.0.0.2"])
def test_a_wrong_trusted_proxies_setting_is_refused_in_both_languages(raw):
    with pytest.raises(UserError) as e:
        Settings.from_env({"RENKOU_TRUSTED_PROXIES": raw})
    assert "RENKOU_TRUSTED_PROXIES" in e.value.zh and "IP" in e.value.en


# ------------------------------------------------------------------------------------ throttle and lockout


def test_failures_at_one_account_from_one_address_block_only_that_pair(app):
    attacker = client(app, "198.51.100.66")
    for _ in range(security.PAIR_FAILURES):
        assert FAILED in sign_in(attacker, pw="guess").text
    assert sign_in(attacker).status_code == 429  # this account, from this address: refused for now
    assert sign_in(attacker, "cun2").status_code == 303  # another account from the same address is not
    assert sign_in(client(app, "203.0.113.5")).status_code == 303  # the user from their own address is not


def test_the_account_lock_does_not_lock_the_user_out_of_their_usual_address(db, app):
    assert sign_in(client(app, "203.0.113.5")).status_code == 303  # the user's usual address
    for n in range(accounts.LOCK_AFTER):  # an attacker spread over many addresses locks the account ...
        assert FAILED in sign_in(client(app, f"198.51.100.{n}"), pw="guess").text
    assert FAILED in sign_in(client(app, "198.51.100.200")).text  # ... for everyone elsewhere, even with the password
    assert sign_in(client(app, "203.0.113.5")).status_code == 303  # but not from the user's own address


# ------------------------------------------------------------------------------------ the second factor


@pytest.fixture
def county_user(db, app):
    with db.write(ACTOR) as s:
        acc = accounts.create_account(s, username="shenji", display_name="审计", role="auditor", unit_code=COUNTY, password=PW)
        secret, _ = accounts.start_totp(acc)
        accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
    return secret


def test_a_one_time_code_signs_in_once(app, db, county_user):
    c = client(app)
    code = totp_code(db, "shenji", county_user)
    ok = c.post("/login", data={"username": "shenji", "password": PW, "totp": code, "csrf_token": token(c)}, follow_redirects=False)
    assert ok.status_code == 303
    thief = client(app, "203.0.113.9")  # someone who saw the password and the code typed
    again = thief.post(
        "/login", data={"username": "shenji", "password": PW, "totp": code, "csrf_token": token(thief)}, follow_redirects=False
    )
    assert again.status_code == 200 and FAILED in again.text and not signed_in(app, thief.cookies.get(COOKIE))


def test_the_auditor_must_set_up_a_second_factor_first(app, db):
    with db.write(ACTOR) as s:
        accounts.create_account(s, username="shenji2", display_name="审计二", role="auditor", unit_code=COUNTY, password=PW)
    c = client(app)
    assert sign_in(c, "shenji2").status_code == 303
    r = c.get("/audit", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/totp"


def test_replacing_the_second_factor_on_its_page_needs_the_current_code_or_the_password(app, db, county_user):
    c = client(app)
    c.post("/login", data={"username": "shenji", "password": PW, "totp": totp_code(db, "shenji", county_user), "csrf_token": token(c)})
    page = c.get("/account/totp").text
    assert 'name="current"' in page  # a factor is set up: the form asks for the present one
    form = {
        "csrf_token": page.split('name="csrf_token" value="')[1].split('"')[0],
        "enrol_token": page.split('name="enrol_token" value="')[1].split('"')[0],
    }
    new = page.split('id="totp-secret">')[1].split("<")[0]
    for current in ("", "wrong-password"):
        r = c.post("/account/totp", data={**form, "code": pyotp.TOTP(new).now(), "current": current})
        assert r.status_code == 422 and "当前验证器应用显示的验证码或您的密码" in r.text
    with db.read() as s:
        assert accounts.get_account(s, "shenji").totp_secret == county_user
    r = c.post("/account/totp", data={**form, "code": pyotp.TOTP(new).now(), "current": PW}, follow_redirects=False)
    assert r.status_code == 303
    with db.read() as s:
        assert accounts.get_account(s, "shenji").totp_secret == new


# ------------------------------------------------------------------------------------ a password given by an administrator


def _change_form(c: TestClient, current: str, new: str, again: str | None = None, **more):
    data = {"current": current, "password": new, "password2": new if again is None else again, "csrf_token": token(c, "/account/password")}
    return c.post("/account/password", data=data | more, follow_redirects=False)


@pytest.mark.parametrize("how", ["created", "reset"])
def test_a_password_given_by_an_administrator_must_be_changed_before_anything_else(app, db, how):
    with db.write(ACTOR, reason="test") as s:
        if how == "created":
            accounts.create_account(
                s, username="xinren", display_name="新人", role="village_worker", unit_code=V1, password=PW, must_change=True
            )
        else:
            accounts.set_password(s, accounts.get_account(s, "cun2"), NEW_PW, must_change=True)
    user, given = ("xinren", PW) if how == "created" else ("cun2", NEW_PW)
    c, elsewhere = client(app), client(app, "203.0.113.77")
    r = sign_in(c, user, given)
    assert r.status_code == 303 and r.headers["location"] == "/account/password"
    assert sign_in(elsewhere, user, given).status_code == 303
    for path in ("/", "/persons", "/reports", "/account/totp"):  # every page sends it to the change first
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/account/password", path
    api = c.get("/api/v1/me")
    assert api.status_code == 403 and "须先修改管理员设置的初始密码" in api.json()["detail"]
    page = c.get("/account/password")
    assert page.status_code == 200 and 'id="must-change"' in page.text and "由管理员设置" in page.text
    # the same password again, a weak one, two that differ, a wrong current one: refused, nothing changes
    r = _change_form(c, given, given)
    assert r.status_code == 400 and "新密码不能与原密码相同" in r.text
    r = _change_form(c, given, "short")
    assert r.status_code == 400 and "密码至少 10 个字符" in r.text
    r = _change_form(c, given, "Mine.Own-2027x", "Mine.Own-2027y")
    assert r.status_code == 400 and "两次输入的密码不一致" in r.text
    r = _change_form(c, "not-the-password", "Mine.Own-2027x")
    assert r.status_code == 400 and "原密码不正确" in r.text
    with db.read() as s:
        assert accounts.get_account(s, user).password_must_change
    other_cookie = elsewhere.cookies.get(COOKIE)
    r = _change_form(c, given, "Mine.Own-2027x")
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert c.get("/", follow_redirects=False).status_code == 200 and c.get("/api/v1/me").status_code == 200  # this browser goes on
    assert not signed_in(app, other_cookie)  # every other session has ended
    with db.read() as s:
        acc = accounts.get_account(s, user)
        cs = s.scalar(select(Changeset).where(Changeset.note == "password changed by its owner"))
    assert not acc.password_must_change and cs.actor == user and cs.channel == "web"
    assert sign_in(client(app), user, "Mine.Own-2027x").headers["location"] == "/"  # from now on, straight in
    assert sign_in(client(app), user, given).status_code == 200  # the given one no longer works


def test_a_county_role_changes_the_password_first_and_then_sets_up_the_second_factor(app, db):
    with db.write(ACTOR) as s:
        accounts.create_account(
            s, username="shenji3", display_name="审计三", role="auditor", unit_code=COUNTY, password=PW, must_change=True
        )
    c = client(app)
    assert sign_in(c, "shenji3").headers["location"] == "/account/password"
    assert c.get("/account/totp", follow_redirects=False).headers["location"] == "/account/password"  # not before the change
    assert _change_form(c, PW, "Audit.Mine-2027").status_code == 303
    r = c.get("/audit", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/totp"  # then the second factor
    assert c.get("/account/totp").status_code == 200


def test_an_owner_may_change_the_password_any_time_and_the_change_needs_the_csrf_token(app, db):
    c = client(app)
    sign_in(c)
    page = c.get("/account/password")
    assert page.status_code == 200 and 'id="must-change"' not in page.text
    r = c.post("/account/password", data={"current": PW, "password": "Mine.Own-2027x", "password2": "Mine.Own-2027x"})
    assert r.status_code == 403
    with db.read() as s:
        assert accounts.change_password is not None and accounts.get_account(s, "cun").password_changed_at is not None
    assert sign_in(client(app), "cun", PW).status_code == 303  # unchanged
    assert _change_form(c, PW, "Mine.Own-2027x").status_code == 303
    assert sign_in(client(app), "cun", "Mine.Own-2027x").status_code == 303


def test_an_api_token_is_not_held_to_the_password_change(app, db):
    """A token is a credential of its own for a machine client (made on the command line): it does not
    carry the password the administrator gave, and a machine cannot change one."""
    with db.write(ACTOR) as s:
        acc = accounts.create_account(
            s, username="tuisong", display_name="推送", role="village_worker", unit_code=V1, password=PW, must_change=True
        )
        value = accounts.create_token(s, acc, "推送")
    assert TestClient(app).get("/api/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 200
