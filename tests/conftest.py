"""Shared fixtures. Every storage test takes `db` and runs once on SQLite and once on PostgreSQL
(when a server answers at RENKOU_TEST_PG, default 127.0.0.1:5432 database test), each in a fresh,
migrated database: a temporary SQLite file, or a fresh PostgreSQL schema dropped afterwards."""

from __future__ import annotations

import datetime as dt
import os
import shutil
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


@pytest.fixture(scope="session")
def _migrated_templates(tmp_path_factory) -> Iterator[dict[str, str]]:
    """One empty, migrated database per backend for the whole run, made on first use: every ``db`` is a
    copy of it (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL), which costs a tenth of
    running the migrations again for each of several hundred tests."""
    made: dict[str, str] = {}
    yield made
    if "postgresql" in made:
        with _pg_admin().connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{made["postgresql"]}" WITH (FORCE)'))


def _pg_admin():
    global _ADMIN
    if _ADMIN is None:
        _ADMIN = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    return _ADMIN


_ADMIN = None


def _pg_url(name: str) -> str:
    return PG_URL.rsplit("/", 1)[0] + "/" + name


def migrated_db(backend: str, tmp_path, templates: dict[str, str]) -> tuple[Database, callable]:
    """A fresh database with every migration applied (see _migrated_templates)."""
    if backend == "sqlite":
        if "sqlite" not in templates:
            path = tmp_path.parent / f"template-{uuid.uuid4().hex[:8]}.db"
            tpl = Database(f"sqlite:///{path}")
            migrate.upgrade(tpl)
            tpl.dispose()  # the last connection closed: the WAL is checkpointed into the file
            templates["sqlite"] = str(path)
        shutil.copyfile(templates["sqlite"], tmp_path / "test.db")
        db = Database(f"sqlite:///{tmp_path / 'test.db'}")
        return db, db.dispose
    if "postgresql" not in templates:
        name = f"rk_tpl_{uuid.uuid4().hex[:12]}"
        with _pg_admin().connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        tpl = Database(_pg_url(name))
        migrate.upgrade(tpl)
        tpl.dispose()  # CREATE DATABASE ... TEMPLATE needs the template without connections
        templates["postgresql"] = name
    name = f"rk_{uuid.uuid4().hex[:12]}"
    with _pg_admin().connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{templates["postgresql"]}"'))
    db = Database(_pg_url(name))

    def drop() -> None:
        db.dispose()
        with _pg_admin().connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return db, drop


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path, _migrated_templates) -> Iterator[Database]:
    database, cleanup = migrated_db(request.param, tmp_path, _migrated_templates)
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
