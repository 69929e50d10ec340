"""Aggregate exchange formats: DHIS2 ``dataValueSets`` JSON and ADX XML. Pure: no I/O, no database.

A ``DataValue`` is one number for one data element (our indicator or measure code), organisation unit
(our organisation code), period and optional disaggregation such as ``(("sex", "M"),)``.

DHIS2 JSON (``to_dhis2``) sends our codes as they are, not DHIS2 UIDs, so import it with the CODE id
scheme::

    POST /api/dataValueSets?dataElementIdScheme=CODE&orgUnitIdScheme=CODE&categoryOptionComboIdScheme=CODE

(``idScheme=CODE`` sets all of them at once, including the data set's). The DHIS2 objects must carry
the same codes. A disaggregation becomes a ``categoryOptionCombo`` code: ``coc_map[disaggregation]``
when given, else the option values joined with "_" in the order given — ``(("sex", "M"),)`` → "M",
``(("sex", "M"), ("age", "2"))`` → "M_2". No disaggregation → no ``categoryOptionCombo`` field, and
DHIS2 uses the default combination (unless ``coc_map`` has an entry for ``()``).

ADX (``to_adx``, namespace ``urn:ihe:qrph:adx:2015``): one ``<group>`` per organisation unit and period,
the period as ISO 8601 start/duration; each disaggregation is an extra attribute on ``<dataValue>``
(category code = option code), as DHIS2's ADX import expects. Output is sorted, so it is stable.

Values are written as strings: integers without ".0", other numbers with at most 4 decimals and no
exponent. NaN, infinity and missing values are refused (UserError), never written.
"""

from __future__ import annotations

import math
import numbers
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from renkou.errors import UserError
from renkou.stats.periods import Period

ADX_NS = "urn:ihe:qrph:adx:2015"
_RESERVED = {"dataElement", "value", "orgUnit", "period", "dataSet"}
_START = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f"
    "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_NCNAME = re.compile(f"[{_START}][{_START}\\-.0-9\u00b7\u0300-\u036f\u203f-\u2040]*")  # an XML name without ":"
_XML_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

Disaggregation = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DataValue:
    data_element: str  # our indicator or measure code
    org_unit: str  # our organisation code
    period: Period
    value: int | float
    disaggregation: Disaggregation = ()  # e.g. (("sex", "M"), ("agegroup", "2"))
    comment: str | None = None

    def where(self) -> tuple[str, str]:
        """This value's identity for error messages, in Chinese and English."""
        dis = ", ".join(f"{k}={v}" for k, v in self.disaggregation)
        dis = f" [{dis}]" if dis else ""
        return (
            f"数据元素 {self.data_element}{dis}、单位 {self.org_unit}、统计期 {self.period.id}",
            f"data element {self.data_element}{dis}, unit {self.org_unit}, period {self.period.id}",
        )


def format_value(dv: DataValue) -> str:
    """The value as DHIS2 and ADX expect it: "12", "0.1235", "-3.5"; refuses NaN, infinity and non-numbers."""
    v = dv.value
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return str(int(v))
    if isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v)):
        text = f"{float(v):.4f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    zh, en = dv.where()
    raise UserError(
        f"无法导出：{zh} 的数值为 {v!r}，不是有限的数字。",
        f"Cannot export: the value for {en} is {v!r}, not a finite number.",
        code="bad_value",
    )


def _coc(dv: DataValue, coc_map: dict | None) -> str | None:
    if coc_map and dv.disaggregation in coc_map:
        return coc_map[dv.disaggregation]
    return "_".join(v for _, v in dv.disaggregation) or None


def _duplicate(dv: DataValue) -> UserError:
    zh, en = dv.where()
    return UserError(f"无法导出：{zh} 出现了不止一个数值。", f"Cannot export: more than one value for {en}.", code="duplicate_value")


def to_dhis2(values: Iterable[DataValue], *, data_set: str | None = None, coc_map: dict | None = None) -> dict:
    """A DHIS2 dataValueSets document (JSON-ready dict), values in the order given. See the module docstring."""
    out: list[dict] = []
    seen: set[tuple] = set()
    for dv in values:
        row = {"dataElement": dv.data_element, "period": dv.period.dhis2, "orgUnit": dv.org_unit}
        coc = _coc(dv, coc_map)
        if coc is not None:
            row["categoryOptionCombo"] = coc
        row["value"] = format_value(dv)
        if dv.comment:
            row["comment"] = dv.comment
        key = (row["dataElement"], row["period"], row["orgUnit"], coc)
        if key in seen:
            raise _duplicate(dv)
        seen.add(key)
        out.append(row)
    return ({"dataSet": data_set} if data_set is not None else {}) | {"dataValues": out}


def _check_text(text: str, what_zh: str, what_en: str) -> str:
    if not isinstance(text, str) or _XML_BAD_CHARS.search(text):
        raise UserError(
            f"无法导出 ADX：{what_zh} {text!r} 含有 XML 不允许的字符。",
            f"Cannot export ADX: the {what_en} {text!r} contains characters XML does not allow.",
            code="bad_adx",
        )
    return text


def _check_attr(name: str) -> str:
    if not isinstance(name, str) or not _NCNAME.fullmatch(name) or name in _RESERVED or name.lower().startswith("xml"):
        raise UserError(
            f"无法导出 ADX：分类代码 {name!r} 不能用作 XML 属性名（须以字母或下划线开头，只含字母、数字、“-”“_”“.”）。",
            f"Cannot export ADX: the category code {name!r} is not usable as an XML attribute name "
            "(it must start with a letter or underscore and hold only letters, digits, '-', '_' and '.').",
            code="bad_adx",
        )
    return name


def to_adx(values: Iterable[DataValue], *, data_set: str, exported: datetime | str | None = None) -> str:
    """An ADX document (a string, with XML declaration): one group per (org unit, period), sorted."""
    groups: dict[tuple[str, str], dict[tuple, tuple[str, str | None]]] = {}
    for dv in values:
        value = format_value(dv)
        attrs = tuple(sorted((_check_attr(k), _check_text(v, "分类选项", "category option")) for k, v in dv.disaggregation))
        if len({k for k, _ in attrs}) != len(attrs):
            zh, en = dv.where()
            raise UserError(
                f"无法导出 ADX：{zh} 的同一分类出现了两次。", f"Cannot export ADX: a category is given twice for {en}.", code="bad_adx"
            )
        group = groups.setdefault((_check_text(dv.org_unit, "单位代码", "unit code"), dv.period.iso8601), {})
        key = (_check_text(dv.data_element, "数据元素", "data element"), attrs)
        if key in group:
            raise _duplicate(dv)
        group[key] = (value, dv.comment)
    if exported is None:
        exported = datetime.now(UTC).replace(microsecond=0)
    root = ET.Element("adx", {"xmlns": ADX_NS, "exported": exported if isinstance(exported, str) else exported.isoformat()})
    for (org_unit, period), group in sorted(groups.items()):
        g = ET.SubElement(root, "group", {"orgUnit": org_unit, "period": period, "dataSet": _check_text(data_set, "数据集", "data set")})
        for (element, attrs), (value, comment) in sorted(group.items()):
            v = ET.SubElement(g, "dataValue", {"dataElement": element, **dict(attrs), "value": value})
            if comment:
                ET.SubElement(v, "annotation").text = _check_text(comment, "备注", "comment")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
