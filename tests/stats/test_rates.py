"""Rounding and rates (renkou.stats.rates): the published figures, reproduced from their counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from renkou.stats.rates import Z95, funnel_limits, rate, rates, ratio_ci, round_half_up, small_text, wilson


def test_published_figures_reproduced_from_their_counts():
    assert rate(1815, 1891, 100, 2) == 95.98
    assert rate(5899, 6657, 100, 1) == 88.6
    assert rate(11_870, 10_530, 100, 2) == 112.73  # male / female births -> sex ratio at birth
    assert rate(1, 8, 1, 2) == 0.13 and round(0.125, 2) == 0.12  # 四舍五入, not banker's rounding
    assert rate(-1, 8, 1, 2) == -0.13 and rate(3, 0, 1000, 2) is None
    lo, hi = ratio_ci(512, 488, 100)
    assert 92 < lo < 104.92 < hi < 119  # 1,000 births: a ratio of 104.92 is well inside its interval
    # the examples of docs/statistics.md: flagged only when the whole interval is outside 103-107
    assert [round(x, 1) for x in ratio_ci(23, 17, 100)] == [73.0, 250.8]
    assert [round(x, 1) for x in ratio_ci(1070, 930, 100)] == [105.4, 125.6]
    assert ratio_ci(2674, 2326, 100)[0] > 107


@given(
    st.lists(st.tuples(st.integers(-10_000, 10_000), st.integers(0, 20_000)), min_size=1, max_size=30),
    st.sampled_from([1, 100, 1000]),
    st.integers(0, 3),
)
def test_vectorised_rates_equal_the_exact_rate(pairs, factor, decimals):
    nums = np.array([p[0] for p in pairs], dtype=float)
    dens = np.array([p[1] for p in pairs], dtype=float)
    got = rates(nums, dens, factor, decimals)
    for n, d, g in zip(nums, dens, got, strict=True):
        want = rate(n, d, factor, decimals)
        assert (want is None and np.isnan(g)) or g == want


@pytest.mark.parametrize(
    "x,decimals,expected",
    [
        (0.125, 2, 0.13),
        (-0.125, 2, -0.13),
        (2.5, 0, 3.0),
        (1.005, 2, 1.01),
        (104.915, 2, 104.92),
        (7, 1, 7.0),
    ],
)
def test_round_half_up(x, decimals, expected):
    assert round_half_up(x, decimals) == expected


def test_wilson_interval_contains_the_share_and_is_empty_without_counts():
    lo, hi = wilson(30, 100)
    assert 0 < lo < 0.3 < hi < 1
    assert all(v != v for v in wilson(0, 0))  # NaN: no births, no interval


@given(st.floats(min_value=90, max_value=130), st.integers(min_value=1, max_value=100_000))
def test_funnel_limits_bracket_the_target_and_narrow_with_more_births(target, n):
    lim = funnel_limits(target, n)
    p0 = target / (100 + target)
    if Z95 * (p0 * (1 - p0) / n) ** 0.5 >= min(p0, 1 - p0):
        assert lim is None  # a limit would be 0 or infinite
        return
    lo, hi = lim
    assert 0 < lo < target < hi
    wider = funnel_limits(target, n + 1)
    assert wider is not None and lo <= wider[0] and wider[1] <= hi
    # a ratio on a limit has the share p0 ± the half-width
    assert abs(hi / (100 + hi) - p0 - Z95 * (p0 * (1 - p0) / n) ** 0.5) < 1e-9


# worked by hand: p0 = 105/205, half-width 1.96·√(p0(1 − p0)/n), each limit p/(1 − p)·100
@pytest.mark.parametrize("target, n, lo, hi", [(105, 1000, 92.76, 118.90), (105, 20, 41.47, 272.11)])
def test_funnel_limits_known_values(target, n, lo, hi):
    got = funnel_limits(target, n)
    assert round(got[0], 2) == lo and round(got[1], 2) == hi


def test_small_sample_words():
    assert small_text("zh") == "样本过少" and small_text("en") == "too few births" and small_text("fr") == "样本过少"
