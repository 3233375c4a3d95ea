"""Price snapshots: the bulk write path and one card's history at any resolution."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from data.db import insert_new
from data.domain import (
    ALL_VARIANTS,
    PriceSnapshot,
    Resolution,
    UnknownReference,
    UpsertResult,
    VariantFilter,
)
from data.repositories import staged_prices

COLUMNS = (
    "time, card_id, marketplace_id, condition, is_foil, finish, language, price, price_low,"
    " price_mid, price_high, price_market, currency, num_listings, total_quantity, source_run_id"
)
_KEY = "card_id, time, marketplace_id, condition, finish, language"

# Buckets start where TimescaleDB's time_bucket() starts them, so that a read
# query gives the same buckets whichever mode the database is in.
BUCKET_ORIGIN = "TIMESTAMPTZ '2000-01-03 00:00:00+00'"

_STAGE = text(
    "CREATE TEMP TABLE IF NOT EXISTS price_snapshots_stage"
    " (LIKE price_snapshots INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
)

# A re-sent row that matches the stored one is left alone (counted unchanged, and
# it keeps the run that first stored it). A different price replaces the stored
# one and records its run; a tier the new row lacks keeps its stored value, so a
# source with fewer tiers never erases another's for the same variant and instant.
# xmax = 0 tells a fresh insert from an update.
_MERGED_TIERS = """
    COALESCE(EXCLUDED.price_low, price_snapshots.price_low),
    COALESCE(EXCLUDED.price_mid, price_snapshots.price_mid),
    COALESCE(EXCLUDED.price_high, price_snapshots.price_high),
    COALESCE(EXCLUDED.price_market, price_snapshots.price_market),
    COALESCE(EXCLUDED.num_listings, price_snapshots.num_listings),
    COALESCE(EXCLUDED.total_quantity, price_snapshots.total_quantity)"""

_MERGE = text(
    f"""
    WITH written AS (
        INSERT INTO price_snapshots ({COLUMNS})
        SELECT {COLUMNS} FROM price_snapshots_stage
        ON CONFLICT ({_KEY}) DO UPDATE SET
            (price, currency, price_low, price_mid, price_high, price_market, num_listings, total_quantity,
             source_run_id) = (EXCLUDED.price, EXCLUDED.currency, {_MERGED_TIERS}, EXCLUDED.source_run_id)
        WHERE (price_snapshots.price, price_snapshots.currency, price_snapshots.price_low,
               price_snapshots.price_mid, price_snapshots.price_high, price_snapshots.price_market,
               price_snapshots.num_listings, price_snapshots.total_quantity)
            IS DISTINCT FROM (EXCLUDED.price, EXCLUDED.currency, {_MERGED_TIERS})
        RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
    """
)

_HISTORY_COLUMNS = (
    "marketplace_id, condition::text AS condition, finish::text AS finish, language::text AS language, currency"
)
_VARIANT = "marketplace_id, condition, finish, language, currency"
# Each point value as PostgreSQL's text (exact decimals, as the JSON carries them), NULL kept as None.
# Each point's time as ISO 8601 text in UTC, as Python's isoformat() writes it (microseconds only when
# there are some): made by the server, it saves parsing and formatting 600 timestamps a month of history.
_ISO_TIME = (
    "to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    " || CASE WHEN date_trunc('second', time) = time THEN '' ELSE to_char(time AT TIME ZONE 'UTC', '.US') END"
    " || '+00:00'"
)
_SERIES_VALUES = ", ".join(f"array_agg({column}::text) AS {column}" for column in ("price", "low", "high", "market"))


def _row(snapshot: PriceSnapshot) -> tuple[Any, ...]:
    return (
        snapshot.time,
        snapshot.card_id,
        snapshot.marketplace_id,
        snapshot.condition.value,
        snapshot.finish.is_foil,
        snapshot.finish.value,
        snapshot.language.value,
        snapshot.price,
        snapshot.price_low,
        snapshot.price_mid,
        snapshot.price_high,
        snapshot.price_market,
        snapshot.currency,
        snapshot.num_listings,
        snapshot.total_quantity,
        snapshot.source_run_id,
    )


def variant_clauses(variants: VariantFilter) -> tuple[str, dict[str, Any]]:
    """SQL conditions (each starting with AND) and parameters for a variant filter."""
    clauses, params = [], {}
    if variants.marketplace_id is not None:
        clauses.append("marketplace_id = :marketplace_id")
        params["marketplace_id"] = variants.marketplace_id
    if variants.condition is not None:
        clauses.append("condition = CAST(:condition AS card_condition)")
        params["condition"] = variants.condition.value
    if variants.language is not None:
        clauses.append("language = CAST(:language AS card_language)")
        params["language"] = variants.language.value
    if variants.finish is not None:
        clauses.append("finish = CAST(:finish AS card_finish)")
        params["finish"] = variants.finish.value
    if variants.currency is not None:
        clauses.append("currency = :currency")
        params["currency"] = variants.currency
    return "".join(f" AND {clause}" for clause in clauses), params


def _time_clauses(column: str, start: datetime | None, end: datetime | None) -> str:
    parts = []
    if start is not None:
        parts.append(f" AND {column} >= :start")
    if end is not None:
        parts.append(f" AND {column} < :end")
    return "".join(parts)


# The end of a card's newest hour of data, for `newest_history`.
_NEWEST = """
    WITH newest AS (
        SELECT max(bucket) + interval '1 hour' AS asof FROM card_prices_hourly WHERE card_id = :card_id
    )"""


def _time_column(resolution: Resolution) -> str:
    return "bucket" if resolution in (Resolution.HOUR, Resolution.DAY) else "time"


def _series_sql(resolution: Resolution, where: str) -> str:
    """One row per variant, each point value gathered into an array in time order."""
    # The points come sorted by variant then time, and each array keeps that order: PostgreSQL
    # aggregates a sorted subquery's rows in order (its documented alternative to ORDER BY inside
    # each aggregate, which on PostgreSQL 15 sorts once per column: 3 ms of 9 for a year).
    return f"""
        SELECT {_VARIANT}, array_agg({_ISO_TIME}) AS time, {_SERIES_VALUES},
               array_agg(listings) AS listings, array_agg(quantity) AS quantity
        FROM ({_history_sql(resolution, where)} ORDER BY {_VARIANT}, time) AS points
        GROUP BY {_VARIANT}"""


def _lines(keys: list[str], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _history_sql(resolution: Resolution, where: str) -> str:
    if resolution is Resolution.RAW:
        return f"""
            SELECT time, {_HISTORY_COLUMNS}, price, price_low AS low, price_high AS high,
                   price_market AS market, num_listings AS listings, total_quantity AS quantity
            FROM price_snapshots
            WHERE card_id = :card_id AND price > 0 {where}"""
    if resolution is Resolution.MIN30:
        return f"""
            SELECT date_bin('30 minutes', time, {BUCKET_ORIGIN}) AS time, {_HISTORY_COLUMNS},
                   ROUND(AVG(price), 4) AS price, MIN(price_low) AS low, MAX(price_high) AS high,
                   ROUND(AVG(price_market), 4) AS market, MAX(num_listings) AS listings,
                   MAX(total_quantity) AS quantity
            FROM price_snapshots
            WHERE card_id = :card_id AND price > 0 {where}
            GROUP BY 1, 2, 3, 4, 5, 6"""
    if resolution is Resolution.HOUR:
        return f"""
            SELECT bucket AS time, {_HISTORY_COLUMNS}, ROUND(avg_price, 4) AS price,
                   min_price AS low, max_price AS high, ROUND(avg_market_price, 4) AS market,
                   NULL::bigint AS listings, NULL::bigint AS quantity
            FROM card_prices_hourly
            WHERE card_id = :card_id {where}"""
    # Daily points are exact means of the raw prices: sums over counts, not means of means.
    return f"""
        SELECT date_bin('1 day', bucket, {BUCKET_ORIGIN}) AS time, {_HISTORY_COLUMNS},
               ROUND(SUM(sum_price) / SUM(samples), 4) AS price, MIN(min_price) AS low,
               MAX(max_price) AS high,
               ROUND(SUM(sum_market_price) / NULLIF(SUM(market_samples), 0), 4) AS market,
               NULL::bigint AS listings, NULL::bigint AS quantity
        FROM card_prices_hourly
        WHERE card_id = :card_id {where}
        GROUP BY 1, 2, 3, 4, 5, 6"""


# Binary COPY (measured 16% faster than text here). Enum columns travel as text:
# an enum's binary form is its label, which the server checks on receipt.
_COPY_TYPES = [
    "timestamptz",
    "int4",
    "int4",
    "text",
    "bool",
    "text",
    "text",
    "numeric",
    "numeric",
    "numeric",
    "numeric",
    "numeric",
    "text",
    "int4",
    "int4",
    "int4",
]


def _copy(conn: Connection, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
    cursor = conn.connection.driver_connection.cursor()
    with cursor:
        with cursor.copy(f"COPY {table} ({COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_COPY_TYPES)
            for row in rows:
                copy.write_row(row)
        return cursor.rowcount


def _check_references(conn: Connection, card_ids: Iterable[int], marketplace_ids: Iterable[int]) -> None:
    missing = conn.execute(
        text(
            """
            SELECT ARRAY(SELECT w.id FROM unnest(CAST(:cards AS int[])) AS w(id)
                         WHERE NOT EXISTS (SELECT 1 FROM cards c WHERE c.id = w.id) ORDER BY w.id),
                   ARRAY(SELECT w.id FROM unnest(CAST(:markets AS int[])) AS w(id)
                         WHERE NOT EXISTS (SELECT 1 FROM marketplaces m WHERE m.id = w.id) ORDER BY w.id)
            """
        ),
        {"cards": sorted(card_ids), "markets": sorted(marketplace_ids)},
    ).one()
    if missing[0] or missing[1]:
        raise UnknownReference(
            f"batch refused: unknown card ids {missing[0][:10]}, unknown marketplace ids {missing[1]}"
        )


class PriceRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def bulk_upsert(self, snapshots: Iterable[PriceSnapshot]) -> UpsertResult:
        """Write one batch in one transaction. A row repeated in the batch counts once (last wins).

        New rows, the usual case, are copied straight into the table. When the
        batch overlaps stored rows (a retry, a re-import, a correction) that COPY
        fails on the unique key, is rolled back to its savepoint, and the batch
        goes through a staging table and INSERT ... ON CONFLICT instead.
        Raises UnknownReference, writing nothing, for a card or marketplace id not stored."""
        rows: dict[tuple, tuple[Any, ...]] = {}
        received = 0
        for snapshot in snapshots:
            received += 1
            rows[(*snapshot.variant_key, snapshot.time)] = _row(snapshot)
        if not rows:
            return UpsertResult(0, 0, 0, frozenset(), frozenset())
        card_ids = frozenset(key[0] for key in rows)
        with self.engine.begin() as conn:
            _check_references(conn, card_ids, {key[1] for key in rows})
            inserted = insert_new(conn, lambda: _copy(conn, "price_snapshots", rows.values()))
            updated = 0
            if inserted is None:
                conn.execute(_STAGE)
                _copy(conn, "price_snapshots_stage", rows.values())
                inserted, updated = conn.execute(_MERGE).one()
        return UpsertResult(
            inserted=inserted,
            updated=updated,
            unchanged=received - inserted - updated,
            card_ids=card_ids,
            times=frozenset(key[5] for key in rows),
        )

    def upsert_staged(
        self,
        layout: str,
        entries: list[tuple[int, str, tuple[str, ...]]],
        marketplace_ids: Mapping[str, int],
        source_run_id: int | None,
        repeated: bool = False,
    ) -> tuple[int, int]:
        """Write a batch of staged entries (data/staged.py: card id, raw JSON, parts to leave out)
        in one transaction, as `bulk_upsert` writes their rows; (rows inserted, rows updated).
        `repeated`: some card has two entries, whose rows count once each, the last one kept.
        Raises UnknownReference, writing nothing, for a card or marketplace id not stored."""
        if not entries:
            return 0, 0
        with self.engine.begin() as conn:
            _check_references(conn, {card_id for card_id, _, _ in entries}, set(marketplace_ids.values()))
            return staged_prices.upsert(conn, layout, entries, marketplace_ids, source_run_id, repeated)

    def history(
        self,
        card_id: int,
        start: datetime | None,
        end: datetime | None,
        resolution: Resolution,
        variants: VariantFilter = ALL_VARIANTS,
    ) -> list[dict[str, Any]]:
        """One card's series in [start, end) (None: unbounded), one per variant (ordered by variant),
        each as columns in time order: `time` (ISO 8601), `price`, `low`, `high`, `market` (exact
        decimals as strings), `listings` and `quantity` (integers), None where a point lacks the value."""
        clauses, filters = variant_clauses(variants)
        series = _series_sql(resolution, clauses + _time_clauses(_time_column(resolution), start, end))
        with self.engine.connect() as conn:
            result = conn.execute(
                text(f"{series} ORDER BY {_VARIANT}"), {"card_id": card_id, "start": start, "end": end, **filters}
            )
            return _lines(list(result.keys()), result.all())

    def newest_history(
        self, card_id: int, span: timedelta | None, resolution: Resolution, variants: VariantFilter = ALL_VARIANTS
    ) -> tuple[datetime | None, list[dict[str, Any]]]:
        """The end of the card's newest hour of data (None when it has no price), and its series (as
        `history` gives them) over the `span` before that end (None: all of it), in one statement."""
        column = _time_column(resolution)
        bounds = f" AND {column} < (SELECT asof FROM newest)"
        if span is not None:
            bounds += f" AND {column} >= (SELECT asof FROM newest) - CAST(:span AS interval)"
        clauses, filters = variant_clauses(variants)
        series = _series_sql(resolution, clauses + bounds)
        # One row of the end even when no point falls in the range (its series columns NULL).
        sql = f"{_NEWEST} SELECT newest.asof, s.* FROM newest LEFT JOIN ({series}) AS s ON TRUE ORDER BY {_VARIANT}"
        with self.engine.connect() as conn:
            result = conn.execute(text(sql), {"card_id": card_id, "span": span, **filters})
            keys, rows = list(result.keys())[1:], result.all()
        return rows[0][0], _lines(keys, [row[1:] for row in rows if row[1] is not None])

    def latest(self, card_id: int, variants: VariantFilter = ALL_VARIANTS) -> list[dict[str, Any]]:
        """The newest snapshot of each of a card's variants, with the variant's hourly mean
        24 hours, 7 and 30 days before it (None where there was no price then)."""
        clauses, params = variant_clauses(variants)
        ago = """
            (SELECT h.avg_price FROM card_prices_hourly h
             WHERE h.card_id = :card_id AND h.marketplace_id = l.marketplace_id
               AND h.condition = l.condition AND h.finish = l.finish AND h.language = l.language
               AND h.currency = l.currency AND h.bucket <= l.time - interval '{span}'
               AND h.bucket > l.time - interval '{span}' - interval '3 days'
             ORDER BY h.bucket DESC LIMIT 1)"""
        with self.engine.connect() as conn:
            result = conn.execute(
                text(
                    f"""
                    WITH l AS (
                        SELECT DISTINCT ON (marketplace_id, condition, finish, language)
                               time, marketplace_id, condition, finish, language, currency, price,
                               price_low, price_high, price_market, num_listings, total_quantity
                        FROM price_snapshots
                        WHERE card_id = :card_id AND price > 0 {clauses}
                        ORDER BY marketplace_id, condition, finish, language, time DESC
                    )
                    SELECT time, {_HISTORY_COLUMNS}, price, price_low AS low, price_high AS high,
                           price_market AS market, num_listings AS listings, total_quantity AS quantity,
                           ROUND({ago.format(span="24 hours")}, 2) AS price_24h,
                           ROUND({ago.format(span="7 days")}, 2) AS price_7d,
                           ROUND({ago.format(span="30 days")}, 2) AS price_30d
                    FROM l
                    ORDER BY marketplace_id, condition, finish, language
                    """
                ),
                {"card_id": card_id, **params},
            )
            return [dict(row) for row in result.mappings()]
