"""incident summary columns (report_month, clear_minutes) and the indexes that cover the ME summary

The ME summary grouped a full scan on expressions computed per row (month of the first report in
Korean time, minutes to clear); these are now plain columns written once (intake, handoff, seeder),
backfilled here for the incidents already stored. ix_incident_summary covers the summary's one GROUP BY;
ix_incident_outcome_analytics is rebuilt ordered by clear_minutes within (outcome, agency), so the time
to clear is read in order instead of sorted (Malo's duplicates still come from it).

Revision ID: c4d8e2a1f9b3
Revises: a7c3e1f0b2d4
Create Date: 2026-11-30 09:00:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'c4d8e2a1f9b3'
down_revision: str | Sequence[str] | None = 'a7c3e1f0b2d4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same values intake (analytics.report_month) and handoff (analytics.clear_minutes) write.
_BACKFILL = {
    "postgresql": (
        "UPDATE incident SET "
        "report_month = CAST(to_char(first_reported_at AT TIME ZONE 'Asia/Seoul', 'YYYYMM') AS integer), "
        "clear_minutes = CASE WHEN cleared_at IS NOT NULL "
        "THEN extract(epoch FROM cleared_at - first_reported_at) / 60.0 END"),
    "sqlite": (  # timestamps are stored as UTC text; julianday keeps the microseconds
        "UPDATE incident SET "
        "report_month = CAST(strftime('%Y%m', first_reported_at, '+9 hours') AS INTEGER), "
        "clear_minutes = CASE WHEN cleared_at IS NOT NULL "
        "THEN (julianday(cleared_at) - julianday(first_reported_at)) * 1440.0 END"),
}


def upgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_month', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('clear_minutes', sa.Float(), nullable=True))
    op.execute(_BACKFILL[op.get_bind().dialect.name])
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_outcome_analytics')
        batch_op.create_index('ix_incident_outcome_analytics',
                              ['outcome', 'agency', 'clear_minutes', 'road_id', 'segment_no', 'first_reported_at'],
                              unique=False)
        batch_op.create_index('ix_incident_summary',
                              ['outcome', 'agency', 'road_class', 'species_confirmed', 'species', 'report_month',
                               'clear_minutes'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_summary')
        batch_op.drop_index('ix_incident_outcome_analytics')
        batch_op.create_index('ix_incident_outcome_analytics',
                              ['outcome', 'agency', 'road_id', 'segment_no', 'first_reported_at', 'cleared_at'],
                              unique=False)
        batch_op.drop_column('clear_minutes')
        batch_op.drop_column('report_month')
