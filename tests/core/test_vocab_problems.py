"""Controlled vocabularies (core/vocab.py) and the problem catalogue (core/problems.py)."""

from __future__ import annotations

import string

import pytest

from renkou.core import vocab
from renkou.core.problems import RULES, Problem, problem
from renkou.core.vocab import ETHNICITIES, HUKOU_TYPES, RELATIONS, SEXES, lookup

# --- vocab.lookup ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "raw", "code"),
    [
        # by code
        (SEXES, "M", "M"),
        (SEXES, "F", "F"),
        (ETHNICITIES, "01", "01"),
        (ETHNICITIES, "97", "97"),
        (HUKOU_TYPES, "non_agricultural", "non_agricultural"),
        # by Chinese name
        (SEXES, "男", "M"),
        (SEXES, "女", "F"),
        (ETHNICITIES, "汉族", "01"),
        (ETHNICITIES, "蒙古族", "02"),
        (ETHNICITIES, "其他", "97"),
        (HUKOU_TYPES, "非农业", "non_agricultural"),
        (HUKOU_TYPES, "农业", "agricultural"),
        (RELATIONS, "户主", "head"),
        # by English name, any case
        (SEXES, "male", "M"),
        (SEXES, "Female", "F"),
        (SEXES, "MALE", "M"),
        (HUKOU_TYPES, "unified resident", "resident"),
        (RELATIONS, "Child-In-Law", "child_in_law"),
        (ETHNICITIES, "other", "97"),
        # ethnicity without 族
        (ETHNICITIES, "汉", "01"),
        (ETHNICITIES, "蒙古", "02"),
        (ETHNICITIES, "土", "30"),  # not 土家族 (15)
        (ETHNICITIES, "土家", "15"),
        (ETHNICITIES, "基诺", "56"),
        # surrounding whitespace is ignored
        (SEXES, " 男 ", "M"),
        (ETHNICITIES, "\t汉族\n", "01"),
        (ETHNICITIES, " 02 ", "02"),
    ],
)
def test_lookup_finds(table, raw, code):
    assert lookup(table, raw) == code


@pytest.mark.parametrize(
    ("table", "raw"),
    [
        (SEXES, ""),
        (SEXES, "   "),
        (SEXES, "X"),
        (SEXES, "m"),  # codes are exact; only English names are case-insensitive
        (SEXES, "男性"),
        (SEXES, "mal"),
        (ETHNICITIES, ""),
        (ETHNICITIES, "族"),
        (ETHNICITIES, "99"),
        (ETHNICITIES, "00"),
        (ETHNICITIES, "汉族族"),
        (ETHNICITIES, "Han"),
        (ETHNICITIES, "火星"),
        (HUKOU_TYPES, "城镇"),
        (RELATIONS, "汉"),  # the 族-less form is for ethnicities only
    ],
)
def test_lookup_rejects_junk(table, raw):
    assert lookup(table, raw) is None


def test_ethnicity_table_follows_gb_3304():
    assert len(ETHNICITIES) == 58
    assert set(ETHNICITIES) == {f"{i:02d}" for i in range(1, 57)} | {"97", "98"}
    spot = {
        "01": "汉族",
        "02": "蒙古族",
        "03": "回族",
        "04": "藏族",
        "05": "维吾尔族",
        "08": "壮族",
        "10": "朝鲜族",
        "11": "满族",
        "15": "土家族",
        "30": "土族",
        "44": "俄罗斯族",
        "49": "京族",
        "56": "基诺族",
    }
    for code, zh in spot.items():
        assert ETHNICITIES[code][0] == zh
    names = [zh for zh, _ in ETHNICITIES.values()]
    assert len(set(names)) == len(names)


def test_every_vocab_entry_is_found_by_code_and_chinese_name():
    tables = [vocab.SEXES, vocab.HUKOU_TYPES, vocab.ETHNICITIES, vocab.RELATIONS, vocab.SOURCES, vocab.MARITAL_STATUSES, vocab.MOVE_SCOPES]
    for table in tables:
        for code, (zh, en) in table.items():
            assert lookup(table, code) == code
            assert lookup(table, zh) == code
            if en:
                assert lookup(table, en.upper()) == code


# --- problem catalogue ----------------------------------------------------------------------------


def template_names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_templates_use_plain_named_placeholders_only():
    for rule, (zh, en) in RULES.items():
        for template in (zh, en):
            for _, name, spec, conv in string.Formatter().parse(template):
                if name is None:
                    continue
                assert name.isidentifier(), (rule, template)
                assert not spec and not conv, (rule, template)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_formats_with_its_params(rule):
    zh_t, en_t = RULES[rule]
    assert zh_t.strip() and en_t.strip()
    names = template_names(zh_t) | template_names(en_t)
    params = {name: f"<{name}>" for name in names}
    p = problem(rule, "field_x", "value_y", **params)
    for text in (p.zh, p.en):
        assert text.strip()
        assert "{" not in text and "}" not in text
    for name in names:
        assert f"<{name}>" in p.zh + p.en
    described = p.describe()
    assert f"[{rule}]" in described and "field_x" in described and "value_y" in described


def test_catalogue_has_placeholders_where_expected():
    # guards template_names() itself: these rules certainly take parameters
    assert template_names(RULES["id_check"][0]) == {"expected", "actual"}
    assert template_names(RULES["id_sex_mismatch"][1]) == {"id_sex_en", "sex_en"}
    assert template_names(RULES["required"][0]) == set()


def test_missing_param_is_a_key_error():
    p = problem("id_check", "id_number", "x")
    with pytest.raises(KeyError):
        _ = p.zh


def test_unknown_rule_is_refused():
    with pytest.raises(KeyError):
        problem("no_such_rule")


def test_problem_values_and_params_become_strings():
    p = problem("too_long", "name", 12345, max=20)
    assert p.value == "12345"
    assert p.params == {"max": "20"}
    assert "20" in p.zh and "20" in p.en
    assert problem("required", "name", None).value == ""


def test_at_row_and_describe():
    p = problem("required", "name", "").at_row(7)
    assert isinstance(p, Problem)
    assert p.row == 7
    d = p.describe()
    assert "第 7 行" in d and "row 7" in d and "[required]" in d
    assert problem("required", "name").describe().startswith("name = ")
