"""The four rollups, the chained market index (`market_index`) and retention, in both storage modes.

TimescaleDB keeps the rollups as continuous aggregates: a refresh is a CALL on
an autocommit connection (it cannot run in a transaction). Plain PostgreSQL
keeps them as tables that this module recomputes, bucket range by bucket range,
from the raw rows: COUNT(DISTINCT card_id) cannot be rolled up from finer
buckets, so every touched bucket is rebuilt whole. Either way a refresh is
idempotent and may be repeated at will.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from sqlalchemy import Connection, Engine, text

from data.db import CARD_IDS, CUSTOM_PLANS, StorageMode, storage_mode
from data.repositories.market_index import BULK_PLANS, MarketIndexRepository
from data.repositories.outliers import DEFAULT_MULTIPLE, OutlierRepository
from data.repositories.prices import BUCKET_ORIGIN
from data.repositories.variant_days import VariantDayRepository

ORIGIN = datetime(2000, 1, 3, tzinfo=UTC)
RETENTION = timedelta(days=730)
MAX_RANGES = 8


@dataclass(frozen=True)
class Rollup:
    name: str
    width: timedelta
    per_card: bool


# A rollup's window to rebuild, [start, end) (end None: to the end), and the cards (None: all).
Work = tuple[Rollup, datetime, datetime | None, list[int] | None]

ROLLUPS = (
    Rollup("market_index_30min", timedelta(minutes=30), per_card=False),
    Rollup("market_index_hourly", timedelta(hours=1), per_card=False),
    Rollup("market_index_daily", timedelta(days=1), per_card=False),
    Rollup("card_prices_hourly", timedelta(hours=1), per_card=True),
)

_MARKET_GROUP = "currency, condition, is_foil, finish, language"
_CARD_GROUP = "card_id, marketplace_id, condition, is_foil, finish, language, currency"
_MARKET_AGGREGATES = """
    AVG(price), AVG(price_market), MIN(price_low), MAX(price_high), COUNT(DISTINCT card_id),
    SUM(num_listings), SUM(total_quantity), SUM(price * COALESCE(total_quantity, num_listings, 1)),
    SUM(price), COUNT(*)"""
_MARKET_TARGETS = (
    "avg_price, avg_market_price, min_price, max_price, card_count, total_listings,"
    " total_quantity, volume, sum_price, samples"
)
_CARD_AGGREGATES = """
    AVG(price), AVG(price_market), MIN(price_low), MAX(price_high), SUM(num_listings),
    SUM(total_quantity), SUM(price), COUNT(*), SUM(price_market), COUNT(price_market)"""
_CARD_TARGETS = (
    "avg_price, avg_market_price, min_price, max_price, total_listings, total_quantity,"
    " sum_price, samples, sum_market_price, market_samples"
)


# A variant's newest hourly price, and its newest price at least a day and a week
# before that, looked for within two days (a source that skips a day still counts).
# Only the last 9 days of each printing are read: a variant priced earlier than that
# has no current price to move.
_LATEST_DELETE = f"DELETE FROM latest_prices WHERE card_id = ANY({CARD_IDS})"
_LATEST_INSERT = """
    INSERT INTO latest_prices (card_id, marketplace_id, condition, finish, language, currency, time, price, weight,
                               time_1d, price_1d, time_7d, price_7d, change_1d, change_7d)
    WITH recent AS (
        SELECT h.card_id, h.marketplace_id, h.condition, h.finish, h.language, h.currency, h.bucket, h.avg_price,
               COALESCE(h.total_quantity, h.total_listings, 1) AS weight,
               max(h.bucket) OVER (PARTITION BY h.card_id, h.marketplace_id, h.condition, h.finish, h.language,
                                                h.currency) AS last
        FROM cards c
        CROSS JOIN LATERAL (
            SELECT * FROM card_prices_hourly h
            WHERE h.card_id = c.id AND h.avg_price IS NOT NULL
              AND h.bucket > (SELECT max(bucket) FROM card_prices_hourly WHERE card_id = c.id) - interval '9 days'
            OFFSET 0  -- a fence: flattened, this became a scan of the whole rollup (1.5 s for 10 cards)
        ) h
        WHERE TRUE {cards}
    )
    , variants AS (
        SELECT card_id, marketplace_id, condition, finish, language, currency, last,
               (array_agg(avg_price ORDER BY bucket DESC))[1] AS price,
               (array_agg(weight ORDER BY bucket DESC))[1] AS weight,
               max(bucket) FILTER (WHERE bucket <= last - interval '1 day' AND bucket > last - interval '3 days')
                   AS time_1d,
               (array_agg(avg_price ORDER BY bucket DESC)
                   FILTER (WHERE bucket <= last - interval '1 day' AND bucket > last - interval '3 days'))[1]
                   AS price_1d,
               max(bucket) FILTER (WHERE bucket <= last - interval '7 days' AND bucket > last - interval '9 days')
                   AS time_7d,
               (array_agg(avg_price ORDER BY bucket DESC)
                   FILTER (WHERE bucket <= last - interval '7 days' AND bucket > last - interval '9 days'))[1]
                   AS price_7d
        FROM recent
        GROUP BY card_id, marketplace_id, condition, finish, language, currency, last
    )
    SELECT *, 100 * (price - price_1d) / NULLIF(price_1d, 0), 100 * (price - price_7d) / NULLIF(price_7d, 0)
    FROM variants"""
# Per format and currency: printings legal in it priced in the last day of data, and
# their value (each variant's newest price times its quantity, listings, or 1).
_FORMAT_VOLUME = """
    INSERT INTO format_volume (currency, format, printings, volume)
    WITH newest AS (SELECT currency, max(time) AS time FROM latest_prices GROUP BY currency),
    per_card AS (
        SELECT l.currency, l.card_id, SUM(l.price * l.weight) AS value
        FROM latest_prices l JOIN newest n USING (currency)
        WHERE l.time > n.time - interval '1 day'
        GROUP BY l.currency, l.card_id
    )
    SELECT p.currency, f.format, count(*), ROUND(SUM(p.value), 2)
    FROM per_card p
    JOIN cards c ON c.id = p.card_id
    CROSS JOIN LATERAL jsonb_each_text(c.legalities) AS f(format, status)
    WHERE f.status IN ('legal', 'restricted')
    GROUP BY p.currency, f.format"""
_MARKET_TOTALS = """
    INSERT INTO market_totals (currency, printings, variants, asof)
    SELECT currency, count(DISTINCT card_id), count(*), max(time) FROM latest_prices GROUP BY currency"""


def floor_to_bucket(moment: datetime, width: timedelta) -> datetime:
    try:
        return moment - (moment - ORIGIN) % width
    except OverflowError:  # within a bucket of the first representable instant
        return datetime.min.replace(tzinfo=UTC)


def _bucket_end(bucket: datetime, width: timedelta) -> datetime:
    """The bucket's exclusive end; the last representable instant for the final bucket
    (the ingest path refuses such dates, but a refresh must never crash on a stored row)."""
    try:
        return bucket + width
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def bucket_ranges(
    times: Iterable[datetime], width: timedelta, most: int = MAX_RANGES
) -> list[tuple[datetime, datetime]]:
    """The buckets holding `times`, merged into contiguous [start, end) ranges; more than
    `most` ranges become one window from the first to the last (rebuilding a bucket that
    nothing touched is wasted work, never wrong, and one scan beats hundreds of statements)."""
    buckets = sorted({floor_to_bucket(moment, width) for moment in times})
    ranges: list[tuple[datetime, datetime]] = []
    for bucket in buckets:
        if ranges and ranges[-1][1] == bucket:
            ranges[-1] = (ranges[-1][0], _bucket_end(bucket, width))
        else:
            ranges.append((bucket, _bucket_end(bucket, width)))
    if len(ranges) > most:
        return [(ranges[0][0], ranges[-1][1])]
    return ranges


def _recompute_sql(rollup: Rollup, bounded: bool, by_card: bool) -> tuple[str, ...]:
    """The statements that rebuild a rollup's window, in order (all take the same parameters)."""
    window = "{col} >= :start" + (" AND {col} < :end" if bounded else "")
    cards = f" AND card_id = ANY({CARD_IDS})" if by_card else ""
    width = f"{int(rollup.width.total_seconds())} seconds"
    delete = f"DELETE FROM {rollup.name} WHERE {window.format(col='bucket')}{cards}"
    where = f"price > 0 AND {window.format(col='time')}{cards}"
    if rollup.per_card:
        return (delete, *_per_card_sql(rollup.name, width, where))
    insert = f"""
        INSERT INTO {rollup.name} (bucket, {_MARKET_GROUP}, {_MARKET_TARGETS})
        SELECT date_bin('{width}', time, {BUCKET_ORIGIN}), {_MARKET_GROUP}, {_MARKET_AGGREGATES}
        FROM price_snapshots
        WHERE {where}
        GROUP BY 1, {_MARKET_GROUP}"""
    return delete, insert


# Raw rows on days' starts only (the daily prices every real source publishes) give the finer
# market rollups the daily one's rows: each of their buckets holding rows is a day's start, over the
# same rows. Where a daily window's rows all are, the finer windows inside it copy the daily rows.
_DAILY = next(rollup for rollup in ROLLUPS if rollup.name == "market_index_daily")
_CARDS = next(rollup for rollup in ROLLUPS if rollup.per_card)
_OFF_DAYS = f"""
    SELECT EXISTS (SELECT 1 FROM price_snapshots WHERE price > 0 AND time >= :start AND time < :end
                                                   AND time <> date_bin('1 day', time, {BUCKET_ORIGIN}))"""


def _copy_daily_sql(rollup: Rollup) -> tuple[str, ...]:
    return (
        f"DELETE FROM {rollup.name} WHERE bucket >= :start AND bucket < :end",
        f"""INSERT INTO {rollup.name} (bucket, {_MARKET_GROUP}, {_MARKET_TARGETS})
            SELECT bucket, {_MARKET_GROUP}, {_MARKET_TARGETS} FROM {_DAILY.name}
            WHERE bucket >= :start AND bucket < :end""",
    )


# A raw row alone in its variant-hour is its own aggregate: each value as the aggregate of one row
# gives it (AVG is a sum over a count, x / 1, to the digit), so those rows are copied without the
# sort that grouping them costs. A row at the start of its hour can share it only with rows after
# the start, so only the variant-hours holding a row off the hour (none for the daily prices that
# MTGJSON and Scryfall publish) are grouped. They are gathered first, and analyzed: a join planned
# on the statistics of a fresh bulk load ran as a nested loop for minutes.
_ALONE = """
    price / 1::numeric, price_market / 1::numeric, price_low, price_high, num_listings::bigint,
    total_quantity::bigint, price, 1::bigint, price_market, (price_market IS NOT NULL)::int::bigint"""
_VARIANT_HOUR = ("card_id", "marketplace_id", "condition", "finish", "language")


def _per_card_sql(name: str, width: str, where: str) -> tuple[str, ...]:
    bucket = f"date_bin('{width}', time, {BUCKET_ORIGIN})"
    insert = f"INSERT INTO {name} (bucket, {_CARD_GROUP}, {_CARD_TARGETS})"
    crowded = "SELECT 1 FROM crowded_hours c WHERE {same} AND c.bucket = {bucket}".format(
        same=" AND ".join(f"c.{column} = s.{column}" for column in _VARIANT_HOUR),
        bucket=bucket.replace("time", "s.time"),
    )
    return (
        f"""CREATE TEMP TABLE crowded_hours ON COMMIT DROP AS
            SELECT DISTINCT {", ".join(_VARIANT_HOUR)}, {bucket} AS bucket
            FROM price_snapshots WHERE {where} AND time <> {bucket}""",
        "ANALYZE crowded_hours",
        f"""{insert}
            SELECT time, {_CARD_GROUP}, {_ALONE}
            FROM price_snapshots s
            WHERE {where} AND time = {bucket} AND NOT EXISTS ({crowded})""",
        f"""{insert}
            SELECT {bucket}, {_CARD_GROUP}, {_CARD_AGGREGATES}
            FROM price_snapshots s
            WHERE {where} AND EXISTS (SELECT 1 FROM crowded_hours) AND EXISTS ({crowded})
            GROUP BY 1, {_CARD_GROUP}""",
        "DROP TABLE crowded_hours",
    )


class RollupRepository:
    def __init__(self, engine: Engine, keep_index: bool = True, outlier_multiple: float = DEFAULT_MULTIPLE) -> None:
        self.engine = engine
        self.index = MarketIndexRepository(engine)
        self.outliers = OutlierRepository(engine, outlier_multiple)
        self.days = VariantDayRepository()
        # False only to measure a settle without the index and its outlier flags (bench/dashboard.py).
        self.keep_index = keep_index

    @cached_property
    def mode(self) -> StorageMode:
        with self.engine.connect() as conn:
            return storage_mode(conn)

    def refresh_touched(
        self, times: Iterable[datetime], card_ids: Iterable[int] | None, cards_current: bool = False
    ) -> None:
        """Rebuild the buckets that written rows touched (per-card rollup: these cards only,
        or every card when `card_ids` is None). `cards_current`: `refresh_cards` has already
        brought the per-card rollup and the variant days up to every one of these rows."""
        times = list(times)
        ids = None if card_ids is None else sorted(set(card_ids))
        work = [
            (rollup, start, end, ids if rollup.per_card else None)
            for rollup in ROLLUPS
            if not (rollup.per_card and cards_current)
            for start, end in bucket_ranges(times, rollup.width)
        ]
        if times:
            self._refresh(
                work, lambda: self.refresh_index(min(times), max(times), ids, days_current=cards_current), ids
            )

    def refresh_cards(self, times: Iterable[datetime], card_ids: Iterable[int]) -> bool:
        """Plain PostgreSQL: rebuild the per-card rollup of these cards over the buckets `times`
        touched and fold those hours into their variant days. An import does this batch by batch,
        beside the writing of the next batch, and its settle then skips it (`cards_current`).
        False, doing nothing, on TimescaleDB: its aggregates refresh by time for every card at
        once, so batch by batch each batch would redo the whole window."""
        if self.mode is StorageMode.TIMESCALEDB:
            return False
        times, ids = list(times), sorted(set(card_ids))
        if times:
            self._recompute([(_CARDS, start, end, ids) for start, end in bucket_ranges(times, _CARDS.width)])
            with self.engine.begin() as conn:
                _lock(conn, "variant_days")
                conn.execute(text(BULK_PLANS))
                self.days.extend(conn, *_hours(min(times), max(times)), ids)
        return True

    def refresh_since(self, since: datetime, until: datetime | None = None) -> None:
        """Rebuild every bucket from `since` (floored to the bucket) up to `until` or the end."""
        work = [
            (
                rollup,
                floor_to_bucket(since, rollup.width),
                None if until is None else _bucket_end(floor_to_bucket(until, rollup.width), rollup.width),
                None,
            )
            for rollup in ROLLUPS
        ]
        self._refresh(work, lambda: self.refresh_index(since, until, None, rebuild=True), None)

    def _refresh(self, work: list[Work], refresh_index: Callable[[], None], card_ids: list[int] | None) -> None:
        """The rollups, then what the hourly one feeds, in three strands side by side, each in
        transactions of its own: the market rollups; the per-card rollup, then the newest prices
        and the index (unless `keep_index` is off). Nothing else reads the market rollups, so the
        other two never wait for them: the work is all in the server, which has cores to spare
        (measured on 2 cores, a 1M-row settle: 23 s one rollup family after the other, 15 s so)."""
        refresh = self._materialize if self.mode is StorageMode.TIMESCALEDB else self._recompute
        market = [item for item in work if not item[0].per_card]
        with ThreadPoolExecutor(max_workers=3) as pool:
            strands = [pool.submit(refresh, market)]
            if per_card := [item for item in work if item[0].per_card]:
                refresh(per_card)
            strands.append(pool.submit(self.refresh_latest, card_ids))
            if self.keep_index:
                strands.append(pool.submit(refresh_index))
            for done in strands:
                done.result()

    def refresh_index(
        self,
        since: datetime,
        until: datetime | None,
        card_ids: list[int] | None,
        rebuild: bool = False,
        days_current: bool = False,
    ) -> None:
        """Once the hourly rollup from `since` to `until` (inclusive; None: to the end; these cards,
        or all) is current: fold those hours into their variant days (`rebuild`: recompute the days
        whole), re-judge the outlier flags they can change, re-close the days whose flags changed,
        and re-link the index from the earliest of the new prices and the changed flags (a spike is
        confirmed, and left out, only when the price after it lands)."""
        with self.engine.begin() as conn:
            _lock(conn, "variant_days")  # one judge at a time
            conn.execute(text(BULK_PLANS))
            if rebuild:
                self.days.rebuild(conn, since, until)
            elif not days_current:
                self.days.extend(conn, *_hours(since, until), card_ids)
            changed = self.outliers.judge(conn, since, card_ids)
            self.days.reclose(conn, changed)
        self.index.refresh(min([since] + [hour[-1] for hour in changed]), until)

    def refresh_latest(self, card_ids: list[int] | None) -> None:
        """Rebuild the newest price per variant (of these cards, or of all), the format
        values and the market totals from the hourly rollup, which must be current first."""
        with self.engine.begin() as conn:
            _lock(conn, "latest_prices")
            conn.execute(text(CUSTOM_PLANS))
            if card_ids is None:
                conn.execute(text("DELETE FROM latest_prices"))
            else:
                conn.execute(text(_LATEST_DELETE), {"card_ids": card_ids})
            cards = "" if card_ids is None else f" AND c.id = ANY({CARD_IDS})"
            conn.execute(text(_LATEST_INSERT.format(cards=cards)), {"card_ids": card_ids})
            for table, insert in (("format_volume", _FORMAT_VOLUME), ("market_totals", _MARKET_TOTALS)):
                conn.execute(text(f"DELETE FROM {table}"))
                conn.execute(text(insert))

    def _materialize(self, work: list[Work]) -> None:
        """TimescaleDB: refresh the continuous aggregates over the windows (every card in them: an
        aggregate is refreshed by time only)."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # A refresh cannot run in a transaction, so these are the session's, reset before the
            # connection goes back to the pool. Grouped by sorting, the hourly rollup's new rows reach
            # its (card_id, bucket) key in order; hashed, at random (2M rows: 17 s against 27 s).
            conn.execute(text("SET enable_hashagg = off; SET jit = off"))
            try:
                for rollup, start, end, _ in work:
                    conn.execute(
                        text(
                            "CALL refresh_continuous_aggregate(CAST(:name AS regclass),"
                            " CAST(:start AS timestamptz), CAST(:end AS timestamptz))"
                        ),
                        {"name": rollup.name, "start": start, "end": end},
                    )
            finally:
                conn.execute(text("RESET enable_hashagg; RESET jit"))

    def _recompute(self, work: list[Work]) -> None:
        with self.engine.begin() as conn:
            for name in sorted({rollup.name for rollup, *_ in work}):  # one order: no deadlock
                _lock(conn, name)
            conn.execute(text("SELECT brin_summarize_new_values('ix_price_snapshots_time_brin')"))
            conn.execute(text("SET LOCAL work_mem = '64MB'"))  # a day's rows sort in memory
            # A refresh reads a time window. Right after a bulk load the planner's
            # statistics lag and it picks whole-table scans (measured: 5x slower).
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            # That makes every plan reading a temporary table look costly enough to compile: 0.2 to
            # 0.4 s of JIT for a statement that runs in 0.1 s.
            conn.execute(text("SET LOCAL jit = off"))
            conn.execute(text(CUSTOM_PLANS))
            daily = [
                (start, end)
                for rollup, start, end, _ in work
                if rollup.name == _DAILY.name
                and end is not None
                and not conn.execute(text(_OFF_DAYS), {"start": start, "end": end}).scalar()
            ]
            for rollup, start, end, card_ids in sorted(work, key=lambda item: -item[0].width):  # the daily one first
                params = {"start": start, "end": end, "card_ids": card_ids}
                finer = not rollup.per_card and rollup.width < _DAILY.width
                if finer and end is not None and any(s <= start and end <= e for s, e in daily):
                    statements = _copy_daily_sql(rollup)
                else:
                    statements = _recompute_sql(rollup, end is not None, card_ids is not None)
                for statement in statements:
                    conn.execute(text(statement), params)

    def apply_retention(self, keep: timedelta = RETENTION) -> int:
        """Plain mode: delete raw snapshots older than `keep` (rollups stay). Returns rows removed.

        On TimescaleDB the retention policy drops whole chunks and this does nothing."""
        if self.mode is StorageMode.TIMESCALEDB:
            return 0
        with self.engine.begin() as conn:
            removed = conn.execute(
                text("DELETE FROM price_snapshots WHERE time < now() - :keep"), {"keep": keep}
            ).rowcount
            conn.execute(
                text(
                    """
                    INSERT INTO maintenance_jobs (name, last_run_at, last_result)
                    VALUES ('retention', now(), :result)
                    ON CONFLICT (name) DO UPDATE
                    SET last_run_at = EXCLUDED.last_run_at, last_result = EXCLUDED.last_result
                    """
                ),
                {"result": f"removed {removed} snapshots older than {keep.days} days"},
            )
        return removed


def _hours(since: datetime, until: datetime | None) -> tuple[datetime, datetime | None]:
    """The hourly buckets from the one holding `since` to the one holding `until`, as [start, end)."""
    hour = timedelta(hours=1)
    return floor_to_bucket(since, hour), None if until is None else _bucket_end(floor_to_bucket(until, hour), hour)


def _lock(conn: Connection, name: str) -> None:
    # Two writers refreshing one rollup queue here; each then reads every row
    # committed before it, so the later refresh never overwrites newer data.
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"rollup:{name}"})
