"""platform tables (bridge to the shared `platform` branch)

The platform tables are created by the `platform` branch in shared/platform_migrations/ (revision
ba00a79a251d). This revision keeps its id so that roadkill databases created before that branch existed,
whose alembic_version names this revision or one after it, upgrade without change: it creates
nothing and depends on the branch, so a new database gets the platform tables first.

Revision ID: 6785a856ca46
Revises:
Create Date: 2026-11-29 07:14:34.912669

"""
from collections.abc import Sequence

# revision identifiers, used by Alembic.
revision: str = '6785a856ca46'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = 'ba00a79a251d'


def upgrade() -> None:
    """Nothing to do: the platform tables come from the revision this one depends on."""


def downgrade() -> None:
    """Nothing to undo here; downgrading the `platform` branch drops the platform tables."""
