"""Standard reports from the hand-built county: contents, golden XLSX layouts, exchange formats,
templates and catalogue entries kept as data, the arithmetic of published figures, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from renkou.config import Settings
from renkou.errors import UserError
from renkou.stats import catalogue, render, reports
from renkou.stats.service import Stats
from renkou.storage import migrate
from renkou.storage.db import Database
from tests.helpers import run_cli
from tests.stats import fixture as fx
from tests.stats.test_render import check_golden, dump_xlsx

DAY = dt.date(2025, 1, 10)


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    path = tmp_path_factory.mktemp("reports") / "fixture.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    fx.build(db)
    yield db, path
    db.dispose()


@pytest.fixture
def st(county):
    return Stats(county[0], snapshot=False)


def test_monthly_report_rows_total_and_balance(st):
    t = reports.report(st, "monthly", fx.T1, st.query("2024"), prepared_by="测试员", prepared_on=DAY)
    assert [r.code for r in t.rows] == [fx.V1, fx.V2, fx.T1] and t.rows[-1].is_total and t.rows[-1].values[0] == "合计"
    col = {c.key: i for i, c in enumerate(t.columns)}
    v1, v2, tot = (r.values for r in t.rows)
    assert v1[col["pop_start"]] == 6 and v1[col["births"]] == 2 and v1[col["pop_end"]] == 8
    assert v2[col["deaths"]] == 1 and v2[col["moves_out"]] == 1 and v2[col["pop_end"]] == 0
    for r in t.rows:
        v = r.values
        assert v[col["pop_end"]] == (
            v[col["pop_start"]] + v[col["births"]] - v[col["deaths"]] + v[col["moves_in"]] - v[col["moves_out"]] + v[col["registered"]]
        )
    for key in ("pop_start", "births", "deaths", "moves_in", "moves_out", "pop_end"):
        assert tot[col[key]] == v1[col[key]] + v2[col[key]]
    j = t.to_json()
    assert j["period"]["id"] == "2024" and j["meta"]["basis"] == "hukou" and j["rows"][-1]["total"] is True


def test_structure_report_has_age_rows_and_a_pyramid(st):
    t = reports.report(st, "structure", fx.COUNTY, st.query("2024"), prepared_on=DAY)
    assert t.rows[0].values[0] == "0-4岁" and t.rows[-1].is_total and t.rows[-1].values[1] == 11
    assert sum(r.values[1] for r in t.rows[:-1]) == 11
    assert t.chart is not None and sum(t.chart.male) == 4 and sum(t.chart.female) == 7 and t.chart.labels[0] == "0-4"
    assert render.pyramid_png(t.chart).startswith(b"\x89PNG")


@pytest.mark.parametrize("key,org,period", [("monthly", fx.T1, "2024-06"), ("annual", fx.COUNTY, "2024"), ("structure", fx.COUNTY, "2024")])
def test_report_xlsx_layouts_match_golden(st, key, org, period):
    t = reports.report(st, key, org, st.query(period), prepared_by="测试员", prepared_on=DAY)
    check_golden(f"report-{key}.xlsx.json", dump_xlsx(render.to_xlsx(t)))


def test_report_as_dhis2_and_adx(st):
    q = st.query("2024-06")
    dvs = reports.data_values(st, "monthly", fx.T1, q)
    from renkou.stats.exchange import to_adx, to_dhis2

    payload = to_dhis2(dvs, data_set="monthly")
    births = [v for v in payload["dataValues"] if v["dataElement"] == "births" and v["orgUnit"] == fx.T1 and "categoryOptionCombo" not in v]
    assert births == [{"dataElement": "births", "period": "202406", "orgUnit": fx.T1, "value": "0"}]
    root = ET.fromstring(to_adx(dvs, data_set="monthly", exported="2025-01-10T00:00:00+00:00"))
    groups = root.findall("{urn:ihe:qrph:adx:2015}group")
    assert {g.get("orgUnit") for g in groups} == {fx.V1, fx.V2, fx.V4, fx.T1} and {g.get("period") for g in groups} == {"2024-06-01/P1M"}


def test_a_province_adds_its_own_report_and_indicator_without_code(st, tmp_path, monkeypatch):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "elderly.json").write_text(
        json.dumps(
            {
                "title": "老年人口表",
                "title_en": "Older people",
                "rows": {"kind": "units"},
                "columns": [{"key": "p80", "header": ["80岁及以上"], "header_en": ["80+"], "indicator": "pop_80_plus"}],
            }
        ),
        encoding="utf-8",
    )
    (tmp_path / "extra.json").write_text(
        json.dumps(
            {
                "indicators": [
                    {
                        "code": "pop_80_plus",
                        "zh": "80岁及以上人口",
                        "en": "population 80+",
                        "numerator": "pop_end(age_min=80)",
                        "stock": True,
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    st.settings = Settings.from_env({"RENKOU_REPORTS_DIR": str(tmp_path / "reports")})
    st.catalogue = catalogue.load(tmp_path / "extra.json")
    t = reports.report(st, "elderly", fx.COUNTY, st.query("2023"))
    assert t.rows[-1].values[1] == 1  # E, 83 at the end of 2023


@pytest.mark.parametrize(
    "expr,msg",
    [
        ("__import__('os').system('x')", "not allowed"),
        ("open(file='x')", "unknown measure open"),
        ("births().real", "not allowed"),
        ("births(colour='red')", "no filter colour"),
        ("births", "must be called"),
        ("sum(births() for a in [1, 2])", "sum() takes"),
        ("births(", "syntax"),
    ],
)
def test_catalogue_rejects_unsafe_or_wrong_expressions(tmp_path, expr, msg):
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"indicators": [{"code": "x", "zh": "x", "en": "x", "numerator": expr}]}), encoding="utf-8")
    with pytest.raises(UserError) as e:
        catalogue.load(f)
    assert msg in e.value.en and "x:" in e.value.en


def test_shipped_catalogue_and_templates_are_valid(st):
    cat = catalogue.load()
    assert not catalogue.check_catalogue(cat)
    for needed in (
        "cbr",
        "cdr",
        "ngr",
        "srb",
        "tfr",
        "gfr",
        "asfr",
        "women_15_49",
        "married_women_15_49",
        "mean_age_first_birth",
        "away_out",
        "away_in",
        "pop_60_plus",
        "share_65_plus",
        "old_age_dependency",
        "children_under_3",
        "marriages",
        "divorces",
    ):
        assert needed in cat.indicators
    for t in reports.templates().values():
        assert not reports.check_template(st, t), t.key


def test_every_shipped_indicator_has_a_chinese_group_and_a_definition():
    cat = catalogue.load()
    grouped = cat.grouped()
    assert [g.zh for g, _ in grouped] == ["人口规模", "出生与生育", "死亡与自然增长", "婚姻", "迁移与人户分离", "年龄结构与老龄化"]
    assert sorted(i.code for _, inds in grouped for i in inds) == sorted(cat.indicators)  # each once, none under 其他指标
    assert all(i.description and i.description_en for i in cat.indicators.values())
    assert {i.code for i in dict(grouped)[cat.groups["births"]]} >= {"births", "cbr", "srb", "tfr"}


def test_an_extension_may_add_a_group_and_an_ungrouped_indicator_is_listed_under_other(tmp_path):
    f = tmp_path / "extra.json"
    f.write_text(
        json.dumps(
            {
                "groups": [{"key": "care", "zh": "托育服务", "en": "Childcare"}],
                "indicators": [
                    {"code": "kids", "zh": "幼儿", "en": "kids", "numerator": "pop_end(age_max=2)", "group": "care"},
                    {"code": "old", "zh": "老人", "en": "old", "numerator": "pop_end(age_min=80)"},
                ],
            }
        ),
        encoding="utf-8",
    )
    grouped = {g.zh: [i.code for i in inds] for g, inds in catalogue.load(f).grouped()}
    assert grouped["托育服务"] == ["kids"] and grouped["其他指标"] == ["old"] and list(grouped)[-2:] == ["托育服务", "其他指标"]
    f.write_text(
        json.dumps({"indicators": [{"code": "x", "zh": "x", "en": "x", "numerator": "births()", "group": "nope"}]}), encoding="utf-8"
    )
    with pytest.raises(UserError) as e:
        catalogue.load(f)
    assert "unknown group nope" in e.value.en


@pytest.mark.parametrize("minimum, shown", [(20, "样本过少"), (3, "样本过少"), (2, 100.0), (1, 100.0)])
def test_the_annual_report_reads_too_few_births_below_the_minimum(st, minimum, shown):
    """T1 had 2 births in 2024 (a boy and a girl); T2 none: its ratio reads 样本过少 whatever the minimum."""
    st.settings = replace(st.settings, srb_min_births=minimum)
    t = reports.report(st, "annual", fx.COUNTY, st.query("2024"))
    k = t.column("srb")
    by = {r.code: r.values[k] for r in t.rows}
    assert by[fx.T1] == shown and by[fx.COUNTY] == shown and by[fx.T2] == "样本过少"
    body = render.to_csv(t).decode("utf-8").split("\r\n")[2:5]  # the rows of T1, T2 and the total
    assert sum(line.split(",").count("样本过少") for line in body) == (3 if shown == "样本过少" else 1)
    dv = {(d.data_element, d.org_unit): d.value for d in reports.data_values(st, "annual", fx.COUNTY, st.query("2024"))}
    assert dv[("srb", fx.T1)] == 100.0  # the exchange files keep the figure


def test_cli_indicators_report_and_ledger(county, capsys, tmp_path):
    _, path = county
    url = f"sqlite:///{path}"
    code, out, _ = run_cli(capsys, "--db", url, "indicators", "--org", fx.COUNTY, "--period", "2024", "--codes", "cbr,srb", "--totals-only")
    assert code == 0
    vals = {v["indicator"]: v for v in json.loads(out)["values"]}
    assert vals["cbr"]["value"] == 190.48 and vals["srb"]["ci_low"] is not None
    code, out, _ = run_cli(
        capsys,
        "--db",
        url,
        "indicators",
        "--org",
        fx.COUNTY,
        "--period",
        "2024",
        "--level",
        "village",
        "--codes",
        "births",
        "--format",
        "csv",
    )
    assert code == 0 and out.splitlines()[0].startswith("indicator,name,unit") and fx.V3 in out
    x = tmp_path / "m.xlsx"
    code, _, err = run_cli(capsys, "--db", url, "report", "monthly", "--org", fx.T1, "--period", "2024-06", "-o", str(x))
    assert code == 0 and x.read_bytes()[:2] == b"PK"
    p = tmp_path / "b.pdf"
    code, _, _ = run_cli(capsys, "--db", url, "ledger", "births", "--org", fx.COUNTY, "--period", "2024", "-o", str(p))
    assert code == 0 and p.read_bytes()[:4] == b"%PDF"
    code, out, _ = run_cli(
        capsys, "--db", url, "ledger", "births", "--org", fx.COUNTY, "--period", "2024", "--format", "json", "--filter", "孩次=2"
    )
    rows = json.loads(out)["rows"]
    assert code == 0 and len(rows) == 1 and "白小虎" in rows[0]["values"]
    code, out, err = run_cli(capsys, "--db", url, "ledger", "births", "--org", fx.COUNTY, "--period", "2024", "--filter", "colour=red")
    assert code == 1 and "colour" in err
    code, out, _ = run_cli(capsys, "--db", url, "report", "annual", "--org", fx.COUNTY, "--period", "2024", "--format", "dhis2")
    assert code == 0 and json.loads(out)["dataSet"] == "annual"
    code, out, err = run_cli(capsys, "--db", url, "report", "monthly", "--org", fx.T1, "--period", "2024-13")
    assert code == 1 and "2024-13" in err and "Traceback" not in err
    code, out, err = run_cli(capsys, "--db", url, "ledger", "births", "--org", "999999", "--period", "2024")
    assert code == 1 and "999999" in err
    code, out, err = run_cli(capsys, "--db", url, "report", "monthly", "--org", fx.T1, "--period", "2024", "--format", "pdf")
    assert code == 1 and "-o" in err
