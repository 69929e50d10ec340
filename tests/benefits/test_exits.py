"""Exits proposed from the registry's events — death, another child, the child's age limit, moving
away — each decided by a confirming officer; and the annual re-confirmation of recipients."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from renkou.benefits.cycle import exits, renewal
from renkou.errors import UserError, ValidationFailed
from renkou.storage.schema import AuditEntry, BenefitConfirmation, BenefitExit, BenefitRecipient
from tests.benefits.cycle_kit import COMMUNITY, TODAY, Desk, family_of_reward

D = dt.date


@pytest.fixture
def desk(db):
    d = Desk(db)
    b = d.b
    family_of_reward(b, "li")  # two daughters: reward
    b.couple("dm", D(1950, 3, 3), D(1953, 3, 3), D(1973, 1, 1))  # only son died: reward and special
    b.child("dm_s", "M", D(1975, 5, 5), mother="dm_m", father="dm_f")
    b.die("dm_s", D(2000, 8, 8))
    b.couple("cc", D(1994, 1, 1), D(1995, 1, 1), D(2020, 1, 1))  # a child born 2022-05-10: childcare to May 2025
    b.child("cc_c", "F", D(2022, 5, 10), mother="cc_m", father="cc_f")
    b.couple("t18", D(1980, 1, 1), D(1982, 1, 1), D(2005, 1, 1))  # only son 18 on 2025-05-20: one-child reward
    b.child("t18_c", "M", D(2007, 5, 20), mother="t18_m", father="t18_f")
    return d


def proposals(desk, who="xian", on=D(2025, 12, 1)):
    new = desk.step(who, exits.detect, desk.programmes, as_of=on, today=TODAY)
    return sorted((e.cause, e.effective_on, desk.b.key_of(_person(desk, e.recipient_id))) for e in new)


def _person(desk, recipient_id):
    with desk.db.read() as s:
        return s.get(BenefitRecipient, recipient_id).person_id


def exit_of(desk, cause):
    with desk.db.read() as s:
        return s.scalar(select(BenefitExit).where(BenefitExit.cause == cause))


def test_death_is_proposed_once_and_confirmed_ends_the_recipient(desk):
    rec = desk.recipient("dm_f")
    assert proposals(desk, on=D(2025, 6, 1)) == []
    ev = desk.b.die("dm_f", D(2025, 6, 15))  # recorded after the confirmation
    assert proposals(desk, on=D(2025, 7, 1)) == [("death", D(2025, 6, 15), "dm_f")]
    assert proposals(desk, on=D(2025, 8, 1)) == []  # proposing again adds nothing
    e = exit_of(desk, "death")
    assert (e.event_id, e.status, e.proposed_on) == (ev, "proposed", D(2025, 7, 1))
    with desk.db.read() as s:
        assert s.get(BenefitRecipient, rec.id).ended_on is None  # a proposal ends nothing by itself
    desk.step("xian", exits.decide, e.id, confirm=True, on=D(2025, 7, 2), today=TODAY)
    with desk.db.read() as s:
        assert s.get(BenefitRecipient, rec.id).ended_on == D(2025, 6, 15)
        assert s.get(BenefitExit, e.id).decided_by == "xian"
        assert s.scalar(select(AuditEntry).where(AuditEntry.table_name == "benefit_recipient", AuditEntry.row_id == rec.id)).after == {
            "ended_on": "2025-06-15"
        }
    with pytest.raises(UserError, match="已于"):
        desk.step("xian", exits.decide, e.id, confirm=False, on=D(2025, 7, 3), reason="x", today=TODAY)
    assert proposals(desk, on=D(2025, 9, 1)) == []  # the recipient has ended: nothing more is proposed


def test_another_child_adopted_after_the_application_ends_special_assistance(desk):
    desk.recipient("dm_m", programme="special")
    assert proposals(desk, on=D(2025, 7, 1)) == []  # the son born in 1975 is the one child, not another
    desk.b.person("dm_a", "F", D(2019, 2, 2), registered=D(2025, 8, 1))
    ev = desk.b.adopt("dm_a", D(2025, 8, 1), mother="dm_m", father="dm_f")
    assert proposals(desk, on=D(2025, 9, 1)) == [("another_child", D(2025, 8, 1), "dm_m")]
    assert exit_of(desk, "another_child").event_id == ev


def test_the_child_s_third_birthday_ends_the_childcare_subsidy(desk):
    desk.recipient("cc_c", programme="childcare", payee="cc_m")
    assert proposals(desk, on=D(2025, 5, 9)) == []
    assert proposals(desk, on=D(2025, 5, 10)) == [("age_limit", D(2025, 5, 10), "cc_c")]
    assert "36" in exit_of(desk, "age_limit").detail
    assert desk.eligibility.entitlement("childcare", desk.id("cc_c"), 2025).amount == 1500  # January to May


def test_the_only_child_turning_18_ends_the_one_child_reward(desk):
    desk.recipient("t18_f", programme="onechild")
    assert proposals(desk, on=D(2025, 6, 1)) == [("age_limit", D(2025, 5, 20), "t18_f")]


def test_moving_away_is_confirmed_only_with_the_receiving_county_s_notice(desk):
    rec = desk.recipient("li_f")
    ev = desk.b.event("move", "li_f", D(2025, 9, 1), scope="both", destination_code="440305")
    assert proposals(desk, on=D(2025, 10, 1)) == [("moved_away", D(2025, 9, 1), "li_f")]
    e = exit_of(desk, "moved_away")
    assert e.event_id == ev and "440305" in e.detail
    with pytest.raises(ValidationFailed) as err:
        desk.step("xian", exits.decide, e.id, confirm=True, on=D(2025, 10, 2), today=TODAY)
    assert "receiving county" in err.value.en
    desk.step("xian", exits.decide, e.id, confirm=True, on=D(2025, 10, 2), notice="深圳市福田区卫健局 2025-118 号", today=TODAY)
    with desk.db.read() as s:
        assert s.get(BenefitExit, e.id).notice == "深圳市福田区卫健局 2025-118 号"
        assert s.get(BenefitRecipient, rec.id).ended_on == D(2025, 9, 1)


def test_a_dismissed_proposal_needs_a_reason_and_ends_nothing(desk):
    rec = desk.recipient("li_f")
    desk.b.event("move", "li_f", D(2025, 9, 1), scope="both", destination_code="440305")
    proposals(desk, on=D(2025, 10, 1))
    e = exit_of(desk, "moved_away")
    with pytest.raises(ValidationFailed):
        desk.step("xian", exits.decide, e.id, confirm=False, on=D(2025, 10, 2), today=TODAY)
    desk.step("xian", exits.decide, e.id, confirm=False, on=D(2025, 10, 2), reason="户口迁移登记有误，已更正", today=TODAY)
    with desk.db.read() as s:
        assert (s.get(BenefitExit, e.id).status, s.get(BenefitRecipient, rec.id).ended_on) == ("dismissed", None)


def test_who_may_propose_and_decide_exits(desk):
    desk.recipient("dm_f")
    desk.b.die("dm_f", D(2025, 6, 15))
    with pytest.raises(UserError) as e:
        desk.step("cun", exits.detect, desk.programmes, as_of=D(2025, 7, 1), today=TODAY)
    assert e.value.code == "forbidden"
    assert proposals(desk, who="zhen", on=D(2025, 7, 1)) == []  # the town's officer: not its recipient
    assert proposals(desk, who="xiang", on=D(2025, 7, 1)) == [("death", D(2025, 6, 15), "dm_f")]
    ex = exit_of(desk, "death")
    for who in ("xiang", "cun", "shenji"):
        with pytest.raises(UserError) as e:
            desk.step(who, exits.decide, ex.id, confirm=True, on=D(2025, 7, 2), today=TODAY)
        assert e.value.code == "forbidden"
    with desk.db.read() as s:
        assert exits.list_exits(s, desk.officer("zhen")) == []
        assert [x.id for x, _ in exits.list_exits(s, desk.officer("shenji"))] == [ex.id]


# ------------------------------------------------------------------------------------ re-confirmation


def test_reconfirmation_renews_the_eligible_and_proposes_exits_for_the_others(desk):
    li, dm = desk.recipient("li_f"), desk.recipient("dm_f")
    desk.b.die("dm_f", D(2025, 6, 15))
    desk.b.event("hukou_type", "li_m", D(2025, 10, 1), hukou_type="non_agricultural")  # li_m's wife: no longer rural
    li_m = desk.recipient("li_m", confirm_on=D(2025, 4, 2))
    r = desk.step("xian", renewal.reconfirm, desk.eligibility, programme="reward", year=2026, on=D(2026, 1, 10), today=TODAY)
    with desk.db.read() as s:
        conf = {(c.recipient_id, c.year, c.how) for c in s.scalars(select(BenefitConfirmation))}
        props = {(e.recipient_id, e.cause, e.effective_on) for e in s.scalars(select(BenefitExit))}
    assert (dm.id, "death", D(2025, 6, 15)) in props
    assert (dm.id, 2026, "reconfirm") not in conf and dm.id in [w[0] for w in r.waiting]
    # li_f's wife changed hukou type, so li_f (spouse rural) and li_m (self rural) fail from 2026
    assert (li.id, "ineligible", D(2025, 12, 31)) in props and (li_m.id, "ineligible", D(2025, 12, 31)) in props
    assert r.renewed == []
    again = desk.step("xian", renewal.reconfirm, desk.eligibility, programme="reward", year=2026, on=D(2026, 1, 11), today=TODAY)
    assert again.proposed == [] and again.renewed == []


def test_reconfirmation_confirms_a_recipient_still_eligible_once(desk):
    li = desk.recipient("li_f")
    r = desk.step("xian", renewal.reconfirm, desk.eligibility, programme="reward", year=2026, on=D(2026, 1, 10), today=TODAY)
    assert (r.renewed, r.proposed, r.waiting) == ([li.id], [], [])
    with desk.db.read() as s:
        assert {
            (c.year, c.how, c.account) for c in s.scalars(select(BenefitConfirmation).where(BenefitConfirmation.recipient_id == li.id))
        } == {(2025, "application", "xian"), (2026, "reconfirm", "xian")}
    assert (
        desk.step("xian", renewal.reconfirm, desk.eligibility, programme="reward", year=2026, on=D(2026, 1, 11), today=TODAY).renewed == []
    )
    with pytest.raises(UserError) as e:
        desk.step("xiang", renewal.reconfirm, desk.eligibility, programme="reward", year=2027, on=D(2026, 1, 11), today=TODAY)
    assert e.value.code == "forbidden"


def test_an_exit_stops_nothing_in_another_township(desk):
    desk.b.couple("far", D(1955, 5, 5), D(1957, 6, 6), D(1978, 1, 1), where=COMMUNITY)
    desk.b.child("far_a", "F", D(1980, 3, 3), mother="far_m", father="far_f", where=COMMUNITY)
    far = desk.recipient("far_f", worker="she")
    desk.b.die("far_f", D(2025, 6, 1))
    assert proposals(desk, who="xiang", on=D(2025, 7, 1)) == []
    assert proposals(desk, who="zhen", on=D(2025, 7, 1)) == [("death", D(2025, 6, 1), "far_f")]
    with desk.db.read() as s:
        assert s.get(BenefitRecipient, far.id).ended_on is None
