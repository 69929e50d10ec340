"""The name generator: surname frequencies, era and sex effects, determinism, speed."""

from __future__ import annotations

import collections
import re

import numpy as np
import pytest

from renkou.synth import names

CJK = re.compile(r"^[\u4e00-\u9fff]+$")


@pytest.fixture(scope="module")
def drawn_surnames() -> np.ndarray:
    return names.surnames(np.random.default_rng(20240601), 200_000)


def people(seed: int, n: int, years: tuple[int, int] = (1930, 2025)) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random(n) < 0.5, rng.integers(years[0], years[1] + 1, n)


def test_surname_frequencies(drawn_surnames):
    counts = collections.Counter(drawn_surnames.tolist())
    top5 = {s for s, _ in counts.most_common(5)}
    assert top5 == set("王李张刘陈")
    assert 0.06 <= counts["王"] / drawn_surnames.size <= 0.09
    assert len(counts) >= 150
    assert drawn_surnames.dtype == np.dtype("<U2")


def test_surname_table_shape():
    table = names.surname_list()
    assert table[:5] == ("王", "李", "张", "刘", "陈")
    assert len(table) == len(set(table)) >= 250
    assert {"欧阳", "司马", "诸葛", "上官", "司徒", "夏侯", "皇甫"} <= names.compound_surnames()
    assert all(CJK.match(s) for s in table)


def test_surnames_deterministic():
    a = names.surnames(np.random.default_rng(7), 5000)
    b = names.surnames(np.random.default_rng(7), 5000)
    c = names.surnames(np.random.default_rng(8), 5000)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_era_index_nearest_decade():
    years = np.array([1900, 1924, 1929, 1930, 1949, 1955, 1969, 1987, 2009, 2015, 2025, 2031])
    eras = np.asarray(names.ERAS)[names.era_index(years)]
    assert eras.tolist() == [1900, 1900, 1900, 1950, 1950, 1950, 1960, 1980, 2000, 2010, 2020, 2020]


def test_era_effect_on_length_and_names():
    n = 40_000
    male = np.random.default_rng(1).random(n) < 0.5
    born_1980s = names.given_names(np.random.default_rng(2), male, np.full(n, 1985))
    born_2015 = names.given_names(np.random.default_rng(3), male, np.full(n, 2015))
    born_1955 = names.given_names(np.random.default_rng(4), male, np.full(n, 1955))
    two = lambda a: (np.strings.str_len(a) == 2).mean()  # noqa: E731
    assert two(born_2015) > two(born_1980s) + 0.2
    recent, old = set(born_2015.tolist()), set(born_1955.tolist())
    assert {"子涵", "梓涵"} <= recent
    assert not {"子涵", "梓涵"} & old
    assert {"建国", "秀英"} <= old
    assert not {"建国", "秀英"} & recent


def test_sex_effect():
    n = 30_000
    years = np.random.default_rng(5).integers(1950, 2025, n)
    men = names.given_names(np.random.default_rng(6), np.ones(n, dtype=bool), years)
    women = names.given_names(np.random.default_rng(6), np.zeros(n, dtype=bool), years)
    male_chars = collections.Counter("".join(men.tolist()))
    female_chars = collections.Counter("".join(women.tolist()))
    top_f = {c for c, _ in female_chars.most_common(20)}
    top_m = {c for c, _ in male_chars.most_common(20)}
    assert len(top_f & top_m) <= 5
    assert female_chars["英"] > 10 * male_chars["英"]
    assert male_chars["军"] > 10 * female_chars["军"]


def test_single_character_share_and_characters():
    male, years = people(9, 100_000)
    given = names.given_names(np.random.default_rng(10), male, years)
    lengths = np.strings.str_len(given)
    assert set(np.unique(lengths).tolist()) == {1, 2}
    assert 0.2 <= (lengths == 1).mean() <= 0.45
    # more one-character names among those born in the 1980s than after 2010
    assert (lengths[(years >= 1980) & (years < 1990)] == 1).mean() > 2 * (lengths[years >= 2010] == 1).mean()
    assert all(CJK.match(g) for g in np.unique(given).tolist())


def test_same_name_people_occur():
    male, years = people(11, 100_000)
    full = names.full_names(np.random.default_rng(12), male, years)
    counts = collections.Counter(full.tolist())
    assert counts.most_common(1)[0][1] >= 5
    assert full.dtype == np.dtype("<U4")
    assert all(CJK.match(f) and 2 <= len(f) <= 4 for f in counts)


def test_full_names_deterministic_and_seed_sensitive():
    male, years = people(13, 20_000)
    a = names.full_names(np.random.default_rng(1), male, years)
    b = names.full_names(np.random.default_rng(1), male, years)
    c = names.full_names(np.random.default_rng(2), male, years)
    assert np.array_equal(a, b)
    assert (a != c).mean() > 0.5


def test_full_names_inherit_surname():
    male, years = people(14, 1_000)
    inherited = np.where(np.arange(1_000) % 2 == 0, "欧阳", "王")
    full = names.full_names(np.random.default_rng(3), male, years, surname=inherited)
    assert all(f.startswith(s) and len(f) > len(s) for f, s in zip(full.tolist(), inherited.tolist(), strict=True))
    single = names.full_names(np.random.default_rng(3), male, years, surname="林")
    assert all(f[0] == "林" for f in single.tolist())
    with pytest.raises(ValueError):
        names.full_names(np.random.default_rng(3), male[:2], years[:2], surname=np.array(["长孙氏", "王"]))


def test_given_names_rejects_mismatched_arrays():
    with pytest.raises(ValueError):
        names.given_names(np.random.default_rng(0), np.ones(3, dtype=bool), np.arange(4))


def test_given_names_empty():
    out = names.given_names(np.random.default_rng(0), np.zeros(0, dtype=bool), np.zeros(0, dtype=int))
    assert out.shape == (0,)
