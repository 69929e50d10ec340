"""Request bodies: how large, and from whom, before anything reads them.

`UploadGuard` is a pure ASGI middleware in front of the application. For every state-changing
request (POST, PUT, PATCH, DELETE) it

* refuses with 413 a body whose ``Content-Length`` is over the limit (setting
  ``RENKOU_MAX_UPLOAD_MB``; the sign-in, language and sign-out forms: ``SMALL_FORM_BYTES``), and
  counts the bytes as they arrive, answering 413 and stopping the application's reading past the
  limit (a body sent without a length, in chunks);
* refuses, before reading a byte of the body, a request that is not signed in: no valid session
  (renkou.auth.accounts.session_account) and no valid API token — to sign in (303) for the pages,
  401 for /api; a session cookie that is not this site's (forged or expired) is 403, as the CSRF
  check would have said;
* accepts a multipart body (a file upload) only on the upload routes (``UPLOADS``) and only from a
  role with that route's permission (403 otherwise), so that nobody else's file is parsed or
  spooled to disk.

The form-level checks (CSRF token, the route's own permission and area rules) still run in the
application after this; this module is only the door in front of it.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from renkou.auth import accounts
from renkou.auth.roles import Role, allows
from renkou.web.security import COOKIE, UNSAFE

SMALL_FORMS = ("/login", "/lang", "/logout")  # open to anyone (or to any session); small url-encoded forms
SMALL_FORM_BYTES = 64 * 1024
UPLOADS = (
    (re.compile(r"/import"), "import:write"),
    (re.compile(r"/benefits/import"), "benefit:apply"),
    (re.compile(r"/benefits/batches/\d+/result"), "payment:manage"),
)


def upload_permission(path: str) -> str | None:
    """The permission an upload (multipart body) to ``path`` needs; None where no upload is taken."""
    return next((perm for pattern, perm in UPLOADS if pattern.fullmatch(path)), None)


def _role(state, headers: Headers) -> tuple[Role | None, bool]:
    """(the role of the request's account or token, or None; whether a cookie is present but not this site's)."""
    cookies = cookie_parser(headers.get("cookie", ""))
    auth = headers.get("authorization", "")
    with state.db.read() as s:
        if COOKIE in cookies:
            sess = state.sessions.read(cookies[COOKIE])
            if sess is None:
                return None, True
            acc = accounts.session_account(s, sess.account_id, sess.issued)
            return (Role(acc.role) if acc is not None else None), False
        if auth.lower().startswith("bearer "):
            login = accounts.login_by_token(s, auth[7:])
            return (login.role if login is not None else None), False
    return None, False


def _text(status: int, zh: str, en: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    return status, f"{zh}\n{en}\n".encode(), {"content-type": "text/plain; charset=utf-8", **(headers or {})}


class UploadGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        path = scope["path"]
        small = path in SMALL_FORMS
        limit = SMALL_FORM_BYTES if small else state.settings.max_upload_mb * 2**20
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > limit):
            await _answer(send, *self.too_large(limit))
            return
        if not small:
            refusal = await run_in_threadpool(self.refusal, state, path, headers)
            if refusal is not None:
                await _answer(send, *refusal)
                return
        await self.counted(scope, receive, send, limit)

    @staticmethod
    def too_large(limit: int) -> tuple[int, bytes, dict[str, str]]:
        if limit < 2**20:
            return _text(413, "请求内容过大", "the request is too large")
        mb = limit // 2**20
        return _text(
            413,
            f"上传的内容超过 {mb} MB 的上限；更大的文件请用命令行导入",
            f"the upload is larger than the limit of {mb} MB; import larger files with the command line",
        )

    @staticmethod
    def refusal(state, path: str, headers: Headers) -> tuple[int, bytes, dict[str, str]] | None:
        role, foreign = _role(state, headers)
        if foreign:
            return _text(
                403,
                "表单已过期或并非来自本站，请刷新页面后重试",
                "the form has expired or did not come from this site; reload the page and try again",
            )
        if role is None:
            if path.startswith("/api/"):
                return _text(401, "未登录或令牌无效", "not signed in or invalid token")
            return 303, b"", {"location": "/login"}
        if headers.get("content-type", "").lower().startswith("multipart/"):
            permission = upload_permission(path)
            if permission is None or not allows(role, permission):
                return _text(403, "无权上传文件到此处", "not permitted to upload a file here")
        return None

    async def counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the application, counting the body's bytes; past ``limit``, answer 413 and tell the
        application the client has gone (it stops reading; what it sends after is dropped)."""
        received = 0
        started = answered = False

        async def receive_counted() -> Message:
            nonlocal received, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not started:
                        await _answer(send, *self.too_large(limit))
                    answered = True
                    return {"type": "http.disconnect"}
            return message

        async def send_unless_answered(message: Message) -> None:
            nonlocal started
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive_counted, send_unless_answered)
        except Exception:
            if not answered:
                raise  # the application's own failure; a refused body's reading ends here quietly


async def _answer(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(k.encode(), v.encode()) for k, v in {**headers, "content-length": str(len(body)), "connection": "close"}.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
