"""audit viewer by changeset

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

Indexes on created_cs of the large tracked tables (event, person, household, payment lines and
months), so that the audit
viewer reads what one page of changesets created instead of grouping every row of the register.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_event_created_cs", "event"),
    ("ix_person_created_cs", "person"),
    ("ix_household_created_cs", "household"),
    ("ix_payment_line_created_cs", "payment_line"),
    ("ix_payment_month_created_cs", "payment_month"),
)


def upgrade() -> None:
    for name, table in INDEXES:
        op.create_index(name, table, ["created_cs"])


def downgrade() -> None:
    for name, table in INDEXES:
        op.drop_index(name, table)
