"""Event columns the statistics model does not carry: the hukou type and the disability grade.

renkou.stats.model keeps persons and events in force as Polars columns but not ``hukou_type`` or
``grade``. ``Details`` reads the events that carry either (one query, then only the rows written
since: the same change feed, ``seq``) up to the model's change number, so the two always describe
the same registry state. Which of them are in force is the model's business: ``in_force`` keeps the
rows whose event the model holds.
"""

from __future__ import annotations

import threading

import polars as pl
from sqlalchemy.orm import Session

from renkou.stats.model import days_sql, read_frame

SCHEMA = {"id": pl.Int64, "person": pl.Int64, "date": pl.Int32, "kind": pl.Utf8, "htype": pl.Utf8, "grade": pl.Int8}


class Details:
    def __init__(self) -> None:
        self.frame = pl.DataFrame(schema=SCHEMA)
        self.seq = 0
        self._lock = threading.Lock()

    def bring_to(self, session: Session, seq: int) -> bool:
        """Read the rows written after the last change read, up to ``seq``; True if any were."""
        with self._lock:
            if seq == self.seq:
                return False
            if seq < self.seq:  # another database, or one restored from an older backup: read it all again
                self.frame, self.seq = pl.DataFrame(schema=SCHEMA), 0
            new = read(session, self.seq, seq)
            self.seq = seq
            if new.height == 0:
                return False
            self.frame = pl.concat([self.frame.filter(~pl.col("id").is_in(new["id"].implode())), new])
            return True

    def in_force(self, events: pl.DataFrame) -> pl.DataFrame:
        """The rows whose event is in force (held by the model's ``events``)."""
        return self.frame.join(events.select("id"), on="id", how="semi")


def read(session: Session, since: int, upto: int) -> pl.DataFrame:
    d = session.get_bind().dialect.name
    sql = (
        f"SELECT id, person_id, {days_sql(d, 'date')}, kind, hukou_type, grade FROM event "
        "WHERE seq > :a AND seq <= :b AND (hukou_type IS NOT NULL OR grade IS NOT NULL)"
    )
    return read_frame(session, sql, since, upto, SCHEMA)
