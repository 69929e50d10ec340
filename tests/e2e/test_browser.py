"""End to end in Debian's headless Chromium (installed by `make browser`): the demo county served
by uvicorn on loopback, driven by Playwright. Screenshots go to test-output/e2e/."""

from __future__ import annotations

import socket
import threading
import time
from datetime import date
from pathlib import Path

import pytest
import uvicorn

from renkou.demo import fixture
from renkou.storage import migrate
from renkou.storage.db import Database
from renkou.synth import build, county, store
from renkou.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
NAMES: dict[str, str] = {}
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "e2e"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `make browser` (make test does)")
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'demo.db'}")
    migrate.upgrade(db)
    store.to_database(build.generate(2_000, 3), db, actor=fixture.DEMO_ACTOR)
    made = fixture.demo_accounts(db, county.COUNTY_CODE)
    village = next(code for user, _, code, _ in made if user == "cun")
    from renkou.auth import accounts
    from renkou.registry import asof
    from renkou.registry.orgs import Hierarchy

    with db.write(fixture.DEMO_ACTOR) as s:
        h = Hierarchy.as_of(s, date.today())
        own_township = h.units[h.unit(village).parent_id].code
        other = next(u.code for u in h.units.values() if u.level == "township" and u.code != own_township)
        accounts.create_account(s, username="xiang2", display_name="另一乡干部", role="township_officer", unit_code=other,
                                password=fixture.DEMO_PASSWORD)
        villager = asof.members(s, village, date.today())[0]
    NAMES["villager"], NAMES["villager_id"] = villager.name, str(villager.id)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(db, secret="e2e", secure_cookies=False), host="127.0.0.1", port=port,
                                        log_level="warning", access_log=False))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    t.join(timeout=10)
    db.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(locale="zh-CN")
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.renkou_errors = errors  # a test that provokes an error response checks and clears it
    yield pg
    ctx.close()
    assert errors == []  # e.g. a resource the CSP blocked


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_village_worker_signs_in_and_sees_their_village(server, page):
    page.goto(server + "/")
    assert page.url.endswith("/login") and page.locator("h1").inner_text() == "登录"
    shot(page, "login")
    page.fill("input[name=username]", "cun")
    page.fill("input[name=password]", fixture.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")
    assert page.locator("h1").inner_text() == "首页" and "演示村（居）专干" in page.locator("header").inner_text()
    shot(page, "home-village-worker")
    page.click("header button[type=submit]")  # sign out (a form with the CSRF token)
    page.wait_for_url(server + "/login")


def test_a_wrong_password_gets_a_chinese_message(server, page):
    page.goto(server + "/login")
    page.fill("input[name=username]", "cun")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    alert = page.locator("[role=alert]")
    assert "用户名、密码或动态验证码不正确" in alert.inner_text()
    shot(page, "login-failed")


def sign_in(page, server, user):
    page.goto(server + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", fixture.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")


def test_search_as_you_type_then_the_person_page(server, page):
    sign_in(page, server, "cun")
    page.click("text=人员查询")
    page.wait_for_url(server + "/persons")
    page.fill("#q", NAMES["villager"])
    row = page.locator("#results a", has_text=NAMES["villager"]).first
    row.wait_for(timeout=5000)  # filled in by htmx, under the CSP, without a page load
    assert page.url == server + "/persons"
    shot(page, "search")
    row.click()
    page.wait_for_selector("text=事件时间线")
    assert "*" in page.locator("#id-number").inner_text()  # masked until revealed
    shot(page, "person")


def test_a_township_officer_of_another_township_cannot_find_the_person(server, page):
    sign_in(page, server, "xiang2")
    page.goto(server + "/persons?q=" + NAMES["villager"])
    links = page.locator("#results a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert f"/persons/{NAMES['villager_id']}" not in links  # namesakes elsewhere may appear; this person may not
    page.goto(server + f"/persons/{NAMES['villager_id']}")  # nor by editing the URL
    assert "您的管辖范围内没有此人" in page.content()
    assert [e for e in page.renkou_errors if "404" not in e] == []
    page.renkou_errors.clear()
    shot(page, "search-other-township")


def test_organisation_tree_page(server, page):
    sign_in(page, server, "xiang")
    page.click("header >> text=组织机构")
    page.wait_for_url(server + "/orgs")
    assert page.locator("h1").inner_text() == "组织机构" and page.locator("table.tree tbody tr").count() > 3
    shot(page, "orgs")
