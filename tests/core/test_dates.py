"""The one date parser and the one age rule (renkou.core.dates)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renkou.core.dates import DATE_FORMATS, EPOCH, age, date_of, day, parse_date

DATES = st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31))
LIVES = st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2300, 12, 31))


def written(d: dt.date) -> list[str]:
    """``d`` in every form the documentation promises."""
    return [
        f"{d:%Y-%m-%d}",
        f"{d.year}/{d.month}/{d.day}",
        f"{d:%Y/%m/%d}",
        f"{d.year}.{d.month}.{d.day}",
        f"{d:%Y.%m.%d}",
        f"{d:%Y%m%d}",
        f"{d.year}年{d.month}月{d.day}日",
        f"{d:%Y}年{d:%m}月{d:%d}日",
        f"{d.year}-{d.month}-{d.day}",
    ]


@given(DATES)
def test_every_documented_form_reads_back_the_same_date(d):
    for text in written(d):
        assert parse_date(text) == d, text
        assert parse_date(f"  {text} ") == d


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2023/2/3", dt.date(2023, 2, 3)),
        ("2023-02-03", dt.date(2023, 2, 3)),
        ("2023.2.03", dt.date(2023, 2, 3)),
        ("20230203", dt.date(2023, 2, 3)),
        ("2023年2月3日", dt.date(2023, 2, 3)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("2023-02-29", None),  # not a day
        ("2023-13-01", None),
        ("2023-00-10", None),
        ("2023/2-3", None),  # one separator throughout
        ("2023-W05-1", None),  # an ISO week date is not a written date
        ("2023-034", None),  # nor an ordinal date
        ("2023-02-03T10:00", None),
        ("2023年2月", None),
        ("230203", None),
        ("2023/123/1", None),
        ("", None),
        ("昨天", None),
        ("２０２３-02-03", None),  # full-width digits are not promised
    ],
)
def test_written_dates(text, expected):
    assert parse_date(text) == expected


@given(st.text(max_size=14))
def test_anything_else_is_none_or_a_real_date_never_an_error(text):
    d = parse_date(text)
    assert d is None or isinstance(d, dt.date)


def test_the_documented_forms_are_the_promised_ones():
    assert DATE_FORMATS == ("YYYY-MM-DD", "YYYY/M/D", "YYYY.M.D", "YYYYMMDD", "YYYY年M月D日")


@given(LIVES, LIVES)
def test_age_is_completed_years(birth, on):
    a = age(birth, on)
    if on >= birth:
        # the a-th birthday has passed (or is today) and the next has not
        assert a >= 0
        assert _anniversary(birth, a) <= on < _anniversary(birth, a + 1)
    else:
        assert a <= 0


@given(LIVES, LIVES, LIVES)
def test_age_never_goes_down_as_time_passes(birth, a, b):
    lo, hi = sorted((a, b))
    assert age(birth, lo) <= age(birth, hi)


@pytest.mark.parametrize(
    "birth,on,expected",
    [
        (dt.date(2000, 5, 10), dt.date(2018, 5, 9), 17),
        (dt.date(2000, 5, 10), dt.date(2018, 5, 10), 18),  # 18 on the birthday itself
        (dt.date(2000, 2, 29), dt.date(2001, 2, 28), 0),
        (dt.date(2000, 2, 29), dt.date(2001, 3, 1), 1),  # a leap-day birthday comes on 1 March in a common year
        (dt.date(2000, 2, 29), dt.date(2004, 2, 29), 4),
        (dt.date(2000, 1, 1), dt.date(2000, 1, 1), 0),
    ],
)
def test_age_cases(birth, on, expected):
    assert age(birth, on) == expected


@given(DATES)
def test_days_since_1970_round_trip(d):
    assert date_of(day(d)) == d and day(EPOCH) == 0 and day(d + dt.timedelta(days=1)) == day(d) + 1


def _anniversary(birth: dt.date, years: int) -> dt.date:
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # 29 February in a common year: the day after 28 February
        return dt.date(birth.year + years, 3, 1)
