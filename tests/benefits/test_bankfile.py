"""The bank file (layout as data, CSV and XLSX), exported as often as needed, and the bank's result:
paid lines settled, failed ones re-queued with the reason and re-paid once — never twice."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from renkou.benefits.cycle import recipients
from renkou.benefits.payments import bankfile, batches, release
from renkou.errors import UserError, ValidationFailed
from renkou.storage.schema import PaymentBatch, PaymentExport, PaymentLine, PaymentResult, Person
from tests.benefits.cycle_kit import TODAY, Desk

D = dt.date
LAYOUT = bankfile.load_layout()


@pytest.fixture
def desk(db):
    d = Desk(db)
    d.b.couple("li", D(1955, 5, 5), D(1957, 6, 6), D(1978, 1, 1))  # two daughters: reward 960 each
    d.b.child("li_a", "F", D(1980, 3, 3), mother="li_m", father="li_f")
    d.b.child("li_b", "F", D(1983, 4, 4), mother="li_m", father="li_f")
    d.recipient("li_f", account="6222000011112222")
    d.recipient("li_m", account="6222000033334444")
    return d


def released_batch(desk, period="2025", on=D(2025, 4, 10)):
    b = desk.step("xian", batches.create_batch, desk.eligibility, programme="reward", period=period, on=on, today=TODAY)
    desk.step("xian", release.release, desk.eligibility, b.id, on=on, today=TODAY)
    return b


def export(desk, b, fmt="csv", layout=LAYOUT, who="xian"):
    return desk.step(who, bankfile.export, desk.programmes, b.id, layout, fmt, file_name=f"batch.{fmt}")


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def result_file(tmp_path, rows, name="result.csv"):
    p = tmp_path / name
    with p.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["业务流水号", "处理结果", "失败原因", "银行流水号"])
        w.writerows(rows)
    return p


def import_result(desk, b, path, on=D(2025, 4, 20), layout=LAYOUT):
    return bankfile.import_result(desk.db, desk.officer("xian"), b.id, path, layout, on=on, today=TODAY)


def ref_of(desk, key):
    with desk.db.read() as s:
        return f"RK{s.scalar(select(PaymentLine.id).where(PaymentLine.person_id == desk.id(key)))}"


def line_of(desk, key):
    with desk.db.read() as s:
        return s.scalar(select(PaymentLine).where(PaymentLine.person_id == desk.id(key)))


def test_the_bank_file_follows_the_layout_with_full_numbers_for_the_bank(desk):
    b = released_batch(desk)
    rows = rows_of(export(desk, b))
    with desk.db.read() as s:
        li_f = s.get(Person, desk.id("li_f"))
    assert rows[0] == ["业务流水号", "姓名", "身份证号码", "一卡通账号", "金额（元）", "补贴项目", "所属期间"]
    assert rows[1] == [
        ref_of(desk, "li_f"),
        li_f.name,
        li_f.id_number,
        "6222000011112222",
        "960.00",
        "农村部分计划生育家庭奖励扶助",
        "2025",
    ]
    assert len(rows) == 3


def test_a_layout_of_another_bank_is_data(desk, tmp_path):
    b = released_batch(desk)
    (tmp_path / "bank.json").write_text(
        json.dumps(
            {
                "columns": [
                    {"field": "account", "header": "卡号"},
                    {"field": "amount", "header": "金额"},
                    {"field": "name", "header": "户名"},
                    {"field": "ref", "header": "摘要"},
                    {"field": "village", "header": "村"},
                ],
                "result": {"ref": "摘要", "outcome": "状态"},
                "outcomes": {"paid": ["1"], "failed": ["0"]},
            }
        ),
        encoding="utf-8",
    )
    lay = bankfile.load_layout(tmp_path / "bank.json")
    rows = rows_of(export(desk, b, layout=lay))
    assert rows[0] == ["卡号", "金额", "户名", "摘要", "村"] and rows[1][:2] == ["6222000011112222", "960.00"]
    (tmp_path / "bad.json").write_text(
        json.dumps(
            {
                "columns": [{"field": "name", "header": "户名"}],
                "result": {"ref": "a", "outcome": "b"},
                "outcomes": {"paid": ["1"], "failed": ["0"]},
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(UserError, match="ref"):
        bankfile.load_layout(tmp_path / "bad.json")


def test_the_xlsx_bank_file_keeps_long_numbers_as_text(desk):
    b = released_batch(desk)
    ws = load_workbook(io.BytesIO(export(desk, b, "xlsx"))).active
    with desk.db.read() as s:
        id_number = s.get(Person, desk.id("li_f")).id_number
    assert ws.title == "代发明细"
    assert ws.cell(2, 3).value == id_number and ws.cell(2, 3).number_format == "@"
    assert ws.cell(2, 4).value == "6222000011112222" and ws.cell(2, 4).number_format == "@"
    assert Decimal(str(ws.cell(2, 5).value)) == Decimal("960")


def test_an_export_repeated_pays_nothing_twice(desk, tmp_path):
    b = released_batch(desk)
    first, second = export(desk, b), export(desk, b)
    assert first == second  # the same lines, the same file
    path = result_file(tmp_path, [[ref_of(desk, "li_f"), "成功", "", "B001"], [ref_of(desk, "li_m"), "成功", "", "B002"]])
    res = import_result(desk, b, path)
    assert (res.rows, res.created, res.unchanged) == (2, 2, 0)
    again = import_result(desk, b, path, on=D(2025, 4, 21))  # the bank's file imported a second time
    assert (again.created, again.unchanged) == (0, 2)
    with desk.db.read() as s:
        assert s.scalar(select(func.count()).select_from(PaymentExport).where(PaymentExport.batch_id == b.id)) == 2
        assert s.scalar(select(func.count()).select_from(PaymentResult)) == 2
        assert s.scalar(select(func.sum(PaymentLine.amount)).where(PaymentLine.status == "paid")) == Decimal("1920.00")
        assert s.get(PaymentBatch, b.id).status == "settled"
    with pytest.raises(UserError, match="没有待银行处理"):  # nothing left to send: paid money is never in a file again
        export(desk, b)
    with pytest.raises(UserError, match="没有需要发放"):
        desk.step("xian", batches.create_batch, desk.eligibility, programme="reward", period="2025", on=D(2025, 5, 1), today=TODAY)


def test_a_failed_payment_is_requeued_with_its_reason_and_repaid_once(desk, tmp_path):
    b = released_batch(desk)
    export(desk, b)
    import_result(
        desk, b, result_file(tmp_path, [[ref_of(desk, "li_f"), "成功", "", "B001"], [ref_of(desk, "li_m"), "失败", "账户已销户", ""]])
    )
    failed = line_of(desk, "li_m")
    assert (failed.status, failed.batch_id, failed.failure) == ("queued", None, "closed_account: 账户已销户")
    with desk.db.read() as s:
        assert s.get(PaymentBatch, b.id).status == "settled"
        rec_id = failed.recipient_id
    desk.step("xian", recipients.set_account, rec_id, account_no="6222000055556666", reason="已换发一卡通", on=D(2025, 4, 25))
    b2 = desk.step("xian", batches.create_batch, desk.eligibility, programme="reward", period="2025Q2", on=D(2025, 5, 1), today=TODAY)
    with desk.db.read() as s:
        in_b2 = {
            (desk.b.key_of(ln.person_id), ln.period, ln.id) for ln in s.scalars(select(PaymentLine).where(PaymentLine.batch_id == b2.id))
        }
    assert in_b2 == {("li_m", "2025", failed.id)}  # the same line, not a new one; the year's money already covers Q2
    desk.step("xian", release.release, desk.eligibility, b2.id, on=D(2025, 5, 2), today=TODAY)
    rows = rows_of(export(desk, b2))
    assert [r[3] for r in rows[1:]] == ["6222000055556666"]
    import_result(desk, b2, result_file(tmp_path, [[f"RK{failed.id}", "成功", "", "B009"]], "r2.csv"), on=D(2025, 5, 10))
    with desk.db.read() as s:
        li_m = s.get(PaymentLine, failed.id)
        results = [
            (r.batch_id, r.outcome)
            for r in s.scalars(select(PaymentResult).where(PaymentResult.line_id == failed.id).order_by(PaymentResult.id))
        ]
        paid = s.scalar(select(func.sum(PaymentLine.amount)).where(PaymentLine.person_id == desk.id("li_m"), PaymentLine.status == "paid"))
    assert (li_m.status, li_m.failure, li_m.batch_id) == ("paid", None, b2.id)
    assert results == [(b.id, "failed"), (b2.id, "paid")]
    assert paid == Decimal("960.00")  # once


def test_a_result_file_is_checked_row_by_row_and_imported_all_or_nothing(desk, tmp_path):
    b = released_batch(desk)
    path = result_file(
        tmp_path,
        [
            [ref_of(desk, "li_f"), "成功", "", "B001"],
            ["RK99999", "成功", "", ""],
            [ref_of(desk, "li_m"), "可能", "", ""],
            [ref_of(desk, "li_f"), "成功", "", ""],
            [ref_of(desk, "li_m"), "失败", "", ""],
        ],
    )
    with pytest.raises(ValidationFailed) as e:
        import_result(desk, b, path)
    got = [(p.row, p.field, p.value, p.rule) for p in e.value.problems]
    assert got == [
        (3, "业务流水号", "RK99999", "not_in_batch"),
        (4, "处理结果", "可能", "bad_choice"),
        (5, "业务流水号", ref_of(desk, "li_f"), "duplicate_in_file"),
        (6, "失败原因", "", "required"),
    ]
    assert e.value.result is not None and e.value.result.n_problems == 4
    assert {line_of(desk, k).status for k in ("li_f", "li_m")} == {"released"}  # nothing changed, not even row 2
    with desk.db.read() as s:
        assert s.scalar(select(func.count()).select_from(PaymentResult)) == 0


def test_a_different_answer_for_a_line_already_answered_is_refused(desk, tmp_path):
    b = released_batch(desk)
    import_result(desk, b, result_file(tmp_path, [[ref_of(desk, "li_f"), "成功", "", ""]]))
    with pytest.raises(ValidationFailed) as e:
        import_result(desk, b, result_file(tmp_path, [[ref_of(desk, "li_f"), "失败", "账号错误", ""]], "r2.csv"))
    assert [p.rule for p in e.value.problems] == ["result_conflict"]
    assert line_of(desk, "li_f").status == "paid"


def test_a_batch_goes_to_the_bank_only_when_released_and_only_by_the_county(desk):
    b = desk.step("xian", batches.create_batch, desk.eligibility, programme="reward", period="2025", on=D(2025, 4, 10), today=TODAY)
    with pytest.raises(UserError, match="尚未核查放行"):
        export(desk, b)
    desk.step("xian", release.release, desk.eligibility, b.id, on=D(2025, 4, 10), today=TODAY)
    for who in ("xiang", "shenji"):
        with pytest.raises(UserError) as e:
            export(desk, b, who=who)
        assert e.value.code == "forbidden"
    with pytest.raises(UserError, match="已于"):
        desk.step("xian", release.release, desk.eligibility, b.id, on=D(2025, 4, 11), today=TODAY)


def test_account_numbers_are_masked_in_the_audit_trail(desk):
    with desk.db.read() as s:
        from renkou.storage.schema import AuditEntry, BenefitRecipient

        rid = s.scalar(select(BenefitRecipient.id).where(BenefitRecipient.person_id == desk.id("li_f")))
    desk.step("cun", recipients.set_account, rid, account_no="6222999988887777", reason="本人更换银行卡", on=D(2025, 4, 25))
    with desk.db.read() as s:
        e = s.scalar(select(AuditEntry).where(AuditEntry.table_name == "benefit_recipient", AuditEntry.row_id == rid))
    text = json.dumps([e.before, e.after, e.reason], ensure_ascii=False)
    assert "6222999988887777" not in text and "6222000011112222" not in text
    assert "6222********2222 → 6222********7777" in e.reason and "本人更换银行卡" in e.reason
