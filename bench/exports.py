"""Export benchmark: PNG export latency cold, warm and cached, and page latency while exports render.

    python bench/exports.py [--runs 30]

Builds a scratch database from the repository's fixtures (tests/fixtures: the Scryfall sample and
the MTGJSON price sample) and serves it as production does (gunicorn, one gevent worker). Prints:
- PNG export (800x450, Consider's card chart) p50/p95: cold (the worker's first export: the renderer
  process and its Chromium start; a fresh server each sample), warm (renderer up, export cache emptied
  before each request) and cached (the same request again);
- page-request p95 (GET /) idle, and while 8 clients (in another process) render exports at once (each
  a new size, so each renders), in alternating rounds of the same run, and their ratio.
- kaleido alone on the same figure in this process, for Chromium's own share of a warm export.
Targets: warm p95 <= 250 ms, cached p95 <= 5 ms, page p95 under load <= 2x idle.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from redis import Redis

from app.bootstrap import bootstrap
from app.embedded import EmbeddedRedis
from app.settings import Settings
from bench.foundation import percentile, scratch_database
from data.cache import cache_key
from tests.helpers import web_server
from workers.imports import import_mtgjson, import_scryfall

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SECRET = "bench-secret-that-is-long-enough-to-validate"
CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"
SIZE = {"width": "800", "height": "450"}
CONCURRENT = 8
TARGETS = {"warm p95": 250.0, "cached p95": 5.0, "page ratio": 2.0}
UNLIMITED = {"CARDCHARTS_EXPORT_RATE_LIMIT": "10000/minute", "CARDCHARTS_API_RATE_LIMIT": "10000/minute"}


def seed(settings: Settings) -> int:
    services = bootstrap(settings)
    try:
        import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
        mtgjson = FIXTURES / "mtgjson"
        import_mtgjson(services, mtgjson / "AllPrices-sample.json", [mtgjson / "AllIdentifiers-sample.json"])
        return services.cards.get_by_scryfall_id(CONSIDER).id
    finally:
        services.close()


@contextmanager
def served(database_url: str, redis_url: str):
    with web_server(database_url, redis_url, SECRET, **UNLIMITED) as base:
        yield f"http://{base}"


def get_ms(client: httpx.Client, url: str, cache: str | None = None, **query: str) -> float:
    """The request's time; `cache`: the X-Export-Cache answer it must have ("miss" or "hit")."""
    started = time.perf_counter()
    response = client.get(url, params=query)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} {query}: {response.status_code} {response.text[:300]}")
    if cache is not None and response.headers.get("X-Export-Cache") != cache:
        raise RuntimeError(f"{url} {query}: expected an export cache {cache}, got {response.headers}")
    return elapsed


def line(label: str, samples: list[float]) -> float:
    p95 = percentile(samples, 0.95)
    print(f"  {label:<46} p50 {statistics.median(samples):8.2f} ms   p95 {p95:8.2f} ms   (n={len(samples)})")
    return p95


def direct_kaleido(settings: Settings, card: int, runs: int) -> list[float]:
    """The same figure rendered by kaleido in this process (no HTTP, no pipe, no cache): Chromium's
    own share of a warm export, measured in the same run."""
    import kaleido
    from werkzeug.datastructures import MultiDict

    from app.exports import charts
    from app.exports.captions import dress
    from app.exports.query import parse

    services = bootstrap(settings)
    try:
        export = parse("card", "png", MultiDict(SIZE), {"id": str(card)})
        chart = charts.card(services, export)
    finally:
        services.close()
    figure = dress(chart.figure, chart.title, chart.caption, export.theme)
    options = {"format": "png", "width": export.width, "height": export.height, "scale": export.scale}
    kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    try:
        kaleido.calc_fig_sync(figure, opts=options)
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            kaleido.calc_fig_sync(figure, opts=options)
            samples.append((time.perf_counter() - started) * 1000)
        return samples
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def empty_export_cache(redis: Redis) -> None:
    keys = list(redis.scan_iter(match=cache_key("export", "*"), count=1000))
    if keys:
        redis.delete(*keys)


def _export_clients(png: str, stop, done) -> None:
    """CONCURRENT clients in a process of their own (their work must not hold the measuring client's GIL),
    each request a size not rendered before, so that each renders."""
    counter = iter(range(os.getpid() % 1000 * 1000, 10**7))
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(timeout=60) as own:
            while not stop.is_set():
                with lock:
                    width = 300 + next(counter) % 2000
                get_ms(own, png, "miss", width=str(width), height="450")
                with done.get_lock():
                    done.value += 1

    threads = [threading.Thread(target=client) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def page_idle_and_loaded(client: httpx.Client, base: str, png: str, runs: int, rounds: int = 3):
    """GET / timings idle and while CONCURRENT exports render, in alternating rounds (other load on the
    machine then weighs on both alike)."""
    context = multiprocessing.get_context("spawn")
    idle: list[float] = []
    loaded: list[float] = []
    done = context.Value("i", 0)
    for _ in range(rounds):
        idle += [get_ms(client, f"{base}/") for _ in range(runs)]
        stop = context.Event()
        load = context.Process(target=_export_clients, args=(png, stop, done))
        load.start()
        time.sleep(1.5)  # every client has a render in flight or queued
        loaded += [get_ms(client, f"{base}/") for _ in range(runs)]
        stop.set()
        load.join()
    print(f"  (exports rendered during the loaded rounds: {done.value})")
    return idle, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=30, help="samples per warm, cached and page measurement")
    parser.add_argument("--cold", type=int, default=3, help="cold samples (a fresh server each)")
    args = parser.parse_args()
    with scratch_database() as database_url:
        embedded = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="cc-bench-exports-")))
        redis_url = embedded.start()
        redis = Redis.from_url(redis_url)
        try:
            settings = Settings(database_url=database_url, redis_url=redis_url, secret_key=SECRET)
            card = seed(settings)
            cold = []
            for _ in range(args.cold):
                empty_export_cache(redis)
                with served(database_url, redis_url) as base, httpx.Client(timeout=60) as client:
                    cold.append(get_ms(client, f"{base}/export/card/{card}.png", "miss", **SIZE))
            with served(database_url, redis_url) as base, httpx.Client(timeout=60) as client:
                png = f"{base}/export/card/{card}.png"
                get_ms(client, png, **SIZE)  # the renderer starts
                warm = []
                for _ in range(args.runs):
                    empty_export_cache(redis)
                    warm.append(get_ms(client, png, "miss", **SIZE))
                direct = direct_kaleido(settings, card, args.runs)  # the server idle meanwhile
                get_ms(client, png, **SIZE)
                cached = [get_ms(client, png, "hit", **SIZE) for _ in range(args.runs)]
                for _ in range(3):
                    get_ms(client, f"{base}/")
                print(
                    f"PNG export {SIZE['width']}x{SIZE['height']} of card {card}; gunicorn, 1 gevent worker, 1 renderer"
                )
                figures = {
                    "cold": line("PNG cold (renderer and Chromium start)", cold),
                    "warm p95": line("PNG warm (renderer up, export cache emptied)", warm),
                    "cached p95": line("PNG cached", cached),
                }
                line("(kaleido alone, in-process, same figure)", direct)
                idle, loaded = page_idle_and_loaded(client, base, png, args.runs)
                idle_p95 = line("page GET / idle", idle)
                loaded_p95 = line(f"page GET / while {CONCURRENT} exports render", loaded)
                figures["page ratio"] = loaded_p95 / idle_p95
                print(f"  page p95 under load / idle: {figures['page ratio']:.2f}x")
                over = [name for name, limit in TARGETS.items() if figures[name] > limit]
                print(
                    "targets: warm p95 <= 250 ms, cached p95 <= 5 ms, page p95 <= 2x idle: "
                    + (f"over on {', '.join(over)}" if over else "all met")
                )
        finally:
            redis.close()
            embedded.stop()


if __name__ == "__main__":
    main()
