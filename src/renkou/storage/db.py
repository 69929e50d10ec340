"""Connections, transactions, the change feed and the audit hook.

Every write goes through `Database.write(actor)`: one transaction, one `Changeset` (who, when, from
where), change-feed numbers stamped on each written row, and before/after values of every updated
row written to `audit_entry` — in the data layer, so no caller can forget them.
"""

from __future__ import annotations

import datetime as dt
import getpass
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, inspect, select, text, update
from sqlalchemy import types as sa_types
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from renkou.errors import ConcurrentEdit, UserError
from renkou.storage.schema import AuditEntry, ChangeCounter, Changeset, Tracked


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Actor:
    """Who is writing and through which door: channel is cli, import, web or system."""

    name: str
    channel: str = "cli"
    origin: str = ""

    @classmethod
    def local(cls, channel: str = "cli", origin: str = "") -> Actor:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return cls(user, channel, origin or socket.gethostname())


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-131072")  # 128 MiB of page cache: index updates of bulk imports stay in memory
    cur.close()


def make_engine(url: str, **kw: Any) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":  # connections to a file are cheap: enough for a busy web server
            kw.setdefault("pool_size", 20)
            kw.setdefault("max_overflow", 40)
        engine = create_engine(u, **kw)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return create_engine(u, pool_pre_ping=True, **kw)


def allocate_seq(conn: Any, n: int) -> int:
    """Reserve ``n`` change-feed numbers; returns the first. Locks the counter until commit, so the
    numbers of concurrent writers become visible in increasing order."""
    new: int = conn.execute(
        update(ChangeCounter).where(ChangeCounter.id == 1).values(value=ChangeCounter.value + n).returning(ChangeCounter.value)
    ).scalar_one()
    return new - n + 1


def current_seq(session: Session) -> int:
    return session.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar_one()


class _CS:
    """The changeset of a write transaction, as far as callers need it."""

    def __init__(self, id_: int) -> None:
        self.id = id_


def changeset_of(session: Session) -> _CS:
    """The changeset of this write transaction, inserted on first use (so that a write transaction
    that never writes takes no write lock and leaves no trace)."""
    cs = session.info.get("changeset")
    if cs is None:
        actor: Actor = session.info["actor"]
        new_id = (
            session.connection()
            .execute(
                insert(Changeset)
                .values(
                    at=utcnow(),
                    actor=actor.name[:64],
                    channel=actor.channel,
                    origin=actor.origin[:400],
                    note=session.info.get("note", "")[:400],
                )
                .returning(Changeset.id)
            )
            .scalar_one()
        )
        cs = session.info["changeset"] = _CS(new_id)
    return cs


def _jsonable(v: Any) -> Any:
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    return v


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    new = [o for o in session.new if isinstance(o, Tracked)]
    dirty = [o for o in session.dirty if isinstance(o, Tracked) and session.is_modified(o, include_collections=False)]
    if not new and not dirty:
        return
    if "actor" not in session.info:
        raise RuntimeError("writes must go through Database.write(actor)")
    cs = changeset_of(session)
    first = allocate_seq(session.connection(), len(new) + len(dirty))
    reason = session.info.get("reason", "")
    for i, obj in enumerate(new + dirty):
        obj.seq = first + i
    for obj in new:
        obj.created_cs = cs.id
    for obj in dirty:
        state = inspect(obj)
        redact = getattr(obj, "__audit_redact__", ())
        before, after = {}, {}
        for attr in state.mapper.column_attrs:
            key = attr.key
            if key in ("seq", "version"):
                continue
            hist = state.attrs[key].history
            if hist.has_changes():
                if key in redact:  # secrets: that they changed, never their values
                    before[key], after[key] = "***", "*** (changed)"
                    continue
                before[key] = _jsonable(hist.deleted[0] if hist.deleted else None)
                after[key] = _jsonable(hist.added[0] if hist.added else None)
        if before or after:
            table = state.mapper.local_table.name
            session.add(
                AuditEntry(
                    changeset_id=cs.id,
                    action="update",
                    table_name=table,
                    row_id=obj.id,
                    person_id=obj.id if table == "person" else None,
                    before=before,
                    after=after,
                    reason=reason,
                )
            )


class Database:
    """An engine and its sessions. ``url`` is any SQLAlchemy URL (sqlite:///file.db, postgresql://...)."""

    def __init__(self, url: str, **engine_kw: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kw)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as s:
            yield s

    @contextmanager
    def write(self, actor: Actor, *, note: str = "", reason: str = "") -> Iterator[Session]:
        """A write transaction. Commits when the block ends, rolls back (changing nothing) on error."""
        with self._sessions() as s:
            s.info.update(actor=actor, note=note, reason=reason)
            try:
                yield s
                s.commit()
            except StaleDataError as exc:
                s.rollback()
                raise ConcurrentEdit("记录", "record") from exc
            except BaseException:
                s.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


event.listen(Session, "before_flush", _before_flush)

__all__ = ["Actor", "Database", "UserError", "allocate_seq", "changeset_of", "current_seq", "utcnow"]


def reserve_ids(session: Session, table: str, n: int) -> int:
    """Reserve ``n`` consecutive primary keys of ``table`` for a bulk insert; returns the first.

    Safe because every writer holds the change-counter lock (see `allocate_seq`) while it inserts.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar_one()
        top: int = conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()  # noqa: S608 - fixed names
        last: int = conn.execute(text(f"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {seq}")).scalar_one()
        first = max(top, last) + 1
        conn.execute(text("SELECT setval(:s, :v)"), {"s": seq, "v": first + n - 1})
        return first
    top = conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()  # noqa: S608 - fixed names
    return top + 1


def bulk_insert(session: Session, table: Any, columns: list[str], rows: Any, *, iso_dates: bool = False) -> None:
    """Insert many rows (tuples) at driver speed: COPY on PostgreSQL, executemany on SQLite (dates as
    ISO text, the form SQLAlchemy's SQLite Date type stores; a date already given as ISO text is
    kept; ``iso_dates`` says every date is text already). Used by imports and the synthetic county,
    inside their transaction."""
    if isinstance(rows, list) and not rows:
        return
    conn = session.connection()
    raw: Any = conn.connection.driver_connection  # the driver's own connection: psycopg's or sqlite3's
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        return
    date_cols = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, sa_types.Date)]
    if date_cols and not iso_dates:

        def fix(row: tuple[Any, ...]) -> tuple[Any, ...]:
            r = list(row)
            for i in date_cols:
                if r[i] is not None and not isinstance(r[i], str):
                    r[i] = r[i].isoformat()
            return tuple(r)

        rows = [fix(r) for r in rows]
    cur = raw.cursor()
    try:
        cur.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
    finally:
        cur.close()


@contextmanager
def deferred_indexes(session: Session, tables: list[Any]) -> Iterator[None]:
    """On SQLite, drop the plain (non-unique) indexes of ``tables`` for the length of a bulk insert and
    build them again afterwards, inside the same transaction: building an index from sorted data is
    far cheaper than a million random inserts into it. Unique indexes stay, so constraints hold
    throughout. PostgreSQL loads with COPY and keeps its indexes."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    from sqlalchemy.schema import CreateIndex, DropIndex

    # pysqlite opens a transaction only at the first INSERT/UPDATE/DELETE and would run a DROP INDEX
    # before it in autocommit mode; writing the changeset first puts the DDL inside the transaction.
    changeset_of(session)
    # in name order: SQLite's planner, lacking statistics, may break ties by index creation order,
    # and a set's order changes from process to process
    plain = sorted((ix for t in tables for ix in t.indexes if not ix.unique), key=lambda ix: ix.name)
    for ix in plain:
        conn.execute(DropIndex(ix, if_exists=True))
    yield
    for ix in plain:
        conn.execute(CreateIndex(ix, if_not_exists=True))
    # statistics for the planner after a bulk load (sampled: a second or two for millions of rows)
    conn.exec_driver_sql("PRAGMA analysis_limit=1000")
    for t in tables:
        conn.exec_driver_sql(f"ANALYZE {t.name}")
