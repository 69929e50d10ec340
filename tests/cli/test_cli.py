"""The CLI end to end on SQLite: exit codes, messages in both languages, no tracebacks for user mistakes."""

import csv
import datetime as dt
import sqlite3
from dataclasses import dataclass

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from helpers import run_cli
from renkou.cli.app import main
from renkou.demo import fixture
from renkou.exchange import templates
from renkou.storage.db import Database
from renkou.storage.schema import Changeset, Event, ImportBatch, OrgSuccession, OrgUnit, OrgVersion, Person
from renkou.synth.county import COUNTY_CODE

DEMO_PERSONS = "2000"  # small and fast; the default (50,000) is for people trying the system


run = run_cli


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    """One demo county per module; each test gets its own copy (tests write to it)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with pytest.raises(SystemExit) as e:
        main(["--db", f"sqlite:///{path}", "demo", "--persons", DEMO_PERSONS])
    assert e.value.code == 0
    return path


@pytest.fixture
def demo(demo_file, url):
    src, dst = sqlite3.connect(demo_file), sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return url


@dataclass
class Facts:
    """What the demo county looks like, read back from its database."""

    village: str  # a village that exists today
    renamed: str  # the township renamed (乡 → 镇)
    old_name: str
    new_name: str
    renamed_on: dt.date
    retired: str  # a village merged into its neighbour
    successor: str
    merged_on: dt.date


def facts(url: str) -> Facts:
    db = Database(url)
    try:
        with db.read() as s:
            village = s.scalar(select(OrgUnit.code).where(OrgUnit.level == "village", OrgUnit.retired_on.is_(None)).order_by(OrgUnit.code))
            renamed_id = s.scalar(
                select(OrgUnit.id)
                .join(OrgVersion, OrgVersion.unit_id == OrgUnit.id)
                .where(OrgUnit.level == "township")
                .group_by(OrgUnit.id)
                .having(func.count(func.distinct(OrgVersion.name)) == 2)
            )
            (old, _), (new, renamed_on) = s.execute(
                select(OrgVersion.name, OrgVersion.valid_from).where(OrgVersion.unit_id == renamed_id).order_by(OrgVersion.valid_from)
            ).all()
            renamed = s.get(OrgUnit, renamed_id).code
            pred, succ = aliased(OrgUnit), aliased(OrgUnit)
            retired, successor, merged_on = s.execute(
                select(pred.code, succ.code, OrgSuccession.date)
                .join(pred, pred.id == OrgSuccession.predecessor_id)
                .join(succ, succ.id == OrgSuccession.successor_id)
                .where(OrgSuccession.kind == "merge", pred.level == "village")
                .order_by(pred.code)
            ).first()
    finally:
        db.dispose()
    return Facts(village, renamed, old, new, renamed_on, retired, successor, merged_on)


def test_demo_facts_match_the_synthetic_county(demo):
    f = facts(demo)
    assert f.village.startswith(COUNTY_CODE) and len(f.village) == 12
    assert f.renamed.startswith(COUNTY_CODE) and f.old_name.endswith("乡") and f.new_name == f.old_name[:-1] + "镇"
    # the history ends yesterday: the years through the last 31 December before it, every date moved forward to end there
    yesterday = dt.date.today() - dt.timedelta(days=1)
    last = yesterday.year if (yesterday.month, yesterday.day) == (12, 31) else yesterday.year - 1
    shift = yesterday - dt.date(last, 12, 31)
    assert f.retired.startswith(COUNTY_CODE) and f.retired != f.successor and f.merged_on == dt.date(2020, 1, 1) + shift


def test_the_demo_history_ends_yesterday(demo):
    db = Database(demo)
    try:
        with db.read() as s:
            last = s.scalar(select(func.max(Event.date)))
            this_year = s.scalar(select(func.count(Event.id)).where(Event.date >= dt.date(dt.date.today().year, 1, 1)))
    finally:
        db.dispose()
    yesterday = dt.date.today() - dt.timedelta(days=1)
    assert yesterday - dt.timedelta(days=7) <= last <= yesterday  # nothing in the future, and the last week has events
    assert this_year > 0 or dt.date.today() == dt.date(dt.date.today().year, 1, 1)  # the dashboard's year is not all zeros


def write_persons(path, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([c.zh for c in templates.columns("persons")])
        w.writerows(rows)
    return path


def tree_codes(out: str) -> set[str]:
    """The unit codes `org tree` lists (each line: code, name, [level])."""
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def test_init_then_up_to_date(url, capsys):
    code, out, _ = run(capsys, "--db", url, "population", "--org", COUNTY_CODE)
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


def test_demo_says_where_it_is_and_runs_twice_on_sqlite(url, capsys):
    code, out, err = run(capsys, "--db", url, "demo", "--persons", DEMO_PERSONS)
    assert code == 0 and "Demo county ready" in out and COUNTY_CODE in out and "Traceback" not in err
    first = next(line for line in out.splitlines() if line.startswith("Demo county ready"))
    code, out, err = run(capsys, "--db", url, "demo", "--persons", DEMO_PERSONS)  # --fresh by default: rebuilt, not added to
    assert code == 0 and "Demo county ready" in out and "Traceback" not in err
    assert next(line for line in out.splitlines() if line.startswith("Demo county ready")) == first  # same seed, same county
    needs = {line.split()[1] for line in out.splitlines() if "set up at first sign-in" in line}  # the demo accounts that need TOTP
    assert needs == {"tongji", "jiangfu", "shenji", "admin"}
    db = Database(url)
    try:
        with db.read() as s:
            n_persons = s.scalar(select(func.count()).select_from(Person))
            actors = set(s.execute(select(Changeset.actor, Changeset.channel)).all())
            n_batches = s.scalar(select(func.count()).select_from(ImportBatch))
    finally:
        db.dispose()
    assert f"{n_persons} persons" in first  # one county in the database, not two
    assert actors == {(fixture.DEMO_ACTOR.name, "system")} and n_batches == 0
    code, out, err = run(capsys, "--db", url, "demo", "--keep", "--persons", DEMO_PERSONS)
    assert code == 1 and "already there" in err and "Traceback" not in err
    code, _, err = run(capsys, "--db", url, "demo", "--persons", "999")
    assert code == 1 and "at least 1000" in err and "Traceback" not in err
    code, out, _ = run(capsys, "--db", url, "person", "search", "王")  # the refused run deleted nothing
    assert code == 0 and "王" in out


def test_demo_population_and_dates(demo, capsys):
    f = facts(demo)
    after, before = f.renamed_on.isoformat(), (f.renamed_on - dt.timedelta(days=1)).isoformat()
    code, out, _ = run(capsys, "--db", demo, "population", "--org", COUNTY_CODE, "--date", after, "--basis", "hukou")
    assert code == 0 and "合计 total" in out and f.new_name in out and f.old_name not in out
    code, out, _ = run(capsys, "--db", demo, "population", "--org", COUNTY_CODE, "--date", before)
    assert code == 0 and f.old_name in out and f.new_name not in out
    code, out, _ = run(capsys, "--db", demo, "population", "--org", COUNTY_CODE, "--date", after, "--basis", "residence")
    assert code == 0 and "现住人口 current" in out  # the old spelling, for one release
    code, _, err = run(capsys, "--db", demo, "population", "--org", COUNTY_CODE, "--basis", "census")
    assert code == 1 and "hukou" in err and "resident" in err and "current" in err and "Traceback" not in err
    code, _, err = run(capsys, "--db", demo, "population", "--org", COUNTY_CODE, "--date", "31/12/2020")
    assert code == 1 and "YYYY-MM-DD" in err
    code, _, err = run(capsys, "--db", demo, "population", "--org", f.retired, "--date", "2022-01-01")
    assert (
        code == 1 and "is not a population unit on 2022-01-01 (unknown, merged away" in err and "Traceback" not in err
    )  # merged away in 2020
    code, out, _ = run(capsys, "--db", demo, "population", "--org", f.retired, "--date", (f.merged_on - dt.timedelta(days=1)).isoformat())
    assert code == 0 and "合计 total" in out  # it was there the day before
    code, out, _ = run(capsys, "--db", demo, "org", "tree", "--date", "2022-01-01")
    assert code == 0 and f.retired not in tree_codes(out) and f.successor in tree_codes(out)  # (its groups, codes unchanged, moved over)
    code, out, _ = run(capsys, "--db", demo, "org", "tree", "--date", (f.merged_on - dt.timedelta(days=1)).isoformat())
    assert code == 0 and f.retired in tree_codes(out) and f.successor in tree_codes(out)


def test_refused_import_exits_1_writes_report_and_changes_nothing(demo, tmp_path, capsys):
    v = facts(demo).village
    bad = write_persons(
        tmp_path / "bad.csv",
        [
            ["11010519491231002X", "", "新人", "女", "1949-12-31", "汉族", "农业", v, v, "", "", ""],
            ["110105194912310021", "", "错号", "女", "1949-12-31", "汉族", "农业", v, v, "", "", ""],
        ],
    )
    report = tmp_path / "errors.xlsx"
    code, out, err = run(capsys, "--db", demo, "import", "persons", str(bad), "--errors", str(report))
    assert code == 1
    assert "导入被拒绝" in err and "Import refused" in err and "Traceback" not in err
    assert "第 3 行 / row 3" in err and "id_check" in err
    assert load_workbook(report).active.cell(row=2, column=4).value == "id_check"
    code, out, _ = run(capsys, "--db", demo, "person", "search", "新人")
    assert code == 0 and "0 人" in out
    # the good row alone goes in: the refusal was about the bad row, not the village
    good = write_persons(tmp_path / "good.csv", [["11010519491231002X", "", "新人", "女", "1949-12-31", "汉族", "农业", v, v, "", "", ""]])
    code, out, err = run(capsys, "--db", demo, "import", "persons", str(good))
    assert code == 0, err
    code, out, _ = run(capsys, "--db", demo, "person", "search", "新人")
    assert "1 人" in out


def test_person_show_masks_reveal_is_audited_and_amend_is_versioned(demo, capsys):
    from renkou.core.idnumber import mask

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
    from renkou.stats.service import Stats

    def boom(*a, **k):
        raise RuntimeError("simulated fault")

    monkeypatch.setattr(Stats, "population", boom)
    code, _, err = run(capsys, "--db", demo, "population", "--org", COUNTY_CODE)
    assert code == 2 and "Internal error" in err and "simulated fault" in err


def test_audit_since_lists_imports_and_updates(demo, tmp_path, capsys, monkeypatch):
    from renkou.cli.context import console

    monkeypatch.setattr(console, "_width", 400)  # one line per audit row, nothing cut short
    v = facts(demo).village
    persons = write_persons(
        tmp_path / "persons.csv", [["11010519491231002X", "", "新人", "女", "1949-12-31", "汉族", "农业", v, v, "", "", ""]]
    )
    code, _, err = run(capsys, "--db", demo, "import", "persons", str(persons))
    assert code == 0, err
    code, out, _ = run(
        capsys, "--db", demo, "person", "amend", "11010519491231002X", "--version", "1", "--reason", "更正姓名", "--name", "新名"
    )
    assert code == 0
    code, out, _ = run(capsys, "--db", demo, "audit", "--since", "2000-01-01")
    assert code == 0
    lines = out.splitlines()
    demo_rows = [line for line in lines if f" {fixture.DEMO_ACTOR.name} " in line and " system " in line]
    assert any(" create " in line and "person" in line for line in demo_rows)  # what the demo wrote, counted
    assert any(" import " in line and "persons.csv: 1 new, 0 unchanged of 1 rows" in line for line in lines)
    assert any(" update " in line and "更正姓名" in line and "新名" in line for line in lines)
    code, out, _ = run(capsys, "--db", demo, "audit", "--since", (dt.date.today() + dt.timedelta(days=2)).isoformat())
    assert code == 0 and "persons.csv" not in out and "更正姓名" not in out
    code, _, err = run(capsys, "--db", demo, "audit")
    assert code == 1 and "--person" in err


def test_demo_never_touches_a_database_with_real_work(url, capsys, tmp_path):
    code, _, _ = run(capsys, "--db", url, "init")
    code, _, _ = run(capsys, "--db", url, "import", "orgs", str(fixture.write_files(tmp_path)["orgs"]))
    assert code == 0
    code, _, err = run(capsys, "--db", url, "demo", "--persons", DEMO_PERSONS)
    assert code == 1 and "holds data other than the demo county" in err
    code, out, _ = run(capsys, "--db", url, "org", "tree")
    assert fixture.COUNTY_CODE in out and COUNTY_CODE not in out  # still there, and nothing added


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
    from renkou.storage.schema import Event

    db = Database(demo)
    with db.read() as s:
        mother_id = s.scalar(
            select(Event.mother_id)
            .join(Person, Person.id == Event.mother_id)
            .where(Event.kind == "birth", Person.id_number.is_not(None))
            .group_by(Event.mother_id)
            .having(func.count() >= 2)
            .order_by(Event.mother_id)
            .limit(1)
        )
        mother = s.get(Person, mother_id)
    db.dispose()
    code, out, _ = run(capsys, "--db", demo, "person", "show", mother.id_number)
    assert code == 0 and "孩次 birth order 1 (mother)" in out and "孩次 birth order 2 (mother)" in out
    monkeypatch.setenv("RENKOU_BIRTH_ORDER_RULE", "couple")
    code, out, _ = run(capsys, "--db", demo, "person", "show", mother.id_number)
    assert code == 0 and "(couple)" in out
