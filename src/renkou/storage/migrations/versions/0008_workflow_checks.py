"""workflow statuses checked by the database

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

A CHECK constraint on the status of each benefit workflow's table: applications, exits, payment
batches and payment lines hold only the statuses of their workflow (renkou.core.workflow). On
SQLite a constraint is added by copying the table (Alembic's batch mode), which drops the table's
triggers: the ones of 0006 that refuse a DELETE are made again.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# this migration's own lists (never imported from the workflows, so that it never changes with them)
STATUSES = {
    "benefit_application": ("applied", "village_reviewed", "posting", "posted", "township_reviewed", "confirmed", "rejected"),
    "benefit_exit": ("proposed", "confirmed", "dismissed"),
    "payment_batch": ("draft", "released", "settled"),
    "payment_line": ("pending", "blocked", "released", "paid", "queued", "void"),
}


def _no_delete_again(table: str) -> None:
    """0006's trigger refusing a DELETE, made again after SQLite copied the table."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS renkou_no_delete_{table}")
        op.execute(
            f"CREATE TRIGGER renkou_no_delete_{table} BEFORE DELETE ON {table} BEGIN "
            f"SELECT RAISE(ABORT, 'renkou: DELETE on {table} is not allowed (append-only audit trail)'); END"
        )


def upgrade() -> None:
    for table, statuses in STATUSES.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_check_constraint(op.f(f"ck_{table}_status"), "status IN ({})".format(", ".join(repr(s) for s in statuses)))
        _no_delete_again(table)


def downgrade() -> None:
    for table in STATUSES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_status"), type_="check")
        _no_delete_again(table)
