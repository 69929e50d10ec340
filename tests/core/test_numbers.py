"""The one rule for printing numbers (renkou.core.numbers): counts, averages, rates, money, 万."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renkou.core import numbers

CASES = [
    (numbers.count, (0,), "0"),
    (numbers.count, (1234,), "1,234"),
    (numbers.count, (1234567,), "1,234,567"),
    (numbers.count, (-1234,), "-1,234"),
    (numbers.count, (12.0,), "12"),
    (numbers.count, (None,), ""),
    (numbers.count, ("—",), "—"),
    (numbers.average, (3.14159,), "3.14"),
    (numbers.average, (2.675, 2), "2.68"),  # half up, not the float's 2.67
    (numbers.average, (1234.5, 1), "1,234.5"),
    (numbers.rate, (12.345, 2, "‰"), "12.35‰"),
    (numbers.rate, (50, 1, "%"), "50.0%"),
    (numbers.rate, (-0.001, 2), "0.00"),  # never "-0.00"
    (numbers.money, (3600,), "¥3,600.00"),
    (numbers.money, (Decimal("1234567.891"),), "¥1,234,567.89"),
    (numbers.money, (Decimal("-900"),), "-¥900.00"),
    (numbers.money, (900, False), "900.00"),
    (numbers.wan, (123456,), "12.35"),
    (numbers.wan, (123456789, 0), "12,346"),
    (numbers.wan, (None,), ""),
]


@pytest.mark.parametrize(("f", "args", "want"), CASES)
def test_the_table_of_cases(f, args, want):
    if f is numbers.money and len(args) == 2:
        assert f(args[0], sign=args[1]) == want
    else:
        assert f(*args) == want


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_a_count_reads_back_as_itself_with_groups_of_three(n):
    text = numbers.count(n)
    assert int(text.replace(",", "")) == n
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*", text)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False))
def test_money_is_the_amount_to_the_cent(d):
    text = numbers.money(d)
    assert re.fullmatch(r"-?¥\d{1,3}(,\d{3})*\.\d\d", text)
    back = Decimal(text.replace("¥", "").replace(",", ""))
    assert abs(back - d) <= Decimal("0.005")
    assert numbers.money(d, sign=False) == text.replace("¥", "")


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(min_value=0, max_value=4))
def test_a_rate_has_exactly_its_decimals_and_its_sign(x, decimals):
    text = numbers.rate(x, decimals, "‰")
    assert text.endswith("‰")
    body = text[:-1].replace(",", "")
    assert (len(body.split(".")[1]) if "." in body else 0) == decimals
    assert abs(float(body) - x) <= 0.5 * 10**-decimals + 1e-9 * max(1, abs(x))


@given(st.integers(min_value=0, max_value=10**12))
def test_wan_is_the_amount_divided_by_ten_thousand(n):
    text = numbers.wan(n)
    assert abs(Decimal(text.replace(",", "")) * 10000 - n) <= 50


@given(st.one_of(st.none(), st.just(float("nan")), st.just(float("inf")), st.text(max_size=5)))
def test_what_is_not_a_number_is_never_printed_as_one(v):
    for f in (numbers.count, numbers.average, numbers.rate, numbers.money, numbers.wan):
        out = f(v)
        assert out == ("" if v is None else str(v)) or re.fullmatch(r"-?¥?[\d,]+(\.\d+)?", out)
