"""Shared fixtures. Every storage test takes `db` and runs once on SQLite and once on PostgreSQL
(when a server answers at RENKOU_TEST_PG, default 127.0.0.1:5432 database test), each in a fresh,
migrated database: a temporary SQLite file, or a fresh PostgreSQL schema dropped afterwards."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from renkou.storage import migrate
from renkou.storage.db import Actor, Database

os.environ.setdefault("COLUMNS", "240")  # wide tables in captured CLI output, as in a wide terminal
os.environ.setdefault("RENKOU_ARGON2_PROFILE", "test")  # argon2id with tiny costs: hashing is not what tests test
# Property tests: the same examples on every run of `make test`, so a landing never depends on luck; a
# counterexample found while exploring (HYPOTHESIS_PROFILE=explore, random and longer) becomes an @example.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=1000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
PG_URL = os.environ.get("RENKOU_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_answers() -> bool:
    try:
        eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
        eng.dispose()
        return True
    except Exception:
        return False


PG = _pg_answers()
if os.environ.get("CI") and not PG and os.environ.get("RENKOU_REQUIRE_PG", "1") == "1" and os.path.exists("/etc/postgresql"):
    raise RuntimeError(f"PostgreSQL is installed on this CI machine but does not answer at {PG_URL}")
BACKENDS = ["sqlite", "postgresql"] if PG else ["sqlite"]


def pytest_report_header(config: pytest.Config) -> str:
    return f"renkou storage backends: {', '.join(BACKENDS)}"


def make_db(backend: str, tmp_path) -> tuple[Database, callable]:
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'test.db'}")
        return db, db.dispose
    schema = f"rk_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(PG_URL, connect_args={"options": f"-csearch_path={schema}"})

    def drop() -> None:
        db.dispose()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return db, drop


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:
    database, cleanup = make_db(request.param, tmp_path)
    migrate.upgrade(database)
    try:
        yield database
    finally:
        cleanup()


@pytest.fixture
def actor() -> Actor:
    return Actor("tester", "cli", "pytest")


@pytest.fixture
def today() -> dt.date:
    return dt.date(2026, 11, 1)
