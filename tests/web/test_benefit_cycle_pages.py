"""The pages of the benefit cycle: the village worker enters (by hand or by file), reviews and posts;
objections are recorded and resolved; the township reviews; the county confirms — each through the
services' own rules (role, area, the step that is due), each refusal shown with the service's message
and nothing changed; ID and account numbers masked; the auditor reads everything and can do nothing."""

from __future__ import annotations

import datetime as dt
import io
import re
import urllib.parse

import openpyxl
import pytest
from sqlalchemy import func, select

from renkou.core.idnumber import mask
from renkou.storage.schema import AuditEntry, BenefitApplication, BenefitObjection, BenefitRecipient, BenefitStep, Changeset, Person
from tests.benefits.cycle_kit import COMMUNITY, TOWNSHIP, family_of_reward
from tests.web.benefit_kit import Web, text

TODAY = dt.date.today()


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def web(db):
    w = Web(db)
    family_of_reward(w.b, "li")  # a couple in the township's village 王庄村, both qualify for the reward
    family_of_reward(w.b, "far", COMMUNITY)  # the same in the town: another township
    yield w
    w.close()


def id_of(web: Web, key: str) -> str:
    with web.db.read() as s:
        return s.get(Person, web.id(key)).id_number


def n_apps(web: Web) -> int:
    with web.db.read() as s:
        return s.scalar(select(func.count(BenefitApplication.id)))


def apply_form(web: Web, key: str = "li_f", **over) -> dict:
    data = {
        "programme": "reward",
        "year": str(TODAY.year),
        "person": id_of(web, key),
        "account_no": "6228480012345678",
        "bank": "农商银行",
        "applied_on": ago(20),
        "attested": "declaration",
    }
    data.update(over)
    return data


def enter(web: Web, key: str = "li_f", **over) -> int:
    r = web.as_("cun").post("/benefits/apply", apply_form(web, key, **over))
    assert r.status_code == 303, text(r.text)[:800]
    return int(r.headers["location"].split("/benefits/applications/")[1].split("?")[0])


def test_the_village_worker_enters_an_application_and_sees_it_masked(web):
    number = enter(web)
    page = web.get(f"/benefits/applications/{number}?done=applied")
    assert page.status_code == 200
    body = text(page.text)
    assert "申请已录入，待村级审核" in body and "待村级审核" in body
    assert mask(id_of(web, "li_f")) in page.text and id_of(web, "li_f") not in page.text  # ID number masked
    assert "6228********5678" in page.text and "6228480012345678" not in page.text  # account masked
    assert 'id="form-village_review"' in page.text  # the step due, for the role that does it
    with web.db.read() as s:
        app = s.get(BenefitApplication, number)
        step = s.scalar(select(BenefitStep).where(BenefitStep.application_id == number))
        cs = s.scalars(select(Changeset).order_by(Changeset.id.desc())).first()
    assert app.status == "applied" and app.attested == {"declaration": ago(20)} and app.programme == "reward"
    assert step.step == "apply" and step.account == "cun"
    assert (cs.actor, cs.channel) == ("cun", "web")
    listed = web.get("/benefits").text
    assert f'href="/benefits/applications/{number}"' in listed and "测li_f" in listed


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"account_no": "12ab"}, "account_no", "银行账号应为 6-32 位数字"),
        ({"applied_on": (TODAY + dt.timedelta(days=3)).isoformat()}, "applied_on", "日期晚于今天"),
        ({"person": "410185195505050000"}, "person", "找不到身份证号或临时编号"),
        ({"year": "20x5"}, "year", "不是整数"),
        ({"programme": "nothing"}, "programme", "不是允许的取值"),
    ],
)
def test_a_bad_application_is_refused_next_to_its_field_and_saves_nothing(web, over, field, message):
    before = n_apps(web)
    r = web.as_("cun").post("/benefits/apply", apply_form(web, **over))
    assert r.status_code == 400
    assert message in r.text
    assert f'id="{field}-error"' in r.text  # next to the field it is about
    assert "未做任何更改" in r.text or "未保存" in r.text or "校验未通过" in r.text
    assert n_apps(web) == before


def test_every_problem_of_an_application_is_shown_at_once(web):
    r = web.as_("cun").post("/benefits/apply", apply_form(web, year="20x5", account_no="12ab", person="410185195505050000"))
    assert r.status_code == 400
    for field in ("year", "account_no", "person"):
        assert f'id="{field}-error"' in r.text, field
    assert n_apps(web) == 0


def test_someone_of_another_township_is_not_found_like_nobody(web):
    before = n_apps(web)
    r = web.as_("cun").post("/benefits/apply", apply_form(web, "far_f"))
    assert r.status_code == 400 and "找不到身份证号或临时编号" in r.text
    assert n_apps(web) == before


def test_the_whole_cycle_through_the_pages(web):
    number = enter(web)
    # the village review
    r = web.post(f"/benefits/applications/{number}/village-review", {"decision": "approve", "date": ago(19)})
    assert r.status_code == 303 and r.headers["location"].endswith("done=village_review")
    again = web.post(f"/benefits/applications/{number}/village-review", {"decision": "approve", "date": ago(19)})
    assert again.status_code == 400 and "不能办理“村级审核”" in again.text  # a step is done once
    # the posting: the reviewed application waits for it, then is posted for the village
    page = web.get("/benefits/postings").text
    assert 'id="waiting"' in page and "王庄村" in page.split('id="waiting"')[1].split("</table>")[0]
    r = web.post("/benefits/postings", {"programme": "reward", "year": str(TODAY.year), "village": "410185201201", "date": ago(18)})
    assert r.status_code == 303, text(r.text)[:500]
    with web.db.read() as s:
        posting_id = s.get(BenefitApplication, number).posting_id
    assert posting_id is not None
    # the notice, masked
    pdf = web.get(f"/benefits/postings/{posting_id}/notice.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    xlsx = web.get(f"/benefits/postings/{posting_id}/notice.xlsx")
    cells = [
        str(c) for row in openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True) for c in row if c is not None
    ]
    assert "测li_f" in cells and mask(id_of(web, "li_f")) in cells and id_of(web, "li_f") not in cells
    # an objection during the posting stops the township review until it is resolved
    r = web.post(f"/benefits/applications/{number}/objections", {"content": "家中另有子女", "objector": "村民甲", "date": ago(15)})
    assert r.status_code == 303
    early = web.post(f"/benefits/postings/{posting_id}/end", {"date": ago(15)})
    assert early.status_code == 400 and "最早于" in early.text  # the posting's days have not passed
    assert web.post(f"/benefits/postings/{posting_id}/end", {"date": ago(10)}).status_code == 303
    web.as_("xiang")
    blocked = web.post(f"/benefits/applications/{number}/township-review", {"decision": "approve", "date": ago(9)})
    assert blocked.status_code == 400 and "异议尚未处理" in blocked.text
    with web.db.read() as s:
        objection = s.scalar(select(BenefitObjection.id).where(BenefitObjection.application_id == number))
    no_reason = web.post(
        f"/benefits/objections/{objection}/resolve", {"outcome": "dismissed", "resolution": "", "date": ago(9), "application": str(number)}
    )
    assert no_reason.status_code == 400 and 'id="refusal"' in no_reason.text
    r = web.post(
        f"/benefits/objections/{objection}/resolve",
        {"outcome": "dismissed", "resolution": "经核实，子女均为女儿", "date": ago(9), "application": str(number)},
    )
    assert r.status_code == 303
    assert web.post(f"/benefits/applications/{number}/township-review", {"decision": "approve", "date": ago(8)}).status_code == 303
    # the county: the page shows the eligibility check; the confirmation makes a recipient
    web.as_("xian")
    page = web.get(f"/benefits/applications/{number}")
    assert 'id="eligibility"' in page.text and "符合条件" in page.text and 'id="form-confirm"' in page.text
    r = web.post(f"/benefits/applications/{number}/confirm", {"decision": "approve", "date": ago(7)})
    assert r.status_code == 303
    with web.db.read() as s:
        rec = s.scalar(select(BenefitRecipient).where(BenefitRecipient.application_id == number))
        steps = [
            (st.step, st.account)
            for st in s.scalars(select(BenefitStep).where(BenefitStep.application_id == number).order_by(BenefitStep.id))
        ]
    assert rec is not None and rec.person_id == web.id("li_f") and rec.since == dt.date.fromisoformat(ago(7))
    assert steps == [
        ("apply", "cun"),
        ("village_review", "cun"),
        ("post", "cun"),
        ("post_end", "cun"),
        ("township_review", "xiang"),
        ("confirm", "xian"),
    ]
    shown = web.get(f"/benefits/applications/{number}").text
    assert "已确认" in shown and "异议不成立" in shown and "经核实，子女均为女儿" in shown


def through_township(web: Web, number: int, township: str = "xiang") -> None:
    web.as_("cun")
    assert web.post(f"/benefits/applications/{number}/village-review", {"decision": "approve", "date": ago(19)}).status_code == 303
    assert (
        web.post(
            "/benefits/postings", {"programme": "reward", "year": str(TODAY.year), "village": "410185201201", "date": ago(18)}
        ).status_code
        == 303
    )
    with web.db.read() as s:
        posting_id = s.get(BenefitApplication, number).posting_id
    assert web.post(f"/benefits/postings/{posting_id}/end", {"date": ago(10)}).status_code == 303
    web.as_(township)
    assert web.post(f"/benefits/applications/{number}/township-review", {"decision": "approve", "date": ago(9)}).status_code == 303


def test_the_county_confirms_only_what_another_account_reviewed(web):
    number = enter(web)
    through_township(web, number, township="xian")  # the county admin did the township review itself
    web.as_("xian")
    r = web.post(f"/benefits/applications/{number}/confirm", {"decision": "approve", "date": ago(7)})
    assert r.status_code == 400 and "不能由同一账号办理" in r.text
    web.as_("xian2")
    assert web.post(f"/benefits/applications/{number}/confirm", {"decision": "approve", "date": ago(7)}).status_code == 303


def test_a_rejection_needs_its_reason_and_then_ends_the_application(web):
    number = enter(web)
    r = web.post(f"/benefits/applications/{number}/village-review", {"decision": "reject", "note": "", "date": ago(19)})
    assert r.status_code == 400
    with web.db.read() as s:
        assert s.get(BenefitApplication, number).status == "applied"
    r = web.post(f"/benefits/applications/{number}/village-review", {"decision": "reject", "note": "户籍已迁出", "date": ago(19)})
    assert r.status_code == 303 and r.headers["location"].endswith("done=rejected")
    page = web.get(f"/benefits/applications/{number}").text
    assert "不予通过" in page and "户籍已迁出" in page and 'id="form-village_review"' not in page


def test_roles_and_areas_are_the_services(web):
    number = enter(web)
    # a township officer may not do the village's review, nor the county's confirmation
    web.as_("xiang")
    assert 'id="form-village_review"' not in web.get(f"/benefits/applications/{number}").text
    assert web.post(f"/benefits/applications/{number}/village-review", {"decision": "approve", "date": ago(19)}).status_code == 403
    assert web.post(f"/benefits/applications/{number}/confirm", {"decision": "approve", "date": ago(19)}).status_code == 403
    # another township's officer, and the other village's worker, do not find it at all
    for who in ("zhen", "cun2"):
        web.as_(who)
        assert web.get(f"/benefits/applications/{number}").status_code == 404
        assert f'/benefits/applications/{number}"' not in web.get("/benefits").text
    web.as_("zhen")
    assert web.post(f"/benefits/applications/{number}/township-review", {"decision": "approve", "date": ago(9)}).status_code == 404
    with web.db.read() as s:
        assert s.get(BenefitApplication, number).status == "applied"


def test_the_auditor_reads_everything_and_changes_nothing(web):
    number = enter(web)
    web.as_("shenji")
    page = web.get(f"/benefits/applications/{number}").text
    assert "测li_f" in page and '<form method="post" action="/benefits/applications' not in page
    assert f'/benefits/applications/{number}"' in web.get("/benefits").text
    assert web.get("/benefits/apply").status_code == 403
    assert web.post(f"/benefits/applications/{number}/village-review", {"decision": "approve", "date": ago(19)}).status_code == 403
    assert web.post(f"/benefits/applications/{number}/objections", {"content": "x", "date": ago(1)}).status_code == 403
    with web.db.read() as s:
        assert s.get(BenefitApplication, number).status == "applied"
        assert s.scalar(select(func.count(BenefitObjection.id))) == 0


def test_a_form_without_the_session_token_is_refused(web):
    before = n_apps(web)
    web.as_("cun")
    r = web.post("/benefits/apply", apply_form(web), token="forged")
    assert r.status_code == 403 and n_apps(web) == before


def test_import_of_applications_all_or_nothing(web):
    head = "身份证号码,项目,年度,申请日期,银行账号,声明事项\n"
    good = head + "".join(
        f"{id_of(web, k)},reward,{TODAY.year},{ago(5)},62284800{i:08d},declaration\n" for i, k in enumerate(("li_f", "li_m"))
    )
    bad = good + f"{id_of(web, 'far_f')},reward,{TODAY.year},{ago(5)},6228480099999999,declaration\n"  # another township's
    web.as_("cun")
    before = n_apps(web)
    r = web.post("/benefits/import", files={"file": ("申请.csv", bad.encode("utf-8"), "text/csv")})
    assert r.status_code == 400
    listed = r.text.split('id="refusal"')[1].split("</div>")[0]
    assert re.search(r"\b4 · 身份证号码 = “[0-9*X]+”: 找不到身份证号或临时编号", listed), listed  # row, column, value, rule
    assert id_of(web, "far_f") not in r.text and 'data-rule="unknown_person"' in listed and "[unknown_person]" not in listed
    assert n_apps(web) == before
    r = web.post("/benefits/import", files={"file": ("申请.csv", good.encode("utf-8"), "text/csv")})
    assert r.status_code == 303 and r.headers["location"].endswith("done=imported")
    assert n_apps(web) == before + 2
    assert web.post("/benefits/import", files={"file": ("x.txt", b"abc", "text/plain")}).status_code == 400


def test_english_on_request(web):
    number = enter(web)
    web.c.cookies.set("lang", "en")
    page = web.get(f"/benefits/applications/{number}").text
    assert "awaiting the village review" in page and "Village review" in page and "待村级审核" not in page


def test_who_newly_qualifies_leads_to_the_form_with_the_person_chosen(web):
    web.as_("cun")
    page = web.get(f"/benefits/candidates?programme=reward&year={TODAY.year}")
    assert page.status_code == 200
    rows = page.text.split('id="candidates"')[1].split("</table>")[0]
    assert f'data-pid="{web.id("li_f")}"' in rows and f'data-pid="{web.id("li_m")}"' in rows
    assert f'data-pid="{web.id("far_f")}"' not in rows  # another township's couple
    assert mask(id_of(web, "li_f")) in rows and id_of(web, "li_f") not in rows
    assert "待申报核实" in rows  # the declaration only the applicant can make
    link = f"/benefits/apply?programme=reward&amp;year={TODAY.year}&amp;pid={web.id('li_f')}"
    assert link in rows
    form = web.get(link.replace("&amp;", "&")).text
    assert 'id="chosen">测li_f<' in form and id_of(web, "li_f") not in form
    data = apply_form(web, person="", pid=str(web.id("li_f")))
    r = web.post("/benefits/apply", data)
    assert r.status_code == 303
    number = int(r.headers["location"].split("/benefits/applications/")[1].split("?")[0])
    with web.db.read() as s:
        assert s.get(BenefitApplication, number).person_id == web.id("li_f")
    after = web.get(f"/benefits/candidates?programme=reward&year={TODAY.year}").text
    assert f'href="/benefits/applications/{number}"' in after  # applied: the list links to the application
    # a person outside the area, handed by number, is refused like an unknown ID number
    before = n_apps(web)
    r = web.post("/benefits/apply", apply_form(web, person="", pid=str(web.id("far_f"))))
    assert r.status_code == 400 and "找不到身份证号或临时编号" in r.text and n_apps(web) == before
    # and another township's unit is not found
    assert web.get(f"/benefits/candidates?programme=reward&year={TODAY.year}&org={COMMUNITY}").status_code == 404


def test_an_application_takes_the_year_as_the_year_picker_sends_it(web):
    web.as_("cun")
    form = web.get("/benefits/apply").text
    assert f'name="year" value="{TODAY.year}年"' in form and 'id="f-year-kind"' in form
    r = web.post("/benefits/apply", apply_form(web, year=f"{TODAY.year}年度"))
    assert r.status_code == 303, text(r.text)[:400]
    number = int(r.headers["location"].split("/benefits/applications/")[1].split("?")[0])
    with web.db.read() as s:
        assert s.get(BenefitApplication, number).year == TODAY.year
    bad = web.post("/benefits/apply", apply_form(web, "li_m", year=f"{TODAY.year}年上半年"))
    assert bad.status_code == 400 and "年度" in text(bad.text) and "不是整数" in text(bad.text) and "[bad_int]" not in bad.text


def test_candidates_take_a_chinese_year_and_the_unit_from_the_picker(web):
    web.as_("xiang")
    by_code = web.get(f"/benefits/candidates?programme=reward&year={TODAY.year}")
    typed = web.get(f"/benefits/candidates?programme=reward&year={TODAY.year}年")
    pids = re.findall(r'data-pid="(\d+)"', by_code.text)
    assert pids and re.findall(r'data-pid="(\d+)"', typed.text) == pids
    assert f'name="year" value="{TODAY.year}年"' in typed.text and 'name="org" size="14"' not in typed.text
    units = re.search(r'<select class="pk-units" id="org" name="org">(.*?)</select>', typed.text).group(1)
    shown = re.findall(r">([^<]*)</option>", units)
    assert len(shown) > 1 and not any(re.search(r"\d{6}", t) for t in shown) and "selected" in units.split("</option>")[0]
    village = re.findall(r'<option value="(\d{12})" data-depth="1"', units)[0]
    one = web.get(f"/benefits/candidates?programme=reward&year={TODAY.year}年&org={village}")
    assert one.status_code == 200 and f'<option value="{village}" data-depth="1"' in one.text
    assert re.search(rf'<option value="{village}" data-depth="1"[^>]* selected>', one.text)


def test_candidates_are_counted_and_paged_the_links_keeping_programme_year_and_unit(web, monkeypatch):
    """Every candidate the eligibility model finds, a page at a time: page 1 and page 2 together are the whole list."""
    import renkou.web.benefits.cycle as pages_of_cycle

    web.as_("xiang")
    query = f"programme=reward&year={TODAY.year}年&org={TOWNSHIP}"
    whole = web.get(f"/benefits/candidates?{query}").text
    pids = re.findall(r'data-pid="(\d+)"', whole)
    assert len(pids) >= 2 and f"第 1–{len(pids)} 条，共 {len(pids)} 条" in text(whole) and 'id="candidates-end-pager"' not in whole
    monkeypatch.setattr(pages_of_cycle, "CANDIDATES_PAGE", 1)
    first = web.get(f"/benefits/candidates?{query}").text
    assert re.findall(r'data-pid="(\d+)"', first) == pids[:1] and f"第 1–1 条，共 {len(pids)} 条" in text(first)
    nxt = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    path, _, params = nxt.partition("?")
    assert path == "/benefits/candidates" and set(params.split("&")) >= {"programme=reward", f"org={TOWNSHIP}", "page=2"}
    assert f"year={TODAY.year}" in urllib.parse.unquote(params)
    second = web.get(nxt).text
    assert re.findall(r'data-pid="(\d+)"', second) == pids[1:2] and f"第 2–2 条，共 {len(pids)} 条" in text(second)
    assert 'rel="prev"' in second and 'id="candidates-end-pager"' in second
    last = web.get(f"/benefits/candidates?{query}&page=99").text  # past the end: the last page
    assert re.findall(r'data-pid="(\d+)"', last) == pids[-1:]


def test_the_person_page_lists_the_persons_family_support(web):
    web.as_("cun")
    page = web.get(f"/persons/{web.id('li_f')}").text
    assert 'id="person-benefits-none"' in page and f"/benefits/apply?pid={web.id('li_f')}" in page
    number = enter(web)
    page = web.get(f"/persons/{web.id('li_f')}").text
    listed = page.split('id="person-benefits"')[1].split("</ul>")[0]
    assert f'href="/benefits/applications/{number}"' in listed and "待村级审核" in listed


# ------------------------------------------------------------------------------ the payee chosen from the family


def payee_choices(html: str) -> dict[int, str]:
    """The payee radio buttons: person id -> its label text."""
    box = html.split('id="field-payee_pid"')[1].split("</fieldset>")[0]
    return {int(v): text(label) for v, label in re.findall(r'name="payee_pid" value="(\d+)"[^>]*>(.*?)</label>', box, re.S)}


def test_the_payee_is_chosen_from_the_beneficiarys_family_with_masked_ids(web):
    web.b.child("li_k", "M", TODAY - dt.timedelta(days=400), mother="li_a")  # li_f's grandson, a baby: no payee
    web.as_("cun")
    form = web.get(f"/benefits/apply?programme=reward&pid={web.id('li_f')}").text
    choices = payee_choices(form)
    assert list(choices) == [web.id(k) for k in ("li_f", "li_m", "li_a", "li_b")]  # self, spouse, the children
    assert "受益人本人" in choices[web.id("li_f")] and "配偶" in choices[web.id("li_m")] and "子女" in choices[web.id("li_a")]
    for k in ("li_f", "li_m", "li_a", "li_b"):
        assert mask(id_of(web, k)) in form and id_of(web, k) not in form
    baby = payee_choices(web.get(f"/benefits/apply?programme=childcare&pid={web.id('li_k')}").text)
    assert list(baby) == [web.id("li_a")] and "母亲" in baby[web.id("li_a")]  # the baby is no payee; the mother is
    r = web.post("/benefits/apply", apply_form(web, person="", pid=str(web.id("li_f")), payee_pid=str(web.id("li_m"))))
    assert r.status_code == 303
    number = int(r.headers["location"].split("/benefits/applications/")[1].split("?")[0])
    with web.db.read() as s:
        app = s.get(BenefitApplication, number)
    assert (app.person_id, app.payee_id) == (web.id("li_f"), web.id("li_m"))


def test_a_payee_outside_the_area_is_refused_like_nobody(web):
    web.as_("cun")
    before = n_apps(web)
    for payee in (web.id("far_m"), 99999999):  # another township's, and nobody: the same answer
        r = web.post("/benefits/apply", apply_form(web, person="", pid=str(web.id("li_f")), payee_pid=str(payee)))
        assert r.status_code == 400 and "找不到身份证号或临时编号" in r.text and "测far_m" not in r.text
    assert n_apps(web) == before
    page = web.get(f"/benefits/apply?pid={web.id('far_f')}").text
    assert 'id="field-payee_pid"' not in page and "测far" not in page  # another township's beneficiary is not chosen at all


def test_the_beneficiary_is_found_by_name_in_the_area(web):
    web.as_("cun")
    page = web.get("/benefits/apply", params={"find": "测", "programme": "reward"}).text
    listed = page.split('id="beneficiaries"')[1].split("</ul>")[0]
    assert f"pid={web.id('li_f')}" in listed and "测far" not in listed  # only the area's people
    assert mask(id_of(web, "li_f")) in listed and id_of(web, "li_f") not in listed
    assert 'id="beneficiaries-none"' in web.get("/benefits/apply", params={"find": "没有这人"}).text


# ------------------------------------------------------------------------------------------- the batch review


def review(web: Web, numbers, decision: str = "approve", note: str = "", date: str | None = None, **extra):
    """POST the list's batch review with ``numbers`` ticked (the field ``n`` repeated)."""
    body = {"csrf_token": web.token(), "decision": decision, "note": note, "date": date or ago(19), "n": [str(n) for n in numbers], **extra}
    return web.c.post("/benefits/review", data=body, follow_redirects=False)


def statuses(web: Web, *numbers: int) -> list[str]:
    with web.db.read() as s:
        return [s.get(BenefitApplication, n).status for n in numbers]


def test_the_list_offers_the_batch_review_for_what_the_role_may_review(web):
    a, b = enter(web, "li_f"), enter(web, "li_m")
    web.post(f"/benefits/applications/{b}/village-review", {"decision": "approve", "date": ago(19)})
    page = web.get("/benefits").text
    assert 'id="batch-review"' in page and 'action="/benefits/review"' in page
    assert f'name="n" value="{a}"' in page and f'name="n" value="{b}"' not in page  # b waits for the posting, not a review
    assert "第 1–2 条，共 2 条" in text(page)
    web.as_("xiang")
    page = web.get("/benefits").text
    assert 'id="batch-review"' not in page and 'name="n"' not in page  # nothing awaits the township yet: no form
    web.as_("shenji")
    page = web.get("/benefits").text
    assert 'id="batch-review"' not in page and 'name="n"' not in page  # the auditor reviews nothing


def test_a_batch_approval_decides_each_through_its_step_and_lists_the_refusals(web):
    a, b = enter(web, "li_f"), enter(web, "li_m")
    web.as_("she")
    far = web.post("/benefits/apply", apply_form(web, "far_f"))
    far_n = int(far.headers["location"].split("/benefits/applications/")[1].split("?")[0])
    web.as_("cun")
    web.post(f"/benefits/applications/{b}/village-review", {"decision": "approve", "date": ago(19)})
    before = {n: len(steps_of(web, n)) for n in (a, b, far_n)}
    r = review(web, [a, b, far_n])
    assert r.status_code == 200, text(r.text)[:500]
    assert 'id="review-done" data-count="1"' in r.text and 'id="review-refused" data-count="2"' in r.text
    body = text(r.text)
    assert "已通过：1 件" in body and "未能办理：2 件" in body
    refusals = r.text.split('id="review-refusals"')[1].split("</table>")[0]
    assert f'data-n="{b}"' in refusals and "当前应办理“张榜公示”" in refusals  # the service's own reason
    assert f'data-n="{far_n}"' in refusals and "不存在或不在您的管辖范围内" in refusals  # another township's: not found
    assert f'href="/benefits/applications/{far_n}"' not in refusals
    assert statuses(web, a, b, far_n) == ["village_reviewed", "village_reviewed", "applied"]
    assert steps_of(web, a)[-1] == ("village_review", "cun", ago(19)) and len(steps_of(web, b)) == before[b]
    assert len(steps_of(web, far_n)) == before[far_n]


def steps_of(web: Web, n: int) -> list[tuple]:
    with web.db.read() as s:
        return [
            (st.step, st.account, st.done_on.isoformat())
            for st in s.scalars(select(BenefitStep).where(BenefitStep.application_id == n).order_by(BenefitStep.id))
        ]


def test_each_decision_of_a_batch_is_its_own_audited_change(web):
    a, b = enter(web, "li_f"), enter(web, "li_m")
    with web.db.read() as s:
        first = s.scalar(select(func.max(Changeset.id)))
    r = review(web, [a, b], decision="reject", note="户籍已迁出")
    assert r.status_code == 200 and 'id="review-done" data-count="2"' in r.text and "不予通过：2 件" in text(r.text)
    with web.db.read() as s:
        made = list(s.scalars(select(Changeset).where(Changeset.id > first).order_by(Changeset.id)))
        notes = [st.note for st in s.scalars(select(BenefitStep).where(BenefitStep.step == "reject"))]
        audited = {
            (e.row_id, e.changeset_id, e.reason)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.table_name == "benefit_application", AuditEntry.changeset_id > first))
        }
    assert len(made) == 2 and {(cs.actor, cs.channel) for cs in made} == {("cun", "web")}  # one changeset per application
    assert audited == {(a, made[0].id, "户籍已迁出"), (b, made[1].id, "户籍已迁出")}  # each status change audited with the reason
    assert notes == ["户籍已迁出", "户籍已迁出"]
    assert statuses(web, a, b) == ["rejected", "rejected"]


@pytest.mark.parametrize(
    ("numbers", "decision", "note", "shown"),
    [
        ([], "approve", "", 'id="n-error"'),  # nothing ticked
        (["x1"], "approve", "", 'id="n-error"'),  # not a number
        ([1], "reject", "", 'id="refusal"'),  # no reason for a rejection
        ([1], "maybe", "", 'id="refusal"'),  # no such decision
    ],
)
def test_a_batch_review_that_cannot_be_taken_changes_nothing(web, numbers, decision, note, shown):
    a = enter(web, "li_f")
    r = review(web, [a if n == 1 else n for n in numbers], decision=decision, note=note)
    assert r.status_code == 400 and shown in r.text and 'id="review-results"' not in r.text
    assert statuses(web, a) == ["applied"] and len(steps_of(web, a)) == 1


def test_the_township_reviews_in_a_batch_and_the_auditor_cannot(web):
    a = enter(web, "li_f")
    through_township_until_posted(web, a)
    web.as_("shenji")
    r = review(web, [a])
    assert r.status_code == 200 and 'id="review-done" data-count="0"' in r.text and "无权" in r.text
    assert statuses(web, a) == ["posted"]
    web.as_("xiang")
    page = web.get("/benefits?status=posted").text
    assert f'name="n" value="{a}"' in page
    r = review(web, [a], date=ago(9), status="posted")
    assert r.status_code == 200 and 'id="review-done" data-count="1"' in r.text and "乡镇审核" in r.text
    assert statuses(web, a) == ["township_reviewed"]


def through_township_until_posted(web: Web, number: int) -> None:
    web.as_("cun")
    assert review(web, [number]).status_code == 200
    assert (
        web.post(
            "/benefits/postings", {"programme": "reward", "year": str(TODAY.year), "village": "410185201201", "date": ago(18)}
        ).status_code
        == 303
    )
    with web.db.read() as s:
        posting_id = s.get(BenefitApplication, number).posting_id
    assert web.post(f"/benefits/postings/{posting_id}/end", {"date": ago(10)}).status_code == 303


def test_a_batch_review_needs_the_session_token(web):
    a = enter(web, "li_f")
    r = web.c.post("/benefits/review", data={"csrf_token": "forged", "decision": "approve", "n": str(a)}, follow_redirects=False)
    assert r.status_code == 403 and statuses(web, a) == ["applied"]


def test_the_batch_review_in_english(web):
    a = enter(web, "li_f")
    web.c.cookies.set("lang", "en")
    r = review(web, [a, a + 1000])
    body = text(r.text)
    assert "Approved: 1" in body and "Refused: 1" in body and "does not exist or is outside your area" in body


def test_applications_with_an_objection_open_are_listed_apart(web):
    a, b = enter(web, "li_f"), enter(web, "li_m")
    for n in (a, b):
        web.post(f"/benefits/applications/{n}/village-review", {"decision": "approve", "date": ago(19)})
    web.post("/benefits/postings", {"programme": "reward", "year": str(TODAY.year), "village": "410185201201", "date": ago(18)})
    web.post(f"/benefits/applications/{a}/objections", {"content": "家中另有子女", "date": ago(15)})
    page = web.get("/benefits?objections=open").text
    rows = page.split('id="applications"')[1].split("</table>")[0]
    assert f'data-n="{a}"' in rows and f'data-n="{b}"' not in rows and "共 1 条" in text(page)
