"""incident analytics index (time to clear per agency, duplicates per Malo segment)

Revision ID: a7c3e1f0b2d4
Revises: 52fd69270d8b
Create Date: 2026-11-29 08:20:00.000000

"""
from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'a7c3e1f0b2d4'
down_revision: str | Sequence[str] | None = '52fd69270d8b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_outcome_analytics',
                              ['outcome', 'agency', 'road_id', 'segment_no', 'first_reported_at', 'cleared_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_outcome_analytics')
