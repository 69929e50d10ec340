"""String and value noise: the mistakes real external records (hospital, police, civil affairs) have.

Pure functions. Those that need chance take a ``np.random.Generator`` (numpy throughout the
synthetic generator, never Python's ``random``) and are deterministic for its state. Each returns
a changed value whenever a change is possible; the docstrings say when it is not.

Names are full names, surname first (``王芳``, ``欧阳修``); the surname is one character, or two for
the compound surnames of the name table. Blanking an ID number needs no function; an old 15-digit
number comes from :func:`renkou.core.idnumber.to_15`.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import opencc
from pypinyin import lazy_pinyin

from renkou.synth import names as name_lists

# Groups of characters that are easily misread or miswritten for one another (shared components,
# one stroke more or less). A character in several groups gets the union.
LOOKALIKE_GROUPS: tuple[str, ...] = (
    "己已巳",
    "未末",
    "士土",
    "洁沽",
    "娟绢涓鹃",
    "玲伶铃岭",
    "峰锋蜂",
    "晴睛倩",
    "琪棋淇祺",
    "日曰",
    "人入",
    "大太犬",
    "天夭",
    "干千于",
    "候侯",
    "戊戌戍",
    "凤风",
    "冶治怡",
    "析折",
    "杨扬汤",
    "汪江",
    "微徽",
    "壁璧",
    "辩辨辫",
    "王玉主",
    "白自",
    "贝见",
    "田由甲申",
    "刀力",
    "今令",
    "木本术",
    "元无",
    "宇字",
    "芳劳",
    "佳住往",
    "雪雷",
    "超起",
    "明朋",
    "颖颍",
    "霞暇瑕",
    "萍苹",
    "静靖",
    "琳淋霖",
    "伟纬苇",
    "莉利",
    "婷停",
    "浩洁",
    "梅海",
    "红虹",
    "华毕",
    "军车",
    "刚钢",
    "林材",
    "秀季",
    "英荚",
    "桂娃",
    "珍诊",
    "凯剀",
    "鹏鹃",
    "斌赋",
    "辉晖",
    "涵函",
    "轩杆",
    "瑶遥谣",
    "彤桐",
    "怡始",
    "泽择",
)


# Further real name characters that only serve as homophones of the table's characters (婷 -> 亭,
# 娟 -> 鹃, 凯 -> 楷), so that a clerk's mishearing has somewhere to go.
EXTRA_HOMOPHONE_CHARS = "亭庭廷霆涓鹃蔷得楷锴恺凝柠年峨双如儒汝钏舜莱徕守焕桓淳纯喆浙岸则择冰炳钢港法昆琨芸滢盈瀛"
EXTRA_WEIGHT = 5.0


@functools.cache
def _lookalikes() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for group in LOOKALIKE_GROUPS:
        for c in group:
            bucket = table.setdefault(c, [])
            bucket.extend(o for o in group if o != c and o not in bucket)
    return {c: tuple(v) for c, v in table.items()}


@functools.cache
def _common_chars() -> tuple[np.ndarray, np.ndarray]:
    """Given-name characters (surname-only ones left out) and their cumulative weights."""
    weights = name_lists.character_weights()
    given = name_lists.given_characters()
    chars = [c for c in weights if c in given]
    return np.asarray(chars), np.cumsum([weights[c] for c in chars])


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str], weights: list[float] | None = None) -> str:
    if weights is None:
        return options[int(rng.integers(len(options)))]
    cdf = np.cumsum(weights)
    return options[int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))]


def surname_length(name: str) -> int:
    """1, or 2 for a compound surname from the name table (欧阳修 -> 2); 0 for names of one character."""
    if len(name) <= 1:
        return 0
    if len(name) >= 3 and name[:2] in name_lists.compound_surnames():
        return 2
    return 1


def _replace(name: str, i: int, c: str) -> str:
    return name[:i] + c + name[i + 1 :]


def typo(name: str, rng: np.random.Generator) -> str:
    """One character of the given name replaced by a look-alike (己/已, 未/末, 娟/绢 ...) or, when it has
    none (or one time in four), by a random common name character.

    Exactly one character differs from the input; the surname is kept. An empty name is returned as is.
    """
    if not name:
        return name
    start = surname_length(name)
    positions = list(range(start, len(name)))
    table = _lookalikes()
    similar = [i for i in positions if name[i] in table]
    if similar and rng.random() < 0.75:
        i = _pick(rng, similar)
        return _replace(name, i, _pick(rng, table[name[i]]))
    i = _pick(rng, positions)
    chars, cdf = _common_chars()
    while True:
        c = str(chars[np.searchsorted(cdf, rng.random() * cdf[-1], side="right")])
        if c != name[i]:
            return _replace(name, i, c)


def toneless_pinyin(char: str) -> str:
    """The default reading of one character without tone (王 -> wang, 吕 -> lv)."""
    return lazy_pinyin(char)[0]


@functools.cache
def _homophone_weights() -> dict[str, float]:
    weights = dict(name_lists.character_weights())
    for c in EXTRA_HOMOPHONE_CHARS:
        weights.setdefault(c, EXTRA_WEIGHT)
    return weights


@functools.cache
def _homophone_groups() -> dict[str, tuple[str, ...]]:
    """Toneless pinyin -> the name characters (given-name and surname characters, and the extra
    homophone characters) read so."""
    groups: dict[str, list[str]] = {}
    for c in _homophone_weights():
        groups.setdefault(toneless_pinyin(c), []).append(c)
    return {p: tuple(cs) for p, cs in groups.items()}


def homophones(char: str, *, surnames_only: bool = False) -> tuple[str, ...]:
    """Other common name characters with the same toneless pinyin (静 -> 晶, 京, 敬 ...)."""
    group = _homophone_groups().get(toneless_pinyin(char), ())
    if surnames_only:
        allowed = set(name_lists.surname_list())
        return tuple(c for c in group if c != char and c in allowed)
    return tuple(c for c in group if c != char)


def homophone(name: str, rng: np.random.Generator) -> str:
    """One character replaced by a common name character of the same toneless pinyin (王芳 -> 王方,
    李静 -> 李晶), as when a clerk types a name that was spoken.

    Usually a given-name character; the surname (by another surname of the same sound) only one time
    in twenty, or when no given-name character has a homophone. More popular characters are the
    likelier replacements. Returns the name unchanged only when no character has a homophone.
    """
    start = surname_length(name)
    weights = _homophone_weights()
    given = [i for i in range(start, len(name)) if homophones(name[i])]
    family = [i for i in range(start) if homophones(name[i], surnames_only=True)] if start == 1 else []
    if not given and not family:
        return name
    if family and (not given or rng.random() < 0.05):
        i = family[0]
        options = homophones(name[i], surnames_only=True)
    else:
        i = _pick(rng, given)
        options = homophones(name[i])
    return _replace(name, i, _pick(rng, options, [weights[c] for c in options]))


@functools.cache
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def traditional(name: str) -> str:
    """The name in traditional characters (陈 -> 陳), as written in Hong Kong, Macao or Taiwan papers
    or by older clerks. Unchanged if no character has a different traditional form."""
    return _s2t().convert(name)


def swap_day_month(date: dt.date) -> dt.date | None:
    """The date with day and month swapped (2001-03-12 -> 2001-12-03), or None when that is no valid
    date (day > 12) or the same date (day == month)."""
    if date.day > 12 or date.day == date.month:
        return None
    return date.replace(month=date.day, day=date.month)


def id_digit_error(id_number: str, rng: np.random.Generator) -> str:
    """One wrong digit among the first 17 characters (the check character then usually no longer
    matches), or, one time in four, two different adjacent digits there transposed.

    Works on 15-digit numbers too (positions 0-14). Unchanged only if there is no digit to change.
    """
    digits = [i for i in range(min(len(id_number), 17)) if id_number[i].isdigit()]
    if not digits:
        return id_number
    pairs = [i for i in digits if i + 1 in digits and id_number[i] != id_number[i + 1]]
    if pairs and rng.random() < 0.25:
        i = _pick(rng, pairs)
        return id_number[:i] + id_number[i + 1] + id_number[i] + id_number[i + 2 :]
    i = _pick(rng, digits)
    new = (int(id_number[i]) + int(rng.integers(1, 10))) % 10
    return _replace(id_number, i, str(new))
