"""Lone days leave `variant_days`: a day whose only hour is its start (each day of MTGJSON's daily
prices) is read from that hour (`data/repositories/variant_days.py: days_sql`), so storing it repeated
the hourly rollup row for row. The days kept are those with an hour off their start; a settle finds
the stored days of its cards through a (card_id, day) index instead of reading every card's days in
its window. Downgrading stores the lone days again, as the earlier release reads them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ORIGIN = "TIMESTAMPTZ '2000-01-03 00:00:00+00'"
VARIANT = ("card_id", "marketplace_id", "condition", "finish", "language", "currency")
SAME = " AND ".join(f"h.{column} = d.{column}" for column in VARIANT)


def upgrade() -> None:
    op.execute(
        f"""
        DELETE FROM variant_days d
        WHERE NOT EXISTS (
            SELECT 1 FROM card_prices_hourly h
            WHERE {SAME} AND h.bucket > d.day AND h.bucket < d.day + interval '1 day' AND h.samples > 0
        )"""
    )
    op.execute("CREATE INDEX ix_variant_days_card_day ON variant_days (card_id, day)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_variant_days_card_day")
    op.execute(
        f"""
        INSERT INTO variant_days (card_id, marketplace_id, condition, finish, language, currency, day,
                                  close_bucket, close, low, high)
        SELECT h.card_id, h.marketplace_id, h.condition, h.finish, h.language, h.currency, h.bucket,
               CASE WHEN o.bucket IS NULL THEN h.bucket END,
               CASE WHEN o.bucket IS NULL THEN h.sum_price / h.samples END,
               (h.sum_price / h.samples)::float8, (h.sum_price / h.samples)::float8
        FROM card_prices_hourly h
        LEFT JOIN price_outliers o
            USING (card_id, marketplace_id, condition, finish, language, currency, bucket)
        WHERE h.samples > 0 AND h.bucket = date_bin('1 day', h.bucket, {ORIGIN})
          AND NOT EXISTS (SELECT 1 FROM variant_days d WHERE d.day = h.bucket AND {SAME})"""
    )
