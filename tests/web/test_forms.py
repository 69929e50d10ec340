"""The registration forms (birth, death, marriage, divorce, move, correction and retraction): each
saves through the registry, shows the registry's Chinese messages next to the fields and saves
nothing on a problem, warns of likely duplicates, keeps to the account's area, and needs the
session's CSRF token — on SQLite and PostgreSQL."""

import datetime as dt
import re

import pyotp
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from helpers import ACTOR, COUNTY, SYSTEM, T1, T2, V1, V2, V3, add_resident, build_units, totp_code
from renkou.auth import accounts
from renkou.core import idnumber
from renkou.registry import asof
from renkou.storage.schema import Changeset, Event, OrgUnit, Person
from renkou.web import app as web

PW = "Village.Work-2026"
D = dt.date
BORN = D(2024, 5, 1)


@pytest.fixture
def env(db):
    build_units(db)
    who = {}
    with db.write(ACTOR) as s:
        for key, name, sex, birth, village, n in (
            ("mother", "王芳", "F", D(1990, 3, 1), V1, 1),
            ("father", "李强", "M", D(1988, 6, 1), V1, 2),
            ("far", "赵二", "F", D(1986, 3, 1), V3, 3),
            ("man", "张三", "M", D(1980, 1, 1), V1, 4),
            ("woman", "陈静", "F", D(1992, 2, 2), V1, 5),
            ("other_mother", "汪丽", "F", D(1991, 4, 4), V2, 6),
        ):
            who[key] = add_resident(s, name, sex, birth, village, n, registered=D(2000, 1, 1) if birth < D(2000, 1, 1) else None).id
        for user, role, unit in (
            ("cun1", "village_worker", V1),
            ("xiang1", "township_officer", T1),
            ("xiang2", "township_officer", T2),
            ("shenji", "auditor", COUNTY),
        ):
            acc = accounts.create_account(s, username=user, display_name=f"显示{user}", role=role, unit_code=unit, password=PW)
            if role == "auditor":  # the role needs a second factor
                secret, _ = accounts.start_totp(acc)
                accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
                SECRETS[user] = secret
    with TestClient(web.create_app(db, secret="k", secure_cookies=False)) as c:
        yield c, who, db


SECRETS: dict[str, str] = {}


def sign_in(c, user="cun1"):
    t = c.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    code = totp_code(c.app.state.db, user, SECRETS[user]) if user in SECRETS else ""
    assert (
        c.post("/login", data={"username": user, "password": PW, "totp": code, "csrf_token": t}, follow_redirects=False).status_code == 303
    )


def token(c, url="/register"):
    return c.get(url).text.split('name="csrf_token" value="')[1].split('"')[0]


def post(c, url, data, **kw):
    return c.post(url, data={"csrf_token": token(c), **data}, follow_redirects=False, **kw)


def field(html: str, name: str) -> str:
    """The markup of one form field (its label, input and messages)."""
    m = re.search(rf'<(div|fieldset) class="field[^"]*" id="field-{name}">(.*?)</\1>', html, re.S)
    assert m, name
    return m.group(2)


def counts(db) -> tuple[int, int, int]:
    with db.read() as s:
        return (s.scalar(select(func.count(Event.id))), s.scalar(select(func.count(Person.id))), s.scalar(select(func.count(Changeset.id))))


def saved_person(r) -> int:
    """The person a form's 303 leads to (/persons/N?saved=KIND)."""
    m = re.fullmatch(r"/persons/(\d+)\?saved=(\w+)", r.headers["location"])
    assert m, r.headers["location"]
    return int(m.group(1))


def birth(who, **more):
    return {
        "name": "王小明",
        "sex": "M",
        "birth_date": BORN.isoformat(),
        "mother": str(who["mother"]),
        "father": str(who["father"]),
        "village": V1,
        "household": "",
        "place": "县医院",
        "id_number": "",
        **more,
    }


def test_birth_form_registers_the_child_with_a_temporary_key(env):
    c, who, db = env
    sign_in(c)
    page = c.get("/register/birth").text
    assert (
        'name="csrf_token"' in page
        and re.search(rf'<option value="{V1}" data-keys="[^"]+" selected>[^<(]+</option>', page)
        and V3 not in page
    )  # the own village, by its name (searchable by pinyin, no code shown); no other township
    r = post(c, "/register/birth", birth(who))
    assert r.status_code == 303, re.findall(r'class="(?:error|warning)"[^>]*>([^<]*)<', r.text)
    child_id = saved_person(r)
    with db.read() as s:
        child = s.get(Person, child_id)
        ev = s.scalar(select(Event).where(Event.person_id == child_id))
        cs = s.get(Changeset, ev.created_cs)
        st = asof.person_state(s, child, D(2024, 6, 1))
        v1 = s.scalar(select(OrgUnit.id).where(OrgUnit.code == V1))
    assert (child.name, child.sex, child.birth_date, child.id_number) == ("王小明", "M", BORN, None) and child.temp_key.startswith(
        "T20240501-"
    )
    assert (ev.kind, ev.date, ev.mother_id, ev.father_id, ev.hukou_unit_id, ev.residence_unit_id, ev.place, ev.source) == (
        "birth",
        BORN,
        who["mother"],
        who["father"],
        v1,
        v1,
        "县医院",
        "village",
    )
    assert (cs.actor, cs.channel) == ("cun1", "web") and st.hukou_unit == V1 and st.hukou_type == "agricultural"  # the mother's type
    assert "王小明" in c.get(f"/persons/{child_id}").text
    mother_page = c.get(f"/persons/{who['mother']}").text  # the mother's timeline names whose birth it is
    assert f'子女出生：<a href="/persons/{child_id}">王小明</a>' in mother_page


def test_birth_with_an_id_number_and_a_household(env):
    c, who, db = env
    from renkou.registry import persons

    with db.write(ACTOR) as s:
        persons.create_household(
            s, SYSTEM, number="H-0001", unit=s.scalar(select(OrgUnit).where(OrgUnit.code == V1)), created_on=D(2010, 1, 1)
        )
    sign_in(c, "xiang1")  # a township officer chooses among the villages of the township
    page = c.get("/register/birth").text
    assert V1 in page and V2 in page and V3 not in page
    idn = idnumber.make(COUNTY, BORN, 101)
    r = post(c, "/register/birth", birth(who, id_number=idn, sex="M", household="H-0001"))
    assert r.status_code == 303
    with db.read() as s:
        child = s.scalar(select(Person).where(Person.id_number == idn))
        st = asof.person_state(s, child, BORN)
    assert child.temp_key is None and st.household == "H-0001" and st.relation == "child"


@pytest.mark.parametrize(
    "change, where, message",
    [
        ({"name": ""}, "name", "必填项不能为空"),
        ({"mother": ""}, "mother", "必填项不能为空"),
        ({"sex": ""}, "sex", "必填项不能为空"),
        ({"birth_date": "2024-13-40"}, "birth_date", "不是有效日期"),
        ({"birth_date": "2099-01-01"}, "birth_date", "日期晚于今天"),
        ({"birth_date": "1989-01-01"}, "mother", "早于该人员出生日期"),  # before the mother was born
        ({"id_number": "41010220240501101X"}, "id_number", "校验码错误"),
        ({"id_number": "12345"}, "id_number", "身份证号码应为 18 位"),
        ({"household": "NO-SUCH"}, "household", "户编号 NO-SUCH 不存在"),
    ],
)
def test_birth_problems_are_shown_at_their_field_and_nothing_is_saved(env, change, where, message):
    c, who, db = env
    sign_in(c)
    before = counts(db)
    r = post(c, "/register/birth", birth(who, **change))
    assert r.status_code == 400 and message in field(r.text, where)
    assert "未保存任何内容" in r.text and counts(db) == before
    assert 'value="县医院"' in r.text  # what was entered stays
    if change.get("mother") != "":
        assert f'value="{who["mother"]}" checked' in r.text  # the mother picked stays picked


def test_a_wrong_check_character_in_english(env):
    c, who, _ = env
    sign_in(c)
    c.cookies.set("lang", "en")
    good = idnumber.make(COUNTY, BORN, 101)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = post(c, "/register/birth", birth(who, id_number=bad))
    assert r.status_code == 400 and f"wrong check character: expected {good[-1]}" in field(r.text, "id_number")
    assert "校验码" not in r.text and "Nothing was saved" in r.text
    child = saved_person(post(c, "/register/birth", birth(who, id_number=good)))
    assert f'Birth of a child: <a href="/persons/{child}">王小明</a>' in c.get(f"/persons/{who['mother']}").text


def test_an_id_number_that_disagrees_with_sex_or_birth_date_must_be_confirmed(env):
    c, who, db = env
    sign_in(c)
    girl_number = idnumber.make(COUNTY, BORN, 100)  # even sequence: a girl's number
    before = counts(db)
    r = post(c, "/register/birth", birth(who, id_number=girl_number, sex="M"))
    assert r.status_code == 200 and "身份证号码显示性别为女" in field(r.text, "id_number") and 'name="confirm_id"' in r.text
    assert counts(db) == before
    assert post(c, "/register/birth", birth(who, id_number=girl_number, sex="M", confirm_id="1")).status_code == 303


def test_duplicate_warning_blocks_until_confirmed(env):
    c, who, db = env
    sign_in(c)
    assert post(c, "/register/birth", birth(who)).status_code == 303
    before = counts(db)
    # the same mother, three days later, another name: the same child entered twice, or a twin
    r = post(c, "/register/birth", birth(who, name="王小红", sex="F", birth_date="2024-05-04"))
    assert r.status_code == 200 and "此人可能已经登记" in r.text and "同一母亲，出生日期相差不超过 7 天" in r.text
    assert "王小明" in r.text and 'name="confirm_new"' in r.text and counts(db) == before
    seen = r.text.split('name="seen" value="')[1].split('"')[0]
    again = post(c, "/register/birth", birth(who, name="王小红", sex="F", birth_date="2024-05-04", seen=seen))  # not ticked
    assert again.status_code == 200 and counts(db) == before
    ok = post(c, "/register/birth", birth(who, name="王小红", sex="F", birth_date="2024-05-04", seen=seen, confirm_new="1"))
    assert ok.status_code == 303 and counts(db)[1] == before[1] + 1
    with db.read() as s:
        note = s.scalars(select(Changeset.note).order_by(Changeset.id.desc())).first()
    assert "confirmed: not the same person as #" in note


def test_duplicates_by_name_pinyin_and_id_number_across_the_county(env):
    c, who, db = env
    sign_in(c)
    idn = idnumber.make(COUNTY, BORN, 101)
    assert post(c, "/register/birth", birth(who, id_number=idn)).status_code == 303
    # 汪晓明 reads wangxiaoming too, born the same day, another mother (of V2: outside this worker's village)
    sign_in(c, "xiang1")
    before = counts(db)  # (signing in writes the account's address of sign-in)
    r = post(c, "/register/birth", birth(who, name="汪晓明", mother=str(who["other_mother"]), father="", village=V2))
    assert r.status_code == 200 and "姓名拼音相同且出生日期相同" in r.text and "王小明" in r.text
    r = post(c, "/register/birth", birth(who, name="王小明", mother=str(who["other_mother"]), father="", village=V2))
    assert r.status_code == 200 and "姓名与出生日期相同" in r.text
    r = post(
        c,
        "/register/birth",
        birth(
            who,
            name="别人",
            id_number=idn,
            mother=str(who["other_mother"]),
            father="",
            village=V2,
            confirm_new="1",
            seen="1,2,3,4,5,6,7,8,9",
        ),
    )
    assert r.status_code == 400 and "此身份证号码已经登记" in field(r.text, "id_number") and "身份证号码相同" in r.text
    listed = r.text.split('id="duplicates"')[1]
    assert idn not in listed and idnumber.mask(idn) in listed  # masked in the list
    assert counts(db) == before


def test_the_duplicate_check_shows_nobody_outside_the_area(env):
    """Issue 13: an ID number, or a name with a birth date, showed a person of another township (name,
    masked ID, birth date). Now: a number held elsewhere is refused with only that said; a name and
    birth date matching somebody elsewhere say nothing at all."""
    c, who, db = env
    sign_in(c)
    idn = idnumber.make(COUNTY, BORN, 101)
    r = post(c, "/register/birth", birth(who, id_number=idn))  # 王小明, in V1 (township T1)
    assert r.status_code == 303
    child = saved_person(r)
    sign_in(c, "xiang2")  # the other township: its own mother, its own village
    before = counts(db)  # after signing in, itself an audited write
    theirs = {"mother": str(who["far"]), "father": "", "village": V3}
    r = post(c, "/register/birth", birth(who, name="别人", id_number=idn, **theirs))
    assert r.status_code == 400 and "管辖范围以外已有持此身份证号码" in field(r.text, "id_number")
    assert 'id="duplicates"' not in r.text and "王小明" not in r.text and f"/persons/{child}" not in r.text
    assert idnumber.mask(idn) not in r.text.replace(f'value="{idn}"', "") and counts(db) == before
    r = post(c, "/register/birth", birth(who, **theirs))  # 王小明 born the same day, in T2: saved, nothing said about the other
    assert r.status_code == 303 and counts(db)[1] == before[1] + 1


def test_death_marriage_divorce_and_move_forms_save(env):
    c, who, db = env
    sign_in(c)
    assert post(c, "/register/marriage", {"person": who["man"], "partner": who["woman"], "date": "2020-10-01"}).status_code == 303
    assert post(c, "/register/divorce", {"person": who["man"], "partner": who["woman"], "date": "2023-03-03"}).status_code == 303
    assert post(c, "/register/death", {"person": who["man"], "date": "2024-06-25", "place": "家中"}).status_code == 303
    sign_in(c, "xiang1")  # V2 is in the township officer's area (for the village worker of V1 she would leave it)
    r = post(c, "/register/move", {"person": who["woman"], "date": "2024-02-02", "scope": "both", "dest": "unit", "dest_unit": V2})
    assert r.status_code == 303 and r.headers["location"] == f"/persons/{who['woman']}?saved=move"
    r = post(
        c,
        "/register/move",
        {
            "person": who["father"],
            "date": "2024-03-03",
            "scope": "residence",
            "dest": "outside",
            "dest_code": "440305",
            "place": "深圳市南山区",
        },
    )
    assert r.status_code == 303
    with db.read() as s:
        mine = {e.kind: e for e in s.scalars(select(Event).where(Event.source == "village"))}
        man, woman = s.get(Person, who["man"]), s.get(Person, who["woman"])
        st_man, st_woman = asof.person_state(s, man, D(2024, 7, 1)), asof.person_state(s, woman, D(2024, 7, 1))
        st_mid = asof.person_state(s, man, D(2021, 1, 1))
    assert set(mine) == {"marriage", "divorce", "move", "death"}
    assert st_mid.marital_status == "married" and st_mid.spouse_id == who["woman"]
    assert not st_man.alive and st_man.marital_status == "divorced" and mine["death"].place == "家中"
    assert st_woman.residence_unit == V2 and st_woman.hukou_unit == V2
    with db.read() as s:
        out = s.scalar(select(Event).where(Event.person_id == who["father"], Event.kind == "move"))
    assert (out.scope, out.destination_code, out.residence_unit_id, out.place) == ("residence", "440305", None, "深圳市南山区")
    page = c.get(f"/persons/{who['woman']}").text  # both sides of the marriage name the other
    assert f'结婚：<a href="/persons/{who["man"]}">张三</a>' in page and f'离婚：<a href="/persons/{who["man"]}">张三</a>' in page


@pytest.mark.parametrize(
    "url, data, where, message",
    [
        ("/register/death", {"person": "man", "date": "1970-01-01"}, "date", "早于该人员出生日期"),
        ("/register/death", {"person": "man", "date": ""}, "date", "必填项不能为空"),
        ("/register/death", {"person": "", "date": "2024-01-01"}, "person", "必填项不能为空"),
        ("/register/marriage", {"person": "man", "partner": "man", "date": "2020-01-01"}, "partner", "双方不能是同一人"),
        ("/register/marriage", {"person": "man", "partner": "woman", "date": "1991-01-01"}, "partner", "早于该人员出生日期"),
        ("/register/divorce", {"person": "man", "partner": "", "date": "2020-01-01"}, "partner", "必填项不能为空"),
        (
            "/register/move",
            {"person": "man", "date": "2024-01-01", "scope": "", "dest": "unit", "dest_unit": V2},
            "scope",
            "必填项不能为空",
        ),
        (
            "/register/move",
            {"person": "man", "date": "2024-01-01", "scope": "both", "dest": "outside", "dest_code": "12ab"},
            "dest_code",
            "代码格式不符",
        ),
        ("/register/move", {"person": "man", "date": "2024-01-01", "scope": "both", "dest": ""}, "dest", "必填项不能为空"),
    ],
)
def test_event_form_problems_at_their_field_nothing_saved(env, url, data, where, message):
    c, who, db = env
    sign_in(c)
    data = {k: str(who[v]) if k in ("person", "partner") and v else v for k, v in data.items()}
    before = counts(db)
    r = post(c, url, data)
    assert r.status_code == 400 and message in field(r.text, where), r.text
    assert counts(db) == before


def test_a_death_after_a_death(env):
    c, who, db = env
    sign_in(c)
    assert post(c, "/register/death", {"person": who["man"], "date": "2024-06-25"}).status_code == 303
    r = post(c, "/register/death", {"person": who["man"], "date": "2024-07-01"})
    assert r.status_code == 400 and "晚于该人员死亡日期 2024-06-25" in field(r.text, "date")


def test_another_townships_unit_mother_or_person_is_not_found_and_nothing_is_written(env):
    c, who, db = env
    sign_in(c)
    far = str(who["far"])
    before = counts(db)
    for url, data in (
        ("/register/birth", birth(who, mother=far)),
        ("/register/birth", birth(who, father=far)),
        ("/register/birth", birth(who, village=V3)),
        ("/register/birth", birth(who, village=V2)),  # V2: same township, not this village
        ("/register/birth", birth(who, mother="not-a-number")),
        ("/register/birth", birth(who, mother="999999")),
        ("/register/death", {"person": far, "date": "2024-01-01"}),
        ("/register/marriage", {"person": who["man"], "partner": far, "date": "2024-01-01"}),
        ("/register/move", {"person": far, "date": "2024-01-01", "scope": "both", "dest": "unit", "dest_unit": V1}),
        ("/register/move", {"person": who["man"], "date": "2024-01-01", "scope": "both", "dest": "unit", "dest_unit": "410102999999"}),
        ("/register/birth", {**birth(who, mother=far), "find": "mother", "mother_q": "王"}),
    ):
        r = post(c, url, data)
        assert r.status_code == 404, (url, data)
        assert "您的管辖范围内没有" in r.text and "赵二" not in r.text
    assert c.get(f"/register/birth?mother={far}").status_code == 404
    assert c.get(f"/register/death?person={far}").status_code == 404
    with db.read() as s:
        far_event = s.scalar(select(Event.id).where(Event.person_id == who["far"]))
    assert c.get(f"/persons/{far}/events/{far_event}/correct").status_code == 404
    assert post(c, f"/persons/{far}/events/{far_event}/correct", {"action": "retract", "retract_reason": "x"}).status_code == 404
    assert post(c, f"/persons/{who['man']}/events/{far_event}/correct", {"action": "retract", "retract_reason": "x"}).status_code == 404
    assert counts(db) == before


def test_the_people_picker_lists_only_the_area(env):
    c, who, _ = env
    sign_in(c, "xiang1")
    r = c.get("/register/pick/mother", params={"mother_q": "王"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text and f'value="{who["mother"]}"' in r.text and "王芳" in r.text
    r = c.get("/register/pick/mother", params={"mother_q": "zhao"})  # pinyin; 赵二 lives in the other township
    assert "赵二" not in r.text and "您的管辖范围内未找到" in r.text
    r = c.get("/register/pick/father", params={"father_q": "李"})
    assert "李强" in r.text and 'value=""' in r.text  # the father is optional
    assert c.get("/register/pick/mother", params={"mother_q": "李"}).text.count('type="radio"') == 0  # mothers are women
    # without JavaScript: the search button shows the matches in the form itself, and saves nothing
    r = post(c, "/register/birth", {"name": "甲", "mother_q": "王芳", "find": "mother"})
    assert r.status_code == 200 and f'value="{who["mother"]}"' in field(r.text, "mother") and 'value="甲"' in r.text


def test_csrf_is_required_and_nothing_is_written(env):
    c, who, db = env
    sign_in(c)
    before = counts(db)
    for data in (birth(who), {**birth(who), "csrf_token": "forged"}):
        assert c.post("/register/birth", data=data, follow_redirects=False).status_code == 403
    assert c.post("/register/death", data={"person": who["man"], "date": "2024-01-01", "csrf_token": "forged"}).status_code == 403
    assert counts(db) == before


def test_roles_without_event_write_are_refused(env):
    c, who, db = env
    sign_in(c, "shenji")
    for url in ("/register", "/register/birth", "/register/move", "/register/pick/mother?mother_q=王"):
        assert c.get(url).status_code == 403, url
    before = counts(db)
    assert post(c, "/register/death", {"person": who["man"], "date": "2024-01-01"}).status_code == 403
    assert counts(db) == before


def test_correction_and_retraction_are_new_events(env):
    c, who, db = env
    sign_in(c)
    child = saved_person(post(c, "/register/birth", birth(who)))
    with db.read() as s:
        first = s.scalar(select(Event).where(Event.person_id == child))
    url = f"/persons/{child}/events/{first.id}/correct"
    page = c.get(f"/persons/{child}").text
    assert f'href="{url}"' in page and "/register/death?person=" in page  # correct links and registration links
    form = c.get(url).text
    assert 'value="2024-05-01"' in form and 'name="retract_reason"' in form
    before = counts(db)
    r = post(c, url, {"action": "correct", "date": "2024-05-01", "hukou_unit": V1, "residence_unit": V1, "reason": "核对"})
    assert r.status_code == 400 and "没有任何更改" in r.text
    r = post(c, url, {"action": "correct", "date": "2024-05-02", "hukou_unit": V1, "residence_unit": V1, "reason": ""})
    assert r.status_code == 400 and "必填项不能为空" in field(r.text, "reason") and 'value="2024-05-02"' in r.text
    r = post(c, url, {"action": "correct", "date": "2024-05-01", "hukou_unit": V3, "residence_unit": V1, "reason": "改户籍地"})
    assert r.status_code == 404  # another township's village
    r = post(c, url, {"action": "correct", "date": "2024-04-30", "hukou_unit": V1, "residence_unit": V1, "reason": "核对"})
    assert r.status_code == 400 and "早于该人员出生日期" in field(r.text, "date")  # the registry's rule: not before the child's birth
    assert counts(db) == before
    # V2 is not this village worker's to choose; the township officer's it is
    sign_in(c, "xiang1")
    r = post(c, url, {"action": "correct", "date": "2024-05-01", "hukou_unit": V2, "residence_unit": V1, "reason": "户籍地填错"})
    assert r.status_code == 303 and r.headers["location"] == f"/persons/{child}?saved=correction"
    assert "已保存：更正已记录" in c.get(r.headers["location"]).text
    with db.read() as s:
        old = s.get(Event, first.id)
        new = s.scalar(select(Event).where(Event.supersedes_id == first.id))
        v1, v2 = (s.scalar(select(OrgUnit.id).where(OrgUnit.code == v)) for v in (V1, V2))
    assert (old.hukou_unit_id, old.date, old.reason) == (v1, BORN, None)  # untouched
    assert (new.kind, new.hukou_unit_id, new.residence_unit_id, new.mother_id, new.reason) == ("birth", v2, v1, who["mother"], "户籍地填错")
    page = c.get(f"/persons/{child}").text
    assert f'<tr id="event-{first.id}" class="superseded">' in page and "户籍地填错" in page
    assert c.get(url).text.count("已被更正或撤销") == 1  # the old version is closed
    r = post(c, url, {"action": "retract", "retract_reason": "重复"})
    assert r.status_code == 400 and "已被更正或撤销" in r.text
    url2 = f"/persons/{child}/events/{new.id}/correct"
    r = post(c, url2, {"action": "retract", "retract_reason": ""})
    assert r.status_code == 400 and "必填项不能为空" in field(r.text, "retract_reason")
    assert post(c, url2, {"action": "retract", "retract_reason": "登记错误"}).status_code in (303,)
    with db.read() as s:
        kinds = [(e.kind, e.supersedes_id, e.reason) for e in s.scalars(select(Event).where(Event.person_id == child).order_by(Event.id))]
    assert kinds == [("birth", None, None), ("birth", first.id, "户籍地填错"), ("retraction", new.id, "登记错误")]


def test_a_move_out_of_the_area_leads_to_the_forms_index(env):
    c, who, db = env
    sign_in(c)
    r = post(c, "/register/move", {"person": who["woman"], "date": "2024-02-02", "scope": "both", "dest": "unit", "dest_unit": V3})
    assert r.status_code == 303 and r.headers["location"] == "/register?saved=left"
    assert "已不在您的管辖范围内" in c.get(r.headers["location"]).text
    assert c.get(f"/persons/{who['woman']}").status_code == 404


def test_links_from_the_person_page(env):
    c, who, _ = env
    sign_in(c)
    page = c.get(f"/persons/{who['mother']}").text
    assert f'href="/register/birth?mother={who["mother"]}"' in page
    form = c.get(f"/register/birth?mother={who['mother']}").text
    assert f'value="{who["mother"]}" checked' in form and "王芳" in form
    father = c.get(f"/persons/{who['father']}").text
    assert f'href="/register/birth?father={who["father"]}"' in father
    index = c.get("/register").text
    for path in ("/register/birth", "/register/death", "/register/marriage", "/register/divorce", "/register/move"):
        assert f'href="{path}"' in index


def _married(db, who, a="mother", b="father", on=D(2015, 1, 1)):
    from renkou.registry import events

    with db.write(ACTOR) as s:
        events.record(s, SYSTEM, "marriage", s.get(Person, who[a]), on, partner=s.get(Person, who[b]))


def linked(html: str) -> str:
    """The father picker's choice of the mother's husband ("" when there is none)."""
    m = re.search(r'<div id="father-linked"[^>]*>(.*?)</div>', html, re.S)
    assert m
    return m.group(1)


def test_the_birth_form_offers_the_mothers_husband_as_the_father(env):
    c, who, db = env
    _married(db, who)
    sign_in(c)
    form = c.get("/register/birth", params={"mother": who["mother"]}).text
    assert f'value="{who["father"]}"' in linked(form) and "李强" in linked(form) and "（母亲的配偶）" in linked(form)
    assert idnumber.mask(id_of(db, who["father"])) in linked(form) and id_of(db, who["father"]) not in form  # masked
    assert linked(c.get("/register/birth").text).strip() == ""  # no mother picked: nobody suggested
    # HTMX: picking the mother fetches her husband into the father picker
    r = c.get("/register/pick/father", params={"mother": who["mother"]}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text and f'value="{who["father"]}"' in r.text
    r = post(c, "/register/birth", birth(who, father=str(who["father"])))
    child = saved_person(r)
    page = c.get(r.headers["location"]).text
    assert "已保存：出生登记已记录。" in page and f'父亲：</span><a href="/persons/{who["father"]}">李强</a>' in page
    with db.read() as s:
        ev = s.scalar(select(Event).where(Event.person_id == child, Event.kind == "birth"))
    assert (ev.mother_id, ev.father_id) == (who["mother"], who["father"])


@pytest.mark.parametrize(
    ("case", "mother"),
    [
        ("not married", "woman"),  # 陈静 has no husband
        ("a man picked as the mother", "man"),  # a man is no mother: nothing
        ("another township's mother", "far"),  # outside the area: nothing, as for nobody
        ("nobody", None),
        ("not a number", "x"),
    ],
)
def test_no_husband_is_suggested_when_there_is_none_to_show(env, case, mother):
    c, who, db = env
    _married(db, who, "far", "father")  # 赵二 (乙乡) married to 李强 (一村): still never offered to 一村's worker
    sign_in(c)
    raw = {"woman": who["woman"], "man": who["man"], "far": who["far"], None: 99999, "x": "x"}[mother]
    r = c.get("/register/pick/father", params={"mother": raw}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'type="radio"' not in r.text and "李强" not in r.text, case


def id_of(db, pid):
    with db.read() as s:
        return s.get(Person, pid).id_number
