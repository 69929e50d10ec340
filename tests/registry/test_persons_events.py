import threading

import pytest
from sqlalchemy import func, select

from renkou.auth.officer import Forbidden, Officer
from renkou.auth.roles import Role
from renkou.auth.scope import Scope
from renkou.core.idnumber import mask
from renkou.errors import ConcurrentEdit, NotFound, UserError, ValidationFailed
from renkou.registry import asof, audit, events, orgs, persons
from renkou.storage.db import Actor, current_seq
from renkou.storage.schema import AuditEntry, Event, Person
from tests.helpers import ACTOR, COUNTY, SYSTEM, T1, V1, V2, V3, D, add_resident, build_units, pid


def test_add_person_validates_and_finds_by_15_digit_number(db):
    build_units(db)
    with db.write(ACTOR) as s:
        p = persons.add_person(s, SYSTEM, name="赵一", sex="M", birth_date=D(1960, 2, 3), id_number=pid(D(1960, 2, 3), "M", 7))
        with pytest.raises(ValidationFailed) as e:
            persons.add_person(s, SYSTEM, name="", sex="X", birth_date=D(1960, 2, 3), id_number="110105194912310021")
        assert {pr.rule for pr in e.value.problems} == {"id_check", "required", "bad_choice"}
        with pytest.raises(ValidationFailed) as e:
            persons.add_person(s, SYSTEM, name="重复", sex="M", birth_date=D(1960, 2, 3), id_number=p.id_number)
        assert [pr.rule for pr in e.value.problems] == ["conflicts_existing"]
    with db.read() as s:
        old15 = p.id_number[:6] + p.id_number[8:17]
        assert persons.get_person(s, old15).id == p.id
        assert [x.id for x in persons.search(s, "赵")] == [p.id]
        assert [x.id for x in persons.search(s, p.id_number[:10])] == [p.id]


def test_sex_mismatch_is_a_finding_not_a_rejection(db):
    with db.write(ACTOR) as s:
        p = persons.add_person(s, SYSTEM, name="钱二", sex="F", birth_date=D(1970, 1, 1), id_number=pid(D(1970, 1, 1), "M", 3))
        assert [f.rule for f in persons.findings(p)] == ["id_sex_mismatch"]


def test_concurrent_edit_second_save_refused_and_nothing_lost(db):
    with db.write(ACTOR) as s:
        p = persons.add_person(s, SYSTEM, name="孙三", sex="M", birth_date=D(1975, 5, 5), id_number=pid(D(1975, 5, 5), "M", 4))
    key, v = p.id_number, p.version
    with db.write(Actor("alice"), reason="typo") as s:
        persons.amend_person(s, Officer.system(Actor("alice")), key, expected_version=v, reason="姓名错字", name="孙叁")
    with pytest.raises(ConcurrentEdit) as e:
        with db.write(Actor("bob")) as s:
            persons.amend_person(s, Officer.system(Actor("bob")), key, expected_version=v, reason="另一处修改", name="孙山")
    assert "已被他人修改" in e.value.zh and "changed by someone else" in e.value.en
    with db.read() as s:
        now = persons.get_person(s, key)
        assert (now.name, now.version) == ("孙叁", v + 1)
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.person_id == now.id)))
        assert [(a.before, a.after, a.reason) for a in entries] == [({"name": "孙三"}, {"name": "孙叁"}, "姓名错字")]


def test_interleaved_sessions_second_save_refused(db):
    """Session 1 loads, session 2 saves, session 1 saves: refused by the version column."""
    with db.write(ACTOR) as s:
        p = persons.add_person(s, SYSTEM, name="周四", sex="M", birth_date=D(1980, 1, 1), id_number=pid(D(1980, 1, 1), "M", 5))
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
        p = persons.add_person(s, SYSTEM, name="周五", sex="M", birth_date=D(1980, 1, 2), id_number=pid(D(1980, 1, 2), "M", 6))
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
        death = events.record(s, SYSTEM, "death", a, D(2020, 1, 10), source="police")
    with db.read() as s:
        assert asof.population(s, COUNTY, D(2020, 1, 20)).total == 0
    with db.write(ACTOR) as s:
        fixed = events.correct(s, SYSTEM, death.id, reason="死亡日期录入错误", date=D(2020, 2, 10))
        with pytest.raises(UserError):
            events.correct(s, SYSTEM, death.id, reason="again", date=D(2020, 3, 1))  # only the latest version can be corrected
    with db.read() as s:
        assert asof.population(s, COUNTY, D(2020, 1, 20)).total == 1
        assert asof.population(s, COUNTY, D(2020, 2, 10)).total == 0
    with db.write(ACTOR) as s:
        events.retract(s, SYSTEM, fixed.id, reason="误报死亡")
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
                events.record(s, SYSTEM, kind, a, D(2015, 1, 1), **fields)
            assert rule in [p.rule for p in e.value.problems], kind
        with pytest.raises(ValidationFailed) as e:
            events.record(s, SYSTEM, "marriage", a, D(1985, 1, 1), partner=b)
        assert [p.rule for p in e.value.problems] == ["before_birth"]
        events.record(s, SYSTEM, "death", a, D(2020, 1, 1))
        with pytest.raises(ValidationFailed) as e:
            events.record(s, SYSTEM, "move", a, D(2021, 1, 1), scope="residence", residence_unit=orgs.get_unit(s, V2))
        assert [p.rule for p in e.value.problems] == ["after_death"]


def test_change_feed_numbers_every_write_in_order(db):
    build_units(db)
    with db.read() as s:
        start = current_seq(s)
    with db.write(ACTOR) as s:
        p = add_resident(s, "冯八", "M", D(1970, 1, 1), V1, 1)
    with db.write(ACTOR, reason="r") as s:
        persons.amend_person(s, SYSTEM, p.id_number, expected_version=1, reason="r", name="冯捌")
    with db.read() as s:
        end = current_seq(s)
        person = s.get(Person, p.id)
        ev = s.scalars(select(Event).where(Event.person_id == p.id)).one()
        assert start < ev.seq < person.seq == end  # the amendment is the newest change
        changed = list(s.scalars(select(Person.id).where(Person.seq > ev.seq)))
        assert changed == [p.id]


def test_reveal_is_audited(db):
    with db.write(ACTOR) as s:
        p = persons.add_person(s, SYSTEM, name="陈九", sex="M", birth_date=D(1966, 6, 6), id_number=pid(D(1966, 6, 6), "M", 9))
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
    clerk = Officer.system(Actor("clerk", "cli", "host-1"))
    with db.write(clerk.actor) as s:
        add_resident(s, "褚十", "F", D(1985, 3, 3), V1, 11, officer=clerk)
    with db.write(clerk.actor, reason="错字") as s:
        persons.amend_person(s, clerk, pid(D(1985, 3, 3), "F", 11), expected_version=1, reason="错字", name="褚拾")
    with db.read() as s:
        rows = audit.since(s, dt.datetime(2000, 1, 1))
    mine = [(r.action, r.table, r.detail) for r in rows if r.actor == "clerk"]
    assert mine == [("create", "person", "1 row(s)"), ("create", "event", "1 row(s)"), ("update", "person", "name")]


# ------------------------------------------------------------------------------ the officer's role and area


def _officer(s, role: Role, unit: str, name: str = "tester") -> Officer:
    uid = orgs.get_unit(s, unit).id
    return Officer(name, role, uid, Scope.for_unit(s, uid))


@pytest.fixture
def two_townships(db):
    """赵一 in V1 (township T1), 赵二 in V3 (township T2), each with a registration event."""
    build_units(db)
    with db.write(ACTOR) as s:
        mine = add_resident(s, "赵一", "F", D(1985, 3, 1), V1, 1)
        far = add_resident(s, "赵二", "M", D(1986, 3, 1), V3, 2)
        ids = {
            "mine": mine.id,
            "far": far.id,
            "mine_key": mine.id_number,
            "far_key": far.id_number,
            "far_event": s.scalar(select(Event.id).where(Event.person_id == far.id)),
        }
    return db, ids


def test_events_about_somebody_outside_the_area_are_not_found(two_townships):
    db, ids = two_townships
    with db.write(ACTOR) as s:
        xiang1 = _officer(s, Role.TOWNSHIP_OFFICER, T1)
        far, mine = s.get(Person, ids["far"]), s.get(Person, ids["mine"])
        with pytest.raises(NotFound) as e:
            events.record(s, xiang1, "death", far, D(2024, 1, 1))
        assert e.value.zh == f"人员 {far.id} 不存在或不在您的管辖范围内"
        with pytest.raises(NotFound):
            events.record(s, xiang1, "marriage", mine, D(2024, 1, 1), partner=far)  # the other side, too
        with pytest.raises(NotFound):  # a birth placing somebody in another township's village
            events.record(s, xiang1, "register", mine, D(2024, 1, 1), hukou_unit=orgs.get_unit(s, V3), residence_unit=orgs.get_unit(s, V3))
        answers = []
        for number in (ids["far_event"], 999_999):  # an event of another township, and none at all: the same words
            for act in (
                lambda n: events.correct(s, xiang1, n, reason="r", date=D(2001, 1, 1)),
                lambda n: events.retract(s, xiang1, n, reason="r"),
            ):
                with pytest.raises(NotFound) as e:
                    act(number)
                answers.append((e.value.zh.replace(str(number), "N"), e.value.en.replace(str(number), "N")))
        assert len(set(answers)) == 1 and "不在您的管辖范围内" in answers[0][0]
        # a move may take somebody of the area anywhere in the county
        events.record(
            s, xiang1, "move", mine, D(2024, 2, 1), scope="both", hukou_unit=orgs.get_unit(s, V3), residence_unit=orgs.get_unit(s, V3)
        )
    with db.read() as s:
        assert s.scalar(select(func.count(Event.id))) == 3  # the two registrations and the move


def test_a_newborn_is_placed_in_the_area_by_its_birth(two_townships):
    db, ids = two_townships
    with db.write(ACTOR) as s:
        cun1 = _officer(s, Role.VILLAGE_WORKER, V1)
        baby = persons.add_person(s, cun1, name="婴", sex="F", birth_date=D(2024, 3, 1), temp_key="T-B-1")
        v1 = orgs.get_unit(s, V1)
        events.record(s, cun1, "birth", baby, D(2024, 3, 1), mother=s.get(Person, ids["mine"]), hukou_unit=v1, residence_unit=v1)
        assert cun1.sees_person(s, baby)
        other = persons.add_person(s, cun1, name="婴二", sex="F", birth_date=D(2024, 3, 1), temp_key="T-B-2")
        with pytest.raises(NotFound):  # the same newborn placed in another township: not this officer's to place
            events.record(s, cun1, "birth", other, D(2024, 3, 1), hukou_unit=orgs.get_unit(s, V3), residence_unit=orgs.get_unit(s, V3))


@pytest.mark.parametrize("role, unit", [(Role.AUDITOR, COUNTY), (Role.COUNTY_STATISTICIAN, COUNTY), (Role.BENEFIT_ADMIN, COUNTY)])
def test_roles_without_registry_writes_are_forbidden(two_townships, role, unit):
    db, ids = two_townships
    with db.write(ACTOR) as s:
        off = _officer(s, role, unit)
        mine = s.get(Person, ids["mine"])
        for write in (
            lambda: events.record(s, off, "death", mine, D(2024, 1, 1)),
            lambda: events.retract(s, off, ids["far_event"], reason="r"),
            lambda: persons.add_person(s, off, name="某", sex="M", birth_date=D(2000, 1, 1), temp_key="T-X"),
            lambda: persons.amend_person(s, off, ids["mine_key"], expected_version=1, reason="r", name="某"),
            lambda: persons.create_household(s, off, number="H-9", unit=orgs.get_unit(s, V1), created_on=D(2000, 1, 1)),
        ):
            with pytest.raises(Forbidden):
                write()


def test_amending_somebody_outside_the_area_is_not_found_like_nobody(two_townships):
    db, ids = two_townships
    nobody = pid(D(1986, 3, 1), "M", 77)
    with db.write(ACTOR) as s:
        xiang1 = _officer(s, Role.TOWNSHIP_OFFICER, T1)
        said = []
        for key in (ids["far_key"], nobody):
            with pytest.raises(NotFound) as e:
                persons.amend_person(s, xiang1, key, expected_version=1, reason="r", name="某")
            said.append(e.value.zh.replace(mask(key), "KEY"))
        assert said[0] == said[1]
        with pytest.raises(NotFound):
            persons.create_household(s, xiang1, number="H-9", unit=orgs.get_unit(s, V3), created_on=D(2000, 1, 1))
        assert persons.amend_person(s, xiang1, ids["mine_key"], expected_version=1, reason="错字", name="赵壹").name == "赵壹"


def test_a_write_names_its_officer_in_the_audit_trail(two_townships):
    db, ids = two_townships
    with db.write(Actor("someone-else")) as s:
        with pytest.raises(RuntimeError):
            events.record(s, SYSTEM, "death", s.get(Person, ids["mine"]), D(2024, 1, 1))


def test_possible_duplicates_inside_the_area_only(two_townships):
    db, ids = two_townships
    with db.read() as s:
        xiang1, county = _officer(s, Role.TOWNSHIP_OFFICER, T1), _officer(s, Role.AUDITOR, COUNTY)
        far, mine = s.get(Person, ids["far"]), s.get(Person, ids["mine"])
        by_id = persons.possible_duplicates(s, xiang1, id_number=far.id_number, name="别人", birth_date=D(2000, 1, 1))
        assert by_id == persons.Duplicates([], True)  # a record exists elsewhere, and nothing more
        by_name = persons.possible_duplicates(s, xiang1, id_number=None, name="赵二", birth_date=far.birth_date)
        assert by_name == persons.Duplicates([], False)  # somebody elsewhere with that name and birth date: nothing at all
        assert persons.possible_duplicates(s, county, id_number=None, name="赵二", birth_date=far.birth_date).inside == [
            (far, frozenset({"name"}))
        ]
        own = persons.possible_duplicates(s, xiang1, id_number=mine.id_number, name="赵一", birth_date=mine.birth_date)
        assert own == persons.Duplicates([(mine, frozenset({"id", "name"}))], False)


def test_adding_a_number_held_elsewhere_says_only_that(two_townships):
    db, ids = two_townships
    with db.write(ACTOR) as s:
        xiang1 = _officer(s, Role.TOWNSHIP_OFFICER, T1)
        with pytest.raises(ValidationFailed) as e:
            persons.add_person(s, xiang1, name="别人", sex="M", birth_date=D(1986, 3, 1), id_number=ids["far_key"])
        assert [(p.field, p.rule) for p in e.value.problems] == [("id_number", "registered_elsewhere")]
        with pytest.raises(ValidationFailed) as e:
            persons.add_person(s, xiang1, name="别人", sex="F", birth_date=D(1985, 3, 1), id_number=ids["mine_key"])
        assert [(p.field, p.rule) for p in e.value.problems] == [("id_number", "conflicts_existing")]
