"""Administrative (GB/T 2260) and statistical (统计用区划代码) division codes, and unit levels."""

from __future__ import annotations

import re
from dataclasses import dataclass

from renkou.core.problems import Problem, problem


@dataclass(frozen=True)
class Level:
    key: str
    zh: str
    en: str
    parents: tuple[str, ...]


LEVELS: dict[str, Level] = {
    lv.key: lv
    for lv in (
        Level("province", "省", "province", ()),
        Level("city", "市", "city", ("province",)),
        Level("county", "县", "county", ("city", "province")),
        Level("township", "乡镇街道", "township", ("county",)),
        Level("village", "村居", "village", ("township",)),
        Level("group", "村民小组", "group", ("village",)),
        Level("unit", "单位", "work unit", ("county", "township", "village")),
    )
}
LEVEL_ORDER = tuple(LEVELS)

UNIT_KINDS = {
    "school": ("学校", "school"),
    "hospital": ("医院", "hospital"),
    "bureau": ("机关", "government bureau"),
    "enterprise": ("企业", "enterprise"),
    "other": ("其他单位", "other unit"),
}

URBAN_RURAL_CLASSES = {
    "111": ("主城区", "main urban area"),
    "112": ("城乡结合区", "urban-rural fringe"),
    "121": ("镇中心区", "town centre"),
    "122": ("镇乡结合区", "town-village fringe"),
    "123": ("特殊区域", "special area"),
    "210": ("乡中心区", "township centre"),
    "220": ("村庄", "village"),
}

_UNIT_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,23}$")
_ASCII_DIGITS = frozenset("0123456789")


def _digits(code: str, n: int) -> bool:
    """Exactly ``n`` ASCII digits (str.isdigit would also accept full-width and superscript digits)."""
    return len(code) == n and set(code) <= _ASCII_DIGITS


def township_kind(code12: str) -> str:
    """street, town, township or township-like, from digits 7-9 of a 12-digit code."""
    n = int(code12[6:9])
    if 1 <= n <= 99:
        return "street"
    if n <= 199:
        return "town"
    if n <= 399:
        return "township"
    return "township_like"


def village_kind(code12: str) -> str:
    """residents' committee (居委会) or villagers' committee (村委会), from digits 10-12."""
    return "residents" if int(code12[9:12]) <= 199 else "villagers"


def check_code(level: str, code: str, parent_code: str | None = None, *, field: str = "code") -> list[Problem]:
    """Problems with a unit's code for its level (and its parent's code, where the code nests)."""

    def bad(detail_zh: str, detail_en: str) -> list[Problem]:
        return [problem("code_format", field, code, detail=f"{detail_zh} / {detail_en}")]

    if level in ("province", "city", "county"):
        if not _digits(code, 6):
            return bad("应为 6 位数字", "6 digits expected")
        if level == "province" and not code.endswith("0000"):
            return bad("省级代码以 0000 结尾", "a province code ends in 0000")
        if level == "city" and (not code.endswith("00") or code.endswith("0000")):
            return bad("地级代码以 00 结尾", "a prefecture code ends in 00")
        if level == "county" and code.endswith("00"):
            return bad("县级代码末两位不为 00", "a county code does not end in 00")
        if parent_code is not None and _digits(parent_code, 6) and level != "province":
            # GB/T 2260 codes nest: a prefecture shares its province's first 2 digits, a county its
            # prefecture's first 4 (or its province's first 2 when the province administers it directly).
            width = 2 if parent_code.endswith("0000") else 4
            if code[:width] != parent_code[:width]:
                return bad(f"前 {width} 位应与上级 {parent_code} 一致", f"the first {width} digits must match the parent {parent_code}")
        return []
    if level in ("township", "village"):
        if not _digits(code, 12):
            return bad("应为 12 位统计用区划代码", "a 12-digit statistical code expected")
        t, v = int(code[6:9]), int(code[9:12])
        if level == "township":
            if not 1 <= t <= 599 or v != 0:
                return bad("乡级第 7-9 位为 001-599，末 3 位为 000", "township digits 7-9 are 001-599 and 10-12 are 000")
            if parent_code is not None and code[:6] != parent_code[:6]:
                return bad(f"前 6 位应为上级县代码 {parent_code}", f"the first 6 digits must be the county code {parent_code}")
        else:
            if not 1 <= v <= 399 or not 1 <= t <= 599:
                return bad("村级第 10-12 位为 001-399", "village digits 10-12 are 001-399")
            if parent_code is not None and code[:9] != parent_code[:9]:
                return bad(f"前 9 位应与上级乡镇 {parent_code} 一致", f"the first 9 digits must match the township {parent_code}")
        return []
    if level == "group":
        if not _digits(code, 15):
            return bad("村民小组代码为村代码加 3 位", "a group code is the village code plus 3 digits")
        if parent_code is not None and code[:12] != parent_code:
            return bad(f"前 12 位应为上级村代码 {parent_code}", f"the first 12 digits must be the village code {parent_code}")
        return []
    if level == "unit":
        if not _UNIT_CODE.match(code):
            return bad("单位代码为 2-24 位大写字母、数字或连字符", "a work-unit code is 2-24 capital letters, digits or hyphens")
        return []
    return [problem("bad_choice", "level", level, choices=", ".join(LEVELS))]
