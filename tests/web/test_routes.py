"""The application's whole route table (renkou.web.app): every route — page, HTMX fragment, download,
API — declares the permission it needs (renkou.web.deps.require), and answers an anonymous request
with the sign-in redirect (pages) or 401 (/api/v1) and nothing else; the few public routes are listed
here, in one place. The table itself (method, path, permission) is kept in golden/routes.txt, so a
new route or a changed permission shows in review (regenerate with RENKOU_UPDATE_GOLDEN=1)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount
from starlette.testclient import TestClient

from renkou.web import app as web
from tests.web.benefit_kit import Web
from tests.web.route_kit import EXTRA_QUERY, query_names, table

GOLDEN = Path(__file__).parent / "golden" / "routes.txt"
# open to anybody: signing in, the language switch, signing out (it only drops the cookie), the icon and the static files
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/lang"), ("POST", "/logout"), ("GET", "/favicon.ico")}
PUBLIC_MOUNTS = {"/static"}
# open to any signed-in caller, whatever its role
ANY_SIGNED_IN = {
    ("GET", "/"),
    ("GET", "/account/password"),
    ("POST", "/account/password"),
    ("GET", "/account/totp"),
    ("POST", "/account/totp"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/openapi.json"),
}


@pytest.fixture
def app(db):
    return web.create_app(db, secret="routes", secure_cookies=False)


def test_every_route_declares_its_permission(app):
    rows = table(app)
    assert len(rows) > 80  # the whole table, not a part of it
    for method, path, what in rows:
        if (method, path) in PUBLIC:
            assert what == "public", (method, path, what)
        elif (method, path) in ANY_SIGNED_IN:
            assert what.startswith("signed-in"), (method, path, what)
        else:
            assert re.fullmatch(r"[a-z]+:[a-z]+(( [&|] )[a-z]+:[a-z]+)*", what), (method, path, what)
    assert {m.path for m in iter_route_contexts(app.routes) if isinstance(m.original_route, Mount)} == PUBLIC_MOUNTS


def test_the_route_table_is_the_golden_one(app):
    text = "".join(f"{m:6} {p}  {w}\n" for m, p, w in table(app))
    if os.environ.get("RENKOU_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, "utf-8")
    assert text == GOLDEN.read_text("utf-8")


def test_an_anonymous_request_is_sent_to_sign_in_everywhere(app):
    with TestClient(app) as c:
        for method, path, _ in table(app):
            if (method, path) in PUBLIC:
                continue
            url = re.sub(r"\{[^}]+\}", "1", path)
            r = c.request(method, url, follow_redirects=False)
            if path.startswith("/api/"):
                assert r.status_code == 401, (method, url, r.status_code)
            else:
                assert (r.status_code, r.headers.get("location")) == (303, "/login"), (method, url, r.status_code)
            assert "renkou_session" not in r.cookies
        assert c.get("/static/renkou.css").status_code == 200 and c.get("/favicon.ico").status_code == 204
        assert c.post("/logout", follow_redirects=False).headers["location"] == "/login"


HUGE = "99999999999999999999"  # beyond 64 bits


@pytest.mark.parametrize("user", ["cun", "xiang", "xian", "shenji"])
def test_numbers_beyond_64_bits_are_no_server_error(db, user):
    """Every route, with every path parameter and every query parameter a number beyond 64 bits: never a
    500 — a path id that names nothing is 404."""
    web = Web(db)
    try:
        web.as_(user)
        token = web.token("/")
        c = TestClient(web.app, raise_server_exceptions=False, cookies=web.c.cookies)
        errors = []
        for route in iter_route_contexts(web.app.routes):
            if isinstance(route.original_route, Mount) or route.path in ("/login", "/logout", "/lang"):
                continue
            url = re.sub(r"\{[^}]+\}", HUGE, route.path)
            params = {n: HUGE for n in (*query_names(route.dependant), *EXTRA_QUERY)}
            for method in route.methods:
                r = c.request(method, url, params=params, data={"csrf_token": token} if method == "POST" else None, follow_redirects=False)
                if r.status_code >= 500:
                    errors.append((method, route.path, r.status_code))
                elif method == "GET" and re.search(r"\{(pid|eid|n|number|f|line)\}", route.path) and r.status_code not in (403, 404):
                    errors.append((method, route.path, r.status_code))
        assert errors == [], user
    finally:
        web.close()
