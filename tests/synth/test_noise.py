"""Noise functions for external records: each changes its value in the documented way."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import lazy_pinyin

from renkou.core import idnumber
from renkou.synth import names, noise

FAST = settings(max_examples=150, deadline=None)

_GIVEN_CHARS = sorted(names.given_characters())
_SURNAMES = list(names.surname_list())

full_name = st.builds(
    lambda s, g: s + "".join(g),
    st.sampled_from(_SURNAMES),
    st.lists(st.sampled_from(_GIVEN_CHARS), min_size=1, max_size=2),
)
gen = st.integers(0, 2**32 - 1).map(np.random.default_rng)


def differing(a: str, b: str) -> list[int]:
    assert len(a) == len(b)
    return [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]


@FAST
@given(full_name, gen)
def test_homophone(name, rng):
    out = noise.homophone(name, rng)
    has_any = any(noise.homophones(c) for c in name[noise.surname_length(name) :]) or (
        noise.surname_length(name) == 1 and noise.homophones(name[0], surnames_only=True)
    )
    if not has_any:
        assert out == name
        return
    assert out != name
    assert len(out) == len(name)
    (i,) = differing(name, out)
    assert lazy_pinyin(out[i]) == lazy_pinyin(name[i])


def test_homophone_examples():
    rng = np.random.default_rng(0)
    outs = {noise.homophone("王芳", rng) for _ in range(200)}
    assert "王方" in outs
    assert all(o[0] == "王" or o[0] in names.surname_list() for o in outs)
    # mostly the given name changes, not the surname
    assert sum(o[0] == "王" for o in outs) >= len(outs) - 2
    assert "晶" in noise.homophones("静")


@FAST
@given(full_name, gen)
def test_typo_changes_one_given_name_character(name, rng):
    out = noise.typo(name, rng)
    (i,) = differing(name, out)
    assert i >= noise.surname_length(name)


def test_typo_uses_lookalikes():
    rng = np.random.default_rng(1)
    outs = [noise.typo("李娟", rng) for _ in range(200)]
    lookalike = sum(o[1] in "绢涓鹃" for o in outs)
    assert 100 <= lookalike < 200  # mostly a look-alike, sometimes a random character
    assert noise.typo("欧阳修", rng)[:2] == "欧阳"


def test_traditional():
    assert noise.traditional("陈") == "陳"
    assert noise.traditional("陈建国") == "陳建國"
    assert noise.traditional("王丽") == "王麗"
    assert noise.traditional("王") == "王"  # nothing to change


@FAST
@given(full_name)
def test_traditional_keeps_length(name):
    assert len(noise.traditional(name)) == len(name)


def test_swap_day_month():
    assert noise.swap_day_month(dt.date(2001, 3, 12)) == dt.date(2001, 12, 3)
    assert noise.swap_day_month(dt.date(2001, 3, 13)) is None
    assert noise.swap_day_month(dt.date(2001, 5, 5)) is None
    assert noise.swap_day_month(dt.date(2001, 2, 1)) == dt.date(2001, 1, 2)


@FAST
@given(st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)))
def test_swap_day_month_property(d):
    out = noise.swap_day_month(d)
    if d.day > 12 or d.day == d.month:
        assert out is None
    else:
        assert out != d and (out.year, out.month, out.day) == (d.year, d.day, d.month)


ids = st.builds(
    idnumber.make,
    st.sampled_from(["110105", "330102", "440305", "510107", "622901"]),
    st.dates(dt.date(1930, 1, 1), dt.date(2025, 1, 1)),
    st.integers(0, 999),
)


@FAST
@given(ids, gen)
def test_id_digit_error(value, rng):
    out = noise.id_digit_error(value, rng)
    assert out != value and len(out) == len(value)
    pos = differing(value, out)
    assert max(pos) <= 16
    if len(pos) == 1:
        assert out[pos[0]].isdigit()
    else:
        i, j = pos
        assert j == i + 1 and (out[i], out[j]) == (value[j], value[i])


def test_id_digit_error_breaks_check_character_and_transposes_sometimes():
    rng = np.random.default_rng(2)
    value = idnumber.make("110105", dt.date(1987, 6, 15), 123)
    outs = [noise.id_digit_error(value, rng) for _ in range(400)]
    transposed = sum(len(differing(value, o)) == 2 for o in outs)
    assert 40 <= transposed <= 160
    assert sum(not idnumber.is_valid(o) for o in outs) > 300
    fifteen = idnumber.to_15(value)
    out15 = noise.id_digit_error(fifteen, rng)
    assert len(out15) == 15 and out15 != fifteen
    assert noise.id_digit_error("", rng) == ""


@pytest.mark.parametrize("name", ["", "王"])
def test_degenerate_names(name):
    rng = np.random.default_rng(3)
    assert noise.typo(name, rng) != name or name == ""
    assert len(noise.homophone(name, rng)) == len(name)
