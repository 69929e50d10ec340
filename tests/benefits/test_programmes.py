"""The programmes as data: the shipped file, its checks (every mistake named, in Chinese and English),
a county's rules folder, and documentation that cannot drift from the vocabulary."""

from __future__ import annotations

import copy
import datetime as dt
import json
from importlib import resources
from pathlib import Path

import polars as pl
import pytest

from renkou.benefits.eligibility.conditions import NOT_MET, When, condition_expr
from renkou.benefits.rules import programmes
from renkou.config import Settings
from renkou.errors import UserError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benefits.md"


def shipped() -> dict:
    return json.loads(resources.files("renkou.benefits").joinpath("data/programmes.json").read_text(encoding="utf-8"))


def test_the_four_programmes_are_shipped():
    ps = programmes.load(Settings())
    assert list(ps) == ["reward", "special", "onechild", "childcare"]
    assert (ps["reward"].short_zh, ps["special"].short_zh) == ("奖扶", "特扶")
    assert [p.beneficiary for p in ps.values()] == ["each_parent"] * 3 + ["child"]
    assert ps["childcare"].paid_to == "one_applicant" and ps["reward"].paid_to == "each_parent"
    assert [(p.unit, p.proration) for p in ps.values()] == [
        ("year", "months"),
        ("month", "months"),
        ("month", "months"),
        ("year", "months"),
    ]
    assert ps["special"].variants == ("child", "area")


def test_the_1973_2001_declaration_is_an_attestation_and_nothing_else_is():
    ps = programmes.load(Settings())
    [decl] = ps["reward"].attestations
    assert decl.key == "declaration" and "1973" in decl.zh and "never inferred" in decl.en
    assert all(not p.attestations for k, p in ps.items() if k != "reward")


def test_the_national_conditions_of_domain_md():
    ps = programmes.load(Settings())
    r = {c.key: c for c in ps["reward"].conditions}
    assert r["born"].params == {"date": dt.date(1933, 1, 1)} and r["age"].params == {"years": 60}
    assert r["children"].params["any_of"] == ((("living", 1),), (("daughters", 2), ("living", 2)), (("ever_min", 1), ("living", 0)))
    s = {c.key: c for c in ps["special"].conditions}
    assert s["wife_age"].params == {"years": 49} and s["child_died_or_disabled"].params == {"max_grade": 3}
    assert s["one_child"].params["any_of"] == ((("ever", 1),),)
    assert {c.key: c for c in ps["onechild"].conditions}["child_under_18"].params == {"years": 18}
    cc = {c.key: c for c in ps["childcare"].conditions}
    assert cc["in_force"].params == {"date": dt.date(2025, 1, 1)} and cc["under_3"].params == {"months": 36}


def _broken(path: list, value) -> dict:
    data = copy.deepcopy(shipped()["programmes"]["special"])
    target = data
    for k in path[:-1]:
        target = target[k]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


# (where, new value, what the message must name)
BAD = [
    (["beneficiary"], "family", "beneficiary"),
    (["unit"], "week", "unit"),
    (["proration"], "days", "proration"),
    (["determination_date"], "13-01", "determination_date"),
    (["starts"], "2008-13-01", "starts"),
    (["adopted_children"], "half", "adopted_children"),
    (["variants"], ["colour"], "variants"),
    (["zh"], KeyError, "zh"),
    (["conditions"], [], "conditions"),
    (["conditions", 0, "test"], "is_kind", "conditions.parent.test"),
    (["conditions", 4, "years"], "49", "conditions.wife_age.years"),
    (["conditions", 4, "years"], 0, "conditions.wife_age.years"),
    (["conditions", 6, "max_grade"], 5, "conditions.child_died_or_disabled.max_grade"),
    (["conditions", 2, "date"], "1933-13-01", "conditions.born.date"),
    (["conditions", 3, "who"], "child", "conditions.hukou.who"),
    (["conditions", 5, "any_of"], [{"twins": 1}], "conditions.one_child.any_of"),
    (["conditions", 5, "any_of"], [{"ever": -1}], "conditions.one_child.any_of.ever"),
    (["conditions", 5, "any_of"], [], "conditions.one_child.any_of"),
    (["conditions", 1, "colour"], "red", "conditions.alive"),
    (["conditions", 1, "key"], "parent", "conditions.key"),
    (["conditions", 1, "key"], "bad key", "conditions[].key"),
    (["conditions", 1, "en"], "", "conditions.alive.en"),
    (["conditions", 0], {"key": "alive2", "test": "alive", "zh": "在世", "en": "alive"}, "is_parent"),
]


@pytest.mark.parametrize("path, value, field", BAD, ids=[".".join(map(str, b[0])) + f"={b[1]!r}" for b in BAD])
def test_a_mistake_is_a_bilingual_error_naming_the_field_and_value(path, value, field):
    with pytest.raises(UserError) as e:
        programmes.parse("special", _broken(path, value))
    assert field in e.value.en and field in e.value.zh
    assert "special" in e.value.zh and "special" in e.value.en
    if value not in (KeyError, [], "") and not isinstance(value, (dict, list)):
        assert repr(value) in e.value.en


def test_a_child_programme_refuses_the_tests_about_parents():
    data = copy.deepcopy(shipped()["programmes"]["childcare"])
    data["conditions"].append({"key": "w", "test": "wife_age_at_least", "years": 49, "zh": "女方", "en": "wife"})
    with pytest.raises(UserError, match="programmes for parents"):
        programmes.parse("childcare", data)


def test_a_county_folder_replaces_and_adds_programmes(tmp_path):
    data = shipped()["programmes"]
    reward = copy.deepcopy(data["reward"])
    reward["adopted_children"] = "ignore"
    reward["conditions"][3]["years"] = 55
    extra = copy.deepcopy(data["onechild"])
    extra["zh"], extra["en"] = "独生子女父母奖励（浙江）", "One-child reward (Zhejiang)"
    extra["conditions"][-1]["years"] = 14
    (tmp_path / "programmes.json").write_text(json.dumps({"programmes": {"reward": reward, "onechild_zj": extra}}), encoding="utf-8")
    ps = programmes.load(Settings(benefit_rules=str(tmp_path)))
    assert list(ps) == ["reward", "special", "onechild", "childcare", "onechild_zj"]
    assert ps["reward"].adopted_children == "ignore" and ps["reward"].condition("age").params == {"years": 55}
    assert ps["onechild_zj"].condition("child_under_18").params == {"years": 14}
    assert ps["special"] == programmes.load(Settings())["special"]


@pytest.mark.parametrize("content, message", [("{", "cannot read"), ('{"x": 1}', "'programmes' object"), ("[]", "'programmes' object")])
def test_a_broken_county_file_is_a_clear_error(tmp_path, content, message):
    (tmp_path / "programmes.json").write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=message) as e:
        programmes.load(Settings(benefit_rules=str(tmp_path)))
    assert str(tmp_path / "programmes.json") in e.value.zh


def test_the_rules_folder_must_exist(tmp_path):
    with pytest.raises(UserError, match="RENKOU_BENEFIT_RULES") as e:
        programmes.load(Settings(benefit_rules=str(tmp_path / "nowhere")))
    assert "nowhere" in e.value.zh


def test_the_setting_comes_from_the_environment(tmp_path):
    assert Settings.from_env({"RENKOU_BENEFIT_RULES": str(tmp_path)}).benefit_rules == str(tmp_path)
    assert Settings.from_env({}).benefit_rules is None


def test_every_test_of_the_vocabulary_is_an_expression():
    """Each test evaluates over a one-row facts table with the columns renkou.benefits.eligibility.facts makes."""
    row = {
        "person": 1,
        "birth": 0,
        "death": None,
        "ever": 1,
        "living": 1,
        "sons": 0,
        "daughters": 1,
        "died": 0,
        "wife_birth": 0,
        "h": 5,
        "s_h": 5,
        "spouse": None,
        "rural": True,
        "s_rural": None,
        "child_death": None,
        "child_grade": None,
        "child_birth": 0,
    }
    facts = pl.DataFrame(
        [row],
        schema_overrides={"death": pl.Int32, "spouse": pl.Int64, "s_rural": pl.Boolean, "child_death": pl.Int32, "child_grade": pl.Int8},
    )
    sample = {"date": dt.date(1960, 1, 1), "years": 18, "who": "self", "any_of": ((("ever", 1),),), "max_grade": 3, "months": 36}
    for test, params in programmes.TESTS.items():
        c = programmes.Condition("k", test, "zh", "en", {p: sample[p] for p in params})
        got = facts.select(condition_expr(c, When.day(dt.date(2025, 6, 1)))).item()
        assert got in (0, 1, 2), test
    assert NOT_MET == 0


def test_the_documentation_names_every_test_programme_and_setting():
    text = DOCS.read_text(encoding="utf-8")
    for name in [*programmes.TESTS, *programmes.load(Settings()), "RENKOU_BENEFIT_RULES", "needs_attestation", *programmes.CHILDREN_KEYS]:
        assert f"`{name}`" in text, name
    for prog in programmes.load(Settings()).values():  # the generated programme tables are current
        for c in prog.conditions:
            assert f"| `{c.key}` | `{c.test}` |" in text and c.zh in text and c.en in text, (prog.key, c.key)
    conf = (DOCS.parent / "configuration.md").read_text(encoding="utf-8")
    assert "RENKOU_BENEFIT_RULES" in conf and "benefits.md" in conf


def test_the_day_a_programme_began_is_data_and_optional():
    shipped = programmes.load(Settings())
    assert {k: str(p.starts) for k, p in shipped.items()} == {
        "reward": "2004-01-01",
        "special": "2008-01-01",
        "onechild": "2002-09-01",
        "childcare": "2025-01-01",
    }
    assert programmes.parse("special", _broken(["starts"], KeyError)).starts is None  # a county's file may leave it out
