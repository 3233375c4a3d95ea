"""TimescaleDB storage as measured on a real server (TimescaleDB 2.24, PostgreSQL 15); nothing to do on
plain PostgreSQL.

- `create_hypertable` built its default B-tree on `time` (`price_snapshots_time_idx`): a second index
  on every row that no read needs. It becomes the BRIN that plain mode has, nearly free on ingest, so
  both modes carry the same indexes.
- Compression segmented by the five variant columns left 7 to 30 rows per segment, and the table grew
  (ratio 0.46). Segmenting by `card_id` alone, ordered by variant then time, keeps each card's rows
  together, which a card's history reads, at a ratio of 7.0 on 2M rows of 1,000 cards
  (bench/foundation.py prints it). Chunks compressed before keep their settings until recompressed.
- Each continuous aggregate got an index per GROUP BY column (TimescaleDB's create_group_indexes):
  ten on card_prices_hourly, whose refresh then cost five times the plain rebuild. Each rollup keeps
  the index plain mode has: bucket on the market ones; on card_prices_hourly, plain's primary key
  (card, bucket, then the variant), which the outlier judge's per-variant reads need (with card and
  bucket only, a 5,000-row settle on 2M rows took 6.6 s; with the key 2.0 s, and plain mode 2.3 s).
- Real-time aggregation is turned off (materialized_only): every settle refreshes the buckets it
  wrote, as plain mode rebuilds them, so the rollups show the same rows in both modes, and reads skip
  the union with the raw rows past the watermark that the view otherwise plans on every query.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from alembic import op
from sqlalchemy import text

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

MARKET_GROUP = ("currency", "condition", "is_foil", "finish", "language")
# Each rollup's GROUP BY columns, whose automatic (column, bucket DESC) indexes are dropped.
UNUSED_INDEXES = {
    "market_index_30min": MARKET_GROUP,
    "market_index_hourly": MARKET_GROUP,
    "market_index_daily": MARKET_GROUP,
    "card_prices_hourly": ("card_id", "marketplace_id", *MARKET_GROUP),
}
CARD_KEY = "card_id, bucket, marketplace_id, condition, finish, language, currency"  # plain mode's primary key
SEGMENT_BY = "card_id"
ORDER_BY = "marketplace_id, finish, condition, language, time DESC"


def _hypertable() -> bool:
    bind = op.get_bind()
    if not bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")).scalar():
        return False
    return bool(
        bind.execute(
            text("SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'price_snapshots'")
        ).scalar()
    )


def upgrade() -> None:
    if not _hypertable():
        return
    op.execute("DROP INDEX IF EXISTS price_snapshots_time_idx")
    op.execute(
        "CREATE INDEX ix_price_snapshots_time_brin ON price_snapshots USING brin (time) WITH (autosummarize = on)"
    )
    op.execute(
        f"ALTER TABLE price_snapshots SET (timescaledb.compress_segmentby = '{SEGMENT_BY}',"
        f" timescaledb.compress_orderby = '{ORDER_BY}')"
    )
    for view, table in _materializations().items():
        for column in UNUSED_INDEXES[view]:
            op.execute(f'DROP INDEX IF EXISTS _timescaledb_internal."{table}_{column}_bucket_idx"')
        op.execute(f"ALTER MATERIALIZED VIEW {view} SET (timescaledb.materialized_only = true)")
    # 0001's two, now the key below and a duplicate of TimescaleDB's (bucket DESC).
    op.execute(
        "DROP INDEX IF EXISTS _timescaledb_internal.ix_card_prices_hourly_card_bucket,"
        " _timescaledb_internal.ix_card_prices_hourly_bucket"
    )
    op.execute(f"CREATE INDEX ix_card_prices_hourly_key ON card_prices_hourly ({CARD_KEY})")


def _materializations() -> dict[str, str]:
    """Each rollup's materialization hypertable (in _timescaledb_internal)."""
    rows = op.get_bind().execute(
        text(
            "SELECT view_name, materialization_hypertable_name FROM timescaledb_information.continuous_aggregates"
            " WHERE view_name = ANY(:names)"
        ),
        {"names": list(UNUSED_INDEXES)},
    )
    return dict(rows.all())


def downgrade() -> None:
    if not _hypertable():
        return
    for view, table in _materializations().items():
        op.execute(f"ALTER MATERIALIZED VIEW {view} SET (timescaledb.materialized_only = false)")
        for column in UNUSED_INDEXES[view]:
            op.execute(f'CREATE INDEX "{table}_{column}_bucket_idx" ON {view} ({column}, bucket DESC)')
    op.execute("DROP INDEX IF EXISTS _timescaledb_internal.ix_card_prices_hourly_key")
    op.execute("CREATE INDEX ix_card_prices_hourly_card_bucket ON card_prices_hourly (card_id, bucket)")
    op.execute("CREATE INDEX ix_card_prices_hourly_bucket ON card_prices_hourly (bucket)")
    op.execute(
        "ALTER TABLE price_snapshots SET (timescaledb.compress_segmentby = 'card_id, marketplace_id, condition,"
        " finish, language', timescaledb.compress_orderby = 'time DESC')"
    )
    op.execute("DROP INDEX IF EXISTS ix_price_snapshots_time_brin")
    op.execute("CREATE INDEX price_snapshots_time_idx ON price_snapshots (time DESC)")
