"""The import page (/import): upload, a validation report on screen (nothing written), commit (the real
atomic import), the area rule, tokens bound to their account, CSRF, progress — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pyotp
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from starlette.testclient import TestClient

from helpers import ACTOR, COUNTY, SYSTEM, T1, T2, V1, V2, V3, add_resident, build_units, pid, totp_code
from renkou.auth import accounts
from renkou.config import Settings
from renkou.exchange import area
from renkou.registry import events
from renkou.storage.schema import Changeset, Event, ImportBatch, Person
from renkou.web import app as web
from renkou.web.imports import jobs as imports_jobs
from renkou.web.imports import pages as imports
from tests.xlsx_kit import cut_short, declare_dimension, rewrite_sheet, write_xlsx

PW = "Village.Work-2026"
D = dt.date
ROLES = {
    "cun1": ("village_worker", V1),
    "xiang1": ("township_officer", T1),
    "xiang2": ("township_officer", T2),
    "tongji": ("county_statistician", COUNTY),
    "jiangfu": ("benefit_admin", COUNTY),
    "shenji": ("auditor", COUNTY),
    "xitong": ("sysadmin", COUNTY),
}
HEAD = "身份证号码,姓名,性别,出生日期,户籍地代码,居住地代码\n"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def env(db, tmp_path):
    build_units(db)
    secrets = {}
    with db.write(ACTOR) as s:
        people = {
            "mine": add_resident(s, "赵一", "F", D(1985, 3, 1), V1, 1).id_number,
            "far": add_resident(s, "赵二", "M", D(1986, 3, 1), V3, 2).id_number,
        }
        for user, (role, unit) in ROLES.items():
            acc = accounts.create_account(s, username=user, display_name=f"显示{user}", role=role, unit_code=unit, password=PW)
            if role in ("county_statistician", "benefit_admin", "auditor", "sysadmin"):
                secret, _ = accounts.start_totp(acc)
                accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
                secrets[user] = secret
    app = web.create_app(db, secret="k", secure_cookies=False)
    app.state.import_dir = tmp_path / "imports"
    with TestClient(app) as c:
        c.renkou_totp = secrets
        yield c, db, people


def sign_in(c, user):
    c.cookies.clear()
    t = c.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    code = totp_code(c.app.state.db, user, c.renkou_totp[user]) if user in c.renkou_totp else ""
    r = c.post("/login", data={"username": user, "password": PW, "totp": code, "csrf_token": t}, follow_redirects=False)
    assert r.status_code == 303


def csrf(c, url="/import"):
    return c.get(url).text.split('name="csrf_token" value="')[1].split('"')[0]


def upload(c, text: str, kind="persons", name="人员.csv", token=None):
    data = {"kind": kind, "csrf_token": csrf(c) if token is None else token}
    return c.post("/import", data=data, files={"file": (name, text.encode("utf-8"), "text/csv")}, follow_redirects=False)


def job_of(r) -> str:
    assert r.status_code == 303, r.text[:500]
    return r.headers["location"].rsplit("/", 1)[1]


def counts(db):
    with db.read() as s:
        return s.scalar(select(func.count(Person.id))), s.scalar(select(func.count(Event.id))), s.scalar(select(func.count(Changeset.id)))


def person_row(name, sex, birth, unit, n):
    return f"{pid(birth, sex, n)},{name},{'男' if sex == 'M' else '女'},{birth},{unit},{unit}\n"


def problems(html: str) -> list[list[str]]:
    body = html.split('id="problems"')[1].split("</table>")[0]
    return [re.findall(r"<td>(.*?)</td>", tr, re.S) for tr in re.findall(r"<tr(?: [^>]*)?>(.*?)</tr>", body.split("<tbody>")[1], re.S)]


# ------------------------------------------------------------------------------------------------ access


@pytest.mark.parametrize("user", sorted(ROLES))
def test_only_the_township_officer_may_import(env, user):
    c, _, _ = env
    sign_in(c, user)
    allowed = ROLES[user][0] == "township_officer"
    for url in ("/import", "/import/templates/persons.xlsx"):
        assert c.get(url).status_code == (200 if allowed else 403), url
    assert ('href="/import"' in c.get("/").text) == allowed  # the navigation link


def test_the_import_templates_download(env):
    c, _, _ = env
    sign_in(c, "xiang1")
    page = c.get("/import").text
    assert 'href="/import/templates/events.xlsx"' in page and 'enctype="multipart/form-data"' in page
    r = c.get("/import/templates/persons.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK" and "filename*=UTF-8''" in r.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert ws.cell(1, 1).value == "身份证号码"
    assert c.get("/import/templates/persons.csv").text.lstrip("\ufeff").startswith("身份证号码,")


# ------------------------------------------------------------------------------------------------ the flow


def test_a_valid_file_is_checked_without_writing_then_committed(env):
    c, db, _ = env
    sign_in(c, "xiang1")
    before = counts(db)
    text = HEAD + person_row("王芳", "F", D(1990, 1, 1), V1, 11) + person_row("李强", "M", D(1991, 2, 2), V2, 12)
    token = job_of(upload(c, text))
    report = c.get(f"/import/{token}")
    assert report.status_code == 200 and 'id="no-problems"' in report.text and 'id="commit"' in report.text
    assert '<td id="to-create">2</td>' in report.text
    assert counts(db) == before  # validated in a transaction that was rolled back: nothing kept, not even a changeset
    r = c.post(f"/import/{token}/commit", data={"csrf_token": csrf(c)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/import/{token}"
    done = c.get(f"/import/{token}").text
    assert 'id="import-done"' in done and '<td id="created">2</td>' in done and '<td id="unchanged">0</td>' in done
    with db.read() as s:
        assert sorted(s.scalars(select(Person.name).where(Person.name.in_(["王芳", "李强"])))) == ["李强", "王芳"]
        batch = s.scalar(select(ImportBatch))
        cs = s.get(Changeset, batch.changeset_id)
    assert (batch.kind, batch.created, batch.file_name) == ("persons", 2, "人员.csv")
    assert (cs.actor, cs.channel) == ("xiang1", "import")
    assert cs.origin.startswith("web:testclient 人员.csv sha256:") and cs.origin.endswith(batch.sha256)
    assert [p.name for p in (c.app.state.import_dir / token).iterdir()] == ["job.json"]  # the file went at commit
    again = c.post(f"/import/{token}/commit", data={"csrf_token": csrf(c)}, follow_redirects=False)  # a second press
    assert again.status_code == 303 and counts(db)[0] == before[0] + 2
    # the same file once more: recognised, nothing new
    second = job_of(upload(c, text))
    page = c.get(f"/import/{second}").text
    assert 'id="previously"' in page and '<td id="to-create">0</td>' in page


def test_an_invalid_file_lists_its_problems_in_chinese_and_cannot_be_committed(env):
    c, db, _ = env
    sign_in(c, "xiang1")
    before = counts(db)
    text = (
        HEAD
        + person_row("王芳", "F", D(1990, 1, 1), V1, 11)
        + f"12345,张三,男,1991-01-01,{V1},{V1}\n"
        + f"{pid(D(1992, 1, 1), 'M', 13)},,男,1992-13-01,{V1},{V1}\n"
    )
    token = job_of(upload(c, text))
    page = c.get(f"/import/{token}").text
    assert 'id="commit"' not in page and "发现错误" in page and "<strong>3</strong>" in page
    rows = problems(page)
    assert ["3", "身份证号码", "12345"] == rows[0][:3] and "身份证号码应为 18 位" in rows[0][3] and "id_length" not in rows[0][3]
    assert 'data-rule="id_length"' in page  # the rule for scripts and tests, no internal code on the page
    assert any(r[:2] == ["4", "姓名"] and "必填项不能为空" in r[3] for r in rows)
    assert any(r[:3] == ["4", "出生日期", "1992-13-01"] and "不是有效日期" in r[3] for r in rows)
    r = c.post(f"/import/{token}/commit", data={"csrf_token": csrf(c)}, follow_redirects=False)
    assert r.status_code == 409 and "未做任何更改" in r.text
    assert counts(db) == before
    report = c.get(f"/import/{token}/errors.xlsx")
    assert report.status_code == 200 and report.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(report.content)).worksheets[0]
    lines = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert len(lines) == 3 and lines[0][:4] == [3, "身份证号码 id_number", "12345", "id_length"]


def test_the_report_is_english_with_the_english_interface(env):
    c, _, _ = env
    sign_in(c, "xiang1")
    c.cookies.set("lang", "en")
    token = job_of(upload(c, HEAD + f"12345,张三,男,1991-01-01,{V1},{V1}\n" + person_row("李四", "M", D(1980, 1, 1), V3, 14)))
    page = c.get(f"/import/{token}").text
    rows = problems(page)
    assert rows[0][:3] == ["2", "id_number", "12345"] and "an ID number has 18 characters" in rows[0][3]
    assert rows[1][:3] == ["3", "hukou_unit", V3] and "Outside your area" in rows[1][3] and 'data-rule="outside_area"' in page
    assert "Problems found:" in page and "必填" not in page


def test_rows_outside_the_area_stop_the_whole_file(env):
    c, db, people = env
    sign_in(c, "xiang1")
    before = counts(db)
    text = (
        HEAD
        + person_row("王芳", "F", D(1990, 1, 1), V1, 11)
        + person_row("李四", "M", D(1980, 1, 1), V3, 14)
        + f"{pid(D(1981, 1, 1), 'M', 15)},无单位,男,1981-01-01,,\n"
    )
    token = job_of(upload(c, text))
    rows = problems(c.get(f"/import/{token}").text)
    assert [r[:3] for r in rows] == [["3", "户籍地代码", V3], ["3", "居住地代码", V3], ["4", "户籍地代码", ""]]
    assert all("不在您的管辖范围内" in r[3] or "户籍地或居住地" in r[3] for r in rows)
    assert c.post(f"/import/{token}/commit", data={"csrf_token": csrf(c)}, follow_redirects=False).status_code == 409
    assert counts(db) == before
    # events: the subject of another township is "not found", exactly like somebody who does not exist
    events = (
        "事件类型,当事人证件号,日期\n"
        + f"death,{people['far']},2024-01-01\n"
        + f"death,{pid(D(1950, 1, 1), 'M', 99)},2024-01-01\n"
        + f"death,{people['mine']},2024-01-01\n"
    )
    token = job_of(upload(c, events, kind="events", name="events.csv"))
    rows = problems(c.get(f"/import/{token}").text)
    assert [r[:2] for r in rows] == [["2", "当事人证件号"], ["3", "当事人证件号"]]
    said = [re.sub(r"\S+\*+\S+", "KEY", r[3]) for r in rows]
    assert said[0] == said[1] and "找不到身份证号或临时编号为 KEY 的人员" in said[0]
    assert people["far"] not in rows[0][2] and "*" in rows[0][2]
    # a village of another township as a new unit's parent, and a unit of its own township: only the first is refused
    orgs = "代码,名称,级别,上级代码,设立日期\n410102200299,新村,village,410102200000,2020-01-01\n410102100299,新村二,village,410102100000,2020-01-01\n"
    token = job_of(upload(c, orgs, kind="orgs", name="orgs.csv"))
    rows = problems(c.get(f"/import/{token}").text)
    assert [r[:3] for r in rows] == [["2", "上级代码", T2]]


def test_a_row_outside_the_area_reveals_nothing_the_register_holds(env):
    """Issue 13: whether a number is registered elsewhere, whether a guessed name is right, when that
    person died — a township's import learns none of it from a row outside its area."""
    c, db, people = env
    with db.write(ACTOR) as s:
        dead = add_resident(s, "钱老", "M", D(1930, 1, 1), V3, 3)
        events.record(s, SYSTEM, "death", dead, D(2020, 5, 1))
        dead_key = dead.id_number
    sign_in(c, "xiang1")
    far, nobody = people["far"], pid(D(1987, 4, 4), "M", 9)
    text = (
        HEAD
        + f"{far},赵二,男,1986-03-01,{V3},{V3}\n"
        + f"{nobody},孙某,男,1987-04-04,{V3},{V3}\n"
        + f"{far},赵三,男,1986-03-01,{V3},{V3}\n"
        + f"{far},赵二,男,1986-03-01,{V1},{V1}\n"
        + f"{far},错名,女,1999-09-09,{V1},{V1}\n"
    )
    rows = problems(c.get(f"/import/{job_of(upload(c, text))}").text)
    by_row: dict[str, list] = {}
    for r in rows:
        by_row.setdefault(r[0], []).append(r[1:])
    assert by_row["2"] == by_row["3"] == by_row["4"] and [r[:2] for r in by_row["2"]] == [["户籍地代码", V3], ["居住地代码", V3]]
    assert by_row["5"] == by_row["6"] and len(by_row["5"]) == 1 and "管辖范围以外已有" in by_row["5"][0][2] and far not in str(by_row)
    events_text = "事件类型,当事人证件号,日期\n" + f"death,{dead_key},2024-01-01\n" + f"death,{pid(D(1931, 2, 2), 'M', 8)},2024-01-01\n"
    rows = problems(c.get(f"/import/{job_of(upload(c, events_text, kind='events', name='events.csv'))}").text)
    said = [[re.sub(r"\S+\*+\S+", "KEY", x) for x in r[1:]] for r in rows]
    assert [r[0] for r in rows] == ["2", "3"] and said[0] == said[1] and "2020" not in str(rows)


def test_a_county_account_has_no_area_limit_in_the_check(env):
    from renkou.auth.scope import Scope
    from renkou.exchange.area import check
    from renkou.exchange.readers import open_table

    c, db, _ = env
    path = c.app.state.import_dir / "x.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEAD + person_row("李四", "M", D(1980, 1, 1), V3, 14), encoding="utf-8")
    table = open_table(path)
    with db.read() as s:
        county = Scope.for_unit(s, _unit_id(s, COUNTY))
        township = Scope.for_unit(s, _unit_id(s, T1))
        assert check(s, "persons", table, county).problems == []
        refused = check(s, "persons", table, township)
        assert [(p.row, p.field, p.rule) for p in refused.problems] == [
            (2, "hukou_unit", "outside_area"),
            (2, "residence_unit", "outside_area"),
        ]
        assert refused.rows == {2}


def _unit_id(s, code):
    from renkou.storage.schema import OrgUnit

    return s.scalar(select(OrgUnit.id).where(OrgUnit.code == code))


def test_another_accounts_token_is_not_found(env):
    c, db, _ = env
    sign_in(c, "xiang1")
    token = job_of(upload(c, HEAD + person_row("王芳", "F", D(1990, 1, 1), V1, 11)))
    sign_in(c, "xiang2")
    before = counts(db)  # (signing in writes the account's address of sign-in)
    t = csrf(c)
    assert c.get(f"/import/{token}").status_code == 404
    assert c.get(f"/import/{token}/progress").status_code == 404
    r = c.post(f"/import/{token}/commit", data={"csrf_token": t}, follow_redirects=False)
    assert r.status_code == 404 and "找不到该导入文件" in r.text
    for bad in ("../../etc", "x" * 43, token[:-1]):
        assert c.get(f"/import/{bad}").status_code == 404
    assert counts(db) == before
    sign_in(c, "xiang1")  # still there for its owner
    assert 'id="commit"' in c.get(f"/import/{token}").text


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_upload_and_commit_need_the_sessions_csrf_token(env, token):
    c, db, _ = env
    sign_in(c, "xiang1")
    before = counts(db)
    data = {"kind": "persons"} | ({} if token is None else {"csrf_token": token})
    text = HEAD + person_row("王芳", "F", D(1990, 1, 1), V1, 11)
    r = c.post("/import", data=data, files={"file": ("a.csv", text.encode(), "text/csv")}, follow_redirects=False)
    assert r.status_code == 403 and list((c.app.state.import_dir).glob("*")) == []
    job = job_of(upload(c, text))
    r = c.post(f"/import/{job}/commit", data={} if token is None else {"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 403 and counts(db) == before and 'id="commit"' in c.get(f"/import/{job}").text


def test_wrong_files_are_explained(env):
    c, db, _ = env
    sign_in(c, "xiang1")
    r = upload(c, "a,b\n1,2\n", name="data.txt")
    assert r.status_code == 400 and "请选择 CSV 或 XLSX 文件" in r.text
    r = upload(c, HEAD, kind="nonsense")
    assert r.status_code == 400 and "请选择文件的数据类型" in r.text
    r = upload(c, "", name="empty.csv")
    assert r.status_code == 400 and "文件为空" in r.text
    assert list(c.app.state.import_dir.glob("*")) == []  # nothing kept of refused uploads


def test_an_unreadable_file_and_missing_columns(env):
    c, _, _ = env
    sign_in(c, "xiang1")
    token = job_of(upload(c, "not a workbook", name="broken.xlsx"))
    page = c.get(f"/import/{token}").text
    assert 'id="import-error"' in page and "无法打开 Excel 文件" in page and 'id="commit"' not in page
    token = job_of(upload(c, "姓名,性别\n张三,男\n"))
    rows = problems(c.get(f"/import/{token}").text)
    assert rows[0][0] == "1" and "缺少必需的列" in rows[0][3]


def test_a_slow_import_shows_its_progress_then_the_report(env, monkeypatch):
    c, db, _ = env
    sign_in(c, "xiang1")
    monkeypatch.setattr(imports, "WAIT", 0.0)
    real = area.check

    def slow(*a, **kw):
        time.sleep(0.6)
        return real(*a, **kw)

    monkeypatch.setattr(area, "check", slow)
    token = job_of(upload(c, HEAD + person_row("王芳", "F", D(1990, 1, 1), V1, 11)))
    page = c.get(f"/import/{token}").text
    assert 'id="progress"' in page and f'hx-get="/import/{token}/progress"' in page and "正在处理" in page
    for _ in range(100):
        r = c.get(f"/import/{token}/progress", headers={"HX-Request": "true"})
        if r.headers.get("hx-refresh") == "true":
            break
        assert 'id="progress"' in r.text and "<html" not in r.text
        time.sleep(0.1)
    else:
        pytest.fail("the check never finished")
    assert 'id="no-problems"' in c.get(f"/import/{token}").text
    c.post(f"/import/{token}/commit", data={"csrf_token": csrf(c)})
    for _ in range(100):
        if 'id="import-done"' in c.get(f"/import/{token}").text:
            break
        time.sleep(0.1)
    with db.read() as s:
        assert s.scalar(select(Person.id).where(Person.name == "王芳")) is not None


def test_expired_jobs_are_deleted(env, monkeypatch):
    c, _, _ = env
    sign_in(c, "xiang1")
    token = job_of(upload(c, HEAD + person_row("王芳", "F", D(1990, 1, 1), V1, 11)))
    folder = c.app.state.import_dir / token
    assert (folder / "upload" / "人员.csv").exists()
    monkeypatch.setattr(imports_jobs, "EXPIRE_SECONDS", -1)
    assert c.get(f"/import/{token}").status_code == 404 and not folder.exists()


def test_an_xlsx_declaring_fewer_rows_than_it_holds_is_read_whole_on_the_web(env, tmp_path):
    c, db, _ = env
    sign_in(c, "xiang1")
    rows = [
        ["身份证号码", "姓名", "性别", "出生日期", "户籍地代码", "居住地代码"],
        *[[pid(D(1990, 1, i), "F", 20 + i), f"人{i}", "女", f"1990-01-{i:02d}", V1, V1] for i in range(1, 6)],
    ]
    path = rewrite_sheet(write_xlsx(tmp_path / "人员.xlsx", rows), declare_dimension("A1:F2"))
    data = {"kind": "persons", "csrf_token": csrf(c)}
    token = job_of(c.post("/import", data=data, files={"file": ("人员.xlsx", path.read_bytes(), XLSX)}, follow_redirects=False))
    report = c.get(f"/import/{token}").text
    assert '<td id="to-create">5</td>' in report  # every row, not the two the sheet claims
    broken = rewrite_sheet(write_xlsx(tmp_path / "坏.xlsx", rows), cut_short(0.8))
    data = {"kind": "persons", "csrf_token": csrf(c)}
    token = job_of(c.post("/import", data=data, files={"file": ("坏.xlsx", broken.read_bytes(), XLSX)}, follow_redirects=False))
    page = c.get(f"/import/{token}").text
    assert 'id="import-error"' in page and "无法读取该 Excel 文件" in page and 'id="commit"' not in page


def test_uploads_wait_in_the_servers_own_data_directory(db, tmp_path):
    build_units(db)
    with db.write(ACTOR) as s:
        accounts.create_account(s, username="xiang1", display_name="乡", role="township_officer", unit_code=T1, password=PW)
    settings = Settings(data_dir=str(tmp_path / "data"))
    with TestClient(web.create_app(db, secret="k", secure_cookies=False, settings=settings)) as c:
        c.renkou_totp = {}
        assert c.app.state.import_dir == tmp_path / "data" / "imports"
        sign_in(c, "xiang1")
        token = job_of(upload(c, HEAD + person_row("王芳", "F", D(1990, 1, 1), V1, 11)))
        assert (tmp_path / "data" / "imports" / token / "upload" / "人员.csv").exists()
        assert (tmp_path / "data" / "imports").stat().st_mode & 0o077 == 0  # the server's alone
