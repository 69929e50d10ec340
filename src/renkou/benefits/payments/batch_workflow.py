"""The statuses of a payment batch and their transitions, as data (renkou.core.workflow): a draft
(checked as often as needed) is released to the bank (renkou.benefits.payments.release), and settled
when the bank's result file leaves no line awaiting it (renkou.benefits.payments.bankfile)."""

from __future__ import annotations

from typing import Any

from renkou.core.workflow import Workflow

STATUSES = {
    "draft": ("草稿：待核查放行", "draft: to check and release"),
    "released": ("已提交银行", "released to the bank"),
    "settled": ("已结清", "settled"),
}
TRANSITIONS = frozenset({("draft", "released"), ("released", "settled")})
WORKFLOW = Workflow("payment batch", STATUSES, frozenset({"draft"}), TRANSITIONS)


def move(batch: Any, to: str) -> None:
    WORKFLOW.move(batch, to)


__all__ = ["STATUSES", "TRANSITIONS", "WORKFLOW", "move"]
