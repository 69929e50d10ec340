"""The benefit pages under test: the hand-built county of tests/benefits (families.Builder, one account
per role and area from cycle_kit.ACCOUNTS, the county roles enrolled for TOTP), the web application
on it, and a client that signs in as any of those accounts and posts forms with the session's token.

    web = Web(db)                       # the county, its accounts, the app and a client
    family_of_reward(web.b, "li")       # families as in tests/benefits
    web.as_("cun")                      # sign in (signs out whoever was in)
    r = web.post("/benefits/apply", {...})
    n = web.desk.apply("cun", "li_f")   # or take steps through the services directly
"""

from __future__ import annotations

import re

import pyotp
from starlette.testclient import TestClient

from renkou.auth import accounts
from renkou.web import app as web_app
from tests.benefits.cycle_kit import ACCOUNTS, PW, SETTINGS, Desk
from tests.benefits.families import ACTOR
from tests.helpers import totp_code

TOTP_ROLES = {"benefit_admin", "county_statistician", "auditor", "sysadmin"}


class Web:
    def __init__(self, db, *, settings=SETTINGS) -> None:
        self.db = db
        self.desk = Desk(db, settings=settings)
        self.b = self.desk.b
        self.secrets: dict[str, str] = {}
        with db.write(ACTOR) as s:
            for name, (role, _unit) in ACCOUNTS.items():
                if role in TOTP_ROLES:
                    acc = accounts.get_account(s, name)
                    secret, _ = accounts.start_totp(acc)
                    accounts.confirm_totp(s, acc, secret, pyotp.TOTP(secret).now())
                    self.secrets[name] = secret
        self.app = web_app.create_app(db, secret="k", secure_cookies=False, settings=settings)
        self.c = TestClient(self.app)
        self.c.__enter__()
        self.user: str | None = None

    def close(self) -> None:
        self.c.__exit__(None, None, None)

    def as_(self, user: str) -> Web:
        """Sign in as ``user`` (after signing out whoever was signed in)."""
        self.c.cookies.clear()
        t = self.token("/login")
        code = totp_code(self.db, user, self.secrets[user]) if user in self.secrets else ""
        r = self.c.post("/login", data={"username": user, "password": PW, "totp": code, "csrf_token": t}, follow_redirects=False)
        assert r.status_code == 303, r.text[:300]
        self.user = user
        return self

    def token(self, url: str = "/benefits") -> str:
        return self.c.get(url).text.split('name="csrf_token" value="')[1].split('"')[0]

    def get(self, url: str, **kw):
        return self.c.get(url, **kw)

    def post(self, url: str, data: dict | None = None, *, files=None, token: str | None = None):
        """POST a form with the session's CSRF token (or ``token``), not following the redirect."""
        body = {"csrf_token": self.token() if token is None else token, **(data or {})}
        return self.c.post(url, data=body, files=files, follow_redirects=False)

    def id(self, key: str) -> int:
        return self.b.ids[key]


def text(html: str) -> str:
    """The page's visible text, tags removed and white space collapsed (for assertions on wording)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
