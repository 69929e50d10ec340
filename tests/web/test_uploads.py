"""Request bodies (renkou.web.uploads): too large is refused from Content-Length or while it streams,
and a request that is not signed in, or may not upload there, is refused before a byte of its body
is read — nothing parsed, nothing spooled to disk."""

import asyncio
import time

import pyotp
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from helpers import ACTOR, COUNTY, T1, V1, D, build_units, pid, totp_code
from renkou.auth import accounts
from renkou.config import Settings
from renkou.errors import UserError
from renkou.storage.schema import Person
from renkou.web import app as web
from renkou.web.security import COOKIE
from renkou.web.uploads import SMALL_FORM_BYTES, upload_permission

PW = "Village.Work-2026"
MB = 2**20


@pytest.fixture
def env(db, tmp_path):
    build_units(db)
    with db.write(ACTOR) as s:
        accounts.create_account(s, username="xiang", display_name="乡干部", role="township_officer", unit_code=T1, password=PW)
        accounts.create_account(s, username="cun", display_name="村干部", role="village_worker", unit_code=V1, password=PW)
        acc = accounts.create_account(s, username="jiangfu", display_name="奖扶", role="benefit_admin", unit_code=COUNTY, password=PW)
        secret, _ = accounts.start_totp(acc)
        accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
        token = accounts.create_token(s, acc, "bank robot")
    app = web.create_app(db, secret="k", secure_cookies=False, settings=Settings(max_upload_mb=1))
    app.state.import_dir = tmp_path / "imports"
    return app, db, secret, token


def signed_in(app, db, user, secret=None) -> tuple[str, str]:
    """(session cookie, CSRF token) of ``user``."""
    c = TestClient(app)
    t = c.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    code = totp_code(db, user, secret) if secret else ""
    assert (
        c.post("/login", data={"username": user, "password": PW, "totp": code, "csrf_token": t}, follow_redirects=False).status_code == 303
    )
    page = c.get("/").text
    return c.cookies.get(COOKIE), page.split('name="csrf_token" value="')[1].split('"')[0]


def multipart(csrf: str, size: int) -> tuple[bytes, str]:
    boundary = "renkoutestboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\npersons\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    body += b"x" * size + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def call(app, path: str, body: bytes, headers: dict[str, str], *, length: bool = True, chunk: int = 64 * 1024) -> tuple[int, dict, int]:
    """POST ``body`` straight through the ASGI interface: (status, response headers, bytes the application read)."""
    chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
    read = 0
    sent: list[dict] = []

    async def receive():
        nonlocal read
        if not chunks:
            await asyncio.sleep(3600)  # the client waits for the answer
        part = chunks.pop(0)
        read += len(part)
        return {"type": "http.request", "body": part, "more_body": bool(chunks)}

    async def send(message):
        sent.append(message)

    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if length:
        raw.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": ("203.0.113.5", 40000),
        "server": ("testserver", 80),
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, read


def test_a_forged_cookie_is_refused_before_the_body_is_read(env):
    app, *_ = env
    body, ctype = multipart("forged", 3 * MB // 4)
    status, _, read = call(app, "/import", body, {"content-type": ctype, "cookie": f"{COOKIE}=forged.cookie.value"})
    assert status == 403 and read == 0
    assert not app.state.import_dir.exists() or not list(app.state.import_dir.glob("*/upload/*"))


@pytest.mark.parametrize(
    "path, expect", [("/import", (303, "/login")), ("/benefits/import", (303, "/login")), ("/api/v1/persons/x/reveal", (401, None))]
)
def test_no_session_no_body_read(env, path, expect):
    app, *_ = env
    body, ctype = multipart("", MB // 2)
    status, headers, read = call(app, path, body, {"content-type": ctype})
    assert (status, headers.get("location")) == expect and read == 0


def test_an_ended_session_is_refused_before_the_body_is_read(env):
    app, db, *_ = env
    cookie, csrf = signed_in(app, db, "xiang")
    with db.write(ACTOR) as s:
        accounts.end_sessions(s, accounts.get_account(s, "xiang"))
    body, ctype = multipart(csrf, MB // 2)
    status, headers, read = call(app, "/import", body, {"content-type": ctype, "cookie": f"{COOKIE}={cookie}"})
    assert (status, headers.get("location"), read) == (303, "/login", 0)


@pytest.mark.parametrize(
    "user, path",
    [
        ("cun", "/import"),  # the village worker may not import
        ("xiang", "/persons/1/reveal"),  # no upload is taken there
        ("xiang", "/benefits/batches/1/result"),
    ],
)  # the county pays, not the township
def test_an_upload_without_the_permission_is_refused_before_the_body_is_read(env, user, path):
    app, db, *_ = env
    cookie, csrf = signed_in(app, db, user)
    body, ctype = multipart(csrf, MB // 2)
    status, _, read = call(app, path, body, {"content-type": ctype, "cookie": f"{COOKIE}={cookie}"})
    assert status == 403 and read == 0


def test_too_large_by_its_content_length_is_refused_before_it_is_read(env):
    app, db, *_ = env
    cookie, csrf = signed_in(app, db, "xiang")
    body, ctype = multipart(csrf, MB + 1)
    status, headers, read = call(app, "/import", body, {"content-type": ctype, "cookie": f"{COOKIE}={cookie}"})
    assert status == 413 and read == 0 and headers["connection"] == "close"


def test_too_large_while_streaming_stops_the_reading(env):
    """A body sent in chunks without a length: counted as it arrives, refused past the limit."""
    app, db, *_ = env
    cookie, csrf = signed_in(app, db, "xiang")
    body, ctype = multipart(csrf, 3 * MB)
    status, _, read = call(app, "/import", body, {"content-type": ctype, "cookie": f"{COOKIE}={cookie}"}, length=False)
    assert status == 413 and MB < read <= MB + 64 * 1024
    assert not app.state.import_dir.exists() or not list(app.state.import_dir.glob("*/upload/*"))


def test_within_the_limit_the_upload_goes_through(env):
    app, db, *_ = env
    cookie, csrf = signed_in(app, db, "xiang")
    body, ctype = multipart(csrf, 1000)
    status, headers, read = call(app, "/import", body, {"content-type": ctype, "cookie": f"{COOKIE}={cookie}"}, length=False)
    assert status == 303 and headers["location"].startswith("/import/") and read == len(body)


def test_an_api_token_may_post_and_a_bad_one_may_not(env):
    app, db, secret, token = env
    body = b'{"reason": "check"}'
    for auth, expect in ((f"Bearer {token}", 404), ("Bearer rk_wrong", 401)):
        status, _, _ = call(app, "/api/v1/persons/x/reveal", body, {"content-type": "application/json", "authorization": auth})
        assert status == expect


def test_the_sign_in_form_is_small(env):
    app, *_ = env
    status, _, read = call(app, "/login", b"username=" + b"a" * SMALL_FORM_BYTES, {"content-type": "application/x-www-form-urlencoded"})
    assert status == 413 and read == 0


def test_upload_routes_and_their_permissions():
    assert upload_permission("/import") == "import:write" and upload_permission("/benefits/batches/12/result") == "payment:manage"
    assert upload_permission("/import/abc/commit") is None and upload_permission("/benefits/batches/x/result") is None


@pytest.mark.parametrize("raw, mb", [(None, 50), ("", 50), ("200", 200)])
def test_the_upload_limit_setting(raw, mb):
    assert Settings.from_env({} if raw is None else {"RENKOU_MAX_UPLOAD_MB": raw}).max_upload_mb == mb


@pytest.mark.parametrize("raw", ["0", "-5", "lots"])
def test_a_wrong_upload_limit_is_refused(raw):
    with pytest.raises(UserError, match="RENKOU_MAX_UPLOAD_MB"):
        Settings.from_env({"RENKOU_MAX_UPLOAD_MB": raw})


def test_the_web_import_takes_the_row_limit(db, tmp_path):
    build_units(db)
    with db.write(ACTOR) as s:
        accounts.create_account(s, username="xiang", display_name="乡干部", role="township_officer", unit_code=T1, password=PW)
    app = web.create_app(db, secret="k", secure_cookies=False, settings=Settings(import_max_rows=1))
    app.state.import_dir = tmp_path / "imports"
    cookie, csrf = signed_in(app, db, "xiang")
    c = TestClient(app, cookies={COOKIE: cookie})
    head = "身份证号码,姓名,性别,出生日期,户籍地代码,居住地代码\n"
    rows = "".join(f"{pid(D(1990, 1, 1 + n), 'F', n)},王{n},女,1990-01-0{1 + n},{V1},{V1}\n" for n in range(2))
    r = c.post(
        "/import",
        data={"csrf_token": csrf, "kind": "persons"},
        files={"file": ("p.csv", (head + rows).encode(), "text/csv")},
        follow_redirects=False,
    )
    job = r.headers["location"]
    for _ in range(300):  # the check runs in a thread: wait until its page no longer polls for progress
        page = c.get(job).text
        if "/progress" not in page:
            break
        time.sleep(0.1)
    assert "超过 1 行" in page and "more than 1 data rows" not in page  # the page's language: Chinese
    with db.read() as s:
        assert s.scalar(select(func.count(Person.id))) == 0
