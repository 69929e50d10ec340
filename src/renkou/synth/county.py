"""The generated county's organisation: townships and streets, villages and communities, groups and
work units, with valid 12-digit statistical codes and urban-rural classes, and its history (a
township renamed, villages merged, the county itself re-coded when it became a city).

All names are invented from common place-name parts; the codes are well-formed but the county is
fictitious.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

COUNTY_CODE = "410185"  # the county's code today
OLD_COUNTY_CODE = "410126"  # its code before it became a county-level city (retired, never reused)
RECODE_DATE = dt.date(1994, 5, 1)
COUNTY_NAME = "嵩阳市"
FOUNDED = dt.date(1949, 10, 1)

_DIRECTIONS = "东西南北前后上下"
_SURNAME_PLACES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
_PLACE_SUFFIXES = "庄营寨屯集店楼桥岗湾河沟坡洼岭园堡村台"
_TOWN_WORDS = [
    "大冶",
    "告成",
    "阳城",
    "卢店",
    "颍阳",
    "君召",
    "石道",
    "东华",
    "唐庄",
    "徐庄",
    "大金店",
    "白坪",
    "宣化",
    "送表",
    "崔庙",
    "马寨",
    "新店",
    "芦庄",
    "城头",
    "永安",
    "太平",
    "长乐",
    "兴隆",
    "青龙",
    "龙泉",
    "安乐",
    "仁和",
    "三官",
]
_STREET_WORDS = ["嵩阳", "中岳", "少林", "少室", "城关", "东城", "西城", "南城", "北城", "新城", "滨河", "文化"]
_COMMUNITY_WORDS = [
    "和平",
    "建设",
    "人民",
    "幸福",
    "文化",
    "胜利",
    "解放",
    "新华",
    "朝阳",
    "光明",
    "民主",
    "团结",
    "育才",
    "书院",
    "健康",
    "红旗",
    "工农",
    "滨河",
    "花园",
    "阳光",
    "锦绣",
    "丽景",
    "翠苑",
    "迎宾",
    "府前",
    "南关",
    "北关",
    "东关",
    "西关",
]
_GROUP_NUMERALS = "一二三四五六七八九十"

WORK_UNITS = [  # (code suffix, name, kind, staff weight)
    ("RMYY", "人民医院", "hospital", 4),
    ("ZYY", "中医院", "hospital", 2),
    ("FYBJY", "妇幼保健院", "hospital", 2),
    ("WJW", "卫生健康委员会", "bureau", 1),
    ("GAJ", "公安局", "bureau", 2),
    ("MZJ", "民政局", "bureau", 1),
    ("JYJ", "教育局", "bureau", 1),
    ("CZJ", "财政局", "bureau", 1),
    ("YZ", "第一高级中学", "school", 3),
    ("EZ", "第二高级中学", "school", 2),
    ("SYXX", "实验小学", "school", 2),
    ("SYZX", "实验中学", "school", 2),
    ("FZC", "纺织厂", "enterprise", 5),
    ("SNC", "水泥厂", "enterprise", 4),
    ("MKGS", "煤矿有限公司", "enterprise", 6),
    ("SPGS", "食品有限公司", "enterprise", 3),
    ("NJC", "农机修造厂", "enterprise", 2),
]


@dataclass
class Unit:
    code: str
    name: str
    level: str  # county | township | village | group | unit
    parent: int  # index of the parent unit, -1 for the county
    urban_rural: str | None = None
    unit_kind: str | None = None
    valid_from: dt.date = FOUNDED
    urban: bool = False  # a street community or town centre: non-agricultural hukou, the in-migrants' destination
    weight: float = 1.0  # relative size at the start


@dataclass
class OrgPlan:
    units: list[Unit]
    villages: np.ndarray  # indexes of village-level units (where people are registered and live)
    groups: dict[int, list[int]] = field(default_factory=dict)  # village index -> its groups
    work_units: list[int] = field(default_factory=list)
    renames: list[tuple[int, str, dt.date]] = field(default_factory=list)
    merges: list[tuple[list[int], int, dt.date]] = field(default_factory=list)
    township_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # unit index -> township index

    @property
    def county(self) -> Unit:
        return self.units[0]


def sizes(n_persons: int) -> tuple[int, int]:
    """(townships, villages per township): about 15 x 20 for a million persons, fewer for less."""
    f = (max(n_persons, 1000) / 1_000_000) ** 0.25
    return max(3, min(15, round(15 * f))), max(4, min(20, round(20 * f)))


def _unique(rng: np.random.Generator, make, taken: set[str]) -> str:
    for _ in range(1000):
        s = make()
        if s not in taken:
            taken.add(s)
            return s
    raise RuntimeError("ran out of names")


def _village_name(rng: np.random.Generator) -> str:
    a = _SURNAME_PLACES[rng.integers(len(_SURNAME_PLACES))]
    b = _PLACE_SUFFIXES[rng.integers(len(_PLACE_SUFFIXES))]
    if rng.random() < 0.3:
        return _DIRECTIONS[rng.integers(len(_DIRECTIONS))] + a + b
    return a + b


def build(n_persons: int, rng: np.random.Generator, *, start_year: int, end_year: int) -> OrgPlan:
    n_town, per = sizes(n_persons)
    n_street = max(1, round(n_town * 0.2))
    n_zhen = max(1, round(n_town * 0.47))
    kinds = ["street"] * n_street + ["town"] * n_zhen + ["township"] * (n_town - n_street - n_zhen)
    units = [Unit(COUNTY_CODE, COUNTY_NAME, "county", -1)]
    villages: list[int] = []
    groups: dict[int, list[int]] = {}
    town_names = list(_TOWN_WORDS)
    rng.shuffle(town_names)
    street_names = list(_STREET_WORDS)
    counters = {"street": 0, "town": 100, "township": 200}
    township_of = [0]
    for kind in kinds:
        counters[kind] += 1
        tcode = f"{COUNTY_CODE}{counters[kind]:03d}000"
        word = street_names.pop(0) if kind == "street" else town_names.pop()
        tname = word + {"street": "街道", "town": "镇", "township": "乡"}[kind]
        t_ur = {"street": "111", "town": "121", "township": "210"}[kind]
        t_idx = len(units)
        units.append(Unit(tcode, tname, "township", 0, t_ur))
        township_of.append(t_idx)
        taken: set[str] = set()
        if kind == "street":
            slots = [(i + 1, "111" if i < per * 0.6 else "112", True) for i in range(max(3, per // 2))]
        elif kind == "town":
            slots = [(1, "121", True), (2, "121", True)] + [(200 + i + 1, "122" if i < 2 else "220", False) for i in range(per - 2)]
        else:
            slots = [(200 + i + 1, "210" if i == 0 else "220", False) for i in range(per)]
        for num, ur, urban in slots:
            if urban:
                name = _unique(rng, lambda: _COMMUNITY_WORDS[rng.integers(len(_COMMUNITY_WORDS))] + "社区", taken)
            else:
                name = _unique(rng, lambda: _village_name(rng) + "村", taken)
            v_idx = len(units)
            weight = float(rng.uniform(0.6, 1.6)) * (0.5 if urban else 1.0)
            units.append(Unit(tcode[:9] + f"{num:03d}", name, "village", t_idx, ur, urban=urban, weight=weight))
            township_of.append(t_idx)
            villages.append(v_idx)
            if not urban:
                gs = []
                for g in range(int(rng.integers(3, 9))):
                    gs.append(len(units))
                    units.append(Unit(units[v_idx].code + f"{g + 1:03d}", f"第{_GROUP_NUMERALS[g]}村民小组", "group", v_idx))
                    township_of.append(t_idx)
                groups[v_idx] = gs
    work = []
    for suffix, name, kind, _ in WORK_UNITS:
        work.append(len(units))
        units.append(
            Unit(
                f"{COUNTY_CODE}-{suffix}",
                COUNTY_NAME[:2] + name if kind != "enterprise" else COUNTY_NAME[:2] + name,
                "unit",
                0,
                unit_kind=kind,
                valid_from=dt.date(max(start_year, 1952), 1, 1),
            )
        )
        township_of.append(0)
    plan = OrgPlan(units, np.array(villages, dtype=np.int32), groups, work, township_of=np.array(township_of, dtype=np.int32))
    _history(plan, rng, kinds, end_year)
    return plan


def _history(plan: OrgPlan, rng: np.random.Generator, kinds: list[str], end_year: int) -> None:
    """A township becomes a town (乡改镇, keeping its code) and, in one town, pairs of villages are
    merged (并村) — both in time for the end year."""
    units = plan.units
    townships = [i for i, u in enumerate(units) if u.level == "township"]
    rural = [t for t, k in zip(townships, kinds, strict=True) if k == "township"]
    target = rural[0] if rural else townships[-1]
    rename_year = min(2012, end_year - 1)
    plan.renames.append((target, units[target].name[:-1] + "镇", dt.date(rename_year, 1, 1)))
    merge_town = [t for t, k in zip(townships, kinds, strict=True) if k == "town"]
    town = merge_town[-1] if merge_town else townships[-1]
    vills = [v for v in plan.villages if units[v].parent == town and not units[v].urban]
    merge_date = dt.date(min(2020, end_year), 1, 1)
    pairs = [(vills[-4], vills[-3]), (vills[-2], vills[-1])] if len(vills) >= 4 else [(vills[-2], vills[-1])]
    for a, b in pairs:  # b is merged into a
        plan.merges.append(([int(b)], int(a), merge_date))
