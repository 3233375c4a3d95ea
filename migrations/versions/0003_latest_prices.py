"""What the market page reads besides the index: each variant's newest price beside
its price a day and a week earlier (movers), the value of each format, and the
printings priced per currency.

All are ordinary tables in both storage modes, rebuilt by the worker after the
rollups (`RollupRepository`): computing movers per page view meant a window over
a week of the hourly rollup, 0.4 s on 10M rows, and counting the printings with a
price 50 ms (measured).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE latest_prices (
            card_id        INTEGER NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
            marketplace_id INTEGER NOT NULL,
            condition      card_condition NOT NULL,
            finish         card_finish NOT NULL,
            language       card_language NOT NULL,
            currency       TEXT NOT NULL,
            time           TIMESTAMPTZ NOT NULL,
            price          NUMERIC NOT NULL,
            weight         BIGINT NOT NULL,
            time_1d        TIMESTAMPTZ,
            price_1d       NUMERIC,
            time_7d        TIMESTAMPTZ,
            price_7d       NUMERIC,
            change_1d      NUMERIC,  -- percent, unrounded
            change_7d      NUMERIC,
            PRIMARY KEY (card_id, marketplace_id, condition, finish, language, currency)
        );
        -- Gainers read these forwards and losers backwards, stopping at the tenth match.
        CREATE INDEX ix_latest_prices_change_1d ON latest_prices
            (currency, condition, language, change_1d DESC, card_id) WHERE change_1d IS NOT NULL;
        CREATE INDEX ix_latest_prices_change_7d ON latest_prices
            (currency, condition, language, change_7d DESC, card_id) WHERE change_7d IS NOT NULL;

        CREATE TABLE market_totals (
            currency  TEXT PRIMARY KEY,
            printings BIGINT NOT NULL,
            variants  BIGINT NOT NULL,
            asof      TIMESTAMPTZ NOT NULL
        );

        CREATE TABLE format_volume (
            currency   TEXT NOT NULL,
            format     TEXT NOT NULL,
            printings  BIGINT NOT NULL,
            volume     NUMERIC NOT NULL,
            PRIMARY KEY (currency, format)
        );
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE market_totals")
    op.execute("DROP TABLE format_volume")
    op.execute("DROP TABLE latest_prices")
