"""The recipient and payment batch pages (/benefits/recipients, /benefits/batches...): a thin shell over
renkou.benefits.cycle.recipients, payments, checks and bankfile — the county pays, the auditor reads, the
township sees no batch, the village worker puts an account right; numbers are masked on every page
and leave in full only in the recorded bank file; every refusal is the service's and changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from renkou.benefits.cycle import recipients
from renkou.benefits.payments import batches, checks
from renkou.benefits.payments import release as releasing
from renkou.core.idnumber import mask
from renkou.errors import UserError
from renkou.storage.schema import BenefitRecipient, PaymentBatch, PaymentExport, PaymentFinding, PaymentLine, PaymentResult, Person
from tests.benefits.cycle_kit import COMMUNITY, TODAY, family_of_reward
from tests.web.benefit_kit import Web, text

D = dt.date
ACC_F, ACC_M = "6222000011112222", "6222000033334444"
HEADER = ["业务流水号", "处理结果", "失败原因", "银行流水号"]


@pytest.fixture
def web(db):
    """The county with the li couple (both receive the reward for 2025, each into an account of their
    own) and the far couple of the town (another township); nobody signed in yet."""
    w = Web(db)
    family_of_reward(w.b, "li")
    family_of_reward(w.b, "far", COMMUNITY)
    w.desk.recipient("li_f", account=ACC_F)
    w.desk.recipient("li_m", account=ACC_M)
    yield w
    w.close()


def post(web, url, data=None, files=None):
    """A form posted with the session's CSRF token (read from a page of this section)."""
    return web.post(url, data or {}, files=files, token=web.token("/benefits/recipients"))


def scalar(web, q):
    with web.db.read() as s:
        return s.scalar(q)


def count(web, model, *where):
    return scalar(web, select(func.count()).select_from(model).where(*where))


def rec_of(web, key) -> int:
    return scalar(web, select(BenefitRecipient.id).where(BenefitRecipient.person_id == web.id(key)))


def line_of(web, key) -> PaymentLine:
    with web.db.read() as s:
        return s.scalar(select(PaymentLine).where(PaymentLine.person_id == web.id(key)))


def id_number(web, key) -> str:
    with web.db.read() as s:
        return s.get(Person, web.id(key)).id_number


def service_batch(web, *, release=False) -> int:
    """A 2025 reward batch made (and released) through the services, as the county."""
    b = web.desk.step("xian", batches.create_batch, web.desk.eligibility, programme="reward", period="2025", on=D(2025, 4, 10), today=TODAY)
    if release:
        web.desk.step("xian", releasing.release, web.desk.eligibility, b.id, on=D(2025, 4, 11), today=TODAY)
    return b.id


def result_csv(rows, header=HEADER) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def test_the_county_creates_checks_releases_exports_and_settles_a_batch(web):
    web.as_("xian")
    page = web.get("/benefits/batches")
    assert page.status_code == 200 and 'id="create-batch"' in page.text and 'id="no-batches"' in page.text

    r = post(web, "/benefits/batches", {"programme": "reward", "period": "2025", "date": "2025-04-10"})
    assert r.status_code == 303, r.text[:500]
    n = scalar(web, select(PaymentBatch.id))
    assert r.headers["location"] == f"/benefits/batches/{n}?done=batch"
    page = web.get(r.headers["location"])
    assert page.status_code == 200 and "发放批次已建立" in page.text
    html = page.text
    assert ACC_F not in html and ACC_M not in html and id_number(web, "li_f") not in html  # never a full number on a page
    assert "6222********2222" in html and mask(id_number(web, "li_f")) in html
    assert "960.00" in html and "1,920.00" in html  # each line and the total
    assert f'id="line-{line_of(web, "li_f").id}"' in html and "待发放" in html
    listing = web.get("/benefits/batches").text
    assert f'id="batch-{n}"' in listing and ACC_F not in listing

    r = post(web, f"/benefits/batches/{n}/check", {"date": "2025-04-11"})
    assert (r.status_code, r.headers["location"]) == (303, f"/benefits/batches/{n}?done=checked")
    assert scalar(web, select(PaymentBatch.checked_on)) == D(2025, 4, 11)
    r = post(web, f"/benefits/batches/{n}/release", {"date": "2025-04-12"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=released")
    with web.db.read() as s:
        b = s.get(PaymentBatch, n)
        assert (b.status, b.released_on) == ("released", D(2025, 4, 12))
    page = web.get(f"/benefits/batches/{n}").text
    assert 'id="export-form"' in page and 'id="release-form"' not in page

    lines_before = count(web, PaymentLine)
    first = post(web, f"/benefits/batches/{n}/export", {"format": "csv"})
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/csv")
    assert first.headers["content-disposition"].startswith(f'attachment; filename="batch-{n}.csv"')
    rows = list(csv.reader(io.StringIO(first.content.decode("utf-8-sig"))))
    ref_f, ref_m = f"RK{line_of(web, 'li_f').id}", f"RK{line_of(web, 'li_m').id}"
    assert rows[0][:5] == ["业务流水号", "姓名", "身份证号码", "一卡通账号", "金额（元）"]
    assert sorted((r[0], r[2], r[3], r[4]) for r in rows[1:]) == sorted(
        [(ref_f, id_number(web, "li_f"), ACC_F, "960.00"), (ref_m, id_number(web, "li_m"), ACC_M, "960.00")]
    )
    second = post(web, f"/benefits/batches/{n}/export", {"format": "csv"})
    assert second.content == first.content  # the same lines again
    assert count(web, PaymentExport, PaymentExport.batch_id == n) == 2  # each export recorded
    assert count(web, PaymentLine) == lines_before  # and no payment entered twice
    xlsx = post(web, f"/benefits/batches/{n}/export", {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    odd = post(web, f"/benefits/batches/{n}/export", {"format": "pdf"})
    assert odd.status_code == 400 and "不是允许的取值" in odd.text
    assert count(web, PaymentExport, PaymentExport.batch_id == n) == 3  # the refused one recorded nothing

    result = result_csv([[ref_f, "成功", "", "B001"], [ref_m, "失败", "账号错误", ""]])
    r = post(web, f"/benefits/batches/{n}/result", {"date": "2025-04-20"}, files={"file": ("回盘.csv", result, "text/csv")})
    assert (r.status_code, r.headers["location"]) == (303, f"/benefits/batches/{n}?done=result")
    paid, failed = line_of(web, "li_f"), line_of(web, "li_m")
    assert (paid.status, paid.batch_id) == ("paid", n)
    assert (failed.status, failed.batch_id, failed.failure) == ("queued", None, "wrong_account: 账号错误")
    assert scalar(web, select(PaymentBatch.status)) == "settled"
    page = web.get(r.headers["location"])
    assert "银行回盘已导入" in page.text
    assert f'id="result-{failed.id}"' in page.text and "wrong_account: 账号错误" in page.text and "待重新发放" in page.text
    queue = web.get("/benefits/batches").text  # the failed payment waits for the next batch
    assert 'id="waiting"' in queue and f'id="line-{failed.id}"' in queue and "wrong_account" in queue
    mine = web.get(f"/benefits/recipients/{rec_of(web, 'li_m')}").text
    assert "待重新发放" in mine and "wrong_account: 账号错误" in mine and ACC_M not in mine


def test_a_bad_result_file_is_refused_with_every_problem_and_changes_nothing(web):
    n = service_batch(web, release=True)
    web.as_("xian")
    ref_f = f"RK{line_of(web, 'li_f').id}"
    bad = result_csv([[ref_f, "成功", "", "B001"], ["RK99999", "成功", "", ""], [ref_f, "可能", "", ""]])
    r = post(web, f"/benefits/batches/{n}/result", {"date": "2025-04-20"}, files={"file": ("result.csv", bad, "text/csv")})
    assert r.status_code == 400
    listed = r.text.split('id="refusal"')[1].split("</div>")[0]
    refusal = text(listed)
    assert "行 3 · 业务流水号 = “RK99999”" in refusal and 'data-rule="not_in_batch"' in listed and "not_in_batch" not in refusal
    assert "行 4 · 处理结果 = “可能”" in refusal and 'data-rule="bad_choice"' in listed
    assert count(web, PaymentResult) == 0 and {line_of(web, k).status for k in ("li_f", "li_m")} == {"released"}  # not even row 2
    assert 'id="result-form"' in r.text  # the batch page again, to try once more
    r = post(web, f"/benefits/batches/{n}/result", {"date": "2025-04-20"})
    assert r.status_code == 400 and 'data-rule="required"' in r.text  # no file chosen
    r = post(web, f"/benefits/batches/{n}/result", {}, files={"file": ("result.txt", b"RK1,paid", "text/plain")})
    assert r.status_code == 400 and ".txt" in r.text
    assert count(web, PaymentResult) == 0


def test_a_finding_is_cleared_only_with_a_reason_and_a_line_voided(web):
    shared = "6222777788889999"
    web.desk.recipient("far_f", worker="she", account=shared)
    web.desk.step("cun", recipients.set_account, rec_of(web, "li_f"), account_no=shared, reason="同一张卡", on=D(2025, 4, 1))
    n = service_batch(web)
    web.as_("xian")
    assert post(web, f"/benefits/batches/{n}/check", {}).status_code == 303  # the date: today
    found = {f.line_id: f for f in web.desk.step("xian", lambda s, off: list(s.scalars(select(PaymentFinding))))}
    f_li = found[line_of(web, "li_f").id]
    assert f_li.kind == "shared_account" and line_of(web, "li_f").status == "blocked"
    page = web.get(f"/benefits/batches/{n}").text
    assert f'id="clear-{f_li.id}"' in page and "与无关人员共用账户" in page and shared not in page and "已拦截" in page
    assert 'id="lines-cut"' not in page
    web.desk.step("xian", batches.void_line, line_of(web, "li_m").id, reason="本期另行发放", on=D(2025, 4, 12))  # the one clean line
    held = post(web, f"/benefits/batches/{n}/release", {})  # every line left is blocked: nothing released, the findings kept
    assert held.status_code == 303 and held.headers["location"].endswith("done=held")
    assert "没有放行：每笔款项都被核查拦截" in web.get(held.headers["location"]).text
    with web.db.read() as s:
        assert s.get(PaymentBatch, n).status == "draft" and line_of(web, "li_f").batch_id == n
    import renkou.web.benefits.payments as pages_of_payments

    pages_of_payments.LINES_SHOWN, kept = 1, pages_of_payments.LINES_SHOWN
    try:  # a long batch lists the lines that need an officer first, and says it is cut
        cut = web.get(f"/benefits/batches/{n}").text
    finally:
        pages_of_payments.LINES_SHOWN = kept
    lines = cut.split('id="lines"')[1].split("</table>")[0]
    assert lines.count('<tr id="line-') == 1 and (
        f'id="line-{line_of(web, "far_f").id}"' in lines or f'id="line-{line_of(web, "li_f").id}"' in lines
    )
    assert 'class="status-blocked"' in lines and 'id="lines-cut"' in cut and "(1 / " in cut

    r = post(web, f"/benefits/findings/{f_li.id}/clear", {"reason": "  ", "batch": str(n)})
    assert r.status_code == 400 and 'data-rule="required"' in r.text and f'id="clear-{f_li.id}"' in r.text  # the batch page again
    assert scalar(web, select(PaymentFinding.cleared_on).where(PaymentFinding.id == f_li.id)) is None
    r = post(web, f"/benefits/findings/{f_li.id}/clear", {"reason": "夫妻共用，已核实", "batch": str(n)})
    assert (r.status_code, r.headers["location"]) == (303, f"/benefits/batches/{n}?done=cleared")
    with web.db.read() as s:
        f = s.get(PaymentFinding, f_li.id)
        assert (f.cleared_by, f.reason, f.cleared_on) == ("xian", "夫妻共用，已核实", dt.date.today())
    assert line_of(web, "li_f").status == "pending"
    r = post(web, f"/benefits/findings/{f_li.id}/clear", {"reason": "again", "batch": str(n)})
    assert r.status_code == 400 and "已于" in r.text  # cleared once

    far = line_of(web, "far_f")
    assert post(web, f"/benefits/lines/{far.id}/void", {"reason": "", "batch": str(n)}).status_code == 400
    assert line_of(web, "far_f").status == "blocked"
    r = post(web, f"/benefits/lines/{far.id}/void", {"reason": "账户待核实，本期不发", "batch": str(n)})
    assert (r.status_code, r.headers["location"]) == (303, f"/benefits/batches/{n}?done=voided")
    assert (line_of(web, "far_f").status, line_of(web, "far_f").batch_id) == ("void", None)
    page = web.get(f"/benefits/batches/{n}?done=voided").text
    assert "款项已作废" in page and f'id="line-{far.id}"' not in page


def test_the_auditor_reads_every_batch_but_acts_on_none(web):
    n = service_batch(web)
    web.desk.step("xian", checks.run, web.desk.eligibility, n, on=D(2025, 4, 11), today=TODAY)
    web.as_("shenji")
    listing = web.get("/benefits/batches")
    assert listing.status_code == 200 and f'href="/benefits/batches/{n}"' in listing.text and 'id="create-batch"' not in listing.text
    page = web.get(f"/benefits/batches/{n}")
    assert page.status_code == 200 and "960.00" in page.text and "6222********2222" in page.text
    assert '<form method="post" action="/benefits' not in page.text  # read-only: no step, clear, void, export or import
    steps = (
        (f"/benefits/batches/{n}/release", {}),
        (f"/benefits/batches/{n}/check", {}),
        ("/benefits/batches", {"programme": "reward", "period": "2025Q1"}),
        (f"/benefits/batches/{n}/export", {"format": "csv"}),
        (f"/benefits/lines/{line_of(web, 'li_f').id}/void", {"reason": "x", "batch": str(n)}),
    )
    for url, data in steps:
        r = post(web, url, data)
        assert r.status_code == 403, url
        assert "无权" in r.text
    answer = result_csv([[f"RK{line_of(web, 'li_f').id}", "成功", "", ""]])
    r = post(web, f"/benefits/batches/{n}/result", {}, files={"file": ("r.csv", answer, "text/csv")})
    assert r.status_code == 403
    with web.db.read() as s:
        assert s.get(PaymentBatch, n).status == "draft" and s.scalar(select(func.count()).select_from(PaymentBatch)) == 1
    assert count(web, PaymentExport) == 0 and line_of(web, "li_f").status == "pending"


def test_a_township_sees_no_batch(web):
    n = service_batch(web)
    web.as_("xiang")
    listing = web.get("/benefits/batches")
    assert listing.status_code == 200 and f'id="batch-{n}"' not in listing.text and 'id="no-batches"' in listing.text
    assert web.get(f"/benefits/batches/{n}").status_code == 404
    assert web.get("/benefits/batches/99999").status_code == 404
    # its own recipients, yes; the batch numbers of their lines are not links to a page it may not open
    page = web.get(f"/benefits/recipients/{rec_of(web, 'li_f')}")
    assert page.status_code == 200 and "960.00" in page.text and f'href="/benefits/batches/{n}"' not in page.text


def test_a_village_worker_puts_an_account_right_and_sees_it_masked(web):
    web.as_("cun")
    n = rec_of(web, "li_f")
    listing = web.get("/benefits/recipients").text
    assert f'href="/benefits/recipients/{n}"' in listing and "6222********2222" in listing and mask(id_number(web, "li_f")) in listing
    assert ACC_F not in listing and id_number(web, "li_f") not in listing
    page = web.get(f"/benefits/recipients/{n}")
    assert page.status_code == 200 and 'id="account-form"' in page.text and "2025" in text(page.text)

    r = post(web, f"/benefits/recipients/{n}/account", {"account": "62-22", "reason": ""})
    assert r.status_code == 400 and 'id="account-error"' in r.text and 'id="reason-error"' in r.text
    assert scalar(web, select(BenefitRecipient.account_no).where(BenefitRecipient.id == n)) == ACC_F  # nothing changed
    r = post(web, f"/benefits/recipients/{n}/account", {"account": "6222 9999 8888 7777", "bank": "农商银行", "reason": "本人换卡"})
    assert (r.status_code, r.headers["location"]) == (303, f"/benefits/recipients/{n}?done=account")
    assert scalar(web, select(BenefitRecipient.account_no).where(BenefitRecipient.id == n)) == "6222999988887777"
    page = web.get(r.headers["location"]).text
    assert "收款账户已变更" in page and "6222********7777" in page and "农商银行" in page and "6222999988887777" not in page

    for who, status in (("xiang", 403), ("shenji", 403), ("cun2", 404)):  # the township reviews, the auditor reads; another village
        web.as_(who)
        r = post(web, f"/benefits/recipients/{n}/account", {"account": "6222111111111111", "reason": "x"})
        assert r.status_code == status, who
    assert scalar(web, select(BenefitRecipient.account_no).where(BenefitRecipient.id == n)) == "6222999988887777"


def test_recipients_are_listed_and_opened_within_the_area_only(web):
    far = web.desk.recipient("far_f", worker="she", account="6222555566667777")
    web.as_("xiang")
    listing = web.get("/benefits/recipients").text
    assert f'id="recipient-{rec_of(web, "li_f")}"' in listing and f'id="recipient-{far.id}"' not in listing
    assert web.get(f"/benefits/recipients/{far.id}").status_code == 404
    web.as_("cun")
    assert web.get(f"/benefits/recipients/{far.id}").status_code == 404
    web.as_("zhen")
    assert web.get(f"/benefits/recipients/{far.id}").status_code == 200
    web.as_("xian")
    everyone = web.get("/benefits/recipients?programme=reward&year=2025").text
    assert all(f'id="recipient-{i}"' in everyone for i in (rec_of(web, "li_f"), rec_of(web, "li_m"), far.id))
    assert 'id="no-recipients"' in web.get("/benefits/recipients?year=2026").text  # nobody re-confirmed for 2026 yet
    bad = web.get("/benefits/recipients?year=20x5")
    assert bad.status_code == 400 and 'id="refusal"' in bad.text


def test_a_batch_the_service_refuses_is_not_created(web):
    web.as_("xian")
    r = post(web, "/benefits/batches", {"programme": "reward", "period": "2025-03"})
    assert r.status_code == 400 and 'id="period-error"' in r.text and 'data-rule="bad_choice"' in r.text
    r = post(web, "/benefits/batches", {"programme": "reward", "period": "2026"})
    assert r.status_code == 400 and "没有需要发放的款项" in r.text and 'id="create-batch"' in r.text
    r = post(web, "/benefits/batches", {"programme": "reward", "period": "2025", "date": "2999-01-01"})
    assert r.status_code == 400 and 'data-rule="future_date"' in r.text
    assert count(web, PaymentBatch) == 0 and count(web, PaymentLine) == 0


def test_a_post_without_the_csrf_token_is_refused(web):
    web.as_("xian")
    r = web.c.post("/benefits/batches", data={"programme": "reward", "period": "2025"}, follow_redirects=False)
    assert r.status_code == 403
    r = web.post("/benefits/batches", {"programme": "reward", "period": "2025"}, token="forged")
    assert r.status_code == 403
    r = web.c.post(
        f"/benefits/recipients/{rec_of(web, 'li_f')}/account", data={"account": "6222111111111111", "reason": "x"}, follow_redirects=False
    )
    assert r.status_code == 403
    assert count(web, PaymentBatch) == 0
    assert scalar(web, select(BenefitRecipient.account_no).where(BenefitRecipient.id == rec_of(web, "li_f"))) == ACC_F


def test_the_pages_speak_english_on_request(web):
    web.desk.recipient("far_f", worker="she", account=ACC_F)  # the li husband's card: a finding for both
    n = service_batch(web)
    web.as_("xian")
    web.c.cookies.set("lang", "en")
    page = web.get(f"/benefits/batches/{n}").text
    assert "Payment batch" in page and "Check the batch" in page and "pending" in page and "待发放" not in page
    assert "960.00" in page
    assert post(web, f"/benefits/batches/{n}/check", {}).status_code == 303
    checked = web.get(f"/benefits/batches/{n}").text
    finding = checked.split('class="finding"')[1].split("</div>")[0]
    assert "also" in finding.lower() and not re.search(r"[\u4e00-\u9fff]", finding)  # the finding's English half only


def test_the_read_functions_keep_the_services_scope(web):
    """payments.list_batches, totals_of, waiting and recipient_lines: county-only batches, the recipient's area."""
    n = service_batch(web)
    far = web.desk.recipient("far_f", worker="she")
    county, township = web.desk.officer("shenji"), web.desk.officer("xiang")
    with web.db.read() as s:
        assert [b.id for b in batches.list_batches(s, county)] == [n] and batches.list_batches(s, township) == []
        assert batches.totals_of(s, [n, 999]) == {n: {"pending": (2, Decimal("1920.00"))}, 999: {}}
        assert batches.waiting(s, county) == [] and batches.waiting(s, township) == []
        assert [ln.person_id for ln in batches.recipient_lines(s, township, rec_of(web, "li_f"))] == [web.id("li_f")]
        with pytest.raises(UserError) as e:
            batches.recipient_lines(s, township, far.id)
        assert e.value.code == "not_found"
