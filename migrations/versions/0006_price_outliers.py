"""Flagged outlier prices (`price_outliers`), kept by the worker after each settle.

One row per variant and hourly bucket of `card_prices_hourly` whose mean price jumped
past the configured multiple of the variant's recent median and came back (the rule is
in `data/repositories/outliers.py`). The price itself stays in the data; the chained
market index leaves flagged hours out, and the card chart marks them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE price_outliers (
            card_id        INTEGER NOT NULL,
            marketplace_id INTEGER NOT NULL,
            condition      card_condition NOT NULL,
            finish         card_finish NOT NULL,
            language       card_language NOT NULL,
            currency       TEXT NOT NULL,
            bucket         TIMESTAMPTZ NOT NULL,  -- the hour of card_prices_hourly that is flagged
            price          NUMERIC NOT NULL,      -- its mean price
            median         NUMERIC NOT NULL,      -- the variant's median over the window before it
            PRIMARY KEY (card_id, marketplace_id, condition, finish, language, currency, bucket)
        );
        -- The index reads one window of buckets; a settle re-judges one window from a time.
        CREATE INDEX ix_price_outliers_bucket ON price_outliers (bucket);
        -- Each settle deletes and re-chains the index's newest rows: vacuumed and analyzed early,
        -- its reads keep the primary key plan (with stale statistics, measured 2.5 ms against 0.3).
        ALTER TABLE market_index SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE price_outliers")
