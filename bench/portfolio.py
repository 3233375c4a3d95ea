"""Portfolio benchmark: the value of one user's 10,000 lots on a 10M-row price store, uncached, and the
cost of evaluating 100,000 price alerts after a 50,000-row settle (issue 13's two figures).

    python bench/portfolio.py [--database cardcharts_bench_XXXXXXXX] [--lots 10000] [--calls 50]

Without --database it loads a database of its own as bench/dashboard.py does (10M synthetic
snapshot rows over 10,000 printings, a benchmark load, never product data; about ten minutes),
and drops it after. With --database it reuses a database loaded by `bench/dashboard.py --keep`:
it works on a copy (CREATE DATABASE ... TEMPLATE, migrated to 0011, dropped after) when no one is
connected to it; otherwise it writes its user and lots into that database (it must be migrated to
0011 already), deletes them after, and skips the alerts figure (which writes price batches).

(b) It inserts one user with --lots lots on random printings and variants (mostly priced variants,
some conditions that fall back to Near Mint, some with no price), and prints p50 / p95 of
`PortfolioQueries.value` over --calls calls (nothing here is cached) per basis, the statement's
server-side execution time from EXPLAIN ANALYZE (TIMING OFF; less noisy on a shared machine than the
client time) and its plan's join, each with the load average at the time.
Target: value p95 <= 50 ms for 10,000 lots.
(a) Then bench/alerts.py's `alert_cost`: --rules rules, --rounds settled batches, the evaluation's
share of each settle. Target: <= 10%.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.foundation import ADMIN_URL, percentile
from data.db import make_engine
from data.domain import Condition, Finish, Language
from data.holdings import NewLot
from data.repositories.lots import LotRepository
from data.repositories.portfolio import _VALUE, PortfolioRepository
from data.use_cases.portfolio import PortfolioQueries
from migrations import runner

TARGET_P95_MS = 50.0
WARM_CALLS = 12
NEEDED = "0011"  # lots and sales (0010), alert rules (0011)


def url_of(name: str) -> str:
    return "postgresql+psycopg://" + ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1] + "/" + name


def upgrade(url: str) -> None:
    current = runner.current_revision(url)
    if current is None or current < NEEDED:
        runner.upgrade(url, NEEDED)  # no further: later migrations may be another change's work in progress


@contextmanager
def fresh_database(rows: int, cards: int) -> Iterator[tuple[str, bool]]:
    """A database loaded as bench/dashboard.py loads one, dropped after."""
    from app.bootstrap import bootstrap
    from app.embedded import EmbeddedRedis
    from app.settings import Settings
    from bench.dashboard import load

    name = f"cardcharts_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    redis = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="cc-bench-")))
    try:
        runner.upgrade(url_of(name), NEEDED)
        services = bootstrap(Settings(database_url=url_of(name), redis_url=redis.start(), secret_key="b" * 32))
        load(services, cards, rows)
        services.close()
        yield url_of(name), True
    finally:
        redis.stop()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def reused_database(name: str) -> Iterator[tuple[str, bool]]:
    """A copy of `name` when no one uses it, else `name` itself (the second value: whether it is a copy)."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        busy = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)).fetchone()[0]
        if busy:
            print(f"{name} has {busy} connection(s): writing into it, deleting after")
            current = runner.current_revision(url_of(name))
            if current is None or current < NEEDED:
                raise SystemExit(
                    f"{name} is at revision {current}, in use, and cannot be copied: rerun when it is free"
                )
            yield url_of(name), False
            return
        copy = f"{name}_pf{uuid.uuid4().hex[:4]}"
        started = time.perf_counter()
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}" STRATEGY FILE_COPY')
        print(f"copied {name} to {copy} in {time.perf_counter() - started:.0f} s")
    try:
        upgrade(url_of(copy))
        yield url_of(copy), True
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def add_holding(engine: Engine, count: int) -> int:
    """One user with `count` lots: four in five on a variant with a TCGplayer price, the rest on random
    printings, conditions and languages (Near Mint fallbacks and lots with no price)."""
    rng = random.Random(7)
    with engine.begin() as conn:
        user = conn.execute(
            text("INSERT INTO users (email, password_hash) VALUES (:email, 'x') RETURNING id"),
            {"email": f"bench-{uuid.uuid4().hex}@example.com"},
        ).scalar_one()
        priced = conn.execute(
            text(
                """
                SELECT l.card_id, l.finish::text, l.condition::text, l.language::text
                FROM latest_prices l JOIN marketplaces m ON m.id = l.marketplace_id
                WHERE m.slug = 'tcgplayer' ORDER BY random() LIMIT :n
                """
            ),
            {"n": count},
        ).all()
        cards = list(conn.execute(text("SELECT id FROM cards")).scalars())
    lots = []
    for i in range(count):
        if i % 5 and priced:
            card, finish, condition, language = priced[i % len(priced)]
            finish, condition, language = Finish(finish), Condition(condition), Language(language)
        else:
            card = rng.choice(cards)
            finish = rng.choice(list(Finish))
            condition = rng.choice(list(Condition))
            language = Language.JAPANESE if rng.random() < 0.2 else Language.ENGLISH
        cost = Decimal(rng.randrange(0, 5000)) / 100 if rng.random() < 0.8 else None
        lots.append(
            NewLot(
                card,
                rng.randrange(1, 5),
                finish,
                condition,
                language,
                cost,
                rng.choice(("USD", "USD", "EUR")),
                date(2025, 1, 1) + timedelta(days=rng.randrange(300)),
            )
        )
    started = time.perf_counter()
    LotRepository(engine).add_many(user, lots)
    print(f"inserted {count:,} lots in {(time.perf_counter() - started) * 1000:.0f} ms")
    with engine.begin() as conn:
        conn.execute(text("ANALYZE lots"))
    return user


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def timed(label: str, call, calls: int) -> tuple[float, float]:
    # Apart: the first calls read the pages in and plan the statement; psycopg prepares it from the
    # fifth run and PostgreSQL plans it anew for five more before keeping a generic plan, as a pooled
    # web connection soon does (measured: 32 ms p50 with it, 46-53 ms planned per call).
    for _ in range(WARM_CALLS):
        call()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
    print(f"  {label:<40} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   (n={calls}, {load()})")
    return p50, p95


def server_time(engine: Engine, user: int, slug: str, runs: int) -> tuple[float, float, str]:
    """The value statement's execution time on the server (EXPLAIN ANALYZE, TIMING OFF: no clock
    reads per row), median and p95 over `runs`, and the joins of its plan."""
    times, joins = [], ""
    with engine.connect() as conn:
        for _ in range(runs):
            plan = conn.execute(
                text("EXPLAIN (ANALYZE, TIMING OFF) " + _VALUE.text), {"user_id": user, "slug": slug}
            ).scalars()
            plan = "\n".join(plan)
            times.append(float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)))
            joins = ", ".join(re.findall(r"((?:Hash|Merge|Nested Loop)[A-Za-z ]*?Join|Nested Loop)", plan))
    return statistics.median(times), percentile(times, 0.95), joins


def alerts_figure(url: str, rules: int, rounds: int) -> dict:
    """bench/alerts.py's measure on this database (it writes rules and price batches into it)."""
    from app.bootstrap import bootstrap
    from app.embedded import EmbeddedRedis
    from app.settings import Settings
    from bench.alerts import alert_cost

    redis = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="cc-bench-alerts-")))
    try:
        services = bootstrap(Settings(database_url=url, redis_url=redis.start(), secret_key="b" * 32))
        with services.engine.connect() as conn:
            ids = list(conn.execute(text("SELECT id FROM cards ORDER BY id")).scalars())
        result = alert_cost(services, ids, rules, rounds)
        services.close()
        return result
    finally:
        redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="reuse a database loaded by `bench/dashboard.py --keep`")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--lots", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--rules", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-alerts", action="store_true", help="only the portfolio figures")
    args = parser.parse_args()
    database = reused_database(args.database) if args.database else fresh_database(args.rows, args.cards)
    with database as (url, disposable):
        engine = make_engine(url)
        user = add_holding(engine, args.lots)
        try:
            with engine.connect() as conn:
                snapshots = conn.execute(text("SELECT count(*) FROM price_snapshots")).scalar()
                latest = conn.execute(text("SELECT count(*) FROM latest_prices")).scalar()
            print(f"store: {snapshots:,} price rows, {latest:,} latest prices; one user with {args.lots:,} lots")
            queries = PortfolioQueries(PortfolioRepository(engine))
            for basis in ("tcgplayer", "cardkingdom_buylist"):
                value = queries.value(user, basis)
                print(f"{basis}: {value['value']}, no price: {value['unpriced']}")
            _, p95 = timed("value (tcgplayer)", lambda: queries.value(user, "tcgplayer"), args.calls)
            server = server_time(engine, user, "tcgplayer", max(20, args.calls // 2))
            print(
                f"  {'value (tcgplayer), server side':<40} p50 {server[0]:7.2f} ms   p95 {server[1]:7.2f} ms"
                f"   (EXPLAIN ANALYZE, {load()}; joins: {server[2]})"
            )
            timed("value (cardkingdom_buylist)", lambda: queries.value(user, "cardkingdom_buylist"), args.calls)
            timed("summary (value, cost, P&L, realized)", lambda: queries.summary(user, "tcgplayer"), args.calls)
            timed("movers (24h)", lambda: queries.movers(user, "tcgplayer", "24h"), max(5, args.calls // 5))
            timed("value over 90 days", lambda: queries.history(user, "tcgplayer", 90), 3)
        finally:
            if not disposable:
                with engine.begin() as conn:  # the user's lots go with it (ON DELETE CASCADE)
                    conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": user})
            engine.dispose()
        alerts = None
        if args.no_alerts:
            pass
        elif not disposable:
            print("alerts: skipped, the database is in use and is not a copy (the measure writes price batches)")
        else:
            alerts = alerts_figure(url, args.rules, args.rounds)
    print("\nissue 13 figures:")
    if alerts is not None:
        verdict = "meets" if alerts["share"] <= 0.10 else "MISSES"
        print(
            f"(a) alert evaluation, {alerts['rules']:,} rules, {alerts['rows']:,}-row batches: median"
            f" {100 * alerts['share']:.1f}% of the settle ({verdict} the 10% target); alerts fired per batch"
            f" {', '.join(f'{n:,}' for n in alerts['fired'])} (load {', '.join(f'{x:.2f}' for x in alerts['load'])})"
        )
    verdict = "meets" if p95 <= TARGET_P95_MS else "MISSES"
    print(
        f"(b) portfolio value, {args.lots:,} lots, uncached: p95 {p95:.2f} ms client side ({verdict} the"
        f" {TARGET_P95_MS:.0f} ms target), server side median {server[0]:.2f} ms, p95 {server[1]:.2f} ms ({load()})"
    )


if __name__ == "__main__":
    main()
