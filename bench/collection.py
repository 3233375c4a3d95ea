"""Collection benchmark: import an MTGJSON AllPrices-format file against the COPY ceiling.

    python bench/collection.py [--points 5000000] [--timescale ADMIN_URL]

Writes an AllPrices-format file (a benchmark load in MTGJSON's exact shape, never
product data) and an AllIdentifiers file for a catalog of synthetic printings,
then runs `cardcharts import mtgjson` in a child process on a database of its
own, and prints: rows/s of a plain COPY of as many rows into an unindexed table
(measured in the same run), rows/s of the whole import (parse, resolve, upsert,
rollup refresh), their ratio (target >= 0.50), and the import's peak RSS
(target <= 300 MB). It also prints the core-seconds the import cost the server and
itself (so what the target asks of this machine's cores), and a floor: a COPY of as
many distinct rows, in key order, into a table with price_snapshots' key and index,
with no parsing and no rollup. With --timescale (a TimescaleDB server's admin URL) it repeats
both there, then runs the compression policy and prints its ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psutil
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.foundation import ADMIN_URL, compress, copy_ceiling, copy_rate
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


class ServerCpu:
    """Core-seconds spent by the PostgreSQL server behind `url`, which runs on this machine: its
    processes now running, and those it has reaped (a closed connection's backend, once reaped)."""

    def __init__(self, url: str) -> None:
        self.url = url
        with psycopg.connect(url) as conn:
            backend = psutil.Process(conn.execute("SELECT pg_backend_pid()").fetchone()[0])
        self.postmaster = backend.parent()

    def seconds(self) -> float:
        own = self.postmaster.cpu_times()
        total = own.user + own.system + own.children_user + own.children_system
        for child in self.postmaster.children():
            try:
                times = child.cpu_times()
            except psutil.NoSuchProcess:  # reaped since the line above: counted there
                continue
            total += times.user + times.system
        return total

    def settled(self) -> float:
        """`seconds()` once no client but this one is left on the database, and it is closed."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            while conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'"
            ).fetchone()[0]:
                time.sleep(0.05)
        time.sleep(0.2)  # the postmaster reaps the exited backends
        return self.seconds()


def client_cpu() -> float:
    """Core-seconds of this process and of its reaped children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def floor_rows(cards: int, points: int) -> list[PriceSnapshot]:
    """As many rows as the import writes, distinct on price_snapshots' key, in its order: card, day, series."""
    moment = datetime(2026, 8, 1, tzinfo=UTC)
    series = len(SERIES) + 1
    return [
        PriceSnapshot(
            time=moment + timedelta(days=day),
            card_id=1 + card,
            marketplace_id=1 + s,
            price=Decimal("1.23"),
            currency="USD",
            finish=Finish.NONFOIL,
        )
        for card in range(cards)
        for day in range(DAYS)
        for s in range(series)
    ][:points]


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
        # The floor: the import's rows without parsing or rollups, written into the key alone.
        cpu, rows = ServerCpu(url), floor_rows(cards, points)
        server, client = cpu.settled(), client_cpu()
        floor = copy_rate(url, rows, "CREATE TABLE copy_target (LIKE price_snapshots INCLUDING ALL)")
        floor_server, floor_client = cpu.settled() - server, client_cpu() - client
        del rows
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis.start(), "CARDCHARTS_LOG_LEVEL": "WARNING"}
        server, client = cpu.settled(), client_cpu()
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
        server, client = cpu.settled() - server, client_cpu() - client
        print(out)
        rate = points / elapsed
        target = points / (0.5 * ceiling)  # the whole import's time at the target
        print(f"plain COPY into an unindexed table (ceiling)  {ceiling:12,.0f} rows/s")
        print(f"import mtgjson, whole run                     {rate:12,.0f} rows/s   ({elapsed:.0f} s)")
        print(f"ratio import / ceiling                        {rate / ceiling:12.2f}   (target >= 0.50)")
        print(f"peak RSS of the import process                {peak:12,.0f} MB   (target <= 300)")
        print(
            f"core-seconds of the import: server {server:,.0f}, import process {client:,.0f}:"
            f" {(server + client) / elapsed:.1f} cores busy; the target ({target:.0f} s)"
            f" needs {(server + client) / target:.1f} cores, this machine has {os.cpu_count()}"
        )
        print(
            f"floor: COPY into price_snapshots' key and index alone {floor:12,.0f} rows/s   ratio"
            f" {floor / ceiling:.2f}; core-seconds: server {floor_server:,.0f}, client {floor_client:,.0f}"
        )
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
