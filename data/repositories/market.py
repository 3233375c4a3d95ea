"""Market-wide reads. They go to the rollups and the chained index (`market_index`), never to a
scan of the raw snapshots."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from data.domain import Condition, Language, Resolution, VariantFilter
from data.repositories.market_index import INDEX_RESOLUTIONS
from data.repositories.prices import variant_clauses

_INDEX_TABLES = {
    Resolution.MIN30: "market_index_30min",
    Resolution.HOUR: "market_index_hourly",
    Resolution.DAY: "market_index_daily",
}

# The columns of `latest_prices` holding the price a period before the newest.
_PERIOD_COLUMNS = {timedelta(days=1): "1d", timedelta(days=7): "7d"}


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
        """The average price per bucket over the chosen variants (every priced variant, buylists
        included: not an index), exact from sums and counts."""
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

    def chained_index(
        self,
        span: timedelta | None,
        resolution: Resolution,
        currency: str,
        kind: str = "all",
        key: str = "",
    ) -> tuple[datetime | None, list[dict[str, Any]]]:
        """The chained index of one sub-index over `span` (None: all of it) ending at the end of the
        whole index's newest bucket: that end (None: no index yet), and level, link relative and
        matched variants per bucket. One statement: the page reads it uncached after every settle."""
        if resolution not in INDEX_RESOLUTIONS:
            raise ValueError(f"the chained index has no {resolution.name} resolution")
        since = " AND r.bucket >= e.asof - :span" if span is not None else ""
        sql = f"""
            WITH e AS (
                SELECT max(bucket) + :width AS asof FROM market_index
                WHERE resolution = :resolution AND currency = :currency AND kind = 'all' AND key = ''
            )
            SELECT e.asof, r.bucket AS time, r.level, r.relative, r.matched
            FROM e LEFT JOIN market_index r
              ON r.resolution = :resolution AND r.currency = :currency AND r.kind = :kind AND r.key = :key
             AND r.bucket < e.asof {since}
            ORDER BY r.bucket"""
        params = {"width": resolution.value, "span": span, "resolution": resolution.name, "currency": currency}
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), {**params, "kind": kind, "key": key}).mappings().all()
        asof = rows[0]["asof"] if rows else None
        return asof, [dict(row) for row in rows if row["time"] is not None]

    def sub_indexes(self, currency: str) -> list[dict[str, str]]:
        """The format, rarity and set sub-indexes the daily index holds for this currency."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT DISTINCT kind, key FROM market_index"
                    " WHERE resolution = 'DAY' AND currency = :currency AND kind <> 'all' ORDER BY kind, key"
                ),
                {"currency": currency},
            ).mappings()
            return [dict(row) for row in rows]

    def data_end(self, resolution: Resolution, currency: str) -> datetime | None:
        """The end of the newest bucket at this resolution (None when there is no data)."""
        table = _INDEX_TABLES[resolution]
        with self.engine.connect() as conn:
            return conn.execute(
                text(f"SELECT max(bucket) + :width FROM {table} WHERE currency = :currency"),
                {"width": resolution.value, "currency": currency},
            ).scalar()

    def overview(
        self, currency: str, resolution: Resolution = Resolution.DAY, kind: str = "all", key: str = ""
    ) -> dict[str, Any]:
        """Catalog size, printings priced in this currency, and the chained index (at this resolution
        and sub-index) at its newest bucket and at its last buckets a day and a week before that."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    text(
                        """
                    WITH last AS (
                        SELECT max(bucket) AS bucket FROM market_index_30min WHERE currency = :currency
                    ), series AS (
                        SELECT bucket, level FROM market_index
                        WHERE resolution = :resolution AND currency = :currency AND kind = :kind AND key = :key
                    ), newest AS (
                        SELECT bucket, level FROM series ORDER BY bucket DESC LIMIT 1
                    )
                    SELECT
                        (SELECT count(*) FROM cards) AS cards,
                        COALESCE((SELECT printings FROM market_totals WHERE currency = :currency), 0)
                            AS printings_tracked,
                        (SELECT bucket FROM last) AS last_bucket,
                        (SELECT SUM(total_listings)::bigint FROM market_index_30min
                          WHERE currency = :currency AND bucket = (SELECT bucket FROM last))
                            AS listings,
                        (SELECT bucket FROM newest) AS level_time,
                        (SELECT level FROM newest) AS level,
                        (SELECT level FROM series WHERE bucket <= (SELECT bucket - interval '1 day' FROM newest)
                          ORDER BY bucket DESC LIMIT 1) AS level_1d_ago,
                        (SELECT level FROM series WHERE bucket <= (SELECT bucket - interval '7 days' FROM newest)
                          ORDER BY bucket DESC LIMIT 1) AS level_7d_ago
                    """
                    ),
                    {"currency": currency, "resolution": resolution.name, "kind": kind, "key": key},
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
        """Biggest relative gainers and losers between each variant's newest price and its
        price `period` before, among variants priced in the two days before the newest data.

        Prices under `min_price` (bulk) are left out; `legal_in` keeps one format's cards."""
        if period not in _PERIOD_COLUMNS:
            raise ValueError(f"movers are kept over {', '.join(map(str, _PERIOD_COLUMNS))}, not {period}")
        suffix = _PERIOD_COLUMNS[period]
        fmt_clause = ""
        if legal_in:
            fmt_clause = (
                " AND EXISTS (SELECT 1 FROM cards c WHERE c.id = l.card_id AND c.legalities ->> :format = 'legal')"
            )
        # Gainers walk the change index forwards and losers backwards (hence the
        # losers' card_id DESC tie-break), stopping at the limit-th variant that passes.
        sql = f"""
            WITH top AS (
                SELECT l.card_id, l.marketplace_id, l.finish, l.time, l.price, l.time_{suffix} AS then_time,
                       l.price_{suffix} AS then_price, l.change_{suffix} AS change_pct
                FROM latest_prices l
                WHERE l.currency = :currency AND l.condition = :condition AND l.language = :language
                  AND l.change_{suffix} {{compare}} 0
                  AND l.time > CAST(:asof AS timestamptz) - interval '2 days' AND l.price >= :min_price
                  {fmt_clause}
                ORDER BY l.change_{suffix} {{order}}
                LIMIT :limit
            )
            SELECT t.card_id, c.name, c.set_code, c.collector_number, t.marketplace_id, m.name AS marketplace,
                   t.finish::text AS finish, t.time, ROUND(t.price, 2) AS price, t.then_time,
                   ROUND(t.then_price, 2) AS then_price, ROUND(t.price - t.then_price, 2) AS change,
                   ROUND(t.change_pct, 2) AS change_pct
            FROM top t
            JOIN cards c ON c.id = t.card_id
            JOIN marketplaces m ON m.id = t.marketplace_id
            ORDER BY t.change_pct {{order}}"""
        params = {
            "currency": currency,
            "condition": condition.value,
            "language": language.value,
            "min_price": min_price,
            "limit": limit,
            "format": legal_in,
        }
        with self.engine.connect() as conn:
            asof = conn.execute(text("SELECT asof FROM market_totals WHERE currency = :currency"), params).scalar()
            if asof is None:
                return {"gainers": [], "losers": [], "asof": None}
            out: dict[str, Any] = {"asof": asof}
            for name, compare, order in (
                ("gainers", ">", "DESC, card_id"),
                ("losers", "<", "ASC, card_id DESC"),
            ):
                query = sql.format(compare=compare, order=order)
                out[name] = [dict(row) for row in conn.execute(text(query), {**params, "asof": asof}).mappings()]
            return out

    def volume_by_format(self, currency: str) -> list[dict[str, Any]]:
        """Per format: printings legal in it with a price in the last day of data, and their value."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT format, printings, volume FROM format_volume"
                    " WHERE currency = :currency ORDER BY volume DESC, format"
                ),
                {"currency": currency},
            ).mappings()
            return [dict(row) for row in rows]
