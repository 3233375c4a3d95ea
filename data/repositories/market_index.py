"""The chained, matched-sample market index, kept in the `market_index` table.

Method. Between a bucket and the currency's previous bucket with retail prices, the
index moves by the geometric mean of the price relatives of the variants (card,
marketplace, condition, finish, language) priced in both: exp(avg(ln(p1 / p0))).
Only retail marketplaces count (a buylist is what a shop pays, not the market), and
each currency is an index of its own. A variant priced in one bucket only enters no
link, so cards entering or leaving the priced set never move the index. The levels
chain from 100 at a sub-index's first bucket: level[t] = level[t-1] * relative[t].

Why the geometric mean: one wild price moves a matched-sample index by its relative
to the power 1/n (a 100x typo among 1,000 variants: +0.46%), where an arithmetic mean
of relatives moves by (100 - 1) / n (+9.9%); it needs no tuning constant, unlike a
trimmed mean's cut-off, and it is symmetric (a doubling and a halving cancel).

Storage. One row per resolution (HOUR, DAY), currency, sub-index (`kind`, `key`:
('all', ''), ('format', 'modern'), ('rarity', 'mythic'), ('set', 'mid')) and bucket:
the link `relative` (NULL when no variant of the sub-index is in both buckets: the
level carries), `matched` (the variants the link rests on) and the chained `level`.
It is read hourly from `card_prices_hourly` (a continuous aggregate on TimescaleDB, a
table otherwise) and daily from each variant's close (`days_sql`), in one grouped
pass per refresh for every sub-index. A refresh from bucket t recomputes the links
from t and re-chains every later level from the stored level before t (a running
sum of ln(relative)), so a late price in an old bucket changes every later level.

Flagged outliers (`price_outliers`) are left out of every link: a flagged hour is not a
price of its variant, so the variant is unmatched in the links on either side of it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text

from data.domain import Resolution
from data.repositories.prices import BUCKET_ORIGIN
from data.repositories.variant_days import days_sql

INDEX_RESOLUTIONS = (Resolution.HOUR, Resolution.DAY)
# Every statement of a refresh is a bulk pass over a window of fresh buckets, which the planner's
# statistics have not seen yet: it estimated 86 rows for 80,000 and chose nested loops (measured at
# 10M rows: 0.6 s where hash joins take 0.15 s), merge joins that sort 80,000 rows on seven keys
# (twice the time of a hash join), or a scan of all 10M variant days for the newest 300,000 (2 s
# against 0.3 s). JIT only adds compile time to these short passes.
BULK_PLANS = (
    "SET LOCAL work_mem = '64MB'; SET LOCAL enable_nestloop = off; SET LOCAL enable_mergejoin = off;"
    " SET LOCAL enable_seqscan = off; SET LOCAL jit = off"
)
KINDS = ("all", "format", "rarity", "set")
LEGAL = ("legal", "restricted")

# Each variant's price per bucket, retail marketplaces only, flagged outliers left out
# (data/repositories/outliers.py): hourly, the mean of its unflagged hourly rows; daily, its close
# (data/repositories/variant_days.py), so that no day of hourly rows is re-read.
_VARIANT_PRICES = {
    Resolution.HOUR: """
        SELECT h.bucket, h.card_id, h.marketplace_id, h.condition, h.finish, h.language, h.currency,
               h.sum_price / h.samples AS price
        FROM card_prices_hourly h JOIN marketplaces m ON m.id = h.marketplace_id
        WHERE m.kind = 'retail' AND h.samples > 0 AND h.bucket >= :lower {upper}
        AND NOT EXISTS (
            SELECT 1 FROM price_outliers o
            WHERE o.card_id = h.card_id AND o.bucket = h.bucket AND o.marketplace_id = h.marketplace_id
              AND o.condition = h.condition AND o.finish = h.finish AND o.language = h.language
              AND o.currency = h.currency)""",
    Resolution.DAY: """
        SELECT h.day AS bucket, h.card_id, h.marketplace_id, h.condition, h.finish, h.language, h.currency,
               h.close AS price
        FROM ({days}) h JOIN marketplaces m ON m.id = h.marketplace_id
        WHERE m.kind = 'retail' AND h.close IS NOT NULL""",
}

# Links for the buckets in [start, upper), from the prices in `index_prices` (a temporary
# table, joined by hash: estimated at a few rows, the self-join became a nested loop that
# ran for minutes on 1.6M prices, hence BULK_PLANS): per variant ln(p1 / p0) against the
# currency's previous bucket, then every sub-index a card belongs to in one grouped
# pass. Each row is written with level 100; `_RECHAIN` then chains the real levels.
_LINKS = """
    INSERT INTO market_index (resolution, currency, kind, key, bucket, relative, matched, level)
    WITH v AS (SELECT * FROM index_prices),
    periods AS (
        SELECT currency, bucket, lag(bucket) OVER (PARTITION BY currency ORDER BY bucket) AS prev
        FROM (SELECT DISTINCT currency, bucket FROM v) b
    ),
    moves AS (  -- per card: the sum and count of its variants' log relatives, before the fan-out to sub-indexes
        SELECT cur.currency, cur.bucket, cur.card_id, sum(ln((cur.price / before.price)::float8)) AS lr,
               count(before.price) AS n
        FROM v cur
        JOIN periods p ON p.currency = cur.currency AND p.bucket = cur.bucket
        LEFT JOIN v before
            ON before.bucket = p.prev AND before.card_id = cur.card_id AND before.marketplace_id = cur.marketplace_id
           AND before.condition = cur.condition AND before.finish = cur.finish AND before.language = cur.language
           AND before.currency = cur.currency
        WHERE cur.bucket >= :start
        GROUP BY cur.bucket, cur.card_id, cur.currency
    )
    SELECT :resolution, m.currency, g.kind, g.key, m.bucket,
           CASE WHEN sum(m.n) > 0 THEN ROUND(exp(sum(m.lr) / sum(m.n))::numeric, 12) END, sum(m.n), 100
    FROM moves m
    JOIN cards c ON c.id = m.card_id
    CROSS JOIN LATERAL (
        SELECT 'all', ''
        UNION ALL SELECT 'rarity', c.rarity WHERE c.rarity IS NOT NULL
        UNION ALL SELECT 'set', c.set_code
        UNION ALL SELECT 'format', f.format FROM jsonb_each_text(c.legalities) AS f(format, status)
                  WHERE f.status IN ('legal', 'restricted')
    ) AS g(kind, key)
    GROUP BY m.currency, g.kind, g.key, m.bucket"""

# Levels from `start` on: each sub-index's last level before `start` (100 when it
# starts here) times the running product of its relatives.
_RECHAIN = """
    WITH groups AS (
        SELECT DISTINCT currency, kind, key FROM market_index WHERE resolution = :resolution AND bucket >= :start
    ),
    base AS (
        SELECT g.currency, g.kind, g.key, COALESCE(b.level, 100) AS level
        FROM groups g
        LEFT JOIN LATERAL (
            SELECT level FROM market_index p
            WHERE p.resolution = :resolution AND p.currency = g.currency AND p.kind = g.kind AND p.key = g.key
              AND p.bucket < :start
            ORDER BY p.bucket DESC LIMIT 1
        ) b ON TRUE
    ),
    chained AS (
        SELECT r.currency, r.kind, r.key, r.bucket,
               ROUND(b.level * exp(sum(ln(COALESCE(r.relative, 1)::float8))
                   OVER (PARTITION BY r.currency, r.kind, r.key ORDER BY r.bucket))::numeric, 8) AS level
        FROM market_index r
        JOIN base b ON b.currency = r.currency AND b.kind = r.kind AND b.key = r.key
        WHERE r.resolution = :resolution AND r.bucket >= :start
    )
    UPDATE market_index m SET level = c.level
    FROM chained c
    WHERE m.resolution = :resolution AND m.currency = c.currency AND m.kind = c.kind AND m.key = c.key
      AND m.bucket = c.bucket AND m.level IS DISTINCT FROM c.level"""


# Daily prices, every real source's, lie alone at the start of their day. Where every hourly row
# the hourly links read does, each hour with prices is a day and each variant's hourly price is its
# close, so the hourly links are the daily ones (same relatives, same matches): they are copied,
# and only the hourly levels are chained. The rows are walked one distinct hour at a time through
# the rollup's bucket index, stopping at the first hour off a day's start.
_ON_DAYS = f"""
    WITH RECURSIVE hours AS (
        SELECT min(bucket) AS bucket FROM card_prices_hourly WHERE bucket >= :lower
        UNION ALL
        SELECT (SELECT min(bucket) FROM card_prices_hourly WHERE bucket > hours.bucket)
        FROM hours WHERE hours.bucket = date_bin('1 day', hours.bucket, {BUCKET_ORIGIN}) {{upper}}
    )
    SELECT count(*) FILTER (WHERE bucket <> date_bin('1 day', bucket, {BUCKET_ORIGIN})) = 0
    FROM hours WHERE TRUE {{upper}}"""
_COPY_DAILY = """
    INSERT INTO market_index (resolution, currency, kind, key, bucket, relative, matched, level)
    SELECT :resolution, currency, kind, key, bucket, relative, matched, 100
    FROM market_index WHERE resolution = 'DAY' AND bucket >= :start {upper}"""


@dataclass(frozen=True)
class _Window:
    """A refresh's buckets at one resolution: links from `start` to `upper` (None: the end),
    reading prices from `lower` (each currency's bucket before `start`)."""

    resolution: Resolution
    start: datetime
    lower: datetime
    upper: datetime | None

    @property
    def params(self) -> dict:
        return {"resolution": self.resolution.name, "start": self.start, "lower": self.lower, "upper": self.upper}

    def bounded(self, clause: str) -> str:
        return "" if self.upper is None else clause

    def covers(self, other: _Window) -> bool:
        """Whether this window's links and prices include all of `other`'s."""
        return (
            self.start == other.start
            and self.lower <= other.lower
            and (self.upper is None or (other.upper is not None and other.upper <= self.upper))
        )


class MarketIndexRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def refresh(self, since: datetime, until: datetime | None = None) -> None:
        """Recompute the links of the buckets from `since` to `until` (inclusive; None: to the
        end) at each resolution, and re-chain every level after them. Idempotent."""
        with self.engine.connect() as conn:
            daily = self._on_days(conn, _window(conn, Resolution.HOUR, since, until))
        if daily:  # one transaction holding both resolutions: the hourly links copy the daily ones
            with self.engine.begin() as conn:
                day = self._begin(conn, Resolution.DAY, since, until)
                hour = self._begin(conn, Resolution.HOUR, since, until)
                self._relink(conn, day)
                if day.covers(hour) and self._on_days(conn, hour):  # (as it was when looked at)
                    self._copy_daily(conn, hour)
                else:
                    self._relink(conn, hour)
            return
        # Side by side, each in a transaction of its own: neither reads what the other writes.
        with ThreadPoolExecutor(max_workers=len(INDEX_RESOLUTIONS)) as pool:
            for done in [pool.submit(self._refresh_one, res, since, until) for res in INDEX_RESOLUTIONS]:
                done.result()

    def _refresh_one(self, resolution: Resolution, since: datetime, until: datetime | None) -> None:
        with self.engine.begin() as conn:
            self._relink(conn, self._begin(conn, resolution, since, until))

    @staticmethod
    def _begin(conn: Connection, resolution: Resolution, since: datetime, until: datetime | None) -> _Window:
        # One writer per resolution at a time: each reads every row committed before it. A transaction
        # holding both takes the daily one first, and one holding one never waits for the other.
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"market_index:{resolution.name}"})
        conn.execute(text(BULK_PLANS))
        return _window(conn, resolution, since, until)

    @staticmethod
    def _on_days(conn: Connection, window: _Window) -> bool:
        sql = _ON_DAYS.format(upper=window.bounded("AND bucket < :upper"))
        return (
            window.start == window.start.astimezone(UTC).replace(hour=0)
            and conn.execute(text(sql), window.params).scalar()
        )

    @staticmethod
    def _relink(conn: Connection, window: _Window) -> None:
        """The window's links from its prices, then the levels from its start on."""
        params = window.params
        conn.execute(text(_DELETE.format(upper=window.bounded(" AND bucket < :upper"))), params)
        prices = _VARIANT_PRICES[window.resolution].format(
            upper=window.bounded("AND h.bucket < :upper"), days=days_sql(":lower", window.bounded(":upper") or None)
        )
        conn.execute(text(f"CREATE TEMPORARY TABLE index_prices ON COMMIT DROP AS {prices}"), params)
        conn.execute(text("ANALYZE index_prices"))  # the links' plan needs its size (without: 2.5x slower)
        # Hashed, not sorted: the links' groups are few, and a sort of millions of rows on a text key
        # (the currency) runs at strcoll's pace (5M prices: 14.6 s hashed against 22 s sorted).
        conn.execute(text("SET LOCAL enable_sort = off"))
        conn.execute(text(_LINKS), params)
        conn.execute(text("SET LOCAL enable_sort = on"))
        conn.execute(text("DROP TABLE index_prices"))
        conn.execute(text(_RECHAIN), params)

    @staticmethod
    def _copy_daily(conn: Connection, window: _Window) -> None:
        """The window's links copied from the daily ones (see `_ON_DAYS`), then its levels."""
        params = window.params
        conn.execute(text(_DELETE.format(upper=window.bounded(" AND bucket < :upper"))), params)
        conn.execute(text(_COPY_DAILY.format(upper=window.bounded("AND bucket < :upper"))), params)
        conn.execute(text(_RECHAIN), params)


_DELETE = "DELETE FROM market_index WHERE resolution = :resolution AND bucket >= :start{upper}"


def _window(conn: Connection, resolution: Resolution, since: datetime, until: datetime | None) -> _Window:
    width = resolution.value
    start, end = conn.execute(
        text(f"SELECT date_bin(:width, :since, {BUCKET_ORIGIN}), date_bin(:width, :until, {BUCKET_ORIGIN})"),
        {"width": width, "since": since, "until": until},
    ).one()
    upper = None
    if end is not None:
        # The first stored bucket after the window links to a bucket inside it, which may be new.
        upper = (
            conn.execute(
                text(
                    "SELECT max(next) + :width FROM (SELECT min(bucket) AS next FROM market_index"
                    " WHERE resolution = :resolution AND kind = 'all' AND bucket > :end GROUP BY currency) n"
                ),
                {"resolution": resolution.name, "end": end, "width": width},
            ).scalar()
            or end + width
        )
    # Each currency's previous bucket before the window: its prices are read too.
    lower = (
        conn.execute(
            text(
                "SELECT min(prev) FROM (SELECT max(bucket) AS prev FROM market_index"
                " WHERE resolution = :resolution AND kind = 'all' AND bucket < :start GROUP BY currency) p"
            ),
            {"resolution": resolution.name, "start": start},
        ).scalar()
        or start
    )
    return _Window(resolution, start, lower, upper)
