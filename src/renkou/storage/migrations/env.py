"""Alembic environment: runs on the connection handed over by renkou.storage.migrate."""

from alembic import context

from renkou.storage.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `renkou init` (renkou.storage.migrate.upgrade)")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
