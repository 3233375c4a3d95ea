"""Dashboard benchmark: server time of the pages' main callbacks on a large store.

    python bench/dashboard.py [--rows 10000000]

Loads synthetic snapshot rows (a benchmark load, never product data) into a
database of its own, then POSTs each page's main callback to
/_dash-update-component through the Flask server (no browser, no network) and
prints p50 / p95 cold (Redis emptied before each call) and warm, plus the
response size of the card history callback for one year of one printing, all
variants. Targets: p95 <= 60 ms cold, <= 15 ms warm; history response <= 200 KB.

It also settles new batches (one snapshot of every variant, an hour after the newest)
alternately with and without keeping the chained market index, and reads the 1-year
index uncached. Targets: the index adds at most 20% to a settle; p95 read <= 10 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.bootstrap import bootstrap
from app.embedded import EmbeddedRedis
from app.server import create_app
from app.settings import Settings
from bench.foundation import ADMIN_URL, percentile
from data.domain import Card, Condition, Finish, Marketplace, MarketplaceKind, PriceSnapshot
from migrations import runner

START = datetime(2025, 11, 1, tzinfo=UTC)
VARIANTS = [
    ("tcgplayer", Finish.NONFOIL, Condition.NEAR_MINT, "USD"),
    ("tcgplayer", Finish.FOIL, Condition.NEAR_MINT, "USD"),
    ("tcgplayer", Finish.NONFOIL, Condition.LIGHTLY_PLAYED, "USD"),
    ("cardkingdom", Finish.NONFOIL, Condition.NEAR_MINT, "USD"),
    ("cardkingdom-buylist", Finish.NONFOIL, Condition.NEAR_MINT, "USD"),
]


def load(services, cards: int, rows: int) -> list[int]:
    markets = {
        m.slug: services.marketplaces.ensure(m)
        for m in (
            Marketplace("tcgplayer", "TCGplayer", "USD"),
            Marketplace("cardkingdom", "Card Kingdom", "USD"),
            Marketplace("cardkingdom-buylist", "Card Kingdom buylist", "USD", MarketplaceKind.BUYLIST),
        )
    }
    ids = list(
        services.cards.upsert_many(
            Card(
                name=f"Benchmark printing {i}",
                set_code="bch",
                collector_number=str(i),
                scryfall_id=str(uuid.UUID(int=i + 1)),
                released_at=date(2025, 1, 1),
                legalities={"modern": "legal" if i % 2 else "not_legal", "commander": "legal"},
            )
            for i in range(cards)
        ).values()
    )
    steps = rows // (cards * len(VARIANTS))
    hours = 365 * 24 // steps  # spread the snapshots over a year
    rng = random.Random(3)
    base = {card: Decimal(rng.randrange(10, 20000)) / 100 for card in ids}
    started = time.perf_counter()
    for step in range(steps):
        moment = START + timedelta(hours=hours * step)
        batch = []
        for card in ids:
            for slug, finish, condition, currency in VARIANTS:
                price = (base[card] * Decimal(rng.randrange(95, 106)) / 100).quantize(Decimal("0.01")) + Decimal("0.01")
                batch.append(
                    PriceSnapshot(
                        time=moment,
                        card_id=card,
                        marketplace_id=markets[slug],
                        price=price,
                        currency=currency,
                        finish=finish,
                        condition=condition,
                        num_listings=rng.randrange(0, 40),
                    )
                )
        services.prices.bulk_upsert(batch)
    print(
        f"loaded {steps * cards * len(VARIANTS):,} rows ({steps} snapshots every {hours} h) "
        f"in {time.perf_counter() - started:.0f} s"
    )
    started = time.perf_counter()
    services.rollups.refresh_since(START)
    print(f"rollups rebuilt in {time.perf_counter() - started:.0f} s")
    with services.engine.begin() as conn:  # committed: the planner's statistics of the loaded tables
        conn.exec_driver_sql("ANALYZE")
    return ids


def batch(last: dict[tuple[int, int, str, str], Decimal], moment: datetime, rng: random.Random) -> list[PriceSnapshot]:
    """Every variant's next price: its newest one moved by -5% to +5%, as real prices move in an
    hour (uniform random prices would be a flood of 100x jumps, which the outlier judge treats as such)."""
    out = []
    for (card, market, finish, condition), price in last.items():
        price = max(Decimal("0.01"), (price * Decimal(rng.randrange(95, 106)) / 100).quantize(Decimal("0.01")))
        last[(card, market, finish, condition)] = price
        out.append(
            PriceSnapshot(
                time=moment,
                card_id=card,
                marketplace_id=market,
                price=price,
                currency="USD",
                finish=Finish(finish),
                condition=Condition(condition),
                num_listings=rng.randrange(0, 40),
            )
        )
    return out


def settle_cost(services, ids: list[int], rounds: int) -> None:
    """A batch's settle (the rollups refresh of its buckets) with and without the index, alternating."""
    with services.engine.connect() as conn:
        newest = conn.exec_driver_sql("SELECT max(time) FROM price_snapshots").scalar()
        last = {
            (card, market, finish, condition): price
            for card, market, finish, condition, price in conn.exec_driver_sql(
                "SELECT card_id, marketplace_id, finish::text, condition::text, price FROM latest_prices"
                " WHERE currency = 'USD'"
            )
        }
    rng = random.Random(5)
    timings: dict[bool, list[float]] = {True: [], False: []}
    for step in range(2 * rounds):
        keep = step % 2 == 1
        moment = newest + timedelta(hours=step + 1)
        services.prices.bulk_upsert(batch(last, moment, rng))
        services.rollups.keep_index = keep
        started = time.perf_counter()
        services.rollups.refresh_touched([moment], ids)
        timings[keep].append((time.perf_counter() - started) * 1000)
    services.rollups.keep_index = True
    services.rollups.refresh_index(newest, None, None)  # the buckets settled without it
    without, with_index = statistics.median(timings[False]), statistics.median(timings[True])
    # Each settle with the index against the one just before it without: the machine's drift over the
    # run (autovacuum, other load) cancels out of each pair.
    pairs = sorted(w / wo - 1 for wo, w in zip(timings[False], timings[True], strict=True))
    print(
        f"settle of a {len(ids) * len(VARIANTS):,}-row batch, median of {rounds}: {without:.0f} ms without the index,"
        f" {with_index:.0f} ms with it (+{100 * (with_index / without - 1):.0f}%); median of the pairs"
        f" +{100 * statistics.median(pairs):.0f}% (each pair: {', '.join(f'{100 * r:+.0f}%' for r in pairs)};"
        " target <= +20%)"
    )


def index_read_cost(services, calls: int) -> None:
    """p95 of the 1-year chained index, uncached: the repository read, and the use case with Redis emptied."""
    from data.domain import Resolution

    timings: dict[str, list[float]] = {"repository": [], "use case": []}
    for _ in range(calls):
        started = time.perf_counter()
        _, rows = services.market.chained_index(timedelta(days=365), Resolution.DAY, "USD")
        timings["repository"].append((time.perf_counter() - started) * 1000)
        services.redis.flushdb()
        started = time.perf_counter()
        services.market_queries.chained("1y", "USD", "all")
        timings["use case"].append((time.perf_counter() - started) * 1000)
    print(
        f"1-year index read uncached ({len(rows)} daily points), p95: "
        + ", ".join(f"{k} {percentile(v, 0.95):.1f} ms" for k, v in timings.items())
        + " (target <= 10 ms)"
    )


def api_history_cost(client, services, ids: list[int], calls: int) -> None:
    """p50/p95 of GET /api/v1/cards/<id>/history (30 days and 1 year, one random printing each call):
    uncached (Redis emptied before it) and cached (the same request again)."""
    rng = random.Random(11)
    for range_name in ("30d", "1y"):
        timings: dict[str, list[float]] = {"uncached": [], "cached": []}
        for _ in range(calls):
            url = f"/api/v1/cards/{rng.choice(ids)}/history?range={range_name}"
            services.redis.flushdb()
            for kind in ("uncached", "cached"):
                started = time.perf_counter()
                response = client.get(url)
                timings[kind].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.data[:300]
        print(
            f"API card history ({range_name}): "
            + ", ".join(
                f"{k} p50 {statistics.median(v):.1f} ms p95 {percentile(v, 0.95):.1f} ms" for k, v in timings.items()
            )
            + " (targets: p95 <= 20 ms uncached, <= 3 ms cached)"
        )


def callback_body(app, output: str, values: dict[str, object]) -> dict:
    """The JSON a browser POSTs for the callback writing `output`, with these input values."""
    spec = next(cb for key, cb in app.callback_map.items() if key == output or key.startswith(output))
    key = next(k for k, cb in app.callback_map.items() if cb is spec)
    inputs = [
        {"id": i["id"], "property": i["property"], "value": values.get(f"{i['id']}.{i['property']}")}
        for i in spec["inputs"]
    ]
    return {
        "output": key,
        "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in key.strip(".").split("...")]
        if key.startswith("..")
        else {"id": key.split(".")[0], "property": key.split(".")[1]},
        "inputs": inputs,
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
        "state": [{"id": s["id"], "property": s["property"], "value": None} for s in spec.get("state", [])],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--database", help="reuse this database, loaded by an earlier --keep run")
    parser.add_argument("--keep", action="store_true", help="keep the loaded database for later --database runs")
    parser.add_argument(
        "--settles", type=int, default=5, help="batches settled with, and as many without, the index (0: none)"
    )
    args = parser.parse_args()
    name = args.database or f"cardcharts_bench_{uuid.uuid4().hex[:8]}"
    if not args.database:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    url = "postgresql+psycopg://" + ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1] + "/" + name
    redis = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="cc-bench-")))
    try:
        runner.upgrade(url)
        # The API's rate limit is the bench's only client's: high enough never to refuse it.
        settings = Settings(
            database_url=url, redis_url=redis.start(), secret_key="b" * 32, api_rate_limit="10000/second"
        )
        services = bootstrap(settings)
        if args.database:
            with services.engine.connect() as conn:
                ids = list(conn.exec_driver_sql("SELECT id FROM cards ORDER BY id").scalars())
            started = time.perf_counter()
            services.rollups.refresh_latest(None)  # a migration since the load may have added tables
            print(f"latest prices rebuilt in {time.perf_counter() - started:.1f} s")
            with services.engine.connect() as conn:
                indexed = conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM market_index)").scalar()
            if not indexed:  # a database loaded before the index existed
                started = time.perf_counter()
                services.rollups.refresh_index(START, None, None, rebuild=True)
                print(f"market index rebuilt in {time.perf_counter() - started:.1f} s")
        else:
            ids = load(services, args.cards, args.rows)
        if args.settles:
            settle_cost(services, ids, args.settles)
        index_read_cost(services, args.calls)
        app = create_app(services)
        client = app.server.test_client()
        rng = random.Random(11)
        pages = {
            "market index + overview (30d)": (
                "..market-index-graph.figure...market-overview.children...market-status.children..",
                lambda: {
                    "market-range.value": "30d",
                    "market-currency.value": "USD",
                    "market-condition.value": "all",
                    "market-finish.value": "all",
                    "market-language.value": "all",
                    "market-index.value": "all",
                    "market-average.value": "off",
                    "color-scheme.data": "light",
                },
            ),
            "market movers + volume (24h)": (
                "..movers-gainers.rowData...movers-losers.rowData...market-volume-graph.figure..",
                lambda: {
                    "movers-period.value": "24h",
                    "movers-min-price.value": 1,
                    "movers-format.value": "all",
                    "market-currency.value": "USD",
                    "color-scheme.data": "light",
                },
            ),
            "card history (30d, all variants)": (
                "..card-history-graph.figure...card-status.children..",
                lambda: {
                    "card-id.data": str(rng.choice(ids)),
                    "card-range.value": "30d",
                    "card-currency.value": "USD",
                    "card-condition.value": "all",
                    "card-finish.value": "all",
                    "card-language.value": "all",
                    "card-market.value": "all",
                    "color-scheme.data": "light",
                },
            ),
            "card detail + latest grid": (
                "..card-header.children...card-latest-grid.rowData...card-latest-grid.columnDefs...card-market.data..",
                lambda: {"card-id.data": str(rng.choice(ids))},
            ),
            "sources": (
                "..sources-grid.rowData...sources-status.children..",
                lambda: {"sources-refresh.n_intervals": 1},
            ),
        }
        print(
            f"{'callback':<36} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9}   (ms, n={args.calls})"
        )
        for label, (output, values) in pages.items():
            timings = {"cold": [], "warm": []}
            for _ in range(args.calls):
                body = callback_body(app, output, values())
                services.redis.flushdb()
                for kind in ("cold", "warm"):
                    started = time.perf_counter()
                    response = client.post("/_dash-update-component", json=body)
                    timings[kind].append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.data[:300]
            print(
                f"{label:<36} "
                + " ".join(
                    f"{statistics.median(timings[k]):9.1f} {percentile(timings[k], 0.95):9.1f}"
                    for k in ("cold", "warm")
                )
            )
        body = callback_body(
            app,
            "..card-history-graph.figure...card-status.children..",
            {
                "card-id.data": str(ids[0]),
                "card-range.value": "1y",
                "card-currency.value": "USD",
                "card-condition.value": "all",
                "card-finish.value": "all",
                "card-language.value": "all",
                "card-market.value": "all",
                "color-scheme.data": "light",
            },
        )
        response = client.post("/_dash-update-component", json=body)
        figure = json.loads(response.data)["response"]["card-history-graph"]["figure"]
        points = sum(len(trace["x"]) for trace in figure["data"])
        print(
            f"card history response, 1 year of one printing, all variants: {len(response.data) / 1024:,.0f} KB"
            f" ({points} points; target <= 200 KB)"
        )
        api_history_cost(client, services, ids, args.calls)
        services.close()
    finally:
        redis.stop()
        if args.keep or args.database:
            print(f"database kept: --database {name}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
