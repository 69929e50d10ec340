"""The registration forms end to end in Debian's headless Chromium: a village worker registers a birth
(the mother found with the HTMX picker), meets the duplicate warning with a second child of the same
mother, and a Chinese message for a wrong ID number; the children then appear in the village's birth
ledger and monthly report (/reports); a township officer of another township cannot find them.
Same server and browser pattern as test_browser.py, on a generated county. Screenshots go to
test-output/e2e/ (form-*.png, person-*.png, ledger-births.png, report-monthly.png, …)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from e2e_kit import demo_county, serving, shot
from renkou.core import idnumber
from renkou.demo import fixture
from renkou.synth import county
from renkou.web.app import create_app

TODAY = dt.date.today()
MONTH = f"{TODAY:%Y-%m}"
FIRST, SECOND = "欧阳明轩", "欧阳明玥"  # the children registered here
S: dict[str, str] = {}  # what the tests of this module hand on to each other, in file order


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db, made = demo_county(tmp_path_factory.mktemp("e2e-forms"))
    village = next(code for user, _, code, _ in made if user == "cun")
    from renkou.auth import accounts
    from renkou.core.dates import age
    from renkou.registry import asof
    from renkou.registry.log import in_force
    from renkou.registry.orgs import Hierarchy
    from renkou.storage.schema import Event

    with db.write(fixture.DEMO_ACTOR) as s:
        h = Hierarchy.as_of(s, TODAY)
        own_township = h.units[h.unit(village).parent_id].code
        other = next(u.code for u in h.units.values() if u.level == "township" and u.code != own_township)
        accounts.create_account(
            s, username="xiang2", display_name="另一乡干部", role="township_officer", unit_code=other, password=fixture.DEMO_PASSWORD
        )
        recent = set(
            s.scalars(select(Event.mother_id).where(Event.kind == "birth", in_force(), Event.date >= TODAY - dt.timedelta(days=30)))
        )
        mother = next(
            p
            for p in asof.members(s, village, TODAY, basis="hukou")
            if p.sex == "F" and 22 <= age(p.birth_date, TODAY) <= 38 and p.id not in recent
        )
    S.update(village=village, mother=mother.name, mother_id=str(mother.id))
    with serving(create_app(db, secret="e2e", secure_cookies=False)) as url:
        yield url
    db.dispose()


def sign_in(page, server, user):
    page.goto(server + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", fixture.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")


def births_in_report(page, server) -> int:
    """The village's births this month in the monthly report, through the JSON API with the page's session."""
    r = page.request.get(f"{server}/api/v1/reports/monthly", params={"org": S["village"], "period": MONTH})
    assert r.ok
    data = r.json()
    col = next(i for i, c in enumerate(data["columns"]) if c["key"] == "births")
    return next(row["values"][col] for row in data["rows"] if row["code"] == S["village"])


def fill_child(page, name: str, sex: str = "M") -> None:
    page.fill("#f-name", name)
    page.check(f"input[name=sex][value={sex}]")
    page.fill("#f-birth_date", TODAY.isoformat())


def test_a_village_worker_registers_a_birth(server, page):
    sign_in(page, server, "cun")
    S["births_before"] = str(births_in_report(page, server))
    page.goto(server + "/register")
    page.click("text=出生登记")
    page.wait_for_url(server + "/register/birth")
    assert page.locator("#f-village option:checked").get_attribute("value") == S["village"]  # the worker's own village
    fill_child(page, FIRST)
    page.fill("#f-mother-q", S["mother"])  # the picker: HTMX lists the women of the area with this name
    choice = page.locator(f"#mother-choices input[value='{S['mother_id']}']")
    choice.wait_for(timeout=5000)
    choice.check()
    page.fill("#f-place", "示例县人民医院")
    shot(page, "form-birth")
    page.click("#save")
    page.wait_for_url(re.compile(r".*/persons/\d+\?saved=birth$"))  # the person page, confirming the save
    S["child_id"] = re.search(r"/persons/(\d+)", page.url).group(1)
    assert page.locator("h1").inner_text() == FIRST and "出生" in page.locator("#timeline").inner_text()
    shot(page, "person-after-birth")
    page.goto(f"{server}/persons/{S['mother_id']}")
    link = page.locator(f"#timeline a[href='/persons/{S['child_id']}']")
    assert link.inner_text() == FIRST and "子女出生" in page.locator("#timeline").inner_text()
    shot(page, "person-mother")


def test_a_second_child_of_the_same_mother_is_questioned_first(server, page):
    sign_in(page, server, "cun")
    page.goto(f"{server}/persons/{S['mother_id']}")
    page.click("#link-birth")  # from the mother's page: the form comes with her picked
    page.wait_for_url(re.compile(r".*/register/birth\?mother=\d+$"))
    fill_child(page, SECOND, "F")
    page.click("#save")
    warning = page.locator("#duplicates")
    warning.wait_for()
    assert "此人可能已经登记" in warning.inner_text() and FIRST in warning.inner_text() and "同一母亲" in warning.inner_text()
    shot(page, "form-duplicate")
    page.check("input[name=confirm_new]")  # twins
    page.click("#save")
    page.wait_for_url(re.compile(r".*/persons/\d+\?saved=birth$"))
    assert page.locator("h1").inner_text() == SECOND
    S["second_id"] = re.search(r"/persons/(\d+)", page.url).group(1)


def test_a_wrong_id_number_gets_a_chinese_message_next_to_the_field(server, page):
    sign_in(page, server, "cun")
    page.goto(f"{server}/register/birth?mother={S['mother_id']}")
    good = idnumber.make(county.COUNTY_CODE, TODAY, 123)
    fill_child(page, "欧阳明辉")
    page.fill("#f-id_number", good[:-1] + ("1" if good[-1] != "1" else "2"))
    page.press("#f-id_number", "Enter")  # Enter in a field saves (the form's hidden first button), not a picker's search
    message = page.locator("#id_number-error")
    message.wait_for()
    assert "校验码错误" in message.inner_text() and "未保存任何内容" in page.locator("#form-errors").inner_text()
    assert page.locator("#f-name").input_value() == "欧阳明辉"  # what was entered is kept
    assert [e for e in page.renkou_errors if "400" not in e] == []
    page.renkou_errors.clear()
    shot(page, "form-birth-error")


def test_the_children_are_in_the_birth_ledger_and_the_monthly_report(server, page):
    sign_in(page, server, "cun")
    page.goto(f"{server}/reports?t=ledger:births&org={S['village']}&period={MONTH}&basis=hukou")
    ledger = page.locator("#report table.stats tbody")
    assert FIRST in ledger.inner_text() and SECOND in ledger.inner_text() and S["mother"] in ledger.inner_text()
    shot(page, "ledger-births")
    assert births_in_report(page, server) == int(S["births_before"]) + 2
    page.goto(f"{server}/reports?t=report:monthly&org={S['village']}&period={MONTH}&basis=hukou")
    heads = page.locator("#report table.stats thead").inner_text()
    assert "出生" in heads
    shot(page, "report-monthly")


def test_the_correction_form_of_the_birth(server, page):
    sign_in(page, server, "cun")
    page.goto(f"{server}/persons/{S['child_id']}")
    page.click("#timeline >> text=更正")
    page.wait_for_url(re.compile(r".*/events/\d+/correct$"))
    assert page.locator("#f-date").input_value() == TODAY.isoformat() and page.locator("#retract-form").is_visible()
    shot(page, "form-correct")


def test_a_township_officer_of_another_township_cannot_find_the_child(server, page):
    sign_in(page, server, "xiang2")
    page.goto(server + "/persons?q=" + FIRST)
    links = page.locator("#results a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert f"/persons/{S['child_id']}" not in links
    page.goto(f"{server}/persons/{S['child_id']}")
    assert "您的管辖范围内没有此人" in page.content() and FIRST not in page.locator("main").inner_text()
    page.goto(f"{server}/register/birth?mother={S['mother_id']}")  # nor pick her mother in a form
    assert "您的管辖范围内没有此人" in page.content()
    assert [e for e in page.renkou_errors if "404" not in e] == []
    page.renkou_errors.clear()
    shot(page, "form-other-township")
