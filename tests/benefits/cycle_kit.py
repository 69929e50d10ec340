"""The people who run the benefit cycle in tests — one account per role and area of the hand-built
county of tests/benefits/families.py — and a ``Desk`` that takes applications through their steps
as those accounts, with the real eligibility service (renkou.benefits.eligibility.service.Eligibility)."""

from __future__ import annotations

import datetime as dt

from renkou.auth import accounts
from renkou.auth.officer import Officer
from renkou.benefits.cycle import applications, posting
from renkou.benefits.eligibility.service import Eligibility
from renkou.config import Settings
from renkou.stats.service import Stats
from renkou.storage.db import Database
from renkou.storage.schema import Person
from tests.benefits.families import ACTOR, COMMUNITY, COUNTY, TOWN, TOWNSHIP, VILLAGE, VILLAGE2, Builder

D = dt.date
PW = "Village.Work-2026"
TODAY = D(2026, 11, 1)
SETTINGS = Settings(benefit_posting_days=7)
# username -> (role, unit)
ACCOUNTS = {
    "cun": ("village_worker", VILLAGE),
    "cun2": ("village_worker", VILLAGE2),
    "she": ("village_worker", COMMUNITY),
    "xiang": ("township_officer", TOWNSHIP),
    "zhen": ("township_officer", TOWN),
    "xian": ("benefit_admin", COUNTY),
    "xian2": ("benefit_admin", COUNTY),
    "shenji": ("auditor", COUNTY),
    "tongji": ("county_statistician", COUNTY),
}
VILLAGE_OF = {"cun": VILLAGE, "cun2": VILLAGE2, "she": COMMUNITY}
TOWNSHIP_OF = {"cun": "xiang", "cun2": "xiang", "she": "zhen"}


def family_of_reward(b: Builder, prefix: str, where: str = VILLAGE) -> None:
    """A couple in their late 60s with two daughters: both parents qualify for the reward."""
    b.couple(prefix, D(1955, 5, 5), D(1957, 6, 6), D(1978, 1, 1), where=where)
    b.child(f"{prefix}_a", "F", D(1980, 3, 3), mother=f"{prefix}_m", father=f"{prefix}_f", where=where)
    b.child(f"{prefix}_b", "F", D(1983, 4, 4), mother=f"{prefix}_m", father=f"{prefix}_f", where=where)


def add_accounts(db: Database) -> None:
    with db.write(ACTOR) as s:
        for name, (role, unit) in ACCOUNTS.items():
            accounts.create_account(s, username=name, display_name=name, role=role, unit_code=unit, password=PW)


def eligibility_for(db: Database, settings: Settings = SETTINGS) -> Eligibility:
    return Eligibility(db, settings, stats=Stats(db, settings, snapshot=False))


class Desk:
    """A county with accounts, its families (``b``, a families.Builder) and the eligibility service."""

    def __init__(self, db: Database, builder: Builder | None = None, settings: Settings = SETTINGS) -> None:
        self.db = db
        self.b = builder or Builder(db).units()
        add_accounts(db)
        self.settings = settings
        self.eligibility = eligibility_for(db, settings)
        self.programmes = self.eligibility.programmes

    def officer(self, name: str) -> Officer:
        with self.db.read() as s:
            return Officer.of(s, name)

    def id(self, key: str) -> int:
        return self.b.ids[key]

    def step(self, who: str, fn, *args, **kw):
        """Run one service function as ``who``, in its own write transaction."""
        off = self.officer(who)
        with self.db.write(off.actor) as s:
            return fn(s, off, *args, **kw)

    def apply(
        self,
        who: str,
        key: str,
        *,
        programme: str = "reward",
        year: int = 2025,
        on: D = D(2025, 3, 1),
        account: str | None = None,
        payee: str | None = None,
        attested: dict | None = None,
    ) -> int:
        """Enter an application as ``who``; by default the account is the beneficiary's own (one per person)."""
        account = account or f"62284800{self.id(key):08d}"
        if attested is None:
            attested = {c.key: on for c in self.programmes[programme].attestations} if programme in self.programmes else {}
        off = self.officer(who)
        with self.db.write(off.actor) as s:
            app = applications.apply(
                s,
                off,
                self.programmes,
                programme=programme,
                person=s.get(Person, self.id(key)),
                year=year,
                applied_on=on,
                account_no=account,
                payee=s.get(Person, self.id(payee)) if payee else None,
                attested=attested,
                today=TODAY,
            )
            return app.id

    def through_posting(
        self, number: int, *, worker: str = "cun", programme: str = "reward", year: int = 2025, starts: D = D(2025, 3, 10)
    ) -> int:
        """Village review, posting and its end 7 days later: returns the posting's number."""
        self.step(worker, applications.village_review, number, on=starts - dt.timedelta(days=5), today=TODAY)
        p = self.step(
            worker, posting.post, self.settings, programme=programme, year=year, village=VILLAGE_OF[worker], starts_on=starts, today=TODAY
        )
        self.step(worker, posting.end_posting, p.id, on=starts + dt.timedelta(days=7), today=TODAY)
        return p.id

    def recipient(
        self,
        key: str,
        *,
        programme: str = "reward",
        year: int = 2025,
        worker: str = "cun",
        county: str = "xian",
        on: D = D(2025, 3, 1),
        confirm_on: D = D(2025, 4, 1),
        account: str | None = None,
        payee: str | None = None,
    ):
        """Apply and take every step to the county's confirmation: returns the recipient."""
        n = self.apply(worker, key, programme=programme, year=year, on=on, account=account, payee=payee)
        starts = on + dt.timedelta(days=9)
        self.through_posting(n, worker=worker, programme=programme, year=year, starts=starts)
        self.step(TOWNSHIP_OF[worker], applications.township_review, n, on=starts + dt.timedelta(days=10), today=TODAY)
        return self.step(county, applications.confirm, self.eligibility, n, on=confirm_on, today=TODAY)


__all__ = [
    "ACCOUNTS",
    "COMMUNITY",
    "COUNTY",
    "D",
    "Desk",
    "SETTINGS",
    "TODAY",
    "TOWN",
    "TOWNSHIP",
    "VILLAGE",
    "VILLAGE2",
    "add_accounts",
    "family_of_reward",
    "eligibility_for",
]
