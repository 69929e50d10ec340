"""The work queues on the home page (renkou.web.work over renkou.work.queues): each account sees the kinds
its role works on with their counts, each linked to the list that holds exactly that work; the births
without an ID number a page at a time; the account's import files with problems on the import page —
on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.benefits.cycle_kit import COMMUNITY, VILLAGE, VILLAGE2, family_of_reward
from tests.web.benefit_kit import Web, text
from tests.work.newborns import newborn

TODAY = dt.date.today()


@pytest.fixture
def web(db, tmp_path):
    w = Web(db)
    w.app.state.import_dir = tmp_path / "imports"
    family_of_reward(w.b, "li")
    yield w
    w.close()


def queues(html: str) -> dict[str, tuple[int, str]]:
    """The home page's queues: key -> (count, link)."""
    part = html.split('id="queues"')[1].split("</section>")[0] if 'id="queues"' in html else ""
    return {key: (int(n), link) for key, n, link in re.findall(r'<li id="queue-([\w_]+)" data-count="(\d+)"[^>]*><a href="([^"]+)">', part)}


def enter(web: Web, key: str) -> int:
    return web.desk.apply("cun", key)  # through the service, dated 2025


def test_the_home_page_counts_the_village_workers_work_and_links_to_it(web):
    a, b = enter(web, "li_f"), enter(web, "li_m")
    newborn(web.desk, "nb1", VILLAGE, TODAY - dt.timedelta(days=12))
    newborn(web.desk, "nb2", COMMUNITY, TODAY - dt.timedelta(days=12))  # another township's
    web.as_("cun")
    home = web.get("/")
    assert home.status_code == 200
    got = queues(home.text)
    assert got["village_review"] == (2, "/benefits?status=applied")
    assert got["births_without_id"] == (1, "/work/births-without-id")
    assert set(got) == {"village_review", "to_post", "postings_to_end", "births_without_id"}  # the village worker's kinds only
    assert "待村级审核的申请" in text(home.text) and "待办工作" in text(home.text)
    listed = web.get(got["village_review"][1]).text
    rows = listed.split('id="applications"')[1].split("</table>")[0]
    assert f'data-n="{a}"' in rows and f'data-n="{b}"' in rows and "共 2 条" in text(listed)
    births = web.get(got["births_without_id"][1]).text
    assert "测nb1" in births and "测nb2" not in births and "共 1 条" in text(births)


def test_each_role_sees_its_own_kinds(web):
    enter(web, "li_f")
    web.as_("xiang")
    assert set(queues(web.get("/").text)) == {"objections_open", "township_review", "imports_with_problems", "births_without_id"}
    web.as_("xian")
    got = queues(web.get("/").text)
    assert set(got) == {"objections_open", "township_review", "confirm", "exits_to_decide", "batches_to_check"}
    assert got["batches_to_check"] == (0, "/benefits/batches")
    web.c.cookies.set("lang", "en")
    english = text(web.get("/").text)
    assert "Work to do" in english and "Applications awaiting the county confirmation" in english and "待县级确认" not in english
    web.c.cookies.delete("lang")
    web.as_("shenji")
    assert 'id="queues"' not in web.get("/").text  # the auditor reads; no work waits for it


def test_births_without_an_id_number_page_by_page(web):
    for i in range(25):
        newborn(web.desk, f"nb{i:02d}", VILLAGE2, TODAY - dt.timedelta(days=30 + i))
    web.as_("xiang")
    assert queues(web.get("/").text)["births_without_id"][0] == 25
    first = web.get("/work/births-without-id?size=20")
    assert first.status_code == 200
    body = text(first.text)
    assert "第 1–20 条，共 25 条" in body and "第 1 / 2 页" in body
    assert first.text.count("<tr data-pid=") == 20 and "测nb24" in body and "测nb05" in body  # the longest waiting first
    nxt = re.search(r'<a href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    assert "page=2" in nxt and "size=20" in nxt
    second = web.get(nxt)
    assert "第 21–25 条，共 25 条" in text(second.text) and second.text.count("<tr data-pid=") == 5 and "测nb00" in text(second.text)
    assert "第 21–25 条" in text(web.get("/work/births-without-id?size=20&page=99").text)  # past the end: the last page
    assert "第 1–20 条" in text(web.get("/work/births-without-id?size=20&page=abc").text)
    web.as_("zhen")  # another township
    other = web.get("/work/births-without-id")
    assert other.status_code == 200 and "测nb" not in other.text and 'id="no-births"' in other.text


def test_import_files_with_problems_wait_on_the_import_page(web):
    web.as_("xiang")
    bad = "身份证号码,姓名,性别,出生日期,户籍地代码,居住地代码\n123,某,X,2020-13-01,999,999\n"
    r = web.post("/import", {"kind": "persons"}, files={"file": ("人员.csv", bad.encode("utf-8"), "text/csv")}, token=web.token("/import"))
    assert r.status_code == 303
    job = r.headers["location"]
    for _ in range(100):  # the check runs in a thread
        if "已检查" in web.get(job).text or queues(web.get("/").text).get("imports_with_problems", (0,))[0]:
            break
    got = queues(web.get("/").text)
    assert got["imports_with_problems"] == (1, "/import#my-files")
    page = web.get("/import").text
    mine = page.split('id="my-files"')[1].split("</section>")[0]
    assert f'href="{job}"' in mine and "人员.csv" in mine
    web.as_("zhen")  # the files are the account's own
    assert queues(web.get("/").text)["imports_with_problems"][0] == 0 and 'id="my-files"' not in web.get("/import").text
