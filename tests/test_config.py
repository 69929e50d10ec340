"""Settings: every field documented as data, read from the environment in one place."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from renkou.config import Settings, settings_info
from renkou.errors import UserError

SRC = Path(__file__).resolve().parents[1] / "src" / "renkou"


def test_every_field_names_its_variable_and_describes_itself():
    infos = settings_info()
    assert [i.name for i in infos] == [f.name for f in dataclasses.fields(Settings)]
    for i in infos:
        assert i.env == "RENKOU_" + i.name.upper(), i
        assert i.zh and i.en and i.default, i
    assert len({i.env for i in infos}) == len(infos)


def test_no_module_but_config_reads_a_renkou_variable():
    offenders = []
    for f in SRC.rglob("*.py"):
        if f.name == "config.py" and f.parent == SRC:
            continue
        text = f.read_text(encoding="utf-8")
        if re.search(r"(os\.environ|getenv)[^\n]*RENKOU_", text) or re.search(r"os\.environ\.get\((ENV|[A-Z_]+)\)", text):
            offenders.append(str(f.relative_to(SRC)))
    assert offenders == []


@pytest.mark.parametrize(
    "env,field,value",
    [
        ({}, "resident_threshold_months", 3),
        ({"RENKOU_RESIDENT_THRESHOLD_MONTHS": "6"}, "resident_threshold_months", 6),
        ({"RENKOU_RESIDENT_THRESHOLD_MONTHS": ""}, "resident_threshold_months", 3),
        ({"RENKOU_STAT_YEAR_START": "1"}, "stat_year_start", 1),
        ({"RENKOU_BIRTH_ORDER_RULE": "couple"}, "birth_order_rule", "couple"),
        ({"RENKOU_COOKIE_SECURE": "0"}, "cookie_secure", False),
        ({"RENKOU_COOKIE_SECURE": "1"}, "cookie_secure", True),
        ({}, "cookie_secure", None),
        ({"RENKOU_REPORTS_DIR": "/srv/reports"}, "reports_dir", "/srv/reports"),
        ({"RENKOU_STATS_SNAPSHOT": "off"}, "stats_snapshot", "off"),
        ({"RENKOU_SECRET_KEY": "s3cret"}, "secret_key", "s3cret"),
        ({"RENKOU_ARGON2_PROFILE": "test"}, "argon2_profile", "test"),
    ],
)
def test_values_are_read_from_the_environment(env, field, value):
    assert getattr(Settings.from_env(env), field) == value


@pytest.mark.parametrize(
    "env,named",
    [
        ({"RENKOU_RESIDENT_THRESHOLD_MONTHS": "25"}, "RENKOU_RESIDENT_THRESHOLD_MONTHS"),
        ({"RENKOU_STAT_YEAR_START": "x"}, "RENKOU_STAT_YEAR_START"),
        ({"RENKOU_BENEFIT_POSTING_DAYS": "0"}, "RENKOU_BENEFIT_POSTING_DAYS"),
        ({"RENKOU_BIRTH_ORDER_RULE": "father"}, "RENKOU_BIRTH_ORDER_RULE"),
        ({"RENKOU_COOKIE_SECURE": "maybe"}, "RENKOU_COOKIE_SECURE"),
        ({"RENKOU_ARGON2_PROFILE": "fast"}, "RENKOU_ARGON2_PROFILE"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(env, named):
    with pytest.raises(UserError) as e:
        Settings.from_env(env)
    assert named in e.value.zh and named in e.value.en
