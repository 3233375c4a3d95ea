"""What `cardcharts db status` reports about a database."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

from data.db import StorageMode, storage_mode

# Below this many rows (by the planner's estimate) the snapshots are counted exactly: a second or so.
EXACT_BELOW = 5_000_000


def database_status(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        mode = storage_mode(conn)
        server = conn.execute(text("SHOW server_version")).scalar()
        report = {"server": f"PostgreSQL {server}"}
        if mode is StorageMode.TIMESCALEDB:
            version = conn.execute(text("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")).scalar()
            report["mode"] = f"TimescaleDB {version} (hypertable, continuous aggregates, policies)"
        else:
            report["mode"] = "plain PostgreSQL (rollup tables refreshed by the worker)"
        if conn.execute(text("SELECT to_regclass('price_snapshots')")).scalar() is None:
            report["schema"] = "absent"
            return report
        counts = conn.execute(
            text(
                """
                SELECT (SELECT count(*) FROM cards), (SELECT count(*) FROM marketplaces),
                       (SELECT count(*) FROM card_prices_hourly)
                """
            )
        ).one()
        snapshots = snapshot_count(conn, mode)
        report.update(cards=str(counts[0]), markets=str(counts[1]), snapshots=snapshots)
        if mode is StorageMode.TIMESCALEDB:
            report["chunks"] = _chunks(conn)
        report["rollups"] = f"{counts[2]:,} card-hours"
        return report


def snapshot_count(conn: Connection, mode: StorageMode) -> str:
    """The number of price snapshots: exact ("10,288"), or "about N (estimate)" on a table so large
    that counting would scan millions of rows.

    The planner's estimate (reltuples) is -1 or 0 until the first VACUUM or ANALYZE, and it lags
    behind inserts: it is only trusted when it says the table is big, and then said to be one.
    On TimescaleDB, a compressed chunk keeps its rows in another relation, in batches that each
    record their row count: those are summed exactly (a batch holds up to 1,000 rows, so this reads
    a thousandth of them). approximate_row_count is no substitute: it said 3,024,000 for 8,324 rows."""
    estimate = conn.execute(text(_ESTIMATE)).scalar() or 0
    if mode is StorageMode.TIMESCALEDB:
        estimate += _compressed_rows(conn)
    if estimate < EXACT_BELOW:
        return f"{conn.execute(text('SELECT count(*) FROM price_snapshots')).scalar():,}"
    return f"about {estimate:,} (estimate)"


# The table's and its partitions' or chunks' planner estimates (the rows of a compressed chunk are
# not in its own relation: it counts only those inserted since it was compressed).
_ESTIMATE = """
    SELECT sum(GREATEST(c.reltuples, 0))::bigint FROM pg_class c
    WHERE c.oid = 'price_snapshots'::regclass
       OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'price_snapshots'::regclass)"""
_COMPRESSED_CHUNKS = """
    SELECT format('%I.%I', cc.schema_name, cc.table_name)
    FROM _timescaledb_catalog.hypertable h
    JOIN _timescaledb_catalog.chunk c ON c.hypertable_id = h.id AND NOT c.dropped
    JOIN _timescaledb_catalog.chunk cc ON cc.id = c.compressed_chunk_id
    WHERE h.schema_name = current_schema() AND h.table_name = 'price_snapshots'"""


def _compressed_rows(conn: Connection) -> int:
    tables = conn.execute(text(_COMPRESSED_CHUNKS)).scalars().all()
    if not tables:
        return 0
    # The names come from the catalog, quoted by format('%I').
    parts = " UNION ALL ".join(f"SELECT sum(_ts_meta_count) AS n FROM {table}" for table in tables)
    return int(conn.execute(text(f"SELECT COALESCE(sum(n), 0) FROM ({parts}) AS batches")).scalar())


def _chunks(conn: Connection) -> str:
    total, compressed = conn.execute(
        text(
            "SELECT count(*), count(*) FILTER (WHERE is_compressed) FROM timescaledb_information.chunks"
            " WHERE hypertable_name = 'price_snapshots'"
        )
    ).one()
    return f"{total:,} ({compressed:,} compressed)"
