"""Administrative (GB/T 2260) and statistical (统计用区划代码) division codes, DOMAIN.md §3."""

from __future__ import annotations

import pytest

from renkou.core import codes
from renkou.core.codes import LEVELS, check_code, township_kind, village_kind


def rules(problems) -> list[str]:
    return [p.rule for p in problems]


def assert_one_format_problem(problems, code: str, field: str = "code") -> None:
    assert rules(problems) == ["code_format"]
    p = problems[0]
    assert p.value == code
    assert p.field == field
    for text in (p.zh, p.en):
        assert text.strip() and "{" not in text
    assert p.params["detail"] in p.zh and p.params["detail"] in p.en


# --- valid codes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "code", "parent"),
    [
        ("province", "110000", None),
        ("province", "440000", None),
        ("province", "820000", None),
        ("city", "110100", None),
        ("city", "440500", "440000"),
        ("city", "419000", "410000"),  # 省直辖县级行政区划 pseudo-prefecture
        ("county", "110105", None),
        ("county", "110105", "110100"),
        ("county", "440524", "440500"),
        ("county", "110102", "110100"),  # retired (Xicheng before 2010): codes are never reused, still well-formed
        ("township", "110105001000", None),  # street
        ("township", "110105001000", "110105"),
        ("township", "440524100000", "440524"),  # town
        ("township", "440524199000", "440524"),
        ("township", "440524200000", "440524"),  # township
        ("township", "440524399000", "440524"),
        ("township", "440524400000", "440524"),  # township-like
        ("township", "440524599000", "440524"),
        ("township", "440524101000", "440524000000"),  # parent given as a 12-digit county code
        ("village", "440524101001", None),
        ("village", "440524101001", "440524101000"),
        ("village", "440524101199", "440524101000"),
        ("village", "440524101200", "440524101000"),
        ("village", "440524101399", "440524101000"),
        ("village", "110105001001", "110105001000"),
        ("group", "440524101201001", None),
        ("group", "440524101201001", "440524101201"),
        ("group", "440524101201999", "440524101201"),
        ("unit", "SCH-01", None),
        ("unit", "AB", None),
        ("unit", "9" * 24, None),
        ("unit", "HOSP-XIANYIYUAN-2", "440524"),
    ],
)
def test_valid_codes(level, code, parent):
    assert check_code(level, code, parent) == []


# --- malformed codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "code"),
    [
        # province: 6 digits ending in 0000
        ("province", "11000"),
        ("province", "1100000"),
        ("province", "11000a"),
        ("province", "110100"),
        ("province", "110105"),
        ("province", ""),
        ("province", "１１００００"),  # full-width digits
        # city: 6 digits ending in 00 but not 0000
        ("city", "110000"),
        ("city", "110105"),
        ("city", "11010"),
        ("city", "1101000"),
        ("city", "1101o0"),
        # county: 6 digits
        ("county", "11010"),
        ("county", "1101050"),
        ("county", "11010x"),
        ("county", "110105001000"),
        ("county", ""),
        # township: 12 digits, digits 7-9 in 001-599, digits 10-12 = 000
        ("township", "110105001"),
        ("township", "1101050010000"),
        ("township", "11010500100a"),
        ("township", "110105000000"),  # township digits 000
        ("township", "110105600000"),  # 600 and above are not defined
        ("township", "110105999000"),
        ("township", "110105001001"),  # that is a village code
        # village: 12 digits, digits 10-12 in 001-399, township digits not 000
        ("village", "110105001"),
        ("village", "1101050010011"),
        ("village", "11010500100a"),
        ("village", "110105001000"),  # that is a township code
        ("village", "110105001400"),
        ("village", "110105001999"),
        ("village", "110105000001"),  # township digits 000
        # group: 15 digits
        ("group", "440524101201"),
        ("group", "4405241012010011"),
        ("group", "44052410120100a"),
        # unit: 2-24 capitals, digits or hyphens, not starting with a hyphen
        ("unit", "A"),
        ("unit", ""),
        ("unit", "sch-01"),
        ("unit", "-SCH"),
        ("unit", "SCH 01"),
        ("unit", "SCH_01"),
        ("unit", "9" * 25),
        ("unit", "学校01"),
    ],
)
def test_malformed_codes(level, code):
    assert_one_format_problem(check_code(level, code), code)


def test_field_name_is_carried():
    problems = check_code("county", "1", field="org_code")
    assert_one_format_problem(problems, "1", field="org_code")


# --- nesting against the parent's code ------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "code", "parent"),
    [
        ("township", "110105001000", "110106"),
        ("township", "110105001000", "440524"),
        ("township", "110105001000", "120105000000"),
        ("village", "440524101001", "440524102000"),  # same county, other township
        ("village", "440524101001", "440525101000"),  # same township digits, other county
        ("village", "440524101001", "110105101000"),
        ("group", "440524101201001", "440524101202"),
        ("group", "440524101201001", "440524102201"),
        ("group", "440524101201001", "440525101201"),
    ],
)
def test_code_must_nest_in_parent(level, code, parent):
    problems = check_code(level, code, parent)
    assert_one_format_problem(problems, code)
    # The message names the expected parent so the user can fix the row.
    assert parent in problems[0].zh and parent in problems[0].en


def test_format_is_checked_before_nesting():
    # a malformed code is reported as malformed, not as a parent mismatch
    problems = check_code("village", "44052410100a", "440524101000")
    assert_one_format_problem(problems, "44052410100a")
    assert "440524101000" not in problems[0].zh


# --- unknown level --------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["", "country", "Province", "town"])
def test_unknown_level(level):
    problems = check_code(level, "110000")
    assert rules(problems) == ["bad_choice"]
    p = problems[0]
    assert p.field == "level" and p.value == level
    for key in LEVELS:
        assert key in p.zh and key in p.en
    assert "{" not in p.zh and "{" not in p.en


def test_every_level_is_handled():
    # no known level falls through to "unknown level"
    for level in LEVELS:
        assert "bad_choice" not in rules(check_code(level, "x"))
        assert rules(check_code(level, "x")) == ["code_format"]


def test_level_catalogue_parents_are_levels():
    assert codes.LEVEL_ORDER[0] == "province"
    for lv in LEVELS.values():
        assert lv.zh and lv.en
        for parent in lv.parents:
            assert parent in LEVELS
            assert codes.LEVEL_ORDER.index(parent) < codes.LEVEL_ORDER.index(lv.key) or lv.key == "unit"


def test_urban_rural_classes_are_the_published_ones():
    assert set(codes.URBAN_RURAL_CLASSES) == {"111", "112", "121", "122", "123", "210", "220"}
    assert codes.URBAN_RURAL_CLASSES["220"][0] == "村庄"
    assert codes.URBAN_RURAL_CLASSES["111"][0] == "主城区"


# --- township and village kinds -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "kind"),
    [
        ("001", "street"),
        ("050", "street"),
        ("099", "street"),
        ("100", "town"),
        ("150", "town"),
        ("199", "town"),
        ("200", "township"),
        ("300", "township"),
        ("399", "township"),
        ("400", "township_like"),
        ("500", "township_like"),
        ("599", "township_like"),
    ],
)
def test_township_kind(digits, kind):
    assert township_kind(f"440524{digits}000") == kind
    # village digits do not matter
    assert township_kind(f"440524{digits}201") == kind


@pytest.mark.parametrize(
    ("digits", "kind"),
    [
        ("001", "residents"),
        ("100", "residents"),
        ("199", "residents"),
        ("200", "villagers"),
        ("250", "villagers"),
        ("399", "villagers"),
    ],
)
def test_village_kind(digits, kind):
    assert village_kind(f"440524101{digits}") == kind
    # township digits do not matter
    assert village_kind(f"440524201{digits}") == kind


def test_kinds_cover_every_valid_code():
    """Every township / village code check_code accepts has a kind from DOMAIN.md's table."""
    for t in range(1, 600):
        code = f"440524{t:03d}000"
        assert check_code("township", code) == []
        expected = "street" if t <= 99 else "town" if t <= 199 else "township" if t <= 399 else "township_like"
        assert township_kind(code) == expected
    for v in range(1, 400):
        code = f"440524101{v:03d}"
        assert check_code("village", code) == []
        assert village_kind(code) == ("residents" if v <= 199 else "villagers")


# --- defects found by review, now fixed: each case stays as a regression test ---------------------


@pytest.mark.parametrize(
    ("level", "code", "parent"),
    [
        # str.isdigit() accepts non-ASCII digits (codes.py lines 73, 81, 96): full-width codes pass
        # as valid and would never match the ASCII codes stored for the same unit.
        pytest.param("county", "１１０１０５", None, id="fullwidth-county"),
        pytest.param("village", "４４０５２４１０１００１", None, id="fullwidth-village"),
        pytest.param("group", "44052410120100²", None, id="superscript-group"),
        # parent_code is ignored for the 6-digit levels although GB/T 2260 codes nest
        # (prefecture = province digits 1-2, county = prefecture digits 1-4).
        pytest.param("city", "440500", "110000", id="city-under-other-province"),
        pytest.param("county", "440524", "110100", id="county-under-other-prefecture"),
        pytest.param("county", "440524", "110000", id="county-under-other-province"),
        # county digits 5-6 = 00 is the prefecture's own code, not a county.
        pytest.param("county", "110100", None, id="county-ending-00"),
        # the village check accepts township digits 600-999, which the township check refuses.
        pytest.param("village", "110105700001", None, id="village-in-township-700"),
    ],
)
def test_malformed_or_misnested_codes_are_rejected(level, code, parent):
    assert rules(check_code(level, code, parent)) == ["code_format"]


@pytest.mark.parametrize(
    ("level", "code"),
    [
        # a superscript digit passes str.isdigit() and then crashes int() on codes.py line 83
        pytest.param("township", "11010500100²", id="superscript-township"),
        pytest.param("village", "1101050010²1", id="superscript-village"),
    ],
)
def test_check_code_never_raises_on_odd_digits(level, code):
    assert rules(check_code(level, code)) == ["code_format"]
