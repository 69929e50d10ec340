"""event index by person, kind and date

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

"Is this person dead by that date?" (asof.alive) is asked once per person in every population
count. With an index on (person_id, date) and another on (kind, date) SQLite's planner, without
statistics, could pick the kind index and scan every death for every person (minutes on a
100,000-person county). (person_id, kind, date) answers it with three constraints, so it always
wins; it also serves every lookup by person that (person_id, date) served.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain index operations: a batch (table-copying) migration would lose the append-only triggers
    op.drop_index("ix_event_person_date", table_name="event")
    op.create_index("ix_event_person_kind_date", "event", ["person_id", "kind", "date"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_event_person_kind_date", table_name="event")
    op.create_index("ix_event_person_date", "event", ["person_id", "date"], unique=False)
