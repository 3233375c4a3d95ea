"""Each variant's day: its close (the daily index's price) and its price range (the outlier judge's
prefilter), so that neither re-reads a day of hourly rows.

Close. A variant's price on a day is its close: the mean of its last unflagged hour of the day in
`card_prices_hourly`, as a price guide quotes one price a day. Every real source publishes once a day,
so the close is that day's price; for a source that settles many hours a day it is the newest. Range.
`low` and `high` bound every hourly mean of the day, flagged or not.

Lone days are not stored. A day whose only hour is its start (each day of the daily prices MTGJSON
publishes) is that hour: its close is the hour's mean unless the hour is flagged, and its low and
high are that mean. Writing those days would repeat the hourly rollup row for row (an import's 5M
prices: 18 s of the server's 92), so `days_sql` reads them from the hourly rows. Every other day, one
with an hour off its start, is kept in `variant_days`, computed whole from its hours by each settle
that brings one of them (`extend`), and re-closed when its flags change (`reclose`).

A plain table in both storage modes, read by `MarketIndexRepository` and `OutlierRepository`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, text

from data.db import CARD_IDS
from data.repositories.prices import BUCKET_ORIGIN

VARIANT = ("card_id", "marketplace_id", "condition", "finish", "language", "currency")
_KEY = ", ".join(VARIANT)


def _same(left: str, right: str) -> str:
    return " AND ".join(f"{left}.{column} = {right}.{column}" for column in VARIANT)


def _columns(table: str) -> str:
    return ", ".join(f"{table}.{column}" for column in VARIANT)


_FLAGGED = f"EXISTS (SELECT 1 FROM price_outliers o WHERE {_same('o', 'h')} AND o.bucket = h.bucket)"
_DAY = f"date_bin('1 day', h.bucket, {BUCKET_ORIGIN})"
# An hour's mean: AVG is its sum over its count, to the digit, so its column saves dividing again.
_MEAN = "h.avg_price"
# A range is in float8, as the judge computes its prices (outliers.py): 2M numeric divisions cost 2 s.
_FLOAT_MEAN = "h.sum_price::float8 / h.samples"


def days_sql(lower: str, upper: str | None = None, by_card: bool = False) -> str:
    """Every variant-day from the day `lower` up to the day `upper` (SQL expressions; exclusive; None:
    to the end), of the cards `:card_ids` when `by_card`: the stored days, and each lone day-start hour
    as a day of its own. Columns: the variant's, day, close_bucket, close, low, high."""
    stored = f"d.day >= {lower}" + ("" if upper is None else f" AND d.day < {upper}")
    hours = f"h.bucket >= {lower}" + ("" if upper is None else f" AND h.bucket < {upper}")
    cards = f" AND {{table}}.card_id = ANY({CARD_IDS})" if by_card else ""
    return f"""
        SELECT {_columns("d")}, d.day, d.close_bucket, d.close, d.low, d.high
        FROM variant_days d WHERE {stored}{cards.format(table="d")}
        UNION ALL
        SELECT {_columns("h")}, h.bucket, CASE WHEN o.bucket IS NULL THEN h.bucket END,
               CASE WHEN o.bucket IS NULL THEN {_MEAN} END, {_FLOAT_MEAN}, {_FLOAT_MEAN}
        FROM card_prices_hourly h
        LEFT JOIN price_outliers o ON {_same("o", "h")} AND o.bucket = h.bucket  -- a few rows: hashed
        WHERE h.samples > 0 AND {hours} AND h.bucket = {_DAY}{cards.format(table="h")}
          AND NOT EXISTS (SELECT 1 FROM variant_days d WHERE {stored} AND d.day = h.bucket AND {_same("d", "h")})"""


_HOURS = "h.samples > 0 AND h.bucket >= :start {upper} {cards}"
# The days to compute: those with an hour off their start among the hours read, and the stored days
# starting among them (a day-start hour that came after the day's later hours), found through the
# (card_id, day) index when the cards are named.
_TOUCHED = f"""
    CREATE TEMP TABLE touched_days ON COMMIT DROP AS
    SELECT {_columns("h")}, {_DAY} AS day FROM card_prices_hourly h WHERE {_HOURS} AND h.bucket <> {_DAY}
    UNION
    SELECT {_columns("d")}, d.day FROM variant_days d WHERE d.day >= :start {{day_upper}} {{day_cards}}"""
_FORGET = f"DELETE FROM variant_days d USING touched_days t WHERE {_same('d', 't')} AND d.day = t.day"
# Each touched day whole, from every hour of it: the last unflagged hour, and the range of all. A day
# left with its start hour alone is not stored again. Day first, as the key: its index is written in order.
_COMPUTE = f"""
    INSERT INTO variant_days ({_KEY}, day, close_bucket, close, low, high)
    SELECT {_KEY}, day,
           max(bucket) FILTER (WHERE NOT flagged),
           (array_agg(price ORDER BY bucket DESC) FILTER (WHERE NOT flagged))[1],
           min(float_price), max(float_price)
    FROM (
        SELECT h.*, t.day, {_MEAN} AS price, {_FLOAT_MEAN} AS float_price, o.bucket IS NOT NULL AS flagged
        FROM touched_days t
        JOIN card_prices_hourly h ON {_same("h", "t")} AND {_DAY} = t.day
        LEFT JOIN price_outliers o ON {_same("o", "h")} AND o.bucket = h.bucket
        WHERE h.samples > 0 AND h.bucket >= date_bin('1 day', :start, {BUCKET_ORIGIN})
          {{hours_upper}} {{cards}}
    ) h
    GROUP BY day, {_KEY}
    HAVING bool_or(bucket <> day)"""
# The last unflagged hour of each listed variant-day, read through the (card_id, bucket) key.
_RECLOSE = f"""
    UPDATE variant_days d SET close_bucket = c.bucket, close = c.price
    FROM (
        SELECT t.*, last.bucket, last.price
        FROM (
            SELECT DISTINCT card_id, marketplace_id, condition, finish, language, currency,
                   date_bin('1 day', hour, {BUCKET_ORIGIN}) AS day
            FROM unnest(CAST(:card_ids AS integer[]), CAST(:markets AS integer[]),
                        CAST(:conditions AS card_condition[]), CAST(:finishes AS card_finish[]),
                        CAST(:languages AS card_language[]), CAST(:currencies AS text[]),
                        CAST(:hours AS timestamptz[]))
                 AS t(card_id, marketplace_id, condition, finish, language, currency, hour)
        ) t
        LEFT JOIN LATERAL (
            SELECT h.bucket, {_MEAN} AS price
            FROM card_prices_hourly h
            WHERE h.card_id = t.card_id AND h.bucket >= t.day AND h.bucket < t.day + interval '1 day'
              AND h.marketplace_id = t.marketplace_id AND h.condition = t.condition AND h.finish = t.finish
              AND h.language = t.language AND h.currency = t.currency AND h.samples > 0 AND NOT {_FLAGGED}
            ORDER BY h.bucket DESC LIMIT 1
        ) last ON TRUE
    ) c
    WHERE {_same("d", "c")} AND d.day = c.day"""


class VariantDayRepository:
    """Works inside a caller's transaction: the index refresh keeps the days, the flags and the links in step."""

    def extend(self, conn: Connection, start: datetime, end: datetime | None, card_ids: list[int] | None) -> None:
        """Bring the days of the hourly rows in [start, end) (None: to the end) of these cards (None:
        all) up to date: each day holding one of them off its start, or stored, is computed whole."""
        self._write(conn, {"start": start, "end": end, "card_ids": card_ids}, end, card_ids)

    def rebuild(self, conn: Connection, since: datetime, until: datetime | None) -> None:
        """Recompute every day from the one holding `since` to the one holding `until` (None: to the end)."""
        start, end = conn.execute(
            text(
                f"SELECT date_bin('1 day', :since, {BUCKET_ORIGIN}),"
                f" date_bin('1 day', :until, {BUCKET_ORIGIN}) + interval '1 day'"
            ),
            {"since": since, "until": until},
        ).one()
        upper = "" if end is None else " AND day < :end"
        conn.execute(text(f"DELETE FROM variant_days WHERE day >= :start{upper}"), {"start": start, "end": end})
        self._write(conn, {"start": start, "end": end}, end, None)

    @staticmethod
    def _write(conn: Connection, params: dict, end: datetime | None, card_ids: list[int] | None) -> None:
        cards = "" if card_ids is None else f"AND {{table}}.card_id = ANY({CARD_IDS})"
        conn.execute(
            text(
                _TOUCHED.format(
                    upper="" if end is None else "AND h.bucket < :end",
                    cards=cards.format(table="h"),
                    day_upper="" if end is None else "AND d.day < :end",
                    day_cards=cards.format(table="d"),
                )
            ),
            params,
        )
        # Daily prices touch no day: then nothing is written.
        if conn.execute(text("SELECT EXISTS (SELECT 1 FROM touched_days)")).scalar():
            conn.execute(text("ANALYZE touched_days"))  # its size decides the joins
            conn.execute(text(_FORGET))
            upper = "" if end is None else "AND h.bucket < CAST(:end AS timestamptz) + interval '1 day'"
            conn.execute(text(_COMPUTE.format(hours_upper=upper, cards=cards.format(table="h"))), params)
        conn.execute(text("DROP TABLE touched_days"))

    def reclose(self, conn: Connection, hours: Iterable[tuple]) -> None:
        """Re-close the stored days of these (card_id, marketplace_id, condition, finish, language,
        currency, bucket) hours, whose flags changed, as `OutlierRepository.judge` read them (a lone
        day's close is read with its hour's flag)."""
        columns = list(zip(*hours, strict=True))
        if not columns:
            return
        names = ("card_ids", "markets", "conditions", "finishes", "languages", "currencies", "hours")
        conn.execute(text(_RECLOSE), {name: list(column) for name, column in zip(names, columns, strict=True)})
