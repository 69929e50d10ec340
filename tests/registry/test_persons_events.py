import threading

import pytest
from sqlalchemy import select

from renkou.errors import ConcurrentEdit, UserError, ValidationFailed
from renkou.registry import asof, audit, events, orgs, persons
from renkou.storage.db import Actor, current_seq
from renkou.storage.schema import AuditEntry, Event, Person
from tests.helpers import ACTOR, COUNTY, D, V1, V2, add_resident, build_units, pid


def test_add_person_validates_and_finds_by_15_digit_number(db):
    build_units(db)
    with db.write(ACTOR) as s:
        p = persons.add_person(s, name="赵一", sex="M", birth_date=D(1960, 2, 3), id_number=pid(D(1960, 2, 3), "M", 7))
        with pytest.raises(ValidationFailed) as e:
            persons.add_person(s, name="", sex="X", birth_date=D(1960, 2, 3), id_number="110105194912310021")
        assert {pr.rule for pr in e.value.problems} == {"id_check", "required", "bad_choice"}
        with pytest.raises(ValidationFailed) as e:
            persons.add_person(s, name="重复", sex="M", birth_date=D(1960, 2, 3), id_number=p.id_number)
        assert [pr.rule for pr in e.value.problems] == ["conflicts_existing"]
    with db.read() as s:
        old15 = p.id_number[:6] + p.id_number[8:17]
        assert persons.get_person(s, old15).id == p.id
        assert [x.id for x in persons.search(s, "赵")] == [p.id]
        assert [x.id for x in persons.search(s, p.id_number[:10])] == [p.id]


def test_sex_mismatch_is_a_finding_not_a_rejection(db):
    with db.write(ACTOR) as s:
        p = persons.add_person(s, name="钱二", sex="F", birth_date=D(1970, 1, 1), id_number=pid(D(1970, 1, 1), "M", 3))
        assert [f.rule for f in persons.findings(p)] == ["id_sex_mismatch"]


def test_concurrent_edit_second_save_refused_and_nothing_lost(db):
    with db.write(ACTOR) as s:
        p = persons.add_person(s, name="孙三", sex="M", birth_date=D(1975, 5, 5), id_number=pid(D(1975, 5, 5), "M", 4))
    key, v = p.id_number, p.version
    with db.write(Actor("alice"), reason="typo") as s:
        persons.amend_person(s, key, expected_version=v, reason="姓名错字", name="孙叁")
    with pytest.raises(ConcurrentEdit) as e:
        with db.write(Actor("bob")) as s:
            persons.amend_person(s, key, expected_version=v, reason="另一处修改", name="孙山")
    assert "已被他人修改" in e.value.zh and "changed by someone else" in e.value.en
    with db.read() as s:
        now = persons.get_person(s, key)
        assert (now.name, now.version) == ("孙叁", v + 1)
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.person_id == now.id)))
        assert [(a.before, a.after, a.reason) for a in entries] == [({"name": "孙三"}, {"name": "孙叁"}, "姓名错字")]


def test_interleaved_sessions_second_save_refused(db):
    """Session 1 loads, session 2 saves, session 1 saves: refused by the version column."""
    with db.write(ACTOR) as s:
        p = persons.add_person(s, name="周四", sex="M", birth_date=D(1980, 1, 1), id_number=pid(D(1980, 1, 1), "M", 5))
    with pytest.raises(ConcurrentEdit):
        with db.write(Actor("a")) as s1:
            q1 = s1.get(Person, p.id)
            with db.write(Actor("b")) as s2:
                s2.get(Person, p.id).name = "乙"
            q1.name = "甲"
    with db.read() as s:
        assert (s.get(Person, p.id).name, s.get(Person, p.id).version) == ("乙", 2)


def test_threads_racing_one_saves_one_refused(db):
    """Both load version 1 and save at the same moment: exactly one save wins."""
    with db.write(ACTOR) as s:
        p = persons.add_person(s, name="周五", sex="M", birth_date=D(1980, 1, 2), id_number=pid(D(1980, 1, 2), "M", 6))
    barrier = threading.Barrier(2, timeout=30)
    outcomes: list[str] = []

    def edit(name: str) -> None:
        try:
            with db.write(Actor(name)) as s:
                q = s.get(Person, p.id)
                barrier.wait()
                q.name = name
                s.flush()
            outcomes.append("saved")
        except ConcurrentEdit:
            outcomes.append("refused")

    threads = [threading.Thread(target=edit, args=(n,)) for n in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "saved"]
    with db.read() as s:
        assert s.get(Person, p.id).version == 2


def test_correction_supersedes_and_retraction_withdraws(db):
    build_units(db)
    with db.write(ACTOR) as s:
        a = add_resident(s, "吴五", "M", D(1950, 1, 1), V1, 1)
        death = events.record(s, "death", a, D(2020, 1, 10), source="police")
    with db.read() as s:
        assert asof.population(s, COUNTY, D(2020, 1, 20)).total == 0
    with db.write(ACTOR) as s:
        fixed = events.correct(s, death.id, reason="死亡日期录入错误", date=D(2020, 2, 10))
        with pytest.raises(UserError):
            events.correct(s, death.id, reason="again", date=D(2020, 3, 1))  # only the latest version can be corrected
    with db.read() as s:
        assert asof.population(s, COUNTY, D(2020, 1, 20)).total == 1
        assert asof.population(s, COUNTY, D(2020, 2, 10)).total == 0
    with db.write(ACTOR) as s:
        events.retract(s, fixed.id, reason="误报死亡")
    with db.read() as s:
        assert asof.population(s, COUNTY, D(2024, 1, 1)).total == 1
        kinds = [(e.kind, e.supersedes_id) for e in s.scalars(select(Event).order_by(Event.id))]
        assert kinds[1:] == [("death", None), ("death", death.id), ("retraction", fixed.id)]  # nothing was lost
        actions = [r.action for r in audit.for_person(s, a)]
        assert actions.count("correct") == 1 and actions.count("retract") == 1


def test_event_rules(db):
    build_units(db)
    with db.write(ACTOR) as s:
        a = add_resident(s, "郑六", "F", D(1990, 1, 1), V1, 1)
        b = add_resident(s, "王七", "M", D(1989, 1, 1), V2, 2)
        for kind, fields, rule in (
            ("marriage", {}, "event_fields"),
            ("marriage", {"partner": a}, "same_person"),
            ("move", {"scope": "residence"}, "event_fields"),
            ("disability", {"grade": 5}, "bad_grade"),
            ("teleport", {}, "bad_choice"),
        ):
            with pytest.raises(ValidationFailed) as e:
                events.record(s, kind, a, D(2015, 1, 1), **fields)
            assert rule in [p.rule for p in e.value.problems], kind
        with pytest.raises(ValidationFailed) as e:
            events.record(s, "marriage", a, D(1985, 1, 1), partner=b)
        assert [p.rule for p in e.value.problems] == ["before_birth"]
        events.record(s, "death", a, D(2020, 1, 1))
        with pytest.raises(ValidationFailed) as e:
            events.record(s, "move", a, D(2021, 1, 1), scope="residence", residence_unit=orgs.get_unit(s, V2))
        assert [p.rule for p in e.value.problems] == ["after_death"]


def test_change_feed_numbers_every_write_in_order(db):
    build_units(db)
    with db.read() as s:
        start = current_seq(s)
    with db.write(ACTOR) as s:
        p = add_resident(s, "冯八", "M", D(1970, 1, 1), V1, 1)
    with db.write(ACTOR, reason="r") as s:
        persons.amend_person(s, p.id_number, expected_version=1, reason="r", name="冯捌")
    with db.read() as s:
        end = current_seq(s)
        person = s.get(Person, p.id)
        ev = s.scalars(select(Event).where(Event.person_id == p.id)).one()
        assert start < ev.seq < person.seq == end  # the amendment is the newest change
        changed = list(s.scalars(select(Person.id).where(Person.seq > ev.seq)))
        assert changed == [p.id]


def test_reveal_is_audited(db):
    with db.write(ACTOR) as s:
        p = persons.add_person(s, name="陈九", sex="M", birth_date=D(1966, 6, 6), id_number=pid(D(1966, 6, 6), "M", 9))
    with db.write(Actor("auditor", "cli", "host")) as s:
        with pytest.raises(ValidationFailed):
            audit.reveal(s, p, "id_number", "  ")
        assert audit.reveal(s, p, "id_number", "核对低保") == p.id_number
    with db.read() as s:
        rows = audit.for_person(s, p)
        assert [(r.action, r.actor, r.reason) for r in rows if r.action == "reveal"] == [("reveal", "auditor", "核对低保")]


def test_audit_since_counts_creations_outside_imports(db):
    import datetime as dt

    build_units(db)
    with db.write(Actor("clerk", "cli", "host-1")) as s:
        add_resident(s, "褚十", "F", D(1985, 3, 3), V1, 11)
    with db.write(Actor("clerk", "cli", "host-1"), reason="错字") as s:
        persons.amend_person(s, pid(D(1985, 3, 3), "F", 11), expected_version=1, reason="错字", name="褚拾")
    with db.read() as s:
        rows = audit.since(s, dt.datetime(2000, 1, 1))
    mine = [(r.action, r.table, r.detail) for r in rows if r.actor == "clerk"]
    assert mine == [("create", "person", "1 row(s)"), ("create", "event", "1 row(s)"), ("update", "person", "name")]
