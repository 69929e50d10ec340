"""The pages on a phone (390×844, touch) and on paper, in Debian's headless Chromium: person search, a
person's page, the birth form, a family-support application and the monthly report never scroll the page
sideways, the menu is folded behind a button and opens, what a finger taps is at least 44 px high, forms
are one column and a table scrolls inside its own box; on a desktop the menu is a row; a report page
prints as the report alone (no menu, form or links), black on white.
Screenshots: test-output/e2e/phone-*.png, desktop-menu.png, print-report.png and print-report.pdf."""

from __future__ import annotations

import datetime as dt
import re
from itertools import pairwise

import pytest

from e2e_kit import SHOTS, demo_county, serving, shot
from renkou.demo import fixture
from renkou.web.app import create_app

TODAY = dt.date.today()
PHONE = {"width": 390, "height": 844}
MONTHLY = "/reports?t=report:monthly&period=2025-03"
S: dict[str, str] = {}
TAP = 44  # px: the least height of anything a finger taps


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db, made = demo_county(tmp_path_factory.mktemp("e2e-phone"))
    village = next(code for user, _, code, _ in made if user == "cun")
    from renkou.registry import asof

    with db.write(fixture.DEMO_ACTOR) as s:
        villager = asof.members(s, village, TODAY)[0]
    S.update(name=villager.name, pid=str(villager.id))
    with serving(create_app(db, secret="e2e", secure_cookies=False)) as url:
        yield url
    db.dispose()


def new_page(browser, **options):
    ctx = browser.new_context(locale="zh-CN", **options)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return ctx, pg, errors


@pytest.fixture
def phone(browser):
    ctx, pg, errors = new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield pg
    ctx.close()
    assert errors == []


@pytest.fixture
def desktop(browser):
    ctx, pg, errors = new_page(browser, viewport={"width": 1280, "height": 800})
    yield pg
    ctx.close()
    assert errors == []


def sign_in(page, server, user):
    page.goto(server + "/login")
    assert_no_sideways_scroll(page)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", fixture.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")


def assert_no_sideways_scroll(page):
    """Nothing sticks out on the right. A phone browser lays out a page that is too wide by zooming out, which
    widens window.innerWidth to the page's width, so the screen's own width is the measure here."""
    screen = page.viewport_size["width"]
    wide = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
    assert max(wide) <= screen, f"the page is wider than the {screen} px screen: {wide}"


def heights(page, selector: str) -> dict[str, float]:
    """The rendered height of each visible element that ``selector`` finds, by a short description of it."""
    return page.locator(selector).evaluate_all(
        """els => Object.fromEntries(els.filter(e => e.checkVisibility()).map((e, i) =>
             [`${i} ${e.tagName} ${e.id || e.getAttribute('name') || ''} ${e.textContent.trim().slice(0, 20)}`,
              e.getBoundingClientRect().height]))"""
    )


def assert_tappable(page, selector: str) -> None:
    found = heights(page, selector)
    assert found, f"nothing visible for {selector}"
    small = {what: h for what, h in found.items() if h < TAP}
    assert small == {}, f"tap targets under {TAP} px: {small}"


def lines(page, selector: str) -> int:
    """On how many lines the first element ``selector`` finds is laid out."""
    return page.locator(selector).first.evaluate(
        """e => { const r = document.createRange(); r.selectNodeContents(e);
                  return new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size; }"""
    )


def check_phone_page(page, name: str, open_menu: bool = False) -> None:
    """What every page on a phone must do: no sideways page scroll, the menu folded and opening on a tap to
    links and buttons of at least 44 px, and the page's own buttons and fields at least 44 px high."""
    assert_no_sideways_scroll(page)
    assert page.locator("header nav").is_hidden() and page.locator("#lang-switch").is_hidden()  # folded
    assert_tappable(page, "#menu-button")
    controls = "main button, main input:not([type=hidden], [type=checkbox], [type=radio]), main select"
    if page.locator(controls).count():
        assert_tappable(page, controls)
    shot(page, f"phone-{name}")
    page.click("#menu-button")
    nav = page.locator("header nav")
    assert nav.is_visible() and nav.locator("a").count() >= 3
    assert_tappable(page, "header nav a, header button, #menu-button")
    assert page.locator("header .who").is_visible()
    assert_no_sideways_scroll(page)
    if open_menu:
        page.screenshot(path=str(SHOTS / f"phone-{name}-menu.png"))
    page.click("#menu-button")  # and folds again
    assert nav.is_hidden()
    if open_menu:  # the keyboard opens and folds it too
        page.focus("#menu-toggle")
        page.keyboard.press("Space")
        assert nav.is_visible()
        page.keyboard.press("Space")
        assert nav.is_hidden()


def one_column(page, selector: str) -> None:
    """The form's fields stand one under another (none beside another), each about as wide as the screen."""
    boxes = page.locator(selector).evaluate_all(
        "els => els.filter(e => e.checkVisibility()).map(e => { const b = e.getBoundingClientRect(); return [b.top, b.bottom, b.width]; })"
    )
    assert len(boxes) >= 3
    rows = sorted((top, bottom) for top, bottom, _ in boxes)
    assert all(below[0] >= above[1] for above, below in pairwise(rows)), f"fields side by side: {boxes}"
    width = page.evaluate("document.querySelector('main').clientWidth")
    assert all(w >= 0.8 * width - 40 for _, _, w in boxes), f"fields narrower than the screen: {boxes} in {width}"


def test_person_search_on_a_phone(server, phone):
    sign_in(phone, server, "cun")
    check_phone_page(phone, "home", open_menu=True)
    phone.click("#menu-button")
    phone.click("header nav >> text=人员查询")
    phone.wait_for_url(server + "/persons")
    phone.fill("#q", S["name"][0])  # one character: many rows, a wide table
    phone.locator("#results table tbody tr").first.wait_for(timeout=5000)
    assert phone.locator("#results table tbody tr").count() > 3
    check_phone_page(phone, "search")
    # the table is its own scroll box inside the screen, and names and ID numbers are not broken up
    assert_tappable(phone, "#results tbody a")
    right = phone.locator("#results table").evaluate("t => t.getBoundingClientRect().right")
    assert right <= PHONE["width"]
    assert lines(phone, "#results tbody td:nth-child(1) a") == 1 and lines(phone, "#results tbody td:nth-child(2)") == 1


def test_a_person_page_on_a_phone(server, phone):
    sign_in(phone, server, "cun")
    phone.goto(f"{server}/persons/{S['pid']}")
    phone.wait_for_selector("#timeline")
    check_phone_page(phone, "person")
    assert lines(phone, "#timeline tbody td:nth-child(1)") == 1  # a date on one line
    timeline = phone.locator("#timeline").evaluate("t => [t.getBoundingClientRect().right, t.scrollWidth, t.clientWidth]")
    assert timeline[0] <= PHONE["width"]
    assert_tappable(phone, "#register-links a")


def test_the_birth_form_on_a_phone(server, phone):
    sign_in(phone, server, "cun")
    phone.goto(server + "/register/birth")
    phone.wait_for_selector("#register-form")
    check_phone_page(phone, "birth-form")
    one_column(phone, "#register-form input:not([type=hidden], [type=radio], [type=checkbox]), #register-form select")
    assert_tappable(phone, "#save, #register-form label.choice")
    # the picker still works at this width, and its choices are rows a finger can hit
    phone.fill("#f-mother-q", S["name"][0])
    phone.locator("#mother-choices label.choice").first.wait_for(timeout=5000)
    assert_tappable(phone, "#mother-choices label.choice")
    assert_no_sideways_scroll(phone)
    shot(phone, "phone-birth-form-picker")


def test_a_family_support_application_on_a_phone(server, phone):
    sign_in(phone, server, "cun")
    phone.goto(server + "/benefits/apply")
    phone.wait_for_selector("#apply-form")
    check_phone_page(phone, "benefit-apply")
    one_column(phone, "#apply-form input:not([type=hidden], [type=radio], [type=checkbox]), #apply-form select")
    assert_tappable(phone, "#apply-save, #benefits-nav a, #field-attested label.choice")


def test_the_monthly_report_on_a_phone(server, phone):
    sign_in(phone, server, "xiang")
    phone.goto(server + MONTHLY)
    phone.wait_for_selector("table.stats tr.total")
    check_phone_page(phone, "monthly-report")
    one_column(phone, "form.report-form input:not([type=hidden], [type=radio]), form.report-form select")
    # the wide report scrolls inside its box, which stays within the screen
    box = phone.locator("#report .table-wrap").evaluate("w => [w.getBoundingClientRect().right, w.scrollWidth, w.clientWidth]")
    assert box[0] <= PHONE["width"] and box[1] > box[2]
    assert_tappable(phone, "#report p.downloads a")


@pytest.mark.parametrize("user", ["cun", "xiang"])
def test_no_page_of_the_menu_scrolls_sideways_on_a_small_phone(server, browser, user):
    """Every page the menu and the family-support section lead to, on a 360 px screen."""
    ctx, page, errors = new_page(browser, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    sign_in(page, server, user)
    pages = page.locator("header nav a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    page.goto(server + "/benefits")
    pages += page.locator("#benefits-nav a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert len(pages) >= 10
    wide = {}
    for path in dict.fromkeys(pages):
        page.goto(server + path)
        sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if max(sizes) > 360:
            wide[path] = sizes
    ctx.close()
    assert errors == []
    assert wide == {}


def test_on_a_desktop_the_menu_is_a_row(server, desktop):
    sign_in(desktop, server, "xiang")
    assert desktop.locator("#menu-button").is_hidden() and desktop.locator("#menu-toggle").is_hidden()  # not even for the Tab key
    links = desktop.locator("header nav a")
    assert links.count() >= 4 and all(links.nth(i).is_visible() for i in range(links.count()))
    tops = {round(t) for t in links.evaluate_all("els => els.map(e => e.getBoundingClientRect().top)")}
    assert len(tops) == 1  # one row
    assert all(lines(desktop, f"header nav a >> nth={i}") == 1 for i in range(links.count()))  # no link broken in two
    assert desktop.locator("header .who").is_visible() and desktop.locator("#lang-switch").is_visible()
    assert_no_sideways_scroll(desktop)
    shot(desktop, "desktop-menu")


def test_a_report_prints_as_the_report(server, desktop):
    sign_in(desktop, server, "xiang")
    desktop.goto(server + MONTHLY)
    desktop.wait_for_selector("table.stats tr.total")
    title = desktop.locator("#report h2").inner_text()
    desktop.emulate_media(media="print")
    for gone in ("header", "header nav", "form.report-form", "#download-xlsx", "main > h1", "#lang-switch"):
        assert desktop.locator(gone).first.is_hidden(), gone
    assert desktop.locator("#report h2").inner_text() == title and desktop.locator("table.stats").is_visible()
    wrap = desktop.locator("#report .table-wrap").evaluate("w => [getComputedStyle(w).overflowX, w.scrollWidth, w.clientWidth]")
    assert wrap[0] == "visible" and wrap[1] <= wrap[2]  # the whole table, no scroll box
    colours = desktop.locator("table.stats thead th").first.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor, getComputedStyle(e).borderTopColor]"
    )
    assert colours == ["rgb(0, 0, 0)", "rgba(0, 0, 0, 0)", "rgb(0, 0, 0)"]  # black on white
    shot(desktop, "print-report")
    pdf = desktop.pdf(path=str(SHOTS / "print-report.pdf"), prefer_css_page_size=True, print_background=False)
    assert pdf.startswith(b"%PDF") and re.search(rb"/MediaBox \[0 0 84[12][.\d]* 59[45][.\d]*\]", pdf)  # A4 landscape
    desktop.emulate_media(media="screen")
    assert desktop.locator("form.report-form").is_visible()  # on screen the form is back
