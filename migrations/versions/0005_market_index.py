"""The chained, matched-sample market index and its sub-indexes (format, rarity, set).

A plain table in both storage modes, kept by the worker after each settle from
`card_prices_hourly` (`MarketIndexRepository`): one row per resolution (HOUR or
DAY), currency, sub-index (`kind`, `key`) and bucket, holding the link relative to
the currency's previous bucket, the number of matched variants it rests on, and the
chained level (100 at the sub-index's first bucket).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE market_index (
            resolution TEXT NOT NULL CHECK (resolution IN ('HOUR', 'DAY')),
            currency   TEXT NOT NULL,
            kind       TEXT NOT NULL CHECK (kind IN ('all', 'format', 'rarity', 'set')),
            key        TEXT NOT NULL,
            bucket     TIMESTAMPTZ NOT NULL,
            relative   NUMERIC,           -- NULL: no variant priced in both buckets, the level carries
            matched    INTEGER NOT NULL,  -- variants priced in this bucket and the previous one
            level      NUMERIC NOT NULL,
            PRIMARY KEY (resolution, currency, kind, key, bucket)
        );
        -- A refresh deletes and re-chains the rows from its first bucket on, across every sub-index.
        CREATE INDEX ix_market_index_bucket ON market_index (resolution, bucket);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE market_index")
