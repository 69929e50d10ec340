"""A tiny county whose 2024 figures are worked out by hand in test_engine.py.

County 410102: township T1 (villages V1, V2, V4 — V4 merges into V1 on 2024-07-01) and township T2
(village V3). Everyone below is registered on 2000-01-01 unless born later.

=====  ===  ==========  =======================================================================
who    sex  born        what happens
=====  ===  ==========  =======================================================================
A      F    1990-05-10  V1; married to B 2015-01-01; child K0 2016-03-01 (father unknown);
                        child K1 (M) on 2024-12-31 — the last day of the year — father B
B      M    1988-02-01  V1; goes to work outside the county (residence only) on 2024-08-01
C      F    1950-03-01  V1
D      F    1980-06-15  V2; moves (hukou and residence) to V3 on 2024-09-01
E      M    1940-01-01  V2; dies 2024-05-20
F      F    1995-07-01  V4; married to G 2020-05-01; child K2 (F) 2024-03-15, her first
G      M    1994-01-01  V4
H      F    2000-12-31  V3; marries N 2024-10-01
N      M    1998-04-04  V3
M      M    1985-01-01  arrives from outside (hukou and residence) in V3 2024-06-03, dies 2024-06-25
=====  ===  ==========  =======================================================================
"""

from __future__ import annotations

import datetime as dt

from renkou.auth.officer import Officer
from renkou.core import idnumber
from renkou.registry import events, orgs, persons
from renkou.storage.db import Actor, Database

D = dt.date
COUNTY = "410102"
T1, T2 = "410102100000", "410102200000"
V1, V2, V3, V4 = "410102100201", "410102100202", "410102200201", "410102100203"
ACTOR = Actor("tester", "cli", "pytest")
SYSTEM = Officer.system(ACTOR)
REG = D(2000, 1, 1)


def build(db: Database) -> dict[str, int]:
    """Build the county; returns person ids by letter."""
    ids: dict[str, int] = {}
    with db.write(ACTOR) as s:
        orgs.create_unit(s, code=COUNTY, name="测试县", level="county", valid_from=D(1980, 1, 1))
        orgs.create_unit(s, code=T1, name="甲镇", level="township", parent_code=COUNTY, valid_from=D(1980, 1, 1), urban_rural="121")
        orgs.create_unit(s, code=T2, name="乙乡", level="township", parent_code=COUNTY, valid_from=D(1980, 1, 1), urban_rural="210")
        for v, t, name in ((V1, T1, "一村"), (V2, T1, "二村"), (V4, T1, "四村"), (V3, T2, "三村")):
            orgs.create_unit(s, code=v, name=name, level="village", parent_code=t, valid_from=D(1980, 1, 1), urban_rural="220")
    with db.write(ACTOR) as s:
        unit = {c: orgs.get_unit(s, c) for c in (V1, V2, V3, V4)}
        n = iter(range(1, 100))

        def person(key: str, name: str, sex: str, born: dt.date, village: str | None, *, registered: bool = True):
            p = persons.add_person(
                s, SYSTEM, name=name, sex=sex, birth_date=born, id_number=idnumber.make(COUNTY, born, 2 * next(n) + (sex == "M"))
            )
            if registered and village:
                events.record(
                    s,
                    SYSTEM,
                    "register",
                    p,
                    max(REG, born),
                    source="import",
                    hukou_unit=unit[village],
                    residence_unit=unit[village],
                    hukou_type="agricultural",
                )
            ids[key] = p.id
            return p

        a = person("A", "安红", "F", D(1990, 5, 10), V1)
        b = person("B", "白刚", "M", D(1988, 2, 1), V1)
        person("C", "陈秀英", "F", D(1950, 3, 1), V1)
        d = person("D", "邓丽", "F", D(1980, 6, 15), V2)
        e = person("E", "鄂大山", "M", D(1940, 1, 1), V2)
        f = person("F", "方芳", "F", D(1995, 7, 1), V4)
        g = person("G", "高强", "M", D(1994, 1, 1), V4)
        h = person("H", "何雪", "F", D(2000, 12, 31), V3)
        nn = person("N", "倪文", "M", D(1998, 4, 4), V3)
        m = person("M", "马远", "M", D(1985, 1, 1), None, registered=False)
        events.record(s, SYSTEM, "marriage", a, D(2015, 1, 1), partner=b)
        events.record(s, SYSTEM, "marriage", f, D(2020, 5, 1), partner=g)
        k0 = person("K0", "安小朵", "F", D(2016, 3, 1), None, registered=False)
        events.record(
            s, SYSTEM, "birth", k0, D(2016, 3, 1), mother=a, hukou_unit=unit[V1], residence_unit=unit[V1], hukou_type="agricultural"
        )
        k2 = person("K2", "高小雨", "F", D(2024, 3, 15), None, registered=False)
        events.record(
            s,
            SYSTEM,
            "birth",
            k2,
            D(2024, 3, 15),
            mother=f,
            father=g,
            hukou_unit=unit[V4],
            residence_unit=unit[V4],
            hukou_type="agricultural",
        )
        events.record(s, SYSTEM, "death", e, D(2024, 5, 20))
        events.record(s, SYSTEM, "move", m, D(2024, 6, 3), scope="both", hukou_unit=unit[V3], residence_unit=unit[V3], origin_code="110105")
        events.record(s, SYSTEM, "death", m, D(2024, 6, 25))
        events.record(s, SYSTEM, "move", b, D(2024, 8, 1), scope="residence", destination_code="440305")
        events.record(s, SYSTEM, "move", d, D(2024, 9, 1), scope="both", hukou_unit=unit[V3], residence_unit=unit[V3])
        events.record(s, SYSTEM, "marriage", h, D(2024, 10, 1), partner=nn)
        k1 = person("K1", "白小虎", "M", D(2024, 12, 31), None, registered=False)
        events.record(
            s,
            SYSTEM,
            "birth",
            k1,
            D(2024, 12, 31),
            mother=a,
            father=b,
            hukou_unit=unit[V1],
            residence_unit=unit[V1],
            hukou_type="agricultural",
        )
    with db.write(ACTOR) as s:
        orgs.merge(s, [V4], V1, D(2024, 7, 1))
    return ids
