"""Database engine and the storage mode (TimescaleDB or plain PostgreSQL)."""

from __future__ import annotations

import enum
from collections.abc import Callable

from psycopg.errors import UniqueViolation
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import IntegrityError


class StorageMode(enum.StrEnum):
    TIMESCALEDB = "timescaledb"
    POSTGRESQL = "postgresql"


# A database that does not answer must cost a request seconds, not minutes: this bounds
# connecting, and waiting for a free pooled connection when all are busy.
CONNECT_TIMEOUT_SECONDS = 3  # libpq's smallest is 2
POOL_TIMEOUT_SECONDS = 10


def make_engine(url: str, pool_size: int = 5, statement_timeout_ms: int | None = None) -> Engine:
    """An engine for a postgresql+psycopg URL; the pool checks connections before use.

    statement_timeout_ms: the server cancels any statement that runs longer (web requests).
    None or 0 for jobs such as rollup refreshes, which may rightly take minutes."""
    # No JIT: it compiled every market query (their estimated cost is high) and added tens
    # of milliseconds to reads that take a few.
    options = "-c jit=off"
    if statement_timeout_ms:
        options += f" -c statement_timeout={int(statement_timeout_ms)}"
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args={"options": options, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


# For a statement over a time window: psycopg prepares a statement after five runs, and a
# generic plan cannot see how narrow the window is (measured: the movers query then scanned
# all 10M hourly rows, 3 s instead of 0.1 s). Per transaction, so that the many small
# per-card reads keep their cheap prepared plans.
CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan"
# A list of card ids as integer[]: psycopg sends small ints as smallint[], and `integer = ANY(smallint[])`
# cannot be hashed, so each row scans the whole list (measured: 4 s for 300,000 rows against 10,000 ids).
CARD_IDS = "CAST(:card_ids AS integer[])"


def insert_new(conn: Connection, write: Callable[[], int]) -> int | None:
    """Run `write` (a plain INSERT or COPY; it returns the rows it wrote) in a savepoint: its rows, or
    None, having written nothing, when a row's key is stored. New rows, the usual case, then skip the
    speculative insertion that ON CONFLICT costs each row; a caller merges only when this says it must."""
    try:
        with conn.begin_nested():
            return write()
    except (IntegrityError, UniqueViolation) as error:  # a COPY on the driver's cursor raises psycopg's own
        if not isinstance(getattr(error, "orig", error), UniqueViolation):
            raise
        return None


def storage_mode(conn: Connection) -> StorageMode:
    """TimescaleDB mode when price_snapshots is a hypertable, plain PostgreSQL otherwise."""
    installed = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")).scalar()
    if not installed:
        return StorageMode.POSTGRESQL
    hypertable = conn.execute(
        text("SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'price_snapshots'")
    ).scalar()
    return StorageMode.TIMESCALEDB if hypertable else StorageMode.POSTGRESQL
