import pytest
from sqlalchemy import text

from renkou.registry import audit, events, persons
from renkou.storage import migrate
from renkou.storage.db import Actor
from tests.helpers import ACTOR, SYSTEM, V1, D, add_resident, build_units


def test_migrations_match_models(db):
    assert migrate.current(db) == migrate.head()
    assert migrate.drift(db) == []


def test_upgrade_is_idempotent(db):
    migrate.upgrade(db)
    assert migrate.current(db) == migrate.head()


@pytest.mark.parametrize("table", ["audit_entry", "event", "changeset", "org_version", "person", "org_unit"])
def test_history_cannot_be_rewritten_by_any_client(db, table):
    """Triggers refuse UPDATE/DELETE on append-only tables, and DELETE on registry tables, whoever connects."""
    build_units(db)
    with db.write(ACTOR) as s:
        p = add_resident(s, "测试", "M", D(1970, 1, 1), V1, 1)
        events.record(s, SYSTEM, "death", p, D(2020, 1, 1))
    with db.write(Actor("x")) as s:
        audit.reveal(s, persons.get_person(s, p.id_number), "id_number", "test")
    statements = [f"DELETE FROM {table}"]
    if table not in ("person", "org_unit"):
        statements.append(f"UPDATE {table} SET id = id")
    for sql in statements:
        with pytest.raises(Exception, match="not allowed"):
            with db.engine.begin() as c:
                c.execute(text(sql))


def test_the_death_check_of_population_counts_uses_the_person_index(tmp_path):
    """SQLite, without statistics, once chose the (kind, date) index for "dead by then?" and scanned
    every death for every person; (person_id, kind, date) must win whatever the data."""
    import datetime as dt

    from sqlalchemy import func, select

    from renkou.registry import asof
    from renkou.storage import migrate
    from renkou.storage.db import Database
    from renkou.storage.schema import Person

    db = Database(f"sqlite:///{tmp_path / 'plan.db'}")
    migrate.upgrade(db)
    d = dt.date(2020, 1, 1)
    lt = asof.latest("residence", d)
    col = lt.c["residence_unit_id"]
    q = select(col, Person.sex, func.count()).join(Person, Person.id == lt.c.person_id).where(asof.alive(d)).group_by(col, Person.sex)
    with db.read() as s:
        sql = str(q.compile(s.bind, compile_kwargs={"literal_binds": True}))
        plan = [row[3] for row in s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    db.dispose()
    death_lookups = [p for p in plan if "event_2" in p]
    assert death_lookups and all("ix_event_person_kind_date" in p for p in death_lookups), plan


def test_accounts_made_before_0010_keep_their_passwords(db):
    """Migration 0010 adds ``password_must_change``: false for every account that already exists (their
    owners chose those passwords), on SQLite and PostgreSQL, and down and up again keeps the accounts."""
    from renkou.auth import accounts
    from tests.helpers import COUNTY

    build_units(db)
    with db.write(ACTOR) as s:
        accounts.create_account(s, username="laoyuan", display_name="老员", role="auditor", unit_code=COUNTY, password="Old.Staff-2026")
        accounts.create_account(
            s, username="xinyuan", display_name="新员", role="auditor", unit_code=COUNTY, password="New.Staff-2026", must_change=True
        )
    migrate.downgrade(db, "0009")
    from sqlalchemy import inspect

    with db.engine.connect() as c:
        assert "password_must_change" not in {col["name"] for col in inspect(c).get_columns("account")}
    migrate.upgrade(db)
    assert migrate.current(db) == migrate.head() and migrate.drift(db) == []
    with db.read() as s:
        flags = dict(s.execute(text("SELECT username, password_must_change FROM account")).all())
    assert {k: bool(v) for k, v in flags.items()} == {"laoyuan": False, "xinyuan": False}
