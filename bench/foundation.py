"""Foundation benchmark: ingest speed against the machine's COPY ceiling, and read latency.

    python bench/foundation.py [--rows 2000000] [--design-indexes] [--timescale ADMIN_URL]

Creates a database of its own on BENCH_ADMIN_URL (default: the local server),
loads synthetic snapshot rows (a benchmark load, never product data), and prints:
- rows/s of a plain COPY into an unindexed table (the ceiling), of the project's
  bulk upsert into price_snapshots, and their ratio (target >= 0.35);
- rows/s of the whole ingest path (upsert + rollup refresh + cache invalidation);
- p50/p95 of one card's 30-day history (all variants) and of the 1-year market
  index, uncached and cached (targets: card history p95 <= 10 ms uncached, <= 1 ms cached).
With --design-indexes it also loads the design's six secondary indexes, for comparison.
With --timescale (the admin URL of a TimescaleDB server, e.g. postgresql://postgres@127.0.0.1:5433/postgres)
the same run follows on that server, then its compression policy runs (CALL run_job) and it prints
the compression ratio and the card history read from compressed chunks.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.bootstrap import bootstrap
from app.embedded import EmbeddedRedis
from app.settings import Settings
from data.db import StorageMode
from data.domain import Card, Finish, Marketplace, MarketplaceKind, PriceSnapshot
from data.repositories.prices import COLUMNS, _row
from migrations import runner

ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def scratch_database() -> Iterator[str]:
    """A migrated database of its own for one benchmark run, dropped after; its SQLAlchemy URL."""
    name = f"cardcharts_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = "postgresql+psycopg://" + ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1] + "/" + name
        runner.upgrade(url)
        yield url
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BATCH = 50_000
START = datetime(2026, 1, 1, tzinfo=UTC)
DESIGN_INDEXES = """
CREATE INDEX ix_snapshots_card_time ON price_snapshots (card_id, time DESC);
CREATE INDEX ix_snapshots_card_condition ON price_snapshots (card_id, condition, time DESC);
CREATE INDEX ix_snapshots_card_language ON price_snapshots (card_id, language, time DESC);
CREATE INDEX ix_snapshots_card_foil ON price_snapshots (card_id, is_foil, time DESC);
CREATE INDEX ix_snapshots_currency_time ON price_snapshots (currency, time DESC);
CREATE INDEX ix_snapshots_marketplace_time ON price_snapshots (marketplace_id, time DESC);
"""


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(label: str, calls: list, prepare=None) -> None:
    """Time each call; `prepare(i)` runs untimed before call i (to empty the cache)."""
    samples = []
    for i, call in enumerate(calls):
        if prepare is not None:
            prepare(i)
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    print(
        f"  {label:<44} p50 {statistics.median(samples):7.2f} ms   p95 {percentile(samples, 0.95):7.2f} ms"
        f"   (n={len(samples)})"
    )


def make_rows(card_ids: list[int], markets: dict[str, int], total: int) -> list[PriceSnapshot]:
    """Five variants per card, one snapshot every 6 hours, in time order like real collection."""
    rng = random.Random(42)
    variants = [
        (markets["tcgplayer"], Finish.NONFOIL, "USD"),
        (markets["tcgplayer"], Finish.FOIL, "USD"),
        (markets["cardmarket"], Finish.NONFOIL, "EUR"),
        (markets["cardmarket"], Finish.FOIL, "EUR"),
        (markets["cardkingdom-buylist"], Finish.NONFOIL, "USD"),
    ]
    base = {card: Decimal(rng.randrange(10, 20000)) / 100 for card in card_ids}
    steps = total // (len(card_ids) * len(variants))
    rows = []
    for step in range(steps):
        moment = START + timedelta(hours=6 * step)
        for card in card_ids:
            for market, finish, currency in variants:
                price = base[card] * (2 if finish.is_foil else 1) * Decimal(rng.randrange(90, 111)) / 100
                price = price.quantize(Decimal("0.01")) + Decimal("0.01")
                rows.append(
                    PriceSnapshot(
                        time=moment,
                        card_id=card,
                        marketplace_id=market,
                        price=price,
                        currency=currency,
                        finish=finish,
                        price_low=(price * Decimal("0.8")).quantize(Decimal("0.01")),
                        price_market=price,
                        num_listings=rng.randrange(0, 60),
                    )
                )
    return rows


def copy_ceiling(url: str, rows: list[PriceSnapshot]) -> float:
    """Rows/s of a COPY into a table with no index and no constraint: the machine's ceiling."""
    return copy_rate(url, rows, "CREATE TABLE copy_target AS SELECT * FROM price_snapshots WITH NO DATA")


def copy_rate(url: str, rows: list[PriceSnapshot], create: str) -> float:
    """Rows/s of a COPY of these rows, in transactions of BATCH rows, into the table `create`
    makes as copy_target (dropped after)."""
    with psycopg.connect(url) as conn:
        conn.execute(create)
        conn.commit()
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            with conn.cursor() as cur, cur.copy(f"COPY copy_target ({COLUMNS}) FROM STDIN") as copy:
                for snapshot in rows[start : start + BATCH]:
                    copy.write_row(_row(snapshot))
            conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE copy_target")
        conn.commit()
    return len(rows) / elapsed


def table_size(conn, mode: StorageMode) -> int:
    """Bytes of price_snapshots with its indexes; a hypertable's parent holds nothing, its chunks do."""
    if mode is StorageMode.TIMESCALEDB:
        return conn.exec_driver_sql("SELECT hypertable_size('price_snapshots')").scalar()
    return conn.exec_driver_sql("SELECT pg_total_relation_size('price_snapshots')").scalar()


def compress(engine) -> tuple[int, int]:
    """Run the compression policy's job over every chunk older than its 7 days; bytes before and after."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        job = conn.exec_driver_sql(
            "SELECT job_id FROM timescaledb_information.jobs"
            " WHERE proc_name = 'policy_compression' AND hypertable_name = 'price_snapshots'"
        ).scalar()
        conn.exec_driver_sql(f"CALL run_job({int(job)})")
        conn.exec_driver_sql("ANALYZE price_snapshots")
        return conn.exec_driver_sql(
            "SELECT sum(before_compression_total_bytes), sum(after_compression_total_bytes)"
            " FROM chunk_compression_stats('price_snapshots') WHERE compression_status = 'Compressed'"
        ).one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--cards", type=int, default=1_000)
    parser.add_argument("--design-indexes", action="store_true", help="also time the design's six indexes")
    parser.add_argument("--timescale", metavar="ADMIN_URL", help="also run on this TimescaleDB server")
    args = parser.parse_args()
    print(f"== {ADMIN_URL.rsplit('@', 1)[-1]}")
    run(ADMIN_URL, args)
    if args.timescale:
        print(f"== {args.timescale.rsplit('@', 1)[-1]} (TimescaleDB)")
        run(args.timescale, args)


def run(admin_url: str, args: argparse.Namespace) -> None:
    name = f"cardcharts_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    redis = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="cc-bench-")))
    try:
        sa_url = "postgresql+psycopg://" + url.split("://", 1)[1]
        runner.upgrade(sa_url)
        services = bootstrap(Settings(database_url=sa_url, redis_url=redis.start(), secret_key="b" * 32))
        markets = {
            m.slug: services.marketplaces.ensure(m)
            for m in (
                Marketplace("tcgplayer", "TCGplayer", "USD"),
                Marketplace("cardmarket", "Cardmarket", "EUR"),
                Marketplace("cardkingdom-buylist", "Card Kingdom buylist", "USD", MarketplaceKind.BUYLIST),
            )
        }
        card_ids = list(
            services.cards.upsert_many(
                Card(
                    name=f"Benchmark printing {i}",
                    set_code="bch",
                    collector_number=str(i),
                    scryfall_id=str(uuid.UUID(int=i + 1)),
                    released_at=date(2026, 1, 1),
                )
                for i in range(args.cards)
            ).values()
        )
        print(f"database {name}: generating {args.rows:,} rows for {len(card_ids):,} printings ...")
        rows = make_rows(card_ids, markets, args.rows)
        span = (rows[-1].time - rows[0].time).days
        print(f"  {len(rows):,} rows over {span} days, batches of {BATCH:,}")

        print("ingest")
        ceiling = copy_ceiling(url, rows)
        print(f"  plain COPY, unindexed table (ceiling)      {ceiling:12,.0f} rows/s")
        upsert_rows = rows[: len(rows) * 9 // 10]
        started = time.perf_counter()
        for start in range(0, len(upsert_rows), BATCH):
            services.prices.bulk_upsert(upsert_rows[start : start + BATCH])
        upsert_rate = len(upsert_rows) / (time.perf_counter() - started)
        print(f"  bulk upsert into price_snapshots           {upsert_rate:12,.0f} rows/s")
        print(f"  ratio upsert / ceiling                     {upsert_rate / ceiling:12.2f}   (target >= 0.35)")
        started = time.perf_counter()
        services.rollups.refresh_since(rows[0].time)
        rebuild = time.perf_counter() - started
        print(f"  full rollup rebuild of {len(upsert_rows):,} rows        {rebuild:9.1f} s")
        ingest_rows = rows[len(upsert_rows) :]
        started = time.perf_counter()
        for start in range(0, len(ingest_rows), BATCH):
            services.ingest(ingest_rows[start : start + BATCH])
        ingest_rate = len(ingest_rows) / (time.perf_counter() - started)
        print(
            f"  whole ingest path (upsert+rollups+cache)   {ingest_rate:12,.0f} rows/s  "
            f"({ingest_rate / ceiling:.2f} of ceiling)"
        )
        reupsert = rows[-BATCH:]
        started = time.perf_counter()
        result = services.prices.bulk_upsert(reupsert)
        rate = len(reupsert) / (time.perf_counter() - started)
        print(f"  re-sending a batch already stored          {rate:12,.0f} rows/s  ({result.unchanged:,} same)")
        with services.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            size = table_size(conn, services.rollups.mode)
        print(f"  price_snapshots on disk                    {size / 2**20:12,.0f} MiB")

        print("reads (uncached: the card's or market's keys deleted before each call)")
        rng = random.Random(7)
        sample = [rng.choice(card_ids) for _ in range(300)]
        queries = services.card_queries
        cache = services.cache

        history_calls = [lambda c=c: queries.history(c, "30d") for c in sample]

        def uncached_history(label: str) -> None:  # the card's keys deleted before each call, untimed
            timed(label, history_calls, prepare=lambda i: cache.invalidate([sample[i]], market=False))

        uncached_history("card history 30d, all variants, uncached")
        timed("card history 30d, all variants, cached", history_calls)
        points = sum(len(s["time"]) for s in queries.history(sample[0], "30d")["series"])
        print(f"    ({points} points in one card's 30-day history)")

        index_calls = [lambda: services.market_queries.index("1y")] * 200
        timed("market index 1y, uncached", index_calls, prepare=lambda i: cache.invalidate([], market=True))
        timed("market index 1y, cached", index_calls)
        print(f"    ({len(services.market_queries.index('1y')['time'])} points in the 1-year index)")

        if services.rollups.mode is StorageMode.TIMESCALEDB:
            before, after = compress(services.engine)
            print("compression (the policy's job, run now)")
            print(f"  before {before / 2**20:,.1f} MiB, after {after / 2**20:,.1f} MiB: ratio {before / after:.2f}")
            uncached_history("card history 30d, compressed chunks, uncached")

        if args.design_indexes:
            print("the design's six secondary indexes, for comparison")
            with services.engine.begin() as conn:
                conn.exec_driver_sql("TRUNCATE price_snapshots")
                conn.exec_driver_sql(DESIGN_INDEXES)
            started = time.perf_counter()
            for start in range(0, len(upsert_rows), BATCH):
                services.prices.bulk_upsert(upsert_rows[start : start + BATCH])
            rate = len(upsert_rows) / (time.perf_counter() - started)
            print(f"  bulk upsert with the design's indexes      {rate:12,.0f} rows/s  ({rate / ceiling:.2f})")
        services.close()
    finally:
        redis.stop()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
