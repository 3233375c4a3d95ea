"""Rollups kept by the worker equal a direct GROUP BY over the raw rows, bucket by bucket."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import text

from data.db import StorageMode
from data.domain import Condition, Finish, Language
from data.repositories.rollups import bucket_ranges
from tests.helpers import T0, add_cards, add_marketplaces, snap

DIRECT = {
    "market_index_30min": ("30 minutes", "currency, condition, is_foil, finish, language"),
    "market_index_hourly": ("1 hour", "currency, condition, is_foil, finish, language"),
    "market_index_daily": ("1 day", "currency, condition, is_foil, finish, language"),
    "card_prices_hourly": (
        "1 hour",
        "card_id, marketplace_id, condition, is_foil, finish, language, currency",
    ),
}
MARKET_VALUES = (
    "AVG(price), AVG(price_market), MIN(price_low), MAX(price_high), COUNT(DISTINCT card_id),"
    " SUM(num_listings), SUM(total_quantity), SUM(price * COALESCE(total_quantity, num_listings, 1)),"
    " SUM(price), COUNT(*)"
)
MARKET_COLUMNS = (
    "avg_price, avg_market_price, min_price, max_price, card_count, total_listings, total_quantity,"
    " volume, sum_price, samples"
)
CARD_VALUES = (
    "AVG(price), AVG(price_market), MIN(price_low), MAX(price_high), SUM(num_listings),"
    " SUM(total_quantity), SUM(price), COUNT(*), SUM(price_market), COUNT(price_market)"
)
CARD_COLUMNS = (
    "avg_price, avg_market_price, min_price, max_price, total_listings, total_quantity, sum_price,"
    " samples, sum_market_price, market_samples"
)


def _mismatches(services, rollup: str) -> int:
    width, group = DIRECT[rollup]
    values, columns = (CARD_VALUES, CARD_COLUMNS) if rollup == "card_prices_hourly" else (MARKET_VALUES, MARKET_COLUMNS)
    direct = f"""
        SELECT date_bin('{width}', time, TIMESTAMPTZ '2000-01-03 00:00:00+00'), {group}, {values}
        FROM price_snapshots WHERE price > 0 GROUP BY 1, {group}"""
    stored = f"SELECT bucket, {group}, {columns} FROM {rollup}"
    with services.engine.connect() as conn:
        return conn.execute(
            text(f"SELECT count(*) FROM (({direct} EXCEPT {stored}) UNION ALL ({stored} EXCEPT {direct})) d")
        ).scalar()


def _random_batches(card_ids, markets, seed=7, daily=False):
    """`daily`: every row at a day's start, as daily sources publish."""
    rng = random.Random(seed)
    batches = []
    for batch_no in range(6):
        rows = []
        for _ in range(400):
            when = T0 + timedelta(minutes=rng.randrange(0, 3 * 24 * 60, 10))
            if daily:
                when = T0.replace(hour=0) + timedelta(days=rng.randrange(0, 4))
            rows.append(
                snap(
                    rng.choice(card_ids),
                    rng.choice(markets),
                    f"{rng.randrange(0, 5000) / 100:.2f}",  # includes 0.00, left out of rollups
                    when,
                    condition=rng.choice([Condition.NEAR_MINT, Condition.LIGHTLY_PLAYED]),
                    language=rng.choice([Language.ENGLISH, Language.JAPANESE]),
                    finish=rng.choice(list(Finish)),
                    price_low=f"{rng.randrange(1, 100) / 100:.2f}" if rng.random() < 0.7 else None,
                    price_high=f"{rng.randrange(100, 9000) / 100:.2f}" if rng.random() < 0.7 else None,
                    price_market=f"{rng.randrange(1, 5000) / 100:.2f}" if rng.random() < 0.5 else None,
                    num_listings=rng.randrange(0, 50) if rng.random() < 0.6 else None,
                    total_quantity=rng.randrange(0, 90) if rng.random() < 0.4 else None,
                )
            )
        batches.append(rows)
        if batch_no == 3:  # a later batch corrects rows of an earlier one
            batches.append(
                [
                    snap(
                        r.card_id,
                        r.marketplace_id,
                        "99.99",
                        r.time,
                        condition=r.condition,
                        language=r.language,
                        finish=r.finish,
                    )
                    for r in batches[0][:50]
                ]
            )
    return batches


def test_refresh_after_each_batch_equals_direct_group_by(services, scryfall_objects):
    markets = list(add_marketplaces(services).values())
    cards = list(add_cards(services, scryfall_objects, 40).values())
    for batch in _random_batches(cards, markets):
        services.ingest(batch)
    with services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM card_prices_hourly")).scalar() > 100
    for rollup in DIRECT:
        assert _mismatches(services, rollup) == 0, rollup


def test_daily_rows_give_the_finer_market_rollups_exact_rows(services, scryfall_objects):
    """Rows on days' starts only: the 30-minute and hourly market rollups copy the daily rollup's rows
    (see rollups.py), exactly what grouping the raw rows gives, also once a row off a day's start lands."""
    markets = list(add_marketplaces(services).values())
    cards = list(add_cards(services, scryfall_objects, 40).values())
    for batch in _random_batches(cards, markets, seed=11, daily=True):
        services.ingest(batch)
        for rollup in DIRECT:
            assert _mismatches(services, rollup) == 0, rollup
    services.ingest([snap(cards[0], markets[0], "3.10", T0.replace(hour=0) + timedelta(days=1, minutes=50))])
    for rollup in DIRECT:
        assert _mismatches(services, rollup) == 0, rollup
    with services.engine.connect() as conn:
        hours = conn.execute(text("SELECT count(DISTINCT bucket) FROM market_index_30min")).scalar()
    assert hours == 5  # four days' starts and the new row's half hour


LATEST = (
    "card_id, marketplace_id, condition, finish, language, currency, time, price, weight,"
    " time_1d, price_1d, time_7d, price_7d"
)


def _expected_latest(services) -> set[tuple]:
    """Each variant's newest hourly price and its newest price 1-3 and 7-9 days before, in Python."""
    with services.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT card_id, marketplace_id, condition, finish, language, currency, bucket, avg_price,"
                " COALESCE(total_quantity, total_listings, 1) FROM card_prices_hourly ORDER BY bucket DESC"
            )
        ).all()
    by_variant: dict[tuple, list] = {}
    for *variant, bucket, price, weight in rows:
        by_variant.setdefault(tuple(variant), []).append((bucket, price, weight))
    expected = set()
    for variant, points in by_variant.items():
        last, price, weight = points[0]

        def before(days: int, last=last, points=points) -> tuple:
            low, high = last - timedelta(days=days + 2), last - timedelta(days=days)
            return next(((b, p) for b, p, _ in points if low < b <= high), (None, None))

        expected.add((*variant, last, price, weight, *before(1), *before(7)))
    return expected


def test_latest_prices_follow_each_batch_and_equal_a_full_rebuild(services, scryfall_objects):
    markets = list(add_marketplaces(services).values())
    cards = list(add_cards(services, scryfall_objects, 40).values())
    for batch in _random_batches(cards, markets, seed=5):
        services.ingest(batch)  # each batch refreshes its own cards only
    with services.engine.connect() as conn:
        incremental = set(conn.execute(text(f"SELECT {LATEST} FROM latest_prices")).all())
    assert incremental == _expected_latest(services)
    assert any(row[10] is not None for row in incremental)  # some variants have a price a day before
    services.rollups.refresh_latest(None)
    with services.engine.connect() as conn:
        assert set(conn.execute(text(f"SELECT {LATEST} FROM latest_prices")).all()) == incremental


def test_refresh_since_rebuilds_from_raw_and_is_idempotent(services, scryfall_objects):
    markets = list(add_marketplaces(services).values())
    cards = list(add_cards(services, scryfall_objects, 20).values())
    for batch in _random_batches(cards, markets, seed=11):
        services.prices.bulk_upsert(batch)  # raw only: rollups left behind
    assert _mismatches(services, "market_index_daily") > 0
    services.rollups.refresh_since(T0 - timedelta(days=1))
    services.rollups.refresh_since(T0 - timedelta(days=1))
    for rollup in DIRECT:
        assert _mismatches(services, rollup) == 0, rollup


def test_bucket_ranges_merge_contiguous_buckets():
    hour = timedelta(hours=1)
    times = [T0, T0 + timedelta(minutes=59), T0 + hour, T0 + 3 * hour + timedelta(minutes=5)]
    assert bucket_ranges(times, hour) == [(T0, T0 + 2 * hour), (T0 + 3 * hour, T0 + 4 * hour)]


def test_retention_removes_only_old_raw_rows(services, scryfall_objects, mode):
    markets = add_marketplaces(services)
    card = next(iter(add_cards(services, scryfall_objects, 1).values()))
    with services.engine.connect() as conn:
        now = conn.execute(text("SELECT now()")).scalar()
    old, recent = now - timedelta(days=800), now - timedelta(days=10)
    services.ingest([snap(card, markets["tcgplayer"], "1.00", old), snap(card, markets["tcgplayer"], "2.00", recent)])
    if mode is StorageMode.TIMESCALEDB:
        # The retention policy drops the old row's chunk; the worker's job leaves it to the policy.
        assert services.rollups.apply_retention() == 0
        with services.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            job = conn.execute(
                text(
                    "SELECT job_id FROM timescaledb_information.jobs"
                    " WHERE proc_name = 'policy_retention' AND hypertable_name = 'price_snapshots'"
                )
            ).scalar_one()
            conn.execute(text(f"CALL run_job({job})"))
    else:
        assert services.rollups.apply_retention() == 1
    with services.engine.connect() as conn:
        assert conn.execute(text("SELECT price::text FROM price_snapshots")).scalars().all() == ["2.00"]
        # rollups keep the long history
        assert conn.execute(text("SELECT count(*) FROM card_prices_hourly")).scalar() == 2
        if mode is StorageMode.POSTGRESQL:
            assert conn.execute(text("SELECT last_result FROM maintenance_jobs")).scalar().startswith("removed 1")
