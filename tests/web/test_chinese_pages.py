"""Chinese throughout (issue 14): signed in as each role on a generated county (the access harness's,
tests/web/access_kit.py: every kind of event and the whole benefit cycle), every GET page of the
route table is rendered in Chinese — path parameters filled with the account's own records, as the
access harness fills them — and its visible text (tags, scripts and styles removed; placeholders,
titles and labels kept) must hold no ASCII word outside a short, justified allow-list: no English
left untranslated, no internal code such as ``[payee_required]`` or ``reward``.

The test is driven by the route table, so a page added later is checked without a change here; a new
path parameter goes into the access harness's PATH_KINDS (its test fails first).
"""

from __future__ import annotations

import html
import re
from collections import defaultdict

import pyotp
import pytest
from starlette.testclient import TestClient

from renkou.auth import accounts
from renkou.web.benefits.common import FIELD_LABELS, field_label
from renkou.web.i18n import gettext
from tests.benefits.cycle_kit import PW
from tests.benefits.families import ACTOR, COUNTY, TOWNSHIP, VILLAGE
from tests.conftest import migrated_db
from tests.web.access_kit import build, records_of
from tests.web.route_kit import path_names, routes
from tests.web.test_access_harness import CONSTANTS, PATH_KINDS, segment

# One account per role: who signs in, and the unit whose records fill the paths.
ACCOUNTS = {
    "cun": VILLAGE,  # 村（居）计生专干
    "xiang": TOWNSHIP,  # 乡镇（街道）干部
    "tongji": COUNTY,  # 县级统计人员
    "xian": COUNTY,  # 县级奖扶管理员
    "shenji": COUNTY,  # 审计人员
    "guanli": COUNTY,  # 系统管理员 (made below)
}
SKIP = {"/logout", "/lang", "/login"}  # signing in and out and the language: redirects, not pages

# The ASCII words a Chinese page may show, each for a reason.
ALLOWED = {
    # file formats and standard abbreviations, written so in Chinese documents too
    "PDF",
    "XLSX",
    "CSV",
    "ID",
    "TOTP",  # the kind of one-time-code app, as the apps themselves say
    "UTC",
    # the product's name (and its command)
    "renkou",
    # units of measure
    "MB",  # the largest upload, in megabytes
    # the bank reference of a payment line (RK and its number), printed on the bank file and the pages alike
    "RK",
}


def data_words(county) -> set[str]:
    """ASCII words that are the county's data, not the interface: the account names (ASCII by rule),
    the household numbers the builder made (HH and the village code)."""
    return {*county.web.secrets, "HH", "guanli", "cun", "cun2", "she", "xiang", "zhen", "xian", "xian2", "shenji", "shenji_x", "tongji"}


SCRIPT = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.S | re.I)
# an element declared not to be Chinese text: in another language on purpose (the language switch names
# English in English, lang="en") or machine text not to be translated (a key to copy, a stored value
# quoted verbatim by the audit trail: translate="no", the HTML attribute for it)
FOREIGN = re.compile(r"""<(\w+)\b[^>]*\b(?:lang\s*=\s*["'](?!zh)[^"']*["']|translate\s*=\s*["']no["'])[^>]*>.*?</\1\s*>""", re.S | re.I)
ATTR = re.compile(r"""\b(?:placeholder|title|aria-label|alt)\s*=\s*("([^"]*)"|'([^']*)')""", re.I)
TAG = re.compile(r"<[^>]*>", re.S)
WORD = re.compile(r"[A-Za-z]{2,}")


def visible_text(page: str) -> str:
    """What a reader sees or hears: the text between tags and the placeholder, title, aria-label and alt
    attributes; scripts, styles and comments removed; character references decoded."""
    page = re.sub(r"<!--.*?-->", " ", SCRIPT.sub(" ", page), flags=re.S)
    page = FOREIGN.sub(" ", page.replace('<html lang="zh">', "<html>"))
    attrs = " ".join(m.group(2) or m.group(3) or "" for m in ATTR.finditer(page))
    return html.unescape(TAG.sub(" ", page) + " " + attrs)


def english_words(page: str, allowed: set[str]) -> list[str]:
    return sorted({w for w in WORD.findall(visible_text(page)) if w not in allowed})


def test_the_detector_finds_english_and_codes_and_ignores_markup():
    page = (
        '<html><head><style>body{color:red}</style><script>var x = "hello";</script></head>'
        '<body class="page"><a href="/benefits/batches">批次</a><input placeholder="Search"> 奖扶（reward）'
        "<p>[payee_required] 身份证号码 ID 共 1,234 人</p><!-- a comment -->"
        '<button lang="en">English</button><code translate="no">otpauth://totp/x</code></body></html>'
    )
    assert english_words(page, ALLOWED) == ["Search", "payee", "required", "reward"]
    assert english_words("<p>身份证号码 ID，下载 PDF</p>", ALLOWED) == []


def add_sysadmin(web, name: str, unit: str) -> None:
    with web.db.write(ACTOR) as s:
        acc = accounts.create_account(s, username=name, display_name=name, role="sysadmin", unit_code=unit, password=PW)
        secret, _ = accounts.start_totp(acc)
        accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
    web.secrets[name] = secret


@pytest.fixture(scope="module")
def county(tmp_path_factory, _migrated_templates):
    tmp = tmp_path_factory.mktemp("chinese")
    db, cleanup = migrated_db("sqlite", tmp, _migrated_templates)
    try:
        c = build(db, tmp)
        add_sysadmin(c.web, "guanli", COUNTY)
        yield c
        c.web.close()
    finally:
        cleanup()


def urls_of(app, values: dict[str, list[str]], method: str = "GET") -> list[tuple[str, str]]:
    """(route, url) of every ``method`` route but the API's, its path parameters filled with the account's
    own values (the first and last of each kind, or the constants): a route no value can fill is left out."""
    out = []
    for route in routes(app):
        if method not in route.methods or route.path in SKIP or route.path.startswith("/api/"):
            continue
        urls = [route.path]
        for name in path_names(route.dependant):
            kind = PATH_KINDS[(segment(route.path, name), name)]
            if kind == "event":
                continue  # filled with its person below
            vals = CONSTANTS.get(kind) or list(dict.fromkeys(values.get(kind, [])[:1] + values.get(kind, [])[-1:]))
            urls = [u.replace("{" + name + "}", v) for u in urls for v in vals]
        if "{pid}" in route.path and "{eid}" in route.path:
            urls = [route.path.replace("{pid}", e.split("/")[0]).replace("{eid}", e.split("/")[1]) for e in values.get("event", [])[:2]]
        out += [(route.path, u) for u in urls]
    return out


@pytest.mark.parametrize("account", list(ACCOUNTS))
def test_every_page_is_chinese(county, account):
    web = county.web
    web.as_(account)
    c = TestClient(web.app, raise_server_exceptions=False, cookies=web.c.cookies)
    values = records_of(web.db, {ACCOUNTS[account]}, import_token=county.import_token if account == "zhen" else "", ids=web.b.ids).values
    allowed = ALLOWED | data_words(county)
    found: dict[str, set[str]] = defaultdict(set)
    pages = 0
    for route, url in urls_of(web.app, values):
        r = c.get(url, follow_redirects=False)
        if r.status_code >= 500:
            found[url].add(f"server error {r.status_code}")
            continue
        if not r.headers.get("content-type", "").startswith("text/html"):
            continue  # downloads: the official forms are checked by their own tests
        pages += 1
        for w in english_words(r.text, allowed):
            found[f"{route}  ({url}, {r.status_code})"].add(w)
    assert pages >= 20, pages  # the account's pages were rendered, not refused
    assert not found, "\n".join(f"{k}: {' '.join(sorted(v))}" for k, v in sorted(found.items()))


def test_a_missing_page_is_a_chinese_page_and_json_only_under_the_api(county):
    web = county.web
    web.as_("cun")
    r = web.c.get("/no/such/page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<h1>未找到</h1>" in r.text and "没有这个页面" in r.text
    assert english_words(r.text, ALLOWED | data_words(county)) == []
    assert '{"detail"' not in r.text
    r = web.c.get("/api/v1/no/such/thing")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    r = web.c.delete("/persons")  # a method the page does not take
    assert r.status_code == 405 and r.headers["content-type"].startswith("text/html") and "allow" in {k.lower() for k in r.headers}


@pytest.mark.parametrize("account", list(ACCOUNTS))
def test_every_refusal_of_an_empty_form_is_chinese(county, account):
    """Every form of the route table posted empty (the session's token only) as each role: what comes
    back — the form again with its problems, a refusal, a message — is Chinese, with no rule code such as
    ``[required]``. Runs after the page test: an empty form may still act (run a check, end a posting)."""
    web = county.web
    web.as_(account)
    c = TestClient(web.app, raise_server_exceptions=False, cookies=web.c.cookies)
    token = web.token("/")
    values = records_of(web.db, {ACCOUNTS[account]}, ids=web.b.ids).values
    allowed = ALLOWED | data_words(county)
    found: dict[str, set[str]] = defaultdict(set)
    answered = 0
    for route, url in urls_of(web.app, values, "POST"):
        r = c.post(url, data={"csrf_token": token}, follow_redirects=False)
        if r.status_code >= 500:
            found[url].add(f"server error {r.status_code}")
            continue
        if not r.headers.get("content-type", "").startswith("text/html"):
            continue
        answered += 1
        for w in english_words(r.text, allowed):
            found[f"POST {route}  ({url}, {r.status_code})"].add(w)
    assert answered >= 3, answered
    assert not found, "\n".join(f"{k}: {' '.join(sorted(v))}" for k, v in sorted(found.items()))


def test_every_field_a_refusal_names_has_a_chinese_label():
    """The field names of the benefit forms' refusals (common.FIELD_LABELS) are messages: each has its
    Chinese translation, so a refusal never names a field by its key."""
    for key, msgid in FIELD_LABELS.items():
        zh = gettext("zh", msgid)
        assert zh != msgid and re.search(r"[\u4e00-\u9fff]", zh), (key, msgid, zh)
        assert field_label(key, "zh") == zh and field_label(key, "en") == gettext("en", msgid)
    assert field_label("attested", "zh") == "声明事项" and field_label("no_such_field", "zh") == "no_such_field"


def test_a_server_error_is_a_chinese_page_for_a_browser_and_json_for_the_api(county):
    """Whatever breaks, a browser gets a short page in its language (nothing of the error), the API its JSON."""
    web = county.web

    def boom():
        raise RuntimeError("secret detail of the failure")

    web.app.add_api_route("/boom-for-the-test", boom, methods=["GET"])
    web.app.add_api_route("/api/v1/boom-for-the-test", boom, methods=["GET"])
    c = TestClient(web.app, raise_server_exceptions=False)
    r = c.get("/boom-for-the-test")
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert "服务器错误" in r.text and "secret detail" not in r.text and english_words(r.text, ALLOWED) == []
    r = c.get("/api/v1/boom-for-the-test")
    assert r.status_code == 500 and r.json()["detail"].startswith("服务器内部错误") and "secret detail" not in r.text


def test_the_benefit_report_adds_up_on_the_generated_county(county):
    """The recipients report as the county downloads it (CSV): 应发 = 已发 + 未发 in every row and
    programme, and the county's batch — made and checked, not yet released — is shown apart as 已造册未发
    (here more than 未发: the batch pays for the year someone who died in June, which the checks flag)."""
    import csv
    import io
    from decimal import Decimal

    web = county.web
    web.as_("xian")
    r = web.c.get("/benefits/reports/recipients.csv", params={"org": COUNTY, "year": "2025"})
    assert r.status_code == 200, r.text[:300]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    head = next(row for row in rows if any(h.endswith("应发金额（元）") for h in row))
    body = [row for row in rows[rows.index(head) + 1 :] if len(row) == len(head) and row[0]]
    programmes = [h.split("/")[0] for h in head if h.endswith("应发金额（元）")]
    assert programmes and body
    batched = Decimal(0)
    for prog in programmes:
        due, paid, waiting, in_batch = (
            head.index(f"{prog}/{k}") for k in ("应发金额（元）", "已发金额（元）", "未发金额（元）", "已造册未发（元）")
        )
        for row in body:
            assert Decimal(row[due]) == Decimal(row[paid]) + Decimal(row[waiting]), (prog, row)
        batched += sum(Decimal(row[in_batch]) for row in body if row[1] == "合计")
    assert batched > 0  # the batch waits: shown as 已造册未发, not lost
