"""Create or upgrade a database to the newest schema with Alembic (no alembic.ini needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from renkou.storage.db import Database
from renkou.storage.schema import Base

MIGRATIONS = Path(__file__).with_name("migrations")


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    _run(db, command.upgrade, revision)


def downgrade(db: Database, revision: str) -> None:
    _run(db, command.downgrade, revision)


def _run(db: Database, step: Callable[[Config, str], None], revision: str) -> None:
    """Run ``step`` on one connection. On SQLite the foreign keys are not enforced meanwhile (a
    migration may copy a table others refer to: SQLite's own procedure for changing a table), and are
    checked, all of them, before the connection goes back to the pool."""
    with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside any transaction, as SQLite requires
            conn.commit()
        try:
            with conn.begin():
                cfg = config()
                cfg.attributes["connection"] = conn
                step(cfg, revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def current(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str | None:
    return ScriptDirectory.from_config(config()).get_current_head()


def drift(db: Database) -> list[Any]:
    """Differences between the models and the migrated database (empty when they agree)."""
    with db.engine.connect() as conn:
        diffs: list[Any] = compare_metadata(MigrationContext.configure(conn), Base.metadata)  # Alembic's diff tuples
        return diffs
