"""Flagged outlier prices, kept in `price_outliers`: never deleted from the data, left out of the index.

The rule, per variant (card, marketplace, condition, finish, language, currency) and
hourly bucket of `card_prices_hourly`: its mean price p is flagged when
  - the variant has at least MIN_BEFORE prices in the WINDOW (4 days) before it, and
    p is more than `multiple` times their median m, or less than m / `multiple`;
  - and the price comes back: one of the variant's next RETURN_POINTS prices, within
    WINDOW of p, lies between m / `multiple` and m * `multiple`.
A move that stays (a ban, a reprint, a buyout that holds) is never flagged: it does not
come back. The newest price of a jump cannot be judged until a later price arrives, so
a spike is flagged when the price after it lands, and the index is refreshed from it.

The median is the lower median (`percentile_disc`), an observed price; one or two wild
prices among the window's cannot move it. `multiple` is CARDCHARTS_OUTLIER_MULTIPLE
(default 5: real daily moves of 5x that reverse within three prices are rare; typos of
10x-100x are not).

`judge` re-decides the prices whose verdict new data can change: those from WINDOW
before the new data on (a later price can confirm a spike up to WINDOW back), reading
WINDOW more before them for their medians. It returns the hours whose flag appeared or
went: their days are re-closed (variant_days.py) and the index re-linked from the earliest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from data.db import CARD_IDS
from data.repositories.prices import BUCKET_ORIGIN
from data.repositories.variant_days import VARIANT, days_sql

DEFAULT_MULTIPLE = 5.0
WINDOW = timedelta(days=4)
MIN_BEFORE = 3
RETURN_POINTS = 3

_SAME_VARIANT = " AND ".join(f"o.{column} = j.{column}" for column in VARIANT)
_BACK = " OR ".join(
    f"(n{i} IS NOT NULL AND t{i} <= bucket + :window AND n{i} <= :k * median AND n{i} * :k >= median)"
    for i in range(1, RETURN_POINTS + 1)
)
# Only variants whose day ranges in the read window hold a price more than k times another (a flag
# needs one: its median is one of the prices) are judged; nearly none are, so the hourly rows read
# below are a handful, found through the (card_id, bucket) key (variant_days.py gives the ranges).
_CANDIDATES = f"""
    CREATE TEMPORARY TABLE judge_candidates ON COMMIT DROP AS
    SELECT {", ".join(VARIANT)} FROM ({{days}}) d GROUP BY {", ".join(VARIANT)} HAVING max(high) > :k * min(low)"""
_READ_FROM = f"date_bin('1 day', CAST(:read_from AS timestamptz), {BUCKET_ORIGIN})"
_JUDGE = f"""
    CREATE TEMPORARY TABLE judged ON COMMIT DROP AS
    WITH points AS MATERIALIZED (  -- judged in float8: a ratio test needs no exact decimals, and is 10x faster
        SELECT h.*
        FROM judge_candidates c
        CROSS JOIN LATERAL (
            SELECT {", ".join(VARIANT)}, bucket, sum_price, samples, sum_price::float8 / samples AS p
            FROM card_prices_hourly h
            WHERE h.card_id = c.card_id AND h.bucket >= :read_from AND h.marketplace_id = c.marketplace_id
              AND h.condition = c.condition AND h.finish = c.finish AND h.language = c.language
              AND h.currency = c.currency AND h.samples > 0 AND h.sum_price > 0
            OFFSET 0  -- a fence: flattened, the join would read every hourly row of the window
        ) h
    ),
    framed AS (
        SELECT *,
               array_agg(p) OVER (w RANGE BETWEEN :window PRECEDING AND '1 microsecond' PRECEDING) AS before,
               {
    ", ".join(f"lead(p, {i}) OVER w AS n{i}, lead(bucket, {i}) OVER w AS t{i}" for i in range(1, RETURN_POINTS + 1))
}
        FROM points
        WINDOW w AS (PARTITION BY {", ".join(VARIANT)} ORDER BY bucket)
    ),
    medians AS MATERIALIZED (  -- the median once per price, not once per use below
        SELECT f.*, m.median
        FROM framed f
        CROSS JOIN LATERAL (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) AS median FROM unnest(f.before) x) m
        WHERE f.bucket >= :write_from AND cardinality(f.before) >= {MIN_BEFORE}
    )
    SELECT {", ".join(VARIANT)}, bucket, sum_price / samples AS price, round(median::numeric, 6) AS median
    FROM medians
    WHERE (p > :k * median OR p * :k < median) AND ({_BACK})"""
_UNFLAG = f"""
    DELETE FROM price_outliers o
    WHERE o.bucket >= :write_from {{cards}}
      AND NOT EXISTS (SELECT 1 FROM judged j WHERE j.bucket = o.bucket AND {_SAME_VARIANT})
    RETURNING {", ".join(f"o.{column}" for column in VARIANT)}, o.bucket"""
_FLAG = f"""
    INSERT INTO price_outliers ({", ".join(VARIANT)}, bucket, price, median)
    SELECT {", ".join(VARIANT)}, bucket, price, median FROM judged
    ON CONFLICT ({", ".join(VARIANT)}, bucket) DO UPDATE SET price = EXCLUDED.price, median = EXCLUDED.median
    RETURNING {", ".join(VARIANT)}, bucket, xmax = 0 AS new"""


class OutlierRepository:
    def __init__(self, engine: Engine, multiple: float = DEFAULT_MULTIPLE) -> None:
        if not multiple > 1:
            raise ValueError("the outlier multiple must be greater than 1")
        self.engine = engine
        self.multiple = multiple

    def judge(self, conn: Connection, since: datetime, card_ids: list[int] | None) -> list[tuple]:
        """Re-decide, in the caller's transaction, the flags that prices from `since` on can change
        (of these cards, or of all), once their days are current (variant_days.py). Returns the hours whose
        flag appeared or went, as (card_id, marketplace_id, condition, finish, language, currency, bucket)."""
        params = {
            "read_from": since - 2 * WINDOW,
            "write_from": since - WINDOW,
            "window": WINDOW,
            "k": self.multiple,
            "card_ids": card_ids,
        }
        cards = "" if card_ids is None else f"AND {{column}} = ANY({CARD_IDS})"
        days = days_sql(_READ_FROM, by_card=card_ids is not None)
        # Grouped by hash: a few thousand variants over millions of days (sorted, 2M days: 2.3 s; hashed, 1.6 s).
        conn.execute(text("SET LOCAL enable_sort = off"))
        conn.execute(text(_CANDIDATES.format(days=days)), params)
        conn.execute(text("SET LOCAL enable_sort = on"))
        conn.execute(text("ANALYZE judge_candidates"))  # a few rows: the hourly rows are read by key
        conn.execute(text(_JUDGE), params)
        unflag = _UNFLAG.format(cards=cards.format(column="o.card_id"))
        changed = [tuple(row) for row in conn.execute(text(unflag), params)]
        changed += [tuple(row[:-1]) for row in conn.execute(text(_FLAG), params) if row.new]
        return changed

    def for_card(self, card_id: int, start: datetime | None, end: datetime | None) -> list[dict[str, Any]]:
        """The card's flagged prices in [start, end) (None: unbounded), oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT {', '.join(VARIANT[1:])}, bucket AS time, price, median FROM price_outliers"
                    " WHERE card_id = :card_id AND (CAST(:start AS timestamptz) IS NULL OR bucket >= :start)"
                    " AND (CAST(:end AS timestamptz) IS NULL OR bucket < :end) ORDER BY bucket"
                ),
                {"card_id": card_id, "start": start, "end": end},
            ).mappings()
            return [dict(row) for row in rows]
