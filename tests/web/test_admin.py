"""The audit viewer (/audit), user administration (/users), the TOTP QR code and the language switch:
who may open what, the auditor's scope, masking, every account action through renkou.auth.accounts,
CSRF on each change — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from helpers import ACTOR, COUNTY, T1, V1, V3, add_resident, build_units, totp_code
from renkou.auth import accounts
from renkou.auth.officer import Officer
from renkou.registry import audit, persons
from renkou.storage.db import Actor
from renkou.storage.schema import Account, AuditEntry, Changeset
from renkou.web import app as web
from renkou.web.admin import audit as admin_audit

PW = "Village.Work-2026"
D = dt.date
ROLES = {
    "cun1": ("village_worker", V1),
    "xiang1": ("township_officer", T1),
    "tongji": ("county_statistician", COUNTY),
    "jiangfu": ("benefit_admin", COUNTY),
    "shenji": ("auditor", COUNTY),
    "shenji1": ("auditor", T1),
    "xitong": ("sysadmin", COUNTY),
}
TOTP_ROLES = ("county_statistician", "benefit_admin", "auditor", "sysadmin")


@pytest.fixture
def env(db):
    build_units(db)
    secrets, ids = {}, {}
    with db.write(ACTOR) as s:
        for key, name, sex, birth, village, n in (("mine", "赵一", "F", D(1985, 3, 1), V1, 1), ("far", "赵二", "M", D(1986, 3, 1), V3, 2)):
            p = add_resident(s, name, sex, birth, village, n)
            ids[key], ids[key + "_id"] = p.id, p.id_number
        for user, (role, unit) in ROLES.items():
            acc = accounts.create_account(s, username=user, display_name=f"显示{user}", role=role, unit_code=unit, password=PW)
            if role in TOTP_ROLES:
                secret, _ = accounts.start_totp(acc)
                accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
                secrets[user] = secret
    # audit trail: a reveal in each township, and an amendment of the far person's ID number
    with db.write(Actor("cun1", "web", "10.0.0.1")) as s:
        audit.reveal(s, s.get(persons.Person, ids["mine"]), "id_number", "核对甲镇户籍")
    with db.write(Actor("xiang2", "web", "10.0.0.2")) as s:
        audit.reveal(s, s.get(persons.Person, ids["far"]), "id_number", f"核对乙乡 {ids['far_id']}")
    new_far = _other_id(ids["far_id"])
    clerk = Officer.system(Actor("clerk", "cli", "host"))
    with db.write(clerk.actor) as s:
        persons.amend_person(s, clerk, ids["far_id"], expected_version=1, reason="更正身份证号", id_number=new_far)
    ids["far_new"] = new_far
    app = web.create_app(db, secret="k", secure_cookies=False)
    with TestClient(app) as c:
        c.renkou_totp = secrets
        yield c, db, ids


def _other_id(idn: str) -> str:
    from renkou.core import idnumber

    return idnumber.make(idn[:6], D(int(idn[6:10]), int(idn[10:12]), int(idn[12:14])), 777)


def sign_in(c, user, pw=PW, expect=303):
    c.cookies.clear()
    t = c.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    code = totp_code(c.app.state.db, user, c.renkou_totp[user]) if user in c.renkou_totp else ""
    r = c.post("/login", data={"username": user, "password": pw, "totp": code, "csrf_token": t}, follow_redirects=False)
    assert r.status_code == expect, r.text[:300]
    return r


def csrf(c, url="/"):
    return c.get(url).text.split('name="csrf_token" value="')[1].split('"')[0]


def audit_rows(html: str) -> list[str]:
    body = html.split('id="audit"')[1].split("</table>")[0].split("<tbody>")[1]
    return re.findall(r"<tr class=\"action-[a-z]+\">(.*?)</tr>", body, re.S)


# ------------------------------------------------------------------------------------------------ access


@pytest.mark.parametrize("user", sorted(ROLES))
def test_permissions_of_each_role(env, user):
    c, _, _ = env
    sign_in(c, user)
    role = ROLES[user][0]
    assert c.get("/audit").status_code == (200 if role == "auditor" else 403)
    assert c.get("/users").status_code == (200 if role == "sysadmin" else 403)
    assert c.get("/users/cun1").status_code == (200 if role == "sysadmin" else 403)
    home = c.get("/").text.split("</header>")[0]
    assert ('href="/audit"' in home) == (role == "auditor") and ('href="/users"' in home) == (role == "sysadmin")
    assert ('href="/persons"' in home) == (role not in ("auditor", "sysadmin"))  # only the pages the account may open


# ------------------------------------------------------------------------------------------------ audit


def test_a_county_auditor_sees_everything_masked(env):
    c, _, ids = env
    sign_in(c, "shenji")
    page = c.get("/audit").text
    rows = audit_rows(page)
    assert any("核对甲镇户籍" in r for r in rows) and any("核对乙乡" in r for r in rows)
    amended = next(r for r in rows if "更正身份证号" in r)
    assert '<code translate="no">id_number</code>' in amended and ids["far_id"] not in page and ids["far_new"] not in page
    assert f"{ids['far_id'][:6]}********{ids['far_id'][-4:]}" in amended and f"{ids['far_new'][:6]}********{ids['far_new'][-4:]}" in amended
    assert any(">cun1<" in r and "10.0.0.1" in r for r in rows)  # who, from where
    assert any("新增行数：" in r for r in rows) and "赵一" not in page  # creations counted; no names of people created
    assert "核对乙乡 " + ids["far_id"] not in page  # an ID number inside a reason is masked too


def test_a_township_auditor_sees_only_the_entries_of_its_area(env):
    c, db, ids = env
    sign_in(c, "shenji1")
    page = c.get("/audit").text
    assert "核对甲镇户籍" in page and "核对乙乡" not in page and "更正身份证号" not in page
    assert f"person={ids['far']}" not in page
    assert "核对乙乡" not in c.get("/audit", params={"person": ids["far"]}).text  # nor by asking for the person
    assert audit_rows(c.get("/audit", params={"person": ids["far"]}).text) == []
    mine = c.get("/audit", params={"person": ids["mine"]}).text
    assert "核对甲镇户籍" in mine and audit_rows(mine)


def test_filters_and_pages(env, monkeypatch):
    c, _, ids = env
    sign_in(c, "shenji")
    by_actor = audit_rows(c.get("/audit", params={"actor": "cun1"}).text)
    assert len(by_actor) == 1 and "核对甲镇户籍" in by_actor[0]
    reveals = audit_rows(c.get("/audit", params={"action": "reveal"}).text)
    assert len(reveals) == 2
    cli = audit_rows(c.get("/audit", params={"channel": "cli", "action": "update"}).text)
    assert all(">clerk<" in r or ">tester<" in r for r in cli) and any("更正身份证号" in r for r in cli)
    person = audit_rows(c.get("/audit", params={"person": ids["far"]}).text)
    assert any("核对乙乡" in r for r in person) and any("更正身份证号" in r for r in person) and not any("核对甲镇" in r for r in person)
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()
    assert audit_rows(c.get("/audit", params={"from": tomorrow}).text) == []
    assert audit_rows(c.get("/audit", params={"to": "2000-01-01"}).text) == []
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert len(audit_rows(c.get("/audit", params={"from": today, "to": today, "action": "reveal"}).text)) == 2
    bad = c.get("/audit", params={"from": "2024-13-01", "person": "x"})
    assert bad.status_code == 400 and "请按 YYYY-MM-DD 格式填写日期" in bad.text and "仅限数字" in bad.text
    monkeypatch.setattr(admin_audit, "PAGE", 2)
    first = c.get("/audit").text
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = c.get(older).text
    assert audit_rows(first) != audit_rows(second) and 'rel="prev"' in second and len(audit_rows(second)) == 2


@pytest.mark.parametrize("auditor", ["shenji", "shenji1"])
def test_pages_read_in_small_batches_of_changesets_join_up_to_the_whole_trail(env, monkeypatch, auditor):
    """Pages of 2 read 3 changesets at a time: together, in order and without repeats, they are the trail
    that one page of 1,000 read in one batch shows (for the county and for a township's auditor)."""
    c, _, _ = env
    sign_in(c, auditor)
    whole = audit_rows(c.get("/audit").text)
    assert len(whole) >= 3
    monkeypatch.setattr(admin_audit, "PAGE", 2)
    monkeypatch.setattr(admin_audit, "BATCH", 3)
    paged, k = [], 1
    while True:
        html = c.get("/audit", params={"page": k}).text
        paged += audit_rows(html)
        if 'rel="next"' not in html:
            break
        k += 1
    assert paged == whole and k == (len(whole) + 1) // 2


# ------------------------------------------------------------------------------------------------ users


def new_account(c, **more):
    data = {
        "username": "xinren",
        "display_name": "新人",
        "role": "village_worker",
        "unit": V1,
        "password": "Xin.Ren-2026!",
        "password2": "Xin.Ren-2026!",
        "csrf_token": csrf(c, "/users"),
    } | more
    return c.post("/users", data=data, follow_redirects=False)


def field(html: str, name: str) -> str:
    m = re.search(rf'<div class="field" id="field-{name}">(.*?)</div>', html, re.S)
    assert m, name
    return m.group(1)


def n_accounts(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count(Account.id)))


def test_the_account_list_shows_accounts_only(env):
    c, _, _ = env
    sign_in(c, "xitong")
    page = c.get("/users").text
    row = re.search(r'<tr id="account-tongji">(.*?)</tr>', page, re.S).group(1)
    assert "县级统计人员" in row and COUNTY in row and "是" in row
    assert "赵一" not in page and "赵二" not in page


def test_a_weak_password_gets_the_policy_message_next_to_the_field(env):
    c, db, _ = env
    sign_in(c, "xitong")
    before = n_accounts(db)
    r = new_account(c, password="short", password2="short")
    assert r.status_code == 400 and "密码至少 10 个字符" in field(r.text, "password") and "至少三类" in field(r.text, "password")
    assert 'value="xinren"' in r.text and "short" not in r.text.split('id="new-account"')[1]  # the password is not sent back
    r = new_account(c, role="village_worker", unit=COUNTY)
    assert r.status_code == 400 and "只能绑定到村居级单位" in field(r.text, "unit")
    r = new_account(c, password2="Other.Pass-2026")
    assert r.status_code == 400 and "两次输入的密码不一致" in field(r.text, "password2")
    assert n_accounts(db) == before


def test_a_created_account_can_sign_in_and_the_change_is_audited(env):
    c, db, _ = env
    sign_in(c, "xitong")
    r = new_account(c)
    assert r.status_code == 303 and r.headers["location"] == "/users?created=xinren"
    assert "账号已建立： xinren" in c.get(r.headers["location"]).text
    with db.read() as s:
        acc = s.scalar(select(Account).where(Account.username == "xinren"))
        cs = s.get(Changeset, acc.created_cs)
    assert (acc.role, cs.actor, cs.channel) == ("village_worker", "xitong", "web")
    fresh = TestClient(c.app)
    fresh.renkou_totp = {}
    sign_in(fresh, "xinren", "Xin.Ren-2026!")


def test_unlock_deactivate_reactivate(env):
    c, db, _ = env
    other = TestClient(c.app)
    other.renkou_totp = {}
    for n in range(accounts.LOCK_AFTER):  # from several addresses: one address alone is throttled first (renkou.web.security)
        attacker = TestClient(c.app, client=(f"198.51.100.{n}", 40000))
        attacker.renkou_totp = {}
        sign_in(attacker, "cun1", "wrong-password", expect=200)
    sign_in(other, "cun1", expect=200)  # locked
    sign_in(c, "xitong")
    assert re.search(r'<td id="locked">是</td>', c.get("/users/cun1").text)
    r = c.post("/users/cun1/unlock", data={"csrf_token": csrf(c, "/users")}, follow_redirects=True)
    assert "账号已解锁" in r.text and '<td id="locked">否</td>' in r.text
    sign_in(other, "cun1")
    r = c.post("/users/cun1/active", data={"active": "0", "reason": "", "csrf_token": csrf(c, "/users")})
    assert r.status_code == 400 and "请填写原因" in r.text
    r = c.post("/users/cun1/active", data={"active": "0", "reason": "调离", "csrf_token": csrf(c, "/users")}, follow_redirects=True)
    assert "账号已停用" in r.text and '<td id="active">否</td>' in r.text
    sign_in(other, "cun1", expect=200)  # cannot sign in
    assert other.get("/", follow_redirects=False).status_code == 303
    with db.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "account").order_by(AuditEntry.id.desc())).first()
    assert entry.after == {"active": False, "sessions_valid_after": entry.after["sessions_valid_after"]} and entry.reason == "调离"
    assert entry.after["sessions_valid_after"]  # deactivation ends the account's sessions
    c.post("/users/cun1/active", data={"active": "1", "csrf_token": csrf(c, "/users")})
    sign_in(other, "cun1")
    r = c.post("/users/xitong/active", data={"active": "0", "reason": "x", "csrf_token": csrf(c, "/users")})
    assert r.status_code == 400 and "不能停用自己的账号" in r.text


@pytest.mark.parametrize("losses, status", [(1, 200), (2, 409)])
def test_an_account_change_racing_a_sign_in_is_done_again_or_refused(env, monkeypatch, losses, status):
    """The account is saved (its owner signs in) between the change's reading and its saving: the change
    reads it again and is done; losing a second time is a clean 409, never a server error."""
    c, db, _ = env
    sign_in(c, "xitong")
    with pytest.raises(accounts.LoginFailed):  # one failure to clear
        accounts.authenticate(db, "cun1", "wrong-password")
    real, raced = accounts.unlock, []

    def unlock(session, acc):
        if len(raced) < losses:
            raced.append(1)
            with pytest.raises(accounts.LoginFailed):  # a failure saved meanwhile: the account's version moves on
                accounts.authenticate(db, "cun1", "wrong-password")
        real(session, acc)

    monkeypatch.setattr(accounts, "unlock", unlock)
    r = c.post("/users/cun1/unlock", data={"csrf_token": csrf(c, "/users")}, follow_redirects=True)
    assert r.status_code == status and len(raced) == losses
    with db.read() as s:
        failed = s.scalar(select(Account.failed_logins).where(Account.username == "cun1"))
    if status == 200:
        assert "账号已解锁" in r.text and failed == 0
    else:
        assert "已被他人修改" in r.text and "未保存" in r.text and failed == 3


def test_password_reset_generated_or_set(env):
    c, _, _ = env
    sign_in(c, "xitong")
    r = c.post("/users/cun1/password", data={"mode": "generate", "csrf_token": csrf(c, "/users")})
    assert r.status_code == 200 and "不会再次显示" in r.text
    new = r.text.split('<code translate="no" id="new-password">')[1].split("<")[0]
    assert new not in c.get("/users/cun1").text  # shown once
    other = TestClient(c.app)
    other.renkou_totp = {}
    sign_in(other, "cun1", new)
    r = c.post(
        "/users/cun1/password", data={"mode": "set", "password": "password1", "password2": "password1", "csrf_token": csrf(c, "/users")}
    )
    assert r.status_code == 400 and "这是常见密码" in field(r.text, "password")
    r = c.post(
        "/users/cun1/password",
        data={"mode": "set", "password": "Brand.New-2026", "password2": "Brand.New-2026", "csrf_token": csrf(c, "/users")},
        follow_redirects=True,
    )
    assert "密码已设置" in r.text
    sign_in(other, "cun1", "Brand.New-2026")
    assert c.post("/users/nobody/unlock", data={"csrf_token": csrf(c, "/users")}).status_code == 404


def test_revoking_api_tokens(env):
    c, db, _ = env
    with db.write(ACTOR) as s:
        token = accounts.create_token(s, accounts.get_account(s, "cun1"), "推送")
    assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    sign_in(c, "xitong")
    assert "推送" in c.get("/users/cun1").text
    r = c.post("/users/cun1/tokens/revoke", data={"csrf_token": csrf(c, "/users")}, follow_redirects=True)
    assert "已吊销的接口令牌数： 1" in r.text
    c.cookies.clear()
    assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_account_changes_need_the_sessions_csrf_token(env, token):
    c, db, _ = env
    sign_in(c, "xitong")
    extra = {} if token is None else {"csrf_token": token}
    with db.read() as s:
        before = (s.scalar(select(func.count(Account.id))), s.scalar(select(func.count(Changeset.id))))
    for url, data in (
        (
            "/users",
            {
                "username": "xinren",
                "display_name": "新人",
                "role": "village_worker",
                "unit": V1,
                "password": "Xin.Ren-2026!",
                "password2": "Xin.Ren-2026!",
            },
        ),
        ("/users/cun1/active", {"active": "0", "reason": "x"}),
        ("/users/cun1/unlock", {}),
        ("/users/cun1/password", {"mode": "generate"}),
        ("/users/cun1/tokens/revoke", {}),
    ):
        assert c.post(url, data=data | extra, follow_redirects=False).status_code == 403, url
    with db.read() as s:
        after = (s.scalar(select(func.count(Account.id))), s.scalar(select(func.count(Changeset.id))))
    assert after == before


# ------------------------------------------------------------------------------------------------ TOTP, language


def test_the_totp_page_shows_the_key_as_an_svg_qr_code(env):
    c, db, _ = env
    with db.write(ACTOR) as s:
        accounts.create_account(s, username="tongji2", display_name="统计二", role="county_statistician", unit_code=COUNTY, password=PW)
    c.renkou_totp.pop("tongji2", None)
    sign_in(c, "tongji2")
    page = c.get("/account/totp").text
    figure = page.split('id="totp-qr">')[1].split("</figure>")[0]
    assert figure.startswith("<svg") and 'class="qr-code"' in figure and "<path" in figure and "<script" not in page.split("</head>")[1]
    assert "otpauth://totp/renkou:tongji2" in page  # the same URI, as text, beside it


def test_the_language_switch(env, db):
    c, _, _ = env
    sign_in(c, "xiang1")
    page = c.get("/persons").text
    assert 'action="/lang"' in page.split("</header>")[0] and 'name="next" value="/persons"' in page
    r = c.post("/lang", data={"lang": "en", "next": "/persons?q=x", "csrf_token": csrf(c)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/persons?q=x"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("lang=en;") and "samesite=strict" in cookie.lower() and "httponly" not in cookie.lower()
    assert "Find a person" in c.get("/persons").text and "人员查询" not in c.get("/persons").text
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "/no/such/page", "/logout", "persons"):
        r = c.post("/lang", data={"lang": "zh", "next": target, "csrf_token": csrf(c)}, follow_redirects=False)
        assert r.headers["location"] == "/", target
    assert "人员查询" in c.get("/persons").text
    before = c.cookies.get("lang")
    assert c.post("/lang", data={"lang": "en", "next": "/"}, follow_redirects=False).status_code == 403
    assert c.post("/lang", data={"lang": "en", "next": "/", "csrf_token": "forged"}, follow_redirects=False).status_code == 403
    assert c.cookies.get("lang") == before
    secure = web.create_app(db, secret="s", secure_cookies=True)
    with TestClient(secure, base_url="https://testserver") as s:
        t = s.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        r = s.post("/lang", data={"lang": "en", "next": "/login", "csrf_token": t}, follow_redirects=False)
        assert r.headers["location"] == "/login" and "secure" in r.headers["set-cookie"].lower()
        assert "User name" in s.get("/login").text  # on the sign-in page, before signing in
