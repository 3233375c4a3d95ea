"""Collection benchmark: import an MTGJSON AllPrices-format file against the COPY ceiling.

    python bench/collection.py [--points 5000000] [--timescale ADMIN_URL]

Writes an AllPrices-format file (a benchmark load in MTGJSON's exact shape, never
product data) and an AllIdentifiers file for a catalog of synthetic printings,
then runs `cardcharts import mtgjson` in a child process on a database of its
own, and prints: rows/s of a plain COPY of as many rows into an unindexed table
(measured in the same run), rows/s of the whole import (parse, resolve, upsert,
rollup refresh), their ratio (target >= 0.50), and the import's peak RSS
(target <= 300 MB). With --timescale (a TimescaleDB server's admin URL) it repeats
both there, then runs the compression policy and prints its ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.foundation import ADMIN_URL, compress, copy_ceiling
from data.db import StorageMode, make_engine
from data.domain import Finish, PriceSnapshot
from data.repositories.rollups import RollupRepository
from migrations import runner
from tests.helpers import watch_peak_rss

DAYS = 90
# per uuid and day: (provider, side, finish) price points
SERIES = [(p, "retail", f) for p in ("tcgplayer", "cardkingdom", "cardmarket", "manapool") for f in ("normal", "foil")]
SERIES += [("cardkingdom", "buylist", "normal")]


def scryfall_id(n: int) -> str:
    return str(uuid.UUID(int=n + 1))


def mtgjson_uuid(n: int) -> str:
    return str(uuid.UUID(int=(1 << 100) + n))


def write_files(folder: Path, cards: int) -> tuple[Path, Path, int]:
    days = [(date(2026, 8, 1) + timedelta(days=d)).isoformat() for d in range(DAYS)]
    points = 0
    prices = folder / "AllPrices.json"
    with open(prices, "w") as out:
        out.write('{"meta":{"date":"2026-10-29","version":"5.3.0+20261029"},"data":{')
        for n in range(cards):
            paper: dict = {}
            for provider, side, finish in SERIES:
                entry = paper.setdefault(provider, {"buylist": {}, "retail": {}, "currency": "USD"})
                if provider == "cardmarket":
                    entry["currency"] = "EUR"
                base = 0.1 + (n % 400) / 7 + (finish == "foil") * 2
                entry[side][finish] = {day: round(base * (1 + d / 300), 2) for d, day in enumerate(days)}
                points += len(days)
            tix = {"normal": {day: 0.02 for day in days}}
            mtgo = {"cardhoarder": {"buylist": {}, "retail": tix, "currency": "USD"}}
            points += len(days)
            body = json.dumps({"mtgo": mtgo, "paper": paper}, separators=(",", ":"))
            out.write(("," if n else "") + f'"{mtgjson_uuid(n)}":' + body)
        out.write("}}")
    identifiers = folder / "AllIdentifiers.json"
    identifiers.write_text(
        json.dumps(
            {
                "meta": {},
                "data": {
                    mtgjson_uuid(n): {"uuid": mtgjson_uuid(n), "identifiers": {"scryfallId": scryfall_id(n)}}
                    for n in range(cards)
                },
            }
        )
    )
    return prices, identifiers, points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=5_000_000)
    parser.add_argument("--timescale", metavar="ADMIN_URL", help="also run on this TimescaleDB server")
    args = parser.parse_args()
    cards = -(-args.points // (DAYS * (len(SERIES) + 1)))
    folder = Path(tempfile.mkdtemp(prefix="cc-bench-mtgjson-"))
    started = time.perf_counter()
    prices, identifiers, points = write_files(folder, cards)
    print(
        f"wrote {points:,} price points for {cards:,} printings ({prices.stat().st_size / 2**20:,.0f} MB)"
        f" in {time.perf_counter() - started:.0f} s"
    )
    try:
        print(f"== {ADMIN_URL.rsplit('@', 1)[-1]}")
        run(ADMIN_URL, prices, identifiers, points, cards)
        if args.timescale:
            print(f"== {args.timescale.rsplit('@', 1)[-1]} (TimescaleDB)")
            run(args.timescale, prices, identifiers, points, cards)
    finally:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


def run(admin_url: str, prices: Path, identifiers: Path, points: int, cards: int) -> None:
    """The COPY ceiling and the whole import on a database of its own on this server (and, on TimescaleDB,
    the compression policy's ratio on the imported rows)."""
    name = f"cardcharts_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    redis_dir = Path(tempfile.mkdtemp(prefix="cc-bench-redis-"))
    from app.embedded import EmbeddedRedis

    redis = EmbeddedRedis(redis_dir)
    try:
        runner.upgrade("postgresql+psycopg://" + url.split("://", 1)[1])
        with psycopg.connect(url) as conn:
            conn.execute(
                "INSERT INTO cards (scryfall_id, name, set_code, collector_number)"
                " SELECT CAST(lpad(to_hex(g + 1), 32, '0') AS uuid), 'Benchmark printing ' || g, 'bch', g::text"
                " FROM generate_series(0, %s - 1) g",
                (cards,),
            )
            conn.execute(
                "INSERT INTO card_identities (kind, key, card_id)"
                " SELECT 'scryfall_id', scryfall_id::text, id FROM cards"
            )
        # The ceiling: the same number of rows, copied into an unindexed table.
        moment = datetime(2026, 8, 1, tzinfo=UTC)
        rows = [
            PriceSnapshot(
                time=moment + timedelta(days=i % DAYS),
                card_id=1 + i % cards,
                marketplace_id=1,
                price=Decimal("1.23"),
                currency="USD",
                finish=Finish.NONFOIL,
            )
            for i in range(points)
        ]
        with psycopg.connect(url) as conn:
            conn.execute("INSERT INTO marketplaces (slug, name, currency) VALUES ('bench', 'bench', 'USD')")
        ceiling = copy_ceiling(url, rows)
        del rows
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis.start(), "CARDCHARTS_LOG_LEVEL": "WARNING"}
        started = time.perf_counter()
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from app.cli import main; main()",
                "import",
                "mtgjson",
                str(prices),
                "--identifiers",
                str(identifiers),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        peak = watch_peak_rss(child)
        out, err = child.communicate()
        elapsed = time.perf_counter() - started
        if child.returncode:
            raise SystemExit(err)
        print(out)
        rate = points / elapsed
        print(f"plain COPY into an unindexed table (ceiling)  {ceiling:12,.0f} rows/s")
        print(f"import mtgjson, whole run                     {rate:12,.0f} rows/s   ({elapsed:.0f} s)")
        print(f"ratio import / ceiling                        {rate / ceiling:12.2f}   (target >= 0.50)")
        print(f"peak RSS of the import process                {peak:12,.0f} MB   (target <= 300)")
        engine = make_engine("postgresql+psycopg://" + url.split("://", 1)[1])
        if RollupRepository(engine).mode is StorageMode.TIMESCALEDB:
            before, after = compress(engine)
            mib = 2**20
            print(f"compression: {before / mib:,.1f} MiB, then {after / mib:,.1f} MiB: ratio {before / after:.2f}")
        engine.dispose()
    finally:
        redis.stop()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
