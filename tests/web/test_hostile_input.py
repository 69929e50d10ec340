"""No input gives HTTP 500 (issue 13): every POST route of the web application, signed in as a county
role and as a village worker, with hostile form values — 100,000-character text, NUL, U+10FFFF,
bytes that are not UTF-8, negative and huge numbers, impossible and far dates, empty values — in
every form field the application knows. Each answer may refuse (4xx, a form with its problems, a
redirect) but never fail. The routes are walked as tests/web/test_routes.py walks them."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount
from starlette.testclient import TestClient

from tests.web.benefit_kit import Web
from tests.web.route_kit import EXTRA_QUERY, query_names

WEB = Path(__file__).parents[2] / "src" / "renkou" / "web"


def field_names() -> list[str]:
    """Every form field the application names: those of its templates, and the names its routes read
    (the string tuples of its modules: the fields a form handler takes)."""
    names = set()
    for t in WEB.rglob("*.html"):
        names |= set(re.findall(r'name="([a-z_0-9]+)"', t.read_text("utf-8")))
    for m in WEB.rglob("*.py"):
        for group in re.findall(r'\(((?:"[a-z_0-9]+", ?)+"[a-z_0-9]+",?)\)', m.read_text("utf-8")):
            names |= set(re.findall(r'"([a-z_0-9]+)"', group))
    names |= set(EXTRA_QUERY)
    return sorted(names - {"csrf_token"})


FIELDS = field_names()
VALUES = {
    "long": "x" * 100_000,
    "nul": "a\x00b",
    "top code point": "\U0010ffff",
    "negative": "-1",
    "huge": "99999999999999999999",
    "float": "1e309",
    "superscript digit": "²",
    "zero date": "0000-00-00",
    "far date": "9999-12-31",
    "no such day": "2023-02-30",
    "empty": "",
}
NOT_UTF8 = {"escaped": b"%FF%FE%C0%80", "raw": b"\xff\xfe\xc0\x80"}
PATH_VALUE = {"username": "cun"}  # any other path parameter: 1
IN_QUERY = {"nul": "a\x00b", "top code point": "\U0010ffff", "superscript digit": "²"}  # for every query parameter of every page


def routes(app, method: str) -> list[tuple[str, set[str]]]:
    """The URLs of the routes taking ``method`` (path parameters filled in) with their query parameters."""
    out = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount) or method not in route.methods or route.path in ("/login", "/logout"):
            continue
        url = re.sub(r"\{([^}]+)\}", lambda m: PATH_VALUE.get(m.group(1), "1"), route.path)
        out.append((url, query_names(route.dependant) | set(EXTRA_QUERY)))
    return sorted(out, key=lambda r: r[0])


@pytest.mark.parametrize("user", ["xian", "cun"])
def test_hostile_form_values_are_no_server_error(db, user):
    web = Web(db)
    try:
        web.as_(user)
        token = web.token("/")
        c = TestClient(web.app, raise_server_exceptions=False, cookies=web.c.cookies)
        posts = [url for url, _ in routes(web.app, "POST")]
        assert len(posts) > 35
        errors = []
        for url in posts:
            for what, value in VALUES.items():
                r = c.post(url, data={"csrf_token": token, **{n: value for n in FIELDS}}, follow_redirects=False)
                if r.status_code >= 500:
                    errors.append((url, what, r.status_code))
            for what, raw in NOT_UTF8.items():
                body = f"csrf_token={quote(token)}&".encode() + b"&".join(n.encode() + b"=" + raw for n in FIELDS)
                r = c.post(url, content=body, headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)
                if r.status_code >= 500:
                    errors.append((url, what, r.status_code))
        for url, names in routes(web.app, "GET"):
            for what, value in IN_QUERY.items():
                r = c.get(url, params={n: value for n in names}, follow_redirects=False)
                if r.status_code >= 500:
                    errors.append((url, what, r.status_code))
        assert errors == [], "\n".join(map(str, errors))
        assert c.get("/").status_code == 200  # still signed in: nothing above ended the session
    finally:
        web.close()


def test_nul_is_refused_in_both_languages(db):
    """NUL cannot be stored (PostgreSQL refuses it in any text): a form or a query holding it is a 400
    page saying so, in the page's language, before anything is looked up."""
    web = Web(db)
    try:
        web.as_("cun")
        r = web.post("/register/death", {"person": "a\x00b", "date": "2024-01-01"})
        assert r.status_code == 400 and "无法保存的 NUL 字符" in r.text
        assert web.get("/persons", params={"q": "张\x00"}).status_code == 400
        web.c.cookies.set("lang", "en")
        r = web.post("/register/death", {"person": "a\x00b", "date": "2024-01-01"})
        assert r.status_code == 400 and "contains the character NUL" in r.text
        r = web.post("/register/death", {"person": "a b", "date": "2024-01-01"})
        assert r.status_code < 500 and "NUL" not in r.text  # without it: the form's own answer
    finally:
        web.close()


def test_hostile_sign_in_values_are_no_server_error(db):
    web = Web(db)
    try:
        c = TestClient(web.app, raise_server_exceptions=False)
        token = c.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        for what, value in VALUES.items():
            r = c.post("/login", data={"csrf_token": token, "username": value, "password": value, "totp": value}, follow_redirects=False)
            assert r.status_code < 500, what
        for what, raw in NOT_UTF8.items():
            body = f"csrf_token={quote(token)}&username={raw.decode('latin-1')}&password=".encode("latin-1") + raw
            r = c.post("/login", content=body, headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)
            assert r.status_code < 500, what
    finally:
        web.close()
