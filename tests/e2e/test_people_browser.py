"""Finding people and the person page end to end in Debian's headless Chromium, on a generated county
(everyone registered since 1950, the dead included): the search lists each person's status, village,
age and masked ID number, the registered first, with a count and "more"; the filter shows the dead;
a mother's page links her husband and children and theirs link back; the birth form picks the mother
by name and offers her husband as the father; the save lands on the child's page with 已保存; a dead
person's page offers no registration forms. Screenshots go to test-output/e2e/ (people-*.png).

The page size is made 10 for this module (renkou.web.registry.pages.PAGE, read per request) so that
"more" shows up in a village of a 2,000-person county."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from e2e_kit import demo_county, serving, shot
from renkou.demo import fixture
from renkou.web.app import create_app
from renkou.web.registry import pages

TODAY = dt.date.today()
CHILD = "司马晨曦"  # the child registered here (no namesake in the generated county: a compound surname)
S: dict = {}
MASKED = re.compile(r"^\d{6}\*{8}[\dX]{4}$")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db, made = demo_county(tmp_path_factory.mktemp("e2e-people"))
    village = next(code for user, _, code, _ in made if user == "cun")
    from sqlalchemy import select

    from renkou.auth.scope import Scope
    from renkou.core.dates import age
    from renkou.registry import asof, orgs, persons
    from renkou.registry.log import in_force
    from renkou.storage.schema import Event

    with db.read() as s:
        scope = Scope.for_unit(s, orgs.get_unit(s, village).id)
        living = {p.id: p for p in asof.members(s, village, TODAY, basis="hukou")}
        recent = set(
            s.scalars(select(Event.mother_id).where(Event.kind == "birth", in_force(), Event.date >= TODAY - dt.timedelta(days=30)))
        )
        states = asof.states(s, list(living.values()), TODAY)

        def fits(p) -> bool:
            st = states[p.id]
            if p.sex != "F" or not 22 <= age(p.birth_date, TODAY) <= 45 or p.id in recent or st.spouse_id not in living:
                return False
            kids = persons.family(s, p).children
            return any(k in living for k in kids) and sum(q.name == p.name for q in living.values()) == 1

        mother = next(p for p in living.values() if fits(p))
        kids = [k for k in persons.family(s, mother).children if k in living]
        # a surname with more than one page of people in the village, some of them dead
        by_surname = Counter(p.name[0] for p in living.values())
        surname = next(
            n
            for n, _ in by_surname.most_common()
            if persons.find(s, n, scope=scope).total > 10 and persons.find(s, n, scope=scope, status="dead").total > 0
        )
        found = persons.find(s, surname, scope=scope, limit=1000)
        dead = persons.find(s, surname, scope=scope, status="dead").hits[0].person
    S.update(
        village=village,
        mother=mother.name,
        mother_id=mother.id,
        husband_id=states[mother.id].spouse_id,
        husband=living[states[mother.id].spouse_id].name,
        kid_id=kids[0],
        surname=surname,
        total=found.total,
        statuses=[h.status for h in found.hits],
        dead_id=dead.id,
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pages, "PAGE", 10)
        with serving(create_app(db, secret="e2e", secure_cookies=False)) as url:
            yield url
    db.dispose()


def sign_in(page, server, user="cun"):
    page.goto(server + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", fixture.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")


def rows(page) -> list[dict]:
    return page.locator("#result-table tbody tr").evaluate_all(
        """trs => trs.map(tr => ({status: tr.className, cells: [...tr.cells].map(td => td.innerText.trim())}))"""
    )


def test_search_shows_status_village_age_and_pages_with_more(server, page):
    sign_in(page, server)
    page.goto(server + "/persons")
    page.fill("#q", S["surname"])  # HTMX searches as one types
    page.locator("#result-table").wait_for()
    assert f"共找到 {S['total']} 人" in page.locator("#result-count").inner_text()
    first = rows(page)
    assert len(first) == 10
    for r in first:
        name, status, village, age, _sex, key, _birth = r["cells"]
        assert name.startswith(S["surname"]) and status and village and age.isdigit()
        assert MASKED.match(key) or key.startswith("T"), key  # masked, or a temporary key
    assert [r["status"] for r in first] == [f"status-{x}" for x in S["statuses"][:10]]
    shot(page, "people-search")
    page.click("#more")
    page.wait_for_function("() => document.querySelectorAll('#result-table tbody tr').length > 10")
    more = rows(page)
    assert len(more) == min(20, S["total"]) and more[:10] == first
    order = [r["status"] for r in more]
    assert order == sorted(order, key=["status-registered", "status-moved", "status-dead"].index)  # the registered first
    page.select_option("#status", "dead")  # the filter: the dead only
    page.wait_for_function("() => [...document.querySelectorAll('#result-table tbody tr')].every(tr => tr.className == 'status-dead')")
    assert all("死亡" in r["cells"][1] for r in rows(page))
    shot(page, "people-search-dead")


def test_the_person_page_links_husband_and_children_both_ways(server, page):
    sign_in(page, server)
    page.goto(f"{server}/persons/{S['mother_id']}")
    family = page.locator("#family")
    assert family.locator(f"a[href='/persons/{S['husband_id']}']").inner_text() == S["husband"]
    assert "配偶" in family.inner_text() and "子女" in family.inner_text()
    details = page.locator("table.details").inner_text()
    assert "有配偶" in details and "在册" in details and not re.search(rf"\b{S['village']}\b", details)  # unit names, not codes
    shot(page, "people-person-mother")
    family.locator(f"a[href='/persons/{S['kid_id']}']").click()
    page.wait_for_url(f"{server}/persons/{S['kid_id']}")
    assert page.locator(f"#family a[href='/persons/{S['mother_id']}']").inner_text() == S["mother"]
    assert "母亲" in page.locator("#family").inner_text()


def test_the_birth_form_picks_the_mother_and_her_husband_and_confirms_the_save(server, page):
    sign_in(page, server)
    page.goto(server + "/register/birth")
    page.fill("#f-name", CHILD)
    page.check("input[name=sex][value=F]")
    page.fill("#f-birth_date", TODAY.isoformat())
    page.fill("#f-mother-q", S["mother"])  # by name, within the area: no ID number typed
    choice = page.locator(f"#mother-choices input[value='{S['mother_id']}']")
    choice.wait_for(timeout=5000)
    choice.check()
    husband = page.locator(f"#father-linked input[value='{S['husband_id']}']")  # her husband, offered as the father
    husband.wait_for(timeout=5000)
    assert S["husband"] in page.locator("#father-linked").inner_text() and "母亲的配偶" in page.locator("#father-linked").inner_text()
    husband.check()
    shot(page, "people-form-birth")
    page.click("#save")
    page.wait_for_url(re.compile(r".*/persons/\d+\?saved=birth$"))
    assert page.locator("h1").inner_text() == CHILD
    assert page.locator("#saved-note").inner_text() == "已保存：出生登记已记录。"
    assert page.locator("#temp-key").inner_text().startswith("T")  # no ID number yet: the temporary key
    family = page.locator("#family")
    assert family.locator(f"a[href='/persons/{S['mother_id']}']").inner_text() == S["mother"]
    assert family.locator(f"a[href='/persons/{S['husband_id']}']").inner_text() == S["husband"]
    shot(page, "people-after-birth")


def test_a_dead_persons_page_offers_no_registration(server, page):
    sign_in(page, server)
    page.goto(f"{server}/persons/{S['dead_id']}")
    assert "死亡" in page.locator("#person-status").inner_text() and page.locator("#died").inner_text()
    assert page.locator("#register-links").count() == 0 and page.locator("#register-links-none").is_visible()
    assert page.locator("#link-death, #link-marriage, #link-birth, #link-apply").count() == 0
    shot(page, "people-person-dead")
