"""The work queues (renkou.work.queues): each role sees only the kinds its permissions do, each counted
within its area — table-driven over every account of the benefit tests' county, on a county where every
kind of work waits in some village and not in others — and the births without an ID number listed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from renkou.auth.roles import ROLES, Role
from renkou.benefits.cycle import applications, exits, objections, posting
from renkou.benefits.payments import batches
from renkou.registry import events, orgs
from renkou.stats.service import Stats
from renkou.storage.schema import BenefitApplication, Event
from renkou.work import queues
from tests.benefits.cycle_kit import ACCOUNTS, COMMUNITY, TODAY, VILLAGE, VILLAGE2, Desk, family_of_reward
from tests.benefits.families import ACTOR, SYSTEM
from tests.work.newborns import newborn

D = dt.date
DAY = dt.date.today()


@pytest.fixture
def county(db):
    """Work waiting in the township's village 王庄村 (cun), its other village 李营村 (cun2) and the
    town's community (she), and at the county."""
    desk = Desk(db)
    b = desk.b
    for prefix, where in (("li", VILLAGE), ("wang", VILLAGE), ("dd", VILLAGE), ("zhao", VILLAGE2), ("far", COMMUNITY)):
        family_of_reward(b, prefix, where)
    # 王庄村: wang_f awaits the township review, wang_m the county; li_f the village review; li_m the posting
    for key in ("wang_f", "wang_m"):
        n = desk.apply("cun", key, on=D(2025, 2, 1))
        desk.through_posting(n, starts=D(2025, 2, 10))
    desk.step("xiang", applications.township_review, n, on=D(2025, 2, 25), today=TODAY)
    # a recipient of 王庄村 who has died since: a payment batch waits, and an exit proposal
    desk.recipient("dd_f", on=D(2025, 1, 5), confirm_on=D(2025, 2, 1))
    desk.step("xian", batches.create_batch, desk.eligibility, programme="reward", period="2025", on=D(2025, 4, 10), today=TODAY)
    b.die("dd_f", D(2025, 6, 1))
    desk.step("xian", exits.detect, desk.programmes, as_of=D(2025, 7, 1), today=TODAY)
    desk.apply("cun", "li_f")
    n = desk.apply("cun", "li_m")
    desk.step("cun", applications.village_review, n, on=D(2025, 3, 5), today=TODAY)
    # 李营村: a posting past its days, not ended, with an objection open
    n = desk.apply("cun2", "zhao_f")
    desk.step("cun2", applications.village_review, n, on=D(2025, 3, 5), today=TODAY)
    desk.step("cun2", posting.post, desk.settings, programme="reward", year=2025, village=VILLAGE2, starts_on=D(2025, 3, 10), today=TODAY)
    desk.step("cun2", objections.raise_objection, n, raised_on=D(2025, 3, 12), content="另有子女", today=TODAY)
    # the town's community: one applied, one awaiting the county; a rejected one counts nowhere
    desk.apply("she", "far_f")
    n = desk.apply("she", "far_m")
    desk.through_posting(n, worker="she")
    desk.step("zhen", applications.township_review, n, on=D(2025, 3, 25), today=TODAY)
    # births without an ID number: one in each village, one more who died, one with an ID number
    newborn(desk, "nb_a", VILLAGE, DAY - dt.timedelta(days=40))
    newborn(desk, "nb_old", VILLAGE, D(2019, 5, 5))  # years without a number: still waiting
    newborn(desk, "nb_b", VILLAGE2, DAY - dt.timedelta(days=3))
    newborn(desk, "nb_c", COMMUNITY, DAY - dt.timedelta(days=10))
    newborn(desk, "nb_dead", VILLAGE, DAY - dt.timedelta(days=30), died=DAY - dt.timedelta(days=20))
    newborn(desk, "nb_id", VILLAGE, DAY - dt.timedelta(days=5), with_id=True)
    return desk


# account -> {queue kind: count}: exactly the kinds shown, in KINDS' order
EXPECTED = {
    "cun": {"village_review": 1, "to_post": 1, "postings_to_end": 0, "births_without_id": 2},
    "cun2": {"village_review": 0, "to_post": 0, "postings_to_end": 1, "births_without_id": 1},
    "she": {"village_review": 1, "to_post": 0, "postings_to_end": 0, "births_without_id": 1},
    "xiang": {"objections_open": 1, "township_review": 1, "imports_with_problems": 3, "births_without_id": 3},
    "zhen": {"objections_open": 0, "township_review": 0, "imports_with_problems": 3, "births_without_id": 1},
    "xian": {
        "objections_open": 1,
        "township_review": 1,
        "confirm": 2,
        "exits_to_decide": 1,
        "batches_to_check": 1,
    },
    "shenji": {},
    "tongji": {},
}


@pytest.mark.parametrize("placed", ["by the event log", "by the statistics model"])
@pytest.mark.parametrize("user", sorted(EXPECTED))
def test_each_role_sees_its_kinds_counted_within_its_area(county, user, placed):
    off = county.officer(user)
    locate = Stats(county.db, county.settings, snapshot=False).locate if placed == "by the statistics model" else None
    with county.db.read() as s:
        got = queues.pending(s, off, queues.Context(DAY, import_problems=lambda: 3, locate=locate))
    assert {q.key: q.count for q in got} == EXPECTED[user]
    assert [q.key for q in got] == [k.key for k in queues.KINDS if k.key in EXPECTED[user]]  # the catalogue's order
    role = ROLES[Role(ACCOUNTS[user][0])]
    assert all(q.kind.permission in role.permissions for q in got)  # nothing its role may not do


def test_every_kind_is_shown_to_some_role_and_hidden_from_the_others():
    for k in queues.KINDS:
        holders = {r for r, info in ROLES.items() if k.permission in info.permissions}
        assert holders and holders != set(ROLES), k.key
        assert k.zh and k.en and k.link.startswith("/")


def test_a_kind_that_cannot_be_counted_here_is_left_out(county):
    with county.db.read() as s:
        got = queues.pending(s, county.officer("xiang"), queues.Context(DAY))
    assert "imports_with_problems" not in {q.key for q in got} and "township_review" in {q.key for q in got}


def test_the_counts_follow_the_work(county):
    """A step taken moves the work from one queue to the next; the posting's end leaves its queue."""

    def counts(user):
        with county.db.read() as s:
            return {q.key: q.count for q in queues.pending(s, county.officer(user), queues.Context(DAY))}

    with county.db.read() as s:
        n = s.scalar(select(BenefitApplication.id).where(BenefitApplication.status == "applied", BenefitApplication.unit_id == unit_id(s)))
    county.step("cun", applications.village_review, n, on=D(2025, 3, 6), today=TODAY)
    assert (counts("cun")["village_review"], counts("cun")["to_post"]) == (0, 2)
    with county.db.read() as s:
        p = s.scalar(select(BenefitApplication.posting_id).where(BenefitApplication.status == "posting"))
    county.step("cun2", posting.end_posting, p, on=D(2025, 3, 20), today=TODAY)
    assert counts("cun2")["postings_to_end"] == 0


def unit_id(s) -> int:
    return orgs.get_unit(s, VILLAGE).id


def test_a_posting_still_running_is_not_due(county):
    off = county.officer("cun2")
    with county.db.read() as s:
        assert queues.postings_to_end(s, off, queues.Context(D(2025, 3, 16))) == 0  # 7 days from 03-10: ends on 03-17
        assert queues.postings_to_end(s, off, queues.Context(D(2025, 3, 17))) == 1


def test_births_without_an_id_number_are_listed_the_longest_waiting_first(county):
    with county.db.read() as s:
        total, rows = queues.births_without_id(s, county.officer("xiang"), today=DAY)
        assert total == 3 and [r.person_id for r in rows] == [county.id(k) for k in ("nb_old", "nb_a", "nb_b")]
        assert rows[0].temp_key == "TNB_OLD" and rows[0].name == "测nb_old"
        total, page2 = queues.births_without_id(s, county.officer("xiang"), today=DAY, offset=1, limit=1)
        assert (total, [r.person_id for r in page2]) == (3, [county.id("nb_a")])
        # before the newest was born it is not counted; the county's statistician may read, the sysadmin may not
        assert queues.count_births_without_id(s, county.officer("xiang"), queues.Context(DAY - dt.timedelta(days=20))) == 2
        assert queues.births_without_id(s, county.officer("tongji"), today=DAY)[0] == 4


def test_the_list_is_the_same_whichever_way_the_area_is_checked(county):
    locate = Stats(county.db, county.settings, snapshot=False).locate
    for user in ("cun", "cun2", "xiang", "zhen", "tongji"):
        with county.db.read() as s:
            off = county.officer(user)
            by_log = queues.births_without_id(s, off, today=DAY)
            by_model = queues.births_without_id(s, off, today=DAY, locate=locate)
            assert by_log == by_model and by_log[0] == len(by_log[1]), user


def test_a_retracted_birth_is_not_waiting(county):
    with county.db.write(ACTOR) as s:
        ev = s.scalar(select(Event.id).where(Event.person_id == county.id("nb_b"), Event.kind == "birth"))
        events.retract(s, SYSTEM, ev, reason="重复登记")
    with county.db.read() as s:
        assert queues.count_births_without_id(s, county.officer("cun2"), queues.Context(DAY)) == 0
