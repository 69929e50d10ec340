"""accounts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

User accounts: role, organisation unit, argon2id password hash, optional TOTP secret, lockout.
Accounts are never deleted (they are deactivated): changes and reveals keep naming who did them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", Id, nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("unit_id", Id, nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", Id, nullable=False),
        sa.Column("created_cs", Id, nullable=False),
        sa.ForeignKeyConstraint(["created_cs"], ["changeset.id"], name=op.f("fk_account_created_cs_changeset")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_account_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("username", name=op.f("uq_account_username")),
    )
    op.create_index(op.f("ix_account_seq"), "account", ["seq"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION renkou_no_delete_account() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'accounts are deactivated, never deleted'; END $$"
        )
        op.execute("CREATE TRIGGER account_no_delete BEFORE DELETE ON account FOR EACH ROW EXECUTE FUNCTION renkou_no_delete_account()")
    else:
        op.execute(
            "CREATE TRIGGER account_no_delete BEFORE DELETE ON account BEGIN "
            "SELECT RAISE(ABORT, 'accounts are deactivated, never deleted'); END"
        )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS account_no_delete" + (" ON account" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS renkou_no_delete_account()")
    op.drop_index(op.f("ix_account_seq"), table_name="account")
    op.drop_table("account")
