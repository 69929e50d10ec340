"""End to end in Debian's headless Chromium (installed by `make browser`): the demo county served
by uvicorn on loopback, driven by Playwright. Screenshots go to test-output/e2e/."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from e2e_kit import demo_county, serving, shot
from renkou.demo import fixture
from renkou.web.app import create_app

NAMES: dict[str, str] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db, made = demo_county(tmp_path_factory.mktemp("e2e"))
    village = next(code for user, _, code, _ in made if user == "cun")
    from renkou.auth import accounts
    from renkou.registry import asof
    from renkou.registry.orgs import Hierarchy

    with db.write(fixture.DEMO_ACTOR) as s:
        h = Hierarchy.as_of(s, date.today())
        own_township = h.units[h.unit(village).parent_id].code
        other = next(u.code for u in h.units.values() if u.level == "township" and u.code != own_township)
        accounts.create_account(
            s, username="xiang2", display_name="另一乡干部", role="township_officer", unit_code=other, password=fixture.DEMO_PASSWORD
        )
        villager = asof.members(s, village, date.today())[0]
    NAMES["villager"], NAMES["villager_id"] = villager.name, str(villager.id)
    with serving(create_app(db, secret="e2e", secure_cookies=False)) as url:
        yield url
    db.dispose()


def test_village_worker_signs_in_and_sees_their_village(server, page):
    page.goto(server + "/")
    assert page.url.endswith("/login") and page.locator("h1").inner_text() == "登录"
    shot(page, "login")
    page.fill("input[name=username]", "cun")
    page.fill("input[name=password]", fixture.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")
    assert page.locator("h1").inner_text() == "首页" and "演示村（居）计生专干" in page.locator("header").inner_text()
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


def test_a_township_officer_opens_the_monthly_report_and_downloads_it(server, page):
    sign_in(page, server, "xiang")
    page.click("header >> text=报表台账")
    page.wait_for_url(server + "/reports")
    org = page.locator("select[name=org]")
    assert org.input_value() == org.locator("option").first.get_attribute("value")  # their own township by default
    page.select_option("select[name=t]", "report:monthly")
    page.fill("input[name=period]", "2025-03")
    page.click("form.report-form button[type=submit]")
    page.wait_for_selector("table.stats tr.total")
    assert "period=2025-03" in page.url  # a GET form: the report's address can be bookmarked
    assert page.locator("#report h2").inner_text() == "人口变动情况月报表"
    assert page.locator("table.stats thead tr").count() >= 2  # merged header rows
    shot(page, "reports")
    with page.expect_download() as info:
        page.click("#download-xlsx")
    download = info.value
    assert download.suggested_filename.endswith("-2025-03.xlsx") and "人口变动情况月报表" in download.suggested_filename
    assert Path(download.path()).read_bytes()[:2] == b"PK"


def test_a_ledger_on_screen_is_masked(server, page):
    sign_in(page, server, "xiang")
    page.goto(server + "/reports")
    page.select_option("select[name=t]", "ledger:births")
    page.fill("input[name=period]", "2025")
    page.click("form.report-form button[type=submit]")
    page.wait_for_selector("#report h2")
    assert page.locator("#report h2").inner_text() == "出生登记台账"
    ids = page.locator("table.stats tbody tr td:nth-child(8)").all_inner_texts()  # 母亲身份证号
    assert ids and all("*" in x for x in ids if x)
    shot(page, "ledger")


def test_an_invalid_period_is_explained_next_to_the_field(server, page):
    sign_in(page, server, "xiang")
    page.goto(server + "/reports?t=report:monthly&period=2025-13")
    assert "统计期“2025-13”无效" in page.locator("#period-error").inner_text()
    assert [e for e in page.renkou_errors if "400" not in e] == []
    page.renkou_errors.clear()


def test_the_dashboard_draws_its_charts_under_the_csp(server, page):
    sign_in(page, server, "xiang")
    assert page.locator("h1").inner_text() == "首页"
    for chart in ("#chart-births", "#chart-pyramid"):
        page.wait_for_selector(chart + " canvas")
    if page.locator("#chart-funnel").count():
        page.wait_for_selector("#chart-funnel canvas")
    page.wait_for_function("Number(document.body.dataset.charts) >= 2")
    assert page.locator("#key-figures table tbody tr").count() == 6 and page.locator("#backlog dd").count() == 2
    shot(page, "dashboard")
