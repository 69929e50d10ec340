"""The audit viewer (/audit), user administration (/users), the TOTP QR code and the language switch:
who may open what, the auditor's scope, masking, every account action through renkou.auth.accounts,
CSRF on each change — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pyotp
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from helpers import ACTOR, COUNTY, T1, V1, V3, add_resident, build_units, totp_code
from renkou.auth import accounts
from renkou.auth.officer import Officer
from renkou.config import Settings
from renkou.registry import audit, persons
from renkou.storage.db import Actor, changeset_of
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
    assert 'data-field="id_number">身份证号<' in amended and ids["far_id"] not in page and ids["far_new"] not in page
    assert f"{ids['far_id'][:6]}********{ids['far_id'][-4:]}" in amended and f"{ids['far_new'][:6]}********{ids['far_new'][-4:]}" in amended
    assert any('title="cun1">显示cun1<' in r and "10.0.0.1" in r for r in rows)  # who (the account's name), from where
    assert any("新增行数：" in r for r in rows)  # creations counted
    mine = next(r for r in rows if "核对甲镇户籍" in r)  # the person concerned, by name and masked ID number
    assert f"赵一 <small>{ids['mine_id'][:6]}********{ids['mine_id'][-4:]}</small>" in mine and ids["mine_id"] not in page
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
    assert audit_rows(c.get("/audit", params={"actor": "显示cun1"}).text) == by_actor  # by the account's name too
    reveals = audit_rows(c.get("/audit", params={"action": "reveal"}).text)
    assert len(reveals) == 2
    cli = audit_rows(c.get("/audit", params={"channel": "cli", "action": "update"}).text)
    assert all(">clerk<" in r or ">tester<" in r for r in cli) and any("更正身份证号" in r for r in cli)
    person = audit_rows(c.get("/audit", params={"person": ids["far"]}).text)
    assert any("核对乙乡" in r for r in person) and any("更正身份证号" in r for r in person) and not any("核对甲镇" in r for r in person)
    local_today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the filter's days are days of the configured zone
    tomorrow = (local_today + dt.timedelta(days=2)).isoformat()
    assert audit_rows(c.get("/audit", params={"from": tomorrow}).text) == []
    assert audit_rows(c.get("/audit", params={"to": "2000-01-01"}).text) == []
    today = local_today.isoformat()
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


def test_the_new_account_form_picks_the_unit_by_name_not_by_code(env):
    c, _, _ = env
    sign_in(c, "xitong")
    page = c.get("/users").text
    units = re.search(r'<select class="pk-units" id="f-unit" name="unit">(.*?)</select>', page, re.S).group(1)
    shown = re.findall(r">([^<]*)</option>", units)
    assert len(shown) > 2 and COUNTY in units and T1 in units  # the codes are the values
    assert not any(re.search(r"\d{6}", t) for t in shown) and not shown[0].startswith("\u3000") and shown[1].startswith("\u3000")
    assert re.search(rf'<option value="{T1}" data-depth="1" data-keys="[^"]+ [a-z]+ [a-z]+"', units)  # searchable by pinyin
    assert 'id="f-unit-filter"' in page


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
    listing = c.get(r.headers["location"]).text
    assert "账号已建立： xinren" in listing and "首次登录时须修改密码" in listing
    row = re.search(r'<tr id="account-xinren">(.*?)</tr>', listing, re.S).group(1)
    assert '<td class="must-change">是</td>' in row
    with db.read() as s:
        acc = s.scalar(select(Account).where(Account.username == "xinren"))
        cs = s.get(Changeset, acc.created_cs)
    assert (acc.role, cs.actor, cs.channel) == ("village_worker", "xitong", "web")
    assert acc.password_must_change  # the administrator chose the password: its owner changes it first
    fresh = TestClient(c.app)
    fresh.renkou_totp = {}
    assert sign_in(fresh, "xinren", "Xin.Ren-2026!").headers["location"] == "/account/password"


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
    assert '<td id="must-change">是</td>' in c.get("/users/cun1").text
    other = TestClient(c.app)
    other.renkou_totp = {}
    assert sign_in(other, "cun1", new).headers["location"] == "/account/password"  # a reset password is changed first
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


# ------------------------------------------------------------------------------------------------ clearing a lost second factor


def test_clearing_a_lost_one_time_code_needs_a_reason_and_a_confirmation_and_the_owner_enrols_again(env):
    c, db, _ = env
    owner = TestClient(c.app)
    owner.renkou_totp = dict(c.renkou_totp)
    sign_in(owner, "tongji")
    assert owner.get("/", follow_redirects=False).status_code == 200
    sign_in(c, "xitong")
    page = c.get("/users/tongji").text
    assert 'id="clear-totp-form"' in page and 'action="/users/tongji/totp/clear"' in page
    assert 'id="clear-totp-form"' not in c.get("/users/cun1").text  # no code set up: nothing to clear
    token = csrf(c, "/users")
    r = c.post("/users/tongji/totp/clear", data={"reason": "", "confirm": "1", "csrf_token": token})
    assert r.status_code == 400 and "请填写原因" in r.text
    r = c.post("/users/tongji/totp/clear", data={"reason": "手机丢失"} | {"csrf_token": token})
    assert r.status_code == 400 and "请勾选以确认" in r.text
    assert c.post("/users/tongji/totp/clear", data={"reason": "手机丢失", "confirm": "1"}).status_code == 403  # no CSRF token
    with db.read() as s:
        assert accounts.get_account(s, "tongji").totp_secret == c.renkou_totp["tongji"]
    r = c.post("/users/tongji/totp/clear", data={"reason": "手机丢失", "confirm": "1", "csrf_token": token}, follow_redirects=True)
    assert r.status_code == 200 and "动态验证码已清除" in r.text and '<td id="totp">否</td>' in r.text
    with db.read() as s:
        acc = accounts.get_account(s, "tongji")
        entry = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "account").order_by(AuditEntry.id.desc())).first()
        cs = s.get(Changeset, entry.changeset_id)
    assert acc.totp_secret is None and entry.row_id == acc.id and entry.reason == "手机丢失"
    assert (cs.actor, cs.channel) == ("xitong", "web") and cs.at is not None and entry.after["totp_secret"] == "*** (changed)"
    assert owner.get("/", follow_redirects=False).headers["location"] == "/login"  # the owner's sessions ended
    owner.renkou_totp.pop("tongji")
    sign_in(owner, "tongji")  # no code asked now
    r = owner.get("/reports", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/totp"  # a new one before anything else
    page = owner.get("/account/totp").text
    assert 'name="current"' not in page  # nothing to prove: the old factor is gone
    secret = page.split('id="totp-secret">')[1].split("<")[0]
    form = {
        "csrf_token": page.split('name="csrf_token" value="')[1].split('"')[0],
        "enrol_token": page.split('name="enrol_token" value="')[1].split('"')[0],
        "code": pyotp.TOTP(secret).now(),
    }
    assert owner.post("/account/totp", data=form, follow_redirects=False).status_code == 303
    assert owner.get("/reports").status_code == 200
    r = c.post("/users/tongji/totp/clear", data={"reason": "x", "confirm": "1", "csrf_token": csrf(c, "/users")}, follow_redirects=True)
    assert "动态验证码已清除" in r.text
    r = c.post("/users/tongji/totp/clear", data={"reason": "x", "confirm": "1", "csrf_token": csrf(c, "/users")}, follow_redirects=True)
    assert "未设置动态验证码，未作更改" in r.text
    assert c.post("/users/nobody/totp/clear", data={"reason": "x", "confirm": "1", "csrf_token": csrf(c, "/users")}).status_code == 404


# ------------------------------------------------------------------------------------------------ audit: names, people, times, export


def test_the_audit_trail_reads_in_chinese_with_local_times(env):
    c, db, ids = env
    with db.write(Actor("jiangfu", "web", "10.0.0.9"), note="status test") as s:  # a status change as the write path records one
        cs_id = changeset_of(s).id
        s.add(
            AuditEntry(
                changeset_id=cs_id,
                action="update",
                table_name="payment_batch",
                row_id=7,
                before={"status": "draft"},
                after={"status": "released"},
            )
        )
    with db.read() as s:
        cs = s.scalar(select(Changeset).where(Changeset.note == "status test"))
    sign_in(c, "shenji")
    rows = audit_rows(c.get("/audit", params={"actor": "jiangfu"}).text)
    assert len(rows) == 1
    row = rows[0]
    assert (
        ">发放批次<" in row
        and ">状态<" in row
        and '<del translate="no">草稿：待核查放行</del> → <ins translate="no">已提交银行</ins>' in row
    )
    local = (cs.at.replace(tzinfo=dt.UTC)).astimezone(ZoneInfo("Asia/Shanghai"))
    assert f">{local:%Y-%m-%d %H:%M:%S}<" in row and ">显示jiangfu<" in row
    page = c.get("/audit").text
    assert "北京时间" in page and "draft" not in page
    utc_app = web.create_app(db, secret="k", secure_cookies=False, settings=Settings(time_zone="UTC"))
    with TestClient(utc_app) as u:
        u.renkou_totp = c.renkou_totp
        sign_in(u, "shenji")
        row = audit_rows(u.get("/audit", params={"actor": "jiangfu"}).text)[0]
    assert f">{cs.at:%Y-%m-%d %H:%M:%S}<" in row  # the configured zone, not a fixed one
    c.cookies.set("lang", "en")
    row = audit_rows(c.get("/audit", params={"actor": "jiangfu"}).text)[0]
    assert (
        ">Payment batch<" in row
        and '<del translate="no">draft: to check and release</del> → <ins translate="no">released to the bank</ins>' in row
    )


def test_the_person_filter_by_name_or_id_number_within_the_area(env):
    c, db, ids = env
    sign_in(c, "shenji1")  # the township of "mine" (赵一); "far" (赵二) lives elsewhere
    t = csrf(c, "/audit")
    r = c.post("/audit/person", data={"who": "赵一", "csrf_token": t}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/audit?person={ids['mine']}"
    page = c.get(r.headers["location"]).text
    assert f"赵一 {ids['mine_id'][:6]}********{ids['mine_id'][-4:]}" in page.split('id="person-filter"')[1].split("</p>")[0]
    assert audit_rows(page) and all("核对甲镇户籍" in x or "赵一" in x for x in audit_rows(page))
    r = c.post("/audit/person", data={"who": ids["mine_id"], "csrf_token": t}, follow_redirects=False)
    assert r.headers["location"] == f"/audit?person={ids['mine']}"  # by ID number too; nothing personal in the address
    answers = []
    for who in ("赵二", ids["far_new"], "无此人", "110105194912310021"):  # elsewhere, or nobody: the same answer
        r = c.post("/audit/person", data={"who": who, "csrf_token": t}, follow_redirects=False)
        assert r.status_code == 404 and "您的辖区内没有符合条件的人员" in r.text and audit_rows(r.text) == []
        answers.append(r.text.split('id="search-error"')[1].split("</span>")[0])
    assert len(set(answers)) == 1 and "赵二" not in r.text
    far, nobody = c.get("/audit", params={"person": ids["far"]}), c.get("/audit", params={"person": 10**12})
    assert far.status_code == nobody.status_code == 404 and "赵二" not in far.text
    assert far.text.split('id="person-error"')[1].split("<")[0] == nobody.text.split('id="person-error"')[1].split("<")[0]
    assert c.post("/audit/person", data={"who": "赵一"}).status_code == 403  # a form of this session only
    sign_in(c, "shenji")
    r = c.post("/audit/person", data={"who": "赵", "csrf_token": csrf(c, "/audit")})  # several: a choice
    assert r.status_code == 200 and 'id="person-matches"' in r.text
    choice = r.text.split('id="person-matches"')[1].split("</section>")[0]
    assert f"person={ids['mine']}" in choice and f"person={ids['far']}" in choice and ids["mine_id"] not in choice


def test_the_count_and_pages(env, monkeypatch):
    c, _, _ = env
    sign_in(c, "shenji")
    whole = audit_rows(c.get("/audit").text)
    monkeypatch.setattr(admin_audit, "PAGE", 2)
    first = c.get("/audit").text
    total = int(re.search(r"共 (\d+) 条", first).group(1))
    assert total == len(whole) >= 3 and f"第 1–2 条，共 {total} 条" in first and f"第 1 / {(total + 1) // 2} 页" in first
    last = c.get("/audit", params={"page": (total + 1) // 2}).text
    assert 'rel="next"' not in last and len(audit_rows(last)) == total - 2 * ((total + 1) // 2 - 1)
    # the links keep the filters (and the page size asked for): page 2 of a filtered list is its next entry
    since = c.get("/audit", params={"from": "2000-01-01", "channel": "web", "size": "20"}).text
    kept = audit_rows(since)
    assert 2 <= len(kept) < len(whole)
    monkeypatch.setattr(admin_audit, "PAGE", 1)
    first = c.get("/audit", params={"from": "2000-01-01", "channel": "web"}).text
    nxt = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert nxt.startswith("/audit?") and set(nxt.split("?")[1].split("&")) == {"from=2000-01-01", "channel=web", "page=2"}
    assert audit_rows(c.get(nxt).text) == kept[1:2] and f"第 1–1 条，共 {len(kept)} 条" in first
    wide = c.get("/audit", params={"channel": "web", "size": "20", "page": "1"}).text  # a size offered: one page of them
    assert audit_rows(wide) == kept and 'rel="next"' not in wide


def test_the_export_holds_every_filtered_entry_masked_and_as_text(env):
    from io import BytesIO

    from openpyxl import load_workbook

    c, db, ids = env
    with db.write(Actor("cun1", "web", "10.0.0.1")) as s:
        audit.reveal(s, s.get(persons.Person, ids["mine"]), "id_number", '=HYPERLINK("http://x","y")')
    sign_in(c, "shenji")
    page = c.get("/audit", params={"action": "reveal"}).text
    link = re.search(r'href="(/audit/export\.xlsx\?[^"]+)"', page).group(1).replace("&amp;", "&")
    r = c.get(link)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    ws = load_workbook(BytesIO(r.content)).active
    table = [[cell.value for cell in row] for row in ws.iter_rows()]
    assert table[0][0].startswith("时间") and table[0][1] == "操作人" and len(table) - 1 == len(audit_rows(page)) == 3
    formula = next(row for row in ws.iter_rows() if row[12].value == '=HYPERLINK("http://x","y")')
    assert formula[12].data_type == "s"  # written as text, never a formula
    text = str(table)
    assert ids["mine_id"] not in text and ids["far_id"] not in text and f"{ids['mine_id'][:6]}********{ids['mine_id'][-4:]}" in text
    assert "显示cun1" in text and "赵一" in text and "身份证号" in text
    assert c.get("/audit/export.xlsx", params={"person": ids["far"]}).status_code == 200  # the county sees far
    sign_in(c, "shenji1")
    r = c.get("/audit/export.xlsx", params={"person": ids["far"]})
    assert r.status_code == 404 and "赵二" not in r.text  # a person elsewhere: nothing exported, nothing revealed
    sign_in(c, "cun1")
    assert c.get("/audit/export.xlsx").status_code == 403


@pytest.mark.parametrize(
    "zone, moment, shown, first, last, since, until",
    [
        (
            "Asia/Shanghai",
            dt.datetime(2026, 12, 31, 16, 30),
            "2027-01-01 00:30:00",
            D(2027, 1, 1),
            D(2027, 1, 1),
            "2026-12-31 16:00",
            "2027-01-01 16:00",
        ),
        ("UTC", dt.datetime(2026, 12, 31, 16, 30), "2026-12-31 16:30:00", D(2027, 1, 1), None, "2027-01-01 00:00", None),
        ("Asia/Urumqi", dt.datetime(2026, 6, 1, 0, 0), "2026-06-01 06:00:00", None, D(2026, 6, 1), None, "2026-06-01 18:00"),
    ],
)
def test_times_in_the_configured_zone(zone, moment, shown, first, last, since, until):
    from renkou.web import timefmt

    settings = Settings(time_zone=zone)
    assert timefmt.text(moment, settings) == shown and timefmt.text(None, settings) == ""
    assert timefmt.text(moment.replace(tzinfo=dt.UTC), settings, "%H:%M") == shown[11:16]  # an aware time too
    a, b = timefmt.utc_day_bounds(first, last, settings)
    assert (a and f"{a:%Y-%m-%d %H:%M}", b and f"{b:%Y-%m-%d %H:%M}") == (since, until)
    assert Settings().time_zone == "Asia/Shanghai"


@pytest.mark.parametrize("raw, ok", [("Asia/Shanghai", True), ("UTC", True), ("Beijing", False), ("../etc/passwd", False), ("", True)])
def test_the_time_zone_setting_is_checked(raw, ok):
    from renkou.errors import UserError

    if ok:
        assert Settings.from_env({"RENKOU_TIME_ZONE": raw}).time_zone == (raw or "Asia/Shanghai")
    else:
        with pytest.raises(UserError, match="RENKOU_TIME_ZONE"):
            Settings.from_env({"RENKOU_TIME_ZONE": raw})


def test_notes_secrets_and_stored_times_read_as_people_read_them(env):
    c, db, _ = env
    sign_in(c, "xitong")
    c.post("/users/cun1/password", data={"mode": "generate", "reason": "遗忘", "csrf_token": csrf(c, "/users")})
    with db.read() as s:
        acc = accounts.get_account(s, "cun1")
    sign_in(c, "shenji")
    row = next(r for r in audit_rows(c.get("/audit", params={"actor": "xitong", "action": "update"}).text) if "遗忘" in r)
    assert "重置账号 cun1 的密码" in row and "password of" not in row  # the note in Chinese
    assert '<ins translate="no">*** （已更改）</ins>' in row and "changed)" not in row  # a secret: only that it changed
    local = acc.password_changed_at.replace(tzinfo=dt.UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    assert (
        f'<ins translate="no">{local:%Y-%m-%d %H:%M:%S}</ins>' in row and "T" not in row.split('<ins translate="no">')[1][:20]
    )  # a stored time, local
    assert '<ins translate="no">是</ins>' in row  # must change the password: yes
    login = next(r for r in audit_rows(c.get("/audit", params={"actor": "shenji"}).text) if "登录" in r)
    assert ">login<" not in login


def test_an_export_too_large_for_one_file_asks_for_a_narrower_filter(env, monkeypatch):
    c, _, _ = env
    sign_in(c, "shenji")
    monkeypatch.setattr(admin_audit, "EXPORT_MAX", 2)
    r = c.get("/audit/export.xlsx")
    assert r.status_code == 400 and "记录过多" in r.text and "请缩小筛选范围" in r.text
    r = c.get("/audit/export.xlsx", params={"action": "reveal"})  # two: one file
    assert r.status_code == 200 and r.content[:2] == b"PK"


@pytest.mark.parametrize(
    "filters",
    [{}, {"action": "create"}, {"action": "correct"}, {"action": "retract"}, {"action": "update"}, {"channel": "cli"}, {"actor": "clerk"}],
)
def test_the_count_is_the_number_of_entries_listed(env, filters):
    """The county's count through the indexes (corrections and retractions apart) and the township's grouped
    count are both the number of entries the pages list, whatever the filter."""
    from renkou.auth.scope import Scope
    from renkou.registry import events
    from renkou.storage.schema import Event, OrgUnit

    c, db, ids = env
    clerk = Officer.system(Actor("clerk", "cli", "host"))
    with db.write(clerk.actor) as s:  # a changeset that corrects only
        first = s.scalar(select(Event.id).where(Event.person_id == ids["mine"]).order_by(Event.id))
        events.correct(s, clerk, first, reason="日期有误", date=D(1985, 3, 2))
    with db.write(clerk.actor) as s:  # one that creates, corrects and retracts
        p = add_resident(s, "赵三", "F", D(1990, 1, 1), V1, 3, officer=clerk)
        second = s.scalar(select(Event.id).where(Event.person_id == p.id))
        events.correct(s, clerk, second, reason="来源有误", source="village")
        third = s.scalar(select(Event.id).where(Event.supersedes_id == second))
        events.retract(s, clerk, third, reason="登记错误")
    f = admin_audit.Filters(filters, "zh")
    with db.read() as s:
        for scope in (Scope.county_wide(), Scope.for_unit(s, s.scalar(select(OrgUnit.id).where(OrgUnit.code == T1)))):
            listed, more = admin_audit.page(s, f, scope, size=10_000)
            assert not more and admin_audit.count(s, f, scope) == len(listed), (filters, scope.everything)
            if scope.everything and not filters:  # the county's list has each kind of event entry
                assert {r.action for r in listed} >= {"create", "correct", "retract", "update", "reveal"}


@pytest.mark.parametrize(
    "zone, lang, shown",
    [
        ("Asia/Shanghai", "zh", "北京时间"),
        ("Asia/Shanghai", "en", "Beijing time (Asia/Shanghai)"),
        ("Asia/Urumqi", "zh", "乌鲁木齐时间"),
        ("UTC", "zh", "UTC"),
        ("Europe/Berlin", "en", "Europe/Berlin"),
    ],
)
def test_the_configured_zone_is_named_as_people_name_it(zone, lang, shown):
    from renkou.web import timefmt

    assert timefmt.zone_name(zone, lang) == shown
