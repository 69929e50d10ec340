"""A small, deterministic, fictitious county written as import files and loaded through the real
importer: 3 townships, 9 villages (one merged into its neighbour in 2021, one township renamed),
households of couples with their children and parents, marriages, births, deaths and moves.

Small on purpose and hand-shaped: tests use it where they need a county they can reason about
row by row. `renkou demo` builds its county with the generator (`renkou.synth`) instead; both
share the demo actor below, so `renkou demo` recognises a database that holds only demo data.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

from renkou.auth.officer import Officer
from renkou.core import idnumber
from renkou.exchange import importer, templates
from renkou.registry import orgs
from renkou.storage.db import Actor, Database

COUNTY_CODE = "410102"
MERGE_DATE = dt.date(2021, 6, 30)
RENAME_DATE = dt.date(2015, 1, 1)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_M = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林"
GIVEN_F = "芳娜敏静丽艳娟霞秀玲桂英慧颖琳晶欣雪倩婷红梅兰萍燕丹蓉洁"

TOWNSHIPS = [
    ("410102001000", "城关街道", "111", [("001", "东大街社区", "111"), ("002", "西大街社区", "111"), ("003", "南关社区", "112")]),
    ("410102100000", "东风镇", "121", [("201", "东风村", "121"), ("202", "前营村", "220"), ("203", "后营村", "220")]),
    ("410102200000", "河西乡", "210", [("201", "河西村", "210"), ("202", "李庄村", "220"), ("203", "王庄村", "220")]),
]


class _Builder:
    def __init__(self, seed: int, households_per_village: int, today: dt.date) -> None:
        self.r = random.Random(seed)
        self.hpv = households_per_village
        self.today = today
        self.used: set[str] = set()
        self.orgs: list[list[str]] = []
        self.households: list[list[str]] = []
        self.persons: list[list[str]] = []
        self.events: list[list[str]] = []

    def date_in(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.r.randrange(max(1, (end - start).days)))

    def idn(self, birth: dt.date, sex: str) -> str:
        while True:
            seq = self.r.randrange(0, 999)
            if (seq % 2 == 1) != (sex == "M"):
                seq = (seq + 1) % 1000
            v = idnumber.make(COUNTY_CODE, birth, seq)
            if v not in self.used:
                self.used.add(v)
                return v

    def name(self, surname: str, sex: str) -> str:
        pool = GIVEN_M if sex == "M" else GIVEN_F
        return surname + "".join(self.r.choice(pool) for _ in range(self.r.choice((1, 2))))

    def person(
        self,
        name: str,
        sex: str,
        birth: dt.date,
        *,
        unit: str | None,
        hh: str | None,
        relation: str | None,
        hukou_type: str,
        with_id: bool = True,
    ) -> str:
        key = self.idn(birth, sex) if with_id else f"T{birth:%Y%m%d}-{len(self.persons):05d}"
        self.persons.append(
            [
                key if with_id else "",
                "" if with_id else key,
                name,
                "男" if sex == "M" else "女",
                birth.isoformat(),
                "01",
                hukou_type if unit else "",
                unit or "",
                unit or "",
                hh or "",
                relation or "",
                "",
            ]
        )
        return key

    def event(self, kind: str, person: str, date: dt.date, **kw: str) -> None:
        cols = [c.key for c in templates.columns("events")]
        row = {"kind": kind, "person": person, "date": date.isoformat(), "source": kw.pop("source", "village")} | kw
        self.events.append([row.get(c, "") for c in cols])

    def build(self) -> None:
        self.orgs.append([COUNTY_CODE, "示例县", "county", "", "1980-01-01", "", ""])
        for t_code, t_name, t_ur, villages in TOWNSHIPS:
            self.orgs.append([t_code, t_name, "township", COUNTY_CODE, "1980-01-01", t_ur, ""])
            for v_digits, v_name, v_ur in villages:
                v_code = t_code[:9] + v_digits
                self.orgs.append([v_code, v_name, "village", t_code, "1980-01-01", v_ur, ""])
                urban = v_ur.startswith("1")
                for h in range(self.hpv):
                    self.household(v_code, h, urban)
        self.orgs.append([f"{COUNTY_CODE}-RMYY", "示例县人民医院", "unit", COUNTY_CODE, "1985-01-01", "", "hospital"])

    def household(self, village: str, h: int, urban: bool) -> None:
        r = self.r
        number = f"{village}{h + 1:04d}"
        founded = dt.date(1980 + r.randrange(0, 20), 1 + r.randrange(12), 1)
        self.households.append([number, village, f"{r.randrange(1, 200)}号", founded.isoformat()])
        ht = "non_agricultural" if urban else "agricultural"
        surname = r.choice(SURNAMES)
        hb = self.date_in(dt.date(1945, 1, 1), dt.date(1975, 12, 31))
        wb = self.date_in(hb - dt.timedelta(days=4 * 365), hb + dt.timedelta(days=3 * 365))
        husband = self.person(self.name(surname, "M"), "M", hb, unit=village, hh=number, relation="户主", hukou_type=ht)
        wife = self.person(self.name(r.choice(SURNAMES), "F"), "F", wb, unit=village, hh=number, relation="配偶", hukou_type=ht)
        married = max(hb, wb) + dt.timedelta(days=365 * r.randint(21, 27))
        self.event("marriage", husband, married, partner=wife, source="civil_affairs")
        n_children = r.choices((0, 1, 2, 3), weights=(5, 45, 40, 10))[0]
        birth = married + dt.timedelta(days=r.randint(300, 800))
        for _ in range(n_children):
            if birth >= self.today:
                break
            sex = "M" if r.random() < 0.52 else "F"
            with_id = birth < self.today - dt.timedelta(days=90)  # the newest babies have no ID number yet
            child = self.person(self.name(surname, sex), sex, birth, unit=None, hh=None, relation=None, hukou_type=ht, with_id=with_id)
            self.event(
                "birth",
                child,
                birth,
                mother=wife,
                father=husband,
                hukou_unit=village,
                residence_unit=village,
                household=number,
                relation="子女",
                hukou_type=ht,
                place="示例县人民医院",
                certificate_no=f"R{r.randrange(10**9):09d}",
                source="hospital",
            )
            age18 = birth + dt.timedelta(days=365 * 19)
            if age18 < self.today and r.random() < 0.25:  # a young adult leaves for the city
                self.event(
                    "move",
                    child,
                    self.date_in(age18, min(self.today, age18 + dt.timedelta(days=3000))),
                    scope="residence",
                    destination_code="440305",
                )
            birth = birth + dt.timedelta(days=r.randint(500, 2500))
        if hb < dt.date(1955, 1, 1) and r.random() < 0.5:
            self.event("death", husband, self.date_in(dt.date(2010, 1, 1), self.today), place="家中", source="police")

    def write(self, folder: Path) -> dict[str, Path]:
        paths = {}
        for kind, rows in (("orgs", self.orgs), ("households", self.households), ("persons", self.persons), ("events", self.events)):
            p = folder / f"{kind}.csv"
            with p.open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow([c.zh for c in templates.columns(kind)])
                w.writerows(rows)
            paths[kind] = p
        return paths


def write_files(folder: Path, *, seed: int = 20261122, households_per_village: int = 25, today: dt.date | None = None) -> dict[str, Path]:
    """Write the demo county's import files into ``folder`` (same seed, same files)."""
    b = _Builder(seed, households_per_village, today or dt.date(2026, 11, 1))
    b.build()
    return b.write(folder)


DEMO_ACTOR = Actor("demo", "system", "renkou demo")


def holds_only_demo_data(db: Database) -> bool:
    """True when the database is empty, not yet initialised, or written only by the demo loader."""
    from sqlalchemy import inspect, select

    from renkou.storage.schema import Changeset

    if "changeset" not in inspect(db.engine).get_table_names():
        return True
    with db.read() as s:
        other = s.scalar(
            select(Changeset.id).where((Changeset.actor != DEMO_ACTOR.name) | (Changeset.channel.not_in(("system", "import")))).limit(1)
        )
    return other is None


def has_demo_data(db: Database) -> bool:
    from sqlalchemy import inspect, select

    from renkou.storage.schema import Changeset

    if "changeset" not in inspect(db.engine).get_table_names():
        return False
    with db.read() as s:
        return s.scalar(select(Changeset.id).where(Changeset.actor == DEMO_ACTOR.name).limit(1)) is not None


def load(db: Database, *, seed: int = 20261122, households_per_village: int = 25, progress: Callable[[str], None] | None = None) -> str:
    """Import the demo county into ``db`` (migrated) and apply its history: a township renamed in
    2015 and a village merged into its neighbour in 2021."""
    actor = DEMO_ACTOR
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_files(Path(tmp), seed=seed, households_per_village=households_per_village)
        counts = {}
        for kind in ("orgs", "households", "persons", "events"):
            if progress:
                progress(f"导入演示数据 importing demo {kind} …")
            counts[kind] = importer.run_import(db, kind, paths[kind], Officer.system(actor)).created  # the system, county-wide
    with db.write(actor, note="demo county history") as s:
        h = orgs.Hierarchy.as_of(s, RENAME_DATE)
        if h.unit("410102200000").name == "河西乡":
            orgs.rename(s, "410102200000", "河西镇", RENAME_DATE)
            orgs.merge(s, ["410102200203"], "410102200202", MERGE_DATE)
    return (
        f"演示县已建立：{counts['orgs']} 个单位，{counts['households']} 户，{counts['persons']} 人，{counts['events']} 条事件。\n"
        f"Demo county ready: {counts['orgs']} units, {counts['households']} households, {counts['persons']} persons, {counts['events']} events."
    )


DEMO_PASSWORD = "Demo.renkou-2026"  # fictitious county, this machine only: printed by `renkou demo`


def demo_accounts(db: Database, county_code: str) -> list[tuple[str, str, str, str]]:
    """One account per role for the demo county: (username, role, unit code, unit name). Bound to the
    county, its first township and that township's first village."""
    import datetime as dt

    from renkou.auth import accounts
    from renkou.auth.roles import ROLES, Role
    from renkou.registry.orgs import Hierarchy

    with db.write(DEMO_ACTOR, note="demo accounts") as s:
        h = Hierarchy.as_of(s, dt.date.today())
        county = h.unit(county_code)
        township = h.units[next(i for i in h.children[county.id] if h.units[i].level == "township")]
        village = h.units[next(i for i in h.children[township.id] if h.units[i].level == "village")]
        plan = [
            ("cun", Role.VILLAGE_WORKER, village),
            ("xiang", Role.TOWNSHIP_OFFICER, township),
            ("tongji", Role.COUNTY_STATISTICIAN, county),
            ("jiangfu", Role.BENEFIT_ADMIN, county),
            ("shenji", Role.AUDITOR, county),
            ("admin", Role.SYSADMIN, county),
        ]
        out = []
        for user, role, unit in plan:
            accounts.create_account(
                s, username=user, display_name=f"演示{ROLES[role].zh}", role=role.value, unit_code=unit.code, password=DEMO_PASSWORD
            )
            out.append((user, role.value, unit.code, unit.name))
    return out
