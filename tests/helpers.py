"""A hand-built little county for registry tests, built through the services (not the importer)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from renkou.auth.officer import Officer
from renkou.core import idnumber
from renkou.registry import events, orgs, persons
from renkou.storage.db import Actor, Database

D = dt.date
COUNTY = "410102"
T1, T2 = "410102100000", "410102200000"
V1, V2, V3 = "410102100201", "410102100202", "410102200201"
ACTOR = Actor("tester", "cli", "pytest")
SYSTEM = Officer.system(ACTOR)  # the registry services' officer: county-wide, writing as ACTOR


def pid(birth: dt.date, sex: str, n: int) -> str:
    """A valid ID number for a test person; ``n`` keeps numbers distinct."""
    seq = 2 * n + (1 if sex == "M" else 0)
    return idnumber.make(COUNTY, birth, seq % 1000)


@dataclass
class Small:
    db: Database


def build_units(db: Database) -> None:
    with db.write(ACTOR) as s:
        orgs.create_unit(s, code=COUNTY, name="测试县", level="county", valid_from=D(1980, 1, 1))
        orgs.create_unit(s, code=T1, name="甲镇", level="township", parent_code=COUNTY, valid_from=D(1980, 1, 1), urban_rural="121")
        orgs.create_unit(s, code=T2, name="乙乡", level="township", parent_code=COUNTY, valid_from=D(1980, 1, 1), urban_rural="210")
        for v, t, name in ((V1, T1, "一村"), (V2, T1, "二村"), (V3, T2, "三村")):
            orgs.create_unit(s, code=v, name=name, level="village", parent_code=t, valid_from=D(1980, 1, 1), urban_rural="220")


def add_resident(
    s, name: str, sex: str, birth: dt.date, village: str, n: int, *, registered: dt.date | None = None, officer: Officer = SYSTEM
):
    """A person registered (hukou and residence) in ``village`` from ``registered`` (default birth), by
    ``officer`` (default the system writing as ACTOR)."""
    p = persons.add_person(s, officer, name=name, sex=sex, birth_date=birth, id_number=pid(birth, sex, n))
    unit = orgs.get_unit(s, village)
    events.record(
        s, officer, "register", p, registered or birth, source="import", hukou_unit=unit, residence_unit=unit, hukou_type="agricultural"
    )
    return p


def totp_code(db: Database, username: str, secret: str) -> str:
    """The one-time code of ``secret`` now, for signing in as ``username``. A code is accepted once
    (renkou.auth.accounts) and the tests sign in more often than every 30 seconds, so the account's
    last accepted time step is cleared first, as if the next step had come (straight in the table:
    it is the clock the tests move, not something a user does)."""
    import pyotp
    from sqlalchemy import update

    from renkou.storage.schema import Account

    with db.engine.begin() as c:
        c.execute(update(Account.__table__).where(Account.__table__.c.username == username).values(totp_last_step=None))
    return pyotp.TOTP(secret).now()


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run `renkou ARGS...` in-process: (exit code, stdout, stderr)."""
    import pytest

    from renkou.cli.app import main

    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def cli_county(folder, capsys) -> str:
    """A migrated SQLite county made by `renkou init` in ``folder``, with the units of build_units: its URL."""
    url = f"sqlite:///{folder / 'county.db'}"
    code, _, err = run_cli(capsys, "--db", url, "init")
    assert code == 0, err
    db = Database(url)
    try:
        build_units(db)
    finally:
        db.dispose()
    return url


def table_state(url: str) -> dict[str, int]:
    """Rows in every table and the last change-feed number: equal before and after means nothing changed."""
    from sqlalchemy import func, select

    from renkou.storage.schema import Base, ChangeCounter

    db = Database(url)
    try:
        with db.read() as s:
            out = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
            out["change feed"] = s.scalar(select(ChangeCounter.value))
        return out
    finally:
        db.dispose()
