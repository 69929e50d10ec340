"""Edges of the cycle's services that the web pages reached: a number that names no record is "not
found" for the county too (never a crash); dates and years out of their order are refused; a bank's
name longer than its column, or a date in the future, is a validation problem on every database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from renkou.benefits.cycle import applications, coverage, exits, recipients, renewal
from renkou.benefits.payments import batches
from renkou.errors import NotFound, UserError, ValidationFailed
from renkou.storage.schema import BenefitApplication, BenefitExit, BenefitRecipient, Person
from tests.benefits.cycle_kit import TODAY, Desk, family_of_reward

D = dt.date
FUTURE = dt.date.today() + dt.timedelta(days=5)


@pytest.fixture
def desk(db):
    d = Desk(db)
    family_of_reward(d.b, "li")
    d.b.couple("dm", D(1950, 3, 3), D(1953, 3, 3), D(1973, 1, 1))
    d.b.child("dm_s", "M", D(1975, 5, 5), mother="dm_m", father="dm_f")
    return d


def test_a_number_that_names_nothing_is_not_found_for_the_county_too(desk):
    with pytest.raises(NotFound):
        desk.step("xian", exits.decide, 9999, confirm=True, on=D(2025, 7, 2), today=TODAY)
    with pytest.raises(NotFound):
        desk.step("xian", coverage.end, 9999, until=D(2025, 7, 2), reason="x")
    with pytest.raises(NotFound):
        desk.step("xian", applications.township_review, 9999, on=D(2025, 7, 2), today=TODAY)


def test_an_exit_is_not_decided_before_it_was_proposed(desk):
    desk.recipient("dm_f")
    desk.b.die("dm_f", D(2025, 6, 15))
    (e,) = desk.step("xiang", exits.detect, desk.programmes, as_of=D(2025, 7, 1), today=TODAY)
    with pytest.raises(UserError, match="早于提出退出建议的日期"):
        desk.step("xian", exits.decide, e.id, confirm=True, on=D(2025, 6, 30), today=TODAY)
    desk.step("xian", exits.decide, e.id, confirm=True, on=D(2025, 7, 1), today=TODAY)
    with desk.db.read() as s:
        assert s.get(BenefitExit, e.id).status == "confirmed"


def test_an_unknown_programme_is_refused_not_searched_for_nothing(desk):
    with pytest.raises(ValidationFailed) as err:
        desk.step("xiang", exits.detect, desk.programmes, as_of=D(2025, 7, 1), programme="nothing", today=TODAY)
    assert err.value.problems[0].rule == "bad_choice"


def test_a_year_is_re_confirmed_around_its_start_only(desk):
    with pytest.raises(ValidationFailed) as err:
        desk.step("xian", renewal.reconfirm, desk.eligibility, programme="reward", year=2030, on=D(2026, 1, 10), today=TODAY)
    assert (err.value.problems[0].rule, err.value.problems[0].field) == ("bad_choice", "year")
    desk.step("xian", renewal.reconfirm, desk.eligibility, programme="reward", year=2026, on=D(2026, 1, 10), today=TODAY)


def test_a_bank_name_longer_than_its_column_is_a_problem_on_every_database(desk):
    long_bank = "中国农业银行股份有限公司" * 6  # 72 characters: the column holds 60
    with pytest.raises(ValidationFailed) as err:
        off = desk.officer("cun")
        with desk.db.write(off.actor) as s:
            applications.apply(
                s,
                off,
                desk.programmes,
                programme="reward",
                person=s.get(Person, desk.id("li_f")),
                year=2025,
                applied_on=D(2025, 3, 1),
                account_no="6228480012345678",
                bank=long_bank,
                attested={"declaration": D(2025, 3, 1)},
                today=TODAY,
            )
    assert [(p.rule, p.field) for p in err.value.problems] == [("too_long", "bank")]
    rec = desk.recipient("li_f")
    with pytest.raises(ValidationFailed) as err:
        desk.step("cun", recipients.set_account, rec.id, account_no="6222000011112222", bank=long_bank, reason="换卡", on=D(2025, 5, 1))
    assert [(p.rule, p.field) for p in err.value.problems] == [("too_long", "bank")]
    with pytest.raises(ValidationFailed) as err:
        desk.step("cun", recipients.set_account, rec.id, account_no="6222000011112222", reason="换卡", on=FUTURE)
    assert [(p.rule, p.field) for p in err.value.problems] == [("future_date", "date")]
    with desk.db.read() as s:
        assert s.get(BenefitRecipient, rec.id).account_no != "6222000011112222"
        assert s.scalar(select(BenefitApplication.id).where(BenefitApplication.bank == long_bank)) is None


def test_a_line_is_not_voided_on_a_day_to_come(desk):
    desk.recipient("li_f")
    b = desk.step("xian", batches.create_batch, desk.eligibility, programme="reward", period="2025", on=D(2025, 4, 10), today=TODAY)
    with desk.db.read() as s:
        line = batches.lines_of(s, s.get(type(b), b.id))[0].id
    with pytest.raises(ValidationFailed) as err:
        desk.step("xian", batches.void_line, line, reason="重复", on=FUTURE)
    assert err.value.problems[0].rule == "future_date"
