"""The one storage layer: schema, migrations, connections, the change feed and the audit hook.

* ``schema`` — the tables (SQLAlchemy 2 declarative): ``Person``, ``Event``, ``OrgUnit``, …;
* ``db`` — connections and transactions with the change feed and audit: ``Database``, ``Actor``;
* ``migrate`` — create or upgrade a database with Alembic: ``upgrade``, ``current``, ``head``.
"""
