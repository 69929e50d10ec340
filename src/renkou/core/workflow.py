"""A workflow as data: its statuses (with their Chinese and English names), the status a record may
start in, and the transitions allowed between statuses; ``move`` is how a service changes a record's
status, refusing a transition that is not listed.

A refused transition is a programming error (RuntimeError), not a user's mistake: the services first
check, with a message for the user, that a step is due. The same lists give the database its CHECK
constraint on the status column (renkou.storage.schema), so nothing else can store another status.

Nothing here knows a particular workflow: each has its own module (renkou.benefits.cycle.
application_workflow and exit_workflow, renkou.benefits.payments.batch_workflow and line_workflow).
Nothing here knows benefits: every capability whose records have a status (the benefit cycle today; the
reporting cycle's returns, notices and services next) declares its workflow with it. This module imports
nothing of renkou, so that renkou.storage.schema may build its CHECK constraints from the lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Workflow:
    name: str  # e.g. "application", as named in a refused transition
    statuses: Mapping[str, tuple[str, str]]  # status -> (zh, en)
    starts: frozenset[str]  # statuses a new record may have
    transitions: frozenset[tuple[str, str]]  # (from, to)

    def __post_init__(self) -> None:
        known = set(self.statuses)
        unknown = (set(self.starts) | {s for pair in self.transitions for s in pair}) - known
        if unknown:
            raise RuntimeError(f"workflow {self.name}: statuses {sorted(unknown)} are not among its statuses")

    def start(self, status: str) -> str:
        """The status of a new record, if a record may start in it."""
        if status not in self.starts:
            raise RuntimeError(f"a new {self.name} cannot start as {status!r} (allowed: {sorted(self.starts)})")
        return status

    def move(self, record: Any, to: str) -> None:
        """Set ``record.status`` to ``to``, if that transition is listed."""
        if (record.status, to) not in self.transitions:
            raise RuntimeError(f"{self.name} {getattr(record, 'id', '')}: no transition {record.status!r} -> {to!r}")
        record.status = to

    def check(self, column: str = "status") -> str:
        """The SQL of a CHECK constraint: the column holds one of the statuses."""
        return f"{column} IN ({', '.join(repr(s) for s in self.statuses)})"


__all__ = ["Workflow"]
