"""The workflows as data (renkou.core.workflow): ``move`` refuses a transition its workflow does
not list, the services' transitions are all listed (every benefit test runs watched: conftest.py), and
the database's CHECK refuses a status outside the lists, on SQLite and PostgreSQL, from migration 0008."""

from __future__ import annotations

import datetime as dt
import importlib.util
from types import SimpleNamespace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from renkou.benefits.cycle import application_workflow, exit_workflow, exits
from renkou.benefits.payments import batch_workflow, batches, line_workflow, release
from renkou.storage import migrate
from renkou.storage.schema import BenefitRecipient, PaymentLine
from tests.benefits.cycle_kit import TODAY, Desk, family_of_reward

D = dt.date
MODULES = (application_workflow, exit_workflow, batch_workflow, line_workflow)
TABLES = {
    "benefit_application": application_workflow,
    "benefit_exit": exit_workflow,
    "payment_batch": batch_workflow,
    "payment_line": line_workflow,
}


@pytest.mark.parametrize("wf", MODULES, ids=lambda m: m.WORKFLOW.name)
def test_every_status_is_named_and_reached_from_a_start(wf):
    assert all(zh and en for zh, en in wf.STATUSES.values())
    reached, todo = set(wf.WORKFLOW.starts), list(wf.WORKFLOW.starts)
    while todo:
        s = todo.pop()
        for frm, to in wf.TRANSITIONS:
            if frm == s and to not in reached:
                reached.add(to)
                todo.append(to)
    assert reached == set(wf.STATUSES)


@pytest.mark.parametrize(
    "wf, frm, to",
    [
        (application_workflow, "applied", "posting"),  # the village review skipped
        (application_workflow, "rejected", "applied"),
        (application_workflow, "confirmed", "rejected"),
        (application_workflow, "village_reviewed", "rejected"),  # nobody rejects an application waiting for its posting
        (exit_workflow, "confirmed", "dismissed"),
        (exit_workflow, "dismissed", "proposed"),
        (batch_workflow, "draft", "settled"),
        (batch_workflow, "settled", "draft"),
        (line_workflow, "paid", "queued"),
        (line_workflow, "released", "void"),
        (line_workflow, "void", "pending"),
        (line_workflow, "pending", "nonsense"),
    ],
)
def test_a_transition_not_listed_is_refused(wf, frm, to):
    rec = SimpleNamespace(id=7, status=frm)
    with pytest.raises(RuntimeError, match=f"{frm}.*{to}"):
        wf.move(rec, to)
    assert rec.status == frm


@pytest.mark.parametrize(
    "wf, frm, to",
    [(wf, frm, to) for wf in MODULES for frm, to in sorted(wf.TRANSITIONS)],
    ids=lambda x: getattr(getattr(x, "WORKFLOW", None), "name", x),
)
def test_every_listed_transition_moves(wf, frm, to):
    rec = SimpleNamespace(status=frm)
    wf.move(rec, to)
    assert rec.status == to


def test_a_record_starts_only_in_a_starting_status():
    assert application_workflow.WORKFLOW.start("applied") == "applied"
    with pytest.raises(RuntimeError):
        application_workflow.WORKFLOW.start("confirmed")
    with pytest.raises(RuntimeError):
        line_workflow.WORKFLOW.start("paid")


def test_the_watch_sees_a_status_changed_by_hand(transitions):
    """The conftest's watch is not a formality: a status set outside the workflow is caught."""
    line = PaymentLine(status="pending")
    line.status = "paid"  # skipping the release
    assert transitions.moves == [("payment line", None, "pending"), ("payment line", "pending", "paid")]
    assert transitions.unlisted() == [("payment line", "pending", "paid")]
    transitions.moves.clear()  # seen: this test's own hand change is not a service's


@pytest.fixture
def desk(db):
    d = Desk(db)
    family_of_reward(d.b, "li")
    return d


def test_the_services_transitions_are_watched(desk, transitions):
    """A whole cycle and a payment run under the watch (every benefit test does): it saw them."""
    rec = desk.recipient("li_f")
    b = desk.step("xian", batches.create_batch, desk.eligibility, programme="reward", period="2025", on=D(2025, 4, 10), today=TODAY)
    desk.step("xian", release.release, desk.eligibility, b.id, on=D(2025, 4, 10), today=TODAY)
    seen = set(transitions.moves)
    assert {
        ("application", None, "applied"),
        ("application", "applied", "village_reviewed"),
        ("application", "village_reviewed", "posting"),
        ("application", "posting", "posted"),
        ("application", "posted", "township_reviewed"),
        ("application", "township_reviewed", "confirmed"),
        ("payment batch", None, "draft"),
        ("payment batch", "draft", "released"),
        ("payment line", "pending", "released"),
    } <= seen
    assert rec.id and transitions.unlisted() == []


def _rows(desk) -> dict[str, int]:
    """One row of each workflow's table: an application (and its recipient), an exit, a batch and a line."""
    rec = desk.recipient("li_f")
    b = desk.step("xian", batches.create_batch, desk.eligibility, programme="reward", period="2025", on=D(2025, 4, 10), today=TODAY)
    with desk.db.write(desk.officer("xian").actor) as s:
        e = exits.propose_ineligible(s, s.get(BenefitRecipient, rec.id), year=2026, detail="test", proposed_on=TODAY)
        line = s.scalar(text("SELECT id FROM payment_line WHERE batch_id = :b").bindparams(b=b.id))
    return {"benefit_application": rec.application_id, "benefit_exit": e.id, "payment_batch": b.id, "payment_line": line}


def _set(db, table: str, row: int, status: str) -> None:
    with db.engine.begin() as c:
        c.execute(text(f"UPDATE {table} SET status = :s WHERE id = :i"), {"s": status, "i": row})


def _refused(db, table: str, row: int) -> bool:
    try:
        _set(db, table, row, "bogus")
    except (IntegrityError, DBAPIError):
        return True
    return False


def test_the_database_refuses_a_status_outside_the_workflow(desk):
    rows = _rows(desk)
    for table, wf in TABLES.items():
        assert _refused(desk.db, table, rows[table]), table
        for status in wf.STATUSES:  # every listed status is accepted (the CHECK is the list, not less)
            _set(desk.db, table, rows[table], status)


def test_migration_0008_adds_the_checks_to_a_database_in_use_and_keeps_its_guards(desk):
    rows = _rows(desk)
    with desk.db.engine.connect() as c:
        before = {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
    desk.db.dispose()
    migrate.downgrade(desk.db, "0007")
    assert _refused(desk.db, "payment_batch", rows["payment_batch"]) is False  # 0007 had no CHECK
    _set(desk.db, "payment_batch", rows["payment_batch"], "draft")
    migrate.upgrade(desk.db)
    assert migrate.current(desk.db) == "0008" or migrate.current(desk.db) == migrate.head()
    with desk.db.engine.connect() as c:
        assert {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES} == before
    for table in TABLES:
        assert _refused(desk.db, table, rows[table]), table
        with pytest.raises(DBAPIError, match="not allowed"):  # 0006's guard survived the copy of the table
            with desk.db.engine.begin() as c:
                c.execute(text(f"DELETE FROM {table} WHERE id = :i"), {"i": rows[table]})
    assert migrate.drift(desk.db) == []


def test_the_migration_lists_are_the_workflows_statuses():
    """0008 keeps its own copy of the lists (a migration never changes with the code): the same today."""
    path = migrate.MIGRATIONS / "versions" / "0008_workflow_checks.py"
    spec = importlib.util.spec_from_file_location("m0008", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    assert (m.revision, m.down_revision) == ("0008", "0007")
    assert {t: set(s) for t, s in m.STATUSES.items()} == {t: set(wf.STATUSES) for t, wf in TABLES.items()}
