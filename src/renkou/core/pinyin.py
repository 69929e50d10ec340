"""Pinyin keys of Chinese names, for search by pinyin (张伟 → ``zhangwei``, initials ``zw``).

Toneless, lower case, no separators. Characters are read one by one through a cache (a name costs a
few dictionary lookups, so a million names take about a second); the first character of a name is
read as a surname where the surname reading differs from the common one (单 shàn, 曾 zēng...).
Anything that is not a Chinese character is kept as it is, lower-cased (letters, digits, ·).
"""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

# Surnames whose reading differs from the character's most common reading (a closed, well-known list).
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "盖": "ge",
    "乐": "yue",
    "尉": "yu",
    "缪": "miao",
    "翟": "zhai",
    "覃": "qin",
    "隗": "wei",
    "繁": "po",
    "黑": "he",
    "种": "chong",
    "能": "nai",
    "召": "shao",
    "秘": "bi",
    "折": "she",
    "员": "yun",
    "冼": "xian",
    "藏": "zang",
}


_FULL: dict[int, str] = {}  # str.translate tables, filled as characters are met
_INIT: dict[int, str] = {}


def _cjk(c: str) -> bool:
    return "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"


def _learn(chars: set[str]) -> None:
    for c in chars:
        o = ord(c)
        if o in _FULL:
            continue
        if _cjk(c):
            py = lazy_pinyin(c, style=Style.NORMAL)[0].lower()
            _FULL[o], _INIT[o] = py, py[:1]
        elif c.isspace():
            _FULL[o] = _INIT[o] = ""
        else:
            _FULL[o] = _INIT[o] = c.lower()


def keys_many(names: list[str]) -> list[tuple[str, str]]:
    """``keys`` of many names at once (one C-level translate per name)."""
    _learn(set("".join(names)))
    out = []
    for n in names:
        n = n.strip()
        full, init = n.translate(_FULL), n.translate(_INIT)
        if n[:1] in SURNAME_READINGS:
            first = SURNAME_READINGS[n[0]]
            full, init = first + full[len(_FULL[ord(n[0])]) :], first[0] + init[1:]
        out.append((full[:100], init[:20]))
    return out


def keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, e.g. ("zhangwei", "zw"); at most 100 and 20 characters.
    Latin letters are kept as they are (lower-cased) in both."""
    return keys_many([name])[0]


def is_pinyin_query(text: str) -> bool:
    """True for a search text of Latin letters only (a pinyin or initials search)."""
    t = text.strip()
    return bool(t) and t.isascii() and t.replace(" ", "").isalpha()


def normalise_query(text: str) -> str:
    return text.strip().lower().replace(" ", "")
