"""The home page dashboard: key figures equal to the statistics service's, the chart data, the sex
ratio at birth funnel (binomial limits), the data-entry backlog on a hand-made case, and what each
role may see — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from itertools import pairwise

import pyotp
import pytest
from starlette.testclient import TestClient

import helpers
from renkou.auth import accounts
from renkou.auth.officer import Officer
from renkou.auth.scope import Scope
from renkou.registry import events, orgs, persons
from renkou.stats.periods import Period
from renkou.stats.rates import ratio_ci
from renkou.stats.service import IndicatorValue
from renkou.storage.db import Actor
from renkou.web import app as web
from renkou.web import dashboard
from tests.helpers import totp_code
from tests.stats import fixture as fx

PW = "Village.Work-2026"
DAY = dt.date(2024, 12, 31)  # the fixture county's known year


@pytest.fixture
def env(db, monkeypatch):
    fx.build(db)
    with db.write(fx.ACTOR) as s:
        for user, role, unit in (
            ("cun1", "village_worker", fx.V1),
            ("xiang1", "township_officer", fx.T1),
            ("shenji", "auditor", fx.COUNTY),
            ("jiangfu", "benefit_admin", fx.COUNTY),
            ("xitong", "sysadmin", fx.COUNTY),
        ):
            accounts.create_account(s, username=user, display_name=f"显示{user}", role=role, unit_code=unit, password=PW)
    monkeypatch.setattr(dashboard, "today", lambda: DAY)
    with TestClient(web.create_app(db, secret="k", secure_cookies=False)) as c:
        yield c, db


def sign_in(c, db, user):
    code = None
    with db.write(fx.ACTOR) as s:
        acc = accounts.get_account(s, user)
        if acc.role in ("benefit_admin", "auditor", "sysadmin"):  # roles that must use a second factor
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


def chart_data(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.S).group(1))


def cells(page: str, code: str) -> list[str]:
    row = re.search(rf'<tr id="figure-{code}">(.*?)</tr>', page, re.S).group(1)
    return re.findall(r'<td class="num">(.*?)</td>', row)


def test_key_figures_are_the_statistics_services(env):
    c, _ = env
    sign_in(c, env[1], "xiang1")
    page = c.get("/").text
    st = c.app.state.stats
    mtd, ytd = Period(dt.date(2024, 12, 1), DAY, "range"), Period(dt.date(2024, 1, 1), DAY, "ytd")
    periods = [mtd, mtd.previous_year(), ytd, ytd.previous_year()]
    for code in dashboard.EVENTS:
        ind = st.catalogue.get(code)
        want = []
        for p in periods:
            v = st.indicators(fx.T1, st.query(p), codes=[code], disaggregate=False)[0]
            want.append("—" if v.value is None else f"{v.value:,.{ind.decimals}f}")
        assert [re.sub(r"[‰%]| \(.*\)$", "", x) for x in cells(page, code)] == want, code
    assert cells(page, "births") == ["1", "0", "2", "0"]  # K1 on 31 December; K2 in March; none in 2023
    assert cells(page, "deaths") == ["0", "0", "1", "0"] and cells(page, "moves_out") == ["0", "0", "1", "0"]
    assert cells(page, "srb")[2].startswith("100.00 (")  # one boy, one girl, with the interval
    assert '<strong id="population">7</strong>' in page  # T1 at the end of November 2024 (hukou)
    assert "2024年11月" in page and "2023年11月" in page


def test_chart_data_births_by_month_and_pyramid(env):
    c, db = env
    sign_in(c, db, "xiang1")
    page = c.get("/").text
    data = chart_data(page)
    b = data["births"]
    assert b["months"][0] == "2023-01" and b["months"][-1] == "2024-12" and len(b["months"]) == 24
    assert b["female"][b["months"].index("2024-03")] == 1 and b["male"][-1] == 1 and sum(b["male"]) + sum(b["female"]) == 2
    p = data["pyramid"]
    assert p["groups"][0] == "0-4" and sum(p["male"]) + sum(p["female"]) == 7
    assert data["labels"]["male"] == "男"
    for chart in ("chart-births", "chart-pyramid", "chart-funnel"):
        assert f'id="{chart}"' in page
    assert '<script src="/static/vendor/echarts.min.js" defer></script>' in page and "<script>" not in page  # no inline script
    f = data["funnel"]  # villages of T1: V1 had both births (V4 merged into it)
    assert [pt["code"] for pt in f["points"]] == [fx.V1] and f["reference"] == 100.0 and not f["points"][0]["outside"]


def test_funnel_limits_are_binomial_and_agree_with_each_units_interval():
    """A stand-in statistics service: the county's ratio 106 from 10,600 boys and 10,000 girls; a big
    township clearly above it, a small one far above it by chance, one close to it."""
    counts = {"A": (2674, 2326), "B": (23, 17), "C": (530, 500), "D": (3, 0)}

    class Fake:
        def query(self, p):
            return p

        def indicators(self, org, q, *, level=None, codes=None, scope=None, disaggregate=True):
            def iv(code, m, f):
                return IndicatorValue("srb", code, code, level or "county", (), m / f * 100 if f else None, m, f)

            if level is None:
                return [iv("county", 10600, 10000)]
            return [iv(k, m, f) for k, (m, f) in counts.items()]

    f = dashboard.funnel(Fake(), "county", "township", None, DAY)
    pts = {p["code"]: p for p in f["points"]}
    assert f["reference"] == 106.0 and pts["A"]["outside"] and not pts["B"]["outside"] and not pts["C"]["outside"]
    assert pts["D"]["srb"] is None and pts["D"]["births"] == 3
    p0 = 10600 / 20600
    for p in f["points"]:  # outside the drawn limits at its number of births exactly when flagged
        n, (m, fe) = p["births"], counts[p["code"]]
        half = dashboard.Z * math.sqrt(p0 * (1 - p0) / n)
        share = m / n
        assert p["outside"] == (abs(share - p0) > half), p["code"]
        lo, hi = ratio_ci(m, fe, 100)
        assert p["outside"] == (not lo <= 106 <= hi)
    first, last = f["limits"][0], f["limits"][-1]
    assert first[0] == 1 and last[0] == f["max_births"] and last[1] < 106 < last[2] and last[2] - last[1] < 20
    for a, b in pairwise(f["limits"]):  # more births, narrower limits
        assert a[0] < b[0] and a[1] <= b[1] and (a[2] is None or b[2] <= a[2])


def test_the_county_auditor_sees_townships_in_the_funnel(env):
    c, db = env
    sign_in(c, db, "shenji")
    page = c.get("/").text
    f = chart_data(page)["funnel"]
    assert [p["code"] for p in f["points"]] == [fx.T1]  # T2 had no births
    assert 'id="srb-reference">100.0<' in page and f'data-code="{fx.T1}"' in page


def test_a_village_worker_has_figures_but_no_funnel(env):
    c, db = env
    sign_in(c, db, "cun1")
    page = c.get("/").text
    assert cells(page, "births")[2] == "2" and "srb-funnel" not in page and "funnel" not in chart_data(page)


def test_a_role_without_report_read_sees_population_but_no_event_figures(env):
    c, db = env
    sign_in(c, db, "jiangfu")  # benefit administrator: population:read, no report:read
    page = c.get("/").text
    assert 'id="population"' in page and 'id="backlog"' in page and "figure-births" not in page
    data = chart_data(page)
    assert "pyramid" in data and "births" not in data and "funnel" not in data
    assert 'href="/reports"' not in page


def test_the_system_administrator_gets_administration_links_only(env):
    c, db = env
    sign_in(c, db, "xitong")
    page = c.get("/").text
    assert 'id="administration"' in page and 'href="/orgs"' in page
    for absent in ("key-figures", "chart-data", "backlog", 'href="/reports"', "population"):
        assert absent not in page, absent
    assert c.get("/reports").status_code == 403


# ------------------------------------------------------------------------------------------------ backlog


@pytest.fixture
def entered(db):
    """Events entered now in T1's villages and in T2's: some late, some not, a retraction, a generator's."""
    helpers.build_units(db)
    today = dt.date.today()
    ago = lambda days: today - dt.timedelta(days=days)  # noqa: E731
    with db.write(helpers.ACTOR) as s:
        v1, v3 = orgs.get_unit(s, helpers.V1), orgs.get_unit(s, helpers.V3)
        mum = helpers.add_resident(s, "钱母", "F", dt.date(1990, 1, 1), helpers.V1, 1, registered=dt.date(2000, 1, 1))
        other = helpers.add_resident(s, "孙母", "F", dt.date(1991, 1, 1), helpers.V3, 2, registered=dt.date(2000, 1, 1))
        old1 = helpers.add_resident(s, "钱老", "M", dt.date(1930, 1, 1), helpers.V1, 3, registered=dt.date(2000, 1, 1))
        old2 = helpers.add_resident(s, "钱翁", "M", dt.date(1931, 1, 1), helpers.V1, 4, registered=dt.date(2000, 1, 1))
        old3 = helpers.add_resident(s, "孙老", "M", dt.date(1932, 1, 1), helpers.V3, 5, registered=dt.date(2000, 1, 1))

        def baby(name, born, unit, mother, with_id=False, n=0):
            p = persons.add_person(
                s,
                helpers.SYSTEM,
                name=name,
                sex="F",
                birth_date=born,
                id_number=helpers.pid(born, "F", 50 + n) if with_id else None,
                temp_key=None if with_id else persons.new_temp_key(born),
            )
            events.record(
                s, helpers.SYSTEM, "birth", p, born, mother=mother, hukou_unit=unit, residence_unit=unit, hukou_type="agricultural"
            )
            return p

        baby("钱甲", ago(50), v1, mum)  # late (50 days) and no ID yet
        baby("钱乙", ago(10), v1, mum, n=1)  # on time, no ID yet
        baby("钱丙", ago(100), v1, mum, n=2)  # late; too old for the "no ID" count
        baby("钱丁", ago(20), v1, mum, with_id=True, n=3)  # on time, has an ID
        baby("孙甲", ago(40), v3, other, n=4)  # another township: late, no ID
        events.record(s, helpers.SYSTEM, "death", old1, ago(45))  # late
        wrong = events.record(s, helpers.SYSTEM, "death", old2, ago(60))  # late, but withdrawn
        events.retract(s, helpers.SYSTEM, wrong.id, reason="录入错误")
        events.record(s, helpers.SYSTEM, "death", old3, ago(31))  # another township: late
    synth = Officer.system(Actor("synth", "system", "test"))
    with db.write(synth.actor) as s:  # a generator's bulk entry is not a late registration
        late_by_system = helpers.add_resident(
            s, "周某", "M", dt.date(1950, 1, 1), helpers.V1, 6, registered=dt.date(2000, 1, 1), officer=synth
        )
        events.record(s, synth, "death", late_by_system, ago(200))
    return db, today


@pytest.mark.parametrize("unit, late, no_id", [(helpers.T1, 3, 2), (helpers.T2, 2, 1), (helpers.COUNTY, 5, 3), (helpers.V2, 0, 0)])
def test_backlog_counts_on_a_hand_made_case(entered, unit, late, no_id):
    db, today = entered
    with db.read() as s:
        uid = orgs.get_unit(s, unit).id
        assert dashboard.backlog(s, Scope.for_unit(s, uid), today) == {"late": late, "no_id": no_id}
        later = dashboard.backlog(s, Scope.for_unit(s, uid), today, now=dashboard.utcnow() + dt.timedelta(days=31))
        assert later["late"] == 0  # entered more than 30 days before "now"


def test_the_backlog_on_the_page(entered):
    db, _ = entered
    with db.write(helpers.ACTOR) as s:
        accounts.create_account(s, username="xiang1", display_name="乡一", role="township_officer", unit_code=helpers.T1, password=PW)
    with TestClient(web.create_app(db, secret="k", secure_cookies=False)) as c:
        sign_in(c, db, "xiang1")
        page = c.get("/").text
    assert '<dd id="backlog-late">3</dd>' in page and '<dd id="backlog-no-id">2</dd>' in page
