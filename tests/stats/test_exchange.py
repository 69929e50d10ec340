"""DHIS2 dataValueSets JSON and ADX XML from data values."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkou.errors import UserError
from renkou.stats.exchange import ADX_NS, DataValue, format_value, to_adx, to_dhis2
from renkou.stats.periods import parse

NS = {"adx": ADX_NS}
MAR = parse("2024-03")
Q1 = parse("2024Q1")
EXPORTED = datetime(2024, 4, 2, 8, 30, tzinfo=UTC)


def values() -> list[DataValue]:
    return [
        DataValue("BIRTHS", "330102001", MAR, 12, (("sex", "M"),)),
        DataValue("BIRTHS", "330102001", MAR, 10, (("sex", "F"),), comment="含 1 例双胞胎"),
        DataValue("CBR", "330102", Q1, 12.345678),
        DataValue("BIRTHS", "330102001", MAR, 3, (("sex", "M"), ("order", "2"))),
        DataValue("POP", "330101", Q1, 1500.0),
    ]


# ---------------------------------------------------------------- DHIS2 JSON


def test_dhis2_shape_and_string_values() -> None:
    doc = to_dhis2(values(), data_set="MONTHLY_RETURN")
    assert list(doc) == ["dataSet", "dataValues"] and doc["dataSet"] == "MONTHLY_RETURN"
    dv = doc["dataValues"]
    assert dv[0] == {"dataElement": "BIRTHS", "period": "202403", "orgUnit": "330102001", "categoryOptionCombo": "M", "value": "12"}
    assert dv[1]["comment"] == "含 1 例双胞胎" and dv[1]["categoryOptionCombo"] == "F"
    assert dv[2] == {"dataElement": "CBR", "period": "2024Q1", "orgUnit": "330102", "value": "12.3457"}  # no COC: default
    assert dv[3]["categoryOptionCombo"] == "M_2"  # values joined in the order given
    assert dv[4]["value"] == "1500"  # integral float without ".0"
    assert all(isinstance(v["value"], str) for v in dv)
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc


def test_dhis2_without_data_set_and_with_coc_map() -> None:
    coc_map = {(("sex", "M"),): "SEX_MALE", (("sex", "F"),): "SEX_FEMALE", (): "TOTAL"}
    doc = to_dhis2(values(), coc_map=coc_map)
    assert "dataSet" not in doc
    assert [v["categoryOptionCombo"] for v in doc["dataValues"]] == ["SEX_MALE", "SEX_FEMALE", "TOTAL", "M_2", "TOTAL"]


def test_dhis2_period_it_cannot_express() -> None:
    for text in ("2024-03YTD", "2024-01-01/2024-02-15", "2023Sep"):
        p = parse(text)
        with pytest.raises(UserError) as err:
            to_dhis2([DataValue("BIRTHS", "330102", p, 1)])
        assert p.id in err.value.zh and p.id in err.value.en


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, None, "12", True])
def test_non_finite_or_missing_values_are_refused(bad: object) -> None:
    dv = DataValue("CBR", "330102", Q1, bad)  # type: ignore[arg-type]
    for export in (lambda: to_dhis2([dv]), lambda: to_adx([dv], data_set="Q")):
        with pytest.raises(UserError) as err:
            export()
        for msg in (err.value.zh, err.value.en):
            assert "CBR" in msg and "330102" in msg and "2024Q1" in msg


def test_duplicate_values_are_refused() -> None:
    dup = [DataValue("BIRTHS", "330102", MAR, 1, (("sex", "M"),)), DataValue("BIRTHS", "330102", MAR, 2, (("sex", "M"),))]
    with pytest.raises(UserError, match="more than one value"):
        to_dhis2(dup)
    with pytest.raises(UserError, match="more than one value"):
        to_adx(dup, data_set="M")


@pytest.mark.parametrize(
    "value, text",
    [
        (12, "12"),
        (0, "0"),
        (-3, "-3"),
        (12.0, "12"),
        (0.5, "0.5"),
        (12.345678, "12.3457"),
        (1e20, "100000000000000000000"),
        (1e-7, "0"),
        (-1e-7, "0"),
        (2.5e-3, "0.0025"),
        (10**25, "10000000000000000000000000"),
    ],
)
def test_format_value(value: float, text: str) -> None:
    assert format_value(DataValue("X", "U", MAR, value)) == text


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.integers(-(10**15), 10**15), st.floats(-1e15, 1e15, allow_nan=False)))
def test_format_value_is_plain_decimal_close_to_the_value(value: float) -> None:
    text = format_value(DataValue("X", "U", MAR, value))
    assert "e" not in text.lower() and not text.endswith(".0") and text != "-0"
    assert len(text.partition(".")[2]) <= 4
    assert abs(float(text) - value) <= 0.00005 + abs(value) * 1e-15


# ---------------------------------------------------------------- ADX XML


def test_adx_structure_attributes_and_order() -> None:
    xml = to_adx(values(), data_set="MONTHLY_RETURN", exported=EXPORTED)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == f"{{{ADX_NS}}}adx"
    assert root.get("exported") == "2024-04-02T08:30:00+00:00"
    groups = root.findall("adx:group", NS)
    assert [(g.get("orgUnit"), g.get("period"), g.get("dataSet")) for g in groups] == [
        ("330101", "2024-01-01/P3M", "MONTHLY_RETURN"),
        ("330102", "2024-01-01/P3M", "MONTHLY_RETURN"),
        ("330102001", "2024-03-01/P1M", "MONTHLY_RETURN"),
    ]
    births = groups[2].findall("adx:dataValue", NS)
    assert [dict(v.attrib) for v in births] == [  # sorted by element, then by the sorted (category, option) pairs
        {"dataElement": "BIRTHS", "order": "2", "sex": "M", "value": "3"},
        {"dataElement": "BIRTHS", "sex": "F", "value": "10"},
        {"dataElement": "BIRTHS", "sex": "M", "value": "12"},
    ]
    assert list(births[0].attrib) == ["dataElement", "order", "sex", "value"]
    assert births[1].find("adx:annotation", NS).text == "含 1 例双胞胎"
    assert births[2].find("adx:annotation", NS) is None
    assert groups[1].find("adx:dataValue", NS).attrib == {"dataElement": "CBR", "value": "12.3457"}
    assert groups[0].find("adx:dataValue", NS).get("value") == "1500"


def test_adx_is_stable_whatever_the_input_order() -> None:
    a = to_adx(values(), data_set="M", exported=EXPORTED)
    b = to_adx(list(reversed(values())), data_set="M", exported=EXPORTED)
    assert a == b


def test_adx_expresses_periods_dhis2_cannot() -> None:
    xml = to_adx([DataValue("BIRTHS", "330102", parse("2024-05-17YTD"), 7)], data_set="M", exported="2024-05-18T00:00:00Z")
    root = ET.fromstring(xml)
    assert root.get("exported") == "2024-05-18T00:00:00Z"
    assert root.find("adx:group", NS).get("period") == "2024-01-01/P138D"


def test_adx_default_exported_is_now_in_utc() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    exported = datetime.fromisoformat(ET.fromstring(to_adx(values(), data_set="M")).get("exported"))
    assert exported.utcoffset().total_seconds() == 0
    assert before <= exported <= datetime.now(UTC)


@pytest.mark.parametrize("name", ["1sex", "sex code", "a:b", "", "value", "dataElement", "xmlFoo", "性别?"])
def test_adx_rejects_attribute_names_xml_cannot_carry(name: str) -> None:
    with pytest.raises(UserError) as err:
        to_adx([DataValue("BIRTHS", "330102", MAR, 1, ((name, "M"),))], data_set="M")
    assert repr(name) in err.value.zh and repr(name) in err.value.en


@pytest.mark.parametrize("name", ["sex", "_age", "age.group", "age-group", "性别"])
def test_adx_accepts_valid_xml_names(name: str) -> None:
    root = ET.fromstring(to_adx([DataValue("BIRTHS", "330102", MAR, 1, ((name, "M"),))], data_set="M", exported=EXPORTED))
    assert root.find("adx:group/adx:dataValue", NS).get(name) == "M"


def test_adx_rejects_control_characters_and_repeated_categories() -> None:
    with pytest.raises(UserError, match="XML"):
        to_adx([DataValue("BIRTHS", "330\x01102", MAR, 1)], data_set="M")
    with pytest.raises(UserError, match="category is given twice"):
        to_adx([DataValue("BIRTHS", "330102", MAR, 1, (("sex", "M"), ("sex", "F")))], data_set="M")


def test_adx_escapes_markup_in_codes() -> None:
    root = ET.fromstring(to_adx([DataValue('A&B"<', "330102", MAR, 1)], data_set="M", exported=EXPORTED))
    assert root.find("adx:group/adx:dataValue", NS).get("dataElement") == 'A&B"<'
