"""The home page dashboard: key figures equal to the statistics service's, the chart data, the sex
ratio at birth funnel (binomial limits), the data-entry backlog on a hand-made case, and what each
role may see — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import replace
from itertools import pairwise

import pyotp
import pytest
from starlette.testclient import TestClient

import helpers
from renkou.auth import accounts
from renkou.auth.officer import Officer
from renkou.auth.scope import Scope
from renkou.config import Settings
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
    yield from county_app(db, monkeypatch)


@pytest.fixture
def env_one(db, monkeypatch):
    """The same with a sex ratio at birth shown from one birth on, and a target of 106."""
    yield from county_app(db, monkeypatch, srb_min_births=1, srb_target=106.0)


def county_app(db, monkeypatch, **settings):
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
    app = web.create_app(db, secret="k", secure_cookies=False, settings=replace(Settings.from_env(), **settings))
    with TestClient(app) as c:
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
            want.append("样本过少" if v.small else "—" if v.value is None else f"{v.value:,.{ind.decimals}f}")
        assert [re.sub(r"[‰%]| \(.*\)$", "", x) for x in cells(page, code)] == want, code
    assert cells(page, "births") == ["1", "0", "2", "0"]  # K1 on 31 December; K2 in March; none in 2023
    assert cells(page, "deaths") == ["0", "0", "1", "0"] and cells(page, "moves_out") == ["0", "0", "1", "0"]
    assert cells(page, "srb") == ["样本过少"] * 4  # two births at most: fewer than the 20 the ratio needs
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
    f = data["funnel"]  # villages of T1: V1 had both births (V4 merged into it), too few for a ratio
    assert [pt["code"] for pt in f["points"]] == [fx.V1] and f["reference"] is None and f["target"] == 105.0
    assert f["points"][0]["small"] and f["points"][0]["srb"] is None and not f["points"][0]["outside"]
    assert 'id="srb-reference">样本过少<' in page


def test_with_a_lower_minimum_the_ratio_and_its_interval_show(env_one):
    c, db = env_one
    sign_in(c, db, "xiang1")
    page = c.get("/").text
    assert cells(page, "srb")[2].startswith("100.00 (")  # the year: one boy, one girl, with the interval
    assert cells(page, "srb")[0] == "—"  # December: one boy and no girl, enough births but no ratio
    f = chart_data(page)["funnel"]
    assert f["reference"] == 100.0 and f["target"] == 106 and not f["points"][0]["small"] and f["points"][0]["srb"] == 100.0
    assert 'id="srb-reference">100.00<' in page and 'id="srb-target">106<' in page


class FakeStats:
    """A stand-in statistics service: the county's own ratio 137 (13,700 boys, 10,000 girls, as in the demo
    county); a big township clearly above 105, a small one far above it, two close to it, one too small."""

    counts = {"A": (2674, 2326), "B": (23, 17), "C": (530, 500), "D": (3, 0), "E": (40, 20)}

    def query(self, p):
        return p

    def indicators(self, org, q, *, level=None, codes=None, scope=None, disaggregate=True):
        def iv(code, m, f):
            return IndicatorValue("srb", code, code, level or "county", (), m / f * 100 if f else None, m, f)

        if level is None:
            return [iv("county", 13700, 10000)]
        return [iv(k, m, f) for k, (m, f) in self.counts.items()]


@pytest.mark.parametrize("target", [105.0, 103.5, 110.0])
def test_funnel_limits_are_binomial_around_the_target_and_agree_with_each_units_interval(target):
    f = dashboard.funnel(FakeStats(), "county", "township", None, DAY, target=target, min_births=20)
    pts = {p["code"]: p for p in f["points"]}
    assert f["reference"] == 137.0 and f["target"] == target
    assert pts["D"]["small"] and pts["D"]["srb"] is None and pts["D"]["births"] == 3 and not pts["D"]["outside"]
    p0 = target / (100 + target)
    for p in f["points"]:  # outside the drawn limits at its number of births exactly when flagged
        if p["small"]:
            continue
        n, (m, fe) = p["births"], FakeStats.counts[p["code"]]
        half = dashboard.Z * math.sqrt(p0 * (1 - p0) / n)
        assert p["outside"] == (abs(m / n - p0) > half), p["code"]
        lo, hi = ratio_ci(m, fe, 100)  # the score test: the same as the target lying outside the unit's Wilson interval
        assert p["outside"] == (not lo <= target <= hi)
    first, last = f["limits"][0], f["limits"][-1]
    assert first[0] == 20 and last[0] == f["max_births"] and last[1] < target < last[2] and last[2] - last[1] < 20
    assert not last[1] < 137 < last[2]  # around the target, not around the county's own ratio
    for a, b in pairwise(f["limits"]):  # more births, narrower limits
        assert a[0] < b[0] and a[1] <= b[1] and b[2] <= a[2]
    for n, lo, hi in f["limits"]:  # every limit is drawn inside the plot
        assert lo is not None and hi is not None and f["y_min"] <= lo < hi <= f["y_max"] and 0 < n <= f["max_births"]
    for p in f["points"]:
        assert p["small"] or (f["y_min"] <= p["srb"] <= f["y_max"] and p["births"] <= f["max_births"])


def test_funnel_flags_a_big_unit_far_from_the_target():
    pts = {p["code"]: p for p in dashboard.funnel(FakeStats(), "county", "township", None, DAY)["points"]}
    assert pts["A"]["outside"] and pts["E"]["outside"] and not pts["B"]["outside"] and not pts["C"]["outside"]


def test_a_minimum_of_one_birth_still_draws_finite_limits():
    f = dashboard.funnel(FakeStats(), "county", "township", None, DAY, min_births=1)
    assert not any(p["small"] for p in f["points"] if p["births"] >= 1)
    assert all(r[1] is not None and r[2] is not None and f["y_min"] <= r[1] < r[2] <= f["y_max"] for r in f["limits"])
    assert f["limits"][0][0] == 5  # below 5 births a 95% limit would be 0 or infinite


def test_the_county_auditor_sees_townships_in_the_funnel(env):
    c, db = env
    sign_in(c, db, "shenji")
    page = c.get("/").text
    f = chart_data(page)["funnel"]
    assert [p["code"] for p in f["points"]] == [fx.T1]  # T2 had no births
    assert 'id="srb-reference">样本过少<' in page and f'data-code="{fx.T1}"' in page
    row = re.search(rf'<tr data-code="{fx.T1}">(.*?)</tr>', page, re.S).group(1)
    assert "样本过少" in row and "100.00" not in row


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
