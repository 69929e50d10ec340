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


# ------------------------------------------------------------------------------ search with status, the person page's family


@pytest.fixture
def fam(db):
    """In 一村 (V1): 周母 married to 周父, their child 周小 (with an ID number) and a newborn 周新 (a
    temporary key); 周一, dead; 周迁, moved out of the county; and 周外, 周母's child registered in 三村
    (another township). A village worker of V1 and a county statistician (with a second factor)."""
    import pyotp

    from helpers import SYSTEM
    from renkou.registry import events, orgs, persons

    build_units(db)
    D = dt.date
    with db.write(ACTOR) as s:
        v1, v3 = orgs.get_unit(s, V1), orgs.get_unit(s, V3)
        mother = add_resident(s, "周母", "F", D(1985, 3, 1), V1, 21)
        father = add_resident(s, "周父", "M", D(1983, 6, 1), V1, 22)
        events.record(s, SYSTEM, "marriage", mother, D(2008, 1, 1), partner=father)
        child = persons.add_person(s, SYSTEM, name="周小", sex="M", birth_date=D(2010, 2, 2), id_number=pid_of(D(2010, 2, 2), "M", 23))
        events.record(s, SYSTEM, "birth", child, D(2010, 2, 2), mother=mother, father=father, hukou_unit=v1, residence_unit=v1)
        newborn = persons.add_person(
            s, SYSTEM, name="周新", sex="F", birth_date=D(2025, 1, 5), temp_key=persons.new_temp_key(D(2025, 1, 5))
        )
        events.record(s, SYSTEM, "birth", newborn, D(2025, 1, 5), mother=mother, father=father, hukou_unit=v1, residence_unit=v1)
        far = persons.add_person(s, SYSTEM, name="周外", sex="F", birth_date=D(2012, 3, 3), id_number=pid_of(D(2012, 3, 3), "F", 24))
        events.record(s, SYSTEM, "birth", far, D(2012, 3, 3), mother=mother, hukou_unit=v3, residence_unit=v3)
        dead = add_resident(s, "周一", "M", D(1930, 1, 1), V1, 25)
        events.record(s, SYSTEM, "death", dead, D(2000, 1, 1))
        gone = add_resident(s, "周迁", "F", D(1970, 1, 1), V1, 26)
        events.record(s, SYSTEM, "move", gone, D(2015, 1, 1), scope="both", destination_code="440305")
        accounts.create_account(s, username="cun1", display_name="村一", role="village_worker", unit_code=V1, password=PW)
        acc = accounts.create_account(
            s, username="tongji", display_name="统计", role="county_statistician", unit_code="410102", password=PW
        )
        secret, _ = accounts.start_totp(acc)
        accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
        ids = {p.name: p.id for p in (mother, father, child, newborn, far, dead, gone)}
        keys = {p.name: p.id_number or p.temp_key for p in (mother, father, child, newborn, far, dead, gone)}
    with TestClient(web.create_app(db, secret="k", secure_cookies=False)) as c:
        yield c, ids, keys, db, secret


def pid_of(birth, sex, n):
    from helpers import pid as make

    return make(birth, sex, n)


def sign_in_county(c, db, secret):
    t = c.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = c.post(
        "/login",
        data={"username": "tongji", "password": PW, "totp": totp_code(db, "tongji", secret), "csrf_token": t},
        follow_redirects=False,
    )
    assert r.status_code == 303


def hits(html: str) -> list[int]:
    import re

    return [int(x) for x in re.findall(r'<tr class="status-\w+" id="hit-(\d+)">', html)]


def test_search_shows_status_village_age_and_lists_the_registered_first(fam):
    from renkou.core.dates import age
    from renkou.core.idnumber import mask

    c, ids, keys, *_ = fam
    sign_in(c, "cun1")
    page = c.get("/persons", params={"q": "周"}).text
    # 周一 sorts first by name but is dead: the registered come first; 周迁 left the county, 周外 lives in another township
    assert hits(page) == [ids["周小"], ids["周新"], ids["周母"], ids["周父"], ids["周一"]]
    assert "共找到 5 人" in page and "在册 4 · 迁出 0 · 死亡 1" in page and 'id="more"' not in page
    row = page.split(f'id="hit-{ids["周母"]}">')[1].split("</tr>")[0]
    assert "在册" in row and "<td>一村</td>" in row and f">{age(dt.date(1985, 3, 1), dt.date.today())}<" in row
    assert mask(keys["周母"]) in row and keys["周母"] not in page
    dead = page.split(f'id="hit-{ids["周一"]}">')[1].split("</tr>")[0]
    assert "死亡" in dead and "2000-01-01" in dead and ">70<" in dead  # the age at death
    assert keys["周新"] in page  # a newborn's temporary key (no ID number to mask)


@pytest.mark.parametrize(
    ("who", "status", "expected"),
    [
        ("cun1", "dead", ["周一"]),
        ("cun1", "registered", ["周小", "周新", "周母", "周父"]),
        ("cun1", "moved", []),  # someone who left the county is no longer the village's
        ("tongji", "moved", ["周迁"]),
        ("tongji", "", ["周外", "周小", "周新", "周母", "周父", "周迁", "周一"]),
        ("tongji", "nonsense", ["周外", "周小", "周新", "周母", "周父", "周迁", "周一"]),  # an unknown filter: everyone
    ],
)
def test_search_filters_the_dead_and_moved(fam, who, status, expected):
    c, ids, _, db, secret = fam
    sign_in(c, "cun1") if who == "cun1" else sign_in_county(c, db, secret)
    page = c.get("/persons", params={"q": "周", "status": status}).text
    by_id = {v: k for k, v in ids.items()}
    assert [by_id[h] for h in hits(page)] == expected
    assert f"共找到 {len(expected)} 人" in page


def test_search_pages_with_more(fam, monkeypatch):
    from renkou.web.registry import pages

    c, ids, *_ = fam
    sign_in(c, "cun1")
    monkeypatch.setattr(pages, "PAGE", 2)
    first = c.get("/persons", params={"q": "周"}, headers={"HX-Request": "true"}).text
    assert hits(first) == [ids["周小"], ids["周新"]] and "已显示 2 人，共 5 人" in first
    more = first.split('id="more"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert "shown=4" in more
    second = c.get(more).text
    assert hits(second) == [ids["周小"], ids["周新"], ids["周母"], ids["周父"]] and 'id="more"' in second
    last = c.get("/persons", params={"q": "周", "shown": "6"}).text
    assert len(hits(last)) == 5 and 'id="more"' not in last
    assert len(hits(c.get("/persons", params={"q": "周", "shown": "x"}).text)) == 2  # anything else: the first page


def test_search_says_when_it_stopped_counting(fam, monkeypatch):
    from renkou.registry import persons

    c, *_ = fam
    sign_in(c, "cun1")
    monkeypatch.setattr(persons, "FIND_CAP", 3)
    page = c.get("/persons", params={"q": "周"}).text
    assert "符合条件的超过 3 人" in page and len(hits(page)) == 3


def test_the_person_page_names_units_and_links_the_family(fam):
    c, ids, keys, *_ = fam
    sign_in(c, "cun1")
    page = c.get(f"/persons/{ids['周母']}").text
    details = page.split('<table class="details">')[1].split("</table>")[0]
    assert "甲镇 一村" in details and V1 not in details  # names, not codes
    assert '<td id="marital">有配偶</td>' in details and '<td id="ethnicity">汉族</td>' in details
    assert f'<td id="age">{dt.date.today().year - 1985 - ((dt.date.today().month, dt.date.today().day) < (3, 1))}' in details
    family = page.split('id="family">')[1].split("</ul>")[0]
    assert f'配偶：</span><a href="/persons/{ids["周父"]}">周父</a>' in family
    assert f'子女：</span><a href="/persons/{ids["周小"]}">周小</a>' in family
    assert f'子女：</span><a href="/persons/{ids["周新"]}">周新</a>' in family
    assert "周外" in family and f'/persons/{ids["周外"]}"' not in page  # another township's: named, never linked
    child = c.get(f"/persons/{ids['周小']}").text.split('id="family">')[1].split("</ul>")[0]
    assert (
        f'母亲：</span><a href="/persons/{ids["周母"]}">周母</a>' in child
        and f'父亲：</span><a href="/persons/{ids["周父"]}">周父</a>' in child
    )
    newborn = c.get(f"/persons/{ids['周新']}").text
    assert f'<td id="temp-key">{keys["周新"]}</td>' in newborn and '<td id="id-number">—</td>' in newborn
    assert 'id="temp-key"' not in page


@pytest.mark.parametrize(
    ("flag", "shown"),
    [
        ("birth", "已保存：出生登记已记录。"),
        ("death", "已保存：死亡登记已记录。"),
        ("move", "已保存：迁移登记已记录。"),
        ("retraction", "已保存：该条记录已撤销。"),
        ("<script>alert(1)</script>", None),
        ("", None),
    ],
)
def test_the_person_page_confirms_only_known_saves(fam, flag, shown):
    c, ids, *_ = fam
    sign_in(c, "cun1")
    page = c.get(f"/persons/{ids['周母']}", params={"saved": flag}).text
    if shown:
        assert f'<p class="saved" role="status" id="saved-note">{shown}</p>' in page
    else:
        assert 'id="saved-note"' not in page and "alert(1)" not in page


@pytest.mark.parametrize(
    ("name", "links"),
    [
        ("周母", {"link-birth", "link-divorce", "link-move", "link-death", "link-apply"}),  # married: no second marriage
        ("周父", {"link-birth", "link-divorce", "link-move", "link-death", "link-apply"}),
        ("周新", {"link-move", "link-death", "link-apply"}),  # a baby: no marriage, divorce or child
        ("周一", set()),  # dead: no second death, no marriage, no birth, no application
    ],
)
def test_the_person_page_offers_only_forms_that_make_sense(fam, name, links):
    import re

    c, ids, *_ = fam
    sign_in(c, "cun1")
    page = c.get(f"/persons/{ids[name]}").text
    assert set(re.findall(r'id="(link-[a-z]+)"', page)) == links
    assert ('id="register-links-none"' in page) == (not links)
    assert "/correct" in page  # a wrong entry (even a death) can still be corrected or retracted


@pytest.mark.parametrize(
    ("status", "writes", "births", "benefit", "age", "sex", "married", "expected"),
    [
        ("registered", True, True, True, 30, "F", False, ["birth", "marriage", "move", "death", "benefit"]),
        ("registered", True, True, True, 30, "F", True, ["birth", "divorce", "move", "death", "benefit"]),
        ("registered", True, False, False, 30, "M", False, ["marriage", "move", "death"]),
        ("registered", True, True, False, 21, "M", False, ["birth", "move", "death"]),  # a man marries from 22
        ("registered", True, True, False, 20, "F", False, ["birth", "marriage", "move", "death"]),  # a woman from 20
        ("registered", True, True, False, 14, "F", False, ["move", "death"]),  # a child
        ("registered", True, True, False, 15, "F", False, ["birth", "move", "death"]),
        ("registered", False, False, True, 30, "F", False, ["benefit"]),
        ("moved", True, True, True, 30, "F", True, ["move"]),  # only a move back
        ("dead", True, True, True, 70, "M", True, []),
        ("dead", False, False, False, 70, "M", False, []),
    ],
)
def test_the_forms_offered_by_status_age_and_marriage(status, writes, births, benefit, age, sex, married, expected):
    from renkou.web.registry.pages import offered

    assert offered(status, writes=writes, births=births, benefit=benefit, age=age, sex=sex, married=married) == expected


def test_search_and_person_page_in_english(fam):
    c, ids, *_ = fam
    sign_in(c, "cun1")
    c.cookies.set("lang", "en")
    page = c.get("/persons", params={"q": "周"}).text
    assert "5 found" in page and "Registered 4 · Moved out 0 · Dead 1" in page and "在册" not in page and "死亡" not in page
    person = c.get(f"/persons/{ids['周母']}", params={"saved": "birth"}).text
    assert "Saved: the birth is recorded." in person and '<td id="marital">married</td>' in person
    assert "Spouse: </span>" in person and "配偶" not in person and "已保存" not in person
