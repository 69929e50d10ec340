"""a password given by an administrator must be changed at the next sign-in

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

One column of ``account``:

* ``password_must_change``: set when an administrator creates the account or resets its password
  (web or command line); while it is set, every page and the API answer the account only with the
  page where its owner sets a password of their own (renkou.web.deps), and the change clears it.
  Accounts that exist already keep their passwords: false for every row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("password_must_change", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.drop_column("password_must_change")
