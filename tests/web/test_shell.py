"""The web shell: sign in and out, sessions, CSRF on every state change, security headers,
throttling — on SQLite and PostgreSQL."""

import pytest
from starlette.testclient import TestClient

from helpers import ACTOR, COUNTY, V1, build_units
from renkou.auth import accounts
from renkou.web import app as web
from renkou.web import security
from renkou.web.security import COOKIE, HEADERS

PW = "Village.Work-2026"


@pytest.fixture
def client(db):
    build_units(db)
    with db.write(ACTOR) as s:
        accounts.create_account(s, username="cun", display_name="村干部", role="village_worker", unit_code=V1, password=PW)
        accounts.create_account(s, username="admin", display_name="管理员", role="sysadmin", unit_code=COUNTY, password=PW)
    with TestClient(web.create_app(db, secret="test-secret", secure_cookies=False)) as c:
        yield c


def _token(c: TestClient) -> str:
    page = c.get("/login").text
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def login(c: TestClient, user="cun", pw=PW):
    return c.post("/login", data={"username": user, "password": pw, "csrf_token": _token(c)}, follow_redirects=False)


def test_sign_in_shows_the_home_page_of_the_users_unit(client):
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    r = login(client)
    assert r.status_code == 303 and r.headers["location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "村干部" in home.text and V1 in home.text


def test_wrong_password_is_a_chinese_message_and_no_session(client):
    r = login(client, pw="wrong-password")
    assert r.status_code == 200 and "用户名、密码或动态验证码不正确" in r.text and 'value="cun"' in r.text
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_state_changes_need_the_sessions_csrf_token(client, token):
    login(client)
    data = {} if token is None else {"csrf_token": token}
    assert client.post("/logout", data=data, follow_redirects=False).status_code == 403
    assert client.get("/").status_code == 200  # still signed in
    good = client.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/logout", data={"csrf_token": good}, follow_redirects=False).status_code == 303


def test_sign_in_itself_needs_the_forms_token(client):
    fresh = TestClient(client.app)
    # no session at all: nothing to borrow, so the CSRF check lets it through, and sign-in answers with a fresh form
    r = fresh.post("/login", data={"username": "cun", "password": PW}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login") and COOKIE not in r.cookies
    assert fresh.get("/", follow_redirects=False).headers["location"] == "/login"  # nobody signed in
    # the sign-in form's own session without its token: refused
    fresh.get("/login")
    r = fresh.post("/login", data={"username": "cun", "password": PW}, follow_redirects=False)
    assert r.status_code == 403 and fresh.get("/", follow_redirects=False).headers["location"] == "/login"


def test_sign_in_with_a_bearer_header_and_no_cookie_is_no_error(client):
    fresh = TestClient(client.app)
    r = fresh.post("/login", data={"username": "cun", "password": "wrong"}, headers={"Authorization": "Bearer x"}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login") and COOKIE not in r.cookies


def test_security_headers_and_cookie_flags(db, client):
    r = client.get("/login")
    for k, v in HEADERS.items():
        assert r.headers[k] == v
    assert "'unsafe-inline'" not in r.headers["content-security-policy"]
    secure_app = web.create_app(db, secret="s", secure_cookies=True)
    with TestClient(secure_app, base_url="https://testserver") as c:
        cookie = c.get("/login").headers["set-cookie"]
    assert COOKIE in cookie and "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie.replace("samesite", "SameSite")


def test_a_new_session_at_every_sign_in(client):
    client.get("/login")
    before = client.cookies.get(COOKIE)
    assert login(client).status_code == 303
    assert client.cookies.get(COOKIE) != before


def test_throttling_by_address(client, monkeypatch):
    monkeypatch.setattr(security, "ADDRESS_FAILURES", 3)
    for user in ("admin", "nobody", "someone"):  # guessing at several accounts from one address
        assert "用户名、密码或动态验证码不正确" in login(client, user=user, pw="nope").text
    r = login(client)  # even the right password, from this address, for now
    assert r.status_code == 429 and "登录失败次数过多" in r.text


def test_a_server_error_page_carries_the_security_headers(db):
    app = web.create_app(db, secret="s", secure_cookies=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
        assert r.status_code == 500
        for k, v in HEADERS.items():
            assert r.headers[k] == v
        r = c.get("/no/such/page")
        assert r.status_code == 404 and all(r.headers[k] == v for k, v in HEADERS.items())
