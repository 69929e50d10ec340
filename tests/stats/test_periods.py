"""Reporting periods: parsing every accepted form, ids, labels, DHIS2 and ADX ids, and properties."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from renkou.errors import UserError
from renkou.stats.periods import EXAMPLES_ZH, MONTH_ABBR, Period, add_months, parse

TODAY = date(2024, 5, 17)

# ---------------------------------------------------------------- hypothesis: random periods of every kind

years = st.integers(1901, 2190)


@st.composite
def periods(draw) -> Period:
    kind = draw(st.sampled_from(["month", "quarter", "half", "year", "statyear", "ytd", "range"]))
    y = draw(years)
    if kind == "month":
        return parse(f"{y}-{draw(st.integers(1, 12)):02d}")
    if kind == "quarter":
        return parse(f"{y}Q{draw(st.integers(1, 4))}")
    if kind == "half":
        return parse(f"{y}S{draw(st.integers(1, 2))}")
    if kind == "year":
        return parse(str(y))
    if kind == "statyear":
        return parse(f"{y}{MONTH_ABBR[draw(st.integers(1, 12)) - 1]}")
    start = draw(st.dates(date(1901, 1, 1), date(2189, 12, 31)))
    if kind == "ytd":
        return Period(date(start.year, 1, 1), start, "ytd")
    end = start + timedelta(days=draw(st.integers(0, 3640)))
    return Period(start, end, "range")


DHIS2_RE = {
    "month": r"\d{4}(0[1-9]|1[0-2])",
    "quarter": r"\d{4}Q[1-4]",
    "half": r"\d{4}S[12]",
    "year": r"\d{4}",
    "statyear": r"\d{4}(April|July|Oct|Nov)",
}


@settings(max_examples=150, deadline=None)
@given(periods())
def test_id_round_trips(p: Period) -> None:
    q = parse(p.id)
    assert q == p
    assert (q.id, q.label, q.label_en, q.kind) == (p.id, p.label, p.label_en, p.kind)


@settings(max_examples=150, deadline=None)
@given(periods(), st.sampled_from(["", " ", "\u3000"]))
def test_chinese_label_round_trips(p: Period, pad: str) -> None:
    """Every period's Chinese label (what the pickers show and submit) reads back as the same period."""
    q = parse(pad + p.label + pad, today=TODAY)
    assert q == p and (q.id, q.label) == (p.id, p.label)


CN_DIGIT = "〇一二三四五六七八九"
CN_SMALL = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]


def full_width(text: str) -> str:
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})


@st.composite
def chinese_spellings(draw) -> tuple[str, str]:
    """(a Chinese spelling as people type it, the code of the same period)."""
    y = draw(years)
    year = draw(st.sampled_from([str(y), full_width(str(y)), "".join(CN_DIGIT[int(c)] for c in str(y))]))
    num = lambda n: draw(st.sampled_from([str(n), full_width(str(n)), CN_SMALL[n]]))  # noqa: E731
    sp = draw(st.sampled_from(["", " "]))
    kind = draw(st.sampled_from(["year", "quarter", "half", "month", "ytd"]))
    if kind == "year":
        return year + draw(st.sampled_from(["年", "年度", "年全年"])), str(y)
    if kind == "quarter":
        q = draw(st.integers(1, 4))
        return f"{year}年{sp}{draw(st.sampled_from(['第', '']))}{num(q)}季度", f"{y}Q{q}"
    if kind == "half":
        h = draw(st.integers(1, 2))
        return f"{year}年{sp}{'上下'[h - 1]}半年", f"{y}S{h}"
    if kind == "month":
        m = draw(st.integers(1, 12))
        return f"{year}年{sp}{num(m)}月{draw(st.sampled_from(['', '份']))}", f"{y}-{m:02d}"
    m = draw(st.integers(1, 12))
    dash = draw(st.sampled_from(["-", "至", "到", "～", "—", "月至"]))
    return f"{year}年1{dash}{num(m)}月{draw(st.sampled_from(['', '累计']))}", f"{y}-{m:02d}YTD"


@settings(max_examples=200, deadline=None)
@given(chinese_spellings())
def test_chinese_spellings_mean_the_same_period_as_the_code(pair: tuple[str, str]) -> None:
    text, code = pair
    assert parse(text, today=TODAY) == parse(code, today=TODAY)


@settings(max_examples=250, deadline=None)
@given(st.text(alphabet="0123456789２０年月日季度第上下半全统计累至今份Qq-—～到一二三四五六七八九十〇 ", max_size=24))
def test_chinese_like_text_never_crashes(text: str) -> None:
    try:
        p = parse(text, today=TODAY)
    except UserError as err:
        said = err.zh.replace(f"“{text.strip()}”", "“”")  # the text typed is quoted as it was
        assert "2026年第4季度" in said and not re.search(r"Q\d|S\d|YTD|\[", said) and "2024Q1" in err.en
    else:
        assert parse(p.id, today=TODAY) == p == parse(p.label, today=TODAY)


@settings(max_examples=80, deadline=None)
@given(periods())
def test_months_tile_the_period(p: Period) -> None:
    ms = p.months()
    assert ms[0].start == p.start and ms[-1].end == p.end
    for a, b in pairwise(ms):
        assert b.start == a.end + timedelta(days=1)  # no gap, no overlap
        assert (a.start.year, a.start.month) != (b.start.year, b.start.month)
    assert sum(m.days for m in ms) == p.days
    for m in ms:
        assert m.kind in ("month", "range")
        assert m.start.month == m.end.month and m.start.year == m.end.year
        assert (m.kind == "month") == (m.start.day == 1 and (m.end + timedelta(days=1)).day == 1)


@settings(max_examples=80, deadline=None)
@given(periods())
def test_previous_year_same_kind_and_shape(p: Period) -> None:
    q = p.previous_year()
    assert q.kind == p.kind
    assert len(q.months()) == len(p.months())
    assert q.start.year == p.start.year - 1 and q.end.year == p.end.year - 1
    assert q.start.month == p.start.month and q.end.month == p.end.month
    assert abs(q.days - p.days) <= 1


@settings(max_examples=80, deadline=None)
@given(periods())
def test_dhis2_ids_match_their_kind(p: Period) -> None:
    if p.kind in DHIS2_RE and (p.kind != "statyear" or p.start.month in (4, 7, 10, 11)):
        assert re.fullmatch(DHIS2_RE[p.kind], p.dhis2)
    else:
        with pytest.raises(UserError) as err:
            _ = p.dhis2
        assert p.id in err.value.zh and p.id in err.value.en


@settings(max_examples=80, deadline=None)
@given(periods())
def test_iso8601_shape_and_length(p: Period) -> None:
    start, dur = p.iso8601.split("/")
    assert start == p.start.isoformat()
    m = re.fullmatch(r"P(\d+)([YMD])", dur)
    assert m
    n, unit = int(m[1]), m[2]
    end = add_months(p.start, 12 * n if unit == "Y" else n) if unit != "D" else p.start + timedelta(days=n)
    assert end == p.end + timedelta(days=1)


@settings(max_examples=250, deadline=None)
@given(st.text(max_size=40))
def test_parse_never_raises_anything_but_user_error(text: str) -> None:
    try:
        p = parse(text, today=TODAY)
    except UserError as err:
        assert EXAMPLES_ZH in err.zh and "2024Q1" in err.en and "2026年第4季度" in err.en  # the list of accepted forms
    else:
        assert isinstance(p, Period) and parse(p.id, today=TODAY) == p


@settings(max_examples=80, deadline=None)
@example("0000000P00000000000000000000000000000000D")  # longer than the 40 characters an error quotes
@given(st.from_regex(r"\A[0-9]{4}([-mMqQsS/]?[0-9]{0,3})?(ytd|YTD|sy|SY|P[0-9]+[MDY])?\Z"))
def test_parse_period_like_text_never_crashes(text: str) -> None:
    try:
        parse(text, today=TODAY)
    except UserError as err:
        shown = text.strip()[:40]  # long input is quoted up to 40 characters, then "…"
        assert shown in err.zh and shown in err.en


# ---------------------------------------------------------------- table-driven: every accepted form

D = date


@pytest.mark.parametrize(
    "text, kind, start, end, pid",
    [
        ("2024", "year", D(2024, 1, 1), D(2024, 12, 31), "2024"),
        ("2024-03", "month", D(2024, 3, 1), D(2024, 3, 31), "2024-03"),
        ("202403", "month", D(2024, 3, 1), D(2024, 3, 31), "2024-03"),
        ("2024M03", "month", D(2024, 3, 1), D(2024, 3, 31), "2024-03"),
        ("2024m3", "month", D(2024, 3, 1), D(2024, 3, 31), "2024-03"),
        ("2024-3", "month", D(2024, 3, 1), D(2024, 3, 31), "2024-03"),
        ("2024-02", "month", D(2024, 2, 1), D(2024, 2, 29), "2024-02"),  # leap year
        ("2023-02", "month", D(2023, 2, 1), D(2023, 2, 28), "2023-02"),
        ("2000-02", "month", D(2000, 2, 1), D(2000, 2, 29), "2000-02"),  # divisible by 400
        ("1900-02", "month", D(1900, 2, 1), D(1900, 2, 28), "1900-02"),  # divisible by 100
        ("2024Q1", "quarter", D(2024, 1, 1), D(2024, 3, 31), "2024Q1"),
        ("2024q4", "quarter", D(2024, 10, 1), D(2024, 12, 31), "2024Q4"),
        ("2024S1", "half", D(2024, 1, 1), D(2024, 6, 30), "2024S1"),
        ("2024s2", "half", D(2024, 7, 1), D(2024, 12, 31), "2024S2"),
        ("2023Oct", "statyear", D(2023, 10, 1), D(2024, 9, 30), "2023Oct"),
        ("2023October", "statyear", D(2023, 10, 1), D(2024, 9, 30), "2023Oct"),
        ("2023APRIL", "statyear", D(2023, 4, 1), D(2024, 3, 31), "2023Apr"),
        ("2023Apr", "statyear", D(2023, 4, 1), D(2024, 3, 31), "2023Apr"),
        ("2023July", "statyear", D(2023, 7, 1), D(2024, 6, 30), "2023Jul"),
        ("2023nov", "statyear", D(2023, 11, 1), D(2024, 10, 31), "2023Nov"),
        ("2023Mar", "statyear", D(2023, 3, 1), D(2024, 2, 29), "2023Mar"),  # ends on a leap day
        ("2023SY", "statyear", D(2023, 10, 1), D(2024, 9, 30), "2023Oct"),
        ("2024-03YTD", "ytd", D(2024, 1, 1), D(2024, 3, 31), "2024-03YTD"),
        ("2024-02ytd", "ytd", D(2024, 1, 1), D(2024, 2, 29), "2024-02YTD"),
        ("2024YTD", "ytd", D(2024, 1, 1), TODAY, "2024-05-17YTD"),
        ("2023YTD", "ytd", D(2023, 1, 1), D(2023, 12, 31), "2023-12YTD"),
        ("2024-05-17YTD", "ytd", D(2024, 1, 1), TODAY, "2024-05-17YTD"),
        ("2024-01-01/2024-03-31", "range", D(2024, 1, 1), D(2024, 3, 31), "2024-01-01/2024-03-31"),
        ("2024-01-15/2024-01-15", "range", D(2024, 1, 15), D(2024, 1, 15), "2024-01-15/2024-01-15"),
        ("2024-01-01/P3M", "range", D(2024, 1, 1), D(2024, 3, 31), "2024-01-01/2024-03-31"),
        ("2024-01-01/P1Y", "range", D(2024, 1, 1), D(2024, 12, 31), "2024-01-01/2024-12-31"),
        ("2024-01-01/P10D", "range", D(2024, 1, 1), D(2024, 1, 10), "2024-01-01/2024-01-10"),
        ("2024-02-01/p1m", "range", D(2024, 2, 1), D(2024, 2, 29), "2024-02-01/2024-02-29"),
        ("2014-01-01/2023-12-31", "range", D(2014, 1, 1), D(2023, 12, 31), "2014-01-01/2023-12-31"),  # exactly 10 years
        ("  2024Q2 ", "quarter", D(2024, 4, 1), D(2024, 6, 30), "2024Q2"),
        ("２０２４Ｑ２", "quarter", D(2024, 4, 1), D(2024, 6, 30), "2024Q2"),  # full-width
        ("２０２４－０３", "month", D(2024, 3, 1), D(2024, 3, 31), "2024-03"),
    ],
)
def test_parse_forms(text: str, kind: str, start: date, end: date, pid: str) -> None:
    p = parse(text, today=TODAY)
    assert (p.kind, p.start, p.end, p.id) == (kind, start, end, pid)
    assert parse(p.id, today=TODAY) == p


@pytest.mark.parametrize(
    "text, kind, start, end, pid",
    [
        ("2026年", "year", D(2026, 1, 1), D(2026, 12, 31), "2026"),
        ("2026年度", "year", D(2026, 1, 1), D(2026, 12, 31), "2026"),
        ("2026全年", "year", D(2026, 1, 1), D(2026, 12, 31), "2026"),
        ("２０２６年", "year", D(2026, 1, 1), D(2026, 12, 31), "2026"),
        ("二〇二六年", "year", D(2026, 1, 1), D(2026, 12, 31), "2026"),
        ("2025年12月", "month", D(2025, 12, 1), D(2025, 12, 31), "2025-12"),
        ("2025年12月份", "month", D(2025, 12, 1), D(2025, 12, 31), "2025-12"),
        ("2025年十二月", "month", D(2025, 12, 1), D(2025, 12, 31), "2025-12"),
        ("2024年2月", "month", D(2024, 2, 1), D(2024, 2, 29), "2024-02"),
        ("２０２５年１２月", "month", D(2025, 12, 1), D(2025, 12, 31), "2025-12"),
        (" 2025 年 3 月 ", "month", D(2025, 3, 1), D(2025, 3, 31), "2025-03"),
        ("2026年第4季度", "quarter", D(2026, 10, 1), D(2026, 12, 31), "2026Q4"),
        ("2026年四季度", "quarter", D(2026, 10, 1), D(2026, 12, 31), "2026Q4"),
        ("2026年第四季度", "quarter", D(2026, 10, 1), D(2026, 12, 31), "2026Q4"),
        ("2026年4季度", "quarter", D(2026, 10, 1), D(2026, 12, 31), "2026Q4"),
        ("2026第一季度", "quarter", D(2026, 1, 1), D(2026, 3, 31), "2026Q1"),
        ("2026年第2季", "quarter", D(2026, 4, 1), D(2026, 6, 30), "2026Q2"),
        ("2026年Q3", "quarter", D(2026, 7, 1), D(2026, 9, 30), "2026Q3"),
        ("2026年上半年", "half", D(2026, 1, 1), D(2026, 6, 30), "2026S1"),
        ("2026年下半年", "half", D(2026, 7, 1), D(2026, 12, 31), "2026S2"),
        ("2026下半年", "half", D(2026, 7, 1), D(2026, 12, 31), "2026S2"),
        ("2025统计年度", "statyear", D(2024, 10, 1), D(2025, 9, 30), "2024Oct"),  # named by the year it ends in
        ("2025年统计年度", "statyear", D(2024, 10, 1), D(2025, 9, 30), "2024Oct"),
        ("2025年度统计年", "statyear", D(2024, 10, 1), D(2025, 9, 30), "2024Oct"),
        ("2023年10月至2024年9月统计年度", "statyear", D(2023, 10, 1), D(2024, 9, 30), "2023Oct"),
        ("2023年3月至2024年2月统计年度", "statyear", D(2023, 3, 1), D(2024, 2, 29), "2023Mar"),
        ("2026年1-3月", "ytd", D(2026, 1, 1), D(2026, 3, 31), "2026-03YTD"),
        ("2026年1月至3月", "ytd", D(2026, 1, 1), D(2026, 3, 31), "2026-03YTD"),
        ("2026年1月-3月", "ytd", D(2026, 1, 1), D(2026, 3, 31), "2026-03YTD"),
        ("2026年1～3月", "ytd", D(2026, 1, 1), D(2026, 3, 31), "2026-03YTD"),
        ("2026年1月到3月", "ytd", D(2026, 1, 1), D(2026, 3, 31), "2026-03YTD"),
        ("2026年1—3月", "ytd", D(2026, 1, 1), D(2026, 3, 31), "2026-03YTD"),
        ("2026年1至3月累计", "ytd", D(2026, 1, 1), D(2026, 3, 31), "2026-03YTD"),
        ("2026年1月至2026年3月", "ytd", D(2026, 1, 1), D(2026, 3, 31), "2026-03YTD"),
        ("2026年3月累计", "ytd", D(2026, 1, 1), D(2026, 3, 31), "2026-03YTD"),
        ("2026年1月累计", "ytd", D(2026, 1, 1), D(2026, 1, 31), "2026-01YTD"),
        ("2024年累计", "ytd", D(2024, 1, 1), TODAY, "2024-05-17YTD"),
        ("2023年至今", "ytd", D(2023, 1, 1), D(2023, 12, 31), "2023-12YTD"),
        ("2024年1月1日至5月17日累计", "ytd", D(2024, 1, 1), TODAY, "2024-05-17YTD"),
        ("2026年4-6月", "range", D(2026, 4, 1), D(2026, 6, 30), "2026-04-01/2026-06-30"),
        ("2025年10月至2026年3月", "range", D(2025, 10, 1), D(2026, 3, 31), "2025-10-01/2026-03-31"),
        ("2024年1月1日至2024年3月31日", "range", D(2024, 1, 1), D(2024, 3, 31), "2024-01-01/2024-03-31"),
        ("2024年1月15日至2月14日", "range", D(2024, 1, 15), D(2024, 2, 14), "2024-01-15/2024-02-14"),
        ("2024年1月15日至20日", "range", D(2024, 1, 15), D(2024, 1, 20), "2024-01-15/2024-01-20"),
    ],
)
def test_parse_chinese_forms(text: str, kind: str, start: date, end: date, pid: str) -> None:
    p = parse(text, today=TODAY)
    assert (p.kind, p.start, p.end, p.id) == (kind, start, end, pid)
    assert parse(p.id, today=TODAY) == p == parse(p.label, today=TODAY)


@pytest.mark.parametrize(
    "start_month, start, end",
    [(10, D(2024, 10, 1), D(2025, 9, 30)), (7, D(2024, 7, 1), D(2025, 6, 30)), (1, D(2025, 1, 1), D(2025, 12, 31))],
)
def test_chinese_stat_year_is_named_by_the_year_it_ends_in(start_month: int, start: date, end: date) -> None:
    p = parse("2025统计年度", stat_year_start=start_month)
    assert (p.kind, p.start, p.end) == ("statyear", start, end)


@pytest.mark.parametrize(
    "start_month, start, end",
    [(10, D(2023, 10, 1), D(2024, 9, 30)), (7, D(2023, 7, 1), D(2024, 6, 30)), (1, D(2023, 1, 1), D(2023, 12, 31))],
)
def test_stat_year_start(start_month: int, start: date, end: date) -> None:
    p = parse("2023sy", stat_year_start=start_month)
    assert (p.kind, p.start, p.end) == ("statyear", start, end)
    assert p.id == f"2023{MONTH_ABBR[start_month - 1]}"


def test_bad_stat_year_start_is_a_user_error() -> None:
    with pytest.raises(UserError) as err:
        parse("2023SY", stat_year_start=13)
    assert "13" in err.value.zh and "13" in err.value.en


def test_ytd_today_outside_the_year() -> None:
    assert parse("2024YTD", today=D(2025, 2, 1)).end == D(2024, 12, 31)
    assert parse("2024YTD", today=D(2024, 3, 31)).id == "2024-03YTD"  # a month end gives the month form


@pytest.mark.parametrize(
    "p, label, label_en",
    [
        ("2024-03", "2024年3月", "March 2024"),
        ("2024Q1", "2024年第1季度", "Q1 2024"),
        ("2024S1", "2024年上半年", "First half of 2024"),
        ("2024S2", "2024年下半年", "Second half of 2024"),
        ("2024", "2024年", "2024"),
        ("2023Oct", "2023年10月至2024年9月统计年度", "Statistical year Oct 2023 to Sep 2024"),
        ("2024-03YTD", "2024年1月至3月累计", "Jan to Mar 2024 (year to date)"),
        ("2024-01YTD", "2024年1月累计", "Jan 2024 (year to date)"),
        ("2024-05-17YTD", "2024年1月1日至5月17日累计", "1 Jan to 17 May 2024 (year to date)"),
        ("2024-01-01/2024-03-31", "2024年1月1日至2024年3月31日", "2024-01-01 to 2024-03-31"),
    ],
)
def test_labels(p: str, label: str, label_en: str) -> None:
    assert (parse(p).label, parse(p).label_en) == (label, label_en)


@pytest.mark.parametrize(
    "text, dhis2",
    [
        ("2024-03", "202403"),
        ("2024Q1", "2024Q1"),
        ("2024S1", "2024S1"),
        ("2024S2", "2024S2"),
        ("2024", "2024"),
        ("2023Apr", "2023April"),
        ("2023July", "2023July"),
        ("2023Oct", "2023Oct"),
        ("2023Nov", "2023Nov"),
    ],
)
def test_dhis2_ids(text: str, dhis2: str) -> None:
    assert parse(text).dhis2 == dhis2


@pytest.mark.parametrize("text", ["2024-03YTD", "2024-05-17YTD", "2024-01-01/2024-03-31", "2023Sep", "2023Jan", "2023Dec"])
def test_dhis2_cannot_express(text: str) -> None:
    p = parse(text)
    with pytest.raises(UserError) as err:
        _ = p.dhis2
    assert p.id in err.value.zh and p.id in err.value.en and "DHIS2" in err.value.en


@pytest.mark.parametrize(
    "text, iso",
    [
        ("2024-03", "2024-03-01/P1M"),
        ("2024Q1", "2024-01-01/P3M"),
        ("2024S2", "2024-07-01/P6M"),
        ("2024", "2024-01-01/P1Y"),
        ("2023Oct", "2023-10-01/P1Y"),
        ("2024-03YTD", "2024-01-01/P3M"),
        ("2024-05-17YTD", "2024-01-01/P138D"),
        ("2024-01-01/2024-03-31", "2024-01-01/P3M"),
        ("2024-01-01/2024-03-30", "2024-01-01/P90D"),
        ("2024-02-01/2024-02-29", "2024-02-01/P1M"),
        ("2024-01-15/2024-02-14", "2024-01-15/P31D"),
    ],
)
def test_iso8601(text: str, iso: str) -> None:
    assert parse(text).iso8601 == iso


def test_previous_year_and_helpers() -> None:
    feb = parse("2024-02")
    assert feb.previous_year() == parse("2023-02")
    assert parse("2025-02").previous_year().end == D(2024, 2, 29)  # month end stays month end
    assert parse("2023Oct").previous_year().id == "2022Oct"
    assert parse("2024-05-17YTD").previous_year().id == "2023-05-17YTD"
    assert parse("2024-02-29/2024-03-10").previous_year() == Period(D(2023, 2, 28), D(2023, 3, 10), "range")
    assert feb.day_before_start == D(2024, 1, 31)
    assert parse("2024").day_before_start == D(2023, 12, 31)
    assert feb.days == 29 and parse("2024").days == 366 and parse("2023").days == 365
    assert feb.contains(D(2024, 2, 29)) and not feb.contains(D(2024, 3, 1)) and not feb.contains(D(2024, 1, 31))
    assert feb.contains(datetime(2024, 2, 10, 12, 0))
    assert [m.id for m in parse("2024Q2").months()] == ["2024-04", "2024-05", "2024-06"]
    assert [m.id for m in parse("2024-01-15/2024-03-10").months()] == ["2024-01-15/2024-01-31", "2024-02", "2024-03-01/2024-03-10"]
    assert len(parse("2023Oct").months()) == 12 and parse("2023Oct").months()[-1].id == "2024-09"
    assert str(feb) == "2024-02"


@pytest.mark.parametrize(
    "start, end, kind",
    [
        (D(2024, 3, 2), D(2024, 3, 31), "month"),
        (D(2024, 2, 1), D(2024, 4, 30), "quarter"),
        (D(2024, 3, 1), D(2024, 8, 31), "half"),
        (D(2024, 2, 1), D(2025, 1, 31), "year"),
        (D(2024, 2, 2), D(2025, 2, 1), "statyear"),
        (D(2024, 2, 1), D(2024, 3, 31), "ytd"),
        (D(2024, 3, 1), D(2024, 2, 1), "range"),
        (D(2024, 1, 1), D(2024, 1, 31), "week"),
    ],
)
def test_constructor_rejects_dates_that_do_not_fit_the_kind(start: date, end: date, kind: str) -> None:
    with pytest.raises(UserError):
        Period(start, end, kind)


@pytest.mark.parametrize(
    "text, reason_en",
    [
        ("2024-13", "month must be 1 to 12"),
        ("202400", "month must be 1 to 12"),
        ("2024Q5", "quarter must be Q1 to Q4"),
        ("2024Q0", "quarter must be Q1 to Q4"),
        ("2024S3", "half must be S1 or S2"),
        ("2024-03-31/2024-01-01", "end is before the start"),
        ("2014-01-01/2024-01-01", "longer than 10 years"),
        ("2024-01-01/P11Y", "longer than 10 years"),
        ("2024-01-01/P121M", "longer than 10 years"),
        ("2024-01-01/P0D", "more than zero"),
        ("1899", "year must be 1900 to 2200"),
        ("2201-01", "year must be 1900 to 2200"),
        ("2200Oct", "ends after 2200"),
        ("2023-02-29/2023-03-01", "not a valid date"),
        ("2024Foo", "unknown month name"),
        ("24-03", "not recognised"),
        ("March 2024", "not recognised"),
        ("2024年3", "not recognised"),
        ("3月", "not recognised"),
        ("2026年第5季度", "quarter must be 1 to 4"),
        ("2026年第0季度", "quarter must be 1 to 4"),
        ("2025年13月", "month must be 1 to 12"),
        ("2025年0月份", "month must be 1 to 12"),
        ("2026年4-6月累计", "starts in January"),
        ("2026年3-1月", "end is before the start"),
        ("2024年10月至2025年8月统计年度", "12 consecutive months"),
        ("2024年3月1日至5月17日累计", "starts on 1 January"),
        ("2023年2月29日至3月1日", "not a valid date"),
        ("2014年1月至2024年1月", "longer than 10 years"),
        ("1899年", "year must be 1900 to 2200"),
        ("1900统计年度", "starts before 1900"),
        ("2200年10月至2201年9月统计年度", "year must be 1900 to 2200"),
        ("2026年中半年", "not recognised"),
        ("", "not recognised"),
        ("2024-1-1/2024-2-1", "not recognised"),
    ],
)
def test_parse_errors_quote_the_text_in_both_languages(text: str, reason_en: str) -> None:
    with pytest.raises(UserError) as err:
        parse(text, today=TODAY)
    e = err.value
    assert f"“{text}”" in e.zh and f'"{text}"' in e.en
    assert reason_en in e.en
    assert EXAMPLES_ZH in e.zh and "2024-01-01/P3M" in e.en and "2026年第4季度" in e.en  # accepted forms listed
    assert not re.search(r"\d{4}(Q|S|SY|YTD|Oct)\b|/P3M|\[", e.zh.replace(f"“{text}”", ""))  # no codes in the Chinese text
    assert e.zh != e.en


def test_parse_long_garbage_is_truncated_in_the_message() -> None:
    with pytest.raises(UserError) as err:
        parse("x" * 500)
    assert "x" * 40 + "…" in err.value.en and "x" * 41 not in err.value.en
