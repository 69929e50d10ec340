"""The period and unit pickers in Chromium (templates/pickers.html, static/pickers.js) on the reports page:
a township officer picks 2026年第4季度 with the selects and a village by typing its pinyin initials, and
gets the report; without JavaScript the same report comes from typing 2026年四季度 and choosing the
village by its name. No code is ever the visible text of a picker."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest

from e2e_kit import demo_county, serving, shot
from renkou.demo import fixture
from renkou.registry.orgs import Hierarchy
from renkou.stats.engine import POPULATION_LEVELS
from renkou.web.app import create_app
from renkou.web.pickers import unit_keys

AREA: dict = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db, made = demo_county(tmp_path_factory.mktemp("e2e-pickers"))
    township = next(code for user, _, code, _ in made if user == "xiang")
    with db.read() as s:
        h = Hierarchy.as_of(s, date.today())
        area = [u for _, u in h.walk(township) if u.level in POPULATION_LEVELS]
    initials = {u.code: unit_keys(u.name).split()[1] for u in area}
    # a village whose initials no unit listed before it shares (the filter selects the first match)
    target = next(
        u for i, u in enumerate(area) if u.level == "village" and all(initials[u.code] not in unit_keys(v.name) for v in area[:i])
    )
    AREA.update(township=township, codes=[u.code for u in area], code=target.code, name=target.name, initials=initials[target.code])
    with serving(create_app(db, secret="e2e", secure_cookies=False)) as url:
        yield url
    db.dispose()


def sign_in(page, server, user="xiang"):
    page.goto(server + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", fixture.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")


def test_pick_the_fourth_quarter_and_a_village_by_its_pinyin_initials(server, page):
    sign_in(page, server)
    page.goto(server + "/reports")
    assert page.locator("#period-kind").is_visible() and page.locator("#org-filter").is_visible()  # the script showed them
    assert page.locator("#org").input_value() == AREA["township"]  # the account's own unit first
    labels = page.locator("#org option").all_inner_texts()
    assert len(labels) == len(AREA["codes"]) and not any(re.search(r"\d{6}", t) for t in labels)  # names, never codes

    page.select_option("select[name=t]", "report:monthly")
    page.select_option("#period-kind", "quarter")
    page.select_option("#period-year", "2026")
    page.select_option("#period-quarter", "4")
    assert page.locator("#period").input_value() == "2026年第4季度"
    assert page.locator("#period-month").is_hidden() and page.locator("#period-quarter").is_visible()

    page.locator("#org-filter").press_sequentially(AREA["initials"])
    assert page.locator("#org").input_value() == AREA["code"]
    assert "个单位" in page.locator("#org-picker .pk-count").inner_text()
    visible = [t.strip() for t in page.locator("#org option:not([hidden])").all_inner_texts()]
    assert AREA["name"] in visible and len(visible) < len(labels)  # narrowed, the match and the units above it
    shot(page, "pickers-chosen")

    page.click("form.report-form button[type=submit]")
    page.wait_for_selector("table.stats tr.total")
    query = parse_qs(urlparse(page.url).query)
    assert query["period"] == ["2026年第4季度"] and query["org"] == [AREA["code"]]
    assert page.locator("#report h2").inner_text() == "人口变动情况月报表"
    info = page.locator("#report").inner_text()
    assert "统计期：2026年第4季度" in info and AREA["name"] in info
    assert page.locator("#period").input_value() == "2026年第4季度" and page.locator("#org").input_value() == AREA["code"]
    main = page.locator("main").inner_text()
    assert "2026Q4" not in main and "[bad_" not in main
    shot(page, "pickers-report")


def test_a_statistical_year_and_a_year_to_date_fill_the_box_in_chinese(server, page):
    sign_in(page, server)
    page.goto(server + "/reports")
    page.select_option("#period-kind", "statyear")
    page.select_option("#period-year", "2025")
    assert page.locator("#period").input_value() == "2025统计年度"
    page.select_option("#period-kind", "ytd")
    page.select_option("#period-ytd", "3")
    assert page.locator("#period").input_value() == "2025年1月至3月累计"
    page.select_option("#period-kind", "half")
    page.select_option("#period-half", "2")
    assert page.locator("#period").input_value() == "2025年下半年"
    page.click("form.report-form button[type=submit]")
    page.wait_for_selector("table.stats tr.total")
    assert "统计期：2025年下半年" in page.locator("#report").inner_text()


def test_without_javascript_typed_chinese_and_the_unit_list_still_work(server, browser):
    ctx = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = ctx.new_page()
    try:
        sign_in(page, server)
        page.goto(server + "/reports")
        assert page.locator("#period-kind").is_hidden() and page.locator("#org-filter").is_hidden()  # nothing that would not work
        page.select_option("select[name=t]", "report:monthly")
        page.fill("#period", "2026年四季度")
        page.select_option("#org", label="\u3000" + AREA["name"])
        page.click("form.report-form button[type=submit]")
        page.wait_for_selector("table.stats tr.total")
        assert "统计期：2026年第4季度" in page.locator("#report").inner_text()
        assert page.locator("#period").input_value() == "2026年第4季度"  # what was typed, as the page names it
        shot(page, "pickers-no-script")
    finally:
        ctx.close()
