"""The statuses of an exit (a recipient's end of receiving) and their transitions, as data
(renkou.core.workflow): proposed (from the registry's events or the annual re-confirmation),
then confirmed or dismissed by an officer (renkou.benefits.cycle.exits.decide), once."""

from __future__ import annotations

from typing import Any

from renkou.core.workflow import Workflow

STATUSES = {"proposed": ("待确认", "proposed"), "confirmed": ("已确认退出", "confirmed"), "dismissed": ("不予退出", "dismissed")}
TRANSITIONS = frozenset({("proposed", "confirmed"), ("proposed", "dismissed")})
WORKFLOW = Workflow("exit", STATUSES, frozenset({"proposed"}), TRANSITIONS)


def move(exit_: Any, to: str) -> None:
    WORKFLOW.move(exit_, to)


__all__ = ["STATUSES", "TRANSITIONS", "WORKFLOW", "move"]
