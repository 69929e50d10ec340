"""`renkou benefits ...` for the annual cycle, exits, payments and reports, end to end on SQLite:
every step as its account, exit codes, bilingual messages, no tracebacks for user mistakes."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from sqlalchemy import select

from helpers import run_cli
from renkou.storage import migrate
from renkou.storage.db import Database
from renkou.storage.schema import PaymentLine, Person
from tests.benefits.cycle_kit import add_accounts
from tests.benefits.families import COUNTY, VILLAGE, Builder

D = dt.date


@pytest.fixture
def county(tmp_path, monkeypatch):
    monkeypatch.setenv("RENKOU_STATS_SNAPSHOT", "off")
    monkeypatch.delenv("RENKOU_BENEFIT_POSTING_DAYS", raising=False)
    path = tmp_path / "cycle.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    b = Builder(db).units()
    b.couple("li", D(1955, 5, 5), D(1957, 6, 6), D(1978, 1, 1))
    b.child("li_a", "F", D(1980, 3, 3), mother="li_m", father="li_f")
    b.child("li_b", "F", D(1983, 4, 4), mother="li_m", father="li_f")
    add_accounts(db)
    with db.read() as s:
        numbers = {k: s.get(Person, v).id_number for k, v in b.ids.items()}
    db.dispose()
    return f"sqlite:///{path}", b, numbers


def ok(capsys, url, *args):
    code, out, err = run_cli(capsys, "--db", url, "benefits", *args)
    assert code == 0, err
    return out


def refused(capsys, url, *args, match: str):
    code, out, err = run_cli(capsys, "--db", url, "benefits", *args)
    assert code == 1, out
    assert match in err and "Traceback" not in err + out
    return err


def test_the_whole_cycle_from_the_command_line(county, capsys, tmp_path):
    url, b, numbers = county
    for key, acct in (("li_f", "6222000011112222"), ("li_m", "6222000033334444")):
        out = ok(
            capsys,
            url,
            "apply",
            "--as",
            "cun",
            "--program",
            "reward",
            "--year",
            "2025",
            "--person",
            numbers[key],
            "--account",
            acct,
            "--attest",
            "declaration",
            "--date",
            "2025-03-01",
        )
        assert "待村级审核" in out and "village review" in out
    refused(capsys, url, "township-review", "1", "--as", "xiang", "--date", "2025-03-20", match="不能跳过或重复")
    ok(capsys, url, "village-review", "1", "--as", "cun", "--date", "2025-03-05")
    ok(capsys, url, "village-review", "2", "--as", "cun", "--date", "2025-03-05")
    out = ok(capsys, url, "post", "--as", "cun", "--program", "reward", "--year", "2025", "--village", VILLAGE, "--date", "2025-03-10")
    assert "公示 1：2 份申请" in out and "7 天" in out
    ok(capsys, url, "notice", "1", "--as", "cun", "-o", str(tmp_path / "notice.pdf"))
    assert (tmp_path / "notice.pdf").read_bytes().startswith(b"%PDF")
    ok(capsys, url, "object", "1", "--as", "cun", "--date", "2025-03-12", "--content", "子女情况有误", "--objector", "村民甲")
    refused(capsys, url, "post-end", "1", "--as", "cun", "--date", "2025-03-16", match="最早于 2025-03-17")
    ok(capsys, url, "post-end", "1", "--as", "cun", "--date", "2025-03-17")
    err = refused(capsys, url, "township-review", "1", "--as", "xiang", "--date", "2025-03-20", match="异议尚未处理")
    assert "unresolved objection" in err
    refused(capsys, url, "resolve", "1", "--as", "cun", "--outcome", "dismissed", "--resolution", "x", "--date", "2025-03-18", match="无权")
    ok(capsys, url, "resolve", "1", "--as", "xiang", "--outcome", "dismissed", "--resolution", "经核实为两个女儿", "--date", "2025-03-18")
    for n in ("1", "2"):
        ok(capsys, url, "township-review", n, "--as", "xiang", "--date", "2025-03-20")
    refused(capsys, url, "confirm", "1", "--as", "xiang", "--date", "2025-04-01", match="无权")
    assert "享受对象 1" in ok(capsys, url, "confirm", "1", "--as", "xian", "--date", "2025-04-01")
    assert "享受对象 2" in ok(capsys, url, "confirm", "2", "--as", "xian", "--date", "2025-04-01")
    out = ok(capsys, url, "show", "1", "--as", "shenji")
    assert "县级确认" in out and "异议不成立" in out and numbers["li_f"] not in out
    code, out, err = run_cli(capsys, "--db", url, "audit", "--since", dt.date.today().isoformat())  # the registry's own audit trail
    assert code == 0, err
    assert "benefit_step" in out and "cun" in out and "xiang" in out and "benefit_objection" in out
    out = ok(capsys, url, "applications", "--as", "cun")
    assert numbers["li_f"][-4:] in out and numbers["li_f"] not in out and "6222000011112222" not in out and "6222********2222" in out

    # payments: a year's batch, exported twice, one payment failing and paid again once
    assert "2 笔，合计 1920.00 元" in ok(
        capsys, url, "batch", "create", "--as", "xian", "--program", "reward", "--period", "2025", "--date", "2025-04-10"
    )
    assert "0 项发现" in ok(capsys, url, "batch", "check", "1", "--as", "xian", "--date", "2025-04-10")
    assert "2 笔，合计 1920.00 元" in ok(capsys, url, "batch", "release", "1", "--as", "xian", "--date", "2025-04-10")
    bank = tmp_path / "bank.csv"
    ok(capsys, url, "batch", "export", "1", "--as", "xian", "-o", str(bank))
    first = bank.read_bytes()
    ok(capsys, url, "batch", "export", "1", "--as", "xian", "-o", str(bank))
    assert bank.read_bytes() == first
    rows = list(csv.reader(first.decode("utf-8-sig").splitlines()))
    refs = {r[2]: r[0] for r in rows[1:]}
    result = tmp_path / "result.csv"
    with result.open("w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(
            [
                ["业务流水号", "处理结果", "失败原因", "银行流水号"],
                [refs[numbers["li_f"]], "成功", "", "B1"],
                [refs[numbers["li_m"]], "失败", "账号错误", ""],
            ]
        )
    assert "新记录 2" in ok(capsys, url, "batch", "import-result", "1", str(result), "--as", "xian", "--date", "2025-04-20")
    assert "此前已导入 2" in ok(capsys, url, "batch", "import-result", "1", str(result), "--as", "xian", "--date", "2025-04-20")
    ok(
        capsys,
        url,
        "account",
        "2",
        "--as",
        "cun",
        "--account",
        "6222000055556666",
        "--reason",
        "原卡号有误，已更正",
        "--date",
        "2025-04-25",
    )
    assert "1 笔，合计 960.00 元" in ok(
        capsys, url, "batch", "create", "--as", "xian", "--program", "reward", "--period", "2025Q2", "--date", "2025-05-01"
    )
    ok(capsys, url, "batch", "release", "2", "--as", "xian", "--date", "2025-05-01")
    ok(capsys, url, "batch", "export", "2", "--as", "xian", "-o", str(tmp_path / "bank2.xlsx"))
    with result.open("w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows([["业务流水号", "处理结果", "失败原因"], [refs[numbers["li_m"]], "成功", ""]])
    ok(capsys, url, "batch", "import-result", "2", str(result), "--as", "xian", "--date", "2025-05-10")
    out = ok(capsys, url, "batch", "show", "2", "--as", "xian")
    assert "已发放 paid: 1 笔 line(s), 960.00 元" in out
    db = Database(url)
    with db.read() as s:
        assert sorted((ln.status, ln.amount) for ln in s.scalars(select(PaymentLine))) == [("paid", 960), ("paid", 960)]
    db.dispose()
    refused(
        capsys,
        url,
        "batch",
        "create",
        "--as",
        "xian",
        "--program",
        "reward",
        "--period",
        "2025",
        "--date",
        "2025-06-01",
        match="没有需要发放的款项",
    )

    # an exit, the re-confirmation, the reports
    b.die("li_m", D(2025, 8, 1))
    assert "death" in ok(capsys, url, "exits", "detect", "--as", "xiang", "--date", "2025-09-01")
    assert "proposed" in ok(capsys, url, "exits", "list", "--as", "shenji")
    ok(capsys, url, "exits", "confirm", "1", "--as", "xian", "--date", "2025-09-02")
    out = ok(capsys, url, "reconfirm", "--as", "xian", "--program", "reward", "--year", "2026", "--date", "2026-01-10")
    assert "确认 1 人，提出退出建议 0 条，待处理 0 人" in out  # li_f, widowed, still qualifies; li_m has exited
    data = json.loads(ok(capsys, url, "report", "--as", "shenji", "--year", "2025", "--org", COUNTY, "--format", "json"))
    total = data["rows"][-1]["values"]
    keys = [c["key"] for c in data["columns"]]
    assert total[keys.index("reward_n")] == 2 and total[keys.index("reward_exits")] == 1
    ok(capsys, url, "report", "--as", "shenji", "--year", "2025", "--org", COUNTY, "-o", str(tmp_path / "report.xlsx"))
    assert (tmp_path / "report.xlsx").read_bytes()[:2] == b"PK"


def test_user_mistakes_are_bilingual_messages_without_tracebacks(county, capsys, tmp_path):
    url, b, numbers = county
    refused(capsys, url, "applications", "--as", "nobody", match="账号 nobody 不存在")
    refused(
        capsys,
        url,
        "apply",
        "--as",
        "xiang",
        "--program",
        "reward",
        "--year",
        "2025",
        "--person",
        numbers["li_f"],
        "--account",
        "6222000011112222",
        match="无权",
    )
    err = refused(
        capsys,
        url,
        "apply",
        "--as",
        "cun",
        "--program",
        "pension",
        "--year",
        "2025",
        "--person",
        numbers["li_f"],
        "--account",
        "12",
        "--date",
        "2025-03-01",
        match="校验未通过",
    )
    assert "programme" in err and "bad_account" in err
    refused(
        capsys,
        url,
        "apply",
        "--as",
        "cun",
        "--program",
        "reward",
        "--year",
        "2025",
        "--person",
        "410185195505050000",
        "--account",
        "6222000011112222",
        match="找不到",
    )
    refused(
        capsys, url, "batch", "create", "--as", "xian", "--program", "reward", "--period", "2025-13", "--date", "2025-04-01", match="period"
    )
    refused(capsys, url, "batch", "show", "9", "--as", "xian", match="不存在")
    apps = tmp_path / "apps.csv"
    with apps.open("w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(
            [["身份证号码", "项目", "年度", "申请日期", "银行账号"], [numbers["li_f"], "奖扶", "2025", "2025-03-01", "x"]]
        )
    refused(capsys, url, "import", str(apps), "--as", "cun", "--errors", str(tmp_path / "errors.csv"), match="导入被拒绝")
    report = (tmp_path / "errors.csv").read_text(encoding="utf-8-sig")
    assert "bad_account" in report and "银行账号应为" in report


def test_the_cycle_commands_are_listed_under_benefits(county, capsys):
    url, _, _ = county
    code, out, err = run_cli(capsys, "--db", url, "benefits", "--help")
    assert code == 0
    for name in (
        "apply",
        "import",
        "village-review",
        "post",
        "post-end",
        "notice",
        "object",
        "resolve",
        "township-review",
        "confirm",
        "reconfirm",
        "exits",
        "batch",
        "report",
        "coverage",
        "recipients",
        "account",
        "candidates",
        "check",
    ):
        assert name in out, name


def test_every_command_of_the_cycle_is_documented():
    """docs/benefits-cycle.md (or benefits.md, for the eligibility commands) shows each command in use."""
    from pathlib import Path

    from renkou.cli.benefits import benefits_app

    root = Path(__file__).resolve().parents[2] / "docs"
    docs = (root / "benefits-cycle.md").read_text(encoding="utf-8") + (root / "benefits.md").read_text(encoding="utf-8")
    names = [c.name for c in benefits_app.registered_commands]
    for g in benefits_app.registered_groups:
        names += [f"{g.name} {c.name}" for c in g.typer_instance.registered_commands]
    assert len(names) > 25
    missing = [n for n in names if f"renkou benefits {n} " not in docs]
    assert missing == []
