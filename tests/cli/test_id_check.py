"""`renkou id check`: valid / invalid with reasons, exit codes 0 / 1."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import run_cli
from renkou.cli.app import main
from renkou.core import idnumber

SCRIPT = Path(sys.executable).parent / "renkou"


def squash(text: str) -> str:
    """Output without whitespace: rich wraps long lines at the console width and expands tabs."""
    return re.sub(r"\s+", "", text)


def run(capsys, *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, "id", "check", *args)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv("RENKOU_BIRTH_ORDER_RULE", raising=False)


@pytest.mark.parametrize(
    ("raw", "birth", "sex_zh", "sex_en", "address"),
    [
        ("11010519491231002X", "1949-12-31", "女", "female", "110105"),
        ("440524188001010014", "1880-01-01", "男", "male", "440524"),
        ("11010519491231002x", "1949-12-31", "女", "female", "110105"),
    ],
)
def test_valid_number(capsys, raw, birth, sex_zh, sex_en, address):
    code, out, err = run(capsys, raw)
    assert code == 0
    s = squash(out)
    assert "有效" in s and "valid" in s
    assert "无效" not in s and "invalid" not in s
    assert raw in s
    assert birth in s
    assert squash(f"{sex_zh} {sex_en}") in s
    assert address in s
    assert "converted" not in s
    assert err == ""


def test_several_valid_numbers(capsys):
    numbers = ["11010519491231002X", "440524188001010014", idnumber.make("110102", dt.date(1985, 7, 9), 37)]
    code, out, _ = run(capsys, *numbers)
    assert code == 0
    s = squash(out)
    assert s.count("有效") == 3
    assert "无效" not in s
    for n in numbers:
        assert n in s


def test_15_digit_number_shows_converted_form(capsys):
    code, out, _ = run(capsys, "110105491231002")
    assert code == 0
    s = squash(out)
    assert "有效" in s and "无效" not in s
    assert "convertedfrom15digits:11010519491231002X" in s
    assert "1949-12-31" in s


def _reason(raw: str) -> tuple[str, str]:
    _, problems = idnumber.validate(raw)
    assert problems
    return problems[0].zh, problems[0].en


@pytest.mark.parametrize(
    ("raw", "must_contain"),
    [
        ("110105194912310021", ["校验码错误", "expectedX", "found1"]),  # wrong check character
        ("11010519490230002" + idnumber.check_char("11010519490230002"), ["19490230"]),  # 30 February
        ("110105491331002", ["19491331"]),  # 15 digits, month 13
        ("1101051949123100", ["18"]),  # wrong length
        ("11010519491231002Y", ["X"]),  # bad character
        (idnumber.make("000000", dt.date(1980, 1, 1), 1), ["地址码000000", "addresscode000000"]),  # no place, right check character
        ("ABCDEFGHIJKLMNOPQR", []),
        ("", []),
    ],
)
def test_invalid_number(capsys, raw, must_contain):
    code, out, _ = run(capsys, raw)
    assert code == 1
    s = squash(out)
    assert "无效" in s and "invalid" in s
    assert "有效valid" not in s
    zh, en = _reason(raw)
    assert squash(zh) in s
    assert squash(en) in s
    for fragment in must_contain:
        assert fragment in s
    if raw:
        assert raw in s


def test_one_invalid_among_valid_exits_1(capsys):
    code, out, _ = run(capsys, "11010519491231002X", "110105194912310021", "440524188001010014")
    assert code == 1
    s = squash(out)
    assert s.count("无效invalid") == 1
    assert s.count("有效valid") == 2
    # each number is reported, in order
    lines = [ln for ln in out.splitlines() if ln.strip()]
    first = [i for i, ln in enumerate(lines) if ln.startswith("11010519491231002X")]
    bad = [i for i, ln in enumerate(lines) if ln.startswith("110105194912310021")]
    last = [i for i, ln in enumerate(lines) if ln.startswith("440524188001010014")]
    assert first and bad and last
    assert first[0] < bad[0] < last[0]


def test_unknown_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["id", "check", "--no-such-option", "11010519491231002X"])
    out, err = capsys.readouterr()
    assert exc.value.code == 1
    assert "Traceback" not in out + err
    assert "--no-such-option" in err
    assert "有效" not in out


def test_missing_argument_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["id", "check"])
    out, err = capsys.readouterr()
    assert exc.value.code == 1
    assert "Traceback" not in out + err
    assert err.strip()


def test_input_looking_like_markup_is_reported_as_invalid(capsys):
    code, out, err = run(capsys, "[/x]")
    assert code == 1
    assert "Traceback" not in err
    assert "[/x]" in out and "无效" in out


def test_input_is_echoed_verbatim(capsys):
    code, out, _ = run(capsys, "[bold]123")
    assert code == 1
    assert "[bold]123" in out


# --- the installed console script -----------------------------------------------------------------


def _script(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    assert SCRIPT.exists(), f"console script not installed at {SCRIPT}"
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, encoding="utf-8", cwd=cwd, timeout=60)


def test_console_script_entry_point(tmp_path):
    ok = _script("id", "check", "11010519491231002X", "110105491231002", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    s = squash(ok.stdout)
    assert s.count("有效valid") == 2
    assert "convertedfrom15digits:11010519491231002X" in s
    assert "Traceback" not in ok.stderr

    bad = _script("id", "check", "11010519491231002X", "110105194912310021", cwd=tmp_path)
    assert bad.returncode == 1
    assert "无效" in bad.stdout and "校验码错误" in squash(bad.stdout)
    assert "Traceback" not in bad.stderr

    usage = _script("id", "check", "--bogus", cwd=tmp_path)
    assert usage.returncode == 1
    assert "Traceback" not in usage.stderr
    assert "--bogus" in usage.stderr
    assert list(tmp_path.iterdir()) == []  # checking numbers touches no database
