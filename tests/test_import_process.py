"""Whole import processes: bounded memory on a large file, a killed run retried, publishing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import date, timedelta

import pytest
from redis import Redis
from sqlalchemy import text

from data.domain import UnknownReference
from tests.conftest import FIXTURES
from tests.helpers import T0, add_cards, add_marketplaces, cli_process, snap, watch_peak_rss
from workers.imports import import_scryfall

PROVIDERS = ("tcgplayer", "cardkingdom", "cardmarket", "manapool")
DAYS = 90
KNOWN, UNKNOWN = 461, 2500


def _uuid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


@pytest.fixture(scope="module")
def big_mtgjson(tmp_path_factory, scryfall_objects):
    """An AllPrices-format file of 1.7M price points (about 40 MB): 461 uuids that name
    catalogued printings, 2,500 that do not. Written as a stream, as MTGJSON writes it."""
    folder = tmp_path_factory.mktemp("mtgjson")
    days = [(date(2025, 8, 2) + timedelta(days=d)).isoformat() for d in range(DAYS)]
    with open(folder / "AllPrices.json", "w") as out:
        out.write('{"meta":{"date":"2025-11-01","version":"5.2.2+20251101"},"data":{')
        for n in range(KNOWN + UNKNOWN):
            paper = {
                provider: {
                    "buylist": {},
                    "retail": {
                        finish: {
                            day: round(0.25 + (n % 50) + d / 100 + (finish == "foil"), 2) for d, day in enumerate(days)
                        }
                        for finish in ("normal", "foil")
                    },
                    "currency": "EUR" if provider == "cardmarket" else "USD",
                }
                for provider in PROVIDERS
            }
            out.write(
                ("," if n else "") + json.dumps(_uuid(n)) + ":" + json.dumps({"paper": paper}, separators=(",", ":"))
            )
        out.write("}}")
    identifiers = {
        "data": {
            _uuid(n): {"uuid": _uuid(n), "identifiers": {"scryfallId": o["id"]}}
            for n, o in enumerate(scryfall_objects[:KNOWN])
        }
    }
    (folder / "AllIdentifiers.json").write_text(json.dumps(identifiers))
    return folder


def _cli(services, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": services.settings.database_url.replace("+psycopg", ""),
        "REDIS_URL": services.settings.redis_url,
        "CARDCHARTS_LOG_LEVEL": "WARNING",
    }
    return cli_process(env, *args)


def _count(services) -> int:
    with services.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM price_snapshots WHERE time < '2025-11-01'")).scalar()


STORED = KNOWN * len(PROVIDERS) * 2 * DAYS


def test_large_file_imports_in_bounded_memory(services, big_mtgjson):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    size = (big_mtgjson / "AllPrices.json").stat().st_size
    process = _cli(
        services,
        "import",
        "mtgjson",
        str(big_mtgjson / "AllPrices.json"),
        "--identifiers",
        str(big_mtgjson / "AllIdentifiers.json"),
    )
    peak_mb = watch_peak_rss(process)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    print(f"\n{size / 2**20:.0f} MB file, peak RSS {peak_mb:.0f} MB\n{out}")
    assert f"rows inserted: {STORED:,}" in out
    assert f"rows rejected: {UNKNOWN * len(PROVIDERS) * 2 * DAYS:,}" in out
    assert peak_mb < 300
    assert _count(services) == STORED


def test_a_killed_import_loses_and_duplicates_nothing_once_rerun(services, big_mtgjson):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    args = (
        "import",
        "mtgjson",
        str(big_mtgjson / "AllPrices.json"),
        "--identifiers",
        str(big_mtgjson / "AllIdentifiers.json"),
    )
    process = _cli(services, *args)
    deadline = time.monotonic() + 120
    while _count(services) == 0:  # wait for the first committed batch
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = _count(services)
    assert 0 < partial < STORED
    assert _rolled_up(services) < partial  # committed, but the killed run never settled them

    # A run of another source recovers the dead run first: its committed rows reach every rollup.
    other = _cli(services, "import", "cardmarket", str(FIXTURES / "cardmarket" / "price_guide_1-sample.json"))
    _, err = other.communicate(timeout=600)
    assert other.returncode == 0, err
    assert _rolled_up(services) == partial
    with services.engine.connect() as conn:
        status, error, settled = conn.execute(
            text("SELECT status, error, settled_at IS NOT NULL FROM source_runs WHERE source = 'mtgjson'")
        ).one()
        latest = conn.execute(
            text(
                "SELECT count(*) FROM latest_prices l JOIN marketplaces m ON m.id = l.marketplace_id"
                " WHERE m.slug = 'manapool'"
            )
        ).scalar()
    assert (status, settled) == ("interrupted", True)
    assert error.startswith("interrupted") and f"{partial} stored rows" in error
    assert latest > 0

    rerun = _cli(services, *args)
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert _count(services) == STORED
    assert _rolled_up(services) == STORED
    with services.engine.connect() as conn:
        runs = conn.execute(text("SELECT status FROM source_runs WHERE source = 'mtgjson' ORDER BY id")).scalars()
        assert list(runs) == ["interrupted", "succeeded"]


def _rolled_up(services) -> int:
    """Raw rows before the fixture's Scryfall date that the hourly rollup counts."""
    with services.engine.connect() as conn:
        return conn.execute(
            text("SELECT COALESCE(sum(samples), 0) FROM card_prices_hourly WHERE bucket < '2025-11-01'")
        ).scalar()


def _listen(redis_url: str):
    client = Redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.client = client  # a collected client closes the subscription's connection
    pubsub.psubscribe("channel:prices:*")
    pubsub.get_message(timeout=1)
    return pubsub


def _drain(pubsub) -> list[tuple[str, dict]]:
    messages = []
    while (message := pubsub.get_message(timeout=0.5)) is not None:
        messages.append((message["channel"].decode(), json.loads(message["data"])))
    return messages


def test_publish_after_commit_and_never_for_a_refused_batch(services, scryfall_objects):
    markets = add_marketplaces(services)
    first, second = add_cards(services, scryfall_objects, 2).values()
    pubsub = _listen(services.settings.redis_url)
    services.ingest([snap(first, markets["tcgplayer"], "1.25", T0), snap(second, markets["tcgplayer"], "2.50", T0)])
    messages = _drain(pubsub)
    channels = sorted(channel for channel, _ in messages)
    assert channels == sorted(
        [f"channel:prices:card:{first}", f"channel:prices:card:{second}", "channel:prices:market"]
    )
    card = dict(messages)[f"channel:prices:card:{first}"]
    assert card["card_id"] == first
    assert card["price_data"]["variants"][0]["price"] == "1.25"
    with services.engine.connect() as conn:  # the message came after the row was visible to others
        assert conn.execute(text("SELECT count(*) FROM price_snapshots")).scalar() == 2

    with pytest.raises(UnknownReference):
        services.ingest([snap(first, markets["tcgplayer"], "9.99", T0 + timedelta(hours=1)), snap(10**6, 1, "1.00")])
    with pytest.raises(Exception, match="numeric field overflow"):
        services.ingest([snap(first, markets["tcgplayer"], "123456789.00", T0 + timedelta(hours=2))])
    assert _drain(pubsub) == []
    with services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM price_snapshots")).scalar() == 2


def test_an_import_on_a_new_database_is_quiet_unless_something_is_wrong(empty_database_url, redis_server):
    """At the default log level (INFO) the schema is built and the file imported without a log line:
    no Alembic narration ("Context impl PostgresqlImpl.", "Will assume transactional DDL.")."""
    env = {**os.environ, "DATABASE_URL": empty_database_url, "REDIS_URL": redis_server, "CARDCHARTS_LOG_LEVEL": "INFO"}
    process = cli_process(env, "import", "scryfall", str(FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz"))
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert "rows inserted: 1,964" in out
    assert err == ""
    broken = cli_process(env, "import", "cardmarket", str(FIXTURES / "mtgjson" / "AllPrices-sample.json"))
    out, err = broken.communicate(timeout=300)
    assert broken.returncode == 1
    assert "not a Cardmarket price guide" in err and "alembic" not in err
