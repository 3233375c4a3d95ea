"""The schema: built from nothing by `db upgrade`, removed by `db downgrade base`."""

from __future__ import annotations

import importlib
import logging

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from app.cli import main
from data.db import StorageMode, storage_mode
from migrations import runner

ROLLUPS = ("market_index_30min", "market_index_hourly", "market_index_daily", "card_prices_hourly")


def _query(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _enum(url: str, name: str) -> list[str]:
    rows = _query(url, f"SELECT unnest(enum_range(NULL::{name}))::text")
    return [row[0] for row in rows]


def test_upgrade_builds_the_design_schema(empty_database_url, mode):
    url = empty_database_url
    runner.upgrade(url)
    assert runner.current_revision(url) == runner.head_revision()
    assert _enum(url, "card_condition") == [
        "MINT",
        "NEAR_MINT",
        "LIGHTLY_PLAYED",
        "MODERATELY_PLAYED",
        "HEAVILY_PLAYED",
        "DAMAGED",
    ]
    assert _enum(url, "card_language") == [
        "English",
        "Japanese",
        "German",
        "French",
        "Italian",
        "Spanish",
        "Portuguese",
        "Korean",
        "Chinese Simplified",
        "Chinese Traditional",
        "Russian",
        "Phyrexian",
    ]
    assert _enum(url, "card_finish") == ["nonfoil", "foil", "etched"]
    columns = {
        name: (kind, nullable)
        for name, kind, nullable in _query(
            url,
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_name = 'price_snapshots'",
        )
    }
    assert columns["time"] == ("timestamp with time zone", "NO")
    assert columns["price"] == ("numeric", "NO")
    for tier in ("price_low", "price_mid", "price_high", "price_market", "num_listings", "total_quantity"):
        assert columns[tier][1] == "YES"
    assert {"card_id", "marketplace_id", "condition", "is_foil", "finish", "language", "currency"} <= set(columns)
    # Both modes: the unique key and a BRIN on time (TimescaleDB's default B-tree on time is dropped).
    indexes = {row[0] for row in _query(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'price_snapshots'")}
    assert indexes == {"uq_price_snapshots_variant_time", "ix_price_snapshots_time_brin"}
    for rollup in ROLLUPS:
        assert _query(url, f"SELECT to_regclass('{rollup}') IS NOT NULL") == [(True,)]
    # The chained index: a plain table in both modes, one row per resolution, currency, sub-index, bucket.
    index_columns = _query(
        url,
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_name = 'market_index' ORDER BY ordinal_position",
    )
    assert index_columns == [
        ("resolution", "text", "NO"),
        ("currency", "text", "NO"),
        ("kind", "text", "NO"),
        ("key", "text", "NO"),
        ("bucket", "timestamp with time zone", "NO"),
        ("relative", "numeric", "YES"),
        ("matched", "integer", "NO"),
        ("level", "numeric", "NO"),
    ]
    assert _query(
        url,
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'market_index'::regclass AND indisprimary",
    ) == [
        (
            "CREATE UNIQUE INDEX market_index_pkey ON public.market_index USING btree"
            " (resolution, currency, kind, key, bucket)",
        )
    ]
    engine = create_engine(url)
    with engine.connect() as conn:
        assert storage_mode(conn) is mode
    engine.dispose()


def test_downgrade_removes_everything_and_upgrade_rebuilds(empty_database_url):
    url = empty_database_url
    runner.upgrade(url)
    runner.downgrade(url, "base")
    assert runner.current_revision(url) is None
    leftovers = _query(
        url,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'",
    )
    assert leftovers == []
    assert _query(url, "SELECT count(*) FROM pg_type WHERE typname IN ('card_condition', 'card_language')") == [(0,)]
    runner.upgrade(url)
    assert runner.current_revision(url) == runner.head_revision()


def test_db_status_reports_mode_and_revision(empty_database_url, monkeypatch, mode):
    monkeypatch.setenv("DATABASE_URL", empty_database_url.replace("+psycopg", ""))
    cli = CliRunner()
    before = cli.invoke(main, ["db", "status"])
    assert before.exit_code == 1
    assert "none (run: cardcharts db upgrade)" in before.output
    assert cli.invoke(main, ["db", "upgrade"]).exit_code == 0
    after = cli.invoke(main, ["db", "status"])
    assert after.exit_code == 0, after.output
    if mode is StorageMode.TIMESCALEDB:
        assert "mode:      TimescaleDB 2." in after.output
        assert "chunks:    0 (0 compressed)" in after.output
    else:
        assert "plain PostgreSQL" in after.output
        assert "chunks" not in after.output
    assert f"revision:  {runner.head_revision()} (newest" in after.output


def test_bad_configuration_is_refused_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/cards")
    result = CliRunner().invoke(main, ["db", "status"])
    assert result.exit_code == 2
    assert "DATABASE_URL" in result.output
    assert "PostgreSQL URL" in result.output


def test_db_status_counts_the_snapshots_exactly_or_says_it_estimates(empty_database_url, redis_server, monkeypatch):
    """reltuples is -1 before the first ANALYZE ("about 0" on 1,964 rows): small tables are counted."""
    from app.bootstrap import bootstrap
    from data.db import make_engine
    from data.repositories import status
    from tests.conftest import FIXTURES, make_settings
    from workers.imports import import_scryfall

    runner.upgrade(empty_database_url)
    services = bootstrap(make_settings(empty_database_url, redis_server))
    try:
        import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    finally:
        services.close()
    monkeypatch.setenv("DATABASE_URL", empty_database_url.replace("+psycopg", ""))
    result = CliRunner().invoke(main, ["db", "status"])
    assert result.exit_code == 0, result.output
    assert "snapshots: 1,964\n" in result.output
    engine = make_engine(empty_database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE price_snapshots")
            monkeypatch.setattr(status, "EXACT_BELOW", 1000)  # as if the table were huge
            assert status.snapshot_count(conn, StorageMode.POSTGRESQL) == "about 1,964 (estimate)"
    finally:
        engine.dispose()


def test_the_mode_choice_needs_timescaledb_preloaded(caplog):
    """Auto mode falls back to plain PostgreSQL, with a warning naming the setting, when the extension is
    installed but not preloaded (CREATE EXTENSION would fail); "on" refuses with the same words."""
    chosen = importlib.import_module("migrations.versions.0001_foundation").timescale_chosen
    assert chosen("auto", True, "pg_stat_statements, timescaledb") is True
    assert chosen("on", True, '"timescaledb"') is True
    assert chosen("auto", False, "") is False
    assert chosen("off", True, "timescaledb") is False
    assert not caplog.records
    with caplog.at_level(logging.WARNING):
        assert chosen("AUTO", True, "pg_stat_statements") is False
    assert "not preloaded" in caplog.text and "shared_preload_libraries" in caplog.text
    with pytest.raises(RuntimeError, match="shared_preload_libraries"):
        chosen("on", True, "")
    with pytest.raises(RuntimeError, match="not available"):
        chosen("on", False, "timescaledb")
