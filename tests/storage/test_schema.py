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
