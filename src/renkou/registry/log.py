"""The event log's one reading rule: which events are in force (nothing supersedes them and they
are not themselves retractions). Every reader of the log — the as-of state, the write services,
statistics, checks — selects events through it. Not the place for writing events (renkou.registry.events).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists
from sqlalchemy.orm import aliased

from renkou.storage.schema import Event

__all__ = ["in_force"]


def in_force(ev: Any = Event) -> ColumnElement[bool]:
    """SQL condition: the event ``ev`` (Event, or an alias of it) is not superseded by a correction or
    retraction, and is not itself one."""
    later = aliased(Event)
    return and_(ev.kind != "retraction", ~exists().where(later.supersedes_id == ev.id))
