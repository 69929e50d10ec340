"""/api/v1 access control: each role against its own unit, its parent and a sibling; tokens;
tampered keys and codes; CSRF on cookie-authenticated calls — on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from helpers import ACTOR, COUNTY, T1, T2, V1, V2, V3, add_resident, build_units
from renkou.auth import accounts
from renkou.storage.schema import AuditEntry
from renkou.web import app as web

PW = "Village.Work-2026"
D = dt.date
ACCOUNTS = {  # user: (role, unit)
    "cun1": ("village_worker", V1),
    "cun2": ("village_worker", V2),
    "xiang1": ("township_officer", T1),
    "xiang2": ("township_officer", T2),
    "tongji": ("county_statistician", COUNTY),
    "shenji": ("auditor", COUNTY),
    "xitong": ("sysadmin", COUNTY),
}


@pytest.fixture
def env(db):
    build_units(db)
    tokens, people = {}, {}
    with db.write(ACTOR) as s:
        for i, v in enumerate((V1, V2, V3)):
            people[v] = add_resident(s, f"李{i}", "M", D(1980, 1, 1), v, i + 1, registered=D(2000, 1, 1)).id_number
        for user, (role, unit) in ACCOUNTS.items():
            acc = accounts.create_account(s, username=user, display_name=user, role=role, unit_code=unit, password=PW)
            tokens[user] = accounts.create_token(s, acc, "test client")
    with TestClient(web.create_app(db, secret="k", secure_cookies=False)) as c:
        yield c, tokens, people, db


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


SEES = {"cun1": {V1}, "cun2": {V2}, "xiang1": {V1, V2}, "xiang2": {V3}, "tongji": {V1, V2, V3}}


@pytest.mark.parametrize("user", sorted(SEES))
def test_person_access_matrix(env, user):
    c, tokens, people, _ = env
    for village, key in people.items():
        r = c.get(f"/api/v1/persons/{key}", headers=bearer(tokens[user]))
        if village in SEES[user]:
            assert r.status_code == 200 and r.json()["id_number"] != key and "*" in r.json()["id_number"]  # masked
        else:
            assert r.status_code == 404 and key not in r.text  # not even "it exists"
    found = {p["name"] for p in c.get("/api/v1/persons", params={"q": "李"}, headers=bearer(tokens[user])).json()}
    assert len(found) == len(SEES[user])


@pytest.mark.parametrize("user", ["shenji", "xitong"])
def test_roles_without_personal_data(env, user):
    c, tokens, people, _ = env
    assert c.get(f"/api/v1/persons/{people[V1]}", headers=bearer(tokens[user])).status_code == 403
    assert c.get("/api/v1/persons", params={"q": "李"}, headers=bearer(tokens[user])).status_code == 403


@pytest.mark.parametrize("user, own, refused", [("cun1", V1, [T1, V2, COUNTY]), ("xiang1", T1, [COUNTY, T2, V3]), ("tongji", COUNTY, [])])
def test_population_own_unit_yes_parent_and_sibling_no(env, user, own, refused):
    c, tokens, _, _ = env
    ok = c.get(f"/api/v1/population/{own}", params={"date": "2020-01-01"}, headers=bearer(tokens[user]))
    assert ok.status_code == 200 and ok.json()["code"] == own
    for code in refused:
        assert c.get(f"/api/v1/population/{code}", params={"date": "2020-01-01"}, headers=bearer(tokens[user])).status_code == 404


def test_reveal_is_audited_with_who_and_why_and_limited_to_the_scope(env):
    c, tokens, people, db = env
    r = c.post(f"/api/v1/persons/{people[V1]}/reveal", json={"reason": "核对户籍"}, headers=bearer(tokens["cun1"]))
    assert r.status_code == 200 and r.json()["id_number"] == people[V1]
    assert c.post(f"/api/v1/persons/{people[V2]}/reveal", json={"reason": "好奇"}, headers=bearer(tokens["cun1"])).status_code == 404
    assert c.post(f"/api/v1/persons/{people[V1]}/reveal", json={"reason": ""}, headers=bearer(tokens["cun1"])).status_code == 422
    with db.read() as s:
        reveals = s.scalars(select(AuditEntry).where(AuditEntry.action == "reveal")).all()
    assert len(reveals) == 1 and reveals[0].reason == "核对户籍"


def test_bad_revoked_and_missing_tokens(env):
    c, tokens, people, db = env
    assert c.get("/api/v1/me").status_code == 401
    assert c.get("/api/v1/me", headers=bearer("rk_forged")).status_code == 401
    assert c.get("/api/v1/me", headers=bearer(tokens["cun1"])).json()["scope_unit"] == V1
    with db.write(ACTOR) as s:
        assert accounts.revoke_tokens(s, accounts.get_account(s, "cun1")) == 1
    assert c.get("/api/v1/me", headers=bearer(tokens["cun1"])).status_code == 401


def test_cookie_calls_need_the_csrf_header_for_changes(env):
    c, _, people, _ = env
    page = c.get("/login").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    c.post("/login", data={"username": "cun1", "password": PW, "csrf_token": token}, follow_redirects=False)
    assert c.get(f"/api/v1/persons/{people[V1]}").status_code == 200  # reading needs no token
    home = c.get("/").text
    csrf = home.split('name="csrf_token" value="')[1].split('"')[0]
    url = f"/api/v1/persons/{people[V1]}/reveal"
    assert c.post(url, json={"reason": "核对"}).status_code == 403
    assert c.post(url, json={"reason": "核对"}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert c.post(url, json={"reason": "核对"}, headers={"X-CSRF-Token": csrf}).status_code == 200


def test_openapi_schema_documents_the_api(env):
    c, tokens, *_ = env
    assert c.get("/api/v1/openapi.json").status_code == 401  # for signed-in callers only
    paths = c.get("/api/v1/openapi.json", headers=bearer(tokens["cun1"])).json()["paths"]
    assert {"/api/v1/persons", "/api/v1/persons/{key}", "/api/v1/persons/{key}/reveal", "/api/v1/population/{code}"} <= set(paths)
