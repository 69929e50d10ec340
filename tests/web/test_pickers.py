"""The pickers' helpers (renkou.web.pickers): what the selects fill in reads back as the period they show,
in Chinese and in English; the box shows a period's Chinese label; year fields read 2026年; unit names
have pinyin keys."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkou.stats.periods import Period, parse
from renkou.web.pickers import KINDS, period_view, unit_keys, year_of

TODAY = dt.date(2026, 5, 17)


def filled(view: dict, kind: str, year: int, part: int) -> str:
    """What static/pickers.js puts in the box for the kind, year and part chosen."""
    tpl = (
        dict((n, t) for n, _, t in view["parts"][kind])[part] if kind in view["parts"] else dict((k, t) for k, _, t in view["kinds"])[kind]
    )
    return tpl.replace("{y}", str(year)).replace("{p}", str(year - 1))


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["month", "quarter", "half", "year", "statyear", "ytd"]),
    st.integers(1950, 2100),
    st.integers(1, 12),
    st.sampled_from(["zh", "en"]),
    st.sampled_from([1, 4, 7, 10]),
)
def test_what_the_selects_fill_in_is_the_period_they_show(kind, year, n, lang, start):
    view = period_view(None, None, lang=lang, today=TODAY, stat_year_start=start)
    part = {"quarter": (n + 2) // 3, "half": (n + 5) // 6}.get(kind, n)
    text = filled(view, kind, year, part)
    p = parse(text, today=TODAY, stat_year_start=start)
    assert p.kind == kind
    if kind == "statyear":  # the year select names the statistical year by the year it ends in
        assert p.end.year == year and p.start.month == start
    else:
        assert p.start.year == year
    shown = period_view(text, None, lang=lang, today=TODAY, stat_year_start=start)
    assert (shown["kind"], shown["year"]) == (kind, year) and shown["part"].get(kind, part) == part  # the selects show it again
    assert shown["text"] == (p.id if lang == "en" else p.label)
    if lang == "zh":
        assert not any(c in text for c in "QSY") and text == p.label or kind == "statyear"


@pytest.mark.parametrize(
    "value, text, kind, year, label",
    [
        ("2026Q4", "2026年第4季度", "quarter", 2026, "2026年第4季度"),
        ("2026年四季度", "2026年第4季度", "quarter", 2026, "2026年第4季度"),
        ("2025-12", "2025年12月", "month", 2025, "2025年12月"),
        ("2026", "2026年", "year", 2026, "2026年"),
        ("2025统计年度", "2024年10月至2025年9月统计年度", "statyear", 2025, "2024年10月至2025年9月统计年度"),
        ("2024-01-01/2024-03-15", "2024年1月1日至2024年3月15日", "month", 2024, "2024年1月1日至2024年3月15日"),  # a range: the box only
        ("not a period", "not a period", "month", 2026, ""),  # kept as typed, for the error next to it
        ("", "", "month", 2026, ""),
    ],
)
def test_the_box_shows_the_chinese_label_and_the_selects_its_parts(value, text, kind, year, label):
    view = period_view(value, None, lang="zh", today=TODAY, stat_year_start=10)
    assert (view["text"], view["kind"], view["year"], view["label"]) == (text, kind, year, label)
    assert [k for k, _, _ in view["kinds"]] == list(KINDS) and all("年" in t and not re.search("[A-Za-z]", t) for t, _ in view["common"])
    assert year in [y for y, _ in view["years"]] and ("2026年" in dict(view["years"]).values())


def test_kinds_limit_the_selects_and_the_common_periods():
    view = period_view(None, ["quarter", "year"], lang="zh", today=TODAY, stat_year_start=10)
    assert [k for k, _, _ in view["kinds"]] == ["quarter", "year"] and set(view["parts"]) == {"quarter"}
    assert view["kind"] == "quarter" and view["part"]["quarter"] == 2  # May: the second quarter
    kinds = {parse(t).kind for t, _ in view["common"]}
    assert kinds == {"quarter", "year"} and "2025年第4季度" in [t for t, _ in view["common"]]
    assert (
        period_view(Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31), "month"), ["quarter"], lang="en", today=TODAY, stat_year_start=10)[
            "kind"
        ]
        == "quarter"
    )
    en = period_view("2026年第4季度", None, lang="en", today=TODAY, stat_year_start=10)
    assert (en["text"], en["label"], en["names"]["quarter"]) == ("2026Q4", "Q4 2026", "Quarter")


@pytest.mark.parametrize(
    "typed, year",
    [
        ("2026", "2026"),
        ("2026年", "2026"),
        ("2026年度", "2026"),
        ("２０２６", "2026"),
        (" 二〇二六年 ", "2026"),
        ("2026年上半年", "2026年上半年"),
        ("abc", "abc"),
        ("", ""),
    ],
)
def test_year_of(typed, year):
    assert year_of(typed) == year


@pytest.mark.parametrize(
    "name, keys",
    [
        ("枫桥镇", "fengqiaozhen fqz"),
        ("花园社区", "huayuanshequ hysq"),
        ("长安街道", "changanjiedao cajd"),
        ("一村", "yicun yc"),
        ("X开发区", "xkaifaqu xkfq"),
    ],
)
def test_unit_keys(name, keys):
    assert unit_keys(name) == keys
