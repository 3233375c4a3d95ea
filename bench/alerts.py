"""Alert evaluation benchmark: what evaluating price alerts adds to a settle.

    python bench/alerts.py --database cardcharts_bench_dd752e91   # a copy of a loaded bench database
    python bench/alerts.py --scratch NAME                         # a database of yours, written to as is
    python bench/alerts.py [--rows 1000000] [--cards 10000]       # a fresh scratch database

Stores --rules synthetic rules (default 100,000 over 1,000 users and random printings) as users set
them (`MIX`: mostly buy and sell targets, fewer change and buylist rules; 70% name their variant),
levels drawn around the prices they match now so that a batch fires a small share of them, then
settles --rounds hourly batches of one snapshot per variant (10,000 cards x 5 variants: a 50,000-row
batch; prices moving as `hourly_batch` moves them), timing each batch's settle (rollups, cache,
market publish) and then the alert evaluation over the same touched cards (the statement, the inbox
rows, the publishes), and printing the alerts fired. Target: evaluation <= 10% of the
settle. `--database` never writes to the named database: it is copied first (CREATE DATABASE ...
TEMPLATE, which needs no one connected to it) and the copy dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.bootstrap import bootstrap
from app.embedded import EmbeddedRedis
from app.settings import Settings
from bench.dashboard import load
from bench.foundation import ADMIN_URL
from data.domain import Condition, Finish, PriceSnapshot
from data.repositories.alerts import AlertKind, AlertRepository
from data.use_cases.alerts import EvaluateAlerts
from data.use_cases.ingest import IngestPrices

# Rules as users set them: mostly buy targets (below) and sell targets (above), fewer change and
# buylist rules; most name the variant wanted (marketplace, finish, condition), the rest take any.
MIX = {
    AlertKind.BELOW: 40,
    AlertKind.ABOVE: 25,
    AlertKind.CHANGE_24H: 10,
    AlertKind.CHANGE_7D: 10,
    AlertKind.BUYLIST_ABOVE: 15,
}
NAMED_SHARE = 0.7


def _level(rng: random.Random, kind: AlertKind, matched: list[tuple]) -> Decimal:
    """A level a user would set, from the variants the rule matches now: a price target 2% or more past
    the nearest of their prices (2% plus an exponential of mean 12%), or a change 2 points or more past
    the largest of their current changes (plus an exponential of mean 8 points)."""
    if kind.is_change:
        column = 6 if kind is AlertKind.CHANGE_24H else 7
        now = max((abs(v[column]) for v in matched if v[column] is not None), default=Decimal(0))
        return min(Decimal(1000), now + Decimal(2 + rng.expovariate(1 / 8))).quantize(Decimal("0.01"))
    away = Decimal(min(0.9, 0.02 + rng.expovariate(1 / 0.12)))
    if kind is AlertKind.BELOW:
        level = min(v[5] for v in matched) * (1 - away)
    else:
        level = max(v[5] for v in matched) * (1 + away)
    return max(Decimal("0.01"), level.quantize(Decimal("0.01")))


def hourly_batch(last: dict[tuple[int, int, str, str], Decimal], moment, rng: random.Random) -> list[PriceSnapshot]:
    """Every variant's next hourly price: its newest moved by -1% to +1%, and one in a hundred jumping
    by up to 10% either way (a spike). bench/dashboard.py's batch moves every price up to 5% an hour,
    which suits a settle (its cost does not depend on the prices) but would walk past most alert levels
    within a few batches, far more often than real prices do."""
    out = []
    for (card, market, finish, condition), price in last.items():
        spike = rng.random() < 0.01
        factor = Decimal(rng.randrange(90, 111) if spike else rng.randrange(99, 102)) / 100
        price = max(Decimal("0.01"), (price * factor).quantize(Decimal("0.01")))
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


def add_rules(services, count: int, users: int, seed: int = 7) -> dict[str, int]:
    """`count` rules (kinds in MIX's shares) on random printings, spread over `users` users, with
    levels drawn around the prices they match now (`_level`). Returns the count of each kind."""
    rng = random.Random(seed)
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    with services.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO users (email, password_hash) SELECT 'bench-alerts-' || g || '@example.com', 'x'"
            f" FROM generate_series(1, {int(users)}) g ON CONFLICT DO NOTHING"
        )
        user_ids = list(conn.exec_driver_sql("SELECT id FROM users WHERE email LIKE 'bench-alerts-%%'").scalars())
        by_card: dict[tuple[int, bool], list[tuple]] = {}
        for row in conn.exec_driver_sql(
            "SELECT l.card_id, l.marketplace_id, l.finish::text, l.condition::text, l.language::text, l.price,"
            " l.change_1d, l.change_7d, m.kind = 'buylist'"
            " FROM latest_prices l JOIN marketplaces m ON m.id = l.marketplace_id ORDER BY 1, 2, 3, 4, 5"
        ):
            by_card.setdefault((row[0], row[8]), []).append(tuple(row[:8]))
        cards = sorted({card for card, buylist in by_card if (card, not buylist) in by_card})
        cursor = conn.connection.driver_connection.cursor()
        columns = "user_id, card_id, kind, level, marketplace_id, finish, condition, language"
        with cursor, cursor.copy(f"COPY alert_rules ({columns}) FROM STDIN") as copy:
            for kind in kinds:
                variants = by_card[(rng.choice(cards), kind is AlertKind.BUYLIST_ABOVE)]
                named = rng.random() < NAMED_SHARE
                matched = [rng.choice(variants)] if named else variants
                card, market, finish, condition, language = matched[0][:5]
                copy.write_row(
                    (
                        rng.choice(user_ids),
                        card,
                        kind.value,
                        _level(rng, kind, matched),
                        market if named else None,
                        finish if named else None,
                        condition if named else None,
                        language if named else None,
                    )
                )
        conn.exec_driver_sql("ANALYZE alert_rules")
    return {kind.value: kinds.count(kind) for kind in MIX}


def alert_cost(services, ids: list[int], rules: int = 100_000, rounds: int = 3, users: int = 1000) -> dict:
    """Store `rules` rules, then settle `rounds` batches (one snapshot of every variant of `ids`) and
    evaluate the alerts after each, as the settle hook does (the statement, the inbox rows, the
    publishes). Returns the timings in ms, the alerts fired, and the median share of the evaluation
    against its batch's settle."""
    started = time.perf_counter()
    mix = add_rules(services, rules, users)
    print(
        f"{rules:,} rules stored in {time.perf_counter() - started:.1f} s over {users:,} users:"
        f" {', '.join(f'{kind} {n:,}' for kind, n in mix.items())}"
    )
    settle = IngestPrices(services.prices, services.rollups, services.cache, services.publisher)  # no alerts
    repository = AlertRepository(services.engine)
    statement_ms: list[float] = []

    def timed_evaluate(card_ids, since):
        began = time.perf_counter()
        try:
            return AlertRepository.evaluate(repository, card_ids, since)
        finally:
            statement_ms.append((time.perf_counter() - began) * 1000)

    repository.evaluate = timed_evaluate  # the statement's own time, within the evaluation's
    evaluate = EvaluateAlerts(repository, services.publisher, dispatch=lambda ids: None)
    with services.engine.connect() as conn:
        newest = conn.exec_driver_sql("SELECT max(time) FROM price_snapshots").scalar()
        last = {
            (card, market, finish, condition): price
            for card, market, finish, condition, price in conn.exec_driver_sql(
                "SELECT card_id, marketplace_id, finish::text, condition::text, price FROM latest_prices"
                " WHERE currency = 'USD' AND card_id = ANY(%(ids)s)",
                {"ids": ids},
            )
        }
    rng = random.Random(5)
    result: dict = {"rules": rules, "rows": len(last), "settle_ms": [], "evaluate_ms": [], "fired": [], "load": []}
    for step in range(rounds):
        moment = newest + timedelta(hours=step + 1)
        written = services.prices.bulk_upsert(hourly_batch(last, moment, rng))
        began = time.perf_counter()
        settle.settle([moment], written.card_ids, {"rows": written.inserted})
        settled = time.perf_counter()
        fired = evaluate(written.card_ids, moment)
        done = time.perf_counter()
        result["settle_ms"].append((settled - began) * 1000)
        result["evaluate_ms"].append((done - settled) * 1000)
        result["fired"].append(len(fired))
        result["load"].append(os.getloadavg()[0])
    result["statement_ms"] = statement_ms
    shares = [e / s for e, s in zip(result["evaluate_ms"], result["settle_ms"], strict=True)]
    result["share"] = statistics.median(shares)
    print(f"{rules:,} rules, {len(last):,}-row batches over {len(ids):,} cards, {rounds} rounds:")
    for n in range(rounds):
        print(
            f"  round {n + 1}: settle {result['settle_ms'][n]:6.0f} ms, alert evaluation"
            f" {result['evaluate_ms'][n]:5.0f} ms (its statement {statement_ms[n]:5.0f} ms),"
            f" {result['fired'][n]:,} alerts fired ({100 * result['fired'][n] / rules:.2f}% of the rules),"
            f" share {100 * shares[n]:4.1f}%   (load {result['load'][n]:.2f})"
        )
    print(f"alert evaluation share: median {100 * result['share']:.1f}% of the settle (target <= 10%)")
    return result


def _admin(sql: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--database", help="copy this loaded bench database and run on the copy")
    source.add_argument("--scratch", help="run on this database as it is (it is written to)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to load into a fresh database")
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database this run made")
    args = parser.parse_args()
    made = None
    if args.scratch:
        name = args.scratch
    else:
        name = made = f"{args.database or 'cardcharts_bench'}_alerts_{uuid.uuid4().hex[:6]}"
        started = time.perf_counter()
        _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{args.database}"' if args.database else ""))
        print(f"database {name} created in {time.perf_counter() - started:.0f} s")
    url = "postgresql+psycopg://" + ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1] + "/" + name
    redis = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="cc-bench-alerts-")))
    try:
        from migrations import runner

        runner.upgrade(url)
        services = bootstrap(Settings(database_url=url, redis_url=redis.start(), secret_key="b" * 32))
        if made and not args.database:
            ids = load(services, args.cards, args.rows)
        else:
            with services.engine.connect() as conn:
                ids = list(conn.exec_driver_sql("SELECT id FROM cards ORDER BY id").scalars())
                if not conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM latest_prices)").scalar():
                    services.rollups.refresh_latest(None)
        alert_cost(services, ids, args.rules, args.rounds)
        services.close()
    finally:
        redis.stop()
        if made and not args.keep:
            _admin(f'DROP DATABASE IF EXISTS "{made}" WITH (FORCE)')
        else:
            print(f"database kept: --scratch {name}")


if __name__ == "__main__":
    main()
