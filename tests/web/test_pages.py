"""Person search and the person page: scoped, masked, audited reveal — on SQLite and PostgreSQL."""

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from helpers import ACTOR, T1, V1, V3, add_resident, build_units, totp_code
from renkou.auth import accounts
from renkou.storage.schema import AuditEntry
from renkou.web import app as web

PW = "Village.Work-2026"


@pytest.fixture
def env(db):
    build_units(db)
    with db.write(ACTOR) as s:
        mine = add_resident(s, "赵一", "F", dt.date(1985, 3, 1), V1, 1, registered=dt.date(2000, 1, 1)).id_number
        other = add_resident(s, "赵二", "F", dt.date(1986, 3, 1), V3, 2, registered=dt.date(2000, 1, 1)).id_number
        accounts.create_account(s, username="cun1", display_name="村一", role="village_worker", unit_code=V1, password=PW)
        accounts.create_account(s, username="xitong", display_name="管理", role="sysadmin", unit_code="410102", password=PW)
    with TestClient(web.create_app(db, secret="k", secure_cookies=False)) as c:
        yield c, mine, other, db


def sign_in(c, user):
    t = c.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert c.post("/login", data={"username": user, "password": PW, "csrf_token": t}, follow_redirects=False).status_code == 303


def test_search_finds_only_people_of_the_area_and_masks_ids(env):
    c, mine, other, _ = env
    sign_in(c, "cun1")
    page = c.get("/persons", params={"q": "赵"}).text
    assert "赵一" in page and "赵二" not in page and mine not in page and mine[:6] in page
    partial = c.get("/persons", params={"q": "赵"}, headers={"HX-Request": "true"}).text
    assert "赵一" in partial and "<html" not in partial  # HTMX gets the results table only


def pid(db, key):
    from renkou.registry import persons

    with db.read() as s:
        return persons.find_person(s, key).id


def test_person_page_and_tampered_keys(env):
    c, mine, other, db = env
    sign_in(c, "cun1")
    assert f"/persons/{pid(db, mine)}" in c.get("/persons", params={"q": "赵"}).text  # links by internal number
    r = c.get(f"/persons/{pid(db, mine)}")
    assert r.status_code == 200 and "赵一" in r.text and "事件时间线" in r.text and mine not in r.text
    r = c.get(f"/persons/{pid(db, other)}")  # a person of another township, by editing the URL
    assert r.status_code == 404 and "赵二" not in r.text and "您的管辖范围内没有此人" in r.text


def test_reveal_needs_csrf_and_a_reason_and_is_audited(env):
    c, mine, other, db = env
    sign_in(c, "cun1")
    me, them = pid(db, mine), pid(db, other)
    page = c.get(f"/persons/{me}").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert c.post(f"/persons/{me}/reveal", data={"reason": "核对"}).status_code == 403  # no token
    assert c.post(f"/persons/{me}/reveal", data={"reason": "", "csrf_token": csrf}).status_code == 422
    r = c.post(f"/persons/{me}/reveal", data={"reason": "核对户籍", "csrf_token": csrf})
    assert r.status_code == 200 and mine in r.text
    assert c.post(f"/persons/{them}/reveal", data={"reason": "好奇", "csrf_token": csrf}).status_code == 404
    with db.read() as s:
        reveals = s.scalars(select(AuditEntry).where(AuditEntry.action == "reveal")).all()
    assert [e.reason for e in reveals] == ["核对户籍"]


def test_the_system_administrator_sees_no_personal_data(env):
    import pyotp

    c, mine, _, db = env
    with db.write(ACTOR) as s:  # the role requires a second factor: set it up first
        acc = accounts.get_account(s, "xitong")
        secret, _ = accounts.start_totp(acc)
        accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
    t = c.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = c.post(
        "/login",
        data={"username": "xitong", "password": PW, "totp": totp_code(db, "xitong", secret), "csrf_token": t},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert c.get("/persons", params={"q": "赵"}).status_code == 403
    assert c.get(f"/persons/{pid(db, mine)}").status_code == 403


def test_vendored_assets_match_their_record():
    vendor = Path(web.__file__).parent / "static" / "vendor"
    lines = (vendor / "VENDORED.txt").read_text().splitlines()
    assert lines
    for line in lines:
        name, digest, pkg, *_ = line.split()
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, pkg


def test_a_county_role_must_set_up_the_second_factor_before_anything_else(env):
    import pyotp

    c, mine, _, db = env
    with db.write(ACTOR) as s:
        accounts.create_account(s, username="tongji", display_name="统计", role="county_statistician", unit_code="410102", password=PW)
    sign_in(c, "tongji")
    for url in ("/", "/persons?q=赵", f"/persons/{pid(db, mine)}"):
        r = c.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/account/totp", url
    assert c.get(f"/api/v1/persons/{mine}").status_code == 403
    page = c.get("/account/totp").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    token = page.split('name="enrol_token" value="')[1].split('"')[0]
    secret = page.split('id="totp-secret">')[1].split("<")[0]
    bad = c.post("/account/totp", data={"csrf_token": csrf, "enrol_token": token, "code": "12345"})
    assert bad.status_code == 422 and "验证码不正确" in bad.text
    forged = c.post("/account/totp", data={"csrf_token": csrf, "enrol_token": token + "x", "code": pyotp.TOTP(secret).now()})
    assert forged.status_code == 400
    ok = c.post("/account/totp", data={"csrf_token": csrf, "enrol_token": token, "code": pyotp.TOTP(secret).now()}, follow_redirects=False)
    assert ok.status_code == 303
    assert c.get("/persons", params={"q": "赵"}).status_code == 200
    c.cookies.clear()
    t = c.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    no_code = c.post("/login", data={"username": "tongji", "password": PW, "csrf_token": t}, follow_redirects=False)
    assert no_code.status_code == 200 and "动态验证码不正确" in no_code.text  # now the code is required at sign-in


def test_organisation_tree_of_the_users_unit_with_its_history(env):
    from renkou.registry import orgs

    c, _, _, db = env
    with db.write(ACTOR) as s:
        orgs.rename(s, T1, "甲镇（新）", dt.date(2015, 1, 1))
        orgs.merge(s, ["410102100202"], V1, dt.date(2021, 1, 1))
    with db.write(ACTOR) as s:
        accounts.create_account(s, username="xiang1", display_name="乡一", role="township_officer", unit_code=T1, password=PW)
    sign_in(c, "xiang1")
    page = c.get("/orgs").text
    assert '<td class="indent-0">甲镇（新）</td>' in page and f"<td>{V1}</td>" in page
    assert "<td>410102100202</td>" not in page and "并入本单位： 410102100202" in page  # merged away, shown in V1's history
    assert V3 not in page  # another township's village is outside this account's tree
    before = c.get("/orgs", params={"date": "2014-12-31"}).text
    assert '<td class="indent-0">甲镇</td>' in before and "<td>410102100202</td>" in before


def test_a_long_organisation_tree_is_shown_a_page_at_a_time(env):
    from renkou.registry import orgs

    c, _, _, db = env
    with db.write(ACTOR) as s:
        for i in range(30):
            orgs.create_unit(
                s, code=f"410102100{300 + i}", name=f"新村{i:02d}", level="village", parent_code=T1, valid_from=dt.date(2001, 1, 1)
            )
        accounts.create_account(s, username="xiang1", display_name="乡一", role="township_officer", unit_code=T1, password=PW)
    sign_in(c, "xiang1")
    first = c.get("/orgs", params={"size": "20"}).text
    tree = first.split('id="org-tree"')[1].split("</table>")[0]
    total = int(first.split('data-total="')[1].split('"')[0])
    assert total >= 31 and tree.count("<tr class=") == 20  # the township, its villages and groups: 20 of them
    assert f"第 1–20 条，共 {total} 条" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = c.get("/orgs", params={"size": "20", "page": "99", "date": "2024-06-30"}).text
    rows = last.split('id="org-tree"')[1].split("</table>")[0].count("<tr class=")
    assert rows == total - 20 * ((total - 1) // 20) and f"共 {total} 条" in last and 'rel="next"' not in last
    assert "date=2024-06-30" in last.split('rel="prev"')[0].rsplit("<a href=", 1)[1]  # the links keep the date asked for


@pytest.mark.parametrize("q", ["\U0010ffff", "赵\U0010ffff", "\U0010ffff\U0010ffff", "\ud7ff", "赵\x00", "410102\U0010ffff"])
def test_no_search_text_is_a_server_error(env, q):
    c, *_ = env
    sign_in(c, "cun1")
    r = c.get("/persons", params={"q": q})
    assert r.status_code == (400 if "\x00" in q else 200) and "赵二" not in r.text  # NUL: refused by renkou.web.security.text_guard


@pytest.mark.parametrize(
    "url",
    [
        "/persons/99999999999999999999",
        "/persons/9223372036854775808",
        "/persons/-9223372036854775809",
        "/persons/1/events/99999999999999999999/correct",
        "/persons/abc",
    ],
)
def test_an_id_beyond_64_bits_is_not_found(env, url):
    c, *_ = env
    sign_in(c, "cun1")
    r = c.get(url)
    assert r.status_code == 404 and "没有这个页面" in r.text and "村一" in r.text  # the site's page, with its header
    assert c.get("/register/death", params={"person": "99999999999999999999"}).status_code == 404  # a form's person, too
    assert c.get("/persons/9223372036854775807").status_code == 404  # the largest id is an id: nobody has it


def test_the_person_page_shows_no_id_number_from_the_address(env):
    c, mine, _, db = env
    sign_in(c, "cun1")
    me = pid(db, mine)

    def shown(html: str) -> str:
        return html.split('<td id="id-number">')[1].split("<")[0]

    r = c.get(f"/persons/{me}", params={"revealed": "110101199001011234"})
    assert r.status_code == 200 and shown(r.text) == mine[:6] + "********" + mine[-4:] and mine not in r.text
    csrf = r.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert (
        shown(c.post(f"/persons/{me}/reveal", data={"reason": "核对户籍", "csrf_token": csrf}).text) == mine
    )  # the audited reveal shows it
