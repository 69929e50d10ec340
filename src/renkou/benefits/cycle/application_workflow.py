"""The statuses of a benefit application and the transitions between them, as data
(renkou.core.workflow): the steps of renkou.benefits.cycle.applications, posting and objections
move an application only along these; the database's CHECK refuses any other status.

    applied → village_reviewed → posting → posted → township_reviewed → confirmed
    (rejected from applied, posting, posted or township_reviewed)
"""

from __future__ import annotations

from typing import Any

from renkou.core.workflow import Workflow

STATUSES = {
    "applied": ("待村级审核", "awaiting the village review"),
    "village_reviewed": ("待公示", "awaiting the posting"),
    "posting": ("公示中", "being posted"),
    "posted": ("待乡镇审核", "awaiting the township review"),
    "township_reviewed": ("待县级确认", "awaiting the county confirmation"),
    "confirmed": ("已确认", "confirmed"),
    "rejected": ("不予通过", "rejected"),
}
TRANSITIONS = frozenset(
    {
        ("applied", "village_reviewed"),
        ("village_reviewed", "posting"),
        ("posting", "posted"),
        ("posted", "township_reviewed"),
        ("township_reviewed", "confirmed"),
        ("applied", "rejected"),  # the village review
        ("posting", "rejected"),
        ("posted", "rejected"),  # an objection upheld, or the township review
        ("township_reviewed", "rejected"),  # the county
    }
)
WORKFLOW = Workflow("application", STATUSES, frozenset({"applied"}), TRANSITIONS)


def move(app: Any, to: str) -> None:
    WORKFLOW.move(app, to)


__all__ = ["STATUSES", "TRANSITIONS", "WORKFLOW", "move"]
