"""The statuses of a payment line and their transitions, as data (renkou.core.workflow).

A line starts pending in its batch; the checks block it or let it be (renkou.benefits.payments.checks);
a cleared finding returns it to pending (its batch still a draft) or to the queue; the release sends
the pending lines to the bank; the bank's result marks each paid or, failed, queued for a later batch,
which takes it in pending again. A line not yet released may be voided.
"""

from __future__ import annotations

from typing import Any

from renkou.core.workflow import Workflow

STATUSES = {
    "pending": ("待发放", "pending"),
    "blocked": ("已拦截", "blocked"),
    "released": ("已提交银行", "released"),
    "paid": ("已发放", "paid"),
    "queued": ("待重新发放", "queued"),
    "void": ("已作废", "void"),
}
TRANSITIONS = frozenset(
    {
        ("pending", "blocked"),
        ("blocked", "pending"),
        ("blocked", "queued"),  # the checks, a finding cleared
        ("pending", "released"),  # the release
        ("released", "paid"),
        ("released", "queued"),  # the bank's result
        ("queued", "pending"),  # taken into a later batch
        ("pending", "void"),
        ("blocked", "void"),
        ("queued", "void"),
    }
)
WORKFLOW = Workflow("payment line", STATUSES, frozenset({"pending"}), TRANSITIONS)


def move(line: Any, to: str) -> None:
    WORKFLOW.move(line, to)


__all__ = ["STATUSES", "TRANSITIONS", "WORKFLOW", "move"]
