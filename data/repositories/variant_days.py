"""Each variant's day in `variant_days`: its close (the daily index's price) and its price range (the
outlier judge's prefilter), kept from the settled hours so that neither re-reads a day of hourly rows.

Close. A variant's price on a day is its close: the mean of its last unflagged hour of the day in
`card_prices_hourly`, as a price guide quotes one price a day. Every real source publishes once a day,
so the close is that day's price; for a source that settles many hours a day it is the newest. A
settle brings only its own hours (`extend`): an hour at or after the stored close replaces it, an
earlier one leaves it. Flags change which hours count, so the days whose flags changed are re-closed
from their hourly rows (`reclose`), which holds a handful of rows per flag.

Range. `low` and `high` bound every hourly mean of the day, flagged or not. `extend` only widens
them: when a settle lowers an hour that was the day's high, the bound stays wider than the truth.
The judge reads them as a prefilter (could a price of this variant be k times another one?), where
too wide costs a little work and too narrow would miss a flag; `rebuild` makes them exact again.

A plain table in both storage modes, read by `MarketIndexRepository` and `OutlierRepository`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, text

from data.db import CARD_IDS, insert_new
from data.repositories.prices import BUCKET_ORIGIN

# Up to this many cards, each of their days merges: telling new days from stored ones would read every
# card's stored days in the window (no index leads with the card), where a batch of a 90-day file holds
# a few dozen cards. Past it (a day of every card, or a settle of thousands), that read pays for itself.
FEW_CARDS = 1_000
VARIANT = ("card_id", "marketplace_id", "condition", "finish", "language", "currency")
_KEY = ", ".join(VARIANT)
_FLAGGED = """
    EXISTS (
        SELECT 1 FROM price_outliers o
        WHERE o.card_id = h.card_id AND o.bucket = h.bucket AND o.marketplace_id = h.marketplace_id
          AND o.condition = h.condition AND o.finish = h.finish AND o.language = h.language
          AND o.currency = h.currency)"""
_DAY = f"date_bin('1 day', h.bucket, {BUCKET_ORIGIN})"
_HOURS = "h.samples > 0 AND h.bucket >= :start {upper} {cards}"
# Variant-days with an hour off the day's start: only these can hold more than one hour. The daily
# prices every real source publishes are each alone at the start of its day, where a day is its one
# hour (close, low and high all that hour's mean): those are copied without the sort and the per-day
# arrays that grouping costs (measured at 1M hours: 5.4 s against 7.8 s).
_CROWDED = f"""
    CREATE TEMP TABLE crowded_days ON COMMIT DROP AS
    SELECT DISTINCT {_KEY}, {_DAY} AS day FROM card_prices_hourly h WHERE {_HOURS} AND h.bucket <> {_DAY}"""
_IN_CROWDED = "EXISTS (SELECT 1 FROM crowded_days c WHERE {same} AND c.day = {day})".format(
    same=" AND ".join(f"c.{column} = h.{column}" for column in VARIANT), day=_DAY
)
# One row per variant and day of the hourly rows read: the last unflagged hour, and the range of all.
_ALONE = f"""
    SELECT {", ".join(f"h.{column}" for column in VARIANT)}, h.bucket AS day,
           CASE WHEN o.bucket IS NULL THEN h.bucket END AS close_bucket,
           CASE WHEN o.bucket IS NULL THEN h.sum_price / h.samples END AS close,
           (h.sum_price / h.samples)::float8 AS low, (h.sum_price / h.samples)::float8 AS high
    FROM card_prices_hourly h
    LEFT JOIN price_outliers o USING ({_KEY}, bucket)  -- a few rows: hashed
    WHERE {_HOURS} AND h.bucket = {_DAY}"""
_NOT_CROWDED = f" AND NOT {_IN_CROWDED}"
_STORED = f"""
    EXISTS (SELECT 1 FROM variant_days d WHERE d.day = h.bucket AND {" AND ".join(f"d.{c} = h.{c}" for c in VARIANT)}
                                          AND d.day >= :start {{day_upper}})"""
_GROUPED = f"""
    SELECT {_KEY}, day,
           max(h.bucket) FILTER (WHERE NOT h.flagged) AS close_bucket,
           (array_agg(h.price ORDER BY h.bucket DESC) FILTER (WHERE NOT h.flagged))[1] AS close,
           min(h.price)::float8 AS low, max(h.price)::float8 AS high
    FROM (
        SELECT h.*, {_DAY} AS day, h.sum_price / h.samples AS price, o.bucket IS NOT NULL AS flagged
        FROM card_prices_hourly h
        LEFT JOIN price_outliers o USING ({_KEY}, bucket)
        WHERE {_HOURS} AND {_IN_CROWDED}
    ) h
    GROUP BY day, {_KEY}"""  # day first, as the key: its index is written in order
_INSERT = f"INSERT INTO variant_days AS d ({_KEY}, day, close_bucket, close, low, high)"
_MERGE = f"""
    ON CONFLICT (day, {_KEY}) DO UPDATE SET
        close_bucket = CASE WHEN d.close_bucket > EXCLUDED.close_bucket OR EXCLUDED.close_bucket IS NULL
                            THEN d.close_bucket ELSE EXCLUDED.close_bucket END,
        close = CASE WHEN d.close_bucket > EXCLUDED.close_bucket OR EXCLUDED.close_bucket IS NULL
                     THEN d.close ELSE EXCLUDED.close END,
        low = least(d.low, EXCLUDED.low),
        high = greatest(d.high, EXCLUDED.high)"""
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
            SELECT h.bucket, h.sum_price / h.samples AS price
            FROM card_prices_hourly h
            WHERE h.card_id = t.card_id AND h.bucket >= t.day AND h.bucket < t.day + interval '1 day'
              AND h.marketplace_id = t.marketplace_id AND h.condition = t.condition AND h.finish = t.finish
              AND h.language = t.language AND h.currency = t.currency AND h.samples > 0 AND NOT {_FLAGGED}
            ORDER BY h.bucket DESC LIMIT 1
        ) last ON TRUE
    ) c
    WHERE d.card_id = c.card_id AND d.marketplace_id = c.marketplace_id AND d.condition = c.condition
      AND d.finish = c.finish AND d.language = c.language AND d.currency = c.currency AND d.day = c.day"""


class VariantDayRepository:
    """Works inside a caller's transaction: the index refresh keeps the days, the flags and the links in step."""

    def extend(self, conn: Connection, start: datetime, end: datetime | None, card_ids: list[int] | None) -> None:
        """Fold the hourly rows in [start, end) (None: to the end) of these cards (None: all) into their days."""
        self._write(conn, {"start": start, "end": end, "card_ids": card_ids}, end, card_ids, merge=True)

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
        self._write(conn, {"start": start, "end": end}, end, None, merge=False)

    @staticmethod
    def _write(conn: Connection, params: dict, end: datetime | None, card_ids: list[int] | None, merge: bool) -> None:
        """The days of the hourly rows read: the lone day-start hours copied, the others grouped
        (`merge`: into the stored days, as `_MERGE` says; otherwise into days just deleted)."""
        conn.execute(text(_sql(_CROWDED, end, card_ids)), params)
        # Daily prices leave crowded_days empty: then no lone hour needs checking against it.
        alone, grouped = _ALONE, []
        if conn.execute(text("SELECT EXISTS (SELECT 1 FROM crowded_days)")).scalar():
            conn.execute(text("ANALYZE crowded_days"))  # its size decides the join
            alone, grouped = _ALONE + _NOT_CROWDED, [_GROUPED]

        def insert_alone() -> int:
            return conn.execute(text(_INSERT + _sql(alone, end, card_ids)), params).rowcount

        if not merge:  # (a day's rows side by side: a window is a few pages)
            for rows in (alone, *grouped):
                conn.execute(text(_INSERT + _sql(rows, end, card_ids) + " ORDER BY day"), params)
        elif insert_new(conn, insert_alone) is not None:
            # Every lone hour's day was new (an import's, a new day's settle): inserted without the
            # speculative insertion a merge costs each row (an import's 1M days: 3.6 s against 6.5 s).
            for rows in grouped:
                conn.execute(text(_INSERT + _sql(rows, end, card_ids) + _MERGE), params)
        elif card_ids is not None and len(card_ids) <= FEW_CARDS:
            for rows in (alone, *grouped):
                conn.execute(text(_INSERT + _sql(rows, end, card_ids) + _MERGE), params)
        else:
            # Lone hours of stored days merge; then those of new days are inserted. The judge's lock
            # keeps other writers out in between.
            for rows in (alone + " AND " + _STORED, *grouped):
                conn.execute(text(_INSERT + _sql(rows, end, card_ids) + _MERGE), params)
            conn.execute(text(_INSERT + _sql(alone + " AND NOT " + _STORED, end, card_ids)), params)
        conn.execute(text("DROP TABLE crowded_days"))

    def reclose(self, conn: Connection, hours: Iterable[tuple]) -> None:
        """Re-close the days of these (card_id, marketplace_id, condition, finish, language, currency,
        bucket) hours, whose flags changed, as `OutlierRepository.judge` read them."""
        columns = list(zip(*hours, strict=True))
        if not columns:
            return
        names = ("card_ids", "markets", "conditions", "finishes", "languages", "currencies", "hours")
        conn.execute(text(_RECLOSE), {name: list(column) for name, column in zip(names, columns, strict=True)})


def _sql(statement: str, end: datetime | None, card_ids: list[int] | None) -> str:
    return statement.format(
        upper="" if end is None else "AND h.bucket < :end",
        day_upper="" if end is None else "AND d.day < :end",
        cards="" if card_ids is None else f"AND h.card_id = ANY({CARD_IDS})",
    )
