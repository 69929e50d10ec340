"""Reports: recipients and money by programme, unit and year; the "three full coverages" of
special-assistance families with a record of each and coverage rates."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from renkou.benefits import reports
from renkou.benefits.cycle import coverage, exits
from renkou.benefits.payments import batches, release
from renkou.errors import NotFound, UserError, ValidationFailed
from renkou.stats import render
from renkou.storage.schema import BenefitCoverage, PaymentLine, Person
from tests.benefits.cycle_kit import COMMUNITY, COUNTY, TODAY, TOWN, TOWNSHIP, Desk, family_of_reward

D = dt.date


@pytest.fixture
def desk(db):
    d = Desk(db)
    b = d.b
    family_of_reward(b, "li")  # two daughters: reward
    b.couple("far", D(1955, 5, 5), D(1957, 6, 6), D(1978, 1, 1), where=COMMUNITY)
    b.child("far_a", "F", D(1980, 3, 3), mother="far_m", father="far_f", where=COMMUNITY)
    b.couple("dm", D(1950, 3, 3), D(1953, 3, 3), D(1973, 1, 1))  # only son died: special (Henan: doubled)
    b.child("dm_s", "M", D(1975, 5, 5), mother="dm_m", father="dm_f")
    b.die("dm_s", D(2000, 8, 8))
    b.couple("w49", D(1970, 1, 10), D(1976, 8, 20), D(1996, 1, 1))  # the wife turns 49 on 2025-08-20
    b.child("w49_c", "F", D(1998, 5, 5), mother="w49_m", father="w49_f")
    b.die("w49_c", D(2020, 2, 1))
    return d


def col(t, key):
    return t.column(key)


def by_code(t):
    return {r.code: r.values for r in t.rows}


def test_recipients_and_money_by_programme_unit_and_year(desk, tmp_path):
    for key in ("li_f", "li_m"):
        desk.recipient(key)
    desk.recipient("far_f", worker="she")
    desk.b.event("move", "li_m", D(2025, 9, 10), scope="both", destination_code="440305")
    [e] = desk.step("xian", exits.detect, desk.programmes, as_of=D(2025, 10, 1), today=TODAY)
    desk.step("xian", exits.decide, e.id, confirm=True, on=D(2025, 10, 2), notice="440305-2025-9", today=TODAY)
    b = desk.step("xian", batches.create_batch, desk.eligibility, programme="reward", period="2025Q1", on=D(2025, 4, 10), today=TODAY)
    desk.step("xian", release.release, desk.eligibility, b.id, on=D(2025, 4, 10), today=TODAY)
    from renkou.benefits.payments import bankfile

    lay = bankfile.load_layout()
    with desk.db.read() as s:
        refs = [f"RK{i}" for i in s.scalars(select(PaymentLine.id).order_by(PaymentLine.id))]
    p = tmp_path / "r.csv"
    with p.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["业务流水号", "处理结果", "失败原因"])
        w.writerows([[r, "成功", ""] for r in refs])
    bankfile.import_result(desk.db, desk.officer("xian"), b.id, p, lay, on=D(2025, 4, 20), today=TODAY)
    with desk.db.read() as s:
        t = reports.recipients(s, desk.officer("shenji"), desk.eligibility, year=2025, org=COUNTY, today=TODAY)
    rows = by_code(t)
    assert list(rows) == [TOWN, TOWNSHIP, COUNTY]
    get = lambda code, key: rows[code][col(t, key)]  # noqa: E731
    assert (get(TOWNSHIP, "reward_n"), get(TOWN, "reward_n"), get(COUNTY, "reward_n")) == (2, 1, 3)
    assert (get(TOWNSHIP, "reward_exits"), get(COUNTY, "reward_exits")) == (1, 1)
    # li_m to September, the month he left; li_f too: from October her husband's hukou is outside the county
    assert get(TOWNSHIP, "reward_due") == Decimal("720.00") + Decimal("720.00")
    assert get(TOWN, "reward_due") == Decimal("960.00")
    assert (get(TOWNSHIP, "reward_paid"), get(TOWN, "reward_paid"), get(COUNTY, "reward_paid")) == (
        Decimal("480.00"),
        Decimal("240.00"),
        Decimal("720.00"),
    )
    assert get(COUNTY, "special_n") == 0
    # 应发 = 已发 + 未发 in every row and programme; nothing waits in a batch: all was paid
    for vals in rows.values():
        for prog in ("reward", "special"):
            assert vals[col(t, f"{prog}_due")] == vals[col(t, f"{prog}_paid")] + vals[col(t, f"{prog}_waiting")]
    assert (get(COUNTY, "reward_waiting"), get(COUNTY, "reward_batched")) == (Decimal("1680.00"), Decimal("0.00"))
    assert t.rows[-1].is_total and t.columns[col(t, "reward_n")].header == ("奖扶", "享受人数")
    assert render.to_pdf(t).startswith(b"%PDF") and render.to_xlsx(t)[:2] == b"PK"
    lines = render.to_csv(t).decode("utf-8-sig").splitlines()
    assert "奖扶/享受人数" in lines[1]


def test_a_report_only_inside_the_account_s_area(desk):
    desk.recipient("li_f")
    desk.recipient("far_f", worker="she")
    with desk.db.read() as s:
        with pytest.raises(NotFound):
            reports.recipients(s, desk.officer("zhen"), desk.eligibility, year=2025, org=COUNTY)
        t = reports.recipients(s, desk.officer("zhen"), desk.eligibility, year=2025, org=TOWN)
        assert t.rows[-1].values[col(t, "reward_n")] == 1
        with pytest.raises(UserError) as e:
            reports.recipients(s, desk.officer("tongji"), desk.eligibility, year=2025, org=COUNTY)  # no benefit:read
        assert e.value.code == "forbidden"


def record(desk, key, kind, detail, since=D(2025, 10, 10), who="xiang"):
    with desk.db.read() as s:
        person = s.get(Person, desk.id(key))
    return desk.step(
        who, lambda s, off: coverage.record(s, off, person=s.get(Person, person.id), kind=kind, detail=detail, since=since, today=TODAY)
    )


def test_the_three_coverages_with_records_and_rates(desk):
    for key in ("dm_f", "dm_m"):
        desk.recipient(key, programme="special")
    for key in ("w49_f", "w49_m"):
        desk.recipient(key, programme="special", on=D(2025, 9, 1), confirm_on=D(2025, 10, 1))
    record(desk, "dm_f", "liaison", "乡计生办 王主任 138****0001")
    record(desk, "dm_m", "doctor", "乡卫生院家庭医生团队 协议 2025-031")  # either spouse's record covers the family
    record(desk, "dm_m", "channel", "县人民医院 优先就诊")
    record(desk, "w49_m", "liaison", "村委 李委员")
    with desk.db.read() as s:
        t = reports.coverage(s, desk.officer("xian"), on=D(2025, 12, 1), org=COUNTY, today=TODAY)
    rows = by_code(t)
    county = rows[COUNTY]
    assert county[col(t, "families")] == 2
    assert [county[col(t, f"{k}_n")] for k in ("liaison", "doctor", "channel", "all")] == [2, 1, 1, 1]
    assert [county[col(t, f"{k}_rate")] for k in ("liaison", "doctor", "channel", "all")] == [100.0, 50.0, 50.0, 50.0]
    assert rows[TOWN][col(t, "families")] == 0 and rows[TOWN][col(t, "liaison_rate")] is None
    with desk.db.read() as s:  # before the records began: nothing covered
        early = reports.coverage(s, desk.officer("xian"), on=D(2025, 10, 5), org=COUNTY, today=TODAY)
    assert by_code(early)[COUNTY][early.column("liaison_n")] == 0
    assert render.to_pdf(t).startswith(b"%PDF")


def test_a_new_liaison_takes_over_and_records_are_only_for_special_assistance_families(desk):
    desk.recipient("dm_f", programme="special")
    first = record(desk, "dm_f", "liaison", "王主任")
    second = record(desk, "dm_f", "liaison", "张主任", since=D(2025, 11, 1))
    with desk.db.read() as s:
        rows = [(c.detail, c.since, c.until) for c in coverage.of_person(s, desk.id("dm_f"))]
    assert rows == [("王主任", D(2025, 10, 10), D(2025, 10, 31)), ("张主任", D(2025, 11, 1), None)]
    assert first.id != second.id
    desk.recipient("li_f")
    with pytest.raises(NotFound):
        record(desk, "li_f", "liaison", "x")  # a reward recipient, not a special-assistance family
    with pytest.raises(NotFound):
        record(desk, "dm_f", "doctor", "x", who="zhen")  # another township's officer
    with pytest.raises(ValidationFailed):
        record(desk, "dm_f", "dentist", "")
    with pytest.raises(UserError) as e:
        record(desk, "dm_f", "doctor", "x", who="shenji")
    assert e.value.code == "forbidden"
    c = desk.step("xiang", coverage.end, second.id, until=D(2025, 12, 31), reason="联系人调离")
    assert c.until == D(2025, 12, 31)
    with desk.db.read() as s:
        assert s.scalar(select(BenefitCoverage.until).where(BenefitCoverage.id == second.id)) == D(2025, 12, 31)


def test_money_not_yet_paid_is_entitled_less_paid_and_a_batch_not_yet_released_is_shown_apart(desk):
    """The report's columns add up (issue 14: it printed 3600 / 0 / 900): what is not yet paid is what
    is entitled less what was paid, whether or not it is already in a batch; what a batch holds is its own column."""
    for key in ("li_f", "li_m"):
        desk.recipient(key)
    desk.step("xian", batches.create_batch, desk.eligibility, programme="reward", period="2025Q1", on=D(2025, 4, 10), today=TODAY)
    with desk.db.read() as s:
        t = reports.recipients(s, desk.officer("xian"), desk.eligibility, year=2025, org=COUNTY, today=TODAY)
        batched = sum((ln.amount for ln in s.scalars(select(PaymentLine))), Decimal(0))
    county = by_code(t)[COUNTY]
    due, paid, waiting, in_batch = (county[col(t, f"reward_{k}")] for k in ("due", "paid", "waiting", "batched"))
    assert batched > 0 and in_batch == batched
    assert paid == 0 and waiting == due == Decimal("1920.00")  # two recipients, 12 months of 80 yuan each
    assert due == paid + waiting and in_batch <= waiting
    assert any("未发金额 = 应发金额 − 已发金额" in n for n in t.notes)


def test_the_report_is_an_official_form_head_and_foot(desk):
    """表号 and 制定机关 in the head; 单位负责人, 审核人, 填表人 and the date in the foot (issue 14)."""
    import io

    from openpyxl import load_workbook

    desk.recipient("li_f")
    with desk.db.read() as s:
        t = reports.recipients(s, desk.officer("xian"), desk.eligibility, year=2025, org=COUNTY, prepared_by="李四", today=TODAY)
    wb = load_workbook(io.BytesIO(render.to_xlsx(t)))
    cells = " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None)
    for want in ("表号：扶助年1表", "制定机关：县卫生健康委员会", "单位负责人：", "审核人：", "填表人：李四", f"填报日期：{TODAY.year}年"):
        assert want in cells, want
    assert "可配置" not in cells
