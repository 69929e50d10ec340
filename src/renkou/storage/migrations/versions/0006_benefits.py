"""benefits

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22

The annual cycle of the family-support programmes (applications, steps, postings, objections,
recipients, yearly confirmations, exits, the "three full coverages") and their payments (batches,
lines, months paid, findings, exports, bank results).

Money is NUMERIC(12,2) on PostgreSQL and integer fen on SQLite (renkou.storage.schema.Money). A
person is paid once per programme and period (uq_payment_line_person_programme_period) and once per
month (uq_payment_month_person_programme_month), by the database itself; a person has one open
recipient record per programme (uq_benefit_recipient_open, a partial unique index). Nothing is deleted; steps,
confirmations, months paid, exports and bank results are append-only (triggers, as in 0001).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Money = sa.Numeric(12, 2).with_variant(sa.BigInteger(), "sqlite")

# this migration's own lists (never imported from the models, so that it never changes with them)
APPEND_ONLY = ("benefit_step", "benefit_confirmation", "payment_month", "payment_export", "payment_result")
NO_DELETE = (
    "benefit_posting",
    "benefit_application",
    "benefit_objection",
    "benefit_recipient",
    "benefit_exit",
    "benefit_coverage",
    "payment_batch",
    "payment_line",
    "payment_finding",
)


def _fk(col: str, table: str, of: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [f"{table}.id"], name=op.f(f"fk_{of}_{col}_{table}"))


def _table(name: str, *cols: sa.Column, fks: tuple[tuple[str, str], ...] = (), versioned: bool = True, extra: tuple = ()) -> None:
    """A tracked table: id, the given columns, [version], seq, created_cs; its foreign keys and an index on seq."""
    op.create_table(
        name,
        sa.Column("id", Id, nullable=False),
        *cols,
        *((sa.Column("version", sa.Integer(), nullable=False),) if versioned else ()),
        sa.Column("seq", Id, nullable=False),
        sa.Column("created_cs", Id, nullable=False),
        _fk("created_cs", "changeset", name),
        *(_fk(col, table, name) for col, table in fks),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        *extra,
    )
    op.create_index(op.f(f"ix_{name}_seq"), name, ["seq"], unique=False)


def _index(table: str, cols: list[str], name: str | None = None) -> None:
    op.create_index(name or op.f(f"ix_{table}_{cols[0]}"), table, cols, unique=False)


def upgrade() -> None:
    C = sa.Column
    _table(
        "benefit_posting",
        C("programme", sa.String(16), nullable=False),
        C("year", sa.Integer(), nullable=False),
        C("unit_id", Id, nullable=False),
        C("starts_on", sa.Date(), nullable=False),
        C("days", sa.Integer(), nullable=False),
        C("closed_on", sa.Date(), nullable=True),
        fks=(("unit_id", "org_unit"),),
        extra=(sa.CheckConstraint("days >= 1", name=op.f("ck_benefit_posting_days")),),
    )
    _index("benefit_posting", ["unit_id"])

    _table(
        "benefit_application",
        C("programme", sa.String(16), nullable=False),
        C("year", sa.Integer(), nullable=False),
        C("person_id", Id, nullable=False),
        C("payee_id", Id, nullable=False),
        C("unit_id", Id, nullable=False),
        C("applied_on", sa.Date(), nullable=False),
        C("status", sa.String(20), nullable=False),
        C("attested", sa.JSON(), nullable=False),
        C("account_no", sa.String(40), nullable=False),
        C("bank", sa.String(60), nullable=False),
        C("posting_id", Id, nullable=True),
        fks=(("payee_id", "person"), ("person_id", "person"), ("posting_id", "benefit_posting"), ("unit_id", "org_unit")),
    )
    for col in ("person_id", "posting_id", "unit_id"):
        _index("benefit_application", [col])
    _index("benefit_application", ["programme", "year", "status"], "ix_benefit_application_programme_year")

    _table(
        "benefit_step",
        C("application_id", Id, nullable=False),
        C("step", sa.String(16), nullable=False),
        C("done_on", sa.Date(), nullable=False),
        C("account", sa.String(32), nullable=False),
        C("note", sa.String(400), nullable=False),
        fks=(("application_id", "benefit_application"),),
        versioned=False,
        extra=(sa.UniqueConstraint("application_id", "step", name="uq_benefit_step_application_step"),),
    )

    _table(
        "benefit_objection",
        C("application_id", Id, nullable=False),
        C("raised_on", sa.Date(), nullable=False),
        C("objector", sa.String(50), nullable=False),
        C("content", sa.Text(), nullable=False),
        C("recorded_by", sa.String(32), nullable=False),
        C("outcome", sa.String(10), nullable=True),
        C("resolution", sa.Text(), nullable=True),
        C("resolved_on", sa.Date(), nullable=True),
        C("resolved_by", sa.String(32), nullable=True),
        fks=(("application_id", "benefit_application"),),
    )
    _index("benefit_objection", ["application_id"])

    _table(
        "benefit_recipient",
        C("programme", sa.String(16), nullable=False),
        C("person_id", Id, nullable=False),
        C("payee_id", Id, nullable=False),
        C("unit_id", Id, nullable=False),
        C("application_id", Id, nullable=False),
        C("attested", sa.JSON(), nullable=False),
        C("account_no", sa.String(40), nullable=False),
        C("bank", sa.String(60), nullable=False),
        C("since", sa.Date(), nullable=False),
        C("ended_on", sa.Date(), nullable=True),
        fks=(("application_id", "benefit_application"), ("payee_id", "person"), ("person_id", "person"), ("unit_id", "org_unit")),
    )
    _index("benefit_recipient", ["account_no"], "ix_benefit_recipient_account_no")
    _index("benefit_recipient", ["programme", "person_id"], "ix_benefit_recipient_programme_person")
    _index("benefit_recipient", ["unit_id"])
    op.create_index(
        "uq_benefit_recipient_open",
        "benefit_recipient",
        ["programme", "person_id"],
        unique=True,
        sqlite_where=sa.text("ended_on IS NULL"),
        postgresql_where=sa.text("ended_on IS NULL"),
    )

    _table(
        "benefit_confirmation",
        C("recipient_id", Id, nullable=False),
        C("year", sa.Integer(), nullable=False),
        C("confirmed_on", sa.Date(), nullable=False),
        C("how", sa.String(12), nullable=False),
        C("account", sa.String(32), nullable=False),
        fks=(("recipient_id", "benefit_recipient"),),
        versioned=False,
        extra=(sa.UniqueConstraint("recipient_id", "year", name="uq_benefit_confirmation_recipient_year"),),
    )

    _table(
        "benefit_exit",
        C("recipient_id", Id, nullable=False),
        C("cause", sa.String(16), nullable=False),
        C("effective_on", sa.Date(), nullable=False),
        C("event_id", Id, nullable=True),
        C("detail", sa.String(400), nullable=False),
        C("proposed_on", sa.Date(), nullable=False),
        C("status", sa.String(10), nullable=False),
        C("notice", sa.String(200), nullable=True),
        C("decided_on", sa.Date(), nullable=True),
        C("decided_by", sa.String(32), nullable=True),
        C("reason", sa.String(400), nullable=False),
        fks=(("event_id", "event"), ("recipient_id", "benefit_recipient")),
        extra=(sa.UniqueConstraint("recipient_id", "cause", "effective_on", name="uq_benefit_exit_recipient_cause_date"),),
    )
    _index("benefit_exit", ["recipient_id"])

    _table(
        "benefit_coverage",
        C("person_id", Id, nullable=False),
        C("kind", sa.String(10), nullable=False),
        C("detail", sa.String(200), nullable=False),
        C("since", sa.Date(), nullable=False),
        C("until", sa.Date(), nullable=True),
        fks=(("person_id", "person"),),
        extra=(sa.CheckConstraint("kind IN ('liaison', 'doctor', 'channel')", name=op.f("ck_benefit_coverage_kind")),),
    )
    _index("benefit_coverage", ["person_id"])

    _table(
        "payment_batch",
        C("programme", sa.String(16), nullable=False),
        C("period", sa.String(8), nullable=False),
        C("status", sa.String(10), nullable=False),
        C("created_on", sa.Date(), nullable=False),
        C("checked_on", sa.Date(), nullable=True),
        C("released_on", sa.Date(), nullable=True),
    )

    _table(
        "payment_line",
        C("batch_id", Id, nullable=True),
        C("recipient_id", Id, nullable=False),
        C("person_id", Id, nullable=False),
        C("programme", sa.String(16), nullable=False),
        C("period", sa.String(8), nullable=False),
        C("months", sa.Integer(), nullable=False),
        C("amount", Money, nullable=False),
        C("basis", sa.String(400), nullable=False),
        C("payee_id", Id, nullable=False),
        C("account_no", sa.String(40), nullable=False),
        C("status", sa.String(10), nullable=False),
        C("failure", sa.String(200), nullable=True),
        fks=(("batch_id", "payment_batch"), ("payee_id", "person"), ("person_id", "person"), ("recipient_id", "benefit_recipient")),
        extra=(
            sa.CheckConstraint("amount > 0", name=op.f("ck_payment_line_amount")),
            sa.UniqueConstraint("person_id", "programme", "period", name="uq_payment_line_person_programme_period"),
        ),
    )
    _index("payment_line", ["batch_id"])
    _index("payment_line", ["recipient_id"])

    _table(
        "payment_month",
        C("line_id", Id, nullable=False),
        C("person_id", Id, nullable=False),
        C("programme", sa.String(16), nullable=False),
        C("month", sa.Date(), nullable=False),
        fks=(("line_id", "payment_line"), ("person_id", "person")),
        versioned=False,
        extra=(sa.UniqueConstraint("person_id", "programme", "month", name="uq_payment_month_person_programme_month"),),
    )
    _index("payment_month", ["line_id"])

    _table(
        "payment_finding",
        C("line_id", Id, nullable=False),
        C("kind", sa.String(16), nullable=False),
        C("detail", sa.String(400), nullable=False),
        C("found_on", sa.Date(), nullable=False),
        C("cleared_on", sa.Date(), nullable=True),
        C("cleared_by", sa.String(32), nullable=True),
        C("reason", sa.Text(), nullable=True),
        fks=(("line_id", "payment_line"),),
        extra=(sa.UniqueConstraint("line_id", "kind", name="uq_payment_finding_line_kind"),),
    )

    _table(
        "payment_export",
        C("batch_id", Id, nullable=False),
        C("file_name", sa.String(260), nullable=False),
        C("sha256", sa.String(64), nullable=False),
        C("lines", sa.Integer(), nullable=False),
        C("total", Money, nullable=False),
        fks=(("batch_id", "payment_batch"),),
        versioned=False,
    )
    _index("payment_export", ["batch_id"])

    _table(
        "payment_result",
        C("line_id", Id, nullable=False),
        C("batch_id", Id, nullable=False),
        C("outcome", sa.String(8), nullable=False),
        C("reason", sa.String(200), nullable=False),
        C("bank_ref", sa.String(64), nullable=False),
        C("reported_on", sa.Date(), nullable=False),
        fks=(("batch_id", "payment_batch"), ("line_id", "payment_line")),
        versioned=False,
        extra=(sa.UniqueConstraint("line_id", "batch_id", name="uq_payment_result_line_batch"),),
    )
    _index("payment_result", ["line_id"])
    _guards()


def _guards() -> None:
    """Refuse UPDATE/DELETE on the append-only tables and DELETE on the others, in the database
    (PostgreSQL reuses 0001's renkou_refuse())."""
    pg = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY + NO_DELETE:
        if pg:
            op.execute(
                f"CREATE TRIGGER renkou_no_truncate_{table} BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION renkou_refuse()"
            )
        for what in ("UPDATE", "DELETE") if table in APPEND_ONLY else ("DELETE",):
            name = f"renkou_no_{what.lower()}_{table}"
            if pg:
                op.execute(f"CREATE TRIGGER {name} BEFORE {what} ON {table} FOR EACH ROW EXECUTE FUNCTION renkou_refuse()")
            else:
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {what} ON {table} BEGIN "
                    f"SELECT RAISE(ABORT, 'renkou: {what} on {table} is not allowed (append-only audit trail)'); END"
                )


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY + NO_DELETE:
        if pg:
            op.execute(f"DROP TRIGGER IF EXISTS renkou_no_truncate_{table} ON {table}")
        for what in ("UPDATE", "DELETE") if table in APPEND_ONLY else ("DELETE",):
            name = f"renkou_no_{what.lower()}_{table}"
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}" if pg else f"DROP TRIGGER IF EXISTS {name}")
    for table in (
        "payment_result",
        "payment_export",
        "payment_finding",
        "payment_month",
        "payment_line",
        "payment_batch",
        "benefit_coverage",
        "benefit_exit",
        "benefit_confirmation",
        "benefit_recipient",
        "benefit_objection",
        "benefit_step",
        "benefit_application",
        "benefit_posting",
    ):
        op.drop_table(table)
