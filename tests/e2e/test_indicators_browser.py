"""The indicators page in Debian's headless Chromium: a township officer of the generated county chooses
two indicators by their Chinese names, all villages and a period; the table and the charts are drawn
under the CSP, each indicator's definition shows on hover (its title), and the XLSX download opens."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from e2e_kit import demo_county, serving, shot
from renkou.demo import fixture
from renkou.stats.catalogue import load
from renkou.web.app import create_app

CAT = load()
PERIOD = "2024"  # a full year of the generated county (its history runs to the end of 2025)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db, _ = demo_county(tmp_path_factory.mktemp("e2e-indicators"))
    with serving(create_app(db, secret="e2e", secure_cookies=False)) as url:
        yield url
    db.dispose()


def sign_in(page, server, user):
    page.goto(server + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", fixture.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")


def test_two_indicators_for_all_villages_table_chart_definitions_and_xlsx(server, page):
    sign_in(page, server, "xiang")
    page.click("text=指标查询")  # from the home page
    page.wait_for_url(server + "/indicators")
    births, cbr = CAT.get("births"), CAT.get("cbr")
    group = page.locator("#group-births")
    assert group.locator("legend").inner_text() == "出生与生育"
    for ind in (births, cbr):  # chosen by their Chinese names
        label = group.locator("label", has_text=ind.zh).first
        assert label.get_attribute("title") == ind.description  # the definition on hover
        label.locator("input[type=checkbox]").check()
    page.select_option("#unit", label="全部村（居）")
    page.fill("#period", PERIOD)
    page.click("form.indicator-form button[type=submit]")
    page.wait_for_selector("#indicator-table")
    assert "period=2024" in page.url and "unit=level%3Avillage" in page.url
    heads = page.locator("#indicator-table thead th[data-code]")
    assert heads.all_inner_texts() == [births.zh, f"{cbr.zh}(‰)"]
    assert heads.nth(1).get_attribute("title") == cbr.description
    heads.nth(1).hover()  # the browser shows the title; nothing on the page breaks
    rows = page.locator("#indicator-table tbody tr")
    assert rows.count() >= 3 and rows.last.locator("th").inner_text() == "合计"
    total_births = int(rows.last.locator("td").first.inner_text().replace(",", ""))
    village_births = sum(
        int(t.replace(",", "")) for t in page.locator("#indicator-table tbody tr:not(.total) td:nth-of-type(1)").all_inner_texts()
    )
    assert total_births == village_births > 0  # the villages add up to the township
    page.wait_for_selector("#chart-births canvas")
    page.wait_for_selector("#chart-cbr canvas")
    assert page.locator("body").get_attribute("data-charts") == "2"
    shot(page, "indicators-villages")
    with page.expect_download() as info:
        page.click("#download-xlsx")
    data = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename.endswith(".xlsx") and data[:2] == b"PK"
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "人口指标" and [ws.cell(3, c).value for c in (1, 3, 4)] == ["单位", births.zh, f"{cbr.zh}(‰)"]
    assert ws.cell(3 + rows.count(), 1).value == "合计" and ws.cell(3 + rows.count(), 3).value == total_births


def test_without_an_indicator_the_form_says_so_in_chinese(server, page):
    sign_in(page, server, "xiang")
    page.goto(server + "/indicators")
    page.fill("#period", PERIOD)
    page.click("form.indicator-form button[type=submit]")
    assert "请至少选择一项指标" in page.locator("#i-error").inner_text()
    assert any("400" in e for e in page.renkou_errors)
    page.renkou_errors.clear()  # the browser logs the 400 answer
