"""The work queues and the batch actions in Debian's headless Chromium, on a generated county: the village
worker's home page counts the applications awaiting the village review and its link opens exactly those;
the worker ticks them on the list and approves them together — one was reviewed meanwhile and is listed
as refused with the service's reason; the county benefit administrator's release of a payment batch asks
for a confirmation that shows the number of lines and the total money, and releases only once ticked.
Screenshots: test-output/e2e/queues-*.png."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pyotp
import pytest
from sqlalchemy import select

from e2e_kit import demo_county, serving, shot
from helpers import totp_code
from renkou.auth import accounts
from renkou.auth.officer import Officer
from renkou.benefits.cycle import applications, posting
from renkou.benefits.eligibility.service import Eligibility
from renkou.benefits.payments import batches, release
from renkou.config import Settings
from renkou.demo import fixture
from renkou.storage.schema import PaymentBatch, Person
from renkou.web.app import create_app

TODAY = dt.date.today()
S: dict = {}


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def step(db, who: str, fn, *args, **kw):
    with db.read() as s:
        off = Officer.of(s, who)
    with db.write(off.actor) as s:
        return fn(s, off, *args, **kw)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The demo county: five of the village's reward candidates apply; two go through every step to the
    county's confirmation and into this year's payment batch (a draft), three await the village review."""
    db, made = demo_county(tmp_path_factory.mktemp("e2e-queues"))
    village = next(code for user, _, code, _ in made if user == "cun")
    settings = Settings(benefit_posting_days=7)
    eligibility = Eligibility(db, settings)
    progs = eligibility.programmes
    found = [d.person_id for d in eligibility.candidates("reward", TODAY.year, village)][:2]  # confirmed, so eligible
    assert len(found) == 2, "the demo village has too few reward candidates"
    with db.read() as s:  # anyone of age in the village may apply; only the county's confirmation checks eligibility
        cun = Officer.of(s, "cun")
        adults = [p.id for p in s.scalars(select(Person).where(Person.birth_date < dt.date(1960, 1, 1)).order_by(Person.id))]
        others = [i for i in adults if i not in found and cun.scope.has_person(s, s.get(Person, i))][:3]
    assert len(others) == 3

    def apply(person_id: int, i: int) -> int:
        def enter(s, off):
            return applications.apply(
                s,
                off,
                progs,
                programme="reward",
                person=s.get(Person, person_id),
                year=TODAY.year,
                applied_on=ago(40),
                account_no=f"62284800{i:08d}",
                attested={c.key: ago(40) for c in progs["reward"].attestations},
            ).id

        return step(db, "cun", enter)

    paid = [apply(pid, i) for i, pid in enumerate(found)]
    for n in paid:
        step(db, "cun", applications.village_review, n, on=ago(39))
    p = step(db, "cun", posting.post, settings, programme="reward", year=TODAY.year, village=village, starts_on=ago(38))
    step(db, "cun", posting.end_posting, p.id, on=ago(30))
    for n in paid:
        step(db, "xiang", applications.township_review, n, on=ago(29))
        step(db, "jiangfu", applications.confirm, eligibility, n, on=ago(28))
    S["waiting"] = [apply(pid, 10 + i) for i, pid in enumerate(others)]
    S["batch"] = step(db, "jiangfu", batches.create_batch, eligibility, programme="reward", period=str(TODAY.year), on=TODAY).id
    with db.read() as s:
        S["figures"] = release.figures(s, s.get(PaymentBatch, S["batch"]))
    with db.write(fixture.DEMO_ACTOR) as s:
        acc = accounts.get_account(s, "jiangfu")
        secret, _ = accounts.start_totp(acc)
        accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
    S.update(db=db, totp=secret, eligibility=eligibility)
    with serving(create_app(db, secret="e2e", secure_cookies=False, settings=settings)) as url:
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


def test_the_home_page_counts_link_to_the_list_and_a_batch_approval_lists_the_results(server, page):
    sign_in(page, server, "cun")
    q = page.locator("#queue-village_review")
    assert q.get_attribute("data-count") == "3" and q.locator("strong.count").inner_text() == "3"
    assert page.locator("#queue-births_without_id").count() == 1  # the village worker's other kinds are shown too
    shot(page, "queues-home")
    q.locator("a").click()
    page.wait_for_url(re.compile(r".*/benefits\?status=applied"))
    rows = page.locator("#applications tbody tr")
    assert rows.count() == 3 and {int(rows.nth(i).get_attribute("data-n")) for i in range(3)} == set(S["waiting"])
    assert "第 1–3 条，共 3 条" in page.locator("#applications-pager").inner_text()
    for box in page.locator("#applications input.pick").all():
        box.check()
    # meanwhile one of them is reviewed elsewhere: the batch decides the other two and says why not this one
    step(S["db"], "cun", applications.village_review, S["waiting"][0], on=ago(2))
    page.locator("#review-decision input[name=date]").fill(ago(1).isoformat())
    shot(page, "queues-batch-review")
    page.click("#review-submit")
    page.wait_for_selector("#review-results")
    assert page.locator("#review-done").get_attribute("data-count") == "2"
    assert page.locator("#review-refused").get_attribute("data-count") == "1"
    refused = page.locator(f"#review-refusals tr[data-n='{S['waiting'][0]}']").inner_text()
    assert "当前应办理“张榜公示”" in refused
    assert {int(a.get_attribute("data-n")) for a in page.locator("a.decided").all()} == set(S["waiting"][1:])
    shot(page, "queues-batch-results")
    with S["db"].read() as s:
        from renkou.storage.schema import BenefitApplication

        assert {s.get(BenefitApplication, n).status for n in S["waiting"]} == {"village_reviewed"}
    page.goto(server + "/")
    assert page.locator("#queue-village_review").get_attribute("data-count") == "0"
    assert page.locator("#queue-to_post").get_attribute("data-count") == "3"


def test_release_asks_for_confirmation_with_the_count_and_the_total(server, page):
    lines, total = S["figures"]
    assert lines == 2 and total > Decimal("0")
    sign_in(page, server, "jiangfu", totp=S["totp"])
    assert page.locator("#queue-batches_to_check").get_attribute("data-count") == "1"
    page.locator("#queue-batches_to_check a").click()
    page.wait_for_url(server + "/benefits/batches")
    page.goto(f"{server}/benefits/batches/{S['batch']}")
    page.click("#release")
    page.wait_for_selector("#release-confirm")
    assert page.locator("#confirm-lines").inner_text() == f"{lines:,}"
    assert page.locator("#confirm-total").inner_text() == f"¥{total:,.2f}"
    assert f"放行 {lines} 笔，共 ¥{total:,.2f}" in page.locator("#release-confirm-form").inner_text()
    shot(page, "queues-release-confirm")
    with S["db"].read() as s:
        assert s.get(PaymentBatch, S["batch"]).status == "draft"  # asking released nothing
    page.click("#release-confirmed")  # not ticked: the browser keeps the form
    assert "/release" in page.url or page.locator("#release-confirm-form").count() == 1
    page.check("#confirm-box")
    page.click("#release-confirmed")
    page.wait_for_url(re.compile(r".*/benefits/batches/\d+\?done=released"))
    with S["db"].read() as s:
        assert s.get(PaymentBatch, S["batch"]).status == "released"
    shot(page, "queues-released")
