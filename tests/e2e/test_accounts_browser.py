"""Accounts end to end in Debian's headless Chromium, on a generated county with the demo accounts: the
system administrator creates an account and its owner must change the password at the first sign-in;
the administrator clears a county statistician's lost one-time code and its owner sets up a new one;
the auditor reads the audit trail in Chinese (names of tables and fields, people's names, local times)
and filters it by a person found by ID number. Screenshots go to test-output/e2e/ (must-change.png,
totp-cleared.png, audit-zh.png, audit-person.png)."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from sqlalchemy import select

from e2e_kit import demo_county, serving, shot
from helpers import totp_code
from renkou.auth import accounts
from renkou.demo import fixture
from renkou.registry import audit
from renkou.registry.orgs import Hierarchy
from renkou.storage.db import Actor
from renkou.storage.schema import Person
from renkou.web.app import create_app

S: dict = {}  # what the tests of this module hand on to each other, in file order
GIVEN = "Gei.Ding-2026x"  # the password the administrator gives
OWN = "Zi.Ji-De-2027y"  # the one its owner chooses


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e-accounts")
    db, made = demo_county(tmp)
    county = next(code for user, _, code, _ in made if user == "admin")
    with db.write(fixture.DEMO_ACTOR) as s:
        h = Hierarchy.as_of(s, dt.date.today())
        village = next(u.code for _, u in h.walk(county) if u.level == "village")
        secrets = {}
        for user in ("admin", "shenji", "tongji"):
            acc = accounts.get_account(s, user)
            secrets[user], _ = accounts.start_totp(acc)
            accounts.confirm_totp(s, acc, secrets[user], pyotp.TOTP(secrets[user]).now())
        person = s.scalars(select(Person).where(Person.id_number.is_not(None)).order_by(Person.id)).first()
    with db.write(Actor("xiang", "web", "10.1.2.3")) as s:  # an entry about one person of the county
        audit.reveal(s, s.get(Person, person.id), "id_number", "核对户籍")
    S.update(db=db, village=village, totp=secrets, person=(person.id, person.name, person.id_number))
    with serving(create_app(db, secret="e2e", secure_cookies=False)) as url:
        yield url
    db.dispose()


def sign_in(page, server, user, password=fixture.DEMO_PASSWORD, *, totp: bool = True, landing="/"):
    page.goto(server + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    if totp and user in S["totp"]:
        page.fill("input[name=totp]", totp_code(S["db"], user, S["totp"][user]))
    page.click("main button[type=submit]")
    page.wait_for_url(server + landing)


def sign_out(page):
    page.click("header button:text('退出')")
    page.wait_for_url("**/login")


def test_a_new_account_changes_its_password_at_the_first_sign_in(server, page):
    sign_in(page, server, "admin")
    page.goto(server + "/users")
    page.fill("#f-username", "xinren")
    page.fill("#f-display_name", "新同事")
    page.select_option("#f-role", "village_worker")
    page.select_option("#f-unit", S["village"])
    page.fill("#f-password", GIVEN)
    page.fill("#f-password2", GIVEN)
    page.click("#create")
    page.wait_for_url(server + "/users?created=xinren")
    assert "首次登录时须修改密码" in page.locator("#note").inner_text()
    sign_out(page)
    sign_in(page, server, "xinren", GIVEN, landing="/account/password")
    assert "由管理员设置" in page.locator("#must-change").inner_text()
    page.goto(server + "/persons")  # any page: back to the change first
    page.wait_for_url(server + "/account/password")
    page.fill("#f-current", GIVEN)
    page.fill("#f-password", GIVEN)  # the same one again
    page.fill("#f-password2", GIVEN)
    page.click("#change-password")
    page.wait_for_selector("#password-error")
    assert "新密码不能与原密码相同" in page.locator("#password-error").inner_text()
    page.renkou_errors.clear()  # the 400 answer
    shot(page, "must-change")
    page.fill("#f-current", GIVEN)
    page.fill("#f-password", OWN)
    page.fill("#f-password2", OWN)
    page.click("#change-password")
    page.wait_for_url(server + "/")
    page.goto(server + "/persons")
    assert page.url == server + "/persons" and page.locator("h1").inner_text() == "人员查询"
    sign_out(page)
    sign_in(page, server, "xinren", OWN)  # straight in from now on


def test_the_administrator_clears_a_lost_one_time_code_and_the_owner_sets_up_a_new_one(server, page):
    sign_in(page, server, "admin")
    page.goto(server + "/users/tongji")
    assert page.locator("#totp").inner_text() == "是"
    page.fill("#totp-reason", "手机丢失")
    page.check("#totp-confirm")
    page.click("#clear-totp")
    page.wait_for_url("**/users/tongji?done=totp")
    assert "动态验证码已清除" in page.locator("#note").inner_text() and page.locator("#totp").inner_text() == "否"
    shot(page, "totp-cleared")
    sign_out(page)
    S["totp"].pop("tongji")
    sign_in(page, server, "tongji", landing="/account/totp")  # no code asked; a new one before anything else
    secret = page.locator("#totp-secret").inner_text()
    assert page.locator("input[name=current]").count() == 0
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("main button[type=submit]")
    page.wait_for_url(server + "/")
    S["totp"]["tongji"] = secret


def test_the_auditor_reads_the_trail_in_chinese_and_filters_by_a_person(server, page):
    pid, name, id_number = S["person"]
    sign_in(page, server, "shenji")
    page.goto(server + "/audit")
    assert re.search(r"共 \d+ 条", page.locator("#audit-count").inner_text())
    assert "北京时间" in page.locator("main").inner_text()
    rows = page.locator("#audit tbody tr")
    tables = {rows.nth(i).locator("td").nth(5).inner_text() for i in range(rows.count())}
    assert tables and all(re.search(r"[\u4e00-\u9fff]", t) for t in tables)  # tables by their Chinese names
    cleared = page.locator("#audit tbody tr", has_text="手机丢失").first  # the administrator's clearing, by name
    assert "演示系统管理员" in cleared.inner_text() and "动态验证码密钥" in cleared.inner_text()
    shot(page, "audit-zh")
    page.fill("#audit-who", id_number)
    page.click("#audit-find")
    page.wait_for_url(f"{server}/audit?person={pid}")
    shown = page.locator("#person-filter").inner_text()
    assert name in shown and f"{id_number[:6]}********{id_number[-4:]}" in shown and id_number not in page.content()
    first = page.locator("#audit tbody tr").first.inner_text()
    assert "核对户籍" in first and "演示乡镇" in first and name in first
    shot(page, "audit-person")
    page.fill("#audit-who", "不存在的人名")
    page.click("#audit-find")
    page.wait_for_selector("#search-error")
    assert "没有符合条件的人员" in page.locator("#search-error").inner_text()
    page.renkou_errors.clear()  # the 404 answer
