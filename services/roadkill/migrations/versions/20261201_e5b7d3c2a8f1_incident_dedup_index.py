"""incident dedup index: (road_id, cell, last_reported_at) replaces the cell and status+cell indexes

The duplicate lookup at intake filters on road, grid cells and the merge window. Without statistics
SQLite chose the road index for it and read every incident of the road; this index serves the
whole filter, so the lookup reads only the recent incidents of ≤ 16 cells, whatever the history.

Revision ID: e5b7d3c2a8f1
Revises: c4d8e2a1f9b3
Create Date: 2026-12-01 09:00:00.000000

"""
from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'e5b7d3c2a8f1'
down_revision: str | Sequence[str] | None = 'c4d8e2a1f9b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_status_cell')
        batch_op.drop_index('ix_incident_cell')
        batch_op.create_index('ix_incident_dedup', ['road_id', 'cell', 'last_reported_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_dedup')
        batch_op.create_index('ix_incident_cell', ['cell'], unique=False)
        batch_op.create_index('ix_incident_status_cell', ['status', 'cell'], unique=False)
