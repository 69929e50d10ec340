"""revocable sessions, one-time codes used once, the address of the last sign-in

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

Three columns of ``account``:

* ``sessions_valid_after`` (UTC): a session cookie issued before it is refused. Signing out,
  a password change or reset, a new second factor, deactivation and reactivation set it to now,
  so every copy of an older cookie stops working.
* ``totp_last_step``: the 30-second time step of the last one-time code accepted; a code of that
  step or an earlier one is refused (a code is accepted once).
* ``last_login_origin``: the address of the last successful sign-in; the account-wide lock after
  repeated failures does not apply from it (renkou.auth.accounts).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("sessions_valid_after", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("last_login_origin", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.drop_column("last_login_origin")
        batch.drop_column("totp_last_step")
        batch.drop_column("sessions_valid_after")
