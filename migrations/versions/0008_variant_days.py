"""Each variant's day (`variant_days`): its close, which the daily market index now reads, and its
price range, which the outlier judge reads to skip variants that cannot hold an outlier.

Kept by the worker after each settle (`data/repositories/variant_days.py`) so that neither reads a
whole day of hourly rows again. This migration fills it from `card_prices_hourly`; the daily index
changes from each variant's day mean to its close, so a database that already holds prices should
rebuild the index once with `cardcharts rollups refresh --since`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE variant_days (
            card_id        INTEGER NOT NULL,
            marketplace_id INTEGER NOT NULL,
            condition      card_condition NOT NULL,
            finish         card_finish NOT NULL,
            language       card_language NOT NULL,
            currency       TEXT NOT NULL,
            day            TIMESTAMPTZ NOT NULL,  -- date_bin('1 day', bucket, 2000-01-03 UTC)
            close_bucket   TIMESTAMPTZ,           -- the day's last unflagged hour; NULL: every hour is flagged
            close          NUMERIC,               -- that hour's mean price
            low            FLOAT8 NOT NULL,       -- bounds of every hourly mean of the day, flagged or not
            high           FLOAT8 NOT NULL,       -- (never narrower than the truth, at times wider)
            -- Day first: a settle writes the newest day's rows, side by side at the end of the key, and
            -- the index and the judge read a window of days (card first, measured at 10M rows, a
            -- settle's 50,000 upserts touched as many leaf pages: 2.6 s).
            PRIMARY KEY (day, card_id, marketplace_id, condition, finish, language, currency)
        ) WITH (fillfactor = 70);  -- room for a day's later settles to update its rows in place (HOT)
        INSERT INTO variant_days
        SELECT card_id, marketplace_id, condition, finish, language, currency, day,
               max(bucket) FILTER (WHERE NOT flagged),
               (array_agg(price ORDER BY bucket DESC) FILTER (WHERE NOT flagged))[1],
               min(price)::float8, max(price)::float8
        FROM (
            SELECT h.*, date_bin('1 day', h.bucket, TIMESTAMPTZ '2000-01-03 00:00:00+00') AS day,
                   h.sum_price / h.samples AS price, o.bucket IS NOT NULL AS flagged
            FROM card_prices_hourly h
            LEFT JOIN price_outliers o USING (card_id, marketplace_id, condition, finish, language, currency, bucket)
            WHERE h.samples > 0
        ) h
        GROUP BY card_id, marketplace_id, condition, finish, language, currency, day
        ORDER BY day;  -- a day's rows side by side, as settles will write them: a window of days is a few pages
        ANALYZE variant_days;
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE variant_days")
