"""Runs that were cut short: an 'interrupted' status, and when each run's rows were settled.

A run's rows are committed batch by batch and folded into the rollups once at its end
(`settled_at`). A run whose process died, or whose settle failed, has committed rows
that no rollup holds yet: `settled_at` stays NULL until the next recovery settles them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE source_runs DROP CONSTRAINT source_runs_status_check;
        ALTER TABLE source_runs ADD CONSTRAINT source_runs_status_check
            CHECK (status IN ('running', 'succeeded', 'failed', 'unchanged', 'interrupted'));
        ALTER TABLE source_runs ADD COLUMN settled_at TIMESTAMPTZ;
        -- Finished runs settled as they ended; runs still marked running are left for recovery.
        UPDATE source_runs SET settled_at = finished_at WHERE status <> 'running';
        CREATE INDEX ix_source_runs_unsettled ON source_runs (id) WHERE settled_at IS NULL;
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX ix_source_runs_unsettled;
        ALTER TABLE source_runs DROP COLUMN settled_at;
        UPDATE source_runs SET status = 'failed' WHERE status = 'interrupted';
        ALTER TABLE source_runs DROP CONSTRAINT source_runs_status_check;
        ALTER TABLE source_runs ADD CONSTRAINT source_runs_status_check
            CHECK (status IN ('running', 'succeeded', 'failed', 'unchanged'));
        """
    )
