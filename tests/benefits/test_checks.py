"""The checks before a batch is released: each finding blocks its line until an officer clears it
with a reason (audited); release leaves blocked lines behind."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from renkou.benefits.payments import batches, checks, release
from renkou.benefits.rules import exclusions
from renkou.config import Settings
from renkou.errors import UserError, ValidationFailed
from renkou.registry import events, orgs, persons
from renkou.storage.schema import AuditEntry, BenefitConfirmation, BenefitRecipient, PaymentFinding, PaymentLine
from tests.benefits.cycle_kit import COMMUNITY, TODAY, VILLAGE, Desk, eligibility_for, family_of_reward
from tests.benefits.families import ACTOR, SYSTEM

D = dt.date


@pytest.fixture
def desk(db):
    d = Desk(db)
    b = d.b
    family_of_reward(b, "li")  # two daughters: reward
    b.couple("dm", D(1950, 3, 3), D(1953, 3, 3), D(1973, 1, 1))  # only son died 2000: reward and special
    b.child("dm_s", "M", D(1975, 5, 5), mother="dm_m", father="dm_f")
    b.die("dm_s", D(2000, 8, 8))
    b.couple("far", D(1955, 5, 5), D(1957, 6, 6), D(1978, 1, 1), where=COMMUNITY)  # no relation of the others
    b.child("far_a", "F", D(1980, 3, 3), mother="far_m", father="far_f", where=COMMUNITY)
    return d


def create(desk, period="2025", on=D(2025, 1, 20), programme="reward"):
    return desk.step("xian", batches.create_batch, desk.eligibility, programme=programme, period=period, on=on, today=TODAY)


def check(desk, batch, on=D(2025, 1, 21), **kw):
    return desk.step("xian", checks.run, desk.eligibility, batch.id, on=on, today=TODAY, **kw)


def findings(desk, batch=None):
    with desk.db.read() as s:
        q = select(PaymentFinding, PaymentLine).join(PaymentLine, PaymentLine.id == PaymentFinding.line_id).order_by(PaymentFinding.id)
        return [(desk.b.key_of(ln.person_id), f.kind, f.cleared_on is None) for f, ln in s.execute(q)]


def status_of(desk, key):
    with desk.db.read() as s:
        return s.scalar(select(PaymentLine.status).where(PaymentLine.person_id == desk.id(key)))


def test_a_clean_batch_has_no_findings(desk):
    desk.recipient("li_f")
    desk.recipient("li_m")  # spouses may share the account
    b = create(desk)
    assert check(desk, b) == [] and findings(desk) == []
    assert status_of(desk, "li_f") == "pending"


def test_a_recipient_who_dies_mid_year_is_flagged_when_the_batch_would_pay_after_death(desk):
    desk.recipient("dm_f")
    b = create(desk, on=D(2025, 1, 20))  # a year's batch made in January, 12 months
    desk.b.die("dm_f", D(2025, 6, 15))  # registered afterwards
    found = check(desk, b, on=D(2025, 7, 1))
    assert sorted(f.kind for f in found) == ["death", "ineligible"]
    death = next(f for f in found if f.kind == "death")
    assert "2025-06-15" in death.detail and "2025-12" in death.detail
    assert status_of(desk, "dm_f") == "blocked"
    b2, released, held = desk.step("xian", release.release, desk.eligibility, b.id, on=D(2025, 7, 2), today=TODAY)
    assert released == [] and [desk.b.key_of(ln.person_id) for ln in held] == ["dm_f"]  # nothing else to release
    with desk.db.read() as s:
        assert s.get(type(b), b.id).status == "draft"  # the batch waits, its line in it, blocked
        assert s.get(PaymentLine, held[0].id).batch_id == b.id
    assert status_of(desk, "dm_f") == "blocked"


def test_a_release_that_finds_every_line_blocked_keeps_its_findings(desk):
    desk.recipient("dm_f")
    b = create(desk, on=D(2025, 1, 20))
    desk.b.die("dm_f", D(2025, 6, 15))
    b2, released, held = desk.step("xian", release.release, desk.eligibility, b.id, on=D(2025, 7, 2), today=TODAY)  # no check before
    assert released == [] and len(held) == 1
    assert findings(desk) == [("dm_f", "death", True), ("dm_f", "ineligible", True)]  # recorded, open, for an officer to clear or void


def test_died_before_the_period(desk):
    desk.recipient("dm_f")
    desk.recipient("li_f")
    b = create(desk, period="2025Q3", on=D(2025, 4, 20))
    desk.b.die("dm_f", D(2025, 5, 2))
    check(desk, b, on=D(2025, 6, 1))
    with desk.db.read() as s:
        f = s.scalar(select(PaymentFinding).where(PaymentFinding.kind == "death"))
    assert "早于发放期" in f.detail and "before the period" in f.detail
    b2, released, held = desk.step("xian", release.release, desk.eligibility, b.id, on=D(2025, 6, 2), today=TODAY)
    assert [desk.b.key_of(ln.person_id) for ln in released] == ["li_f"] and [desk.b.key_of(ln.person_id) for ln in held] == ["dm_f"]
    with desk.db.read() as s:
        held_line = s.get(PaymentLine, held[0].id)
        assert (held_line.status, held_line.batch_id) == ("blocked", None)  # out of the released batch, still blocked


def test_not_eligible_on_the_period_s_dates(desk):
    desk.recipient("li_f")
    b = create(desk)
    desk.b.event("hukou_type", "li_f", D(2025, 3, 1), hukou_type="non_agricultural")
    [f] = check(desk, b, on=D(2025, 3, 2))
    assert f.kind == "ineligible" and "2025-12-01" in f.detail and "农业户口" in f.detail


def test_clearing_a_finding_needs_a_reason_is_audited_and_unblocks_the_line(desk):
    desk.recipient("dm_f")
    b = create(desk)
    desk.b.die("dm_f", D(2025, 6, 15))
    found = check(desk, b, on=D(2025, 7, 1))
    with pytest.raises(ValidationFailed):
        desk.step("xian", checks.clear, found[0].id, reason="", on=D(2025, 7, 2), today=TODAY)
    for who in ("xiang", "shenji"):
        with pytest.raises(UserError) as e:
            desk.step(who, checks.clear, found[0].id, reason="核实", on=D(2025, 7, 2), today=TODAY)
        assert e.value.code == "forbidden"
    desk.step("xian", checks.clear, found[0].id, reason="死亡登记有误，已核实本人健在", on=D(2025, 7, 2), today=TODAY)
    assert status_of(desk, "dm_f") == "blocked"  # one finding is left
    desk.step("xian", checks.clear, found[1].id, reason="同上", on=D(2025, 7, 2), today=TODAY)
    assert status_of(desk, "dm_f") == "pending"
    with pytest.raises(UserError, match="已于"):
        desk.step("xian", checks.clear, found[1].id, reason="再次", on=D(2025, 7, 3), today=TODAY)
    with desk.db.read() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.table_name == "payment_finding", AuditEntry.row_id == found[0].id))
        assert entry.reason == "死亡登记有误，已核实本人健在" and entry.after["cleared_by"] == "xian"
    assert check(desk, b, on=D(2025, 7, 3)) == []  # a cleared finding is not made again
    _, released, held = desk.step("xian", release.release, desk.eligibility, b.id, on=D(2025, 7, 4), today=TODAY)
    assert (len(released), held) == (1, [])


def test_a_finding_cleared_after_release_sends_its_line_to_the_queue(desk):
    desk.recipient("dm_f")
    desk.recipient("li_f")
    b = create(desk)
    desk.b.die("dm_f", D(2025, 6, 15))
    found = check(desk, b, on=D(2025, 7, 1))
    desk.step("xian", release.release, desk.eligibility, b.id, on=D(2025, 7, 2), today=TODAY)
    for f in found:
        desk.step("xian", checks.clear, f.id, reason="已核实", on=D(2025, 7, 3), today=TODAY)
    assert status_of(desk, "dm_f") == "queued"


def _duplicate_recipient(desk, key, village=VILLAGE):
    """Legacy data: the same person registered a second time, and a recipient on each record."""
    with desk.db.write(ACTOR) as s:
        from renkou.storage.schema import Person

        p = s.get(Person, desk.id(key))
        twin = persons.add_person(s, SYSTEM, name=p.name, sex=p.sex, birth_date=p.birth_date, temp_key="T-DUP-1")
        unit = orgs.get_unit(s, village)
        events.record(
            s, SYSTEM, "register", twin, D(2000, 1, 1), source="import", hukou_unit=unit, residence_unit=unit, hukou_type="agricultural"
        )
        rec = s.scalar(select(BenefitRecipient).where(BenefitRecipient.person_id == p.id))
        copy = BenefitRecipient(
            programme=rec.programme,
            person_id=twin.id,
            payee_id=twin.id,
            unit_id=unit.id,
            application_id=rec.application_id,
            attested=rec.attested,
            account_no="6222000000000099",
            bank="",
            since=rec.since,
        )
        s.add(copy)
        s.flush()
        s.add(BenefitConfirmation(recipient_id=copy.id, year=2025, confirmed_on=rec.since, how="application", account="legacy"))
        return twin.id


def test_the_same_person_in_two_places(desk):
    desk.recipient("li_f")
    _duplicate_recipient(desk, "li_f")
    b = create(desk)
    check(desk, b)
    assert ("li_f", "two_places", True) in findings(desk)


def test_programmes_that_exclude_each_other_are_data(desk, tmp_path):
    desk.recipient("dm_f")
    desk.recipient("dm_f", programme="special", on=D(2025, 3, 2), confirm_on=D(2025, 4, 2))
    b = create(desk)
    assert check(desk, b) == []  # the shipped list excludes nothing
    (tmp_path / "exclusions.json").write_text(json.dumps({"pairs": [["special", "reward"]]}), encoding="utf-8")
    county = eligibility_for(desk.db, Settings(benefit_rules=str(tmp_path), benefit_posting_days=7))
    [f] = desk.step("xian", checks.run, county, b.id, on=D(2025, 1, 22), today=TODAY)
    assert f.kind == "exclusive" and "special" in f.detail
    (tmp_path / "exclusions.json").write_text(json.dumps({"pairs": [["special"]]}), encoding="utf-8")
    with pytest.raises(UserError, match="exclusions.json"):
        exclusions.pairs(Settings(benefit_rules=str(tmp_path)))


def test_an_account_shared_with_an_unrelated_recipient(desk):
    shared = "6222333344445555"
    desk.recipient("li_f", account=shared)
    desk.recipient("li_m", account=shared)  # his wife: related
    desk.recipient("far_f", worker="she", account=shared)  # a stranger in another township
    b = create(desk)
    check(desk, b)
    got = findings(desk)
    assert sorted(got) == [("far_f", "shared_account", True), ("li_f", "shared_account", True), ("li_m", "shared_account", True)]
    with desk.db.read() as s:
        detail = s.scalar(select(PaymentFinding.detail).where(PaymentFinding.kind == "shared_account"))
    assert shared not in detail and "6222********5555" in detail  # masked even here


def test_spouses_sharing_an_account_are_not_flagged(desk):
    shared = "6222333344445555"
    desk.recipient("li_f", account=shared)
    desk.recipient("li_m", account=shared)
    assert check(desk, create(desk)) == []


def test_a_released_batch_is_not_checked_again(desk):
    desk.recipient("li_f")
    b = create(desk)
    desk.step("xian", release.release, desk.eligibility, b.id, on=D(2025, 1, 22), today=TODAY)
    with pytest.raises(UserError, match="已提交银行"):
        check(desk, b)
    with desk.db.read() as s:
        assert s.scalar(select(PaymentLine.amount)) == Decimal("960.00")


def test_the_release_command_says_nothing_was_released_and_keeps_the_findings(desk, capsys):
    from tests.helpers import run_cli

    desk.recipient("dm_f")
    b = create(desk, on=D(2025, 1, 20))
    desk.b.die("dm_f", D(2025, 6, 15))
    code, out, err = run_cli(
        capsys, "--db", str(desk.db.url), "benefits", "batch", "release", str(b.id), "--as", "xian", "--date", "2025-07-02"
    )
    assert code == 1 and "没有可发放的款项：1 笔被核查拦截，核查发现已记录" in err and "Traceback" not in err + out
    assert [k for _, k, _ in findings(desk)] == ["death", "ineligible"]  # kept, not rolled back with the refusal
