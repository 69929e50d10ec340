"""The indicators page in Debian's headless Chromium: a township officer of the generated county chooses
two indicators by their Chinese names, all villages and a period; the table and the charts are drawn
under the CSP, each indicator's definition shows on hover (its title), and the XLSX download opens."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook

from e2e_kit import demo_county, serving, shot
from renkou.config import Settings
from renkou.demo import fixture
from renkou.stats.catalogue import load
from renkou.storage import migrate
from renkou.storage.db import Database
from renkou.synth import build, county, store
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


@pytest.fixture(scope="module")
def recent(tmp_path_factory):
    """A generated county whose history ends yesterday (as `renkou demo` builds it), served with a sex ratio
    at birth shown from 5 births on, so that the villages of a township have points in the funnel."""
    folder = tmp_path_factory.mktemp("e2e-funnel")
    db = Database(f"sqlite:///{folder / 'demo.db'}")
    migrate.upgrade(db)
    store.to_database(build.generate(2_000, 3, end=dt.date.today() - dt.timedelta(days=1)), db, actor=fixture.DEMO_ACTOR)
    fixture.demo_accounts(db, county.COUNTY_CODE)
    settings = replace(Settings.from_env(), srb_min_births=5)
    with serving(create_app(db, secret="e2e", secure_cookies=False, settings=settings)) as url:
        yield url
    db.dispose()


def test_the_funnel_draws_its_limits_around_the_target_inside_the_plot(recent, page):
    sign_in(page, recent, "xiang")
    page.wait_for_selector("#chart-funnel canvas")
    assert page.locator("#srb-target").inner_text() == "105"
    option = page.evaluate(
        """() => {
        const o = echarts.getInstanceByDom(document.getElementById('chart-funnel')).getOption();
        return {min: o.yAxis[0].min, max: o.yAxis[0].max, xmax: o.xAxis[0].max,
                series: o.series.map(s => ({name: s.name, type: s.type, data: s.data.map(d => Array.isArray(d) ? d : d.value)}))};
    }"""
    )
    limits = [s for s in option["series"] if s["type"] == "line"][:2]
    assert all(len(s["data"]) > 10 for s in limits)
    for s in limits:  # every point of both limit lines lies inside the axes
        for n, r in s["data"]:
            assert option["min"] <= r <= option["max"] and 0 <= n <= option["xmax"]
    upper, lower = limits[0]["data"], limits[1]["data"]
    assert upper[-1][1] > 105 > lower[-1][1]  # around the target, narrowing with births
    assert upper[0][1] - lower[0][1] > upper[-1][1] - lower[-1][1]
    points = [pt for s in option["series"] if s["type"] == "scatter" for pt in s["data"]]
    assert all(option["min"] <= r <= option["max"] for _, r in points)
    this_month = page.locator("#figure-births td").first.inner_text()
    year = page.locator("#figure-births td").nth(2).inner_text()
    assert int(year.replace(",", "")) > 0 or dt.date.today().timetuple().tm_yday == 1  # the demo reaches yesterday
    assert this_month != ""
    shot(page, "dashboard-funnel")
