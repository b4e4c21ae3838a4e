"""api keys: a short random public id each (shown by `cpa keys list`, named by `cpa keys revoke`)

Revision ID: f475631c500d
Revises: ba00a79a251d
Create Date: 2026-12-03 20:00:00.000000

"""
from collections.abc import Sequence

from shared.platform_migrations import key_public_ids

# revision identifiers, used by Alembic.
revision: str = 'f475631c500d'
down_revision: str | Sequence[str] | None = 'ba00a79a251d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    key_public_ids.upgrade()


def downgrade() -> None:
    key_public_ids.downgrade()
