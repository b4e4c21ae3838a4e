"""Every API key gets its own short random public id (the operations of revision f475631c500d).

Kept beside the branch so that a self-contained history (the test service's) applies the very same steps.
Existing keys receive a fresh random id each; a key issued later carries its id inside the key itself.
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

# Frozen with the revision (a migration must not change when the application code does): the public id's
# alphabet and length as shared.auth issued them when f475631c500d was written.
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_LENGTH = 10


def new_public_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))


def upgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_id", sa.String(length=16), nullable=True))
    keys = sa.table("api_key", sa.column("id", sa.String), sa.column("public_id", sa.String))
    conn = op.get_bind()
    taken: set[str] = set()
    for (key_id,) in conn.execute(sa.select(keys.c.id)).all():
        public_id = new_public_id()
        while public_id in taken:
            public_id = new_public_id()
        taken.add(public_id)
        conn.execute(keys.update().where(keys.c.id == key_id).values(public_id=public_id))
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.alter_column("public_id", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_api_key_public_id"), ["public_id"])


def downgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_api_key_public_id"), type_="unique")
        batch_op.drop_column("public_id")
