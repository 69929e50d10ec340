"""Reports and ledgers: the /reports page (table on screen, downloads, the period field, masked ledgers)
and the statistics API (/api/v1/indicators, /reports/{key}, /ledgers/{kind}) with its access control —
each role against its own unit, its parent and a sibling; tampered codes; tokens — on the hand-made
county of tests/stats/fixture.py, whose 2024 figures are known."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from urllib.parse import quote

import pyotp
import pytest
from starlette.testclient import TestClient

from renkou.auth import accounts
from renkou.config import Settings
from renkou.core.idnumber import mask
from renkou.stats.table import Column, Row, Table
from renkou.storage.schema import Person
from renkou.web import app as web
from renkou.web import reports as web_reports
from tests.helpers import totp_code
from tests.stats import fixture as fx

PW = "Village.Work-2026"
ACCOUNTS = {  # user: (role, unit)
    "cun1": ("village_worker", fx.V1),
    "cun2": ("village_worker", fx.V2),
    "xiang1": ("township_officer", fx.T1),
    "xiang2": ("township_officer", fx.T2),
    "tongji": ("county_statistician", fx.COUNTY),
    "shenji": ("auditor", fx.COUNTY),
    "jiangfu": ("benefit_admin", fx.COUNTY),
    "xitong": ("sysadmin", fx.COUNTY),
}
UNITS = (fx.COUNTY, fx.T1, fx.T2, fx.V1, fx.V2, fx.V3)
EVERYTHING = set(UNITS)
SEES = {"cun1": {fx.V1}, "cun2": {fx.V2}, "xiang1": {fx.T1, fx.V1, fx.V2}, "xiang2": {fx.T2, fx.V3}, "tongji": EVERYTHING}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def env(db):
    ids = fx.build(db)
    tokens = {}
    with db.write(fx.ACTOR) as s:
        for user, (role, unit) in ACCOUNTS.items():
            acc = accounts.create_account(s, username=user, display_name=f"显示{user}", role=role, unit_code=unit, password=PW)
            tokens[user] = accounts.create_token(s, acc, "test client")
            if role == "auditor":  # signs in on the pages: its role needs a second factor
                SECRETS[user], _ = accounts.start_totp(acc)
                accounts.confirm_totp(s, acc, SECRETS[user], pyotp.TOTP(SECRETS[user]).now())
        id_of = {k: s.get(Person, v).id_number for k, v in ids.items()}
    with TestClient(web.create_app(db, secret="k", secure_cookies=False)) as c:
        yield c, tokens, id_of, db


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


SECRETS: dict[str, str] = {}


def sign_in(c, user):
    t = c.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    code = totp_code(c.app.state.db, user, SECRETS[user]) if user in SECRETS else ""
    assert (
        c.post("/login", data={"username": user, "password": PW, "totp": code, "csrf_token": t}, follow_redirects=False).status_code == 303
    )


def show(c, what="report:monthly", org=fx.T1, period="2024", **more):
    return c.get("/reports", params={"t": what, "org": org, "period": period, "basis": "hukou", **more})


# ------------------------------------------------------------------------------------------------ API


def test_report_and_indicator_api_own_area_yes_parent_and_sibling_no(env):
    c, tokens, _, _ = env
    for user, code in ((u, code) for u in sorted(SEES) for code in UNITS):
        r = c.get("/api/v1/reports/monthly", params={"org": code, "period": "2024"}, headers=bearer(tokens[user]))
        i = c.get("/api/v1/indicators", params={"org": code, "period": "2024", "codes": "births"}, headers=bearer(tokens[user]))
        if code in SEES[user]:
            assert r.status_code == 200 and r.json()["unit"]["code"] == code, code
            assert i.status_code == 200 and {v["unit"] for v in i.json()} == {code}
        else:
            assert r.status_code == 404 and i.status_code == 404, code
            assert "不在您的管辖范围内" in r.json()["detail"]
    for user in SEES:
        own = c.get("/api/v1/reports/monthly", params={"period": "2024"}, headers=bearer(tokens[user])).json()
        assert own["unit"]["code"] == ACCOUNTS[user][1]  # no org: the caller's own unit


def test_ledger_api_is_scoped_and_masked(env):
    c, tokens, id_of, _ = env
    for user, code in ((u, code) for u in sorted(SEES) for code in UNITS):
        r = c.get("/api/v1/ledgers/births", params={"org": code, "period": "2024"}, headers=bearer(tokens[user]))
        assert r.status_code == (200 if code in SEES[user] else 404), (user, code)
        if r.status_code == 200:
            assert all(v not in r.text for v in id_of.values() if v)  # no full ID number, ever
    for user in ("cun1", "xiang1", "tongji"):
        rows = c.get("/api/v1/ledgers/births", params={"org": fx.V1, "period": "2024"}, headers=bearer(tokens[user])).json()["rows"]
        assert len(rows) == 2 and mask(id_of["A"]) in json.dumps(rows, ensure_ascii=False)


def test_roles_without_the_permission_are_refused(env):
    c, tokens, _, _ = env
    urls = {"reports": "/api/v1/reports/monthly", "indicators": "/api/v1/indicators", "ledgers": "/api/v1/ledgers/births"}
    for user, refused in (("shenji", {"ledgers"}), ("jiangfu", set(urls)), ("xitong", set(urls))):
        for name, url in urls.items():
            r = c.get(url, params={"period": "2024"}, headers=bearer(tokens[user]))
            assert r.status_code == (403 if name in refused else 200), (user, name)


def test_api_figures_are_the_known_ones(env):
    c, tokens, _, _ = env
    t = c.get("/api/v1/reports/monthly", params={"org": fx.T1, "period": "2024"}, headers=bearer(tokens["xiang1"])).json()
    col = {k["key"]: i for i, k in enumerate(t["columns"])}
    v1, v2, total = t["rows"]
    assert (v1["code"], v2["code"], total["total"]) == (fx.V1, fx.V2, True)
    assert v1["values"][col["pop_start"]] == 6 and v1["values"][col["births"]] == 2 and v1["values"][col["pop_end"]] == 8
    assert v2["values"][col["deaths"]] == 1 and v2["values"][col["moves_out"]] == 1
    assert t["columns"][col["births"]]["header"] == ["出生", "合计"] and t["meta"]["basis"] == "hukou"
    ind = c.get(
        "/api/v1/indicators",
        params={"org": fx.COUNTY, "period": "2024", "level": "township", "codes": "births,srb", "disaggregate": "false"},
        headers=bearer(tokens["tongji"]),
    ).json()
    births = {v["unit"]: v["value"] for v in ind if v["indicator"] == "births"}
    assert births == {fx.T1: 2, fx.T2: 0}
    srb = next(v for v in ind if v["indicator"] == "srb" and v["unit"] == fx.T1)
    assert srb["value"] == 100 and srb["ci_low"] < 100 < srb["ci_high"]
    assert srb["small_sample"] is True  # two births: the pages show 样本过少; the API keeps the figure and says so
    assert all(v["small_sample"] is False for v in ind if v["indicator"] == "births")
    villages = c.get(
        "/api/v1/indicators",
        params={"level": "village", "period": "2024", "codes": "births", "disaggregate": "false"},
        headers=bearer(tokens["xiang1"]),
    ).json()
    assert {v["unit"] for v in villages} == {fx.V1, fx.V2}  # the caller's villages only


def test_api_refuses_bad_input_and_bad_tokens(env):
    c, tokens, _, db = env
    h = bearer(tokens["xiang1"])
    assert c.get("/api/v1/reports/monthly", params={"period": "2024-13"}, headers=h).status_code == 422
    assert c.get("/api/v1/reports/nope", params={"period": "2024"}, headers=h).status_code == 422
    assert c.get("/api/v1/ledgers/nope", params={"period": "2024"}, headers=h).status_code == 422
    assert c.get("/api/v1/indicators", params={"period": "2024", "basis": "other"}, headers=h).status_code == 422
    assert c.get("/api/v1/indicators", params={"period": "2024", "codes": "no_such"}, headers=h).status_code == 422
    # tampering: another township's village and a code that does not exist look the same
    other = c.get("/api/v1/reports/monthly", params={"org": fx.V3, "period": "2024"}, headers=h)
    none = c.get("/api/v1/reports/monthly", params={"org": "410102100299", "period": "2024"}, headers=h)
    assert other.status_code == none.status_code == 404
    assert other.json()["detail"].replace(fx.V3, "X") == none.json()["detail"].replace("410102100299", "X")
    for url in ("/api/v1/reports/monthly", "/api/v1/indicators", "/api/v1/ledgers/births"):
        assert c.get(url, params={"period": "2024"}).status_code == 401
        assert c.get(url, params={"period": "2024"}, headers=bearer("rk_forged")).status_code == 401
    with db.write(fx.ACTOR) as s:
        accounts.revoke_tokens(s, accounts.get_account(s, "xiang1"))
    assert c.get("/api/v1/reports/monthly", params={"period": "2024"}, headers=h).status_code == 401


def test_api_with_the_session_cookie_reads_without_csrf_and_changes_nothing(env):
    c, _, _, _ = env
    sign_in(c, "xiang1")
    assert c.get("/api/v1/reports/annual", params={"period": "2024"}).status_code == 200
    assert c.get("/api/v1/ledgers/wcba", params={"period": "2024", "org": fx.V1}).status_code == 200
    assert c.get("/api/v1/ledgers/wcba", params={"period": "2024", "org": fx.V3}).status_code == 404
    for url in ("/api/v1/reports/monthly", "/api/v1/indicators", "/api/v1/ledgers/births"):  # read-only: nothing to post
        assert c.post(url, params={"period": "2024"}, headers={"X-CSRF-Token": "forged"}).status_code == 405


def test_openapi_documents_the_statistics_api(env):
    c, tokens, *_ = env
    spec = c.get("/api/v1/openapi.json", headers=bearer(next(iter(tokens.values())))).json()
    paths = spec["paths"]
    assert {"/api/v1/indicators", "/api/v1/reports/{key}", "/api/v1/ledgers/{kind}"} <= set(paths)
    params = {p["name"] for p in paths["/api/v1/indicators"]["get"]["parameters"]}
    assert {"org", "period", "level", "basis", "codes"} <= params
    assert {"TableOut", "IndicatorOut"} <= set(spec["components"]["schemas"])
    assert "/reports" not in paths and "/" not in paths  # the pages are not API


# ------------------------------------------------------------------------------------------------ pages


def test_the_form_offers_the_users_units_and_this_month(env):
    c, *_ = env
    sign_in(c, "xiang1")
    page = c.get("/reports").text
    today = dt.date.today()
    assert 'method="get"' in page and f'name="period" value="{today.year}年{today.month}月"' in page  # this month, in Chinese
    offered = re.findall(r'<option value="(\d{12})"', page)
    assert offered == [fx.T1, fx.V1, fx.V2]  # today's tree below the account's unit (V4 merged into V1)
    units = re.search(r'<select class="pk-units" id="org" name="org">(.*?)</select>', page).group(1)
    shown = [re.sub(r"<[^>]+>", "", o) for o in re.findall(r"<option .*?</option>", units)]
    assert shown == ["甲镇", "\u3000一村", "\u3000二村"]  # names indented by level, never the code
    assert f'<option value="{fx.T1}" data-depth="0" data-keys="甲镇 jiazhen jz"' in units and "selected" in units.split("</option>")[0]
    assert 'data-keys="一村 yicun yc"' in units and 'title="甲镇 › 一村"' in units
    for value in ("report:monthly", "report:annual", "report:structure", "ledger:births", "ledger:wcba"):
        assert f'value="{value}"' in page


def test_a_report_on_screen_with_merged_headers_totals_and_download_links(env):
    c, *_ = env
    sign_in(c, "xiang1")
    r = show(c)
    assert r.status_code == 200
    page = r.text
    assert "人口变动情况月报表" in page and "填报单位：甲镇（410102100000）" in page and "2024年" in page
    assert re.search(r'<th colspan="\d+" scope="colgroup">出生</th>', page)
    assert re.search(r'<th rowspan="\d+" scope="col">期初人口</th>', page)
    assert "<td>一村</td>" in page and "<td>二村</td>" in page
    total = re.search(r'<tr class="total">(.*?)</tr>', page).group(1)
    assert "<td>合计</td>" in total and '<td class="num">8</td>' in total
    for fmt in ("xlsx", "pdf", "csv"):
        assert f"format={fmt}" in page


def test_downloads_have_their_content_type_and_a_utf8_file_name(env):
    from openpyxl import load_workbook

    c, *_ = env
    sign_in(c, "xiang1")
    for fmt, ctype, magic in (
        ("xlsx", XLSX, b"PK"),
        ("pdf", "application/pdf", b"%PDF"),
        ("csv", "text/csv; charset=utf-8", "\ufeff".encode()),
    ):
        r = show(c, format=fmt)
        assert r.status_code == 200 and r.headers["content-type"] == ctype and r.content.startswith(magic)
        cd = r.headers["content-disposition"]
        assert cd.startswith("attachment;") and f'filename="monthly-{fx.T1}-2024.{fmt}"' in cd
        assert f"filename*=UTF-8''{quote(f'人口变动情况月报表-甲镇-2024.{fmt}')}" in cd
        if fmt == "xlsx":
            cells = [v for row in load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True) for v in row if v is not None]
            assert "人口变动情况月报表" in cells and "一村" in cells
    ledger = show(c, what="ledger:wcba", format="csv")
    assert (
        ledger.status_code == 200 and "filename*=UTF-8''" + quote("育龄妇女花名册-甲镇-2024.csv") in ledger.headers["content-disposition"]
    )


def test_an_invalid_period_shows_the_chinese_message_next_to_the_field(env):
    c, *_ = env
    sign_in(c, "xiang1")
    r = show(c, period="2024-13")
    assert r.status_code == 400
    err = re.search(r'<span class="error" role="alert" id="period-error">(.*?)</span>', r.text).group(1)
    assert err.startswith("统计期“2024-13”无效") and "2026年第4季度" in err and "2024Q1" not in err and "bad_" not in err
    assert 'value="2024-13"' in r.text and 'aria-invalid="true"' in r.text and '<table class="stats">' not in r.text
    c.cookies.set("lang", "en")
    assert "Invalid period" in show(c, period="2024-13").text


@pytest.mark.parametrize(
    "typed, label, code",
    [
        ("2024年", "2024年", "2024"),
        ("2024年度", "2024年", "2024"),
        ("2024年第4季度", "2024年第4季度", "2024Q4"),
        ("2024年四季度", "2024年第4季度", "2024Q4"),
        ("2024Q4", "2024年第4季度", "2024Q4"),
        ("2024年12月份", "2024年12月", "2024-12"),
        ("2024年下半年", "2024年下半年", "2024S2"),
        ("2024年1-3月", "2024年1月至3月累计", "2024-03YTD"),
        ("2024统计年度", "2023年10月至2024年9月统计年度", "2023Oct"),
    ],
)
def test_a_chinese_period_gives_the_report_and_the_page_shows_no_codes(env, typed, label, code):
    c, *_ = env
    sign_in(c, "xiang1")
    r = show(c, period=typed)
    assert r.status_code == 200 and "人口变动情况月报表" in r.text
    assert f'name="period" value="{label}"' in r.text  # the box holds the Chinese label, whatever was typed
    assert f"period={quote(code)}&amp;" in r.text  # the download links carry the code
    visible = re.sub(r'<[^>]*>|href="[^"]*"', " ", r.text.split("<main>")[1])
    assert not re.findall(r"\d{4}(?:Q\d|S\d|SY|Oct|-\d\d)", visible)
    c.cookies.set("lang", "en")
    assert f'name="period" value="{code}"' in show(c, period=typed).text  # in English the box holds the code


def test_the_period_picker_offers_kinds_years_and_parts_in_chinese(env):
    c, *_ = env
    sign_in(c, "xiang1")
    page = show(c, period="2024年第4季度").text
    kinds = re.search(r'<select class="pk-kind".*?</select>', page).group(0)
    assert re.findall(r">([^<]+)</option>", kinds) == ["月", "季度", "半年", "年", "统计年度", "年初至今（累计）"]
    assert '<option value="quarter" data-text="" selected>' in kinds and 'data-text="{y}统计年度"' in kinds
    assert re.search(r'<select class="pk-year"[^>]*>.*<option value="2024" selected>2024年</option>', page)
    quarters = re.search(r'<select class="pk-part" id="period-quarter" data-kind="quarter" aria-label="季度">(.*?)</select>', page).group(1)
    assert '<option value="4" data-text="{y}年第4季度" selected>第4季度</option>' in quarters
    assert re.search(r'<select class="pk-part" id="period-month" data-kind="month" aria-label="月" hidden>', page)
    assert '<span class="pk-selects" hidden>' in page  # shown by /static/pickers.js; without it the box and its list
    this_year = dt.date.today().year
    common = re.search(r'<datalist id="period-list">(.*?)</datalist>', page).group(1)
    assert f'<option value="{this_year}年"></option>' in common and f'<option value="{this_year - 1}年第4季度"></option>' in common
    assert f'<option value="{this_year - 1}年上半年"></option>' in common and "Q" not in common
    assert '<script src="/static/pickers.js" defer></script>' in page and c.get("/static/pickers.js").status_code == 200


def test_a_ledger_is_masked_and_has_no_reveal(env):
    c, _, id_of, _ = env
    sign_in(c, "xiang1")
    r = show(c, what="ledger:births")
    assert r.status_code == 200 and "出生登记台账" in r.text and "安红" in r.text and "高小雨" in r.text
    assert mask(id_of["A"]) in r.text and all(v not in r.text for v in id_of.values() if v)
    assert "身份证号已脱敏" in r.text and "reveal" not in r.text and 'method="post"' not in r.text.split("</header>")[1]
    assert show(c, what="ledger:births", reveal="核对").text.count(mask(id_of["A"])) >= 1  # no parameter reveals


def test_units_outside_the_area_are_not_found(env):
    c, *_ = env
    sign_in(c, "xiang1")
    for code in (fx.V3, fx.T2, fx.COUNTY, "410102100299"):
        r = show(c, org=code)
        assert r.status_code == 404 and "您的管辖范围内没有此单位" in r.text and "三村" not in r.text, code
        assert show(c, what="ledger:births", org=code, format="xlsx").status_code == 404
    c.cookies.clear()
    sign_in(c, "cun1")  # a village worker: their own village's ledgers and reports only
    assert show(c, what="ledger:births", org=fx.V1).status_code == 200
    assert show(c, what="report:monthly", org=fx.V1).status_code == 200
    assert show(c, what="ledger:births", org=fx.T1).status_code == 404
    assert show(c, what="ledger:births", org=fx.V2).status_code == 404


def test_the_auditor_has_reports_but_no_ledgers(env):
    c, *_ = env
    sign_in(c, "shenji")
    page = c.get("/reports").text
    assert 'value="report:monthly"' in page and "ledger:" not in page
    assert show(c, what="ledger:births", org=fx.COUNTY).status_code == 403
    assert show(c, org=fx.COUNTY).status_code == 200


def test_bad_choices_are_refused_with_a_message(env):
    c, *_ = env
    sign_in(c, "xiang1")
    assert show(c, what="report:nope").status_code == 400
    r = c.get("/reports", params={"t": "report:monthly", "org": fx.T1, "period": "2024", "basis": "other"})
    assert r.status_code == 400 and "请选择户籍人口或常住人口" in r.text
    assert show(c, format="docx").status_code == 400


def test_a_report_template_from_the_reports_directory_is_offered(env, tmp_path, monkeypatch):
    from importlib import resources

    c, *_ = env
    shipped = json.loads(resources.files("renkou.stats").joinpath("data/reports/monthly.json").read_text(encoding="utf-8"))
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "county.json").write_text(
        json.dumps({**shipped, "key": "county", "title": "本县人口月报"}, ensure_ascii=False), encoding="utf-8"
    )
    monkeypatch.setattr(c.app.state, "settings", Settings.from_env({"RENKOU_REPORTS_DIR": str(tmp_path / "reports")}))
    sign_in(c, "xiang1")
    assert 'value="report:county"' in c.get("/reports").text
    assert "本县人口月报" in show(c, what="report:county").text


def test_the_structure_report_carries_its_pyramid_as_data_for_the_chart(env):
    c, *_ = env
    sign_in(c, "xiang1")
    page = show(c, what="report:structure").text
    data = json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.S).group(1))
    assert sum(data["pyramid"]["male"]) + sum(data["pyramid"]["female"]) == 8  # T1 at the end of 2024
    assert '<script src="/static/dashboard.js" defer></script>' in page and "<script>" not in page


def test_only_the_first_rows_are_shown_on_screen(env, monkeypatch):
    c, *_ = env
    monkeypatch.setattr(web_reports, "SCREEN_ROWS", 1)
    sign_in(c, "xiang1")
    page = show(c).text  # a report: its first rows, the downloads hold them all (a ledger is paged instead)
    rows = page.split("<tbody>")[1].split("</tbody>")[0].count("<tr")
    assert rows == 1 and re.search(r"\(1 / [2-9]\d*\)", page) and 'id="table-pager"' not in page
    ledger = show(c, what="ledger:births").text
    assert "(1 / 2)" not in ledger and 'id="table-pager"' in ledger


def test_table_view_formats_numbers_rates_and_units():
    cols = (
        Column("unit", ("单位",), ("Unit",), kind="text"),
        Column("pop", ("人口",), ("Population",)),
        Column("cbr", ("出生率",), ("Birth rate",), kind="rate", decimals=2, unit="‰"),
    )
    t = Table(
        "x",
        "表",
        "Table",
        "1",
        "县",
        "2024年",
        "2024",
        "",
        dt.date(2025, 1, 1),
        cols,
        (Row(("一村", 12345, 7.1)), Row(("合计", 1234567, 2502.0), is_total=True)),
    )
    v = web_reports.table_view(t, "zh")
    assert v["body"][0]["cells"] == [("一村", False), ("12,345", True), ("7.10", True)]
    assert v["body"][1]["total"] and v["body"][1]["cells"][1:] == [("1,234,567", True), ("2,502.00", True)]
    assert [c.text for c in v["head"][0]] == ["单位", "人口", "出生率(‰)"]
    assert web_reports.table_view(t, "en")["head"][0][2].text == "Birth rate (‰)"


def test_a_ledger_on_screen_is_shown_a_page_at_a_time(env, monkeypatch):
    from renkou.web import paging

    monkeypatch.setattr(paging, "SIZES", (1, *paging.SIZES))  # the fixture county's ledgers are short
    c, *_ = env
    sign_in(c, "xiang1")
    whole = show(c, what="ledger:births").text
    total = int(whole.split('id="table-pager"')[1].split('data-total="')[1].split('"')[0])
    assert total >= 2 and f"第 1–{total} 条，共 {total} 条" in whole
    assert whole.split("<tbody>")[1].split("</tbody>")[0].count("<tr") == total  # all of them on one page of the default size
    first, second = (show(c, what="ledger:births", size="1", page=str(k)).text for k in (1, 2))
    rows = [p.split("<tbody>")[1].split("</tbody>")[0].count("<tr") for p in (first, second)]
    assert rows == [1, 1] and f"第 1–1 条，共 {total} 条" in first and f"第 2–2 条，共 {total} 条" in second
    assert first.split("<tbody>")[1].split("</tbody>")[0] != second.split("<tbody>")[1].split("</tbody>")[0]
    nxt = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert "t=ledger%3Abirths" in nxt and "page=2" in nxt and "size=1" in nxt and "format" not in nxt
    report = show(c).text  # a report's rows are units: shown whole, without a pager
    assert 'id="table-pager"' not in report
