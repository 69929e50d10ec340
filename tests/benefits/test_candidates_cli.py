"""`renkou benefits candidates` and `renkou benefits check` on the hand-built families."""

from __future__ import annotations

import csv
import io
import json

import pytest

from helpers import run_cli
from renkou.storage import migrate
from renkou.storage.db import Database
from renkou.storage.schema import Person
from tests.benefits import families
from tests.benefits.families import COUNTY, TOWN


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "benefits.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    fam = families.standard(db)
    with db.read() as s:
        numbers = {k: s.get(Person, v).id_number for k, v in fam.ids.items()}
    db.dispose()
    return f"sqlite:///{path}", fam, numbers


@pytest.fixture(autouse=True)
def _no_snapshot(monkeypatch):
    monkeypatch.setenv("RENKOU_STATS_SNAPSHOT", "off")


def test_candidates_table_shows_each_condition_and_its_record(county, capsys):
    url, fam, numbers = county
    code, out, err = run_cli(capsys, "--db", url, "benefits", "candidates", "--program", "special", "--year", "2025", "--org", COUNTY)
    assert code == 0, err
    assert "2025 年新增对象" in out and "共 8 人" in out
    for who in ("cd_m", "w49_f", "sp_m", "g3_f"):
        assert f"测{who} " in out
    assert "测g4_f" not in out and "测rm_f" not in out
    assert "✓ 满足" in out and f"死亡 death #{fam.events[('death', 'cd_s')]} 2010-05-01" in out
    assert all(n not in out for n in numbers.values())  # ID numbers are masked
    assert "child_died_or_disabled" in err  # the legend of the condition keys


def test_candidates_json_and_the_declaration_needs_attestation(county, capsys):
    url, fam, _ = county
    code, out, err = run_cli(
        capsys, "--db", url, "benefits", "candidates", "--program", "reward", "--year", "2025", "--org", COUNTY, "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert (data["programme"], data["year"], data["determination_date"]) == ("reward", 2025, "2025-12-31")
    people = {fam.key_of(c["person_id"]): c for c in data["candidates"]}
    assert set(people) == {"b1933_m", "t60_f", "d2_f", "d2_m", "cd_f", "cd_m", "ad_f", "ad_m", "ac_f", "ac_m", "dm_m"}
    t60 = {c["key"]: c for c in people["t60_f"]["conditions"]}
    assert t60["declaration"]["status"] == "needs_attestation" and people["t60_f"]["eligible"] is None
    assert t60["age"]["status"] == "met" and t60["age"]["records"][0]["date"] == "1965-07-15"
    assert t60["children"]["records"][0]["event_id"] == fam.events[("birth", "t60_s")]


def test_candidates_csv_of_a_township_to_a_file(county, capsys, tmp_path):
    url, fam, _ = county
    target = tmp_path / "special.csv"
    code, out, err = run_cli(
        capsys,
        "--db",
        url,
        "benefits",
        "candidates",
        "--program",
        "special",
        "--year",
        "2025",
        "--org",
        TOWN,
        "--format",
        "csv",
        "-o",
        str(target),
    )
    assert code == 0, err
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {fam.key_of(int(r["person_id"])) for r in rows} == {"g3_f", "g3_m"}
    assert {r["wife_age_status"] for r in rows} == {"met"} and {r["variant"] for r in rows} == {"disabled/urban"}
    assert "残疾证 disability" in rows[0]["child_died_or_disabled_records"]


def test_check_explains_a_decision_by_internal_id_or_id_number(county, capsys):
    url, fam, numbers = county
    code, out, err = run_cli(
        capsys, "--db", url, "benefits", "check", "--program", "special", "--person", str(fam.ids["w49_m"]), "--date", "2025-08-19"
    )
    assert code == 0, err
    assert "结论: 不符合" in out and "✗ 不满足  女方年满49周岁" in out and "2025-08-19 年龄 48 / the wife: age 48 on 2025-08-19" in out
    code, out, err = run_cli(
        capsys,
        "--db",
        url,
        "benefits",
        "check",
        "--program",
        "special",
        "--person",
        numbers["w49_m"],
        "--date",
        "2025-08-20",
        "--lang",
        "en",
    )
    assert code == 0, err
    assert "result: eligible (child died/rural)" in out and "✓ met  the wife aged 49 or over" in out
    assert numbers["w49_m"] not in out and "410185********" in out


def test_check_for_a_year_and_as_json(county, capsys):
    url, fam, _ = county
    code, out, err = run_cli(
        capsys,
        "--db",
        url,
        "benefits",
        "check",
        "--program",
        "childcare",
        "--person",
        str(fam.ids["dc_c"]),
        "--year",
        "2026",
        "--format",
        "json",
    )
    assert code == 0, err
    d = json.loads(out)
    assert (d["on"], d["eligible"], d["person_id"]) == ("2026-12-31", True, fam.ids["dc_c"])
    assert {c["key"]: c["status"] for c in d["conditions"]}["under_3"] == "met"
    code, out, err = run_cli(
        capsys, "--db", url, "benefits", "check", "--program", "reward", "--person", str(fam.ids["d2_f"]), "--date", "2025-12-31"
    )
    assert "结论: 待申报核实后符合" in out and "? 待申报核实" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["candidates", "--program", "bonus", "--year", "2025", "--org", COUNTY], "no benefit programme bonus"),
        (["candidates", "--program", "special", "--year", "2025", "--org", "999999"], "999999"),
        (["candidates", "--program", "special", "--year", "2025", "--org", COUNTY, "--format", "xml"], "unsupported format xml"),
        (["check", "--program", "special", "--person", "999999", "--date", "2025-01-01"], "no person #999999"),
        (["check", "--program", "special", "--person", "410185199001011234", "--date", "2025-01-01"], "410185********1234"),
        (["check", "--program", "special", "--person", "1", "--date", "2025-02-30"], "--date must be a date"),
        (["check", "--program", "special", "--person", "1", "--date", "2025-01-01", "--year", "2025"], "either --date or --year"),
        (["check", "--program", "special", "--person", "1", "--lang", "fr"], "--lang must be zh or en"),
    ],
)
def test_mistakes_are_bilingual_user_errors(county, capsys, args, message):
    url, _, _ = county
    code, out, err = run_cli(capsys, "--db", url, "benefits", *args)
    assert code == 1
    assert message in err
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.splitlines()[0])  # Chinese first
