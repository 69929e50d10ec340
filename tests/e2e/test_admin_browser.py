"""The import page, the audit viewer, user administration, the TOTP QR code and the language switch end
to end in Debian's headless Chromium: a township officer checks a file with problems, then checks and
commits a good one; the auditor finds the import in the audit trail; the system administrator creates
an account; a county statistician meets the QR code; the language switch turns a page English.
Same server and browser pattern as test_browser.py, on a generated county. Screenshots go to
test-output/e2e/ (import-report.png, import-checked.png, import-done.png, audit.png, users.png,
totp-qr.png, english.png)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from e2e_kit import demo_county, serving, shot
from helpers import totp_code
from renkou.core import idnumber
from renkou.demo import fixture
from renkou.storage.schema import Person
from renkou.synth import county
from renkou.web.app import create_app

S: dict = {}  # what the tests of this module hand on to each other, in file order


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e-admin")
    db, made = demo_county(tmp)
    township = next(code for user, _, code, _ in made if user == "xiang")
    from renkou.auth import accounts
    from renkou.registry.orgs import Hierarchy

    with db.write(fixture.DEMO_ACTOR) as s:
        h = Hierarchy.as_of(s, dt.date.today())
        mine = [u.code for _, u in h.walk(township) if u.level == "village"]
        other = next(u.code for u in h.units.values() if u.level == "village" and u.code not in mine)
        admin = accounts.get_account(s, "admin")
        secret, _ = accounts.start_totp(admin)
        accounts.confirm_totp(s, admin, secret, pyotp.TOTP(secret).now())
        auditor = accounts.get_account(s, "shenji")  # the auditor's role needs a second factor too
        auditor_secret, _ = accounts.start_totp(auditor)
        accounts.confirm_totp(s, auditor, auditor_secret, pyotp.TOTP(auditor_secret).now())
        taken = set(s.scalars(select(Person.id_number)))
    S.update(village=mine[0], other=other, admin_totp=secret, auditor_totp=auditor_secret, files=tmp, db=db)
    S["ids"] = [i for i in (idnumber.make(county.COUNTY_CODE, dt.date(1995, 5, 5), n) for n in range(600, 700)) if i not in taken][:3]
    app = create_app(db, secret="e2e", secure_cookies=False)
    app.state.import_dir = tmp / "imports"
    with serving(app) as url:
        yield url
    db.dispose()


def sign_in(page, server, user, totp: str | None = None, landing="/"):
    page.goto(server + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", fixture.DEMO_PASSWORD)
    if totp:
        page.fill("input[name=totp]", totp_code(S["db"], user, totp))
    page.click("main button[type=submit]")
    page.wait_for_url(server + landing)


def csv_file(name: str, rows: list[str]) -> Path:
    path = S["files"] / name
    path.write_text("身份证号码,姓名,性别,出生日期,户籍地代码,居住地代码\n" + "".join(rows), encoding="utf-8")
    return path


def sex(id_number: str) -> str:
    return "男" if int(id_number[16]) % 2 else "女"


def check_file(page, server, path: Path) -> None:
    page.goto(server + "/import")
    page.check("input[name=kind][value=persons]")
    page.set_input_files("#file", str(path))
    page.click("#check-file")
    page.wait_for_selector("#report")


def test_a_township_officer_checks_then_commits_an_import(server, page):
    sign_in(page, server, "xiang")
    page.click("header >> text=数据导入")
    page.wait_for_url(server + "/import")
    v, other = S["village"], S["other"]
    a, b, c = S["ids"]
    bad = csv_file(
        "人员-有错.csv",
        [
            f"{a},导入甲,{sex(a)},1995-05-05,{v},{v}\n",
            f"12345,导入乙,女,1995-05-05,{v},{v}\n",
            f"{b},导入丙,{sex(b)},1995-05-05,{other},{other}\n",
        ],
    )
    check_file(page, server, bad)
    assert "发现错误" in page.locator("#problem-count").inner_text() and page.locator("#commit").count() == 0
    cells = page.locator("#problems tbody tr").first.locator("td").all_inner_texts()
    assert cells[:3] == ["3", "身份证号码", "12345"] and "身份证号码应为 18 位" in cells[3]
    assert "不在您的管辖范围内" in page.locator("#problems").inner_text()
    shot(page, "import-report")
    with page.expect_download() as info:
        page.click("#download-report")
    assert Path(info.value.path()).read_bytes()[:2] == b"PK"
    good = csv_file("人员.csv", [f"{a},导入甲,{sex(a)},1995-05-05,{v},{v}\n", f"{c},导入丁,{sex(c)},1995-05-05,{v},{v}\n"])
    check_file(page, server, good)
    assert page.locator("#to-create").inner_text() == "2"
    shot(page, "import-checked")
    page.click("#commit")
    page.wait_for_selector("#import-done")
    assert page.locator("#created").inner_text() == "2" and page.locator("#unchanged").inner_text() == "0"
    shot(page, "import-done")
    page.goto(server + "/persons?q=导入丁")
    assert page.locator("#results a", has_text="导入丁").count() == 1


def test_the_auditor_finds_the_import(server, page):
    sign_in(page, server, "shenji", totp=S["auditor_totp"])
    page.click("header >> text=审计日志")
    page.wait_for_url(server + "/audit")
    page.select_option("select[name=channel]", "import")
    page.click("#audit-filters button[type=submit]")
    page.wait_for_url("**/audit?*channel=import*")
    first = page.locator("#audit tbody tr").first.inner_text()
    assert "演示乡镇（街道）干部" in first and "人员.csv" in first and "新增行数： 2" in first  # the actor by name
    page.goto(server + "/audit")
    shot(page, "audit")


def test_the_administrator_creates_an_account(server, page):
    sign_in(page, server, "admin", totp=S["admin_totp"])
    page.click("header >> text=用户账号管理")
    page.wait_for_url(server + "/users")
    page.fill("#f-username", "xinren")
    page.fill("#f-display_name", "新同事")
    page.select_option("#f-role", "township_officer")
    page.select_option("#f-unit", S["village"])  # a village: wrong level for the role
    page.fill("#f-password", "short")
    page.fill("#f-password2", "short")
    page.click("#create")
    page.wait_for_selector("#form-errors")
    assert "密码至少 10 个字符" in page.locator("#field-password").inner_text()
    assert "只能绑定到乡镇街道级单位" in page.locator("#field-unit").inner_text()
    page.renkou_errors.clear()  # the 400 answer
    page.select_option("#f-unit", index=1)  # the first township under the county
    page.fill("#f-password", "Xin.Tong-Shi2026")
    page.fill("#f-password2", "Xin.Tong-Shi2026")
    page.click("#create")
    page.wait_for_url(server + "/users?created=xinren")
    assert "xinren" in page.locator("#accounts").inner_text()
    shot(page, "users")


def test_the_totp_set_up_shows_a_qr_code(server, page):
    sign_in(page, server, "tongji", landing="/account/totp")  # the role needs a second factor first
    svg = page.locator("#totp-qr svg")
    assert svg.count() == 1 and svg.bounding_box()["width"] >= 100
    assert page.locator("#totp-secret").inner_text()
    shot(page, "totp-qr")


def test_the_language_switch_turns_the_page_english(server, page):
    sign_in(page, server, "xiang")
    page.goto(server + "/import")
    page.click("#lang-en")
    page.wait_for_selector("h1:text('Import data')")
    assert page.url == server + "/import" and "Sign out" in page.locator("header").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "english")
    page.click("#lang-zh")
    page.wait_for_selector("h1:text('数据导入')")


def test_a_slow_check_shows_its_progress_and_then_the_report(server, page, monkeypatch):
    from renkou.exchange import area
    from renkou.web.imports import pages as imports

    real = area.check

    def slow(*a, **kw):
        time.sleep(2.0)
        return real(*a, **kw)

    monkeypatch.setattr(imports, "WAIT", 0.0)
    monkeypatch.setattr(area, "check", slow)  # the importer's area rule, the first step of the check
    sign_in(page, server, "xiang")
    v = S["village"]
    path = csv_file("人员-慢.csv", [f"{S['ids'][0]},导入甲,{sex(S['ids'][0])},1995-05-05,{v},{v}\n"])
    page.goto(server + "/import")
    page.check("input[name=kind][value=persons]")
    page.set_input_files("#file", str(path))
    page.click("#check-file")
    page.wait_for_selector("#progress")  # "working…", polled by htmx
    assert "正在处理" in page.locator("#progress").inner_text()
    shot(page, "import-progress")
    page.wait_for_selector("#report", timeout=15_000)  # the page reloads itself when the check is done
    assert page.locator("#no-problems").count() == 1 and page.locator("#to-create").inner_text() == "0"  # imported by the first test
