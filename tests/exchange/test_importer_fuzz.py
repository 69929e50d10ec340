"""Generated malformed CSV and XLSX files thrown at `renkou import` (in process): every outcome is
exit 0 or exit 1 — never a traceback (exit 2) — and a refusal leaves the database exactly as it was
(rows in every table, last change-feed number)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from renkou.exchange import templates
from tests.helpers import COUNTY, T1, V1, V2, cli_county, pid, run_cli
from tests.helpers import table_state as state
from tests.xlsx_kit import SHEET, write_xlsx

D = dt.date
FUZZ = settings(max_examples=45, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# cells: plausible values, the register's own codes, and hostile text
plausible = st.sampled_from(
    [
        "",
        "男",
        "女",
        "F",
        "汉族",
        "农业",
        "户主",
        "2000-01-01",
        "2023/2/3",
        "1980-13-45",
        "20000101",
        V1,
        V2,
        T1,
        COUNTY,
        "H1",
        "410102300000",
        "township",
        "village",
        "birth",
        "death",
        "marriage",
        pid(D(1980, 1, 1), "F", 1),
        pid(D(1990, 5, 5), "M", 2),
        "000000198001010012",
        "T1",
    ]
)
hostile = st.sampled_from(
    ["\x00", "\u202e", "\u2066", "\ufeff", "=1+1", "@SUM(A1)", '"', "\n", "\r\n", ",", "\t", "𠀀", "\U0010ffff", "-", "x" * 300, "9" * 40]
)
cell = st.one_of(plausible, hostile, st.text(max_size=12), st.tuples(plausible, hostile).map("".join))
kinds = st.sampled_from(list(templates.KINDS))


def headers(kind: str):
    cols = [c.zh for c in templates.columns(kind)]
    return st.one_of(st.just(cols), st.permutations(cols), st.lists(st.sampled_from(cols + ["", "?", "名称", "\ufeff姓名"]), max_size=8))


@st.composite
def table(draw):
    kind = draw(kinds)
    head = draw(headers(kind))
    rows = draw(st.lists(st.lists(cell, max_size=len(head) + 2), max_size=6))
    return kind, head, rows


def csv_bytes(head, rows, encoding: str, quote: bool) -> bytes:
    def field(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if quote else v

    text = "\n".join(",".join(field(v) for v in r) for r in [head, *rows]) + "\n"
    return text.encode(encoding, errors="replace")


@st.composite
def csv_files(draw):
    kind, head, rows = draw(table())
    data = csv_bytes(head, rows, draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"])), draw(st.booleans()))
    cut = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=len(data))))
    if cut is not None:
        data = data[:cut]
    junk = draw(st.one_of(st.none(), st.binary(min_size=1, max_size=16)))
    if junk:
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + junk + data[at:]
    return kind, data


def damage_sheet(xml: str, how: str, n: int) -> str:
    if how == "dimension":
        return xml.replace("<dimension ref=", f'<dimension ref="A1:B{n % 3 + 1}" old=', 1)
    if how == "cut":
        return xml[: len(xml) * (n % 100) // 100]
    if how == "shared-string":
        return xml.replace('t="inlineStr"><is><t>', f't="s"><v>{n}</v><is><t>', 1)
    if how == "row-number":
        return xml.replace('<row r="2"', f'<row r="{n % 50 + 1}"', 1)
    if how == "column":
        return xml.replace('r="A2"', 'r="ZZZZ2"', 1)
    if how == "number":
        return xml.replace('t="inlineStr"', 't="n"', 1).replace("<is><t>", "<v>", 1).replace("</t></is>", "</v>", 1)
    return xml


@st.composite
def xlsx_files(draw):
    kind, head, rows = draw(table())
    clean = [[ILLEGAL_CHARACTERS_RE.sub("", v) for v in r] for r in [head, *rows]]  # openpyxl writes no control characters
    buf = io.BytesIO()
    write_xlsx(buf, clean)
    how = draw(st.sampled_from(["none", "dimension", "cut", "shared-string", "row-number", "column", "number", "zip"]))
    n = draw(st.integers(min_value=0, max_value=10_000))
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == SHEET:
                data = damage_sheet(data.decode("utf-8"), how, n).encode("utf-8")
            z.writestr(info, data)
    data = out.getvalue()
    if how == "zip":  # the archive itself damaged
        at = n % len(data)
        data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
    return kind, data


@pytest.fixture
def county(tmp_path_factory, capsys):
    return cli_county(tmp_path_factory.mktemp("fuzz"), capsys)


def throw(url: str, capsys, tmp_path, kind: str, suffix: str, data: bytes) -> None:
    path = tmp_path / f"fuzz.{suffix}"
    path.write_bytes(data)
    before = state(url)
    code, _, err = run_cli(capsys, "--db", url, "import", kind, str(path))
    assert code in (0, 1), err
    assert "Traceback" not in err and "Internal error" not in err
    if code == 1:
        assert state(url) == before  # a refusal changes nothing: no rows, no changeset, no change-feed number


@FUZZ
@given(csv_files())
def test_generated_csv_files_are_imported_or_refused_cleanly(county, capsys, tmp_path, f):
    throw(county, capsys, tmp_path, *f[:1], "csv", f[1])


@FUZZ
@given(xlsx_files())
def test_generated_xlsx_files_are_imported_or_refused_cleanly(county, capsys, tmp_path, f):
    throw(county, capsys, tmp_path, *f[:1], "xlsx", f[1])
