"""person search by pinyin and household

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

Pinyin keys of names (full and initials, toneless: renkou.core.pinyin), indexed, filled for the
persons already registered; an index on event.household_id for finding a household's members.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy on SQLite: re-creating the table would lose its triggers)
    op.add_column("person", sa.Column("name_pinyin", sa.String(length=100), nullable=True))
    op.add_column("person", sa.Column("name_initials", sa.String(length=20), nullable=True))
    op.create_index("ix_person_name_pinyin", "person", ["name_pinyin"])
    op.create_index("ix_person_name_initials", "person", ["name_initials"])
    op.create_index("ix_event_household_id", "event", ["household_id"])
    from renkou.core.pinyin import keys_many

    conn = op.get_bind()
    person = sa.table(
        "person",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_pinyin", sa.String),
        sa.column("name_initials", sa.String),
    )
    last = 0
    while True:
        rows = conn.execute(sa.select(person.c.id, person.c.name).where(person.c.id > last).order_by(person.c.id).limit(50_000)).all()
        if not rows:
            break
        ks = keys_many([r.name for r in rows])
        conn.execute(
            person.update()
            .where(person.c.id == sa.bindparam("pid"))
            .values(name_pinyin=sa.bindparam("py"), name_initials=sa.bindparam("ini")),
            [{"pid": r.id, "py": k[0], "ini": k[1]} for r, k in zip(rows, ks, strict=True)],
        )
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_event_household_id", "event")
    op.drop_index("ix_person_name_initials", "person")
    op.drop_index("ix_person_name_pinyin", "person")
    op.drop_column("person", "name_initials")
    op.drop_column("person", "name_pinyin")
