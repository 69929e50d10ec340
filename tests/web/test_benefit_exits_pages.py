"""The exits, re-confirmation, benefit reports and coverage pages (renkou.web.benefits.exits, reports):
a thin shell over the services — the township looks for exits, the county decides them and re-confirms,
the refusals are the services' own (the notice of a move away, the reason of a dismissal, a role, an
area) and change nothing; the reports on screen and as files hold the services' numbers."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from renkou.benefits import reports
from renkou.benefits.cycle import coverage, exits
from renkou.errors import UserError
from renkou.storage.schema import BenefitCoverage, BenefitExit, BenefitRecipient, Person
from tests.benefits.cycle_kit import COMMUNITY, COUNTY, TODAY, TOWN, TOWNSHIP, family_of_reward
from tests.web.benefit_kit import Web, text

D = dt.date


@pytest.fixture
def web(db):
    w = Web(db)
    family_of_reward(w.b, "li")  # two daughters: the reward, in the township's village
    b = w.b
    b.couple("dm", D(1950, 3, 3), D(1953, 3, 3), D(1973, 1, 1))  # only son died: reward and special assistance
    b.child("dm_s", "M", D(1975, 5, 5), mother="dm_m", father="dm_f")
    b.die("dm_s", D(2000, 8, 8))
    yield w
    w.close()


def post(web: Web, url: str, data: dict | None = None):
    return web.post(url, data, token=web.token("/benefits/exits"))


def exit_row(db, cause: str) -> BenefitExit:
    with db.read() as s:
        return s.scalar(select(BenefitExit).where(BenefitExit.cause == cause))


def ended_on(db, rec_id: int):
    with db.read() as s:
        return s.get(BenefitRecipient, rec_id).ended_on


def forms(html: str) -> set[str]:
    """The actions of the page's POST forms, the header's sign-out and language forms left out."""
    return {a for a in re.findall(r'<form method="post" action="([^"]+)"', html) if a not in ("/logout", "/lang")}


def table_rows(html: str, table_id: str | None = None) -> list[list[str]]:
    """The body rows of a table (the first ``table.stats``, or the one with ``table_id``) as cell texts."""
    part = html.split(f'id="{table_id}"')[1] if table_id else html.split('class="stats"')[1]
    body = part.split("<tbody>")[1].split("</tbody>")[0]
    return [
        [text(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)] for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


# ------------------------------------------------------------------------------------------ exits


def test_a_death_found_by_the_township_is_confirmed_by_the_county(web):
    rec = web.desk.recipient("dm_f")
    web.b.die("dm_f", D(2025, 6, 15))
    web.as_("xiang")
    page = web.get("/benefits/exits").text
    assert forms(page) == {"/benefits/exits/detect"}  # may look for exits, not decide them or re-confirm
    r = post(web, "/benefits/exits/detect", {"date": "2025-07-01", "programme": ""})
    assert r.status_code == 303 and "done=detected" in r.headers["location"] and "new=1" in r.headers["location"]
    page = web.get(r.headers["location"]).text
    assert 'id="new-count">1<' in page and 'id="done"' in page
    e = exit_row(web.db, "death")
    assert (e.status, e.effective_on, e.proposed_on) == ("proposed", D(2025, 6, 15), D(2025, 7, 1))
    [row] = table_rows(page, "exits")
    assert row[:7] == [str(e.id), "奖扶", "测dm_f", "死亡", "2025-06-15", row[5], "待处理"] and f"#{e.event_id}" in row[5]
    assert f'href="/benefits/recipients/{rec.id}"' in page
    assert f'id="confirm-{e.id}"' not in page and f'id="dismiss-{e.id}"' not in page
    # the township may not decide: the service refuses (403) and nothing changes
    r = post(web, f"/benefits/exits/{e.id}/confirm", {"date": "2025-07-02"})
    assert r.status_code == 403 and "无权确认或驳回退出" in text(r.text)
    assert exit_row(web.db, "death").status == "proposed" and ended_on(web.db, rec.id) is None
    assert post(web, "/benefits/exits/detect", {"date": "2025-08-01"}).headers["location"].startswith("/benefits/exits?new=0")

    web.as_("xian")
    page = web.get("/benefits/exits?status=proposed").text
    assert {f"/benefits/exits/{e.id}/confirm", f"/benefits/exits/{e.id}/dismiss", "/benefits/reconfirm"} <= forms(page)
    r = post(web, f"/benefits/exits/{e.id}/confirm", {"date": "2025-07-02", "notice": "", "reason": ""})
    assert r.status_code == 303 and r.headers["location"].endswith("done=exit_confirmed")
    got = exit_row(web.db, "death")
    assert (got.status, got.decided_on, got.decided_by) == ("confirmed", D(2025, 7, 2), "xian")
    assert ended_on(web.db, rec.id) == D(2025, 6, 15)
    page = web.get("/benefits/exits?status=confirmed").text
    [row] = table_rows(page, "exits")
    assert row[4] == "2025-06-15" and row[6] == "已确认" and "2025-07-02" in row[8]
    assert table_rows(web.get("/benefits/exits?status=proposed").text, "exits") == [["没有退出记录。"]]
    # decided once: a second decision is the service's refusal
    r = post(web, f"/benefits/exits/{e.id}/dismiss", {"date": "2025-07-03", "reason": "x"})
    assert r.status_code == 400 and "已于 2025-07-02 处理" in text(r.text)


def test_a_move_away_needs_the_notice_and_a_dismissal_a_reason(web):
    li_f, li_m = web.desk.recipient("li_f"), web.desk.recipient("li_m")
    for key in ("li_f", "li_m"):
        web.b.event("move", key, D(2025, 9, 1), scope="both", destination_code="440305")
    web.as_("xian")
    r = post(web, "/benefits/exits/detect", {"date": "2025-10-01", "programme": "reward"})
    assert "new=2" in r.headers["location"]
    with web.db.read() as s:
        by_rec = {e.recipient_id: e for e in s.scalars(select(BenefitExit))}
    e_f, e_m = by_rec[li_f.id], by_rec[li_m.id]
    assert e_f.cause == e_m.cause == "moved_away"

    r = post(web, f"/benefits/exits/{e_f.id}/confirm", {"date": "2025-10-02", "notice": " ", "reason": ""})
    assert r.status_code == 400
    assert "迁出退出须登记迁入地县级部门的通知（文号）" in text(r.text) and "notice" in r.text
    assert 'id="exits"' in r.text  # the list again, with the refusal
    assert exit_row(web.db, "moved_away").status == "proposed" and ended_on(web.db, li_f.id) is None
    r = post(web, f"/benefits/exits/{e_f.id}/confirm", {"date": "2025-10-02", "notice": "深圳市福田区卫健局 2025-118 号"})
    assert r.status_code == 303
    with web.db.read() as s:
        assert (s.get(BenefitExit, e_f.id).status, s.get(BenefitExit, e_f.id).notice) == ("confirmed", "深圳市福田区卫健局 2025-118 号")
    assert ended_on(web.db, li_f.id) == D(2025, 9, 1)
    assert "深圳市福田区卫健局 2025-118 号" in web.get("/benefits/exits").text

    r = post(web, f"/benefits/exits/{e_m.id}/dismiss", {"date": "2025-10-02", "reason": ""})
    assert r.status_code == 400 and "reason" in r.text and "必填项不能为空" in text(r.text)
    with web.db.read() as s:
        assert s.get(BenefitExit, e_m.id).status == "proposed"
    r = post(web, f"/benefits/exits/{e_m.id}/dismiss", {"date": "2025-10-02", "reason": "迁移登记有误，已更正"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=exit_dismissed")
    with web.db.read() as s:
        assert (s.get(BenefitExit, e_m.id).status, s.get(BenefitExit, e_m.id).reason) == ("dismissed", "迁移登记有误，已更正")
    assert ended_on(web.db, li_m.id) is None
    # a bad date is the field's problem, and a future one too
    r = post(web, f"/benefits/exits/{e_m.id}/confirm", {"date": "2099-01-01"})
    assert r.status_code == 400 and "日期晚于今天" in text(r.text)


def test_a_township_sees_and_finds_only_its_own_area_s_exits(web):
    family_of_reward(web.b, "far", COMMUNITY)  # in the town: zhen's area
    far = web.desk.recipient("far_f", worker="she")
    web.desk.recipient("dm_f")
    web.b.die("far_f", D(2025, 6, 1))
    web.b.die("dm_f", D(2025, 6, 15))
    web.as_("xiang")
    r = post(web, "/benefits/exits/detect", {"date": "2025-07-01"})
    assert "new=1" in r.headers["location"]  # dm_f's only: far_f lives in the town
    web.as_("zhen")
    assert "new=1" in post(web, "/benefits/exits/detect", {"date": "2025-07-01"}).headers["location"]
    with web.db.read() as s:
        far_exit = s.scalar(select(BenefitExit).where(BenefitExit.recipient_id == far.id))
    assert [r[2] for r in table_rows(web.get("/benefits/exits").text, "exits")] == ["测far_f"]
    web.as_("xiang")
    page = web.get("/benefits/exits").text
    assert [r[2] for r in table_rows(page, "exits")] == ["测dm_f"] and f'id="exit-{far_exit.id}"' not in page
    with web.db.read() as s:  # the county's view from the same service
        assert len(exits.list_exits(s, web.desk.officer("xian"))) == 2
    web.as_("xian")
    whole = web.get("/benefits/exits").text
    assert [r[2] for r in table_rows(whole, "exits")] == ["测far_f", "测dm_f"]  # the newest first
    assert "第 1–2 条，共 2 条" in text(whole) and 'id="exits-end-pager"' not in whole  # one page: one pager
    import renkou.web.benefits.exits as pages_of_exits

    pages_of_exits.PAGE, kept = 1, pages_of_exits.PAGE
    try:  # a long list is counted and paged, the filters kept by the links
        first = web.get("/benefits/exits", params={"status": "proposed", "programme": "reward"}).text
        nxt = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
        second = web.get(nxt).text
        past = web.get("/benefits/exits", params={"status": "proposed", "page": "9"}).text
        confirmed = web.get("/benefits/exits", params={"status": "confirmed"}).text
        refused = post(web, f"/benefits/exits/{far_exit.id}/dismiss", {"date": "2025-07-02", "reason": ""})  # the list again
    finally:
        pages_of_exits.PAGE = kept
    assert [r[2] for r in table_rows(first, "exits")] == ["测far_f"] and "第 1–1 条，共 2 条" in text(first)
    assert nxt.startswith("/benefits/exits?") and {"status=proposed", "programme=reward", "page=2"} == set(nxt.split("?")[1].split("&"))
    assert [r[2] for r in table_rows(second, "exits")] == ["测dm_f"] and "第 2–2 条，共 2 条" in text(second)
    assert 'rel="next"' not in second and 'rel="prev"' in second and 'id="exits-end-pager"' in second
    assert [r[2] for r in table_rows(past, "exits")] == ["测dm_f"]  # past the end: the last page
    assert 'id="no-exits"' in confirmed and "共 0 条" in text(confirmed)
    assert refused.status_code == 400 and 'href="/benefits/exits?page=2" rel="next"' in refused.text  # the list's address, not the POST's


def test_the_re_confirmation_for_the_next_year_shows_its_counts(web):
    li, dm = web.desk.recipient("li_f"), web.desk.recipient("dm_f")
    web.b.die("dm_f", D(2025, 6, 15))
    web.as_("xiang")
    r = post(web, "/benefits/reconfirm", {"programme": "reward", "year": "2026", "date": "2026-01-10"})
    assert r.status_code == 403 and "无权办理年度资格确认" in text(r.text)
    web.as_("xian")
    r = post(web, "/benefits/reconfirm", {"programme": "reward", "year": "2026", "date": "2026-01-10"})
    assert r.status_code == 200, text(r.text)[:500]
    page = r.text
    counts = {k: re.search(rf'id="n-{k}">(\d+)<', page).group(1) for k in ("renewed", "proposed", "waiting")}
    assert counts == {"renewed": "1", "proposed": "1", "waiting": "1"}
    assert "有待处理的退出建议" in text(page) and "死亡" in text(page)
    assert table_rows(page, "reconfirm-waiting") == [["测dm_f", "有待处理的退出建议"]]
    assert f'href="/benefits/recipients/{dm.id}"' in page
    with web.db.read() as s:
        assert exits.list_exits(s, web.desk.officer("xian"), status="proposed")[0][1].id == dm.id
    again = post(
        web, "/benefits/reconfirm", {"programme": "reward", "year": "2026年", "date": "2026-01-11"}
    ).text  # as the year picker sends it
    assert re.search(r'id="n-renewed">0<', again)  # li_f is confirmed for 2026 already
    r = post(web, "/benefits/reconfirm", {"programme": "dentistry", "year": "2026", "date": "2026-01-10"})
    assert r.status_code == 400 and "没有福利项目 dentistry" in text(r.text)
    assert li.id != dm.id


# ------------------------------------------------------------------------------------------ reports


def test_the_recipients_report_on_screen_and_as_xlsx(web):
    for key in ("li_f", "li_m"):
        web.desk.recipient(key)
    family_of_reward(web.b, "far", COMMUNITY)
    web.desk.recipient("far_f", worker="she")
    web.as_("shenji")
    r = web.get(f"/benefits/reports?show=recipients&year=2025&org={COUNTY}")
    assert r.status_code == 200
    with web.db.read() as s:
        t = reports.recipients(s, web.desk.officer("shenji"), web.desk.eligibility, year=2025, org=COUNTY, today=TODAY)
    n = t.column("reward_n")
    rows = {r[0]: r for r in table_rows(r.text)}
    assert list(rows) == [TOWN, TOWNSHIP, COUNTY]
    assert (rows[TOWNSHIP][1], rows[TOWN][1], rows[COUNTY][1]) == ("白坪乡", "大冶镇", "合计")
    assert [rows[c][n] for c in (TOWN, TOWNSHIP, COUNTY)] == ["1", "2", "3"]
    due = t.column("reward_due")
    assert Decimal(rows[COUNTY][due].replace(",", "")) == t.rows[-1].values[due] == Decimal("2880.00")  # 3 × 80 a month × 12
    link = re.search(r'id="download-xlsx" href="([^"]+)"|href="([^"]+)" id="download-xlsx"', r.text)
    url = (link.group(1) or link.group(2)).replace("&amp;", "&")
    assert url.startswith("/benefits/reports/recipients.xlsx?")
    f = web.get(url)
    assert f.status_code == 200 and f.content[:2] == b"PK" and "attachment" in f.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(f.content)).active
    by_code = {row[0]: row for row in ws.iter_rows(values_only=True) if row[0] in (TOWN, TOWNSHIP, COUNTY)}
    assert [by_code[c][n] for c in (TOWN, TOWNSHIP, COUNTY)] == [1, 2, 3]
    assert Decimal(str(by_code[COUNTY][due])) == Decimal("2880.00")
    assert web.get(url.replace(".xlsx", ".pdf")).content[:5] == b"%PDF-"
    csv = web.get(url.replace(".xlsx", ".csv"))
    assert csv.status_code == 200 and "白坪乡" in csv.content.decode("utf-8-sig")


def test_a_report_of_a_unit_outside_the_area_is_refused(web):
    web.desk.recipient("li_f")
    web.as_("xiang")
    page = web.get("/benefits/reports?show=recipients&year=2025").text  # default: the account's own unit
    assert [r[0] for r in table_rows(page)] == ["410185201201", "410185201202", TOWNSHIP]
    for url in (
        f"/benefits/reports?show=recipients&year=2025&org={TOWN}",
        f"/benefits/reports/recipients.xlsx?year=2025&org={TOWN}",
        f"/benefits/reports?show=coverage&date=2025-12-01&org={COUNTY}",
    ):
        r = web.get(url)
        assert r.status_code == 404 and "不存在或不在您的管辖范围内" in text(r.text), url
        assert 'class="stats"' not in r.text
    r = web.get("/benefits/reports?show=recipients&year=abc")
    assert r.status_code == 400 and "不是整数" in text(r.text)


@pytest.mark.parametrize("year", ["2025年", "2025年度", "２０２５"])
def test_the_recipients_report_takes_the_year_as_the_picker_sends_it_and_units_by_name(web, year):
    web.desk.recipient("li_f")
    web.as_("xiang")
    plain = web.get("/benefits/reports?show=recipients&year=2025").text
    r = web.get(f"/benefits/reports?show=recipients&year={year}")
    assert r.status_code == 200 and table_rows(r.text) == table_rows(plain) and table_rows(plain)
    assert 'name="year" value="2025年"' in r.text and 'id="year-recipients-kind"' in r.text
    for picker in ("org-recipients", "org-coverage"):
        units = re.search(rf'<select class="pk-units" id="{picker}" name="org">(.*?)</select>', r.text).group(1)
        shown = re.findall(r">([^<]*)</option>", units)
        assert shown[0] == "白坪乡" and len(shown) == 3 and not any(re.search(r"\d{6}", t) for t in shown)
        assert f'<option value="{TOWNSHIP}" data-depth="0" data-keys="白坪乡 baipingxiang bpx"' in units


def test_the_coverage_rates_follow_a_record_added_and_ended_through_the_pages(web):
    rec = web.desk.recipient("dm_f", programme="special")
    with web.db.read() as s:
        id_number = s.get(Person, rec.person_id).id_number
    report = f"/benefits/reports?show=coverage&date=2025-12-01&org={COUNTY}"

    def county_row():
        web.as_("xian")
        with web.db.read() as s:
            t = reports.coverage(s, web.desk.officer("xian"), on=D(2025, 12, 1), org=COUNTY)
        row = {r[0]: r for r in table_rows(web.get(report).text)}[COUNTY]
        return row[t.column("families")], row[t.column("liaison_n")], row[t.column("liaison_rate")], row[t.column("all_n")]

    assert county_row() == ("1", "0", "0.0", "0")
    web.as_("shenji")  # the auditor reads, but records nothing
    assert "/benefits/coverage" not in forms(web.get("/benefits/coverage").text)
    r = post(web, "/benefits/coverage", {"person": id_number, "kind": "liaison", "detail": "x", "since": "2025-10-10"})
    assert r.status_code == 403
    web.as_("xiang")
    assert "/benefits/coverage" in forms(web.get("/benefits/coverage").text)
    r = post(web, "/benefits/coverage", {"person": id_number, "kind": "liaison", "detail": "", "since": "2025-10-10"})
    assert r.status_code == 400 and "detail" in r.text  # the service's validation: nothing recorded
    r = post(
        web, "/benefits/coverage", {"person": id_number, "kind": "liaison", "detail": "乡计生办 王主任 138****0001", "since": "2025-10-10"}
    )
    assert r.status_code == 303 and r.headers["location"].endswith("done=coverage")
    with web.db.read() as s:
        c = s.scalar(select(BenefitCoverage))
    assert (c.person_id, c.kind, c.since, c.until) == (rec.person_id, "liaison", D(2025, 10, 10), None)
    page = web.get("/benefits/coverage").text
    assert table_rows(page, "coverage")[0][:7] == [
        str(c.id),
        "测dm_f",
        table_rows(page, "coverage")[0][2],
        "联系人",
        "乡计生办 王主任 138****0001",
        "2025-10-10",
        "",
    ]
    assert id_number not in page  # the ID number is masked
    web.as_("zhen")  # another township: neither its page nor its record
    assert 'id="no-coverage"' in web.get("/benefits/coverage").text
    assert post(web, "/benefits/coverage", {"person": id_number, "kind": "doctor", "detail": "x", "since": "2025-10-10"}).status_code == 404
    assert county_row() == ("1", "1", "100.0", "0")

    web.as_("xiang")
    r = post(web, f"/benefits/coverage/{c.id}/end", {"date": "2025-11-30", "reason": ""})
    assert r.status_code == 400
    r = post(web, f"/benefits/coverage/{c.id}/end", {"date": "2025-11-30", "reason": "联系人调离"})
    assert r.status_code == 303
    assert table_rows(web.get("/benefits/coverage").text, "coverage")[0][6] == "2025-11-30"
    assert 'id="no-coverage"' in web.get("/benefits/coverage?current=1").text  # ended: not in force today
    assert county_row() == ("1", "0", "0.0", "0")


def test_the_coverage_records_of_an_area_from_the_service(web):
    rec = web.desk.recipient("dm_f", programme="special")
    with web.db.read() as s:
        person = s.get(Person, rec.person_id)
    c = web.desk.step(
        "xiang", coverage.record, person=person, kind="doctor", detail="乡卫生院 协议 2025-031", since=D(2025, 10, 10), today=TODAY
    )
    with web.db.read() as s:
        assert [(x.id, p.id) for x, p in coverage.in_area(s, web.desk.officer("shenji"))] == [(c.id, rec.person_id)]
        assert [x.id for x, _ in coverage.in_area(s, web.desk.officer("cun"))] == [c.id]
        assert coverage.in_area(s, web.desk.officer("she")) == []  # the town's community
        assert coverage.in_area(s, web.desk.officer("xian"), on=D(2025, 10, 9)) == []
        with pytest.raises(UserError) as e:
            coverage.in_area(s, web.desk.officer("tongji"))  # no benefit:read
        assert e.value.code == "forbidden"


# ------------------------------------------------------------------------------------------ reading, security, language


def test_the_auditor_reads_exits_and_reports_but_gets_no_forms(web):
    rec = web.desk.recipient("dm_f")
    web.b.die("dm_f", D(2025, 6, 15))
    web.desk.step("xiang", exits.detect, web.desk.programmes, as_of=D(2025, 7, 1), today=TODAY)
    e = exit_row(web.db, "death")
    web.as_("shenji")
    page = web.get("/benefits/exits")
    assert page.status_code == 200 and f'id="exit-{e.id}"' in page.text and forms(page.text) == set()
    r = web.get(f"/benefits/reports?show=recipients&year=2025&org={COUNTY}")
    assert r.status_code == 200 and 'class="stats"' in r.text and forms(r.text) == set()
    for url, data in (
        (f"/benefits/exits/{e.id}/confirm", {"date": "2025-07-02"}),
        ("/benefits/exits/detect", {"date": "2025-07-02"}),
        ("/benefits/reconfirm", {"programme": "reward", "year": "2026", "date": "2026-01-10"}),
    ):
        assert post(web, url, data).status_code == 403, url
    assert exit_row(web.db, "death").status == "proposed" and ended_on(web.db, rec.id) is None


def test_a_post_without_the_form_token_is_refused(web):
    web.desk.recipient("dm_f")
    web.b.die("dm_f", D(2025, 6, 15))
    web.desk.step("xiang", exits.detect, web.desk.programmes, as_of=D(2025, 7, 1), today=TODAY)
    e = exit_row(web.db, "death")
    web.as_("xian")
    for url in (f"/benefits/exits/{e.id}/confirm", "/benefits/exits/detect", "/benefits/coverage"):
        assert web.post(url, {"date": "2025-07-02"}, token="").status_code == 403, url
    assert exit_row(web.db, "death").status == "proposed"


def test_english_labels_on_request(web):
    web.desk.recipient("dm_f")
    web.b.die("dm_f", D(2025, 6, 15))
    web.desk.step("xiang", exits.detect, web.desk.programmes, as_of=D(2025, 7, 1), today=TODAY)
    web.as_("xian")
    web.c.cookies.set("lang", "en")
    html = web.get("/benefits/exits").text
    page = text(html)
    assert "Exits and re-confirmation" in page and "Look for exits" in page and "Confirm the exit" in page and "退出与年度确认" not in page
    [row] = table_rows(html, "exits")
    assert (row[1], row[3], row[6]) == ("Rural family-planning reward assistance", "death", "Proposed")
    r = post(web, f"/benefits/exits/{exit_row(web.db, 'death').id}/dismiss", {"date": "2025-07-02", "reason": ""})
    assert r.status_code == 400 and "is required" in text(r.text)
    page = text(web.get(f"/benefits/reports?show=coverage&org={COUNTY}&date=2025-12-01").text)
    assert "The three full coverages" in page and "Families" in page and "liaison cadre" in page
    page = text(web.get("/benefits/coverage").text)
    assert "Record a coverage" in page and "priority medical channel" in page
