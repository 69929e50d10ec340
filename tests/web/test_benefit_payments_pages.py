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


def confirm_release(web, n: int, date: str = "") -> object:
    """Release through both steps: the button's POST shows the confirmation (nothing changes), whose form
    carries back the number of lines and the total it showed, with the box ticked."""
    ask = post(web, f"/benefits/batches/{n}/release", {"date": date} if date else {})
    assert ask.status_code == 200 and 'id="release-confirm-form"' in ask.text, text(ask.text)[:600]
    form = ask.text.split('id="release-confirm-form"')[1].split("</form>")[0]
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    return post(
        web,
        f"/benefits/batches/{n}/release",
        {"date": hidden["date"], "lines": hidden["lines"], "total": hidden["total"], "confirm": "yes"},
    )


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
    r = confirm_release(web, n, "2025-04-12")
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
    import renkou.web.benefits.payments as pages_of_payments

    pages_of_payments.RESULTS_PAGE, kept = 1, pages_of_payments.RESULTS_PAGE
    try:  # the bank's answers, as many as the lines, are paged apart: their links keep the lines' page
        first = web.get(f"/benefits/batches/{n}?page=1").text
        nxt = re.search(r'href="([^"]+)" rel="next"', first.split('id="results-pager"')[1]).group(1).replace("&amp;", "&")
        second = web.get(nxt).text
    finally:
        pages_of_payments.RESULTS_PAGE = kept
    answered = [re.findall(r'<tr id="result-(\d+)"', html) for html in (first, second)]
    assert answered == [[str(paid.id)], [str(failed.id)]] and nxt == f"/benefits/batches/{n}?page=1&results=2"
    assert "第 1–1 条，共 2 条" in text(first) and "第 2–2 条，共 2 条" in text(second) and 'id="results-end-pager"' in second
    assert 'id="lines-pager"' in second and 'id="lines-end-pager"' not in second  # the batch's one line: one page
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
    refusal = text(r.text.split('id="refusal"')[1].split("</div>")[0])
    assert "行 3 · 业务流水号 = “RK99999”" in refusal and "不是本发放批次中待银行处理的款项" in refusal
    assert "行 4 · 处理结果 = “可能”" in refusal and "不是允许的取值" in refusal
    assert '<li data-rule="not_in_batch"' in r.text and '<li data-rule="bad_choice"' in r.text and "[bad_choice]" not in r.text
    assert count(web, PaymentResult) == 0 and {line_of(web, k).status for k in ("li_f", "li_m")} == {"released"}  # not even row 2
    assert 'id="result-form"' in r.text  # the batch page again, to try once more
    r = post(web, f"/benefits/batches/{n}/result", {"date": "2025-04-20"})
    assert r.status_code == 400 and 'data-rule="required"' in r.text and "文件: 必填项不能为空" in r.text  # no file chosen
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
    n_lines = page.split('id="lines"')[1].split("</table>")[0].count('<tr id="line-')
    assert (
        n_lines >= 2 and f"第 1–{n_lines} 条，共 {n_lines} 条" in text(page) and 'id="lines-end-pager"' not in page
    )  # every line, one page
    web.desk.step("xian", batches.void_line, line_of(web, "li_m").id, reason="本期另行发放", on=D(2025, 4, 12))  # the one clean line
    held = confirm_release(web, n)  # every line left is blocked: nothing released, the findings kept
    assert held.status_code == 303 and held.headers["location"].endswith("done=held")
    assert "没有放行：每笔款项都被核查拦截" in web.get(held.headers["location"]).text
    with web.db.read() as s:
        assert s.get(PaymentBatch, n).status == "draft" and line_of(web, "li_f").batch_id == n
    import renkou.web.benefits.payments as pages_of_payments

    pages_of_payments.LINES_PAGE, kept = 1, pages_of_payments.LINES_PAGE
    try:  # a long batch is counted and paged, the lines that need an officer first
        first = web.get(f"/benefits/batches/{n}").text
        nxt = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
        second = web.get(nxt).text
        refused = post(web, f"/benefits/findings/{f_li.id}/clear", {"reason": " ", "batch": str(n)})  # the batch page again
    finally:
        pages_of_payments.LINES_PAGE = kept
    total = int(re.search(r'<tr class="total"><th>[^<]*</th><th class="num">(\d+)<', first).group(1))
    on_pages = [re.findall(r'<tr id="line-(\d+)"', html.split('id="lines"')[1].split("</table>")[0]) for html in (first, second)]
    assert total >= 2 and [len(p) for p in on_pages] == [1, 1] and on_pages[0] != on_pages[1]
    assert {on_pages[0][0]} <= {str(line_of(web, "far_f").id), str(line_of(web, "li_f").id)}  # blocked: first
    assert 'class="status-blocked"' in first.split('id="lines"')[1].split("</table>")[0]
    assert f"第 1–1 条，共 {total} 条" in text(first) and f"第 2–2 条，共 {total} 条" in text(second)
    assert nxt == f"/benefits/batches/{n}?page=2" and 'rel="prev"' in second and 'id="lines-end-pager"' in second
    assert refused.status_code == 400 and f'href="/benefits/batches/{n}?page=2" rel="next"' in refused.text  # not the POST's address

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


def test_release_asks_to_confirm_the_count_and_the_total_and_refuses_a_changed_batch(web):
    family_of_reward(web.b, "wang")
    web.desk.recipient("wang_f", account="6222000055556666")
    n = service_batch(web)  # three lines of 960.00
    web.as_("xian")
    page = web.get(f"/benefits/batches/{n}").text
    assert 'id="release-form"' in page and "下一步确认笔数和总金额" in page
    ask = post(web, f"/benefits/batches/{n}/release", {"date": "2025-04-12"})
    assert ask.status_code == 200 and scalar(web, select(PaymentBatch.status)) == "draft"  # asking changes nothing
    body = text(ask.text)
    assert 'data-lines="3"' in ask.text and 'data-total="2880.00"' in ask.text
    assert "¥2,880.00" in body and "放行 3 笔，共 ¥2,880.00" in body and "2025-04-12" in body
    assert 'name="confirm" value="yes" required' in ask.text and 'id="release-cancel"' in ask.text

    figures = {"date": "2025-04-12", "lines": "3", "total": "2880.00"}
    r = post(web, f"/benefits/batches/{n}/release", figures)  # the box not ticked
    assert r.status_code == 400 and 'id="release-confirm-form"' in r.text and scalar(web, select(PaymentBatch.status)) == "draft"
    r = post(web, f"/benefits/batches/{n}/release", {**figures, "total": "2,88x", "confirm": "yes"})
    assert r.status_code == 400 and "不是有效金额" in r.text and scalar(web, select(PaymentBatch.status)) == "draft"

    web.desk.step("xian", batches.void_line, line_of(web, "wang_f").id, reason="另行发放", on=D(2025, 4, 12))  # changed meanwhile
    r = post(web, f"/benefits/batches/{n}/release", {**figures, "confirm": "yes"})
    assert r.status_code == 400 and "在确认后已有变化" in r.text and "现有 2 笔，共 1,920.00 元" in r.text
    assert scalar(web, select(PaymentBatch.status)) == "draft" and line_of(web, "li_f").status == "pending"
    assert 'data-lines="2"' in r.text and 'data-total="1920.00"' in r.text  # asked again with the new figures

    r = post(web, f"/benefits/batches/{n}/release", {**figures, "lines": "2", "total": "1920.00", "confirm": "yes"})
    assert (r.status_code, r.headers["location"]) == (303, f"/benefits/batches/{n}?done=released")
    assert scalar(web, select(PaymentBatch.status)) == "released" and line_of(web, "li_f").status == "released"


def test_release_in_english_shows_the_money_the_same_way(web):
    n = service_batch(web)
    web.as_("xian")
    web.c.cookies.set("lang", "en")
    body = text(post(web, f"/benefits/batches/{n}/release", {}).text)
    assert "Confirm the release to the bank" in body and "release 2 lines, ¥1,920.00 in all" in body


def test_the_release_service_refuses_figures_that_do_not_match(web):
    n = service_batch(web)
    with pytest.raises(UserError) as exc:
        web.desk.step("xian", releasing.release, web.desk.eligibility, n, on=D(2025, 4, 11), today=TODAY, expect=(2, Decimal("1920.01")))
    assert exc.value.code == "batch_changed"
    got = web.desk.step("xian", lambda s, off: releasing.figures(s, s.get(PaymentBatch, n)))
    assert got == (2, Decimal("1920.00"))
    b, released, held = web.desk.step(
        "xian", releasing.release, web.desk.eligibility, n, on=D(2025, 4, 11), today=TODAY, expect=(2, Decimal("1920"))
    )
    assert b.status == "released" and len(released) == 2 and held == []


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


def test_recipients_are_listed_a_page_at_a_time(web, monkeypatch):
    from renkou.web import paging

    monkeypatch.setattr(paging, "SIZES", (1, *paging.SIZES))  # two recipients in the area: a page of one each
    far = web.desk.recipient("far_f", worker="she", account="6222555566667777")
    web.as_("xian")
    whole = web.get("/benefits/recipients").text
    assert "第 1–3 条，共 3 条" in text(whole) and 'rel="next"' not in whole
    pages = [web.get(f"/benefits/recipients?programme=reward&size=1&page={k}").text for k in (1, 2, 3, 4)]
    shown = [re.findall(r'<tr id="recipient-(\d+)"', p) for p in pages]
    assert shown[:3] == [[str(rec_of(web, "li_f"))], [str(rec_of(web, "li_m"))], [str(far.id)]]
    assert shown[3] == shown[2] and "第 3–3 条，共 3 条" in text(pages[3])  # past the end: the last page
    assert "programme=reward" in pages[0].split('rel="next"')[0].rsplit('href="', 1)[1]  # the filter is kept
    web.as_("xiang")
    assert "共 2 条" in text(web.get("/benefits/recipients").text)  # the township's own: counted within the area


def test_a_batch_the_service_refuses_is_not_created(web):
    web.as_("xian")
    for typed, shown in (
        ("2025-03", "2025年3月"),
        ("2025年3月", "2025年3月"),
        ("2025S1", "2025年上半年"),
        ("2003年", "2003年"),
        ("季度", "季度"),
    ):
        r = post(web, "/benefits/batches", {"programme": "reward", "period": typed})
        err = r.text.split('id="period-error">')[1].split("</span>")[0]
        assert r.status_code == 400 and err == "发放期应为 2004 至 2100 年间的一年或一个季度，例如 2025年、2025年第1季度", typed
        assert "[bad_choice]" not in r.text and "[payment_period]" not in r.text and "YYYY" not in r.text
        assert f'name="period" value="{shown}"' in r.text and "所属期间 = “" + typed + "”" in r.text  # what was typed, in Chinese
    web.as_("xian")
    web.c.cookies.set("lang", "en")
    r = post(web, "/benefits/batches", {"programme": "reward", "period": "2025年3月"})
    assert "a payment period is a year or a quarter of 2004 to 2100, e.g. 2025 or 2025Q1" in r.text and "Period = “2025年3月”" in r.text
    web.c.cookies.delete("lang")
    r = post(web, "/benefits/batches", {"programme": "reward", "period": "2026"})
    assert r.status_code == 400 and "没有需要发放的款项" in r.text and 'id="create-batch"' in r.text
    r = post(web, "/benefits/batches", {"programme": "reward", "period": "2025", "date": "2999-01-01"})
    assert r.status_code == 400 and 'data-rule="future_date"' in r.text and "日期晚于今天" in r.text
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


def test_a_batch_period_typed_in_chinese_is_the_quarter_and_pages_show_its_chinese_name(web):
    web.as_("xian")
    page = web.get("/benefits/batches").text
    assert 'name="period"' in page and '<option value="quarter" data-text="" selected>季度</option>' in page
    assert '<option value="month"' not in page  # a batch pays a year or a quarter only
    r = post(web, "/benefits/batches", {"programme": "reward", "period": "２０２５年一季度", "date": "2025-04-10"})
    assert r.status_code == 303, r.text[:500]
    assert scalar(web, select(PaymentBatch.period)) == "2025Q1"  # the key is the code, whatever the spelling
    n = scalar(web, select(PaymentBatch.id))
    listing, batch = web.get("/benefits/batches").text, web.get(f"/benefits/batches/{n}").text
    assert f'<td><a href="/benefits/batches/{n}">{n}</a></td><td>奖扶</td><td>2025年第1季度</td>' in listing.replace("奖励扶助", "奖扶")
    assert "2025年第1季度</h1>" in batch and "2025Q1" not in listing.split("<main>")[1] and "2025Q1" not in batch.split("<main>")[1]
    r = post(web, "/benefits/batches", {"programme": "reward", "period": "2025Q1", "date": "2025-04-10"})
    assert r.status_code == 400 and count(web, PaymentBatch) == 1  # the same quarter by its code: nothing to pay twice
