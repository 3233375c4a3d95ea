"""What a user's lots are worth on one marketplace, set-based: each statement joins all the user's lots
to `latest_prices` at once (by its primary key), never one query per lot.

A lot's price is the newest price of its exact variant (finish, condition, language) on the
marketplace, in the marketplace's currency; when that condition has none, Near Mint of the same
finish and language (`fallback`); otherwise the lot has no price, and is counted apart, never as zero.
A price is one copy's, rounded to the cent before it is multiplied by the quantity.

The join goes from the lots, and latest_prices' primary key starts with card_id, so the planner picks
per lot: a small holding (50 lots) probes the key for each lot (2 ms); 10,000 lots on the bench store
(10,000 printings, 30,000 prices on one marketplace) hash the marketplace's prices instead, which
EXPLAIN ANALYZE measured fastest there (server side, TIMING OFF, fastest of 12 runs: hash 28 ms;
forced to probe per lot 57-60 ms through the primary key, 40 ms through a covering index with the
price, which would also cost every settle its upkeep). No index added."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from data.repositories.prices import BUCKET_ORIGIN

_MARKETPLACE = "(SELECT id FROM marketplaces WHERE slug = :slug)"  # an InitPlan: a constant to the scans
_CURRENCY = "(SELECT currency FROM marketplaces WHERE slug = :slug)"


def _pick(column: str) -> str:
    """The exact variant's value of a latest_prices column when the lot's condition has a price, else Near Mint's."""
    return (
        f"CASE WHEN bool_or(x.condition = l.condition) THEN max(x.{column}) FILTER (WHERE x.condition = l.condition)"
        f" ELSE max(x.{column}) FILTER (WHERE x.condition = 'NEAR_MINT') END"
    )


def _priced(detail: bool) -> str:
    """The CTE `priced`: the user's lots, one row each, with the price of each on the marketplace `:slug`.

    One scan of latest_prices joined on the printing, finish and language, keeping the lot's condition and
    Near Mint (measured: two joins, exact and Near Mint, built two hash tables of the marketplace's prices
    and cost twice as much). `detail` adds the priced condition, the price's time and its day-before and
    week-before prices."""
    more = (
        f""",
               CASE WHEN bool_or(x.condition = l.condition) THEN l.condition
                    WHEN count(x.price) > 0 THEN 'NEAR_MINT'::card_condition END AS priced_condition,
               {_pick("time")} AS priced_at,
               ROUND({_pick("price_1d")}, 2) AS price_1d,
               ROUND({_pick("price_7d")}, 2) AS price_7d"""
        if detail
        else ""
    )
    return f"""
    priced AS (
        SELECT l.id, l.card_id, l.finish, l.condition, l.language, l.quantity, l.acquired_price,
               l.currency AS cost_currency, {_CURRENCY} AS currency,
               ROUND({_pick("price")}, 2) AS unit_price,
               count(x.price) > 0 AND NOT coalesce(bool_or(x.condition = l.condition), false) AS fallback{more}
        FROM lots l
        LEFT JOIN latest_prices x
               ON x.card_id = l.card_id AND x.marketplace_id = {_MARKETPLACE} AND x.currency = {_CURRENCY}
              AND x.condition IN (l.condition, 'NEAR_MINT') AND x.finish = l.finish AND x.language = l.language
        WHERE l.user_id = :user_id
        GROUP BY l.id
    )"""


# Value, cost basis and unrealized P&L in one pass over the priced lots, per currency of cost (the
# value is all in the marketplace's currency: the caller adds the groups up). Unrealized P&L takes
# the lots with both a price and a cost in the same currency (no rate is guessed).
_TOTALS = text(
    f"""
    WITH {_priced(detail=False)},
    lots_known AS (
        SELECT *, unit_price * quantity AS value, acquired_price * quantity AS cost,
               unit_price IS NOT NULL AND acquired_price IS NOT NULL AND cost_currency = currency AS comparable
        FROM priced
    )
    SELECT cost_currency, currency, count(*) AS lots, sum(quantity) AS copies,
           count(unit_price) AS priced_lots, sum(quantity) FILTER (WHERE unit_price IS NOT NULL) AS priced_copies,
           sum(value) AS value, count(*) FILTER (WHERE fallback) AS fallbacks,
           count(acquired_price) AS cost_lots,
           sum(quantity) FILTER (WHERE acquired_price IS NOT NULL) AS cost_copies, sum(cost) AS cost,
           count(*) FILTER (WHERE comparable) AS comparable_lots,
           sum(quantity) FILTER (WHERE comparable) AS comparable_copies,
           sum(value) FILTER (WHERE comparable) AS comparable_value,
           sum(cost) FILTER (WHERE comparable) AS comparable_cost
    FROM lots_known
    GROUP BY cost_currency, currency
    ORDER BY cost_currency
    """
)

# The value alone (the hot path): the totals' first columns, without the cost sums (measured a third cheaper).
_VALUE = text(
    f"""
    WITH {_priced(detail=False)}
    SELECT currency, count(*) AS lots, sum(quantity) AS copies, count(unit_price) AS priced_lots,
           sum(quantity) FILTER (WHERE unit_price IS NOT NULL) AS priced_copies, sum(unit_price * quantity) AS value,
           count(*) FILTER (WHERE fallback) AS fallbacks
    FROM priced
    GROUP BY currency
    """
)

_LOT_COLUMNS = """
    p.id, p.card_id, c.name, c.set_code, c.collector_number, p.finish::text AS finish,
    p.condition::text AS condition, p.language::text AS language, p.quantity"""

_UNPRICED = text(
    f"""
    WITH {_priced(detail=False)}
    SELECT {_LOT_COLUMNS}
    FROM priced p JOIN cards c ON c.id = p.card_id
    WHERE p.unit_price IS NULL
    ORDER BY c.name, c.set_code, c.collector_number, p.id
    LIMIT :limit
    """
)

_LOT_VALUES = text(
    f"""
    WITH {_priced(detail=True)}
    SELECT {_LOT_COLUMNS}, c.set_name, p.acquired_price, p.cost_currency, p.unit_price,
           p.unit_price * p.quantity AS value, p.currency, p.priced_condition::text AS priced_condition,
           p.fallback, p.priced_at
    FROM priced p JOIN cards c ON c.id = p.card_id
    ORDER BY c.name, c.set_code, c.collector_number, p.id
    """
)

# Held variants (lots of one printing and variant together) by their money change over the period:
# the newest price against the newest price at least a day (a week) before it, both from the hourly
# rollup, as the card page reads them (see `latest_prices`).
_MOVERS = text(
    f"""
    WITH {_priced(detail=True)},
    held AS (
        SELECT p.card_id, p.finish, p.condition, p.language, p.priced_condition, p.currency, p.unit_price,
               p.{{before}} AS before, sum(p.quantity) AS quantity,
               sum(p.quantity) * (p.unit_price - p.{{before}}) AS change
        FROM priced p
        WHERE p.unit_price IS NOT NULL AND p.{{before}} IS NOT NULL AND p.unit_price <> p.{{before}}
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    ),
    ranked AS (
        (SELECT * FROM held WHERE change > 0 ORDER BY change DESC, card_id LIMIT :limit)
        UNION ALL
        (SELECT * FROM held WHERE change < 0 ORDER BY change, card_id LIMIT :limit)
    )
    SELECT r.card_id, c.name, c.set_code, c.collector_number, r.finish::text AS finish,
           r.condition::text AS condition, r.language::text AS language,
           r.priced_condition::text AS priced_condition, r.currency, r.quantity, r.unit_price AS price,
           r.before, r.change, ROUND(100 * (r.unit_price - r.before) / r.before, 2) AS change_pct
    FROM ranked r JOIN cards c ON c.id = r.card_id
    ORDER BY r.change DESC, r.card_id
    """
)

# The held quantities valued day by day at each variant's daily mean price (sums over counts, as the
# card page's daily points), a variant keeping its last daily price until the next: each variant adds
# its first price, then each change of it, and the running sum over the days is the value.
_HISTORY = text(
    f"""
    WITH {_priced(detail=True)},
    held AS (
        SELECT card_id, finish, language, priced_condition AS condition, currency, sum(quantity) AS quantity,
               max(priced_at) AS last
        FROM priced WHERE unit_price IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5
    ),
    span AS (SELECT date_bin('1 day', max(last), {BUCKET_ORIGIN}) + interval '1 day' AS stop FROM held),
    daily AS (
        SELECT date_bin('1 day', h.bucket, {BUCKET_ORIGIN}) AS day, h.card_id, h.condition, h.finish,
               h.language, held.currency, held.quantity, ROUND(SUM(h.sum_price) / SUM(h.samples), 2) AS price
        FROM held
        CROSS JOIN span
        JOIN card_prices_hourly h
          ON h.card_id = held.card_id AND h.marketplace_id = {_MARKETPLACE} AND h.currency = held.currency
         AND h.condition = held.condition AND h.finish = held.finish AND h.language = held.language
         AND h.bucket >= span.stop - (:days + :lookback) * interval '1 day' AND h.bucket < span.stop
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    ),
    deltas AS (
        SELECT day, currency, quantity * (price - COALESCE(lag(price) OVER w, 0)) AS delta,
               (lag(price) OVER w IS NULL)::int AS first
        FROM daily
        WINDOW w AS (PARTITION BY card_id, condition, finish, language, currency ORDER BY day)
    )
    SELECT day::date AS day, currency, sum(sum(delta)) OVER (PARTITION BY currency ORDER BY day) AS value,
           sum(sum(first)) OVER (PARTITION BY currency ORDER BY day) AS variants,
           (SELECT stop FROM span)::date AS stop
    FROM deltas
    GROUP BY day, currency
    ORDER BY currency, day
    """
)


class PortfolioRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def totals(self, user_id: int, slug: str) -> list[dict[str, Any]]:
        """Per currency the lots were bought in (`cost_currency`; `currency` is the marketplace's): the
        lots and copies, those with a price (`priced_*`, `value`, and the `fallbacks` priced at Near
        Mint), those with a known cost (`cost_*`, `cost`), and those with both in one currency
        (`comparable_*`, their value and cost)."""
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(_TOTALS, {"user_id": user_id, "slug": slug}).mappings()]

    def value(self, user_id: int, slug: str) -> list[dict[str, Any]]:
        """`lots`, `copies`, `priced_*`, `value` and `fallbacks` as in `totals`, in one row (the
        marketplace's currency)."""
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(_VALUE, {"user_id": user_id, "slug": slug}).mappings()]

    def unpriced(self, user_id: int, slug: str, limit: int) -> list[dict[str, Any]]:
        """The lots without a price on the marketplace, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(_UNPRICED, {"user_id": user_id, "slug": slug, "limit": limit})
            return [dict(row) for row in rows.mappings()]

    def lot_values(self, user_id: int, slug: str) -> list[dict[str, Any]]:
        """Every lot with its printing, unit price, value (None without a price) and cost."""
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(_LOT_VALUES, {"user_id": user_id, "slug": slug}).mappings()]

    def movers(self, user_id: int, slug: str, period: str, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` held variants that gained most in money over `period` ('24h' or '7d'), and as
        many that lost most, gainers first."""
        before = {"24h": "price_1d", "7d": "price_7d"}[period]
        sql = text(_MOVERS.text.replace("{before}", before))
        with self.engine.connect() as conn:
            rows = conn.execute(sql, {"user_id": user_id, "slug": slug, "limit": limit})
            return [dict(row) for row in rows.mappings()]

    def value_history(self, user_id: int, slug: str, days: int, lookback: int) -> list[dict[str, Any]]:
        """Per currency, the held quantities' value on each day that some held variant has a price,
        up to the day of the newest price (`stop` is the day after it); prices from `lookback` days
        before the first day carry into it."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                _HISTORY, {"user_id": user_id, "slug": slug, "days": days, "lookback": lookback}
            ).mappings()
            return [dict(row) for row in rows]

    def realized(self, user_id: int) -> list[dict[str, Any]]:
        """Per currency: sales, copies sold, proceeds, and realized P&L of the sales with a known cost
        (their proceeds and cost), the sales without one counted apart."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    """
                    SELECT currency, count(*) AS sales, sum(quantity) AS copies, sum(price * quantity) AS proceeds,
                           sum(price * quantity) FILTER (WHERE cost IS NOT NULL) AS proceeds_with_cost,
                           sum(cost * quantity) AS cost,
                           count(*) FILTER (WHERE cost IS NULL) AS unknown_cost
                    FROM sales WHERE user_id = :user_id
                    GROUP BY currency ORDER BY currency
                    """
                ),
                {"user_id": user_id},
            )
            return [dict(row) for row in rows.mappings()]
