"""Resident ID numbers (GB 11643-1999), DOMAIN.md §3."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkou.core import idnumber
from renkou.core.idnumber import IdNumber, check_char, discrepancies, make, mask, normalize, to_15, validate

# --- strategies -----------------------------------------------------------------------------------

# a division code: six digits, never of the province 00 (no such place; validate() refuses it)
address_codes = st.text(alphabet="0123456789", min_size=6, max_size=6).filter(lambda a: not a.startswith("00"))
# validate() treats birth years before 1800 as impossible; make() is only meaningful from there on.
birth_dates = st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2099, 12, 31))
births_1900s = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31))
sequences = st.integers(min_value=0, max_value=999)

FAST = settings(max_examples=200, deadline=None)


def rules(problems) -> list[str]:
    return [p.rule for p in problems]


def assert_renders(p) -> None:
    """Both messages exist, are filled in, and describe() works."""
    for text in (p.zh, p.en):
        assert text.strip()
        assert "{" not in text and "}" not in text
    assert p.rule in p.describe()


def independent_check_char(first17: str) -> str:
    """MOD 11-2 computed from the standard's definition (weights 2^(i) mod 11), not from the module."""
    s = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    return "10X98765432"[s % 11]


# --- the check character --------------------------------------------------------------------------


def test_weights_are_the_published_ones():
    assert idnumber.WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert idnumber.CHECK_CHARS == "10X98765432"


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),
        ("44052418800101001", "4"),
        ("00000000000000000", "1"),  # S = 0
    ],
)
def test_check_char_known_values(first17, expected):
    assert check_char(first17) == expected


@pytest.mark.parametrize("bad", ["", "1101051949123100", "110105194912310021", "1101051949123100X", "11010519491231 02"])
def test_check_char_refuses_anything_but_17_digits(bad):
    with pytest.raises(ValueError):
        check_char(bad)


@FAST
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_char_matches_mod_11_2_definition(first17):
    assert check_char(first17) == independent_check_char(first17)


# --- properties of make() / validate() ------------------------------------------------------------


@FAST
@given(address_codes, birth_dates, sequences)
def test_made_numbers_validate_and_round_trip(address, birth, seq):
    value = make(address, birth, seq)
    assert len(value) == 18
    num, problems = validate(value)
    assert problems == []
    assert num is not None
    assert num.value == value
    assert num.converted_from_15 is False
    assert num.address_code == address
    assert num.birth_date == birth
    assert num.sequence == seq
    assert num.sex == ("M" if seq % 2 == 1 else "F")
    assert idnumber.is_valid(value)
    assert idnumber.parse(value) == num


@FAST
@given(address_codes, birth_dates, sequences, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_digit_substitution_is_caught(address, birth, seq, position, delta):
    value = make(address, birth, seq)
    digit = (int(value[position]) + delta) % 10
    changed = value[:position] + str(digit) + value[position + 1 :]
    assert changed != value
    num, problems = validate(changed)
    assert num is None
    # Whatever else broke (a date digit may now make an impossible date), the check character
    # must catch the substitution on its own: MOD 11-2 detects every single-digit error.
    assert "id_check" in rules(problems)
    assert check_char(changed[:17]) != value[17]


@FAST
@given(address_codes, birth_dates, sequences, st.sampled_from("0123456789X"))
def test_any_other_check_character_is_caught(address, birth, seq, replacement):
    value = make(address, birth, seq)
    changed = value[:17] + replacement
    num, problems = validate(changed)
    if replacement == value[17]:
        assert num is not None and problems == []
    else:
        assert num is None
        assert rules(problems) == ["id_check"]
        assert problems[0].params == {"expected": value[17], "actual": replacement}


@FAST
@given(address_codes, births_1900s, sequences)
def test_15_digit_form_converts_to_the_same_number(address, birth, seq):
    value = make(address, birth, seq)
    old = to_15(value)
    assert len(old) == 15
    assert old.isdigit()
    num, problems = validate(old)
    assert problems == []
    assert num is not None
    assert num.value == value
    assert num.converted_from_15 is True
    assert num.birth_date == birth
    assert num.sex == ("M" if seq % 2 == 1 else "F")


@FAST
@given(st.text(min_size=11, max_size=30))
def test_mask_keeps_first_6_and_last_4(value):
    m = mask(value)
    assert len(m) == len(value)
    assert m[:6] == value[:6]
    assert m[-4:] == value[-4:]
    assert m[6:-4] == "*" * (len(value) - 10)


@FAST
@given(address_codes, birth_dates, sequences)
def test_mask_of_an_id_number_hides_birth_date_and_sequence(address, birth, seq):
    value = make(address, birth, seq)
    m = mask(value)
    assert m == value[:6] + "********" + value[14:]
    assert IdNumber(value).masked() == m


# --- table-driven: valid numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "birth", "sex", "address"),
    [
        ("11010519491231002X", "11010519491231002X", dt.date(1949, 12, 31), "F", "110105"),
        ("440524188001010014", "440524188001010014", dt.date(1880, 1, 1), "M", "440524"),
        ("11010519491231002x", "11010519491231002X", dt.date(1949, 12, 31), "F", "110105"),
        (" 110105 19491231 002X ", "11010519491231002X", dt.date(1949, 12, 31), "F", "110105"),
        ("\u3000110105\u300019491231\u3000002x\u3000", "11010519491231002X", dt.date(1949, 12, 31), "F", "110105"),
        ("11010519491231002X\n", "11010519491231002X", dt.date(1949, 12, 31), "F", "110105"),
        # 110102 (Beijing Xicheng, merged 2010) is a retired county code: still a valid number.
        (make("110102", dt.date(1960, 5, 1), 13), make("110102", dt.date(1960, 5, 1), 13), dt.date(1960, 5, 1), "M", "110102"),
    ],
)
def test_valid_numbers(raw, value, birth, sex, address):
    num, problems = validate(raw)
    assert problems == []
    assert num == IdNumber(value)
    assert num.birth_date == birth
    assert num.sex == sex
    assert num.address_code == address


@pytest.mark.parametrize(
    "raw",
    [
        make("000000", dt.date(2000, 2, 29), 8),  # the check character is right: only the place is wrong
        make("001234", dt.date(1980, 1, 1), 1),  # no province has the code 00
        "000000491231002",  # the old 15-digit form
    ],
)
def test_an_address_code_of_no_place_is_refused(raw):
    num, problems = validate(raw)
    assert num is None
    assert rules(problems) == ["id_address"]
    assert problems[0].params == {"code": raw[:6]}
    assert_renders(problems[0])


def test_published_examples_details():
    a = idnumber.parse("11010519491231002X")
    assert (a.sequence, a.sex) == (2, "F")
    b = idnumber.parse("440524188001010014")
    assert (b.sequence, b.sex) == (1, "M")


def test_15_digit_example_converts():
    num, problems = validate("110105491231002")
    assert problems == []
    assert num == IdNumber("11010519491231002X", converted_from_15=True)
    assert num.birth_date == dt.date(1949, 12, 31)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002x", "11010519491231002X"),
        (" 1101 0519 4912 3100 2X ", "11010519491231002X"),
        ("\u30001101\u30000519491231002X", "11010519491231002X"),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_birth_date_today_is_not_in_the_future():
    value = make("110105", dt.date(2026, 11, 1), 1)
    num, problems = validate(value, today=dt.date(2026, 11, 1))
    assert problems == [] and num is not None


def test_future_date_without_today_is_not_checked():
    # validate() never reads the clock: without today= a far-future date is only checked for existence.
    num, problems = validate(make("110105", dt.date(2090, 1, 1), 1))
    assert problems == [] and num is not None


# --- table-driven: invalid numbers ----------------------------------------------------------------

TODAY = dt.date(2026, 11, 1)


@pytest.mark.parametrize(
    ("raw", "expected", "actual"),
    [
        ("110105194912310021", "X", "1"),
        ("110105194912310020", "X", "0"),
        ("440524188001010015", "4", "5"),
        ("44052418800101001X", "4", "X"),
        ("44052418800101001x", "4", "X"),
    ],
)
def test_wrong_check_character(raw, expected, actual):
    num, problems = validate(raw)
    assert num is None
    assert rules(problems) == ["id_check"]
    p = problems[0]
    assert p.params == {"expected": expected, "actual": actual}
    assert p.field == "id_number"
    assert p.value == raw
    assert expected in p.zh and expected in p.en
    assert_renders(p)
    with pytest.raises(ValueError, match=expected):
        idnumber.parse(raw)
    assert not idnumber.is_valid(raw)


def _with_check(first17: str) -> str:
    return first17 + independent_check_char(first17)


@pytest.mark.parametrize(
    ("raw", "date_param"),
    [
        (_with_check("11010519490230002"), "19490230"),  # 30 February
        (_with_check("11010519491301002"), "19491301"),  # month 13
        (_with_check("11010519490001002"), "19490001"),  # month 0
        (_with_check("11010519490100002"), "19490100"),  # day 0
        (_with_check("11010519490431002"), "19490431"),  # 31 April
        (_with_check("11010519000229002"), "19000229"),  # 1900 is not a leap year
        (_with_check("11010520230229002"), "20230229"),
        (_with_check("11010517991231002"), "17991231"),  # before 1800
        (_with_check("11010500000101002"), "00000101"),  # year 0
        ("110105490230002", "19490230"),  # 15-digit, 30 February
        ("110105001301002", "19001301"),  # 15-digit, month 13
        ("110105000229002", "19000229"),  # 15-digit, 1900 not leap
    ],
)
def test_impossible_birth_date(raw, date_param):
    num, problems = validate(raw)
    assert num is None
    assert rules(problems) == ["id_date"]
    p = problems[0]
    assert p.params == {"date": date_param}
    assert date_param in p.zh and date_param in p.en
    assert_renders(p)


def test_impossible_date_and_wrong_check_are_both_reported():
    raw = "110105194902300021"
    assert independent_check_char(raw[:17]) != "1"
    num, problems = validate(raw)
    assert num is None
    assert rules(problems) == ["id_date", "id_check"]
    for p in problems:
        assert_renders(p)


@pytest.mark.parametrize("birth", [dt.date(2026, 11, 2), dt.date(2027, 1, 1), dt.date(2099, 12, 31)])
def test_future_birth_date(birth):
    raw = make("110105", birth, 1)
    num, problems = validate(raw, today=TODAY)
    assert num is None
    assert rules(problems) == ["id_future"]
    p = problems[0]
    assert p.params == {"date": birth.isoformat()}
    assert birth.isoformat() in p.zh and birth.isoformat() in p.en
    assert_renders(p)
    with pytest.raises(ValueError):
        idnumber.parse(raw, today=TODAY)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "\u3000",
        "1",
        "11010519491231002",
        "11010519491231002X1",
        "1101051949123100",
        "11010549123100",
        "1101054912310021",
        "1" * 40,
    ],
)
def test_wrong_length(raw):
    num, problems = validate(raw)
    assert num is None
    assert rules(problems) == ["id_length"]
    assert problems[0].value == raw
    assert_renders(problems[0])


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002Y",
        "1101051949123100XX",
        "X10105194912310021",
        "11010A19491231002X",
        "110105-9491231002X",
        "11010519491231002\u00d7",  # multiplication sign, not X
        "11010549123100X",  # 15-digit form has no check character
        "1101054912310a2",
    ],
)
def test_non_digit_characters(raw):
    num, problems = validate(raw)
    assert num is None
    assert rules(problems) == ["id_chars"]
    assert_renders(problems[0])


def test_full_width_digits_from_chinese_input_methods_are_normalised():
    full = "\uff11\uff11\uff10\uff11\uff10\uff15\uff11\uff19\uff14\uff19\uff11\uff12\uff13\uff11\uff10\uff10\uff12\uff38"
    num, problems = validate(full)
    assert problems == [] and num.value == "11010519491231002X"


def test_custom_field_name_is_carried():
    _, problems = validate("123", field="mother_id")
    assert problems[0].field == "mother_id"


# --- make / to_15 guards --------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "seq"), [("11010", 1), ("1101051", 1), ("11010a", 1), ("110105", -1), ("110105", 1000)])
def test_make_refuses_bad_input(address, seq):
    with pytest.raises(ValueError):
        make(address, dt.date(1990, 1, 1), seq)


@pytest.mark.parametrize("birth", [dt.date(1899, 12, 31), dt.date(2000, 1, 1), dt.date(1880, 1, 1)])
def test_to_15_only_for_1900s(birth):
    with pytest.raises(ValueError):
        to_15(make("110105", birth, 1))


def test_to_15_example():
    assert to_15("11010519491231002X") == "110105491231002"


# --- discrepancies --------------------------------------------------------------------------------


def test_sex_mismatch_is_a_finding_not_a_rejection():
    raw = "11010519491231002X"  # female
    num, problems = validate(raw)
    assert num is not None and problems == []
    found = discrepancies(num, sex="M", birth_date=dt.date(1949, 12, 31))
    assert rules(found) == ["id_sex_mismatch"]
    p = found[0]
    assert p.value == raw
    assert p.params == {"id_sex": "女", "sex": "男", "id_sex_en": "female", "sex_en": "male"}
    assert "女" in p.zh and "男" in p.zh
    assert "female" in p.en and "male" in p.en
    assert_renders(p)


def test_sex_mismatch_other_direction():
    num = idnumber.parse("440524188001010014")  # male
    found = discrepancies(num, sex="F", birth_date=None)
    assert rules(found) == ["id_sex_mismatch"]
    assert found[0].params["id_sex_en"] == "male" and found[0].params["sex_en"] == "female"
    assert_renders(found[0])


def test_birth_mismatch_is_a_finding_not_a_rejection():
    raw = "440524188001010014"
    num, problems = validate(raw)
    assert num is not None and problems == []
    found = discrepancies(num, sex="M", birth_date=dt.date(1880, 10, 1))
    assert rules(found) == ["id_birth_mismatch"]
    p = found[0]
    assert p.params == {"id_date": "1880-01-01", "date": "1880-10-01"}
    assert "1880-01-01" in p.zh and "1880-10-01" in p.en
    assert_renders(p)


def test_both_mismatches_reported():
    num = idnumber.parse("11010519491231002X")
    found = discrepancies(num, sex="M", birth_date=dt.date(1949, 1, 31), field="id")
    assert rules(found) == ["id_sex_mismatch", "id_birth_mismatch"]
    assert all(p.field == "id" for p in found)


@pytest.mark.parametrize(
    ("sex", "birth"),
    [("F", dt.date(1949, 12, 31)), (None, None), ("U", dt.date(1949, 12, 31)), ("", None)],
)
def test_no_discrepancy_when_record_agrees_or_is_unknown(sex, birth):
    num = idnumber.parse("11010519491231002X")
    assert discrepancies(num, sex=sex, birth_date=birth) == []


@FAST
@given(address_codes, birth_dates, sequences, st.sampled_from(["M", "F"]), birth_dates)
def test_discrepancies_property(address, birth, seq, sex, recorded_birth):
    num = idnumber.parse(make(address, birth, seq))
    found = rules(discrepancies(num, sex=sex, birth_date=recorded_birth))
    assert ("id_sex_mismatch" in found) == (sex != num.sex)
    assert ("id_birth_mismatch" in found) == (recorded_birth != birth)
