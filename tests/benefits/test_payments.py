"""Payment batches: entitlements per period, exits respected, nothing entered twice — by the code and
by the database itself (on SQLite and PostgreSQL) — money exact, roles enforced."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from renkou.benefits.cycle import exits
from renkou.benefits.payments import batches
from renkou.errors import UserError, ValidationFailed
from renkou.storage.schema import PaymentBatch, PaymentLine, PaymentMonth
from tests.benefits.cycle_kit import TODAY, Desk

D = dt.date


@pytest.fixture
def desk(db):
    d = Desk(db)
    b = d.b
    b.couple("li", D(1955, 5, 5), D(1957, 6, 6), D(1978, 1, 1))  # two daughters: reward 960 a year each
    b.child("li_a", "F", D(1980, 3, 3), mother="li_m", father="li_f")
    b.child("li_b", "F", D(1983, 4, 4), mother="li_m", father="li_f")
    b.couple("dm", D(1950, 3, 3), D(1953, 3, 3), D(1973, 1, 1))  # only son died 2000: reward; dm_f dies 2025-06-15
    b.child("dm_s", "M", D(1975, 5, 5), mother="dm_m", father="dm_f")
    b.die("dm_s", D(2000, 8, 8))
    b.couple("dc", D(1994, 1, 1), D(1995, 1, 1), D(2020, 1, 1))  # a child born 2023-12-15: childcare 3,600 a year
    b.child("dc_c", "F", D(2023, 12, 15), mother="dc_m", father="dc_f")
    return d


def lines(desk, **where):
    with desk.db.read() as s:
        q = select(PaymentLine).order_by(PaymentLine.id)
        for k, v in where.items():
            q = q.where(getattr(PaymentLine, k) == v)
        return [(desk.b.key_of(ln.person_id), ln.period, ln.months, ln.amount, ln.status) for ln in s.scalars(q)]


def create(desk, programme="reward", period="2025", on=D(2025, 4, 10), who="xian"):
    return desk.step(who, batches.create_batch, desk.eligibility, programme=programme, period=period, on=on, today=TODAY)


def test_a_year_batch_pays_each_recipient_the_year_s_entitlement(desk):
    for key in ("li_f", "li_m", "dm_f"):
        desk.recipient(key)
    desk.b.die("dm_f", D(2025, 6, 15))
    b = create(desk)
    assert (b.status, b.period, b.programme) == ("draft", "2025", "reward")
    assert lines(desk) == [
        ("li_f", "2025", 12, Decimal("960.00"), "pending"),
        ("li_m", "2025", 12, Decimal("960.00"), "pending"),
        ("dm_f", "2025", 6, Decimal("480.00"), "pending"),
    ]  # alive on the first of January to June
    with desk.db.read() as s:
        assert all(isinstance(a, Decimal) for a in s.scalars(select(PaymentLine.amount)))
        assert s.scalar(select(func.sum(PaymentLine.amount))) == Decimal("2400.00")
        assert s.scalar(select(func.count()).select_from(PaymentMonth)) == 30


def test_the_same_batch_again_enters_nothing(desk):
    desk.recipient("li_f")
    create(desk)
    with pytest.raises(UserError, match="没有需要发放的款项"):
        create(desk, on=D(2025, 4, 11))
    with desk.db.read() as s:
        assert s.scalar(select(func.count()).select_from(PaymentBatch)) == 1  # the refused batch rolled back
    assert len(lines(desk)) == 1


def test_quarters_then_the_year_pay_each_month_once(desk):
    desk.recipient("dc_c", programme="childcare", payee="dc_m")
    create(desk, "childcare", "2025Q1")
    create(desk, "childcare", "2025Q2", on=D(2025, 7, 1))
    create(desk, "childcare", "2025", on=D(2025, 12, 1))  # the rest of the year only
    assert lines(desk) == [
        ("dc_c", "2025Q1", 3, Decimal("900.00"), "pending"),
        ("dc_c", "2025Q2", 3, Decimal("900.00"), "pending"),
        ("dc_c", "2025", 6, Decimal("1800.00"), "pending"),
    ]
    with desk.db.read() as s:
        assert (
            sum(s.scalars(select(PaymentLine.amount)))
            == desk.eligibility.entitlement("childcare", desk.id("dc_c"), 2025).amount
            == Decimal("3600.00")
        )
        months = sorted(s.scalars(select(PaymentMonth.month)))
    assert months == [D(2025, m, 1) for m in range(1, 13)]
    with pytest.raises(UserError):
        create(desk, "childcare", "2025Q3", on=D(2025, 12, 2))  # already in the year's line


def test_a_confirmed_exit_stops_the_entitlement_after_its_month(desk):
    rec = desk.recipient("li_f")
    desk.b.event("move", "li_f", D(2025, 9, 10), scope="both", destination_code="440305")
    [e] = desk.step("xian", exits.detect, desk.programmes, as_of=D(2025, 10, 1), today=TODAY)
    desk.step("xian", exits.decide, e.id, confirm=True, on=D(2025, 10, 2), notice="440305 卫健局函 2025-7", today=TODAY)
    create(desk)
    assert lines(desk) == [("li_f", "2025", 9, Decimal("720.00"), "pending")]  # January to September
    assert rec.id


def test_a_recipient_not_confirmed_for_the_year_is_not_paid(desk):
    desk.recipient("li_f")
    with pytest.raises(UserError, match="没有需要发放的款项"):
        create(desk, period="2026", on=D(2026, 2, 1))  # not re-confirmed for 2026 yet


@pytest.mark.parametrize("who", ["cun", "xiang", "shenji", "tongji"])
def test_only_the_county_benefit_administrator_pays(desk, who):
    desk.recipient("li_f")
    with pytest.raises(UserError) as e:
        create(desk, who=who)
    assert e.value.code == "forbidden"


def test_periods_are_years_or_quarters(desk):
    assert batches.parse_period("2025q3").months == (D(2025, 7, 1), D(2025, 8, 1), D(2025, 9, 1))
    assert batches.parse_period("2025").end == D(2025, 12, 31)
    for bad in ("2025-03", "2025Q5", "25", "1999"):
        with pytest.raises(ValidationFailed):
            batches.parse_period(bad)


@pytest.mark.parametrize(
    "text, key, first, last",
    [
        ("2025", "2025", D(2025, 1, 1), D(2025, 12, 1)),
        ("2025年", "2025", D(2025, 1, 1), D(2025, 12, 1)),
        ("2025年度", "2025", D(2025, 1, 1), D(2025, 12, 1)),
        ("２０２５年", "2025", D(2025, 1, 1), D(2025, 12, 1)),
        ("2025Q1", "2025Q1", D(2025, 1, 1), D(2025, 3, 1)),
        ("2025年第1季度", "2025Q1", D(2025, 1, 1), D(2025, 3, 1)),
        ("2025年一季度", "2025Q1", D(2025, 1, 1), D(2025, 3, 1)),
        ("2025年第四季度", "2025Q4", D(2025, 10, 1), D(2025, 12, 1)),
        (" 2004 年 ", "2004", D(2004, 1, 1), D(2004, 12, 1)),
        ("2100年第4季度", "2100Q4", D(2100, 10, 1), D(2100, 12, 1)),
    ],
)
def test_a_payment_period_in_chinese_has_the_code_as_its_key(text, key, first, last):
    p = batches.parse_period(text)
    assert (p.key, p.months[0], p.months[-1], len(p.months)) == (key, first, last, 12 if "Q" not in key else 3)
    assert batches.period_label(p.key) == batches.period_label(key) and "Q" not in batches.period_label(p.key)


@pytest.mark.parametrize(
    "text",
    [
        "2025-03",
        "2025年3月",
        "2025年12月份",
        "2025年上半年",
        "2025S1",
        "2025统计年度",
        "2025年1-3月",
        "2003年",
        "2101",
        "2025年第5季度",
        "",
        "季度",
    ],
)
def test_a_payment_period_that_is_not_a_year_or_quarter_is_refused_in_both_languages(text):
    with pytest.raises(ValidationFailed) as e:
        batches.parse_period(text)
    (p,) = e.value.problems
    assert (p.rule, p.field, p.value) == ("payment_period", "period", text)
    assert "2025年第1季度" in p.zh and "YYYY" not in p.zh and "Q1" not in p.zh and "2025Q1" in p.en and p.zh != p.en


@pytest.mark.parametrize(
    "key, zh, en", [("2025", "2025年", "2025"), ("2025Q1", "2025年第1季度", "Q1 2025"), ("garbled", "garbled", "garbled")]
)
def test_period_labels(key, zh, en):
    assert (batches.period_label(key), batches.period_label(key, "en")) == (zh, en)


def test_the_database_itself_refuses_a_second_payment_for_a_person_programme_and_period(desk):
    """Not the code: the UNIQUE constraints, whoever writes to the database."""
    desk.recipient("li_f")
    create(desk)
    with desk.db.read() as s:
        ln = s.scalar(select(PaymentLine))
        month = s.scalar(select(PaymentMonth))
        row = {c.name: getattr(ln, c.key) for c in PaymentLine.__table__.columns if c.name != "id"}
    amount = PaymentLine.__table__.c.amount.type.process_bind_param(ln.amount, desk.db.engine.dialect)
    cols = ", ".join(row)
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        with desk.db.engine.begin() as c:  # the same line again, in another batch: refused
            c.execute(
                text(f"INSERT INTO payment_line ({cols}) VALUES ({', '.join(':' + k for k in row)})"),
                {**row, "amount": amount, "batch_id": None, "status": "queued"},
            )
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        with desk.db.engine.begin() as c:  # the same month under another line: refused
            c.execute(
                text("INSERT INTO payment_month (line_id, person_id, programme, month, seq, created_cs) VALUES (:l, :p, :g, :m, :s, :c)"),
                {"l": ln.id, "p": month.person_id, "g": month.programme, "m": month.month, "s": month.seq, "c": month.created_cs},
            )
    for sql in (
        "DELETE FROM payment_line",
        "DELETE FROM payment_batch",
        "UPDATE payment_month SET month = month",
        "DELETE FROM payment_month",
    ):
        with pytest.raises(Exception, match="not allowed"):
            with desk.db.engine.begin() as c:
                c.execute(text(sql))
    assert len(lines(desk)) == 1


def test_money_is_stored_exactly(desk):
    desk.recipient("li_f")
    create(desk)
    with desk.db.engine.connect() as c:
        if desk.db.dialect == "sqlite":
            assert c.execute(text("SELECT amount, typeof(amount) FROM payment_line")).one() == (96000, "integer")  # fen, never a float
        else:
            assert c.execute(text("SELECT amount::text, pg_typeof(amount)::text FROM payment_line")).one() == ("960.00", "numeric")
    with pytest.raises(Exception, match="never float"):
        PaymentLine.__table__.c.amount.type.process_bind_param(960.0, desk.db.engine.dialect)


def test_void_needs_a_reason_and_keeps_the_months_entered(desk):
    desk.recipient("li_f")
    create(desk)
    with desk.db.read() as s:
        ln = s.scalar(select(PaymentLine))
    with pytest.raises(ValidationFailed):
        desk.step("xian", batches.void_line, ln.id, reason=" ", on=D(2025, 4, 11))
    desk.step("xian", batches.void_line, ln.id, reason="本人申请停发", on=D(2025, 4, 11))
    assert lines(desk) == [("li_f", "2025", 12, Decimal("960.00"), "void")]
    with pytest.raises(UserError):
        create(desk, on=D(2025, 4, 12))
