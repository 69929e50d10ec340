"""`renkou synth` end to end: files, database, refusals, external files."""

import csv

from helpers import run_cli
from renkou.synth.county import COUNTY_CODE

run = run_cli


def test_synth_to_files_writes_the_import_templates_columns(tmp_path, capsys):
    code, out, _ = run(capsys, "synth", "--persons", "2000", "--seed", "4", "--out", str(tmp_path / "c"))
    assert code == 0 and "Synthetic county ready" in out
    with (tmp_path / "c" / "persons.csv").open(encoding="utf-8-sig") as f:
        header = next(csv.reader(f))
    assert header[:3] == ["身份证号码", "临时编号", "姓名"]
    assert {p.name for p in (tmp_path / "c").iterdir()} == {"orgs.csv", "households.csv", "persons.csv", "events.csv", "org_history.csv"}


def test_synth_into_a_database_then_the_registry_answers(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.db'}"
    code, out, _ = run(capsys, "--db", url, "synth", "--persons", "2000", "--seed", "4")
    assert code == 0
    code, out, _ = run(capsys, "--db", url, "population", "--org", COUNTY_CODE, "--date", "2025-12-31")
    assert code == 0 and "合计 total" in out
    # a second run would mix two counties: refused, nothing written
    code, _, err = run(capsys, "--db", url, "synth", "--persons", "2000", "--seed", "5")
    assert code == 1 and "empty" in err and "Traceback" not in err


def test_synth_options_are_checked(tmp_path, capsys):
    code, _, err = run(capsys, "synth", "--persons", "2000", "--end-year", "2999", "--out", str(tmp_path / "x"))
    assert code == 1 and "--end-year" in err and not (tmp_path / "x").exists()
    code, _, err = run(capsys, "synth", "--persons", "10", "--out", str(tmp_path / "x"))
    assert code == 1 and "--persons" in err
    code, _, err = run(capsys, "synth", "--persons", "2000", "--format", "json", "--out", str(tmp_path / "x"))
    assert code == 1 and "csv" in err
    code, _, err = run(capsys, "synth", "--persons", "2000", "--db", f"sqlite:///{tmp_path / 'y.db'}", "--out", str(tmp_path / "x"))
    assert code == 1 and "not both" in err and not (tmp_path / "y.db").exists()


def test_synth_external_writes_records_and_a_separate_answer_file(tmp_path, capsys):
    args = ("synth", "--persons", "3000", "--seed", "2", "external", "--kind", "police-deaths", "--out")
    code, out, _ = run(capsys, *args, str(tmp_path / "a"))
    assert code == 0
    code, _, _ = run(capsys, *args, str(tmp_path / "b"))
    records = (tmp_path / "a" / "police-deaths.csv").read_bytes()
    assert records == (tmp_path / "b" / "police-deaths.csv").read_bytes()  # deterministic
    truth = (tmp_path / "a" / "police-deaths.truth.csv").read_text(encoding="utf-8-sig")
    assert truth.startswith("record_id,person_key,in_registry,errors")
    assert "in_registry" not in records.decode("utf-8-sig") and "errors" not in records.decode("utf-8-sig")
    code, _, err = run(capsys, "synth", "--persons", "3000", "external", "--kind", "tax-records", "--out", str(tmp_path / "c"))
    assert code == 1 and "unknown kind" in err


def test_synth_external_error_rates_are_options(tmp_path, capsys):
    base = ("synth", "--persons", "3000", "--seed", "2", "external", "--kind", "civil-marriages")
    code, _, _ = run(capsys, *base, "--rate", "none=1", "--out", str(tmp_path / "clean"))
    assert code == 0
    with (tmp_path / "clean" / "civil-marriages.truth.csv").open(encoding="utf-8-sig", newline="") as f:
        truth = list(csv.DictReader(f))
    assert truth and all(row["errors"] == "" for row in truth)  # no errors at all
    code, _, _ = run(capsys, *base, "--rate", "none=1", "--rate", "homophone=0.5", "--out", str(tmp_path / "noisy"))
    truth = (tmp_path / "noisy" / "civil-marriages.truth.csv").read_text(encoding="utf-8-sig")
    assert code == 0 and "homophone:" in truth and "typo:" not in truth
    code, _, err = run(capsys, *base, "--rate", "typos=0.1", "--out", str(tmp_path / "x"))
    assert code == 1 and "unknown error rate typos" in err
    code, _, err = run(capsys, *base, "--rate", "typo=2", "--out", str(tmp_path / "x"))
    assert code == 1 and "invalid error rates" in err and "Traceback" not in err
