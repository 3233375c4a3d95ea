"""Market-wide reads. They go to the rollups, never to a scan of the raw snapshots."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from data.db import CUSTOM_PLANS
from data.domain import Condition, Language, Resolution, VariantFilter
from data.repositories.prices import variant_clauses

_INDEX_TABLES = {
    Resolution.MIN30: "market_index_30min",
    Resolution.HOUR: "market_index_hourly",
    Resolution.DAY: "market_index_daily",
}

# Each NM English variant's newest hourly price in the window ending now and in the
# one ending a period earlier, in one pass (the two windows may overlap, so each row
# is read once per window it falls in), then compared: no join of two large sets,
# whose size the planner cannot estimate.
_MOVES = """
    WITH windows AS (
        SELECT card_id, marketplace_id, finish, bucket, avg_price, 'now' AS side
        FROM card_prices_hourly
        WHERE bucket > CAST(:now AS timestamptz) - :lookback AND bucket <= :now
          AND currency = :currency AND condition = :condition AND language = :language
        UNION ALL
        SELECT card_id, marketplace_id, finish, bucket, avg_price, 'then'
        FROM card_prices_hourly
        WHERE bucket > CAST(:then AS timestamptz) - :lookback AND bucket <= :then
          AND currency = :currency AND condition = :condition AND language = :language
    ), newest AS (
        SELECT DISTINCT ON (card_id, marketplace_id, finish, side) card_id, marketplace_id, finish, side, bucket,
               avg_price
        FROM windows
        ORDER BY card_id, marketplace_id, finish, side, bucket DESC
    )
    SELECT card_id, marketplace_id, finish,
           max(bucket) FILTER (WHERE side = 'now') AS time, max(avg_price) FILTER (WHERE side = 'now') AS price,
           max(bucket) FILTER (WHERE side = 'then') AS then_time,
           max(avg_price) FILTER (WHERE side = 'then') AS then_price
    FROM newest
    GROUP BY card_id, marketplace_id, finish
    HAVING count(*) = 2
"""


class MarketRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def index_series(
        self,
        start: datetime | None,
        end: datetime | None,
        resolution: Resolution,
        variants: VariantFilter,
    ) -> list[dict[str, Any]]:
        """Mean price per bucket over the chosen variants, exact from sums and counts."""
        if resolution not in _INDEX_TABLES:
            raise ValueError(f"the market index has no {resolution.name} resolution")
        clauses, params = variant_clauses(variants)
        if start is not None:
            clauses += " AND bucket >= :start"
        if end is not None:
            clauses += " AND bucket < :end"
        sql = f"""
            SELECT bucket AS time, ROUND(SUM(sum_price) / SUM(samples), 4) AS price,
                   MIN(min_price) AS low, MAX(max_price) AS high, SUM(samples)::bigint AS samples,
                   SUM(total_listings)::bigint AS listings, SUM(total_quantity)::bigint AS quantity,
                   SUM(volume) AS volume
            FROM {_INDEX_TABLES[resolution]}
            WHERE TRUE {clauses}
            GROUP BY bucket
            ORDER BY bucket"""
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), {"start": start, "end": end, **params}).mappings()
            return [dict(row) for row in rows]

    def data_end(self, resolution: Resolution, currency: str) -> datetime | None:
        """The end of the newest bucket at this resolution (None when there is no data)."""
        table = _INDEX_TABLES[resolution]
        with self.engine.connect() as conn:
            return conn.execute(
                text(f"SELECT max(bucket) + :width FROM {table} WHERE currency = :currency"),
                {"width": resolution.value, "currency": currency},
            ).scalar()

    def overview(self, currency: str) -> dict[str, Any]:
        """Catalog size, printings with prices, and the index now, a day and a week earlier."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    text(
                        """
                    WITH last AS (
                        SELECT max(bucket) AS bucket FROM market_index_30min WHERE currency = :currency
                    ), last_day AS (
                        SELECT max(bucket) AS bucket FROM market_index_daily WHERE currency = :currency
                    ), levels AS (
                        SELECT bucket, ROUND(SUM(sum_price) / SUM(samples), 4) AS level
                        FROM market_index_daily
                        WHERE currency = :currency
                          AND bucket IN (SELECT bucket FROM last_day
                                         UNION ALL SELECT bucket - interval '1 day' FROM last_day
                                         UNION ALL SELECT bucket - interval '7 days' FROM last_day)
                        GROUP BY bucket
                    )
                    SELECT
                        (SELECT count(*) FROM cards) AS cards,
                        (SELECT count(*) FROM cards c
                          WHERE EXISTS (SELECT 1 FROM price_snapshots p WHERE p.card_id = c.id))
                            AS printings_tracked,
                        (SELECT bucket FROM last) AS last_bucket,
                        (SELECT SUM(total_listings)::bigint FROM market_index_30min
                          WHERE currency = :currency AND bucket = (SELECT bucket FROM last))
                            AS listings,
                        (SELECT bucket FROM last_day) AS level_day,
                        (SELECT level FROM levels WHERE bucket = (SELECT bucket FROM last_day))
                            AS level,
                        (SELECT level FROM levels
                          WHERE bucket = (SELECT bucket - interval '1 day' FROM last_day))
                            AS level_1d_ago,
                        (SELECT level FROM levels
                          WHERE bucket = (SELECT bucket - interval '7 days' FROM last_day))
                            AS level_7d_ago
                    """
                    ),
                    {"currency": currency},
                )
                .mappings()
                .one()
            )
            return dict(row)

    def top_movers(
        self,
        period: timedelta,
        currency: str,
        min_price: float,
        limit: int,
        legal_in: str | None = None,
        condition: Condition = Condition.NEAR_MINT,
        language: Language = Language.ENGLISH,
    ) -> dict[str, list[dict[str, Any]]]:
        """Biggest relative gainers and losers between the newest price and `period` before it.

        Prices under `min_price` (bulk) are left out; `legal_in` keeps one format's cards."""
        fmt_clause = (
            " AND v.card_id IN (SELECT id FROM cards WHERE legalities ->> :format = 'legal')" if legal_in else ""
        )
        # Rank first, name the few winners after: the planner cannot estimate how many rows
        # the windows yield, and a join on a bad guess scanned the catalog once per row.
        sql = f"""
            WITH moves AS ({_MOVES}),
            top AS (
                SELECT v.*, ROUND(100 * (v.price - v.then_price) / v.then_price, 2) AS change_pct
                FROM moves v
                WHERE v.price >= :min_price AND v.then_price > 0 {fmt_clause}
                  AND v.price {{compare}} v.then_price
                ORDER BY change_pct {{direction}}, v.card_id
                LIMIT :limit
            )
            SELECT t.card_id, c.name, c.set_code, c.collector_number, t.marketplace_id, m.name AS marketplace,
                   t.finish::text AS finish, t.time, ROUND(t.price, 2) AS price, t.then_time,
                   ROUND(t.then_price, 2) AS then_price, ROUND(t.price - t.then_price, 2) AS change, t.change_pct
            FROM top t
            JOIN cards c ON c.id = t.card_id
            JOIN marketplaces m ON m.id = t.marketplace_id
            ORDER BY t.change_pct {{direction}}, t.card_id"""
        params = {
            "currency": currency,
            "condition": condition.value,
            "language": language.value,
            "lookback": timedelta(days=2),
            "min_price": min_price,
            "limit": limit,
            "format": legal_in,
        }
        with self.engine.begin() as conn:
            # Hash joins only: the windows' size is unknowable to the planner, and its
            # nested-loop guess ran for half a minute on 10M rows (measured).
            conn.execute(text("SET LOCAL enable_nestloop = off"))
            conn.execute(text(CUSTOM_PLANS))
            asof = conn.execute(
                text("SELECT max(bucket) FROM card_prices_hourly WHERE currency = :currency"),
                {"currency": currency},
            ).scalar()
            if asof is None:
                return {"gainers": [], "losers": [], "asof": None}
            params.update(now=asof, then=asof - period)
            out: dict[str, Any] = {"asof": asof}
            for name, compare, direction in (("gainers", ">", "DESC"), ("losers", "<", "ASC")):
                query = sql.format(compare=compare, direction=direction)
                out[name] = [dict(row) for row in conn.execute(text(query), params).mappings()]
            return out

    def volume_by_format(self, currency: str) -> list[dict[str, Any]]:
        """Per format: printings legal in it with a price in the last day of data, and their value."""
        with self.engine.begin() as conn:
            conn.execute(text(CUSTOM_PLANS))
            # The window's end is read first and passed in: as a CTE the planner could not
            # bound the scan with it and read every hourly row.
            now = conn.execute(
                text("SELECT max(bucket) FROM card_prices_hourly WHERE currency = :currency"), {"currency": currency}
            ).scalar()
            if now is None:
                return []
            rows = conn.execute(
                text(
                    """
                    WITH latest AS (
                        SELECT DISTINCT ON (card_id, marketplace_id, condition, finish, language)
                               card_id, avg_price, COALESCE(total_quantity, total_listings, 1) AS weight
                        FROM card_prices_hourly
                        WHERE currency = :currency
                          AND bucket > CAST(:now AS timestamptz) - interval '1 day' AND bucket <= :now
                        ORDER BY card_id, marketplace_id, condition, finish, language, bucket DESC
                    )
                    SELECT f.format, count(DISTINCT l.card_id) AS printings,
                           ROUND(SUM(l.avg_price * l.weight), 2) AS volume
                    FROM latest l
                    JOIN cards c ON c.id = l.card_id
                    CROSS JOIN LATERAL jsonb_each_text(c.legalities) AS f(format, status)
                    WHERE f.status IN ('legal', 'restricted')
                    GROUP BY f.format
                    ORDER BY volume DESC, f.format
                    """
                ),
                {"currency": currency, "now": now},
            ).mappings()
            return [dict(row) for row in rows]
