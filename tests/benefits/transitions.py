"""Every status a test's services give a workflow's record, seen by the ORM itself (an attribute event
on each status column, not the workflows' own ``move``), so that a service changing a status by
hand, outside renkou.core.workflow, is seen too."""

from __future__ import annotations

from sqlalchemy import event

from renkou.benefits.cycle import application_workflow, exit_workflow
from renkou.benefits.payments import batch_workflow, line_workflow
from renkou.storage.schema import BenefitApplication, BenefitExit, PaymentBatch, PaymentLine

WORKFLOWS = {
    BenefitApplication: application_workflow.WORKFLOW,
    BenefitExit: exit_workflow.WORKFLOW,
    PaymentBatch: batch_workflow.WORKFLOW,
    PaymentLine: line_workflow.WORKFLOW,
}


class Seen:
    """(workflow name, from, to) of every status set while listening; from is None for a new record."""

    def __init__(self) -> None:
        self.moves: list[tuple[str, str | None, str]] = []
        self._listeners = []

    def __enter__(self) -> Seen:
        for model, wf in WORKFLOWS.items():

            def on_set(target, value, old, initiator, wf=wf):
                self.moves.append((wf.name, old if isinstance(old, str) else None, value))

            event.listen(model.status, "set", on_set, active_history=True)
            self._listeners.append((model.status, on_set))
        return self

    def __exit__(self, *exc) -> None:
        for attr, fn in self._listeners:
            event.remove(attr, "set", fn)

    def unlisted(self) -> list[tuple[str, str | None, str]]:
        """The moves no workflow lists: a transition not in TRANSITIONS, or a start not in its starts."""
        by_name = {wf.name: wf for wf in WORKFLOWS.values()}
        out = []
        for name, frm, to in self.moves:
            wf = by_name[name]
            if (frm is None and to not in wf.starts) or (frm is not None and frm != to and (frm, to) not in wf.transitions):
                out.append((name, frm, to))
        return out
