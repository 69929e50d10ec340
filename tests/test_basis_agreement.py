"""One figure per unit, date and basis: ``renkou population``, ``/api/v1/population``, the
dashboard's population, the annual report's end population and the registry's own count
(renkou.registry.asof) agree on the small county of tests/stats/fixture.py, where B leaves for work
outside the county (residence only) on 2024-08-01 — so the three bases differ while he is away."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from starlette.testclient import TestClient

from renkou.auth import accounts
from renkou.core import basis
from renkou.registry import asof
from renkou.stats import reports
from renkou.stats.service import Stats
from renkou.web import app as web
from renkou.web.dashboard import key_figures
from tests.helpers import run_cli
from tests.stats import fixture as fx

D = dt.date
SEPT, DEC = D(2024, 9, 30), D(2024, 12, 31)  # B away two months (still resident in V1); then five (resident elsewhere)


@pytest.fixture
def county(db, monkeypatch):
    monkeypatch.setenv("RENKOU_STATS_SNAPSHOT", "off")
    fx.build(db)
    with db.write(fx.ACTOR) as s:
        acc = accounts.create_account(
            s, username="tongji", display_name="统计", role="county_statistician", unit_code=fx.COUNTY, password="County.Stats-2026"
        )
        token = accounts.create_token(s, acc, "test client")
    with TestClient(web.create_app(db, secret="k", secure_cookies=False)) as c:
        yield db, c, token


def cli_counts(capsys, db, org: str, date: dt.date, *args: str) -> dict[str, int]:
    """Totals by unit code from ``renkou population`` (the unit itself under its own code)."""
    code, out, err = run_cli(capsys, "--db", db.url, "population", "--org", org, "--date", date.isoformat(), *args)
    assert code == 0, err
    found = {}
    for line in out.splitlines():  # │ code │ name │ male │ female │ total │
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        if cells and re.fullmatch(r"\d{6,12}", cells[0]):
            found[cells[0]] = int(cells[-1].replace(",", ""))
    assert found, out
    return found


def api_counts(c, token: str, org: str, date: dt.date, **params) -> dict[str, int]:
    r = c.get(f"/api/v1/population/{org}", params={"date": date.isoformat(), **params}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    j = r.json()
    return {j["code"]: j["male"] + j["female"], **{k["code"]: k["male"] + k["female"] for k in j["children"]}}


def report_end_population(st: Stats, org: str, date: dt.date, b: str) -> dict[str, int]:
    t = reports.report(st, "annual", org, st.query(f"{date.isoformat()}/{date.isoformat()}", basis=b))
    col = [c.key for c in t.columns].index("pop_end")
    return {(org if r.is_total else r.code): int(r.values[col]) for r in t.rows}


@pytest.mark.parametrize("date", [SEPT, DEC])
def test_every_surface_gives_the_same_figure_for_each_statistical_basis(county, capsys, date):
    db, c, token = county
    st = Stats(db, snapshot=False)
    for b in basis.STATISTICS:
        cli = cli_counts(capsys, db, fx.T1, date, "--basis", b)
        api = api_counts(c, token, fx.T1, date, basis=b)
        rep = report_end_population(st, fx.T1, date, b)
        assert cli == api == rep, b
        assert set(cli) == {fx.T1, fx.V1, fx.V2}  # V4 merged into V1 on 2024-07-01
    hukou = api_counts(c, token, fx.T1, date)  # the default basis, everywhere
    assert hukou == api_counts(c, token, fx.T1, date, basis="hukou") == cli_counts(capsys, db, fx.T1, date)
    with db.read() as s:
        registry = asof.population(s, fx.T1, date)
        assert {registry.code: registry.total, **{k.code: k.total for k in registry.children}} == hukou
        current = asof.population(s, fx.T1, date, "current")
    assert {current.code: current.total, **{k.code: k.total for k in current.children}} == api_counts(
        c, token, fx.T1, date, basis="current"
    )


def test_the_dashboard_shows_the_default_basis_at_the_end_of_last_month(county):
    db, c, token = county
    st = Stats(db, snapshot=False)
    shown = key_figures(st, fx.T1, None, D(2024, 10, 5), "zh", events=False, population=True)["population"][0]["value"]
    assert shown == api_counts(c, token, fx.T1, SEPT)[fx.T1] == report_end_population(st, fx.T1, SEPT, basis.DEFAULT)[fx.T1]


def test_the_bases_differ_while_someone_is_away_so_the_agreement_means_something(county):
    _, c, token = county
    v1 = {(b, d): api_counts(c, token, fx.T1, d, basis=b)[fx.V1] for b in basis.BASES for d in (SEPT, DEC)}
    assert v1[("hukou", SEPT)] == v1[("resident", SEPT)] == v1[("current", SEPT)] + 1  # B: away, not yet three months
    assert v1[("hukou", DEC)] == v1[("resident", DEC)] + 1 == v1[("current", DEC)] + 1  # now resident where he lives
    assert api_counts(c, token, fx.T1, DEC, basis="residence") == api_counts(c, token, fx.T1, DEC, basis="current")  # old name
    r = c.get(f"/api/v1/population/{fx.T1}", params={"date": "2024-12-31", "basis": "census"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422 and "resident" in r.text
