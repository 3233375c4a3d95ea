"""Database engine and the storage mode (TimescaleDB or plain PostgreSQL)."""

from __future__ import annotations

import enum

from sqlalchemy import Connection, Engine, create_engine, text


class StorageMode(enum.StrEnum):
    TIMESCALEDB = "timescaledb"
    POSTGRESQL = "postgresql"


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """An engine for a postgresql+psycopg URL; the pool checks connections before use."""
    # No JIT: it compiled every market query (their estimated cost is high) and added tens
    # of milliseconds to reads that take a few.
    return create_engine(
        url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True, connect_args={"options": "-c jit=off"}
    )


# For a statement over a time window: psycopg prepares a statement after five runs, and a
# generic plan cannot see how narrow the window is (measured: the movers query then scanned
# all 10M hourly rows, 3 s instead of 0.1 s). Per transaction, so that the many small
# per-card reads keep their cheap prepared plans.
CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan"


def storage_mode(conn: Connection) -> StorageMode:
    """TimescaleDB mode when price_snapshots is a hypertable, plain PostgreSQL otherwise."""
    installed = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")).scalar()
    if not installed:
        return StorageMode.POSTGRESQL
    hypertable = conn.execute(
        text("SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'price_snapshots'")
    ).scalar()
    return StorageMode.TIMESCALEDB if hypertable else StorageMode.POSTGRESQL
