"""Hand-built families for the benefit tests, made through the registry's own services (persons,
events, orgs — never the importer). Reusable: ``Builder`` records anything (``ids[key]`` is a person's
id, ``events[(kind, key)]`` the id of the last event of that kind recorded about them); ``standard(db)``
builds the families below in one county and returns its builder.

The county is 410185 (Henan: special assistance doubled, one-child reward 20 a month) with a town
(镇, urban community 社区 ``COMMUNITY``) and a township (乡, villages ``VILLAGE``, ``VILLAGE2``). Everyone
is registered in ``VILLAGE`` with agricultural hukou unless said otherwise. Ages are in 2025.

===============  ==========================================================================================
family           who (key: sex, born) and what happens
===============  ==========================================================================================
born_1933        b1933_m F 1933-01-01, widow; daughter b1933_d 1958 — reward yes (needs attestation)
born_1932        b1932_m F 1932-12-31, widow; daughter b1932_d 1957 — reward no (born before 1933)
turns_60         t60_f M 1965-07-15 (60 on 2025-07-15) ⚭ t60_m F 1967-03-01; son t60_s 1990
two_daughters    d2_f M 1955 ⚭ d2_m F 1957; daughters d2_a 1980, d2_b 1983 — reward both parents
son_daughter     sd_f M 1954 ⚭ sd_m F 1956; son sd_s 1979, daughter sd_d 1982 — reward no
child_died       cd_f M 1958 ⚭ cd_m F 1960; only son cd_s 1985, died 2010-05-01 — reward and special (died, rural)
adopted          ad_f M 1950 ⚭ ad_m F 1952; adopted daughter ad_c (born 1978, adopted 1980-06-01)
wife_49          w49_f M 1970 ⚭ w49_m F 1976-08-20 (49 on 2025-08-20); only daughter w49_c 1998, died 2020-02-01
single_parent    sp_m F 1975-03-10 never married; only son sp_c 2000, disability grade 2 from 2015-06-01
remarriage       rm_f M 1960 ⚭ rm_w1 F 1962 (1984; she dies 2008-01-10); daughter rm_c 1986, died 2005-03-03;
                 rm_f ⚭ rm_w2 F 1985 (2012-05-01, non-agricultural hukou in the town)
disabled_3       g3_f M 1965 ⚭ g3_m F 1968 (urban: non-agricultural, COMMUNITY); only son g3_c 1992, grade 3 from 2010-04-01
disabled_4       g4_f M 1966 ⚭ g4_m F 1969; only daughter g4_c 1993, grade 4 from 2011-04-01
another_child    ac_f M 1960 ⚭ ac_m F 1962; only daughter ac_c 1985 died 2010-07-01; adopt ac_a (born 2018) 2020-03-01
dec_2023         dc_f M 1994 ⚭ dc_m F 1995; child dc_c born 2023-12-15 — childcare 24 months, 7,200
born_2025        b5_f M 1996 ⚭ b5_m F 1997; child b5_c born 2025-03-10 — childcare and one-child reward from April
turns_18         t18_f M 1980 ⚭ t18_m F 1982; only son t18_c 2007-05-20 (18 on 2025-05-20) — one-child reward to May
dies_mid_year    dm_f M 1950 ⚭ dm_m F 1953; only son dm_s 1975 died 2000-08-08; dm_f dies 2025-06-15
moved_away       mv_f M 1956 ⚭ mv_m F 1958; only daughter mv_d 1982; mv_f's hukou moves out of the county 2024-03-01
===============  ==========================================================================================
"""

from __future__ import annotations

import datetime as dt
import itertools

from renkou.auth.officer import Officer
from renkou.core import idnumber
from renkou.registry import events, orgs, persons
from renkou.storage.db import Actor, Database

D = dt.date
COUNTY = "410185"
TOWN, TOWNSHIP = "410185101000", "410185201000"
COMMUNITY, VILLAGE, VILLAGE2 = "410185101001", "410185201201", "410185201202"
ACTOR = Actor("tester", "cli", "pytest")
SYSTEM = Officer.system(ACTOR)
FOUNDED = D(1949, 10, 1)


class Builder:
    """Records persons and events; ``ids[key]`` is the internal id of each person made."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.ids: dict[str, int] = {}
        self.events: dict[tuple[str, str], int] = {}
        self._n = itertools.count(1)

    def key_of(self, person_id: int) -> str:
        return next(k for k, v in self.ids.items() if v == person_id)

    def units(self) -> Builder:
        with self.db.write(ACTOR) as s:
            orgs.create_unit(s, code=COUNTY, name="嵩阳市", level="county", valid_from=FOUNDED)
            orgs.create_unit(s, code=TOWN, name="大冶镇", level="township", parent_code=COUNTY, valid_from=FOUNDED, urban_rural="121")
            orgs.create_unit(s, code=TOWNSHIP, name="白坪乡", level="township", parent_code=COUNTY, valid_from=FOUNDED, urban_rural="210")
            orgs.create_unit(s, code=COMMUNITY, name="和平社区", level="village", parent_code=TOWN, valid_from=FOUNDED, urban_rural="111")
            for code, name in ((VILLAGE, "王庄村"), (VILLAGE2, "李营村")):
                orgs.create_unit(s, code=code, name=name, level="village", parent_code=TOWNSHIP, valid_from=FOUNDED, urban_rural="220")
        return self

    def _id_number(self, born: dt.date, sex: str) -> str:
        return idnumber.make(COUNTY, born, (2 * next(self._n) + (sex == "M")) % 1000)

    def person(
        self,
        key: str,
        sex: str,
        born: dt.date,
        *,
        where: str = VILLAGE,
        hukou_type: str = "agricultural",
        registered: dt.date | None = None,
    ) -> int:
        """Someone on the first register (hukou and residence in ``where``) from ``registered`` (default 1990 or birth)."""
        with self.db.write(ACTOR) as s:
            p = persons.add_person(s, SYSTEM, name=f"测{key}", sex=sex, birth_date=born, id_number=self._id_number(born, sex))
            unit = orgs.get_unit(s, where)
            ev = events.record(
                s,
                SYSTEM,
                "register",
                p,
                registered or max(born, D(1990, 1, 1)),
                source="import",
                hukou_unit=unit,
                residence_unit=unit,
                hukou_type=hukou_type,
            )
            self.ids[key] = p.id
            self.events[("register", key)] = ev.id
        return p.id

    def child(
        self,
        key: str,
        sex: str,
        born: dt.date,
        *,
        mother: str | None = None,
        father: str | None = None,
        where: str = VILLAGE,
        hukou_type: str = "agricultural",
    ) -> int:
        """A child born (a birth event naming the parents), hukou and residence in ``where``."""
        with self.db.write(ACTOR) as s:
            p = persons.add_person(s, SYSTEM, name=f"测{key}", sex=sex, birth_date=born, id_number=self._id_number(born, sex))
            unit = orgs.get_unit(s, where)
            kw = {"mother": self._get(s, mother)} if mother else {}
            if father:
                kw["father"] = self._get(s, father)
            ev = events.record(
                s, SYSTEM, "birth", p, born, source="hospital", hukou_unit=unit, residence_unit=unit, hukou_type=hukou_type, **kw
            )
            self.ids[key] = p.id
            self.events[("birth", key)] = ev.id
        return p.id

    def _get(self, s, key: str):
        from renkou.storage.schema import Person

        return s.get(Person, self.ids[key])

    def event(self, kind: str, key: str, on: dt.date, **fields: object) -> int:
        """Any event; person-valued fields (partner=, mother=, father=) are given by key."""
        with self.db.write(ACTOR) as s:
            for f in ("partner", "mother", "father"):
                if isinstance(fields.get(f), str):
                    fields[f] = self._get(s, fields[f])
            for f in ("hukou_unit", "residence_unit"):
                if isinstance(fields.get(f), str):
                    fields[f] = orgs.get_unit(s, fields[f])
            ev = events.record(s, SYSTEM, kind, self._get(s, key), on, **fields)
            self.events[(kind, key)] = ev.id
            return ev.id

    def marry(self, a: str, b: str, on: dt.date) -> int:
        return self.event("marriage", a, on, partner=b)

    def die(self, key: str, on: dt.date) -> int:
        return self.event("death", key, on)

    def adopt(self, child: str, on: dt.date, *, mother: str | None = None, father: str | None = None) -> int:
        kw = {k: v for k, v in (("mother", mother), ("father", father)) if v}
        return self.event("adoption", child, on, source="civil_affairs", **kw)

    def disability(self, key: str, on: dt.date, grade: int) -> int:
        return self.event("disability", key, on, grade=grade, certificate_no=f"C{self.ids[key]:06d}{grade}")

    def couple(self, prefix: str, husband: dt.date, wife: dt.date, married: dt.date, **kw) -> None:
        self.person(f"{prefix}_f", "M", husband, **kw)
        self.person(f"{prefix}_m", "F", wife, **kw)
        self.marry(f"{prefix}_f", f"{prefix}_m", married)


def standard(db: Database) -> Builder:
    """Build every family of the module docstring."""
    b = Builder(db).units()
    b.person("b1933_m", "F", D(1933, 1, 1))
    b.child("b1933_d", "F", D(1958, 4, 1), mother="b1933_m")
    b.person("b1932_m", "F", D(1932, 12, 31))
    b.child("b1932_d", "F", D(1957, 4, 1), mother="b1932_m")
    b.couple("t60", D(1965, 7, 15), D(1967, 3, 1), D(1988, 1, 1))
    b.child("t60_s", "M", D(1990, 2, 2), mother="t60_m", father="t60_f")
    b.couple("d2", D(1955, 5, 5), D(1957, 6, 6), D(1978, 1, 1))
    b.child("d2_a", "F", D(1980, 3, 3), mother="d2_m", father="d2_f")
    b.child("d2_b", "F", D(1983, 4, 4), mother="d2_m", father="d2_f")
    b.couple("sd", D(1954, 1, 1), D(1956, 1, 1), D(1977, 1, 1))
    b.child("sd_s", "M", D(1979, 1, 1), mother="sd_m", father="sd_f")
    b.child("sd_d", "F", D(1982, 1, 1), mother="sd_m", father="sd_f")
    b.couple("cd", D(1958, 2, 2), D(1960, 3, 3), D(1983, 1, 1))
    b.child("cd_s", "M", D(1985, 9, 9), mother="cd_m", father="cd_f")
    b.die("cd_s", D(2010, 5, 1))
    b.couple("ad", D(1950, 5, 1), D(1952, 5, 1), D(1972, 1, 1))
    b.person("ad_c", "F", D(1978, 2, 2), registered=D(1980, 6, 1))
    b.adopt("ad_c", D(1980, 6, 1), mother="ad_m", father="ad_f")
    b.couple("w49", D(1970, 1, 10), D(1976, 8, 20), D(1996, 1, 1))
    b.child("w49_c", "F", D(1998, 5, 5), mother="w49_m", father="w49_f")
    b.die("w49_c", D(2020, 2, 1))
    b.person("sp_m", "F", D(1975, 3, 10))
    b.child("sp_c", "M", D(2000, 7, 7), mother="sp_m")
    b.disability("sp_c", D(2015, 6, 1), 2)
    b.person("rm_f", "M", D(1960, 6, 6))
    b.person("rm_w1", "F", D(1962, 6, 6))
    b.marry("rm_f", "rm_w1", D(1984, 1, 1))
    b.child("rm_c", "F", D(1986, 8, 8), mother="rm_w1", father="rm_f")
    b.die("rm_c", D(2005, 3, 3))
    b.die("rm_w1", D(2008, 1, 10))
    b.person("rm_w2", "F", D(1985, 9, 9), where=COMMUNITY, hukou_type="non_agricultural")
    b.marry("rm_f", "rm_w2", D(2012, 5, 1))
    b.couple("g3", D(1965, 4, 4), D(1968, 4, 4), D(1990, 1, 1), where=COMMUNITY, hukou_type="non_agricultural")
    b.child("g3_c", "M", D(1992, 2, 2), mother="g3_m", father="g3_f", where=COMMUNITY, hukou_type="non_agricultural")
    b.disability("g3_c", D(2010, 4, 1), 3)
    b.couple("g4", D(1966, 4, 4), D(1969, 4, 4), D(1991, 1, 1))
    b.child("g4_c", "F", D(1993, 3, 3), mother="g4_m", father="g4_f")
    b.disability("g4_c", D(2011, 4, 1), 4)
    b.couple("ac", D(1960, 1, 1), D(1962, 1, 1), D(1983, 1, 1))
    b.child("ac_c", "F", D(1985, 1, 1), mother="ac_m", father="ac_f")
    b.die("ac_c", D(2010, 7, 1))
    b.person("ac_a", "M", D(2018, 5, 5), registered=D(2020, 3, 1))
    b.adopt("ac_a", D(2020, 3, 1), mother="ac_m", father="ac_f")
    b.couple("dc", D(1994, 1, 1), D(1995, 1, 1), D(2020, 1, 1))
    b.child("dc_c", "F", D(2023, 12, 15), mother="dc_m", father="dc_f")
    b.couple("b5", D(1996, 1, 1), D(1997, 1, 1), D(2022, 1, 1))
    b.child("b5_c", "M", D(2025, 3, 10), mother="b5_m", father="b5_f")
    b.couple("t18", D(1980, 1, 1), D(1982, 1, 1), D(2005, 1, 1))
    b.child("t18_c", "M", D(2007, 5, 20), mother="t18_m", father="t18_f")
    b.couple("dm", D(1950, 3, 3), D(1953, 3, 3), D(1973, 1, 1))
    b.child("dm_s", "M", D(1975, 5, 5), mother="dm_m", father="dm_f")
    b.die("dm_s", D(2000, 8, 8))
    b.die("dm_f", D(2025, 6, 15))
    b.couple("mv", D(1956, 1, 1), D(1958, 1, 1), D(1980, 1, 1))
    b.child("mv_d", "F", D(1982, 2, 2), mother="mv_m", father="mv_f")
    b.event("move", "mv_f", D(2024, 3, 1), scope="both", destination_code="440305")
    return b
