"""api tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Tokens for machine clients of /api/v1, stored as SHA-256 only; revoked, never deleted.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", Id, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", Id, nullable=False),
        sa.Column("created_cs", Id, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_api_token_account_id_account")),
        sa.ForeignKeyConstraint(["created_cs"], ["changeset.id"], name=op.f("fk_api_token_created_cs_changeset")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_index(op.f("ix_api_token_account_id"), "api_token", ["account_id"], unique=False)
    op.create_index(op.f("ix_api_token_seq"), "api_token", ["seq"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_api_token_seq"), table_name="api_token")
    op.drop_index(op.f("ix_api_token_account_id"), table_name="api_token")
    op.drop_table("api_token")
