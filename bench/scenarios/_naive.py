"""A naive snapshot generator: the baseline of the synth_* scenarios.

This is the generator the import benchmark used before the synthetic county existed, kept as the
straightforward way to make N fictitious persons: a pure-Python loop over households and persons
with the ``random`` module, writing orgs.csv (county 410102, 15 townships, 300 villages),
households.csv and persons.csv with the ``csv`` module. Every person gets a Chinese name, a valid and
unique ID number (``renkou.core.idnumber.make``), a birth date, a household and a relation to its
head, and hukou and residence villages in the row — i.e. exactly one registration each, which an
import turns into one ``register`` event. There is no history: no births, deaths, marriages, moves or
organisational changes over time, no parents, no temporary keys, no 15-digit numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path
from typing import Any

COUNTY = "410102"
OTHER_ADDRESS_CODES = ("410103", "410104", "410105", "410122", "410181", "410182", "411023", "411102")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_M = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林国建志文博"
GIVEN_F = "芳娜敏静丽艳娟霞秀玲桂英慧颖琳晶欣雪倩婷红梅兰萍燕丹蓉洁瑶佳怡"
PLACE_A = "东西南北前后上下大小新老高李王张刘赵陈杨黄周吴马孙朱胡郭"
PLACE_B = "庄营屯寨店桥集湾岗坡河沟园楼湖"
TOWNSHIP_NAMES = ("城关", "东城", "西城", "南关", "北关", "金水", "柳林", "古城", "白沙", "黄河", "双桥", "石佛", "花园", "青龙", "杏花")


def _org_rows(rng: random.Random) -> tuple[list[list[str]], list[str]]:
    """orgs.csv rows (county, 15 townships, 300 villages) and the village codes."""
    rows = [[COUNTY, "示例县", "county", "", "1980-01-01", "", ""]]
    villages: list[str] = []
    plan = (
        [(f"{COUNTY}{t:03d}000", "街道", "111") for t in range(1, 6)]
        + [(f"{COUNTY}{t:03d}000", "镇", "121") for t in range(100, 105)]
        + [(f"{COUNTY}{t:03d}000", "乡", "210") for t in range(200, 205)]
    )
    for (t_code, suffix, t_ur), t_name in zip(plan, TOWNSHIP_NAMES, strict=True):
        rows.append([t_code, t_name + suffix, "township", COUNTY, "1980-01-01", t_ur, ""])
        if suffix == "街道":  # streets: residents' committees 001-020
            digits = [(f"{v:03d}", "社区", "111" if v <= 12 else "112") for v in range(1, 21)]
        elif suffix == "镇":  # towns: a few residents' committees, the rest villages
            digits = [(f"{v:03d}", "社区", "121") for v in range(1, 5)] + [(f"{v:03d}", "村", "220") for v in range(201, 217)]
        else:
            digits = [(f"{v:03d}", "村", "220" if v > 201 else "210") for v in range(201, 221)]
        for v_digits, v_suffix, v_ur in digits:
            code = t_code[:9] + v_digits
            rows.append([code, rng.choice(PLACE_A) + rng.choice(PLACE_B) + v_suffix, "village", t_code, "1980-01-01", v_ur, ""])
            villages.append(code)
    return rows, villages


class _Ids:
    """Unique valid ID numbers: a counter per (address code, birth date, sex) gives the sequence
    (odd for men, even for women, from a start that varies with the date); when all 500 are used,
    the next address code takes over."""

    def __init__(self) -> None:
        from renkou.core import idnumber

        self.make = idnumber.make
        self.used: dict[tuple[str, int, int], int] = {}

    def __call__(self, addr_i: int, birth: dt.date, male: bool) -> str:
        codes = (COUNTY, *OTHER_ADDRESS_CODES)
        sex = 1 if male else 0
        for step in range(len(codes)):
            addr = codes[(addr_i + step) % len(codes)]
            key = (addr, birth.toordinal(), sex)
            k = self.used.get(key, 0)
            if k < 500:
                self.used[key] = k + 1
                start = (key[1] * 37 + step * 101) % 500  # spread the sequences like police-station prefixes do
                return self.make(addr, birth, (2 * (start + k) + sex) % 1000)
        raise RuntimeError(f"no ID numbers left for {birth}")


def generate(folder: Path, rows: int, seed: int) -> dict[str, Any]:
    """Write orgs.csv, households.csv and persons.csv (``rows`` persons) into ``folder``."""
    from renkou.exchange import templates

    rng = random.Random(seed)
    org_rows, villages = _org_rows(rng)
    ids = _Ids()
    lo_head, hi_head = dt.date(1935, 1, 1).toordinal(), dt.date(2002, 12, 31).toordinal()
    latest = dt.date(2026, 10, 31).toordinal()  # nobody born in the future, whenever this runs
    earliest = dt.date(1905, 1, 1).toordinal()
    per_village: dict[str, int] = dict.fromkeys(villages, 0)
    sizes, cum_weights = (1, 2, 3, 4, 5, 6), (10, 30, 55, 80, 92, 100)
    n_addr = 1 + len(OTHER_ADDRESS_CODES)
    written = households = 0
    folder.mkdir(parents=True, exist_ok=True)
    heads = [[c.zh for c in templates.columns(k)] for k in ("orgs", "households", "persons")]
    with (folder / "orgs.csv").open("w", newline="", encoding="utf-8") as fo:
        w = csv.writer(fo)
        w.writerow(heads[0])
        w.writerows(org_rows)
    with (
        (folder / "households.csv").open("w", newline="", encoding="utf-8") as fh,
        (folder / "persons.csv").open("w", newline="", encoding="utf-8") as fp,
    ):
        wh, wp = csv.writer(fh), csv.writer(fp)
        wh.writerow(heads[1])
        wp.writerow(heads[2])
        rand, randrange, choice = rng.random, rng.randrange, rng.choice
        buf: list[list[str]] = []

        def person(village: str, hh: str, relation: str, male: bool, born: int, surname: str) -> None:
            if born > latest:  # would be born in the future: a recent birth instead
                born = latest - randrange(3650)
            elif born < earliest:
                born = earliest + randrange(3650)
            birth = dt.date.fromordinal(born)
            addr_i = 0 if rand() < 0.8 else 1 + randrange(n_addr - 1)  # most were born in the county
            pool = GIVEN_M if male else GIVEN_F
            name = surname + choice(pool) + (choice(pool) if rand() < 0.6 else "")
            buf.append(
                [
                    ids(addr_i, birth, male),
                    "",
                    name,
                    "男" if male else "女",
                    birth.isoformat(),
                    "汉族",
                    "农业",
                    village,
                    village,
                    hh,
                    relation,
                    "",
                ]
            )

        while written < rows:
            size = min(rng.choices(sizes, cum_weights=cum_weights)[0], rows - written)
            village = choice(villages)
            per_village[village] += 1
            number = f"{village}{per_village[village]:04d}"
            if per_village[village] > 9999:
                raise RuntimeError("more than 9999 households in a village: add villages")
            head_born = randrange(lo_head, hi_head)
            founded = dt.date.fromordinal(min(latest, head_born + 365 * 20 + randrange(3650)))
            wh.writerow([number, village, f"{randrange(1, 300)}号", founded.isoformat()])
            households += 1
            head_male = rand() < 0.85
            surname = choice(SURNAMES)
            person(village, number, "户主", head_male, head_born, surname)
            members = 1
            if size >= 2:
                person(village, number, "配偶", not head_male, head_born + randrange(-5 * 365, 5 * 365), choice(SURNAMES))
                members += 1
            if size >= 5:
                person(village, number, "父母", rand() < 0.5, head_born - randrange(20 * 365, 35 * 365), surname)
                members += 1
            child_born = head_born + randrange(20 * 365, 30 * 365)
            while members < size:
                person(village, number, "子女", rand() < 0.52, child_born, surname)
                child_born += randrange(400, 2500)
                members += 1
            written += size
            if len(buf) >= 20_000:
                wp.writerows(buf)
                buf.clear()
        wp.writerows(buf)
    return {"rows": written, "households": households, "villages": len(villages), "orgs": len(org_rows), "seed": seed}
