"""Person search: characters, pinyin (full or initials, a prefix), ID number, household number;
scoped to the searcher's area by checking the matches only."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from helpers import ACTOR, SYSTEM, T1, T2, V1, V3, add_resident, build_units
from renkou.auth.scope import Scope
from renkou.core import pinyin
from renkou.registry import events, orgs, persons
from renkou.storage import migrate

D = dt.date


def _county(db):
    build_units(db)
    with db.write(ACTOR) as s:
        a = add_resident(s, "张伟", "M", D(1980, 1, 2), V1, 1)
        b = add_resident(s, "张娜", "F", D(1982, 3, 4), V3, 2)
        c = add_resident(s, "单雄信", "M", D(1970, 5, 6), V1, 3)
        hh = persons.create_household(s, SYSTEM, number="41010210020100001", unit=orgs.get_unit(s, V1), created_on=D(2000, 1, 1))
        events.record(s, SYSTEM, "household", a, D(2000, 1, 1), household=hh, relation="head")
        events.record(s, SYSTEM, "household", c, D(2000, 1, 1), household=hh, relation="sibling")
    return a.id, b.id, c.id


def names(found) -> list[str]:
    return sorted(p.name for p in found)


def test_pinyin_full_initials_and_prefixes(db):
    _county(db)
    with db.read() as s:
        assert names(persons.search(s, "zhangwei")) == ["张伟"]
        assert names(persons.search(s, "zhang")) == ["张伟", "张娜"]
        assert names(persons.search(s, "ZW")) == ["张伟"] and names(persons.search(s, "zn")) == ["张娜"]
        assert names(persons.search(s, "Zhang Wei")) == ["张伟"]
        assert names(persons.search(s, "shanxiongxin")) == ["单雄信"]  # read as a surname, not dān
        assert names(persons.search(s, "张")) == ["张伟", "张娜"] and names(persons.search(s, "张伟")) == ["张伟"]
        assert persons.search(s, "zhangweiwei") == []


def test_texts_at_the_end_of_unicode_search_without_error(db):
    _county(db)
    with db.read() as s:
        for q, found in [
            ("张\U0010ffff", []),
            ("\U0010ffff", []),
            ("\U0010ffff\U0010ffff", []),
            ("张\ud7ff", []),
            ("张\x00伟", ["张伟"]),
            ("\x00", []),
            ("4101021\U0010ffff", []),
        ]:
            assert names(persons.search(s, q)) == found, q
        assert names(persons.search(s, "张")) == ["张伟", "张娜"]  # the prefix bound still bounds


def test_household_number_finds_its_members(db):
    _county(db)
    with db.read() as s:
        assert names(persons.search(s, "41010210020100001")) == ["单雄信", "张伟"]


def test_scoped_search_checks_only_the_matches(db):
    a, b, _ = _county(db)
    with db.read() as s:
        t1 = Scope.for_unit(s, orgs.get_unit(s, T1).id)
        t2 = Scope.for_unit(s, orgs.get_unit(s, T2).id)
        assert names(persons.search(s, "zhang", scope=t1)) == ["张伟"]
        assert names(persons.search(s, "zhang", scope=t2)) == ["张娜"]
        assert persons.search(s, "41010210020100001", scope=t2) == []
        assert t1.has_person(s, s.get(persons.Person, a)) and not t1.has_person(s, s.get(persons.Person, b))


def test_amending_a_name_updates_its_pinyin(db):
    a, _, _ = _county(db)
    with db.write(ACTOR) as s:
        p = s.get(persons.Person, a)
        persons.amend_person(s, SYSTEM, p.id_number, expected_version=p.version, reason="更正姓名", name="章伟")
    with db.read() as s:
        assert names(persons.search(s, "zhangwei")) == ["章伟"] and s.get(persons.Person, a).name_initials == "zw"


def test_migration_fills_pinyin_of_persons_already_registered(tmp_path):
    from renkou.storage.db import Database

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(db, "0004")
    with db.engine.begin() as c:
        c.execute(text("INSERT INTO changeset (id, at, actor, channel, origin, note) VALUES (1, '2026-01-01', 't', 'cli', '', '')"))
        c.execute(
            text(
                "INSERT INTO person (id, id_number, name, sex, birth_date, ethnicity, seq, created_cs, version) "
                "VALUES (1, '11010519491231002X', '曾国藩', 'M', '1949-12-31', '01', 1, 1, 1)"
            )
        )
    migrate.upgrade(db)
    with db.engine.connect() as c:
        assert c.execute(text("SELECT name_pinyin, name_initials FROM person")).one() == ("zengguofan", "zgf")
    db.dispose()


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=6))
def test_pinyin_keys_of_chinese_names(name):
    full, initials = pinyin.keys(name)
    assert full.isascii() and full.isalpha() and full == full.lower()
    assert len(initials) == len(name) and full.startswith(initials[0])
    assert pinyin.keys_many([name, name]) == [(full, initials)] * 2


# ------------------------------------------------------------------------------ find: status, count, paging


def _family_county(db):
    """Five 王 in 一村 (甲镇): two registered, one dead, one moved out of the county, one moved to 三村 (乙乡)."""
    build_units(db)
    with db.write(ACTOR) as s:
        live_a = add_resident(s, "王甲", "M", D(1950, 1, 1), V1, 11)
        dead = add_resident(s, "王乙", "F", D(1930, 1, 1), V1, 12)
        gone = add_resident(s, "王丙", "M", D(1960, 1, 1), V1, 13)
        live_b = add_resident(s, "王丁", "F", D(1990, 1, 1), V1, 14)
        moved_in_county = add_resident(s, "王戊", "M", D(1970, 1, 1), V1, 15)
        events.record(s, SYSTEM, "death", dead, D(1960, 5, 1))
        events.record(s, SYSTEM, "move", gone, D(2010, 1, 1), scope="both", destination_code="110105")
        events.record(
            s,
            SYSTEM,
            "move",
            moved_in_county,
            D(2012, 1, 1),
            scope="both",
            hukou_unit=orgs.get_unit(s, V3),
            residence_unit=orgs.get_unit(s, V3),
        )
    return {"live_a": live_a.id, "dead": dead.id, "gone": gone.id, "live_b": live_b.id, "in_county": moved_in_county.id}


def _located(db):
    """A ``locate`` from the event log, as renkou.stats' Stats.locate answers (0: outside the county)."""

    def locate(ids, date=None):
        with db.read() as s:
            return persons.placed(s, list(ids), date or dt.date.today(), None)

    return locate


@pytest.mark.parametrize("with_locate", [False, True])
@pytest.mark.parametrize(
    ("who", "status", "expected"),
    [
        ("county", None, ["王丁", "王戊", "王甲", "王丙", "王乙"]),  # registered by name, then moved, then dead
        ("county", "registered", ["王丁", "王戊", "王甲"]),
        ("county", "moved", ["王丙"]),
        ("county", "dead", ["王乙"]),
        ("T1", None, ["王丁", "王甲", "王乙"]),  # the one who left for 乙乡 is no longer 甲镇's; the dead keep their village
        ("T2", None, ["王戊"]),
        ("T2", "dead", []),
    ],
)
def test_find_lists_the_registered_first_with_each_status(db, who, status, expected, with_locate):
    _family_county(db)
    locate = _located(db) if with_locate else None
    with db.read() as s:
        scope = Scope.for_unit(s, orgs.get_unit(s, {"county": "410102", "T1": T1, "T2": T2}[who]).id)
        found = persons.find(s, "王", scope=scope, status=status, locate=locate)
    assert [h.person.name for h in found.hits] == expected
    assert found.total == len(expected) and not found.capped and not found.more
    assert all(h.status == (status or h.status) for h in found.hits)


def test_find_says_when_someone_died_and_where_people_are(db):
    ids = _family_county(db)
    with db.read() as s:
        found = persons.find(s, "王", scope=Scope.county_wide())
        by = {h.person.id: h for h in found.hits}
        v1, v3 = orgs.get_unit(s, V1).id, orgs.get_unit(s, V3).id
    assert found.by_status == {"registered": 3, "moved": 1, "dead": 1}
    assert by[ids["dead"]].died == D(1960, 5, 1) and by[ids["dead"]].residence_unit_id == v1
    assert by[ids["gone"]].status == "moved" and by[ids["gone"]].residence_unit_id is None and by[ids["gone"]].died is None
    assert by[ids["in_county"]].residence_unit_id == v3 and by[ids["live_a"]].hukou_unit_id == v1
    # on a date before the death and the moves: the two born by then, both registered
    with db.read() as s:
        then = persons.find(s, "王", scope=Scope.county_wide(), date=D(1955, 1, 1))
    assert then.by_status == {"registered": 2, "moved": 0, "dead": 0}
    assert [h.person.name for h in then.hits] == ["王乙", "王甲"]


def test_find_pages_and_caps_its_count(db, monkeypatch):
    build_units(db)
    with db.write(ACTOR) as s:
        for n in range(12):
            add_resident(s, f"李{chr(0x4E00 + n)}", "M", D(1980, 1, 1 + n), V1, 30 + n)
    with db.read() as s:
        scope = Scope.for_unit(s, orgs.get_unit(s, T1).id)
        first = persons.find(s, "李", scope=scope, limit=5)
        third = persons.find(s, "李", scope=scope, limit=5, offset=10)
        everyone = [h.person.name for h in persons.find(s, "李", scope=scope, limit=50).hits]
        assert first.total == 12 and first.more and len(first.hits) == 5
        assert len(third.hits) == 2 and not third.more
        assert [h.person.name for h in first.hits + third.hits] == everyone[:5] + everyone[10:]
        monkeypatch.setattr(persons, "FIND_CAP", 7)
        capped = persons.find(s, "李", scope=scope, limit=5)
        assert capped.capped and capped.total == 7 and capped.more
        assert persons.find(s, "李", scope=scope, limit=5, locate=_located(db)).capped
