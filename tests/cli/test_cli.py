"""The CLI end to end on SQLite: exit codes, messages in both languages, no tracebacks for user mistakes."""

import csv

import pytest
from openpyxl import load_workbook

from renkou.cli.app import main
from renkou.demo import fixture
from renkou.exchange import templates


def run(capsys, *args):
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def demo(url, capsys):
    code, out, _ = run(capsys, "--db", url, "demo")
    assert code == 0 and "Demo county ready" in out
    return url


def test_init_then_up_to_date(url, capsys):
    code, out, _ = run(capsys, "--db", url, "population", "--org", "410102")
    assert code == 1
    code, out, _ = run(capsys, "--db", url, "init")
    assert code == 0 and "upgraded" in out
    code, out, _ = run(capsys, "--db", url, "init")
    assert code == 0 and "up to date" in out


def test_uninitialised_database_is_a_clear_user_error(url, capsys):
    code, _, err = run(capsys, "--db", url, "person", "search", "张")
    assert code == 1 and "renkou init" in err and "Traceback" not in err


def test_template_has_chinese_headers_and_an_example(tmp_path, capsys):
    out = tmp_path / "persons.xlsx"
    code, _, _ = run(capsys, "template", "persons", "--format", "xlsx", "-o", str(out))
    assert code == 0
    wb = load_workbook(out)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == tuple(c.zh for c in templates.columns("persons"))
    assert rows[1][0] == "11010519491231002X" and len(rows) == 2
    assert wb.sheetnames[1] == "说明 Notes"
    code, _, err = run(capsys, "template", "nonsense")
    assert code == 1 and "unknown template kind" in err


def test_demo_population_and_dates(demo, capsys):
    code, out, _ = run(capsys, "--db", demo, "population", "--org", fixture.COUNTY_CODE, "--date", "2020-12-31", "--basis", "hukou")
    assert code == 0 and "合计 total" in out and "河西镇" in out  # renamed in 2015
    code, out, _ = run(capsys, "--db", demo, "population", "--org", fixture.COUNTY_CODE, "--date", "2014-12-31")
    assert code == 0 and "河西乡" in out
    code, _, err = run(capsys, "--db", demo, "population", "--org", fixture.COUNTY_CODE, "--date", "31/12/2020")
    assert code == 1 and "YYYY-MM-DD" in err
    code, _, err = run(capsys, "--db", demo, "population", "--org", "410102200203", "--date", "2022-01-01")
    assert code == 1 and "did not exist on 2022-01-01" in err  # merged away in 2021
    code, out, _ = run(capsys, "--db", demo, "org", "tree", "--date", "2022-01-01")
    assert "410102200203" not in out and "410102200202" in out


def test_refused_import_exits_1_writes_report_and_changes_nothing(demo, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([c.zh for c in templates.columns("persons")])
        w.writerow(["11010519491231002X", "", "新人", "女", "1949-12-31", "汉族", "农业", "410102001001", "410102001001", "", "", ""])
        w.writerow(["110105194912310021", "", "错号", "女", "1949-12-31", "汉族", "农业", "410102001001", "410102001001", "", "", ""])
    code, _, before = run(capsys, "--db", demo, "person", "search", "新人")
    report = tmp_path / "errors.xlsx"
    code, out, err = run(capsys, "--db", demo, "import", "persons", str(bad), "--errors", str(report))
    assert code == 1
    assert "导入被拒绝" in err and "Import refused" in err and "Traceback" not in err
    assert "第 3 行 / row 3" in err and "id_check" in err
    assert load_workbook(report).active.cell(row=2, column=4).value == "id_check"
    code, out, _ = run(capsys, "--db", demo, "person", "search", "新人")
    assert "0 人" in out


def test_person_show_masks_reveal_is_audited_and_amend_is_versioned(demo, capsys):
    from sqlalchemy import select

    from renkou.core.idnumber import mask
    from renkou.storage.db import Database
    from renkou.storage.schema import Person

    db = Database(demo)
    with db.read() as s:
        p = s.scalars(select(Person).where(Person.id_number.is_not(None)).order_by(Person.id)).first()
    db.dispose()
    masked = mask(p.id_number)
    code, out, _ = run(capsys, "--db", demo, "person", "search", p.name)
    assert code == 0 and p.id_number not in out
    code, out, _ = run(capsys, "--db", demo, "person", "show", p.id_number)
    assert code == 0 and p.id_number not in out and masked in out
    code, out, _ = run(capsys, "--db", demo, "person", "show", p.id_number, "--reveal", "核对户籍")
    assert code == 0 and p.id_number in out
    code, out, _ = run(capsys, "--db", demo, "person", "amend", p.id_number, "--version", "1", "--reason", "更正姓名", "--name", "王测试")
    assert code == 0 and "version 2" in out
    code, _, err = run(capsys, "--db", demo, "person", "amend", p.id_number, "--version", "1", "--reason", "又改", "--name", "王其他")
    assert code == 1 and "changed by someone else" in err
    code, out, _ = run(capsys, "--db", demo, "audit", "--person", p.id_number)
    assert code == 0 and "reveal" in out and "核对户籍" in out and "王测试" in out and "更正姓名" in out
    assert p.id_number not in out


def test_usage_errors_exit_1_and_internal_errors_exit_2(demo, capsys, monkeypatch):
    code, _, err = run(capsys, "--db", demo, "population", "--no-such-option")
    assert code == 1 and "Traceback" not in err
    from renkou.registry import asof

    def boom(*a, **k):
        raise RuntimeError("simulated fault")

    monkeypatch.setattr(asof, "population", boom)
    code, _, err = run(capsys, "--db", demo, "population", "--org", fixture.COUNTY_CODE)
    assert code == 2 and "Internal error" in err and "simulated fault" in err


def test_audit_since_lists_imports_and_updates(demo, capsys):
    code, out, _ = run(capsys, "--db", demo, "audit", "--since", "2000-01-01")
    assert code == 0
    assert out.count("import") >= 4 and "persons.csv" in out and "new" in out
    code, _, err = run(capsys, "--db", demo, "audit")
    assert code == 1 and "--person" in err


def test_demo_never_touches_a_database_with_real_work(url, capsys, tmp_path):
    code, _, _ = run(capsys, "--db", url, "init")
    code, _, _ = run(capsys, "--db", url, "import", "orgs", str(fixture.write_files(tmp_path)["orgs"]))
    assert code == 0
    code, _, err = run(capsys, "--db", url, "demo")
    assert code == 1 and "holds data other than the demo county" in err
    code, out, _ = run(capsys, "--db", url, "org", "tree")
    assert "410102" in out  # still there


def test_bad_settings_are_user_errors(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("RENKOU_BIRTH_ORDER_RULE", "father")
    code, _, err = run(capsys, "id", "check", "11010519491231002X")
    assert code == 1 and "RENKOU_BIRTH_ORDER_RULE" in err and "Traceback" not in err
    monkeypatch.delenv("RENKOU_BIRTH_ORDER_RULE")
    missing = tmp_path / "nothing-here.db"
    code, _, err = run(capsys, "--db", f"sqlite:///{missing}", "person", "search", "王")
    assert code == 1 and "renkou init" in err and not missing.exists()
    code, _, err = run(capsys, "--db", "postgresql://nobody@127.0.0.1:1/none", "init")
    assert code == 1 and "cannot connect" in err and "Traceback" not in err


def test_person_show_gives_birth_order_by_the_configured_rule(demo, capsys, monkeypatch):
    from sqlalchemy import select

    from renkou.storage.db import Database
    from renkou.storage.schema import Event, Person

    db = Database(demo)
    with db.read() as s:
        mother_id = s.scalar(select(Event.mother_id).where(Event.kind == "birth").group_by(Event.mother_id).having(__import__("sqlalchemy").func.count() >= 2).limit(1))
        mother = s.get(Person, mother_id)
    db.dispose()
    code, out, _ = run(capsys, "--db", demo, "person", "show", mother.id_number)
    assert code == 0 and "孩次 birth order 1 (mother)" in out and "孩次 birth order 2 (mother)" in out
    monkeypatch.setenv("RENKOU_BIRTH_ORDER_RULE", "couple")
    code, out, _ = run(capsys, "--db", demo, "person", "show", mother.id_number)
    assert "(couple)" in out
