"""The indicators page (/indicators): the catalogue by group with Chinese names and definitions, a table
whose cells are the statistics service's figures for every unit of a level or one unit, the small-sample
rule for the sex ratio at birth, the XLSX and CSV downloads (formula-neutralised), refusals and mistakes —
on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import replace

import pyotp
import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from renkou.auth import accounts
from renkou.config import Settings
from renkou.registry import orgs
from renkou.stats import picked
from renkou.web import app as web
from tests.helpers import totp_code
from tests.stats import fixture as fx

PW = "Village.Work-2026"


def county_app(db, **settings):
    fx.build(db)
    with db.write(fx.ACTOR) as s:
        for user, role, unit in (
            ("xiang1", "township_officer", fx.T1),
            ("tongji", "county_statistician", fx.COUNTY),
            ("jiangfu", "benefit_admin", fx.COUNTY),
        ):
            accounts.create_account(s, username=user, display_name=f"显示{user}", role=role, unit_code=unit, password=PW)
    app = web.create_app(db, secret="k", secure_cookies=False, settings=replace(Settings.from_env(), **settings))
    with TestClient(app) as c:
        yield c, db


@pytest.fixture
def env(db):
    yield from county_app(db)


@pytest.fixture
def env_one(db):
    """A sex ratio at birth shown from one birth on."""
    yield from county_app(db, srb_min_births=1)


def sign_in(c, db, user):
    code = None
    with db.write(fx.ACTOR) as s:
        acc = accounts.get_account(s, user)
        if acc.role in ("benefit_admin", "county_statistician"):  # roles that must use a second factor
            secret, _ = accounts.start_totp(acc)
            accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
            code = secret
    t = c.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = c.post(
        "/login",
        data={"username": user, "password": PW, "totp": totp_code(db, user, code) if code else "", "csrf_token": t},
        follow_redirects=False,
    )
    assert r.status_code == 303


def rows(page: str) -> dict[str, list[str]]:
    """Body rows of the indicator table by unit code: [name, cell texts...]."""
    out = {}
    for code, body in re.findall(r'<tr(?: class="total")? data-code="(\d+)"><th scope="row">(.*?)</tr>', page, re.S):
        name = body.split("</th>")[0]
        out.setdefault(code, []).append([name, *re.findall(r'<td class="num[^"]*">(.*?)</td>', body)])
    return {k: v[-1] for k, v in out.items()}


def query(*codes, unit="level:village", period="2024", basis="hukou", **more):
    return {"i": list(codes), "unit": unit, "period": period, "basis": basis, **more}


def test_the_form_lists_the_catalogue_by_group_with_chinese_names_and_definitions(env):
    c, db = env
    sign_in(c, db, "xiang1")
    r = c.get("/indicators")
    assert r.status_code == 200 and 'id="indicator-table"' not in r.text
    page = r.text
    cat = c.app.state.stats.catalogue
    for g, inds in cat.grouped():
        block = re.search(rf'<fieldset class="indicator-group" id="group-{g.key}"><legend>(.*?)</legend>(.*?)</fieldset>', page, re.S)
        assert block.group(1) == g.zh
        for ind in inds:  # each under its group, by its Chinese name, its definition in the title
            assert f'title="{ind.description}"><input type="checkbox" name="i" value="{ind.code}"> {ind.zh}' in block.group(2)
    assert [g.zh for g, _ in cat.grouped()][:3] == ["人口规模", "出生与生育", "死亡与自然增长"]
    assert '<option value="level:village" selected>全部村（居）</option>' in page  # T1 has villages, no townships below
    assert "level:township" not in page and f'<option value="{fx.V2}"' in page


def test_every_village_then_the_total_equal_the_statistics_service(env):
    c, db = env
    sign_in(c, db, "xiang1")
    r = c.get("/indicators", params=query("births", "cbr", "srb"))
    assert r.status_code == 200
    got = rows(r.text)
    st = c.app.state.stats
    q = st.query("2024")
    want = st.indicators(fx.T1, q, level="village", codes=["births", "cbr"], disaggregate=False)
    villages = [v.unit_code for v in want if v.code == "births"]
    assert villages == [fx.V1, fx.V2] and list(got) == [*villages, fx.T1]  # V4 merged into V1 mid-year; the total last
    for v in want + st.indicators(fx.T1, q, codes=["births", "cbr"], disaggregate=False):
        k = 1 if v.code == "births" else 2
        assert got[v.unit_code][k] == ("—" if v.value is None else f"{v.value:,.{st.catalogue.get(v.code).decimals}f}"), v
    assert got[fx.T1][0] == "合计" and got[fx.T1][1] == "2" and got[fx.T1][3] == "样本过少"  # 2 births: too few for a ratio
    assert got[fx.V2][3] == "样本过少"  # none at all
    heads = re.findall(r'<th scope="col" title="([^"]*)" data-code="(\w+)">(.*?)</th>', r.text)
    assert [(code, text) for _, code, text in heads] == [("births", "出生人数"), ("cbr", "出生率(‰)"), ("srb", "出生人口性别比")]
    assert heads[2][0] == st.catalogue.get("srb").description  # the definition on hover
    chart = json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', r.text, re.S).group(1))["chart"]
    assert chart["units"] == [got[fx.V1][0], got[fx.V2][0]] and [s["code"] for s in chart["series"]] == ["births", "cbr", "srb"]
    assert chart["series"][0]["values"] == [2, 0] and chart["series"][2]["values"] == [None, None]  # 样本过少 is a gap
    assert '<script src="/static/indicators.js" defer></script>' in r.text and "<script>" not in r.text


def test_with_a_lower_minimum_the_ratio_shows(env_one):
    c, db = env_one
    sign_in(c, db, "xiang1")
    got = rows(c.get("/indicators", params=query("srb")).text)
    assert (
        got[fx.T1][1] == "100.00" and got[fx.V1][1] == "100.00" and got[fx.V2][1] == "样本过少"
    )  # one boy, one girl; V2 none: still fewer than one


def test_one_unit_and_all_townships_of_the_county(env):
    c, db = env
    sign_in(c, db, "tongji")
    form = c.get("/indicators").text  # the level just below the county is chosen first
    assert '<option value="level:township" selected>全部乡镇（街道）</option>' in form and '<option value="level:village">' in form
    one = rows(c.get("/indicators", params=query("pop_end", unit=fx.T2)).text)
    assert list(one) == [fx.T2] and one[fx.T2][0] != "合计"
    page = c.get("/indicators", params=query("pop_end", "deaths", unit="level:township")).text
    got = rows(page)
    st = c.app.state.stats
    want = {
        v.unit_code: int(v.value)
        for v in st.indicators(fx.COUNTY, st.query("2024"), level="township", codes=["pop_end"], disaggregate=False)
    }
    assert list(got) == [fx.T1, fx.T2, fx.COUNTY] and {k: int(got[k][1]) for k in want} == want
    assert int(got[fx.COUNTY][1]) == sum(want.values())


def test_xlsx_and_csv_downloads_hold_the_table_with_chinese_headers_and_neutralised_names(env):
    c, db = env
    with db.write(fx.ACTOR) as s:
        orgs.rename(s, fx.V2, '=HYPERLINK("http://x","点我")', dt.date(2020, 1, 1))
    sign_in(c, db, "xiang1")
    r = c.get("/indicators", params=query("births", "cbr", "srb", format="xlsx"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(r.content)).active
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert cells[0][0] == "人口指标" and cells[2][:5] == ["单位", "单位代码", "出生人数", "出生率(‰)", "出生人口性别比"]
    body = {row[1]: row for row in cells[3:6]}
    assert body[fx.V1][2] == 2 and body[fx.T1][0] == "合计" and body[fx.T1][4] == "样本过少"
    name_cell = next(cell for row in ws.iter_rows() for cell in row if cell.value == '=HYPERLINK("http://x","点我")')
    assert name_cell.data_type == "s"  # text, never a formula
    assert any(isinstance(v, str) and "出生率：出生人数÷平均人口" in v for row in cells for v in row if v)  # the definitions as notes
    r = c.get("/indicators", params=query("births", "cbr", format="csv"))
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff人口指标")
    lines = list(csv.reader(io.StringIO(text[1:])))
    assert lines[1] == ["单位", "单位代码", "出生人数", "出生率(‰)"]
    assert ['\'=HYPERLINK("http://x","点我")', fx.V2, "0", "0.00"] in lines


def test_the_page_in_english(env):
    c, db = env
    sign_in(c, db, "xiang1")
    c.cookies.set("lang", "en")
    page = c.get("/indicators", params=query("cbr", "srb")).text
    assert "Births and fertility" in page and "crude birth rate" in page and "too few births" in page and "样本过少" not in page


@pytest.mark.parametrize(
    "params, field, words",
    [
        (query(), "i-error", "请至少选择一项指标"),
        (query("no_such"), "i-error", "请至少选择一项指标"),
        (query("cbr", period="2024-13"), "period-error", "统计期"),
        (query("cbr", unit="level:township"), "unit-error", "请从列表中选择单位或层级"),  # no townships below a township
        (query("cbr", basis="current"), None, "户籍人口或常住人口"),
        (query("cbr", format="pdf"), "form-error", None),
    ],
)
def test_mistakes_are_answered_in_chinese_on_the_form(env, params, field, words):
    c, db = env
    sign_in(c, db, "xiang1")
    r = c.get("/indicators", params=params)
    assert r.status_code == 400 and 'id="indicator-table"' not in r.text
    if field:
        assert f'id="{field}"' in r.text
    if words:
        assert words in r.text
    assert "[bad" not in r.text and "Traceback" not in r.text


def test_a_unit_outside_the_area_is_not_found_and_the_permission_is_report_read(env):
    c, db = env
    assert c.get("/indicators", follow_redirects=False).status_code in (302, 303)  # sign in first
    sign_in(c, db, "xiang1")
    r = c.get("/indicators", params=query("cbr", unit=fx.V3))  # T2's village
    assert r.status_code == 404 and "出生率" not in r.text.split("<main")[-1]
    c.cookies.clear()
    sign_in(c, db, "jiangfu")  # benefit administrator: no report:read
    assert c.get("/indicators").status_code == 403


def test_the_table_builder_keeps_the_order_and_drops_repeats(env):
    c, _ = env
    st = c.app.state.stats
    t = picked.table(st, ["cbr", "births", "cbr"], fx.T1, st.query("2024"), level="village")
    assert [col.key for col in t.columns] == ["unit", "code", "cbr", "births"]
    assert [col.unit for col in t.columns[2:]] == ["‰", ""] and t.rows[-1].is_total and t.meta["level"] == "village"
