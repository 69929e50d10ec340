"""The family-support cycle end to end in Debian's headless Chromium, on a generated county: the
village worker enters a reward-assistance application for a candidate the eligibility service finds
in the village, reviews it and posts it (downloading the printable notice), records an objection and
ends the posting; the township officer resolves the objection and reviews; the county benefit
administrator (with TOTP) sees the eligibility check and confirms, creates the year's payment batch,
releases it and downloads the bank file; the auditor reads it all, the batch too, and finds no form
to change it.
The steps are one story, run in file order. Screenshots: test-output/e2e/benefits-*.png."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest

from e2e_kit import demo_county, serving, shot
from helpers import totp_code
from renkou.benefits.eligibility.service import Eligibility
from renkou.demo import fixture
from renkou.storage.schema import Person
from renkou.web.app import create_app

TODAY = dt.date.today()
S: dict[str, str] = {}  # handed from step to step, in file order


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db, made = demo_county(tmp_path_factory.mktemp("e2e-benefits"))
    village = next(code for user, _, code, _ in made if user == "cun")
    candidate = Eligibility(db).candidates("reward", TODAY.year, village)[0]
    from renkou.auth import accounts

    with db.write(fixture.DEMO_ACTOR) as s:
        p = s.get(Person, candidate.person_id)
        acc = accounts.get_account(s, "jiangfu")
        secret, _ = accounts.start_totp(acc)
        accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
        auditor = accounts.get_account(s, "shenji")  # the auditor's role needs a second factor too
        auditor_secret, _ = accounts.start_totp(auditor)
        accounts.confirm_totp(s, auditor, auditor_secret, pyotp.TOTP(auditor_secret).now())
    S.update(village=village, id_number=p.id_number, name=p.name, totp=secret, auditor_totp=auditor_secret, db=db)
    with serving(create_app(db, secret="e2e", secure_cookies=False)) as url:
        yield url
    db.dispose()


def sign_in(page, server, user, totp: str | None = None):
    page.goto(server + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", fixture.DEMO_PASSWORD)
    if totp:
        page.fill("input[name=totp]", totp_code(S["db"], user, totp))
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")


def decide(page, form: str, date: str, decision: str = "approve", note: str = "") -> None:
    f = page.locator(f"#{form}")
    f.locator(f"input[name=decision][value={decision}]").check()
    if note:
        f.locator("input[name=note]").fill(note)
    f.locator("input[name=date]").fill(date)
    f.locator("button[type=submit]").click()


def test_the_village_worker_enters_and_reviews(server, page):
    sign_in(page, server, "cun")
    page.click("#nav-benefits")
    page.click("#bn-apply")
    page.select_option("#f-programme", "reward")
    page.fill("#f-person", S["id_number"])
    page.fill("#f-applied_on", ago(20))
    page.fill("#f-account_no", "6228-4800")  # a wrong one first
    page.check("input[name=attested][value=declaration]")
    shot(page, "benefits-apply")
    page.click("#apply-save")
    assert page.locator("#account_no-error").inner_text().startswith("银行账号应为")  # the service's rule, next to the field
    page.renkou_errors.clear()  # the browser logs the 400 answer
    shot(page, "benefits-apply-error")
    page.fill("#f-account_no", "6228480012345678")
    page.click("#apply-save")
    page.wait_for_url(re.compile(r".*/benefits/applications/\d+\?done=applied"))
    S["app"] = page.url.split("/benefits/applications/")[1].split("?")[0]
    assert page.locator("#app-status").get_attribute("data-status") == "applied"
    assert "6228********5678" in page.content() and S["id_number"] not in page.content()
    decide(page, "form-village_review", ago(19))
    page.wait_for_url(re.compile(r".*done=village_review"))
    assert page.locator("#app-status").get_attribute("data-status") == "village_reviewed"
    shot(page, "benefits-application")


def test_the_village_posts_prints_the_notice_and_records_an_objection(server, page):
    sign_in(page, server, "cun")
    page.goto(server + "/benefits/postings")
    row = page.locator("#waiting tbody tr").first
    row.locator("input[name=date]").fill(ago(18))
    row.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*done=posted"))
    posting = page.locator("#postings tbody tr").first
    with page.expect_download() as dl:
        posting.locator("a.notice-pdf").click()
    assert dl.value.suggested_filename.endswith(".pdf")
    shot(page, "benefits-postings")
    page.goto(f"{server}/benefits/applications/{S['app']}")
    f = page.locator("#form-object")
    f.locator("input[name=content]").fill("家中另有子女未登记")
    f.locator("input[name=date]").fill(ago(15))
    f.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*done=objection"))
    page.goto(server + "/benefits/postings")
    end = page.locator("#postings tbody tr").first.locator("form.end-form")
    end.locator("input[name=date]").fill(ago(10))
    end.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*done=post_end"))


def test_the_township_resolves_the_objection_and_reviews(server, page):
    sign_in(page, server, "xiang")
    page.goto(f"{server}/benefits/applications/{S['app']}")
    decide(page, "form-township_review", ago(9))  # refused: the objection is open
    assert "异议尚未处理" in page.locator("#refusal").inner_text()
    page.renkou_errors.clear()  # the 400 answer is logged by the browser
    shot(page, "benefits-township-refused")
    r = page.locator("form.resolve").first
    r.locator("input[name=outcome][value=dismissed]").check()
    r.locator("input[name=resolution]").fill("经入户核实，无未登记子女")
    r.locator("input[name=date]").fill(ago(9))
    r.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*done=resolved"))
    decide(page, "form-township_review", ago(8))
    page.wait_for_url(re.compile(r".*done=township_review"))
    assert page.locator("#app-status").get_attribute("data-status") == "township_reviewed"


def test_the_county_confirms(server, page):
    sign_in(page, server, "jiangfu", totp=S["totp"])
    page.goto(f"{server}/benefits/applications/{S['app']}")
    assert "符合条件" in page.locator("#eligibility").inner_text()
    shot(page, "benefits-confirm")
    decide(page, "form-confirm", ago(7))
    page.wait_for_url(re.compile(r".*done=confirm"))
    assert page.locator("#app-status").get_attribute("data-status") == "confirmed"
    steps = page.locator("#steps tbody tr")
    assert steps.count() == 6


def test_the_county_pays_and_exports_the_bank_file(server, page):
    sign_in(page, server, "jiangfu", totp=S["totp"])
    page.goto(server + "/benefits/batches")
    f = page.locator("#create-batch")
    f.locator("select[name=programme]").select_option("reward")
    f.locator("input[name=period]").fill(str(TODAY.year))
    f.locator("#create").click()
    page.wait_for_url(re.compile(r".*/benefits/batches/\d+\?done=batch"))
    S["batch"] = page.url.split("/benefits/batches/")[1].split("?")[0]
    lines = page.locator("#lines tbody tr")
    assert lines.count() == 1 and S["name"] in lines.first.inner_text()
    assert S["id_number"] not in page.content() and "6228480012345678" not in page.content()  # masked on the page
    page.click("#release")  # the confirmation first: the number of lines and the total, ticked before release
    assert page.locator("#confirm-lines").inner_text() == "1"
    page.check("#confirm-box")
    page.click("#release-confirmed")
    page.wait_for_url(re.compile(r".*done=released"))
    page.locator("#export-form select[name=format]").select_option("csv")
    with page.expect_download() as dl:
        page.click("#export")
    with open(dl.value.path(), encoding="utf-8-sig") as fh:
        data = fh.read()
    assert S["id_number"] in data and "6228480012345678" in data  # the one file with the full numbers, for the bank
    shot(page, "benefits-batch")


def test_the_auditor_reads_and_cannot_change(server, page):
    sign_in(page, server, "shenji", totp=S["auditor_totp"])
    page.goto(server + "/benefits")
    assert page.locator(f"#applications a[href='/benefits/applications/{S['app']}']").count() == 1
    page.goto(f"{server}/benefits/applications/{S['app']}")
    assert page.locator("form.action").count() == 0 and S["name"] in page.content()
    shot(page, "benefits-auditor")
    page.goto(f"{server}/benefits/batches/{S['batch']}")
    assert page.locator("#lines tbody tr").count() == 1 and page.locator("#export-form").count() == 0
    assert page.locator("#lines-pager .range").inner_text() == "第 1–1 条，共 1 条" and page.locator("#lines-end-pager").count() == 0
    page.goto(server + "/audit?from=" + TODAY.isoformat())
    assert "benefit_recipient" in page.content() and "jiangfu" in page.content()  # the confirmation, in the trail
    shown = page.locator("#audit tbody tr").count()
    assert page.locator("#audit-pager").get_attribute("data-total") == str(shown)  # one page: every entry of the day
    page.goto(server + "/audit?size=20&from=" + TODAY.isoformat() + "&page=99")  # past the end: the last page, the filter kept
    pages = -(-shown // 20)
    assert page.locator("#audit-pager").get_attribute("data-page") == str(pages)
    assert page.locator("#audit tbody tr").count() == shown - 20 * (pages - 1)
    assert page.locator("input[name=from]").input_value() == TODAY.isoformat()
