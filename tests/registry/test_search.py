"""Person search: characters, pinyin (full or initials, a prefix), ID number, household number;
scoped to the searcher's area by checking the matches only."""

from __future__ import annotations

import datetime as dt

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
