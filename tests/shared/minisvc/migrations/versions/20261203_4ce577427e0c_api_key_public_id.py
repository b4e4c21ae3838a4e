"""api keys: a short random public id each (the platform branch's f475631c500d, in this self-contained history)

Revision ID: 4ce577427e0c
Revises: 5003e93b586d
Create Date: 2026-12-03 20:00:00.000000

"""
from collections.abc import Sequence

from shared.platform_migrations import key_public_ids

# revision identifiers, used by Alembic.
revision: str = '4ce577427e0c'
down_revision: str | Sequence[str] | None = '5003e93b586d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    key_public_ids.upgrade()


def downgrade() -> None:
    key_public_ids.downgrade()
