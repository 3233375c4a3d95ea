"""What `cardcharts db status` reports about a database."""

from __future__ import annotations

from sqlalchemy import Engine, text

from data.db import StorageMode, storage_mode


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
        # An exact count of the snapshots would scan them all; the planner's estimate is enough.
        estimate = conn.execute(
            text(
                "SELECT GREATEST(sum(c.reltuples), 0)::bigint FROM pg_class c"
                " WHERE c.oid = 'price_snapshots'::regclass"
                " OR c.oid IN (SELECT inhrelid FROM pg_inherits"
                "              WHERE inhparent = 'price_snapshots'::regclass)"
            )
        ).scalar()
        report.update(
            cards=str(counts[0]),
            markets=str(counts[1]),
            snapshots=f"about {estimate:,}",
            rollups=f"{counts[2]:,} card-hours",
        )
        return report
