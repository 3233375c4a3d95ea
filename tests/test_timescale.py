"""TimescaleDB mode on a real TimescaleDB server, beside plain PostgreSQL on the same data.

Runs when CARDCHARTS_TEST_TIMESCALE_URL names the admin URL of a TimescaleDB server with the
extension preloaded (e.g. postgresql://postgres@127.0.0.1:5433/postgres); no package installs one
here, README.md says how to build one. Each test makes its own database on it. Policies run with
`CALL run_job`, never by waiting for the scheduler.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import text

from app.bootstrap import Services, bootstrap
from data.db import StorageMode
from data.repositories.status import _compressed_rows, database_status
from migrations import runner
from tests.conftest import ADMIN_URL, make_settings
from tests.helpers import EVERY_DAY, T0, add_cards, add_marketplaces
from tests.test_rollups import DIRECT, _mismatches, _random_batches

TIMESCALE_URL = os.environ.get("CARDCHARTS_TEST_TIMESCALE_URL", "")
pytestmark = pytest.mark.skipif(
    not TIMESCALE_URL, reason="CARDCHARTS_TEST_TIMESCALE_URL is not set (a TimescaleDB server's admin URL)"
)
ROLLUPS = tuple(DIRECT)


def _database(admin_url: str) -> str:
    name = f"cardcharts_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return "postgresql+psycopg://" + admin_url.rsplit("/", 1)[0].split("://", 1)[1] + "/" + name


def _drop(admin_url: str, url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.fixture
def timescale(redis_server: str) -> Iterator[Services]:
    url = _database(TIMESCALE_URL)
    runner.upgrade(url)
    services = bootstrap(make_settings(url, f"{redis_server}?db=2"))  # a cache of its own
    yield services
    services.close()
    _drop(TIMESCALE_URL, url)


@pytest.fixture
def plain(redis_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    """Plain PostgreSQL, on the tests' usual server, in plain mode whatever that server offers."""
    url = _database(ADMIN_URL)
    monkeypatch.setenv("CARDCHARTS_TIMESCALE", "off")
    runner.upgrade(url)
    services = bootstrap(make_settings(url, f"{redis_server}?db=3"))
    yield services
    services.close()
    _drop(ADMIN_URL, url)


def _rows(services: Services, sql: str) -> list[tuple]:
    with services.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def _table(services: Services, table: str) -> list[tuple]:
    return sorted(_rows(services, f"SELECT * FROM {table}"), key=repr)


def _run_job(services: Services, proc: str, relation: str) -> None:
    with services.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        jobs = conn.execute(
            text(
                "SELECT job_id FROM timescaledb_information.jobs j"
                " LEFT JOIN timescaledb_information.continuous_aggregates c"
                "   ON c.materialization_hypertable_name = j.hypertable_name"
                " WHERE j.proc_name = :proc AND coalesce(c.view_name, j.hypertable_name) = :relation"
            ),
            {"proc": proc, "relation": relation},
        ).scalars()
        job = jobs.one()
        conn.execute(text(f"CALL run_job({job})"))


def _load(services: Services, scryfall_objects: list[dict]) -> list[int]:
    markets = list(add_marketplaces(services).values())
    cards = list(add_cards(services, scryfall_objects, 20).values())
    for batch in _random_batches(cards, markets, seed=5):
        services.ingest(batch)
    return cards


def test_the_schema_is_a_hypertable_with_lean_indexes_and_continuous_aggregates(timescale):
    assert timescale.rollups.mode is StorageMode.TIMESCALEDB
    assert _rows(
        timescale,
        "SELECT d.time_interval FROM timescaledb_information.dimensions d WHERE d.hypertable_name = 'price_snapshots'",
    ) == [(timedelta(days=7),)]
    # TimescaleDB's default B-tree on time is gone: the same two indexes as plain mode.
    assert {
        row[0] for row in _rows(timescale, "SELECT indexname FROM pg_indexes WHERE tablename = 'price_snapshots'")
    } == {
        "uq_price_snapshots_variant_time",
        "ix_price_snapshots_time_brin",
    }
    aggregates = dict(
        _rows(timescale, "SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates")
    )
    assert aggregates == dict.fromkeys(ROLLUPS, True)
    # Only the bucket index on each rollup, and plain mode's primary key on the per-card one.
    indexes = _rows(
        timescale,
        """
        SELECT c.view_name, i.indexdef FROM timescaledb_information.continuous_aggregates c
        JOIN pg_indexes i ON i.tablename = c.materialization_hypertable_name ORDER BY 1, 2
        """,
    )
    columns = {(view, definition.split("(", 1)[1]) for view, definition in indexes}
    assert columns == {(view, "bucket DESC)") for view in ROLLUPS} | {
        ("card_prices_hourly", "card_id, bucket, marketplace_id, condition, finish, language, currency)")
    }
    settings = _rows(
        timescale,
        "SELECT attname, segmentby_column_index, orderby_column_index FROM timescaledb_information.compression_settings"
        " WHERE hypertable_name = 'price_snapshots' ORDER BY segmentby_column_index NULLS LAST,"
        " orderby_column_index",
    )
    assert settings == [
        ("card_id", 1, None),
        ("marketplace_id", None, 1),
        ("finish", None, 2),
        ("condition", None, 3),
        ("language", None, 4),
        ("time", None, 5),
    ]
    policies = {row[0] for row in _rows(timescale, "SELECT proc_name FROM timescaledb_information.jobs")}
    assert {"policy_refresh_continuous_aggregate", "policy_compression", "policy_retention"} <= policies


def test_reads_match_plain_postgresql_on_the_same_data(timescale, plain, scryfall_objects):
    cards = _load(timescale, scryfall_objects)
    assert _load(plain, scryfall_objects) == cards
    for services in (timescale, plain):
        for rollup in ROLLUPS:
            assert _mismatches(services, rollup) == 0, rollup
    for table in (*ROLLUPS, "latest_prices", "market_index", "variant_days", f"{EVERY_DAY} d", "price_outliers"):
        assert _table(timescale, table) == _table(plain, table), table
    assert _reads(timescale, cards) == _reads(plain, cards)

    # Compressed chunks read the same, and `db status` counts their rows.
    before = _reads(timescale, cards)
    count = _rows(timescale, "SELECT count(*) FROM price_snapshots")[0][0]
    _run_job(timescale, "policy_compression", "price_snapshots")
    assert _rows(
        timescale,
        "SELECT bool_and(is_compressed) FROM timescaledb_information.chunks WHERE hypertable_name = 'price_snapshots'",
    ) == [(True,)]
    timescale.redis.flushdb()
    assert _reads(timescale, cards) == before
    with timescale.engine.connect() as conn:
        assert _compressed_rows(conn) == count
    status = database_status(timescale.engine)
    assert status["snapshots"] == f"{count:,}"
    assert status["chunks"].endswith("compressed)") and "(0 compressed)" not in status["chunks"]


def _reads(services: Services, cards: list[int]) -> str:
    """What the pages and the API show, as JSON: every card's history over each range, and the market."""
    services.redis.flushdb()
    market = services.market_queries
    shown = {
        "history": {
            card: {span: services.card_queries.history(card, span) for span in ("7d", "30d", "1y")} for card in cards
        },
        "index": {span: market.index(span, currency) for span in ("7d", "30d") for currency in ("USD", "EUR")},
        "chained": {span: market.chained(span) for span in ("7d", "30d", "1y")},
        "overview": market.overview("USD", "30d"),
        "movers": market.movers("24h", "USD"),
    }
    return json.dumps(shown, sort_keys=True, default=str)


def test_policies_refresh_compress_and_drop_when_run(timescale, scryfall_objects):
    markets = add_marketplaces(timescale)
    card = next(iter(add_cards(timescale, scryfall_objects, 1).values()))
    now = _rows(timescale, "SELECT date_trunc('hour', now())")[0][0]
    times = [now - timedelta(days=800), now - timedelta(days=30), now - timedelta(hours=2)]
    with timescale.engine.begin() as conn:  # raw rows only: the policies must do the rest
        for moment, price in zip(times, ("1.00", "2.00", "3.00"), strict=True):
            conn.execute(
                text(
                    "INSERT INTO price_snapshots (time, card_id, marketplace_id, price, currency)"
                    " VALUES (:t, :c, :m, :p, 'USD')"
                ),
                {"t": moment, "c": card, "m": markets["tcgplayer"], "p": price},
            )
    assert _rows(timescale, "SELECT count(*) FROM card_prices_hourly") == [(0,)]  # materialized only
    # The hourly policy's window (3 hours back to 1 hour back) holds the newest row.
    _run_job(timescale, "policy_refresh_continuous_aggregate", "card_prices_hourly")
    assert _rows(timescale, "SELECT avg_price = 3.00 FROM card_prices_hourly") == [(True,)]
    _run_job(timescale, "policy_compression", "price_snapshots")
    compressed = _rows(
        timescale,
        "SELECT range_end < now() - interval '7 days', is_compressed FROM timescaledb_information.chunks"
        " WHERE hypertable_name = 'price_snapshots'",
    )
    assert sorted(compressed) == [(False, False), (True, True), (True, True)]
    _run_job(timescale, "policy_retention", "price_snapshots")
    assert _rows(timescale, "SELECT price::text FROM price_snapshots ORDER BY time") == [("2.00",), ("3.00",)]


def test_a_refresh_after_writes_into_compressed_chunks_is_exact(timescale, scryfall_objects):
    markets = list(add_marketplaces(timescale).values())
    cards = list(add_cards(timescale, scryfall_objects, 10).values())
    batches = _random_batches(cards, markets, seed=9)
    for batch in batches[:3]:
        timescale.ingest(batch)
    _run_job(timescale, "policy_compression", "price_snapshots")
    for batch in batches[3:]:  # corrections and new rows land in compressed chunks
        timescale.ingest(batch)
    for rollup in ROLLUPS:
        assert _mismatches(timescale, rollup) == 0, rollup
    timescale.rollups.refresh_since(T0 - timedelta(days=1))
    for rollup in ROLLUPS:
        assert _mismatches(timescale, rollup) == 0, rollup
